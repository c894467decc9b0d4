"""Seed 002's gallery of activation functions, each drawn with its derivative.

The derivative is not a formula written here: it is what the library's own autograd
(:class:`~neuroflow.gradient_tape.GradientTape`) returns for the function, so the picture
also shows the gradients that training uses (0 on ReLU's flat side, 0.1 on Leaky ReLU's).
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow.viz._mpl import figure_and_axes

__all__ = ["plot_activations"]

GALLERY = ("sigmoid", "tanh", "relu", "leaky_relu", "maxout", "elu")
MAXOUT_PIECES = ((-1.0, -1.0), (0.25, 0.0), (1.5, -2.0))  # (w, b) of each line w * x + b


def _number(v: float) -> str:
    return f"{v:g}"


def _line(w: float, b: float) -> str:
    """``w x + b`` as mathtext, without ``1x`` or ``+ -``."""
    slope = {1.0: "x", -1.0: "-x", 0.0: ""}.get(w, f"{_number(w)}x")
    if not b:
        return slope or "0"
    if not slope:
        return _number(b)
    return f"{slope} {'-' if b < 0 else '+'} {_number(abs(b))}"


def _maxout(pieces):
    def maxout(x):
        from neuroflow import layers, ops  # noqa: PLC0415  (viz stays light to import)

        w = np.array([p[0] for p in pieces], dtype=x.data.dtype)
        b = np.array([p[1] for p in pieces], dtype=x.data.dtype)
        lines = ops.reshape(x, (-1, 1)) * w + b  # one column per linear piece
        return ops.reshape(layers.Maxout(1)(lines), (-1,))

    title = r"Maxout: $\max(" + r",\ ".join(_line(w, b) for w, b in pieces) + ")$"
    return maxout, title


def _known(pieces) -> dict:
    """name -> (function of a Tensor, panel title)."""
    from neuroflow import ops  # noqa: PLC0415

    return {
        "sigmoid": (ops.sigmoid, r"sigmoid: $\sigma(x) = 1 / (1 + e^{-x})$"),
        "tanh": (ops.tanh, r"tanh: $\tanh(x)$"),
        "relu": (ops.relu, r"ReLU: $\max(0,\ x)$"),
        "leaky_relu": (lambda x: ops.leaky_relu(x, 0.1), r"Leaky ReLU: $\max(0.1x,\ x)$"),
        "maxout": _maxout(pieces),
        "elu": (lambda x: ops.elu(x, 1.0), r"ELU: $x$ if $x \geq 0$ else $e^x - 1$ ($\alpha$ = 1)"),
        "softplus": (ops.softplus, r"softplus: $\log(1 + e^x)$"),
        "hard_sigmoid": (
            lambda x: ops.relu6(x + 3.0) / 6.0,
            r"hard sigmoid: $\mathrm{relu6}(x + 3) / 6$",
        ),
        "linear": (lambda x: x * 1.0, r"linear: $x$"),
        "step": (ops.step, r"step (Heaviside): $1$ if $x \geq 0$ else $0$"),
    }


def _values_and_slopes(fn, name: str, x: np.ndarray, derivatives: bool):
    from neuroflow.gradient_tape import GradientTape  # noqa: PLC0415
    from neuroflow.tensor import Tensor, constant  # noqa: PLC0415

    t = constant(x)
    with GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    if not isinstance(y, Tensor):
        raise TypeError(
            f"Expected the activation {name!r} to return a neuroflow Tensor (built from "
            f"neuroflow.ops, so that its derivative can be taken). Received: "
            f"{type(y).__name__}."
        )
    if tuple(y.shape) != x.shape:
        raise ValueError(
            f"Expected the activation {name!r} to act elementwise (output shape {x.shape}). "
            f"Received output of shape {tuple(y.shape)}."
        )
    values = np.asarray(y.numpy(), dtype=np.float64)
    if not derivatives:
        return values, None
    slope = tape.gradient(y, t)  # elementwise f: the gradient of sum(f(x)) is f'(x)
    slope = np.zeros_like(x) if slope is None else np.asarray(slope.numpy(), dtype=np.float64)
    return values, slope


def _broken_at_jumps(x: np.ndarray, y: np.ndarray, jump: float = 0.05):
    """``(x, y)`` with a NaN point between neighbours whose ``y`` jumps by more than
    ``jump``, so that a discontinuous derivative (ReLU's at 0) is not drawn as a wall."""
    at = np.flatnonzero(np.abs(np.diff(y)) > jump) + 1
    return np.insert(x, at, (x[at - 1] + x[at]) / 2), np.insert(y, at, np.nan)


def plot_activations(
    names=GALLERY,
    *,
    derivatives: bool = True,
    x=None,
    maxout_pieces=MAXOUT_PIECES,
    ncols: int = 3,
    ax=None,
    fig=None,
):
    """Draws activation functions, one panel each, with their derivatives (seed 002).

    Parameters
    ----------
    names : str, callable or sequence of them, default the seed's six
        ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"`` (slope 0.1 below zero, as in
        the seed), ``"maxout"``, ``"elu"`` (alpha 1), or ``"softplus"``, ``"hard_sigmoid"``,
        ``"linear"``, ``"step"``; or a function of a Tensor built from ``neuroflow.ops``
        (titled by its ``__name__``).
    derivatives : bool, default True
        Whether to draw each function's derivative (dashed), computed by the library's
        autograd (``GradientTape``).
    x : array_like, optional
        The points to draw at; 401 points from -5 to 5 by default.
    maxout_pieces : sequence of (w, b), default ((-1, -1), (0.25, 0), (1.5, -2))
        The lines ``w * x + b`` whose maximum the ``"maxout"`` panel draws (with a
        :class:`~neuroflow.layers.Maxout` layer); they are named in its title and drawn
        dotted behind it.
    ncols : int, default 3
        Panels per row.
    ax : array of Axes, optional
        One Axes per function to draw into.
    fig : Figure, optional
        A figure to fill (a new one by default).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_activations(["relu", "leaky_relu"])
    >>> [a.get_title() for a in fig.axes]
    ['ReLU: $\\\\max(0,\\\\ x)$', 'Leaky ReLU: $\\\\max(0.1x,\\\\ x)$']
    >>> fig.axes[1].lines[1].get_ydata()[[0, -1]]  # the derivative, from autograd
    array([0.1, 1. ])
    """
    if isinstance(names, str) or callable(names):
        names = (names,)
    names = list(names)
    if not names:
        raise ValueError("Expected at least one activation in `names`. Received: names=[]")
    pieces = [(float(w), float(b)) for w, b in maxout_pieces]
    if len(pieces) < 2:
        raise ValueError(
            "Expected `maxout_pieces` to hold at least 2 (w, b) lines. "
            f"Received: maxout_pieces={maxout_pieces!r}"
        )
    known = _known(pieces)
    panels = []
    for name in names:
        if callable(name):
            label = getattr(name, "__name__", type(name).__name__)
            panels.append((name, label, label))
        elif isinstance(name, str) and name in known:
            panels.append((known[name][0], name, known[name][1]))
        else:
            raise ValueError(
                f"Unknown activation {name!r}. Expected one of {sorted(known)} or a "
                f"callable. Received: names={names!r}"
            )
    x = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(
            f"Expected `x` to be a 1-D array of at least 2 points. Received shape {x.shape}."
        )
    n = len(panels)
    if ax is not None:
        fig, axes = figure_and_axes(ax, fig, nrows=1, ncols=n, squeeze=False)
    else:
        cols = max(1, min(int(ncols), n))
        rows = math.ceil(n / cols)
        fig, axes = figure_and_axes(
            None, fig, nrows=rows, ncols=cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False
        )
    axes = list(np.asarray(axes).flat)
    for extra in axes[n:]:
        extra.remove()
    for a, (fn, name, title) in zip(axes, panels, strict=False):
        values, slopes = _values_and_slopes(fn, name, x, derivatives)
        # lines[0] is f, lines[1] f' (gid "function", "derivative"), then the rest
        a.plot(x, values, color="C0", lw=2, label="f(x)", gid="function")
        if slopes is not None:
            a.plot(*_broken_at_jumps(x, slopes), color="C3", lw=1.5, ls="--",
                   label="f'(x) (autograd)", gid="derivative")  # fmt: skip
        if name == "maxout":  # the pieces, behind the curve, clipped to its range
            low, high = a.get_ylim()
            for w, b in pieces:
                a.plot(x, w * x + b, color="0.55", lw=0.8, ls=":", zorder=1, gid="piece")
            a.set_ylim(low, high)
        a.axhline(0.0, color="0.75", lw=0.8, zorder=0)
        a.axvline(0.0, color="0.75", lw=0.8, zorder=0)
        a.set_title(title, fontsize=10)
        a.set_xlabel("x")
        a.grid(alpha=0.3)
        a.legend(fontsize=8, loc="upper left")
    return fig
