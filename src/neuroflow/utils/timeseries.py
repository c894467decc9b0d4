"""``timeseries_dataset_from_array``: sliding windows over a series, as a tf.data Dataset.

Keras's rules, computed in NumPy: window ``i`` starts at ``start_index + i *
sequence_stride`` and holds ``sequence_length`` steps taken every ``sampling_rate`` steps;
its target is ``targets[start_index + i * sequence_stride]`` (the target at the window's
*start*: shift the targets to forecast ahead). Windows are cut batch by batch with one
fancy index, so the dataset never holds every window at once.
"""

from __future__ import annotations

import numbers

import numpy as np

from neuroflow import backend
from neuroflow.data import Dataset
from neuroflow.data.structure import leaf_array

__all__ = ["timeseries_dataset_from_array"]


def _int(name: str, value, *, positive: bool = True, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
    return int(value)


def _series(name: str, value) -> np.ndarray:
    array = leaf_array(value)
    if array.ndim == 0:
        raise ValueError(
            f"`{name}` must be an array of at least one axis (the time axis). Received a "
            f"scalar: {name}={value!r}"
        )
    if array.dtype.kind in "fc" and np.isnan(array).any():
        where = int(np.argwhere(np.isnan(array))[0][0])
        raise ValueError(
            f"`{name}` holds NaN (first at step {where}); expected a series without missing "
            "values: fill or drop them first (e.g. pandas' interpolate or dropna)."
        )
    return array


def _check_indices(start_index, end_index, length: int) -> None:
    """Keras's checks of ``start_index``/``end_index``, and the ones Keras skips for 0."""
    if start_index is not None:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index is not None:
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
) -> Dataset:
    """A dataset of sliding windows over a series (``keras.utils.timeseries_dataset_from_array``).

    Parameters
    ----------
    data : array_like of shape (steps, ...)
        The series, time first; every window is a slice of it.
    targets : array_like of shape (steps, ...) or None
        ``targets[start + i * sequence_stride]`` is the target of window ``i`` (where
        ``start`` is ``start_index`` or 0). None gives windows only.
    sequence_length : int
        Steps per window.
    sequence_stride : int, default 1
        Steps between the starts of consecutive windows.
    sampling_rate : int, default 1
        Steps between the rows of one window (6 keeps every 6th step).
    batch_size : int or None, default 128
        Windows per batch; None gives single windows.
    shuffle : bool, default False
        Whether to shuffle the windows (a fixed permutation drawn with ``seed``, then
        a buffer shuffle of ``8 * batch_size`` windows each epoch, as Keras does).
    seed : int, optional
        Makes the shuffles reproducible.
    start_index, end_index : int, optional
        Only ``data[start_index:end_index]`` is windowed (``end_index`` excluded): the way
        to cut training, validation and test windows from one series.

    Returns
    -------
    Dataset
        ``(windows, targets)`` batches, windows of shape ``(batch, sequence_length,
        ...)`` in the dtype of ``data``; only windows when ``targets`` is None. ``fit``,
        ``evaluate`` and ``predict`` take it as it is.

    Raises
    ------
    ValueError
        For an argument out of range (as Keras: ``sampling_rate`` or ``sequence_stride``
        not below the length of the data, ``start_index``/``end_index`` outside it), and,
        where Keras would silently give an empty dataset or none at all: a non-positive
        ``sequence_length``, a window longer than the series, or NaN in ``data`` or
        ``targets`` (a check Keras does not make: NaN windows would train to NaN).

    Examples
    --------
    >>> import numpy as np
    >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=5,
    ...                                    sampling_rate=2, batch_size=2)
    >>> [b.numpy().tolist() for b in ds]
    [[[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]]

    The target of each window is the step after it:

    >>> series = np.arange(8.0)
    >>> ds = timeseries_dataset_from_array(series[:-3], series[3:], sequence_length=3)
    >>> x, y = next(iter(ds))
    >>> x.numpy().tolist(), y.numpy().tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    """
    data = _series("data", data)
    targets = None if targets is None else _series("targets", targets)
    sequence_length = _int("sequence_length", sequence_length)
    sequence_stride = _int("sequence_stride", sequence_stride)
    sampling_rate = _int("sampling_rate", sampling_rate)
    batch_size = _int("batch_size", batch_size, allow_none=True)
    start_index = _int("start_index", start_index, positive=False, allow_none=True)
    end_index = _int("end_index", end_index, positive=False, allow_none=True)
    length = len(data)
    _check_indices(start_index, end_index, length)
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value >= length:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {length}"
            )
    start = 0 if start_index is None else start_index
    end = length if end_index is None else end_index
    span = (sequence_length - 1) * sampling_rate + 1
    count = end - start - span + 1  # windows that fit
    if count <= 0:
        raise ValueError(
            f"The window is longer than the series: sequence_length={sequence_length} with "
            f"sampling_rate={sampling_rate} spans {span} steps, but the data from "
            f"start_index={start} to end_index={end} holds {end - start}. Expected "
            f"sequence_length <= {(end - start - 1) // sampling_rate + 1}."
        )
    if targets is not None:
        count = min(count, len(targets))  # Keras's rule: the targets' full length counts
    positions = np.arange(0, count, sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = int(backend.rng().integers(1_000_000))
        np.random.RandomState(seed).shuffle(positions)  # Keras's fixed permutation
    if targets is not None and positions.size and positions.max() >= len(targets) - start:
        raise ValueError(
            f"`targets` is too short: window {int(positions.max())} needs the target at step "
            f"{start + int(positions.max())}, but targets has {len(targets)} steps. Expected "
            "targets as long as the data."
        )
    window = np.arange(sequence_length, dtype=np.int64) * sampling_rate
    steps = np.array(data[start:end])  # a snapshot, as tf.data takes one
    labels = None if targets is None else np.array(targets[start:end])

    def cut(first):
        first = first.numpy()
        windows = steps[first[..., None] + window]
        return windows if labels is None else (windows, labels[first])

    dataset = Dataset.from_tensor_slices(positions)
    if shuffle:
        dataset = dataset.shuffle(1024 if batch_size is None else 8 * batch_size, seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
    return dataset.map(cut)
