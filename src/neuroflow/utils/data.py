"""``split_dataset``: Keras's left/right split of in-memory data, returning NumPy arrays."""

from __future__ import annotations

import numbers
import random

import numpy as np

__all__ = ["split_dataset"]


def _size_kind(size, name: str):
    """``int``, ``float`` or None, by Keras's rules (NumPy scalars are accepted too)."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(
            f"Invalid `{name}` Type. Expected: int or float or None, "
            f"Received: type({name})={type(size)}."
        )
    return int if isinstance(size, numbers.Integral) else float


def _rescale_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """Keras's ``_rescale_dataset_split_sizes``: the two sizes as sample counts."""
    left_kind = _size_kind(left_size, "left_size")
    right_kind = _size_kind(right_size, "right_size")
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. "
            "At least one of the split sizes must be non-zero."
        )
    for size, kind, name in ((left_size, left_kind, "left"), (right_size, right_kind, "right")):
        if (kind is int and not 0 < size < total) or (kind is float and not 0 < size < 1):
            raise ValueError(
                f"`{name}_size` should be either a positive integer smaller than {total}, or "
                f"a float within the range `[0, 1]`. Received: {name}_size={size}"
            )
    if left_kind is float and right_kind is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. "
            "It must be less than or equal to 1."
        )
    left = round(left_size * total) if left_kind is float else left_size
    right = round(right_size * total) if right_kind is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {left + right} and total_length = {total}"
        )
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and "
                f"`right_size`={right}. Resulting {side} side dataset split will be empty. "
                "Adjust any of the aforementioned parameters"
            )
    return int(left), int(right)


def _as_arrays(dataset) -> tuple[list[np.ndarray], bool]:
    """The dataset as a list of arrays of one length, and whether it was a single array."""
    if isinstance(dataset, np.ndarray):
        if dataset.ndim == 0:
            raise ValueError(
                "Expected `dataset` to hold samples along its first axis. Received: a 0-d array."
            )
        return [dataset], True
    if not isinstance(dataset, (list, tuple)):
        raise TypeError(
            "The `dataset` argument must be a NumPy array or a list/tuple of arrays of the same "
            f"length. Received: dataset of type {type(dataset)} (neuroflow has no tf.data; "
            "pass the arrays)."
        )
    kind = type(dataset).__name__
    if len(dataset) == 0:
        raise ValueError(
            f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays."
        )
    arrays = [np.asarray(a) for a in dataset]
    for i, array in enumerate(arrays):
        if array.ndim == 0:
            raise ValueError(
                f"Expected a {kind} of arrays with samples along their first axis. "
                f"Received: a scalar at index {i}."
            )
        if array.shape[0] != arrays[0].shape[0]:
            raise ValueError(
                f"Received a {kind} of NumPy arrays with different lengths. Mismatch found at "
                f"index {i}, Expected shape={arrays[0].shape} Received shape={array.shape}. "
                f"Please provide a {kind} of NumPy arrays of the same length."
            )
    return arrays, False


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left part and a right part (e.g. train / test).

    ``keras.utils.split_dataset`` for in-memory data, with Keras's size rules. Keras returns
    two ``tf.data.Dataset``; neuroflow has no ``tf.data`` and returns the NumPy arrays those
    datasets would yield, ready for ``fit(x, y)``.

    Parameters
    ----------
    dataset : ndarray, or list/tuple of arrays of the same length
        Samples along the first axis.
    left_size, right_size : int or float, optional
        A float in (0, 1) is a fraction of the samples, an int in (0, len) a count; a missing
        side is the complement of the other. At least one must be given. The left part is
        the first ``left_size`` samples, the right part the last ``right_size``.
    shuffle : bool, default False
        Shuffles the samples first, in the same order as Keras for the same ``seed``.
    seed : int, optional
        Seed of the shuffle; drawn from Python's ``random`` when omitted.

    Returns
    -------
    (left, right)
        Arrays for an array input, tuples of arrays for a list or tuple input.

    Examples
    --------
    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> left, right
    (array([0, 1, 2, 3, 4, 5, 6, 7]), array([8, 9]))
    >>> (x_tr, y_tr), (x_te, y_te) = split_dataset((np.zeros((5, 2)), np.arange(5)), right_size=2)
    >>> x_tr.shape, y_te
    ((3, 2), array([3, 4]))
    """
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    arrays, single = _as_arrays(dataset)
    total = arrays[0].shape[0]
    if total == 0:
        raise ValueError(
            "Received an empty dataset. Argument `dataset` must be a non-empty array or "
            "list/tuple of arrays."
        )
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))  # noqa: S311 (Keras's rule)
        # Keras seeds Python's global generator and shuffles the sample list: the same
        # permutation comes from a private generator, without reseeding the global one
        random.Random(seed).shuffle(order)  # noqa: S311
    left, right = _rescale_sizes(left_size, right_size, total)
    left_index, right_index = np.array(order[:left]), np.array(order[total - right :])
    left_parts = tuple(a[left_index] for a in arrays)
    right_parts = tuple(a[right_index] for a in arrays)
    if single:
        return left_parts[0], right_parts[0]
    return left_parts, right_parts
