"""Training metrics with Keras's names: stateful classes and per-sample functions.

Metrics run on NumPy arrays (they never need gradients). ``"accuracy"`` is resolved to
binary, categorical or sparse-categorical accuracy from the loss and the shapes, as
Keras does.

Examples
--------
>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> m.result()
0.5
"""

from __future__ import annotations

import numpy as np

from neuroflow._registry import resolve, snake_case


def _squeeze_labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where ``argmax(y_pred)`` equals the integer label, per sample."""
    y_pred = np.asarray(y_pred)
    y_true = _squeeze_labels(np.asarray(y_true), y_pred)
    return (y_pred.argmax(axis=-1) == y_true).astype(np.float32)


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where ``argmax(y_pred)`` equals ``argmax(y_true)``, per sample."""
    return (np.asarray(y_pred).argmax(axis=-1) == np.asarray(y_true).argmax(axis=-1)).astype(
        np.float32
    )


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Mean over the last axis of ``(y_pred > threshold) == y_true``."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return ((y_pred > threshold) == (y_true > 0.5)).mean(axis=-1, dtype=np.float32)


def accuracy(y_true, y_pred) -> np.ndarray:
    """Exact equality of values, per sample (Keras's plain ``Accuracy``)."""
    return (
        (np.asarray(y_true) == np.asarray(y_pred))
        .astype(np.float32)
        .reshape(len(y_true), -1)
        .mean(-1)
    )


def mean_squared_error(y_true, y_pred) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    d = y_pred - np.asarray(y_true).reshape(y_pred.shape)
    return (d * d).reshape(len(d), -1).mean(axis=-1)


def mean_absolute_error(y_true, y_pred) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    d = y_pred - np.asarray(y_true).reshape(y_pred.shape)
    return np.abs(d).reshape(len(d), -1).mean(axis=-1)


class Metric:
    """Base class: ``update_state`` accumulates, ``result`` reads, ``reset_state`` clears."""

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def __call__(self, *args, **kwargs) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}


class Mean(Metric):
    """The (weighted) running mean of the values given."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            w = np.broadcast_to(np.asarray(sample_weight, np.float64), values.shape)
            self.total += float((values * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Averages ``fn(y_true, y_pred)`` over all samples seen."""

    def __init__(self, fn, name: str | None = None, dtype=None, **fn_kwargs):
        self.fn, self.fn_kwargs = fn, fn_kwargs
        super().__init__(name or fn.__name__, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


_METRICS = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_FUNCTIONS = {
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
}


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None) -> Metric:
    """A Metric from a name, class, instance or function.

    ``"accuracy"``/``"acc"`` becomes binary accuracy for one output or a binary loss,
    sparse categorical accuracy for integer labels, categorical accuracy otherwise.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            loss_name = getattr(loss, "name", "")
            binary = "binary" in loss_name or (y_pred_shape is not None and y_pred_shape[-1] == 1)
            sparse = "sparse" in loss_name or (
                y_true_shape is not None
                and y_pred_shape is not None
                and (
                    len(y_true_shape) < len(y_pred_shape)
                    or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
                )
            )
            fn = (
                binary_accuracy
                if binary
                else (sparse_categorical_accuracy if sparse else categorical_accuracy)
            )
            return MeanMetricWrapper(fn, name=identifier)
        metric = resolve(identifier, _METRICS, "metric", "metrics")()
        metric.name = identifier
        return metric
    if callable(identifier):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]()
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"Could not interpret metric: {identifier!r}. Expected a string, a Metric or a function."
    )


def classification_report(classifier, X, y, average: str = "macro") -> dict:
    """Accuracy, precision, recall, F1, the confusion matrix and ROC/AUC of a fitted classifier.

    Every figure is computed by scikit-learn's metrics (the ``sklearn`` extra). Works with
    neuroflow's estimators, scikit-learn's, and compiled neuroflow models that output
    class scores.

    Parameters
    ----------
    classifier : fitted estimator or Model
        Has ``predict`` (and, for ROC, ``predict_proba`` or ``decision_function``); a
        neuroflow ``Model`` is read as giving one score per class.
    X, y : array_like
        Data and true labels.
    average : str, default "macro"
        How precision, recall and F1 are averaged over classes (binary: of the positive
        class, the larger label).

    Returns
    -------
    dict with ``accuracy``, ``precision``, ``recall``, ``f1``, ``confusion_matrix``,
    ``labels``, ``roc_auc`` and ``roc`` (``{label: (fpr, tpr, thresholds)}``; one-vs-rest
    for several classes; None when the classifier gives no scores).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from neuroflow.sklearn import Perceptron
    >>> X, y = make_blobs(300, centers=2, random_state=0)
    >>> report = classification_report(Perceptron().fit(X, y), X, y)
    >>> round(report["accuracy"], 2), report["confusion_matrix"].shape
    (0.95, (2, 2))
    """
    from sklearn import metrics as skm

    y = np.asarray(y)
    scores = None
    if hasattr(classifier, "predict_proba"):
        scores = np.asarray(classifier.predict_proba(X))
        predicted = classifier.predict(X)
        labels = np.asarray(getattr(classifier, "classes_", np.unique(y)))
    elif hasattr(classifier, "decision_function"):
        scores = np.asarray(classifier.decision_function(X))
        predicted = classifier.predict(X)
        labels = np.asarray(classifier.classes_)
    else:  # a neuroflow model: one score per class, labels 0..k-1
        scores = np.asarray(classifier.predict(X, verbose=0))
        labels = np.arange(scores.shape[1])
        predicted = labels[np.argmax(scores, axis=1)]
        if y.ndim == 2:
            y = np.argmax(y, axis=1)
    binary = len(labels) == 2
    kwargs = {"average": "binary", "pos_label": labels[1]} if binary else {"average": average}
    report = {
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "precision": float(skm.precision_score(y, predicted, zero_division=0, **kwargs)),
        "recall": float(skm.recall_score(y, predicted, zero_division=0, **kwargs)),
        "f1": float(skm.f1_score(y, predicted, zero_division=0, **kwargs)),
        "confusion_matrix": skm.confusion_matrix(y, predicted, labels=labels),
        "labels": labels,
        "roc_auc": None,
        "roc": None,
    }
    if scores is not None:
        if binary:
            positive = scores[:, 1] if scores.ndim == 2 else scores
            report["roc_auc"] = float(skm.roc_auc_score(y == labels[1], positive))
            report["roc"] = {labels[1]: skm.roc_curve(y == labels[1], positive)}
        elif scores.ndim == 2 and len(np.unique(y)) == len(labels):
            report["roc_auc"] = float(
                skm.roc_auc_score(y, _softmax_rows(scores), multi_class="ovr", labels=labels)
            )
            report["roc"] = {
                lab: skm.roc_curve(y == lab, scores[:, i]) for i, lab in enumerate(labels)
            }
    return report


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Scores as probabilities (roc_auc_score's one-vs-rest mode wants rows summing to 1)."""
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4):
        return scores / scores.sum(axis=1, keepdims=True)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
