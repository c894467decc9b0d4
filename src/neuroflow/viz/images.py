"""Images with their labels and the model's guesses (seed 004's "Predicted: 7, Label: 2").

:func:`plot_images` draws a grid of images titled with their labels and predictions; a wrong
prediction gets a red title and a red frame. :func:`plot_misclassified` asks a classifier for
its predictions and draws the images it gets wrong.

Images may come as ``(n, height, width)``, ``(n, height, width, channels)`` (channels-last,
1, 3 or 4 channels) or flattened ``(n, pixels)`` as a Dense network takes them (square
images are unflattened by themselves; give ``shape`` otherwise).
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow.viz._mpl import figure_and_axes, pyplot

__all__ = ["plot_images", "plot_misclassified"]

WRONG = "tab:red"


def _as_images(x, shape=None) -> np.ndarray:
    """``x`` as ``(n, h, w)`` or ``(n, h, w, 3|4)`` images, unflattening rows by ``shape``."""
    x = np.asarray(x)
    if x.ndim == 2:
        pixels = x.shape[1]
        if shape is None:
            side = math.isqrt(pixels)
            if side * side != pixels:
                raise ValueError(
                    f"Expected `shape` for flattened images of {pixels} pixels, which are not "
                    f"square (e.g. shape=(h, w) with h * w = {pixels}). "
                    f"Received: x of shape {x.shape}, shape=None"
                )
            shape = (side, side)
        shape = tuple(int(s) for s in shape)
        if math.prod(shape) != pixels:
            raise ValueError(
                f"Expected `shape` to hold the {pixels} pixels of each row of `x`. "
                f"Received: shape={shape} ({math.prod(shape)} pixels)"
            )
        return x.reshape(len(x), *shape)
    if shape is not None and x.ndim in (3, 4):
        return x.reshape(len(x), *shape)
    if x.ndim == 3:
        return x
    if x.ndim == 4:
        if x.shape[-1] == 1:
            return x[..., 0]
        if x.shape[-1] in (3, 4):
            return x
        raise ValueError(
            "Expected channels-last images with 1, 3 or 4 channels. "
            f"Received: x of shape {x.shape} ({x.shape[-1]} channels)"
        )
    raise ValueError(
        "Expected images of shape (n, height, width), (n, height, width, channels) or "
        f"flattened (n, pixels). Received: x of shape {x.shape}"
    )


def _default_ncols(n: int) -> int:
    """One row up to 5 images; else near-square, at most 10 wide, with few empty cells."""
    if n <= 5:
        return n
    widths = range(math.ceil(math.sqrt(n)), min(n, 10) + 1)
    return min(widths, key=lambda ncols: ncols * math.ceil(n / ncols) - n)  # empty cells


def _name(value, class_names) -> str:
    if class_names is not None:
        try:
            return str(class_names[int(value)])
        except (IndexError, TypeError, ValueError):
            pass
    return str(value.item() if isinstance(value, np.generic) else value)


def _optional_labels(values, n: int, name: str):
    if values is None:
        return None
    from neuroflow.viz.evaluation import _as_labels

    values = _as_labels(values, name)
    if len(values) != n:
        raise ValueError(f"Expected one entry of `{name}` per image ({n}). Received: {len(values)}")
    return values


def plot_images(
    x,
    labels=None,
    predicted=None,
    *,
    class_names=None,
    shape=None,
    ncols=None,
    max_images=100,
    cmap="binary",
    ax=None,
    fig=None,
):
    """A grid of images titled with their labels and predictions, wrong ones in red.

    Titles read "Predicted: 7, Label: 2" when both are given (seed 004), else "Label: 2" or
    "Predicted: 7". Grey images are drawn with ``cmap`` (black ink on white, as the seed).

    Parameters
    ----------
    x : array_like
        ``(n, h, w)``, ``(n, h, w, c)`` or flattened ``(n, h * w)`` images.
    labels, predicted : array_like, optional
        True and predicted labels (integers, class names, or one-hot rows).
    class_names : list of str, optional
        Names of the integer labels (e.g. Fashion-MNIST's "T-shirt/top", ...).
    shape : tuple of int, optional
        ``(h, w)`` of flattened images that are not square.
    ncols : int, optional
        Images per row; 5 or fewer images stand in one row.
    max_images : int, default 100
        Only the first ``max_images`` are drawn (the title says so).
    cmap : str, default "binary"
    ax, fig : matplotlib Axes (one per image) or Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> images = np.eye(4)[None].repeat(2, axis=0)
    >>> fig = plot_images(images, labels=[1, 2], predicted=[1, 3])
    >>> [axis.get_title() for axis in fig.axes]
    ['Predicted: 1, Label: 1', 'Predicted: 3, Label: 2']
    """
    images = _as_images(x, shape)
    total = len(images)
    if total == 0:
        raise ValueError("Expected at least one image. Received: x with 0 images")
    n = min(total, int(max_images))
    images = images[:n]
    labels = _optional_labels(labels, total, "labels")
    predicted = _optional_labels(predicted, total, "predicted")
    ncols = _default_ncols(n) if ncols is None else max(1, min(int(ncols), n))
    nrows = math.ceil(n / ncols)
    if ax is None and fig is None:
        fig = pyplot().figure(figsize=(2.6 * ncols, 2.7 * nrows + 0.3), layout="constrained")
    fig, axes = figure_and_axes(ax, fig, nrows=nrows, ncols=ncols, squeeze=False)
    for i, axis in enumerate(axes.flat):
        if i >= n:
            axis.set_axis_off()
            continue
        axis.imshow(images[i], cmap=cmap if images[i].ndim == 2 else None)
        axis.set_xticks([])
        axis.set_yticks([])
        parts = []
        if predicted is not None:
            parts.append(f"Predicted: {_name(predicted[i], class_names)}")
        if labels is not None:
            parts.append(f"Label: {_name(labels[i], class_names)}")
        wrong = labels is not None and predicted is not None and predicted[i] != labels[i]
        axis.set_title(", ".join(parts), fontsize=10, color=WRONG if wrong else "black")
        for spine in axis.spines.values():
            spine.set_visible(bool(wrong))
            spine.set_color(WRONG)
            spine.set_linewidth(2.5)
    if n < total:
        fig.suptitle(f"The first {n} of {total} images")
    return fig


def plot_misclassified(
    model,
    x,
    y,
    n=9,
    *,
    class_names=None,
    shape=None,
    ncols=None,
    cmap="binary",
    ax=None,
    fig=None,
):
    """The first ``n`` images a classifier gets wrong, titled "Predicted: 7, Label: 2".

    The predictions are those of :func:`plot_confusion_matrix`: the argmax of a Keras-style
    model's class scores (a 0.5 threshold for one sigmoid output), or an estimator's
    ``predict``. The title counts all the mistakes.

    Parameters
    ----------
    model : model or estimator
        A Keras-style model or a fitted scikit-learn-style classifier.
    x : array_like
        The model's inputs, also drawn as the images (flattened rows are unflattened).
    y : array_like
        The true labels: integers or one-hot rows.
    n : int, default 9
        How many misclassified images to draw, in the order they come in ``x``.
    class_names, shape, ncols, cmap, ax, fig :
        As in :func:`plot_images`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from neuroflow.keras import layers, models
    >>> model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    >>> x = np.random.default_rng(0).random((20, 4), dtype=np.float32)
    >>> fig = plot_misclassified(model, x, np.zeros(20, int), n=2)
    >>> fig.get_suptitle().startswith("Misclassified")
    True
    """
    from neuroflow.viz.evaluation import _as_labels, _class_predictions

    x = np.asarray(x)
    n = int(n)
    if n < 1:
        raise ValueError(f"Expected `n` >= 1 images to show. Received: n={n}")
    predictions = _class_predictions(model, x)
    truth = _as_labels(y)
    if len(truth) != len(x):
        raise ValueError(
            f"Expected one label in `y` per image in `x` ({len(x)}). Received: {len(truth)}"
        )
    wrong = np.flatnonzero(predictions.predicted != truth)
    if len(wrong) == 0:
        fig, axis = figure_and_axes(ax, fig, figsize=(4, 1.5))
        axis.set_axis_off()
        axis.text(0.5, 0.5, f"All {len(x)} images are classified correctly", ha="center")
        fig.suptitle(f"Misclassified: 0 of {len(x)}")
        return fig
    shown = wrong[:n]
    fig = plot_images(
        x[shown],
        labels=truth[shown],
        predicted=predictions.predicted[shown],
        class_names=class_names,
        shape=shape,
        ncols=ncols,
        max_images=n,
        cmap=cmap,
        ax=ax,
        fig=fig,
    )
    fig.suptitle(
        f"Misclassified: {len(wrong)} of {len(x)} images ({len(wrong) / len(x):.1%}); "
        f"the first {len(shown)} shown"
    )
    return fig
