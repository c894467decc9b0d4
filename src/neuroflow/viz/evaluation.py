"""How good a classifier is, drawn: confusion matrix, ROC curves and the decision boundary.

The confusion matrix and the ROC curves are drawn by scikit-learn's own
``ConfusionMatrixDisplay`` and ``RocCurveDisplay`` (the ``sklearn`` extra), from the
predictions of either kind of classifier the library has:

- a Keras-style model (``neuroflow.keras`` / ``neuroflow.models``): ``predict`` returns one
  score per class (softmax probabilities or logits), or a single column (a sigmoid
  probability or a logit) for two classes; the labels are ``0..k-1``, and one-hot ``y`` is
  read as its argmax;
- a scikit-learn-style estimator (``neuroflow.sklearn.Perceptron``, ``MLPClassifier``, or
  scikit-learn's): ``predict``, ``classes_`` and ``predict_proba`` or ``decision_function``.

Each picture also takes the true labels and the predictions directly, as scikit-learn's
``from_predictions`` does. ``plot_decision_boundary`` needs matplotlib only.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import numpy as np

from neuroflow.viz._mpl import figure_and_axes

__all__ = ["plot_confusion_matrix", "plot_decision_boundary", "plot_roc"]


class _Predictions(NamedTuple):
    """What a classifier says about ``x``: its classes, predicted labels and class scores.

    ``scores`` is ``(n,)`` (the score of ``classes[1]``) for two classes, ``(n, k)`` else,
    or None when the classifier gives no scores.
    """

    classes: np.ndarray
    predicted: np.ndarray
    scores: np.ndarray | None


def _predict(model, x) -> np.ndarray:
    """``model.predict(x)`` quietly and in large batches where its ``predict`` allows it."""
    try:
        params = inspect.signature(model.predict).parameters
    except (TypeError, ValueError):  # a builtin or C-implemented predict
        params = {}
    kwargs = {}
    if "verbose" in params:
        kwargs["verbose"] = 0
    if "batch_size" in params:
        kwargs["batch_size"] = 1024
    return np.asarray(model.predict(x, **kwargs))


def _is_estimator(model) -> bool:
    """A scikit-learn-style classifier (Keras models have neither scoring method)."""
    return hasattr(model, "predict_proba") or hasattr(model, "decision_function")


def _output_activation(model) -> str | None:
    """The name of the activation of a Keras-style model's last layer, when it has one."""
    layers = getattr(model, "layers", None)
    if not layers:
        return None
    activation = getattr(layers[-1], "activation", None)
    return getattr(activation, "__name__", None)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _class_predictions(model, x) -> _Predictions:
    """The classes, predicted labels and scores of a Keras-style model or an estimator."""
    if not hasattr(model, "predict"):
        raise TypeError(
            "Expected a classifier with a `predict` method (a neuroflow/Keras model or a "
            f"scikit-learn-style estimator). Received: {type(model).__name__}"
        )
    if _is_estimator(model):
        classes = np.asarray(model.classes_)
        predicted = np.asarray(model.predict(x))
        if hasattr(model, "predict_proba"):
            scores = np.asarray(model.predict_proba(x), dtype=np.float64)
        else:
            scores = np.asarray(model.decision_function(x), dtype=np.float64)
        if len(classes) == 2 and scores.ndim == 2:
            scores = scores[:, -1]
        return _Predictions(classes, predicted, scores)
    out = _predict(model, x).astype(np.float64)
    if out.ndim != 2 and out.ndim != 1:
        raise ValueError(
            "Expected the model to output one row of class scores per sample. "
            f"Received an output of shape {out.shape}"
        )
    activation = _output_activation(model)
    if out.ndim == 1 or out.shape[1] == 1:  # two classes, one output: sigmoid or logit
        out = out.ravel()
        probability = activation == "sigmoid" or (
            activation != "linear" and np.all((out >= 0) & (out <= 1))
        )
        predicted = (out > (0.5 if probability else 0.0)).astype(np.int64)
        return _Predictions(np.arange(2), predicted, out)
    probability = activation in ("softmax", "sigmoid") or (  # sigmoid: one per class
        activation != "linear" and np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
    )
    scores = out if probability else _softmax(out)
    classes = np.arange(out.shape[1])
    predicted = np.argmax(out, axis=1)
    if out.shape[1] == 2:
        scores = scores[:, 1]
    return _Predictions(classes, predicted, scores)


def _as_labels(y, name: str = "y") -> np.ndarray:
    """Labels as a 1-D array: one-hot rows become their argmax, a column is flattened."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    if y.ndim == 2:
        return y.ravel()
    if y.ndim != 1:
        raise ValueError(
            f"Expected `{name}` to hold one label per sample (shape (n,), or (n, k) one-hot). "
            f"Received: {name} of shape {y.shape}"
        )
    return y


def _truth_and_predictions(first, second, y, second_name: str):
    """``(y_true, predictions)`` from ``(model, x, y)`` or from ``(y_true, second)``.

    ``predictions`` is a :class:`_Predictions` for a model, None for the arrays form.
    """
    if hasattr(first, "predict"):
        if second is None or y is None:
            raise TypeError(
                "Expected `x` and `y` after a model: (model, x, y). "
                f"Received: x={'None' if second is None else 'an array'}, "
                f"y={'None' if y is None else 'an array'}"
            )
        predictions = _class_predictions(first, second)
        y_true = _as_labels(y)
        if len(y_true) != len(predictions.predicted):
            raise ValueError(
                f"Expected `y` to have one label per sample of `x` ({len(predictions.predicted)}"
                f"). Received: {len(y_true)} labels"
            )
        return y_true, predictions
    if second is None:
        raise TypeError(
            f"Expected either (model, x, y) or (y_true, {second_name}). "
            f"Received: a {type(first).__name__} and nothing else"
        )
    if y is not None:
        raise TypeError(
            f"Expected no third argument with (y_true, {second_name}): the first argument "
            f"has no `predict`, so it is read as the true labels. Received: a third argument "
            f"of type {type(y).__name__}"
        )
    return _as_labels(first, "y_true"), None


def _sklearn_metrics():
    """scikit-learn's metrics module, or an ImportError naming the extra that installs it."""
    try:
        import sklearn.metrics
    except ImportError as e:
        raise ImportError(
            f"This picture is drawn by scikit-learn's displays, and scikit-learn is not "
            f'installed ({e}). Install it with: pip install "neuroflow[sklearn]"'
        ) from None
    return sklearn.metrics


def plot_confusion_matrix(
    model_or_y_true,
    x_or_y_pred=None,
    y=None,
    *,
    labels=None,
    display_labels=None,
    normalize=None,
    cmap="Blues",
    colorbar=True,
    values_format=None,
    title=None,
    ax=None,
    fig=None,
):
    """The confusion matrix of a classifier, drawn by scikit-learn's ``ConfusionMatrixDisplay``.

    Rows are the true labels, columns the predicted ones (scikit-learn's layout): the
    diagonal counts the right answers, every other cell one kind of mistake.

    Parameters
    ----------
    model_or_y_true : model, estimator or array_like
        A Keras-style model or a fitted scikit-learn-style classifier, followed by ``x`` and
        ``y``; or the true labels, followed by the predicted ones.
    x_or_y_pred : array_like
        The model's inputs, or the predicted labels.
    y : array_like, optional
        The true labels (integers or one-hot for a Keras-style model) when a model is given.
    labels : array_like, optional
        Which labels to count and in what order (scikit-learn's ``labels``).
    display_labels : array_like, optional
        The names shown on the axes (e.g. Fashion-MNIST's class names).
    normalize : {"true", "pred", "all"}, optional
        Fractions of each true label (row), predicted label (column) or of all samples.
    cmap, colorbar, values_format :
        As in scikit-learn's ``ConfusionMatrixDisplay.plot``.
    title : str, optional
        Default: "Confusion matrix (accuracy ...)".
    ax, fig : matplotlib Axes or Figure, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    skm = _sklearn_metrics()

    y_true, predictions = _truth_and_predictions(model_or_y_true, x_or_y_pred, y, "y_pred")
    if predictions is None:
        y_pred = _as_labels(x_or_y_pred, "y_pred")
        if len(y_pred) != len(y_true):
            raise ValueError(
                f"Expected `y_pred` to have one label per true label ({len(y_true)}). "
                f"Received: {len(y_pred)} predicted labels"
            )
    else:
        y_pred = predictions.predicted
        if labels is None:
            labels = predictions.classes
    n_labels = len(labels) if labels is not None else len(np.unique(np.r_[y_true, y_pred]))
    side = min(4.0 + 0.45 * n_labels, 11.0)
    fig, ax = figure_and_axes(ax, fig, figsize=(side + 1.0, side))
    skm.ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=display_labels,
        normalize=normalize,
        cmap=cmap,
        colorbar=colorbar,
        values_format=values_format,
        xticks_rotation="vertical" if n_labels > 6 and display_labels is not None else "horizontal",
        ax=ax,
    )
    accuracy = float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    ax.set_title(title if title is not None else f"Confusion matrix (accuracy {accuracy:.3f})")
    return fig


def plot_roc(
    model_or_y_true,
    x_or_y_score=None,
    y=None,
    *,
    pos_label=None,
    class_names=None,
    title=None,
    ax=None,
    fig=None,
):
    """ROC curves drawn by scikit-learn's ``RocCurveDisplay``, with their areas (AUC).

    Two classes give one curve, of the positive class (the larger label unless
    ``pos_label``). More classes give one curve per class, that class against the rest
    (one-vs-rest), and the title carries the macro-averaged one-vs-rest AUC. The dashed
    diagonal is a classifier that guesses.

    Parameters
    ----------
    model_or_y_true : model, estimator or array_like
        A Keras-style model or a fitted classifier with ``predict_proba`` or
        ``decision_function``, followed by ``x`` and ``y``; or the true labels, followed by
        the scores.
    x_or_y_score : array_like
        The model's inputs; or the scores: ``(n,)`` of the positive class for two classes,
        ``(n, k)`` one column per class (in sorted label order) else.
    y : array_like, optional
        The true labels (integers or one-hot for a Keras-style model) when a model is given.
    pos_label : int or str, optional
        The positive class for two classes.
    class_names : list of str, optional
        Names shown in the legend instead of the labels.
    title : str, optional
    ax, fig : matplotlib Axes or Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'class 1 (AUC = 0.75)'
    """
    skm = _sklearn_metrics()

    y_true, predictions = _truth_and_predictions(model_or_y_true, x_or_y_score, y, "y_score")
    if predictions is None:
        scores = np.asarray(x_or_y_score, dtype=np.float64)
        classes = np.unique(y_true)
        if scores.ndim == 2 and scores.shape[1] == 2 and len(classes) <= 2:
            scores = scores[:, 1]
        if scores.ndim == 2 and scores.shape[1] != len(classes):
            raise ValueError(
                f"Expected one score column per class ({len(classes)} classes in y_true: "
                f"{classes.tolist()}). Received: y_score of shape {scores.shape}"
            )
    else:
        classes, scores = predictions.classes, predictions.scores
    if len(scores) != len(y_true):
        raise ValueError(
            f"Expected one score per sample ({len(y_true)}). Received: {len(scores)} scores"
        )
    names = dict(zip(classes.tolist(), class_names)) if class_names is not None else {}
    fig, ax = figure_and_axes(ax, fig, figsize=(6.5, 6.0))
    if scores.ndim == 1:  # two classes: one curve
        if pos_label is None:
            pos_label = classes[-1] if len(classes) else 1
        positive = np.asarray(y_true) == pos_label
        skm.RocCurveDisplay.from_predictions(
            positive,
            scores,
            pos_label=True,
            name=f"class {names.get(pos_label, pos_label)}",
            ax=ax,
            plot_chance_level=True,
        )
        auc = skm.roc_auc_score(positive, scores)
        default = f"ROC curve of class {names.get(pos_label, pos_label)} (AUC {auc:.3f})"
    else:  # one curve per class, against the rest
        curves = []
        for i, label in enumerate(classes):
            display = skm.RocCurveDisplay.from_predictions(
                np.asarray(y_true) == label,
                scores[:, i],
                pos_label=True,
                name=f"class {names.get(label, label)} vs rest",
                ax=ax,
                plot_chance_level=i == len(classes) - 1,
            )
            # three decimals: good models' curves all read "AUC = 1.00" at scikit-learn's two
            display.line_.set_label(
                f"class {names.get(label, label)} vs rest (AUC = {display.roc_auc:.3f})"
            )
            curves.append(display)
        # roc_auc_score's one-vs-rest mode wants rows of probabilities summing to 1
        if np.all((scores >= 0) & (scores <= 1)) and np.all(scores.sum(axis=1) > 0):
            probabilities = scores / scores.sum(axis=1, keepdims=True)
        else:  # decision_function scores or logits
            probabilities = _softmax(scores)
        macro = skm.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=classes)
        default = f"ROC curves, each class vs the rest (macro AUC {macro:.3f})"
        ax.legend(loc="lower right", fontsize="small")
        if macro > 0.99:  # the curves crowd the top-left corner: show it magnified
            _corner_inset(ax, curves)
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title(title if title is not None else default)
    return fig


def _corner_inset(ax, curves) -> None:
    """A magnified view of the ROC plot's top-left corner, where good classifiers' curves are."""
    inset = ax.inset_axes((0.22, 0.5, 0.45, 0.36))
    for display in curves:
        inset.plot(display.fpr, display.tpr, color=display.line_.get_color(), linewidth=1)
    low = min(float(np.interp(0.1, d.fpr, d.tpr)) for d in curves)
    inset.set_xlim(0.0, 0.1)
    inset.set_ylim(max(0.0, low - 0.02), 1.002)
    inset.set_title("top-left corner, magnified", fontsize="small")
    inset.tick_params(labelsize="x-small")
    inset.grid(alpha=0.3)


def _colors(n: int):
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def plot_decision_boundary(
    model,
    X,
    y,
    *,
    resolution=200,
    class_names=None,
    xlabel="$x_1$",
    ylabel="$x_2$",
    title=None,
    ax=None,
    fig=None,
):
    """The regions where a classifier predicts each class, over 2-D data (seed 001's blobs).

    The plane around the data is cut into a ``resolution x resolution`` grid, the model
    predicts every grid point, and each predicted class is filled in its colour, with the
    boundary drawn in black. The samples are drawn on top in the colour of their true
    class; the misclassified ones are circled in red.

    Parameters
    ----------
    model : model or estimator
        A Keras-style model with 2 inputs, or a fitted scikit-learn-style classifier.
    X : array_like of shape (n, 2)
    y : array_like
        True labels (integers or one-hot for a Keras-style model).
    resolution : int, default 200
        Grid points along each axis.
    class_names : list of str, optional
    xlabel, ylabel, title : str, optional
        Default title: the model's class name and its accuracy on ``(X, y)``.
    ax, fig : matplotlib Axes or Figure, optional
        Draw the perceptron and an MLP side by side with ``ax=axes[0]``, ``ax=axes[1]``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from neuroflow.sklearn import Perceptron
    >>> X, y = make_blobs(100, centers=2, random_state=42)
    >>> fig = plot_decision_boundary(Perceptron().fit(X, y), X, y, resolution=50)
    >>> fig.axes[0].get_title()
    'Perceptron: accuracy 1.000'
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            "Expected `X` of shape (n_samples, 2): a decision boundary is drawn in the plane "
            f"of two features. Received: X of shape {X.shape}"
        )
    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"Expected `resolution` >= 2. Received: resolution={resolution}")
    y_true = _as_labels(y)
    if len(y_true) != len(X):
        raise ValueError(
            f"Expected one label per row of `X` ({len(X)}). Received: {len(y_true)} labels"
        )
    low, high = X.min(axis=0), X.max(axis=0)
    pad = np.where(high > low, 0.08 * (high - low), 0.5)
    g0, g1 = np.meshgrid(
        np.linspace(low[0] - pad[0], high[0] + pad[0], resolution),
        np.linspace(low[1] - pad[1], high[1] + pad[1], resolution),
    )
    grid = np.c_[g0.ravel(), g1.ravel()]
    if not _is_estimator(model):
        grid = grid.astype(np.float32)  # the dtype Keras-style models compute in
    on_grid = _class_predictions(model, grid)
    classes = on_grid.classes
    region = np.searchsorted(classes, on_grid.predicted).reshape(g0.shape)
    predicted = _class_predictions(model, X if _is_estimator(model) else X.astype(np.float32))
    k = len(classes)
    names = list(class_names) if class_names is not None else [str(c) for c in classes]
    fig, ax = figure_and_axes(ax, fig, figsize=(6.0, 5.0))
    colors = _colors(k)
    ax.contourf(g0, g1, region, levels=np.arange(k + 1) - 0.5, colors=colors, alpha=0.25)
    if k > 1:
        ax.contour(g0, g1, region, levels=np.arange(k - 1) + 0.5, colors="black", linewidths=1.0)
    size = float(np.clip(3000.0 / max(len(X), 1), 4.0, 36.0))
    for i, label in enumerate(classes):
        mine = y_true == label
        ax.scatter(
            X[mine, 0], X[mine, 1], s=size, color=colors[i], edgecolors="black",
            linewidths=0.3, label=f"class {names[i]}",
        )  # fmt: skip
    wrong = predicted.predicted != y_true
    if wrong.any():
        ax.scatter(
            X[wrong, 0], X[wrong, 1], s=size * 4, facecolors="none", edgecolors="red",
            linewidths=1.2, label=f"misclassified ({int(wrong.sum())})",
        )  # fmt: skip
    ax.legend(loc="best", fontsize="small", framealpha=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    accuracy = float(np.mean(~wrong))
    ax.set_title(title if title is not None else f"{type(model).__name__}: accuracy {accuracy:.3f}")
    return fig
