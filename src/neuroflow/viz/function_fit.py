"""Seed 004's "anatomy of a neural network": a network fitting a function of one variable is
a weighted sum of the curves its last hidden layer computes.

:func:`hidden_features` returns those curves (the activations of a hidden layer) with the
weights and bias of the Dense layer that reads them, so that
``features @ weights + bias`` is that layer's output (the model's, for a linear output
layer); :func:`plot_function_fit` draws the fit over the data beside its decomposition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuroflow.viz._mpl import figure_and_axes

__all__ = ["HiddenFeatures", "hidden_features", "plot_function_fit"]


@dataclass(frozen=True)
class HiddenFeatures:
    """A hidden layer's activations and the Dense layer reading them.

    Attributes
    ----------
    features : ndarray, shape (n_samples, units)
        ``h_j(x)``: what each unit of the hidden layer computes for each sample.
    weights : ndarray, shape (units, outputs)
        The reading Dense layer's kernel ``w``.
    bias : ndarray, shape (outputs,)
        Its bias ``b`` (zeros when it has none).
    layer, output_layer : str
        The names of the hidden layer and of the Dense layer reading it.
    activation : str
        The reading layer's activation (``"linear"``: its output is :attr:`output`).
    """

    features: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    layer: str
    output_layer: str
    activation: str

    @property
    def contributions(self) -> np.ndarray:
        """``w_jk * h_j(x)``, shape (n_samples, units, outputs): summed over units, plus the
        bias, they make :attr:`output`."""
        return self.features[:, :, None] * self.weights[None, :, :]

    @property
    def output(self) -> np.ndarray:
        """``features @ weights + bias``: the reading layer's output before its activation."""
        return self.features @ self.weights + self.bias


def _find_layer(model, layer):
    found = None
    if isinstance(layer, str):
        found = next((a for a in model.layers if a.name == layer), None)
    elif isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if -len(model.layers) <= layer < len(model.layers):
            found = model.layers[layer]
    else:
        found = next((a for a in model.layers if a is layer), None)
    if found is None:
        names = [f"{a.name} ({type(a).__name__})" for a in model.layers]
        raise ValueError(
            f"Expected `layer` to be the name, index or object of one of the model's layers "
            f"{names}. Received: layer={layer!r}"
        )
    return found


def _reader(model, hidden):
    """The Dense layer whose input is ``hidden``'s output."""
    from neuroflow import layers  # noqa: PLC0415  (viz stays light to import)

    out = hidden.output
    for a in model.layers:
        for node in a._inbound_nodes:
            if node.inputs is out:
                if not isinstance(a, layers.Dense):
                    break
                return a
    readers = [
        f"{a.name} ({type(a).__name__})"
        for a in model.layers
        if any(node.inputs is out for node in a._inbound_nodes)
    ]
    raise ValueError(
        f"Expected layer '{hidden.name}' to feed a Dense layer, whose weights combine its "
        f"units. Received a model where it feeds {readers or 'no layer'}."
    )


def hidden_features(model, x, layer=-2) -> HiddenFeatures:
    """The activations of a hidden layer and the weights of the Dense layer reading them.

    For the layer feeding a linear output layer (``layer=-2`` in a Sequential MLP),
    ``result.features @ result.weights + result.bias`` equals ``model.predict(x)``: the
    network's answer is a weighted sum of the curves its hidden units compute, plus a bias.

    Parameters
    ----------
    model : Model
        A Sequential or functional model; the hidden layer must feed a Dense layer.
    x : array_like
        The model's inputs.
    layer : int, str or Layer, default -2
        The hidden layer: an index into ``model.layers``, a name or the layer itself.

    Returns
    -------
    HiddenFeatures
        ``features`` (n_samples, units), ``weights`` (units, outputs), ``bias`` (outputs,),
        and ``contributions`` (n_samples, units, outputs), the weighted features.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import keras, layers
    >>> model = keras.Sequential([keras.Input((1,)), layers.Dense(3, activation="relu"),
    ...                           layers.Dense(1)])
    >>> x = np.linspace(-1, 1, 5)[:, None]
    >>> hf = hidden_features(model, x)
    >>> hf.features.shape, hf.weights.shape, hf.output_layer == model.layers[-1].name
    ((5, 3), (3, 1), True)
    >>> bool(np.allclose(hf.output, model.predict(x, verbose=0), atol=1e-6))
    True
    """
    from neuroflow import activations  # noqa: PLC0415
    from neuroflow.models import Model  # noqa: PLC0415

    if not hasattr(model, "layers") or not hasattr(model, "predict"):
        raise TypeError(f"Expected a Keras-style model. Received: {type(model).__name__}")
    x = np.asarray(x, dtype=np.float32)
    try:
        model.inputs  # noqa: B018  (a model never built or called has no graph yet)
    except (AttributeError, ValueError):
        model.predict(x[:1], verbose=0)
    hidden = _find_layer(model, layer)
    if not hidden._inbound_nodes:
        raise ValueError(f"Layer '{hidden.name}' is not part of the model's graph.")
    reader = _reader(model, hidden)
    features = Model(model.inputs, hidden.output).predict(x, verbose=0)
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"Expected layer '{hidden.name}' to output one vector per sample (batch, units). "
            f"Received output of shape {features.shape}."
        )
    weights = np.asarray(reader.kernel.numpy(), dtype=np.float64)
    bias = reader.bias.numpy() if getattr(reader, "bias", None) is not None else 0.0
    bias = np.broadcast_to(np.asarray(bias, dtype=np.float64), weights.shape[1:]).copy()
    return HiddenFeatures(
        features=features,
        weights=weights,
        bias=bias,
        layer=hidden.name,
        output_layer=reader.name,
        activation=activations.serialize(reader.activation),
    )


def _column(values, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(
            f"Expected `{name}` to hold one number per sample, shape (n,) or (n, 1). "
            f"Received shape {np.shape(values)}."
        )
    return a


def plot_function_fit(
    model,
    x,
    y,
    *,
    x_grid=None,
    target=None,
    layer=-2,
    title: str | None = None,
    ax=None,
    fig=None,
):
    """Draws a one-input network's fit and the hidden curves it is the sum of (seed 004).

    Left: the data points, the model's curve and (optionally) the true function. Right: the
    curves ``w_j * h_j(x)`` of the units of the hidden layer ``layer``, weighted by the
    output layer's weights, the bias ``b``, and their sum, which is the fitted curve (or,
    when the output layer has an activation, the curve before it).

    Parameters
    ----------
    model : Model
        A model with one input feature and one output, whose hidden ``layer`` feeds a Dense
        output layer.
    x, y : array_like, shape (n,) or (n, 1)
        The data the model was fitted to.
    x_grid : array_like, optional
        Where to draw the curves; 300 points spanning ``x`` by default.
    target : callable, optional
        The true function (of a NumPy array), drawn dashed.
    layer : int, str or Layer, default -2
        The hidden layer (see :func:`hidden_features`).
    title : str, optional
        A title for the left panel (the data's MSE is added).
    ax : sequence of 2 Axes, optional
    fig : Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import keras, layers
    >>> model = keras.Sequential([keras.Input((1,)), layers.Dense(3, activation="relu"),
    ...                           layers.Dense(1)])
    >>> x = np.linspace(-1, 1, 20)
    >>> fig = plot_function_fit(model, x, x**2, target=np.square)
    >>> [line.get_gid() for line in fig.axes[1].lines]
    ['unit 0', 'unit 1', 'unit 2', 'bias', 'sum']
    """
    x = _column(x, "x")
    y = _column(y, "y")
    if x.shape != y.shape:
        raise ValueError(
            f"Expected `x` and `y` of the same length. Received {x.shape[0]} and {y.shape[0]}."
        )
    grid = np.linspace(x.min(), x.max(), 300) if x_grid is None else _column(x_grid, "x_grid")
    hf = hidden_features(model, grid[:, None], layer=layer)
    if hf.weights.shape[1] != 1:
        raise ValueError(
            f"Expected a model with one output; layer '{hf.output_layer}' has "
            f"{hf.weights.shape[1]}."
        )
    fitted = _column(model.predict(grid[:, None].astype(np.float32), verbose=0), "prediction")
    on_data = _column(model.predict(x[:, None].astype(np.float32), verbose=0), "prediction")
    mse = float(np.mean((on_data - y) ** 2))

    fig, (left, right) = figure_and_axes(ax, fig, nrows=1, ncols=2, figsize=(11, 4.2))
    left.scatter(x, y, s=10, color="0.6", label="data", zorder=1)
    if target is not None:
        left.plot(grid, target(grid), color="k", ls="--", lw=1.2, label="true function",
                  gid="target")  # fmt: skip
    left.plot(grid, fitted, color="C3", lw=2.2, label="network", gid="fit")
    left.set_title(f"{title + ': ' if title else ''}fit, MSE on the data {mse:.3g}")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)

    parts = hf.contributions[:, :, 0]
    units = parts.shape[1]
    colours = [f"C{j % 10}" for j in range(units)]
    for j in range(units):
        w = hf.weights[j, 0]
        right.plot(grid, parts[:, j], color=colours[j], lw=1.3, gid=f"unit {j}",
                   label=f"{w:+.3g} * h{j}(x)" if units <= 10 else None)  # fmt: skip
    bias = float(hf.bias[0])
    right.plot(grid, np.full_like(grid, bias), color="0.4", lw=1, ls=":", gid="bias",
               label=f"bias b = {bias:+.3g}")  # fmt: skip
    before = "" if hf.activation == "linear" else f" (before {hf.activation})"
    right.plot(grid, parts.sum(axis=1) + bias, color="C3", lw=2.2, alpha=0.5, gid="sum",
               label=f"sum = network{before}")  # fmt: skip
    right.set_title(
        f"network = sum of the {units} curves $w_j h_j(x)$ of layer '{hf.layer}' + b",
        fontsize=10,
    )
    right.set_xlabel("x")
    right.set_ylabel(r"$w_j\, h_j(x)$")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    return fig
