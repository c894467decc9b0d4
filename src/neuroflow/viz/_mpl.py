"""matplotlib, imported when a picture is drawn, and the figure/axes every picture starts from."""

from __future__ import annotations

INSTALL = 'pip install "neuroflow[viz]"'


def pyplot():
    """``matplotlib.pyplot``, or an ImportError that names the command installing it.

    Headless machines (no display, no notebook) get the Agg backend from matplotlib itself.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # the extra is not installed
        raise ImportError(
            f"neuroflow.viz draws with matplotlib, which is not installed ({e}). "
            f"Install it with: {INSTALL}"
        ) from None
    return plt


def figure_and_axes(ax=None, fig=None, *, nrows=1, ncols=1, figsize=None, squeeze=True, **kw):
    """The figure and grid of axes a picture draws into.

    ``ax`` (one Axes, or an array of them of the right size) is used as given; else ``fig`` is
    filled with a new ``nrows x ncols`` grid; else a new figure of ``figsize`` is made.
    Returns ``(fig, axes)`` with ``axes`` shaped like ``plt.subplots``'s (``squeeze``).
    """
    import numpy as np

    plt = pyplot()
    if ax is not None:
        axes = np.asarray(ax, dtype=object)
        if axes.size != nrows * ncols:
            raise ValueError(
                f"Expected `ax` to hold {nrows * ncols} axes ({nrows}x{ncols}) for this picture. "
                f"Received {axes.size}."
            )
        first = axes.flat[0]
        axes = axes.reshape(nrows, ncols)
        if squeeze:
            axes = axes.squeeze()
            axes = axes.item() if axes.ndim == 0 else axes
        return first.figure, axes
    if fig is None:
        fig = plt.figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, **kw)
    return fig, axes
