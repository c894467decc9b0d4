"""Tensors made from a shape or a range, in TensorFlow's spelling and dtypes: zeros, ones,
``*_like``, fill, range, eye and linspace. None records anything on the tape."""

from __future__ import annotations

import builtins

import numpy as np

from neuroflow import dtypes
from neuroflow.errors import InvalidArgumentError
from neuroflow.tensor import Tensor, to_array

__all__ = ["eye", "fill", "linspace", "ones", "ones_like", "range", "zeros", "zeros_like"]


def _shape(shape, name: str = "shape") -> tuple:
    """A shape given as an int, a list or tuple, a TensorShape or a 1-D integer tensor."""
    if isinstance(shape, Tensor):
        shape = shape.data
    try:
        dims = tuple(int(d) for d in np.atleast_1d(np.asarray(shape, dtype=object)).tolist())
    except (TypeError, ValueError):
        dims = None
    if dims is None or builtins.any(d < 0 for d in dims):
        raise InvalidArgumentError(
            f"Expected `{name}` to be a list of non-negative ints. Received: {name}={shape!r}"
        )
    return () if np.ndim(shape) == 0 and dims == () else dims


def _from(value, dtype) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else to_array(value, dtype)


def zeros(shape, dtype="float32", name=None) -> Tensor:
    """A tensor of zeros (TensorFlow's ``tf.zeros``; float32 by default).

    Examples
    --------
    >>> zeros((2, 3)).shape
    TensorShape([2, 3])
    >>> zeros(2, dtype="int32")
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([0, 0], dtype=int32)>
    """
    return Tensor._from_op(np.zeros(_shape(shape), dtypes.as_dtype(dtype).dtype), None)


def ones(shape, dtype="float32", name=None) -> Tensor:
    """A tensor of ones (TensorFlow's ``tf.ones``; float32 by default).

    Examples
    --------
    >>> print(ones([2]))
    tf.Tensor([1. 1.], shape=(2,), dtype=float32)
    """
    return Tensor._from_op(np.ones(_shape(shape), dtypes.as_dtype(dtype).dtype), None)


def zeros_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002  (TensorFlow's name)
    """Zeros of ``input``'s shape and dtype (or ``dtype``)."""
    data = _from(input, None)
    return Tensor._from_op(np.zeros(data.shape, dtypes.as_dtype(dtype or data.dtype).dtype), None)


def ones_like(input, dtype=None, name=None) -> Tensor:  # noqa: A002
    """Ones of ``input``'s shape and dtype (or ``dtype``).

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> ones_like(constant([[1, 2]]))
    <tf.Tensor: shape=(1, 2), dtype=int32, numpy=array([[1, 1]], dtype=int32)>
    """
    data = _from(input, None)
    return Tensor._from_op(np.ones(data.shape, dtypes.as_dtype(dtype or data.dtype).dtype), None)


def fill(dims, value, name=None) -> Tensor:
    """A tensor of shape ``dims`` filled with ``value``, in ``value``'s dtype (a Python int
    gives int32, a float float32).

    Examples
    --------
    >>> fill([2, 2], 7).numpy()
    array([[7, 7],
           [7, 7]], dtype=int32)
    """
    value = _from(value, None)
    if value.ndim != 0:
        raise InvalidArgumentError(
            f"value must be a scalar, got a tensor of shape {list(value.shape)} [Op:Fill]"
        )
    return Tensor._from_op(np.full(_shape(dims, "dims"), value, dtype=value.dtype), None)


_RANK = {np.dtype(n): i for i, n in enumerate(["int32", "int64", "float32", "float64"])}


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """``start, start + delta, ...`` up to ``limit`` excluded (TensorFlow's ``tf.range``;
    ``range(n)`` counts from 0). Python ints give int32, floats float32; the widest of the
    arguments' dtypes wins unless ``dtype`` is given.

    Examples
    --------
    >>> range(5)
    <tf.Tensor: shape=(5,), dtype=int32, numpy=array([0, 1, 2, 3, 4], dtype=int32)>
    >>> range(0, 1.5, 0.5).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    if limit is None:
        start, limit = 0, start
    values = [_from(v, None) for v in (start, limit, delta)]
    for v, label in zip(values, ("start", "limit", "delta")):
        if v.ndim != 0 or v.dtype not in _RANK:
            raise InvalidArgumentError(
                f"`{label}` must be a scalar int or float. Received: {label} of shape "
                f"{list(v.shape)} and dtype {v.dtype.name}"
            )
    if dtype is not None:
        out = dtypes.as_dtype(dtype).dtype
    else:
        out = builtins.max((v.dtype for v in values), key=_RANK.__getitem__)
    s, lim, d = (v.item() for v in values)
    if d == 0:
        raise InvalidArgumentError(f"Requires delta != 0: {d} [Op:Range]")
    if (d > 0 and s > lim) or (d < 0 and s < lim):
        sign, word = (">", "<=") if d > 0 else ("<", ">=")
        raise InvalidArgumentError(
            f"Requires start {word} limit when delta {sign} 0: {s}/{lim} [Op:Range]"
        )
    if out.kind in "iu":
        count = (abs(lim - s) + abs(d) - 1) // abs(d)
        return Tensor._from_op(np.arange(count, dtype=out) * out.type(d) + out.type(s), None)
    count = int(np.ceil(abs((lim - s) / d)))
    steps = np.full(count, d, dtype=out)
    if count:
        steps[0] = s
    return Tensor._from_op(np.add.accumulate(steps), None)  # TensorFlow adds delta in turn


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None) -> Tensor:
    """An identity matrix (ones on the diagonal), or a batch of them.

    Examples
    --------
    >>> eye(2).numpy()
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    rows = int(num_rows)
    cols = rows if num_columns is None else int(num_columns)
    matrix = np.eye(rows, cols, dtype=dtypes.as_dtype(dtype).dtype)
    if batch_shape is not None:
        matrix = np.broadcast_to(matrix, _shape(batch_shape, "batch_shape") + matrix.shape).copy()
    return Tensor._from_op(matrix, None)


def linspace(start, stop, num, name=None, axis: int = 0) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` included (TensorFlow's
    ``tf.linspace``): float32 for Python floats; integer endpoints give float64, as in
    TensorFlow. Computed as TensorFlow does, ``start + i * (stop - start) / (num - 1)``.

    Examples
    --------
    >>> linspace(0.0, 1.0, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    a, b = _from(start, None), _from(stop, None)
    n = int(num.data if isinstance(num, Tensor) else num)
    if n < 0:
        raise InvalidArgumentError(f"Requires num >= 0: {n} [Op:LinSpace]")
    dt = np.result_type(a, b)
    dt = np.dtype(np.float64) if dt.kind in "iu" else dt
    a, b = np.asarray(a, dt), np.asarray(b, dt)
    delta = (b - a) / dt.type(builtins.max(n - 1, 1))
    steps = np.arange(1, builtins.max(n - 1, 1), dtype=dt)
    shape = np.broadcast_shapes(a.shape, b.shape)
    a, b, delta = (np.broadcast_to(v, shape)[None] for v in (a, b, delta))
    middle = a + delta * steps.reshape((-1,) + (1,) * len(shape))
    out = np.concatenate([a, middle, b])[:n]
    if shape:
        out = np.moveaxis(out, 0, int(axis) % (len(shape) + 1))
    return Tensor._from_op(np.ascontiguousarray(out), None)
