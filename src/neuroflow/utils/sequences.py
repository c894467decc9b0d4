"""``pad_sequences``: Keras's padding and truncating of variable-length sequences."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["pad_sequences"]


def _choice(value, name: str) -> str:
    if value not in ("pre", "post"):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected 'pre' or 'post'. "
            f"Received: {name}={value!r}"
        )
    return value


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
) -> np.ndarray:
    """Pads (and truncates) sequences to one length, as ``keras.utils.pad_sequences``.

    Parameters
    ----------
    sequences : list of sequences
        Each a list or array; its items may themselves be arrays of one common shape.
    maxlen : int, optional
        Length of the output; the longest sequence's length when omitted.
    dtype : str or dtype, default "int32"
        Type of the output (``object`` for variable-length strings).
    padding : {"pre", "post"}, default "pre"
        Pad before or after each sequence.
    truncating : {"pre", "post"}, default "pre"
        Drop values from the beginning or the end of sequences longer than ``maxlen``.
    value : float or str, default 0.0
        The padding value.

    Returns
    -------
    ndarray of shape ``(len(sequences), maxlen) + item_shape``

    Examples
    --------
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
    array([[1, 0],
           [2, 3],
           [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            "`sequences` must be iterable (a list of sequences with a length). "
            f"Received: sequences of type {type(sequences).__name__}"
        )
    _choice(padding, "padding")
    _choice(truncating, "truncating")
    if maxlen is not None and (
        isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0
    ):
        raise ValueError(
            f"Invalid value for argument `maxlen`: expected None or a non-negative integer. "
            f"Received: maxlen={maxlen!r}"
        )
    lengths, sample_shape = [], None
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {x!s}"
            ) from e
        if sample_shape is None and len(x):
            sample_shape = np.asarray(x).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)
    is_dtype_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_dtype_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at position {idx} is "
                f"different from expected shape {sample_shape}"
            )
        if padding == "post":
            out[idx, : len(trunc)] = trunc
        else:
            out[idx, -len(trunc) :] = trunc
    return out
