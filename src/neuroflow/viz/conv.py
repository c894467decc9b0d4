"""Inside a convolutional network (seeds 001 and 002): its filters, and what each layer makes
of one image.

:func:`plot_kernels` draws a Conv2D layer's kernels as small images; :func:`plot_feature_maps`
runs one image through a Keras-style intermediate model (``Model(model.inputs,
[layer.output, ...])``) and draws each chosen layer's output channels, one row per layer, so
that convolution, ReLU and pooling can be followed step by step.
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow.viz._mpl import figure_and_axes

__all__ = ["plot_feature_maps", "plot_kernels"]


def _is_conv2d(layer) -> bool:
    from neuroflow import layers  # noqa: PLC0415  (viz stays light to import)

    return isinstance(layer, layers.Conv2D) and not isinstance(
        layer, (layers.Conv1D, layers.Conv2DTranspose)
    )


def _all_layers(model) -> list:
    """The model's layers, those of nested models in place (depth first)."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_all_layers(layer))
    return found


def _conv_layer(layer_or_model):
    if _is_conv2d(layer_or_model):
        return layer_or_model
    inner = _all_layers(layer_or_model)
    for layer in inner:
        if _is_conv2d(layer):
            return layer
    names = [f"{a.name} ({type(a).__name__})" for a in inner]
    raise ValueError(
        "Expected a Conv2D layer, or a model with one, to draw its kernels. Received: "
        f"{type(layer_or_model).__name__}" + (f" with layers {names}." if names else ".")
    )


def plot_kernels(
    layer_or_model,
    *,
    channel: int | None = 0,
    max_filters: int = 64,
    ncols: int = 8,
    cmap: str = "RdBu_r",
    ax=None,
    fig=None,
):
    """Draws a Conv2D layer's filters as images (the first Conv2D of a model).

    Panel ``k`` shows ``kernel[:, :, channel, k]``: the weights filter ``k`` multiplies the
    input channel ``channel`` by as it slides over the image. Every panel shares one colour
    scale, symmetric around 0 (red positive, blue negative), shown by a colour bar.

    Parameters
    ----------
    layer_or_model : Conv2D or Model
        A built Conv2D layer, or a model whose first Conv2D is drawn.
    channel : int or None, default 0
        The input channel to show; None shows every input channel, one row each.
    max_filters : int, default 64
        Draw at most this many filters (the first ones).
    ncols : int, default 8
        Panels per row when one channel is shown.
    cmap : str, default "RdBu_r"
    ax : array of Axes, optional
        One Axes per panel.
    fig : Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import layers
    >>> conv = layers.Conv2D(4, 3)
    >>> _ = conv(np.zeros((1, 8, 8, 1)))
    >>> fig = plot_kernels(conv)
    >>> len(fig.axes) - 1, fig.axes[2].get_title()  # 4 filters and a colour bar
    (4, 'filter 2')
    """
    layer = _conv_layer(layer_or_model)
    if not layer.built:
        raise ValueError(
            f"Layer '{layer.name}' is not built, so it has no kernel yet. Call it on data "
            "(or build the model) first."
        )
    kernel = np.asarray(layer.kernel.numpy())  # (height, width, in channels, filters)
    kh, kw, cin, cout = kernel.shape
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
            raise TypeError(f"Expected `channel` to be an int or None. Received: {channel!r}")
        if not -cin <= channel < cin:
            raise ValueError(
                f"Expected `channel` in [0, {cin}) for layer '{layer.name}' with {cin} input "
                f"channels. Received: channel={channel}"
            )
    if isinstance(max_filters, bool) or not isinstance(max_filters, int) or max_filters < 1:
        raise ValueError(f"Expected `max_filters` >= 1. Received: max_filters={max_filters!r}")
    filters = min(cout, max_filters)
    channels = list(range(cin)) if channel is None else [int(channel) % cin]
    if channel is None:
        rows, cols = cin, filters
    else:
        cols = max(1, min(int(ncols), filters))
        rows = math.ceil(filters / cols)
    size = max(0.9, min(1.6, 12 / max(cols, 1)))
    fig, axes = figure_and_axes(
        ax, fig, nrows=rows, ncols=cols, squeeze=False,
        figsize=(size * cols + 1.0, size * rows + 0.6),
    )  # fmt: skip
    axes = np.asarray(axes).reshape(rows, cols)
    shown = kernel[:, :, channels, :filters]
    vmax = float(np.abs(shown).max()) or 1.0
    image = None
    for i, c in enumerate(channels):
        for k in range(filters if channel is None else rows * cols):
            a = axes[i, k] if channel is None else axes.flat[k]
            if k >= filters:
                a.axis("off")
                continue
            image = a.imshow(kernel[:, :, c, k], cmap=cmap, vmin=-vmax, vmax=vmax)
            a.set_title(f"filter {k}" if channel is not None or i == 0 else "", fontsize=8)
            a.set_xticks([])
            a.set_yticks([])
            if channel is None and k == 0:
                a.set_ylabel(f"input\nchannel {c}", fontsize=8)
    which = f"input channel {channels[0]}" if channel is not None else "every input channel"
    more = f" (first {filters} of {cout})" if filters < cout else ""
    fig.suptitle(f"{layer.name}: {kh}x{kw} kernels of {cout} filters{more}, {which}")
    fig.colorbar(image, ax=list(axes.flat), shrink=0.8, label="weight")
    return fig


def _as_batch(model, image) -> np.ndarray:
    """One image as a batch of one, shaped as the model's input."""
    x = np.asarray(image, dtype=np.float32)
    want = tuple(model.inputs[0].shape[1:])
    if x.shape == (1, *want) or (x.ndim == len(want) + 1 and x.shape[0] == 1):
        return x
    if x.ndim == len(want):
        return x[None]
    if x.ndim == len(want) - 1 and want[-1] == 1:  # a grey (height, width) image
        return x[None, ..., None]
    raise ValueError(
        f"Expected one image of shape {want} (or a batch of one). Received: image of shape "
        f"{x.shape}."
    )


def _write_values(a, image, values: np.ndarray) -> None:
    """Each pixel's value written on it, dark on light pixels and light on dark ones."""
    size = max(5, min(10, 40 // max(values.shape)))
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = image.cmap(image.norm(v))
        light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
        a.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=size,
               color="k" if light else "w")  # fmt: skip


def _image_layers(model) -> list:
    """The layers whose output is a stack of images (batch, height, width, channels)."""
    return [
        layer
        for layer in model.layers
        if layer._inbound_nodes and len(getattr(layer.output, "shape", ())) == 4
    ]


def _chosen(model, wanted, candidates) -> list:
    if wanted is None:
        return candidates
    if isinstance(wanted, (str, int)):
        wanted = [wanted]
    names = [f"{a.name} ({type(a).__name__})" for a in candidates]
    chosen = []
    for w in wanted:
        if isinstance(w, str):
            match = [a for a in model.layers if a.name == w]
        elif isinstance(w, (int, np.integer)) and not isinstance(w, bool):
            match = [model.layers[w]] if -len(model.layers) <= w < len(model.layers) else []
        else:
            match = [w] if any(w is a for a in model.layers) else []
        if not match or not any(match[0] is a for a in candidates):
            raise ValueError(
                f"Expected `layers` to name layers of the model that output images. "
                f"Received: {w!r}. Available: {names}."
            )
        chosen.append(match[0])
    return chosen


def plot_feature_maps(
    model,
    image,
    *,
    layers=None,
    max_maps: int = 8,
    show_input: bool = True,
    annotate: bool = False,
    cmap: str = "viridis",
    ax=None,
    fig=None,
):
    """Draws what each layer of a convolutional model produces for one image.

    One row per layer (Conv2D, activations, pooling, ...: every layer whose output is a stack
    of images), one panel per output channel (the first ``max_maps``); the panel of channel
    ``c`` shows ``output[0, :, :, c]`` of that layer for the image, on a colour scale shared
    by its row (its [min, max] is written under the layer's name and output shape). The
    first row is the image itself. The outputs come from a Keras-style intermediate model,
    ``Model(model.inputs, [layer.output for layer in layers])``.

    Parameters
    ----------
    model : Model
        A built Sequential or functional model with image inputs.
    image : array_like
        One image, shaped as the model's input without the batch axis (a 2-D grey image is
        accepted for a one-channel input), or a batch of one.
    layers : sequence of str, int or Layer, optional
        The layers to show (names, indices into ``model.layers``, or the layers); by default
        every layer with an image output.
    max_maps : int, default 8
        Channels shown per layer.
    show_input : bool, default True
        Whether the first row shows the input image's channels.
    annotate : bool, default False
        Whether to write each pixel's value in it (for small worked examples, such as
        seed 002's 4x4 max and average pooling).
    cmap : str, default "viridis"
    ax : array of Axes, optional
        ``rows x max_maps`` Axes.
    fig : Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import keras, layers
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="conv"),
    ...                           layers.MaxPooling2D(name="pool")])
    >>> fig = plot_feature_maps(model, np.ones((8, 8, 1)))
    >>> [a.get_ylabel().split()[0] for a in fig.axes[::2]]  # one row per layer
    ['input', 'conv', 'pool']
    """
    from neuroflow.models import Model  # noqa: PLC0415  (viz stays light to import)

    if not hasattr(model, "layers") or not hasattr(model, "predict"):
        raise TypeError(f"Expected a Keras-style model. Received: {type(model).__name__}")
    if isinstance(max_maps, bool) or not isinstance(max_maps, int) or max_maps < 1:
        raise ValueError(f"Expected `max_maps` >= 1. Received: max_maps={max_maps!r}")
    try:
        model.inputs  # noqa: B018  (a model never built or called has no graph yet)
    except (AttributeError, ValueError):
        model.predict(np.asarray(image, dtype=np.float32)[None], verbose=0)
    batch = _as_batch(model, image)
    candidates = _image_layers(model)
    if not candidates:
        listed = [f"{a.name} ({type(a).__name__})" for a in model.layers]
        raise ValueError(
            "Expected a model with layers that output images (batch, height, width, channels), "
            f"such as Conv2D and pooling. Received a model with layers {listed}."
        )
    chosen = _chosen(model, layers, candidates)
    outputs = Model(model.inputs, [layer.output for layer in chosen]).predict(batch, verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    rows = [("input", "image", batch[0])] if show_input else []
    for layer, out in zip(chosen, outputs, strict=True):
        maps = np.asarray(out[0])
        if getattr(layer, "data_format", "channels_last") == "channels_first":
            maps = np.moveaxis(maps, 0, -1)
        rows.append((layer.name, type(layer).__name__, maps))
    cols = min(max_maps, max(r[2].shape[-1] for r in rows))
    fig, axes = figure_and_axes(
        ax, fig, nrows=len(rows), ncols=cols, squeeze=False,
        figsize=(max(1.5 * cols + 1.0, 4.0), 1.55 * len(rows) + 0.5),
    )  # fmt: skip
    axes = np.asarray(axes).reshape(len(rows), cols)
    for r, (name, kind, maps) in enumerate(rows):
        shown = maps[..., :cols]
        low, high = float(shown.min()), float(shown.max())
        for c in range(cols):
            a = axes[r, c]
            a.set_xticks([])
            a.set_yticks([])
            if c >= maps.shape[-1]:
                a.axis("off")
                continue
            shown_image = a.imshow(maps[..., c], cmap="gray_r" if kind == "image" else cmap,
                                   vmin=low, vmax=high)  # fmt: skip
            a.set_title(f"channel {c}", fontsize=7)
            if annotate:
                _write_values(a, shown_image, maps[..., c])
        h, w, ch = maps.shape
        axes[r, 0].set_ylabel(f"{name}\n{kind}\n{h}x{w}x{ch}\n[{low:.3g}, {high:.3g}]", fontsize=8)
    cut = any(r[2].shape[-1] > cols for r in rows)
    fig.suptitle(
        "Feature maps of one image, layer by layer"
        + (f" (the first {cols} channels of each)" if cut else ""),
        fontsize=11,
    )
    return fig
