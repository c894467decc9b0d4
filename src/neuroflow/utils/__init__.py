"""Data helpers Keras users reach for: one-hot encoding, normalization, seeding, downloads,
splitting and padding."""

from __future__ import annotations

import numpy as np

from neuroflow.backend import set_random_seed
from neuroflow.utils.data import split_dataset
from neuroflow.utils.downloads import get_file
from neuroflow.utils.progbar import Progbar
from neuroflow.utils.sequences import pad_sequences
from neuroflow.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "Progbar", "PyDataset", "Sequence", "get_file", "normalize", "pad_sequences",
    "set_random_seed", "split_dataset", "timeseries_dataset_from_array", "to_categorical",
]  # fmt: skip


def __getattr__(name: str):
    # PyDataset lives with the training loop (models/data_adapter.py), which imports the
    # callbacks, which import this package: resolved on first use to avoid the cycle
    if name in ("PyDataset", "Sequence"):
        from neuroflow.models import data_adapter

        return getattr(data_adapter, name)
    raise AttributeError(f"module 'neuroflow.utils' has no attribute {name!r}")


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encodes integer class labels.

    Parameters
    ----------
    y : array_like of int
        Class labels from 0 to ``num_classes - 1``.
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` when omitted.

    Returns
    -------
    ndarray of shape ``y.shape + (num_classes,)`` (a trailing axis of 1 is dropped first).

    Examples
    --------
    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        raise ValueError(
            "to_categorical expects integer class labels. Received: fractional values."
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(f"to_categorical expects integer class labels. Received dtype {y.dtype}.")
    y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"Class labels must be non-negative. Received a label of {y.min()}.")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(
            f"Received a label of {y.max()}, which is out of range for "
            f"num_classes={num_classes} (expected labels in [0, {num_classes - 1}])."
        )
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scales ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero).

    Examples
    --------
    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"normalize expects numeric data. Received dtype {x.dtype}.")
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm
