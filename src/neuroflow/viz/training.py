"""Learning curves: the loss and each metric per epoch, training beside validation."""

from __future__ import annotations

import numpy as np

from neuroflow.viz._mpl import figure_and_axes

__all__ = ["plot_history"]


def _history_dict(history) -> tuple[dict, list | None]:
    """The ``{name: values per epoch}`` of a History (or of its ``.history``) and its epochs."""
    if isinstance(history, dict):
        return history, None
    logs = getattr(history, "history", None)
    if isinstance(logs, dict):
        return logs, getattr(history, "epoch", None)
    raise TypeError(
        "Expected the History that `model.fit` returns, or its `.history` dict. "
        f"Received: {type(history).__name__}"
    )


def _pretty(name: str) -> str:
    return {"acc": "accuracy", "lr": "learning rate"}.get(name, name.replace("_", " "))


def plot_history(history, *, metrics=None, ax=None, fig=None):
    """The loss and each metric per epoch, one panel each, training beside validation.

    Each panel draws the training value of one quantity (``loss``, ``accuracy``, ...) and,
    when ``fit`` validated, its ``val_`` twin in the same axes; the best validation epoch is
    marked. The loss comes first. Epochs count from 1, as ``fit`` prints them.

    Parameters
    ----------
    history : History or dict
        What ``model.fit`` returns, or its ``.history`` (``{"loss": [...], ...}``).
    metrics : list of str, optional
        The quantities to draw, in order (``"loss"``, ``"accuracy"``, ...); all by default.
    ax : Axes or array of Axes, optional
        One Axes per quantity; or ``fig`` to draw into.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.75],
    ...            "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.5, 0.7, 0.7]}
    >>> fig = plot_history(history)
    >>> [axis.get_title() for axis in fig.axes]
    ['loss', 'accuracy']
    >>> fig.axes[0].lines[1].get_xydata().tolist()
    [[1.0, 1.0], [2.0, 0.7], [3.0, 0.75]]
    """
    logs, epochs = _history_dict(history)
    logs = {key: list(values) for key, values in logs.items() if len(values)}
    if not logs:
        raise ValueError(
            "Expected a history with at least one epoch of values (call `model.fit` first). "
            f"Received an empty history: {dict(_history_dict(history)[0])!r}"
        )
    available = [key for key in logs if not key.startswith("val_")]
    available += [key[4:] for key in logs if key.startswith("val_") and key[4:] not in logs]
    available.sort(key=lambda key: key != "loss")  # the loss first, as Keras 3 sorts the rest
    if metrics is None:
        names = available
    else:
        names = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [name for name in names if name not in available]
        if unknown or not names:
            raise ValueError(
                f"Expected `metrics` among the quantities in the history: {available}. "
                f"Received: metrics={metrics!r}"
            )
    fig, axes = figure_and_axes(
        ax, fig, nrows=1, ncols=len(names), squeeze=False, figsize=(4.6 * len(names), 3.8)
    )
    from matplotlib.ticker import MaxNLocator  # after figure_and_axes: it names the install

    for axis, name in zip(axes.flat, names):
        lower_is_better = "loss" in name or "error" in name
        for key, label, style in ((name, "training", "o-"), (f"val_{name}", "validation", "s--")):
            if key not in logs:
                continue
            values = np.asarray(logs[key], dtype=np.float64)
            if epochs is not None and len(epochs) == len(values):
                x = np.asarray(epochs) + 1
            else:
                x = np.arange(1, len(values) + 1)
            axis.plot(x, values, style, label=label, markersize=4)
            if label == "validation" and len(values) > 1:
                best = int(np.argmin(values) if lower_is_better else np.argmax(values))
                axis.plot(
                    x[best], values[best], "*", color=axis.lines[-1].get_color(),
                    markersize=12, label=f"best validation (epoch {x[best]})",
                )  # fmt: skip
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(_pretty(name))
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small")
    return fig
