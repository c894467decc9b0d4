"""Array functions in TensorFlow's spelling: cast, stack and unstack, expand_dims and squeeze,
shape/rank/size, gather, one_hot, tile, where and clip_by_value.

The differentiable ones are primitives here (``Cast``, ``Stack``, ``Gather``, ``Tile``,
``Select``) with their backward beside the forward, or compositions of existing ones
(``expand_dims`` and ``squeeze`` are reshapes, ``clip_by_value`` a minimum then a maximum, as
TensorFlow composes it). Index and shape results are integer tensors without gradients.
"""

from __future__ import annotations

import numpy as np

from neuroflow import dtypes
from neuroflow.errors import InvalidArgumentError
from neuroflow.ops.math import _dims, as_tensor, getitem, operands, reshape, unbroadcast
from neuroflow.ops.shape import maximum, minimum
from neuroflow.tensor import Function, Tensor, to_array

__all__ = [
    "cast", "clip_by_value", "confusion_matrix", "expand_dims", "gather", "one_hot", "rank",
    "shape", "size", "squeeze", "stack", "tile", "unstack", "where",
]  # fmt: skip


class Cast(Function):
    """A change of float precision; the gradient is cast back (TensorFlow's rule). Casts to or
    from integers and booleans are not differentiable and do not come here."""

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype),)


class Stack(Function):
    """Tensors of one shape joined along a new ``axis``; the backward pass slices it apart."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.axis, 0))


class Gather(Function):
    """``np.take(x, indices, axis)``; the backward pass adds each slice's gradient back at its
    index (``np.add.at``, so repeated indices accumulate)."""

    def forward(self, x, indices, axis):
        self.shape, self.indices, self.axis = x.shape, indices, axis
        return np.take(x, indices, axis=axis)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        k, a = self.indices.ndim, self.axis
        moved = np.moveaxis(grad, list(range(a, a + k)), list(range(k)))
        np.add.at(np.moveaxis(out, a, 0), self.indices, moved)
        return (out,)


class Tile(Function):
    """The input repeated ``multiples[i]`` times along each axis; the backward pass sums the
    copies."""

    def forward(self, x, multiples):
        self.shape, self.multiples = x.shape, multiples
        return np.tile(x, multiples)

    def backward(self, grad):
        pairs = [d for m, n in zip(self.multiples, self.shape) for d in (m, n)]
        return (grad.reshape(pairs).sum(axis=tuple(range(0, len(pairs), 2))),)


class Select(Function):
    """``where(condition, x, y)`` broadcast; each branch gets the gradient where it was
    chosen and zeros elsewhere (TensorFlow's rule)."""

    def forward(self, x, y, condition):
        self.condition, self.shapes = condition, (x.shape, y.shape)
        return np.where(condition, x, y)

    def backward(self, grad):
        c = self.condition
        dx = np.where(c, grad, 0).astype(grad.dtype, copy=False)
        dy = np.where(c, 0, grad).astype(grad.dtype, copy=False)
        return unbroadcast(dx, self.shapes[0]), unbroadcast(dy, self.shapes[1])


# ------------------------------------------------------------------ functional forms


def cast(x, dtype, name=None) -> Tensor:
    """``x`` converted to ``dtype`` (TensorFlow's ``tf.cast``): floats to integers truncate
    toward zero, numbers to bool test for non-zero. Differentiable between float types only.

    Examples
    --------
    >>> cast(Tensor([-1.7, 2.5, 0.0]), "int32")
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([-1,  2,  0], dtype=int32)>
    """
    x = as_tensor(x)
    target = dtypes.as_dtype(dtype).dtype
    if x.data.dtype == target:
        return x
    if x.data.dtype.kind == "f" and target.kind == "f":
        return Cast.apply(x, dtype=target)
    return Tensor._from_op(np.asarray(x.data).astype(target), None)


def _int_axis(axis, name: str = "axis") -> int:
    if isinstance(axis, Tensor):
        axis = axis.data
    try:
        return int(np.asarray(axis).reshape(()))
    except (TypeError, ValueError):
        raise TypeError(f"Expected `{name}` to be an int. Received: {name}={axis!r}") from None


def _check_axis(axis: int, rank: int, op: str) -> int:
    if not -rank <= axis < rank:
        raise InvalidArgumentError(
            f"Expected `axis` in the range [{-rank}, {rank}) for {op}. Received: axis={axis}"
        )
    return axis % rank


def stack(values, axis: int = 0, name="stack") -> Tensor:
    """Tensors of one shape joined along a new ``axis`` (TensorFlow's ``tf.stack``).

    Examples
    --------
    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1).numpy()
    array([[1., 3.],
           [2., 4.]], dtype=float32)
    """
    tensors = [as_tensor(v) for v in values]
    if not tensors:
        raise ValueError("stack needs at least one tensor. Received: values=[]")
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.data.shape != first.data.shape:
            raise InvalidArgumentError(
                f"Shapes of all inputs must match: values[0].shape = {_dims(first.data.shape)} "
                f"!= values[{i}].shape = {_dims(t.data.shape)} [Op:Pack]"
            )
        operands(first, t, "Pack")  # the dtype check
    axis = _check_axis(_int_axis(axis), first.ndim + 1, "stack")
    return Stack.apply(*tensors, axis=axis)


def unstack(value, num=None, axis: int = 0, name="unstack") -> list:
    """The slices of ``value`` along ``axis``, as a list (TensorFlow's ``tf.unstack``).

    Examples
    --------
    >>> [t.numpy() for t in unstack(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)]
    [array([1., 3.], dtype=float32), array([2., 4.], dtype=float32)]
    """
    x = as_tensor(value)
    axis = _check_axis(_int_axis(axis), x.ndim, "unstack")
    n = x.data.shape[axis]
    if num is not None and int(num) != n:
        raise ValueError(
            f"Expected `num` to equal the size of axis {axis} ({n}). Received: num={num}"
        )
    lead = (slice(None),) * axis
    return [getitem(x, lead + (i,)) for i in range(n)]


def expand_dims(input, axis, name=None) -> Tensor:  # noqa: A002  (TensorFlow's name)
    """``input`` with a new axis of length 1 at ``axis`` (TensorFlow's ``tf.expand_dims``).

    Examples
    --------
    >>> expand_dims(Tensor([1.0, 2.0]), -1).shape
    TensorShape([2, 1])
    """
    x = as_tensor(input)
    axis = _check_axis(_int_axis(axis), x.ndim + 1, "expand_dims")
    shape = x.data.shape
    return reshape(x, shape[:axis] + (1,) + shape[axis:])


def squeeze(input, axis=None, name=None) -> Tensor:  # noqa: A002
    """``input`` without its axes of length 1 (only those in ``axis`` when given).

    Examples
    --------
    >>> squeeze(Tensor([[[1.0], [2.0]]])).shape
    TensorShape([2])
    """
    x = as_tensor(input)
    shape = x.data.shape
    if axis is None:
        drop = {i for i, d in enumerate(shape) if d == 1}
    else:
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        drop = {_check_axis(int(a), x.ndim, "squeeze") for a in axes}
        for a in sorted(drop):
            if shape[a] != 1:
                raise InvalidArgumentError(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} "
                    "[Op:Squeeze]"
                )
    return reshape(x, tuple(d for i, d in enumerate(shape) if i not in drop))


def _out_type(out_type) -> np.dtype:
    dt = dtypes.as_dtype(out_type)
    if dt.name not in ("int32", "int64"):
        raise TypeError(f"Expected `out_type` to be int32 or int64. Received: out_type={dt!r}")
    return dt.dtype


def shape(input, out_type="int32", name=None) -> Tensor:  # noqa: A002
    """The shape of ``input`` as a 1-D int32 tensor (TensorFlow's ``tf.shape``).

    Examples
    --------
    >>> shape(Tensor([[1.0, 2.0, 3.0]]))
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 3], dtype=int32)>
    """
    return Tensor._from_op(np.asarray(as_tensor(input).data.shape, _out_type(out_type)), None)


def rank(input, name=None) -> Tensor:  # noqa: A002
    """The number of axes of ``input``, as an int32 scalar tensor."""
    return Tensor._from_op(np.asarray(as_tensor(input).ndim, np.int32), None)


def size(input, out_type="int32", name=None) -> Tensor:  # noqa: A002
    """The number of elements of ``input``, as an int32 scalar tensor."""
    return Tensor._from_op(np.asarray(as_tensor(input).data.size, _out_type(out_type)), None)


def _indices(indices, op: str) -> np.ndarray:
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"Value for attr 'Tindices' of {idx.dtype.name} is not in the list of allowed "
            f"values: int32, int64 [Op:{op}]: indices must be integers. Received: {indices!r}"
        )
    return idx


def gather(params, indices, validate_indices=None, axis=None, batch_dims: int = 0, name=None):
    """The slices of ``params`` at ``indices`` along ``axis`` (0 by default), TensorFlow's
    ``tf.gather``. The gradient is dense (TensorFlow returns it as ``IndexedSlices``).

    Examples
    --------
    >>> gather(Tensor([10.0, 20.0, 30.0]), [2, 0]).numpy()
    array([30., 10.], dtype=float32)
    >>> gather(Tensor([[1.0, 2.0], [3.0, 4.0]]), [1], axis=1).numpy()
    array([[2.],
           [4.]], dtype=float32)
    """
    if batch_dims != 0:
        raise NotImplementedError(
            f"gather supports batch_dims=0 only. Received: batch_dims={batch_dims!r}"
        )
    x = as_tensor(params)
    idx = _indices(indices, "GatherV2")
    axis = _check_axis(0 if axis is None else _int_axis(axis), x.ndim, "gather")
    n = x.data.shape[axis]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        pos = ",".join(str(i) for i in where) if where else ""
        raise InvalidArgumentError(
            f"indices[{pos}] = {int(idx[where])} is not in [0, {n}) [Op:GatherV2]"
        )
    return Gather.apply(x, indices=idx.astype(np.intp, copy=False), axis=axis)


def _value_dtype(value):
    return None if value is None else to_array(value).dtype


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot rows: ``on_value`` (1) at each index along a new ``axis`` (last by default),
    ``off_value`` (0) elsewhere, all-off for an index outside ``[0, depth)``. The dtype is
    ``dtype``, else that of ``on_value``/``off_value``, else float32 (TensorFlow's rules).

    Examples
    --------
    >>> one_hot([0, 2, -1], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    idx = _indices(indices, "OneHot")
    depth = _int_axis(depth, "depth")
    if depth < 0:
        raise InvalidArgumentError(f"depth must be non-negative, got: {depth} [Op:OneHot]")
    if dtype is not None:
        out = dtypes.as_dtype(dtype).dtype
    else:
        out = _value_dtype(on_value) or _value_dtype(off_value) or np.dtype(np.float32)
    on = np.asarray(1 if on_value is None else to_array(on_value, out), out)
    off = np.asarray(0 if off_value is None else to_array(off_value, out), out)
    hot = np.where(idx[..., None] == np.arange(depth), on, off).astype(out, copy=False)
    if axis is not None and int(axis) != -1:
        hot = np.moveaxis(hot, -1, _check_axis(int(axis), idx.ndim + 1, "one_hot"))
    return Tensor._from_op(hot, None)


def tile(input, multiples, name=None) -> Tensor:  # noqa: A002
    """``input`` repeated ``multiples[i]`` times along axis ``i`` (TensorFlow's ``tf.tile``).

    Examples
    --------
    >>> tile(Tensor([[1.0, 2.0]]), [2, 1]).numpy()
    array([[1., 2.],
           [1., 2.]], dtype=float32)
    """
    x = as_tensor(input)
    if isinstance(multiples, Tensor):
        multiples = multiples.data
    mult = tuple(int(m) for m in np.atleast_1d(multiples))
    if len(mult) != x.ndim or any(m < 0 for m in mult):
        raise InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {x.ndim} of non-negative "
            f"ints but got {list(mult)} [Op:Tile]"
        )
    return Tile.apply(x, multiples=mult)


def where(condition, x=None, y=None, name=None) -> Tensor:
    """With ``condition`` only: the coordinates of its true (non-zero) elements, an int64
    tensor of shape ``(count, rank)``. With ``x`` and ``y``: ``x`` where ``condition`` holds,
    else ``y``, all three broadcast (TensorFlow 2's ``tf.where``); differentiable with respect
    to ``x`` and ``y``, the branch not taken receiving zeros.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> where(constant([[True, False], [False, True]])).numpy()
    array([[0, 0],
           [1, 1]])
    >>> where(constant([True, False]), Tensor([1.0, 2.0]), 0.0).numpy()
    array([1., 0.], dtype=float32)
    """
    cond = as_tensor(condition)
    if x is None and y is None:
        return Tensor._from_op(np.argwhere(cond.data).astype(np.int64), None)
    if x is None or y is None:
        raise ValueError("tf.where needs both `x` and `y`, or neither.")
    if cond.data.dtype.kind != "b":
        raise InvalidArgumentError(
            f"cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor "
            f"but is a {cond.dtype.name} tensor [Op:SelectV2]"
        )
    x, y = operands(x, y, "SelectV2")
    try:
        np.broadcast_shapes(cond.data.shape, x.data.shape, y.data.shape)
    except ValueError:
        raise InvalidArgumentError(
            f"condition {_dims(cond.data.shape)}, then {_dims(x.data.shape)}, and else "
            f"{_dims(y.data.shape)} must be broadcastable [Op:SelectV2]"
        ) from None
    return Select.apply(x, y, condition=cond.data)


def clip_by_value(t, clip_value_min, clip_value_max, name=None) -> Tensor:
    """``t`` clipped to ``[clip_value_min, clip_value_max]``, composed as TensorFlow composes
    it (a minimum, then a maximum): at a bound the gradient still flows to ``t``.

    Examples
    --------
    >>> clip_by_value(Tensor([-2.0, 0.5, 3.0]), -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    t = as_tensor(t)
    try:
        return maximum(minimum(t, clip_value_max), clip_value_min)
    except InvalidArgumentError as e:
        if "Incompatible shapes" in str(e):
            raise InvalidArgumentError(
                f"clip_by_value: the bounds must broadcast to the shape of `t` "
                f"{_dims(t.data.shape)} [Op:ClipByValue]"
            ) from None
        raise


def confusion_matrix(
    labels, predictions, num_classes=None, weights=None, dtype="int32", name=None
) -> Tensor:
    """Counts (or summed ``weights``) of each (label, prediction) pair: row = true class,
    column = predicted class (TensorFlow's ``tf.math.confusion_matrix``). ``num_classes``
    defaults to one more than the largest label or prediction. Not differentiable (TensorFlow
    differentiates float ``weights``; here they are constants).

    Examples
    --------
    >>> confusion_matrix([0, 1, 2], [0, 2, 2]).numpy()
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 1]], dtype=int32)
    """
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels).reshape(-1)
    p = np.asarray(predictions.data if isinstance(predictions, Tensor) else predictions)
    p = p.reshape(-1)
    if y.shape != p.shape:
        raise ValueError(
            f"`labels` and `predictions` must have the same number of elements. Received: "
            f"{y.size} labels and {p.size} predictions."
        )
    for values, label in ((y, "labels"), (p, "predictions")):
        if values.size and values.min() < 0:
            raise InvalidArgumentError(f"`{label}` contains negative values.")
    y, p = y.astype(np.int64), p.astype(np.int64)
    largest = max(y.max(initial=-1), p.max(initial=-1))
    n = int(num_classes) if num_classes is not None else int(largest) + 1
    for values, label in ((y, "labels"), (p, "predictions")):
        if values.size and values.max() >= n:
            raise InvalidArgumentError(
                f"`{label}` out of bound: the largest is {int(values.max())}, num_classes={n}."
            )
    out_dtype = dtypes.as_dtype(dtype).dtype
    w = np.ones(y.size) if weights is None else np.asarray(_from_tensor(weights)).reshape(-1)
    matrix = np.zeros((n, n), dtype=np.float64)
    np.add.at(matrix, (y, p), w)
    return Tensor._from_op(matrix.astype(out_dtype), None)


def _from_tensor(value):
    return value.data if isinstance(value, Tensor) else value
