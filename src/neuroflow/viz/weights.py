"""What a Dense network has learned about its input pixels (seed 004's weight heatmaps).

A Dense layer on flattened images has one weight per pixel for each unit: column ``j`` of its
kernel, reshaped to the image's ``(28, 28)``, shows which pixels push unit ``j`` up (red) and
which push it down (blue). :func:`plot_weights` draws those columns for the first Dense layer;
:func:`plot_aggregated_weights` multiplies the kernels of all Dense layers, ``W1 @ W2 @ ...``,
into one image per output class: a linear summary that leaves out the activations and the
biases, as the seed says, yet shows which pixels speak for each digit.

Colours are symmetric around 0 (white is 0) and shared by every image of a figure, so the
images can be compared with each other, and one colour bar reads them all.
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow.viz._mpl import figure_and_axes, pyplot

__all__ = ["plot_aggregated_weights", "plot_weights"]


def _describe(layer) -> str:
    return f"{getattr(layer, 'name', '?')} ({type(layer).__name__})"


def _walk(layers):
    """The layers in order, those of nested models included."""
    for layer in layers:
        inner = getattr(layer, "layers", None)
        if inner is not None and not hasattr(layer, "kernel"):
            yield from _walk(inner)
        else:
            yield layer


def _dense_kernels(model_or_layer) -> list[tuple[str, np.ndarray]]:
    """``(name, kernel)`` of every Dense layer of a model, estimator, layer or a kernel array.

    Kernels are ``(inputs, units)``, as Keras stores them; a scikit-learn MLP's
    ``coefs_`` are read the same way.
    """
    from neuroflow.layers import Dense, Layer

    if isinstance(model_or_layer, np.ndarray):
        if model_or_layer.ndim != 2:
            raise ValueError(
                "Expected a kernel array of shape (inputs, units). "
                f"Received: an array of shape {model_or_layer.shape}"
            )
        return [("kernel", model_or_layer)]
    if hasattr(model_or_layer, "coefs_"):  # neuroflow.sklearn's or scikit-learn's MLPs
        return [(f"coefs_[{i}]", np.asarray(w)) for i, w in enumerate(model_or_layer.coefs_)]
    if hasattr(model_or_layer, "layers"):
        layers = list(_walk(model_or_layer.layers))
        received = "a model with layers: " + (", ".join(map(_describe, layers)) or "none")
    elif isinstance(model_or_layer, Layer):
        layers = [model_or_layer]
        received = f"the layer {_describe(model_or_layer)}"
    else:
        raise TypeError(
            "Expected a model, a Dense layer, a fitted MLP estimator or a kernel array. "
            f"Received: {type(model_or_layer).__name__}"
        )
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if not dense:
        hint = " (Conv2D filters are drawn by plot_kernels)" if "Conv" in received else ""
        raise ValueError(f"Expected a Dense layer whose kernel to draw. Received {received}{hint}")
    kernels = []
    for layer in dense:
        if not layer.built:
            raise ValueError(
                f"Dense layer '{layer.name}' has no weights yet. Build it first (call the "
                "model on data, fit it, or give the model an input shape)."
            )
        kernels.append((layer.name, np.asarray(layer.get_weights()[0])))
    return kernels


def _check_shape(shape, rows: int, name: str) -> tuple[int, ...]:
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    if math.prod(shape) != rows:
        raise ValueError(
            f"Expected `shape` to hold as many pixels as {name}'s kernel has input rows ({rows}). "
            f"Received: shape={shape} ({math.prod(shape)} pixels)"
        )
    if len(shape) == 1:
        shape = (1, shape[0])  # a row of weights for non-image inputs
    return shape


def _grid(n: int, ncols) -> tuple[int, int]:
    if ncols is None:
        ncols = math.ceil(math.sqrt(2 * n))  # twice as wide as tall: 512 units -> 16 x 32
    ncols = max(1, min(int(ncols), n))
    return math.ceil(n / ncols), ncols


def _new_figure(ax, fig, nrows, ncols, cell):
    """figure_and_axes; a new figure of many axes gets a hand-made layout instead of the
    constrained one, which takes minutes over hundreds of axes (these need no tick labels).
    Returns ``(fig, axes, cax)``: the axes of the colour bar when the layout is hand-made."""
    if ax is not None or fig is not None or nrows * ncols <= 100:
        if fig is None and ax is None:
            size = (cell * ncols + 1.2, (cell + 0.35) * nrows + 0.6)
            fig = pyplot().figure(figsize=size, layout="constrained")
        fig, axes = figure_and_axes(ax, fig, nrows=nrows, ncols=ncols, squeeze=False)
        return fig, axes, None
    width, height = cell * ncols / 0.9, cell * nrows * 1.08 / 0.92
    fig = pyplot().figure(figsize=(width, height))
    fig.subplots_adjust(left=0.01, right=0.91, bottom=0.01, top=0.93, wspace=0.08, hspace=0.08)
    fig, axes = figure_and_axes(None, fig, nrows=nrows, ncols=ncols, squeeze=False)
    return fig, axes, fig.add_axes((0.93, 0.2, 0.012, 0.6))


def _image_grid(images, titles, *, nrows, ncols, cmap, ax, fig, cell, colorbar_label):
    """Images in a grid under one symmetric colour scale, with one shared colour bar."""
    limit = float(np.max(np.abs(images))) or 1.0
    fig, axes, cax = _new_figure(ax, fig, nrows, ncols, cell)
    for i, axis in enumerate(axes.flat):
        axis.set_axis_off()
        if i >= len(images):
            continue
        image = axis.imshow(images[i], cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
        if titles is not None:
            axis.set_title(titles[i], fontsize="small")
    if cax is not None:
        colorbar = fig.colorbar(image, cax=cax)
    else:
        colorbar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
    colorbar.set_label(colorbar_label)
    return fig


def plot_weights(
    model_or_layer,
    shape=(28, 28),
    *,
    max_units=None,
    ncols=None,
    cmap="RdBu_r",
    ax=None,
    fig=None,
):
    """The first Dense layer's weights, one image per unit (seed 004's 512 heatmaps).

    Unit ``j``'s image is column ``j`` of the kernel, ``kernel[:, j].reshape(shape)``: its
    weight on every input pixel. Red pixels raise the unit's input, blue ones lower it,
    white ones do not matter; one colour scale, symmetric around 0, serves every unit.

    Parameters
    ----------
    model_or_layer : Model, Dense, fitted MLP estimator or array
        A model (its first Dense layer is drawn), a Dense layer, a fitted
        ``MLPClassifier``/``MLPRegressor`` (``coefs_[0]``), or a kernel ``(inputs, units)``.
    shape : tuple of int, default (28, 28)
        How one unit's input weights are laid out: an MNIST image by default.
    max_units : int, optional
        Draw only the first ``max_units`` units.
    ncols : int, optional
        Images per row; by default about twice as many columns as rows (16 x 32 for 512).
    cmap : str, default "RdBu_r"
        A diverging colour map, so that positive and negative weights differ in hue.
    ax : array of matplotlib Axes, optional
        One Axes per grid cell; or ``fig`` to draw into.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from neuroflow.keras import layers, models
    >>> model = models.Sequential([layers.Input((16,)), layers.Dense(6), layers.Dense(2)])
    >>> fig = plot_weights(model, shape=(4, 4))
    >>> kernel = model.layers[0].get_weights()[0]
    >>> bool(np.array_equal(fig.axes[5].images[0].get_array(), kernel[:, 5].reshape(4, 4)))
    True
    """
    name, kernel = _dense_kernels(model_or_layer)[0]
    rows, units = kernel.shape
    shape = _check_shape(shape, rows, f"'{name}'")
    if max_units is not None:
        if int(max_units) < 1:
            raise ValueError(f"Expected `max_units` >= 1. Received: max_units={max_units!r}")
        units = min(units, int(max_units))
    images = kernel[:, :units].T.reshape(units, *shape)
    nrows, ncols = _grid(units, ncols)
    cell = 0.6 if units > 64 else 1.3
    titles = None if units > 64 else [f"unit {j}" for j in range(units)]
    fig = _image_grid(
        images, titles, nrows=nrows, ncols=ncols, cmap=cmap, ax=ax, fig=fig,
        cell=cell, colorbar_label="weight",
    )  # fmt: skip
    shown = f"the first {units} of {kernel.shape[1]}" if units < kernel.shape[1] else units
    fig.suptitle(
        f"Weights of Dense layer '{name}': {shown} units, one {shape[0]}x{shape[1]} image each\n"
        "red: a bright input pixel there raises the unit's input; blue: lowers it",
        fontsize="xx-large" if units > 64 else "large",
    )
    return fig


def plot_aggregated_weights(
    model,
    shape=(28, 28),
    *,
    class_names=None,
    ncols=None,
    cmap="RdBu_r",
    ax=None,
    fig=None,
):
    """The product of all Dense kernels, one image per output class (seed 004).

    ``W1 @ W2 @ ... @ Wn`` maps each input pixel straight to each output: what the network
    would compute without its activations and biases. Class ``k``'s image is its column
    ``k`` reshaped to ``shape``: red pixels speak for the class, blue ones against it.
    Every image shares one colour scale, symmetric around 0, and one colour bar.

    Parameters
    ----------
    model : Model or fitted MLP estimator
        Its Dense layers, in order, must chain (each kernel's rows = the previous units).
    shape : tuple of int, default (28, 28)
    class_names : list of str, optional
        Titles of the images; the class indices by default.
    ncols : int, optional
        Images per row; all in one row up to 10 classes.
    cmap : str, default "RdBu_r"
    ax, fig : matplotlib Axes (one per class) or Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from neuroflow.keras import layers, models
    >>> model = models.Sequential([layers.Input((16,)), layers.Dense(6), layers.Dense(3)])
    >>> fig = plot_aggregated_weights(model, shape=(4, 4), class_names=["a", "b", "c"])
    >>> [axis.get_title() for axis in fig.axes[:3]]
    ['a', 'b', 'c']
    """
    kernels = _dense_kernels(model)
    product = kernels[0][1].astype(np.float64)
    for (before, _), (name, kernel) in zip(kernels, kernels[1:]):
        if kernel.shape[0] != product.shape[1]:
            raise ValueError(
                f"Expected the Dense kernels to chain: '{name}' has {kernel.shape[0]} input "
                f"rows but the layers before it end in {product.shape[1]} units ('{before}'). "
                "Aggregated weights need Dense layers that feed each other directly."
            )
        product = product @ kernel
    rows, classes = product.shape
    shape = _check_shape(shape, rows, f"'{kernels[0][0]}'")
    if class_names is None:
        titles = [f"class {k}" for k in range(classes)]
    else:
        titles = [str(c) for c in class_names]
        if len(titles) != classes:
            raise ValueError(
                f"Expected one class name per output ({classes}). "
                f"Received: {len(titles)} class_names"
            )
    images = product.T.reshape(classes, *shape)
    nrows, ncols = _grid(classes, ncols if ncols is not None else min(classes, 10))
    fig = _image_grid(
        images, titles, nrows=nrows, ncols=ncols, cmap=cmap, ax=ax, fig=fig,
        cell=1.7, colorbar_label="aggregated weight",
    )  # fmt: skip
    chain = " @ ".join(f"W({name})" for name, _ in kernels)
    fig.suptitle(
        f"Aggregated weights {chain}, one image per output class\n"
        "red pixels speak for the class, blue ones against it (activations and biases left out)"
    )
    return fig
