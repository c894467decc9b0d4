"""Elementwise arithmetic, reductions, shape changes and matmul.

Binary ops broadcast like NumPy; their gradients are summed back to each input's shape
in one place, :func:`unbroadcast`. The functional forms follow TensorFlow's dtype rules: a
Python number takes the other operand's dtype (``int32 tensor * 2`` stays int32), integer
tensors keep their dtype through sums and products, and operands of different kinds
(integer and float) or shapes that do not broadcast are an ``InvalidArgumentError``.
"""

from __future__ import annotations

import builtins

import numpy as np

from neuroflow import threads
from neuroflow.errors import InvalidArgumentError
from neuroflow.tensor import Function, Tensor, to_array


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sums ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        a, b = self.a, self.b
        da = unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None
        db = unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None
        return da, db


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        a, b = self.a, self.b
        da = unbroadcast(grad / b, a.shape) if self.needs_input_grad[0] else None
        db = unbroadcast(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return da, db


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """``x ** p`` for a constant exponent ``p``."""

    def forward(self, x, exponent):
        self.x, self.exponent = x, exponent
        return x**exponent

    def backward(self, grad):
        p = self.exponent
        return (grad * p * self.x ** (p - 1),)


class Exp(Function):
    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, grad):
        return (grad * self.y,)


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.x,)


class Abs(Function):
    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, grad):
        return (grad * self.sign,)


class SquaredNorm(Function):
    """``sum(x ** 2)``: one BLAS dot forward, one pass backward (an L2 penalty's cost)."""

    def forward(self, x):
        self.x = x
        flat = x.reshape(-1)
        return np.asarray(np.dot(flat, flat), dtype=x.dtype)

    def backward(self, grad):
        return (self.x * (2 * grad),)


class MatMul(Function):
    def forward(self, a, b):
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(
                f"matmul expects two 2-D arrays. Received shapes {a.shape} and {b.shape}."
            )
        self.a, self.b = a, b
        return threads.matmul(a, b)

    def backward(self, grad):
        da = threads.matmul(grad, self.b.T) if self.needs_input_grad[0] else None
        db = threads.matmul(self.a.T, grad) if self.needs_input_grad[1] else None
        return da, db


class Sum(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        dtype = x.dtype if x.dtype.kind in "iu" else None  # NumPy would widen int32 to int64
        return np.asarray(x.sum(axis=axis, keepdims=keepdims, dtype=dtype))

    def backward(self, grad):
        if self.axis is not None and not self.keepdims:
            grad = np.expand_dims(grad, self.axis)
        return (np.broadcast_to(grad, self.shape).copy(),)


class Max(Function):
    """Max over an axis; ties share the gradient equally (TensorFlow's rule)."""

    reduce = staticmethod(np.max)

    def forward(self, x, axis=None, keepdims=False):
        out = self.reduce(x, axis=axis, keepdims=True)
        self.mask = x == out
        self.axis, self.keepdims = axis, keepdims
        return np.asarray(out if keepdims else np.squeeze(out, axis=axis))

    def backward(self, grad):
        if not self.keepdims:
            grad = np.expand_dims(grad, self.axis) if self.axis is not None else grad
        count = self.mask.sum(axis=self.axis, keepdims=True)
        return (self.mask * (grad / count),)


class Reshape(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return (grad.reshape(self.shape),)


class Transpose(Function):
    def forward(self, x, axes=None):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, grad):
        inverse = None if self.axes is None else tuple(np.argsort(self.axes))
        return (np.transpose(grad, inverse),)


class GetItem(Function):
    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=self.dtype)
        np.add.at(out, self.index, grad)  # add.at so repeated fancy indices accumulate
        return (out,)


class Concatenate(Function):
    def forward(self, *arrays, axis=-1):
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.axis))


class Min(Max):
    """Min over an axis; ties share the gradient equally (TensorFlow's rule)."""

    reduce = staticmethod(np.min)


class Prod(Function):
    """Product over axes. The gradient of each element is the product of the others,
    from exclusive cumulative products on both sides, so zeros need no division."""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        dtype = x.dtype if x.dtype.kind in "iu" else None
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype))

    def backward(self, grad):
        x = self.x
        axes = tuple(range(x.ndim)) if self.axis is None else self.axis
        axes = tuple(sorted(a % x.ndim for a in np.atleast_1d(axes)))
        if not self.keepdims:
            grad = np.expand_dims(grad, axes)
        kept = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, kept + list(axes))
        flat = moved.reshape(moved.shape[: len(kept)] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = np.transpose((left * right).reshape(moved.shape), np.argsort(kept + list(axes)))
        return (others * grad,)


class Square(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return (grad * (2 * self.x),)


class Sqrt(Function):
    """``sqrt(x)``; its gradient ``0.5 / sqrt(x)`` is inf at 0, as in TensorFlow."""

    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * 0.5 / self.y,)


class Sign(Function):
    """``sign(x)``: its gradient is zero everywhere (TensorFlow returns zeros, not None)."""

    def forward(self, x):
        self.shape = x.shape
        return np.sign(x)

    def backward(self, grad):
        return (np.zeros(self.shape, grad.dtype),)


class Power(Function):
    """``x ** y`` with a tensor exponent; ``d/dy = x**y log(x)``, taken as 0 where ``x <= 0``
    (TensorFlow's convention: no real logarithm there)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = np.power(x, y)
        return self.z

    def backward(self, grad):
        x, y = self.x, self.y
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                dx = unbroadcast(grad * y * np.power(x, y - 1), x.shape)
            if self.needs_input_grad[1]:
                positive = x > 0
                log_x = np.where(positive, np.log(np.where(positive, x, 1)), 0).astype(x.dtype)
                dy = unbroadcast(grad * self.z * log_x, y.shape)
        return dx, dy


class Mod(Function):
    """Floor modulo (Python's ``%``, the sign of the divisor), as TensorFlow's ``floormod``;
    ``d/dx = 1``, ``d/dy = -floor(x / y)``."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.mod(x, y)

    def backward(self, grad):
        x, y = self.x, self.y
        dx = unbroadcast(grad, x.shape) if self.needs_input_grad[0] else None
        dy = (
            unbroadcast(-grad * np.floor_divide(x, y), y.shape)
            if self.needs_input_grad[1]
            else None
        )
        return dx, dy


class DivNoNan(Function):
    """``x / y``, and 0 where ``y == 0`` (gradients there are 0 too)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        self.zero = y == 0
        safe = np.where(self.zero, 1, y)
        return np.where(self.zero, 0, x / safe).astype(np.result_type(x, y), copy=False)

    def backward(self, grad):
        x, y, zero = self.x, self.y, self.zero
        safe = np.where(zero, 1, y)
        dx = dy = None
        if self.needs_input_grad[0]:
            dx = unbroadcast(np.where(zero, 0, grad / safe), x.shape)
        if self.needs_input_grad[1]:
            dy = unbroadcast(np.where(zero, 0, -grad * x / (safe * safe)), y.shape)
        return dx, dy


class BatchMatMul(Function):
    """``a @ b`` over stacks of matrices whose batch axes broadcast (TensorFlow's
    ``BatchMatMulV2``); the gradients are summed back over broadcast batch axes."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return threads.matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        da = unbroadcast(np.matmul(grad, np.swapaxes(b, -1, -2)), a.shape)
        db = unbroadcast(np.matmul(np.swapaxes(a, -1, -2), grad), b.shape)
        return da, db


# ------------------------------------------------------------------ functional forms

_PY_NUMBERS = (int, float)  # bool is an int


def _dims(shape) -> str:
    """A shape as TensorFlow writes it in messages: ``[2,3]``."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def as_tensor(value) -> Tensor:
    """``value`` unchanged if it is a Tensor, else converted by TensorFlow's rules (Python
    floats become float32, ints int32; NumPy arrays keep their dtype)."""
    return value if isinstance(value, Tensor) else Tensor._from_op(to_array(value), None)


def _like(value, other: Tensor) -> Tensor:
    """A non-tensor operand as a tensor of ``other``'s dtype (TensorFlow converts the second
    operand of a binary op to the first one's dtype; a Python float refuses an integer one)."""
    dtype = other.data.dtype
    if isinstance(value, _PY_NUMBERS):
        if isinstance(value, float) and dtype.kind != "f":
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
        return Tensor._from_op(np.asarray(value, dtype), None)
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind == dtype.kind:
            return Tensor._from_op(np.asarray(value), None)
        return Tensor(value)  # integer and boolean masks from NumPy code become float32
    return Tensor._from_op(to_array(value, dtype), None)


def operands(x, y, op: str) -> tuple[Tensor, Tensor]:
    """The two operands of a binary op as tensors of one kind of dtype (TensorFlow's rules);
    an integer with a float tensor is TensorFlow's ``InvalidArgumentError``."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            if x.data.dtype.kind != y.data.dtype.kind:
                raise InvalidArgumentError(
                    f"cannot compute {op} as input #1(zero-based) was expected to be a "
                    f"{x.dtype.name} tensor but is a {y.dtype.name} tensor [Op:{op}]"
                )
            return x, y
        return x, _like(y, x)
    if isinstance(y, Tensor):
        return _like(x, y), y
    x = as_tensor(x)
    return x, _like(y, x)


def binary(fn: type[Function], x, y, op: str) -> Tensor:
    """``fn`` applied to ``x`` and ``y`` made operands by TensorFlow's rules (:func:`operands`),
    with TensorFlow's error when their shapes do not broadcast; ``op`` is TensorFlow's op name
    for the messages."""
    x, y = operands(x, y, op)
    return apply_pair(fn, x, y, op)


def apply_pair(fn: type[Function], x: Tensor, y: Tensor, op: str) -> Tensor:
    """``fn.apply(x, y)`` for prepared operands, TensorFlow's error for unbroadcastable shapes."""
    try:
        return fn.apply(x, y)
    except ValueError as e:
        raise incompatible(x, y, op, e) from None


def incompatible(x: Tensor, y: Tensor, op: str, error: Exception) -> Exception:
    """TensorFlow's error for operands whose shapes do not broadcast (else ``error``)."""
    try:
        np.broadcast_shapes(x.data.shape, y.data.shape)
    except ValueError:
        return InvalidArgumentError(
            f"Incompatible shapes: {_dims(x.data.shape)} vs. {_dims(y.data.shape)} [Op:{op}]"
        )
    return error


def floating(x, op: str) -> Tensor:
    """``x`` as a tensor, which must hold floats: TensorFlow's error for ``sqrt``, ``exp``,
    ``log``... of an integer tensor."""
    if isinstance(x, Tensor) and x.data.dtype.kind == "f":
        return x
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        raise InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: "
            f"float16, float32, float64 [Op:{op}]: {op} needs a floating-point tensor. "
            f"Received: a tensor of dtype {x.dtype.name} (cast it with tf.cast first)."
        )
    return x


def add(x, y, name=None) -> Tensor:
    """``x + y``, broadcast (TensorFlow's ``tf.add``).

    Examples
    --------
    >>> add(Tensor([1.0, 2.0]), 1).numpy()
    array([2., 3.], dtype=float32)
    """
    return binary(Add, x, y, "AddV2")


def sub(x, y, name=None) -> Tensor:
    """``x - y``, broadcast (TensorFlow's ``tf.subtract``)."""
    return binary(Sub, x, y, "Sub")


def mul(x, y, name=None) -> Tensor:
    """``x * y``, broadcast (TensorFlow's ``tf.multiply``)."""
    return binary(Mul, x, y, "Mul")


# true division of integers gives floats: float32 for the small types, float64 for the rest
_TRUEDIV = {
    np.dtype(t): np.dtype(f)
    for t, f in [("int8", "float32"), ("uint8", "float32"), ("int16", "float32"),
                 ("uint16", "float32"), ("int32", "float64"), ("int64", "float64"),
                 ("uint32", "float64"), ("uint64", "float64")]
}  # fmt: skip


def div(x, y, name=None) -> Tensor:
    """``x / y`` (TensorFlow's ``tf.divide``): integers are divided as floats (int32 gives
    float64, as in TensorFlow).

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> div(constant([1, 2]), 2)
    <tf.Tensor: shape=(2,), dtype=float64, numpy=array([0.5, 1. ])>
    """
    x, y = operands(x, y, "RealDiv")
    kind = x.data.dtype.kind
    if kind in "iu":
        to = _TRUEDIV[x.data.dtype]
        x, y = Tensor._from_op(x.data.astype(to), None), Tensor._from_op(y.data.astype(to), None)
    return apply_pair(Div, x, y, "RealDiv")


def divide_no_nan(x, y, name=None) -> Tensor:
    """``x / y``, and 0 wherever ``y`` is 0 (TensorFlow's ``tf.math.divide_no_nan``).

    Examples
    --------
    >>> divide_no_nan(Tensor([1.0, 2.0]), Tensor([0.0, 4.0])).numpy()
    array([0. , 0.5], dtype=float32)
    """
    x, y = operands(x, y, "DivNoNan")
    if x.data.dtype.kind in "iu":
        to = _TRUEDIV[x.data.dtype]
        x, y = Tensor._from_op(x.data.astype(to), None), Tensor._from_op(y.data.astype(to), None)
    return apply_pair(DivNoNan, x, y, "DivNoNan")


def floordiv(x, y, name=None) -> Tensor:
    """``floor(x / y)`` in the operands' dtype (``x // y``). Not differentiable: the tape
    gives None, as TensorFlow's ``FloorDiv`` does.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> floordiv(constant([-3, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([-2,  3], dtype=int32)>
    """
    x, y = operands(x, y, "FloorDiv")
    try:
        return Tensor._from_op(np.asarray(np.floor_divide(x.data, y.data)), None)
    except ValueError as e:
        raise incompatible(x, y, "FloorDiv", e) from None


def mod(x, y, name=None) -> Tensor:
    """Floor modulo ``x % y`` (the result has the divisor's sign), TensorFlow's ``floormod``.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> mod(constant([-3, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 1], dtype=int32)>
    """
    return binary(Mod, x, y, "FloorMod")


def neg(x, name=None) -> Tensor:
    """``-x`` (TensorFlow's ``tf.negative``)."""
    return Neg.apply(as_tensor(x))


def _integer_power_check(x: Tensor, y) -> None:
    if x.data.dtype.kind in "iu" and np.any(np.asarray(y) < 0):
        raise InvalidArgumentError("Integers to negative integer powers are not allowed [Op:Pow]")


def pow(x, y, name=None) -> Tensor:  # noqa: A001  (TensorFlow's and torch's name)
    """``x ** y`` (TensorFlow's ``tf.pow``): ``y`` a number or a tensor (then differentiable
    with respect to both; ``d/dy`` is taken as 0 where ``x <= 0``).

    Examples
    --------
    >>> pow(Tensor([2.0, 3.0]), 2).numpy()
    array([4., 9.], dtype=float32)
    >>> pow(2.0, Tensor([1.0, 3.0])).numpy()
    array([2., 8.], dtype=float32)
    """
    if isinstance(y, _PY_NUMBERS) and isinstance(x, Tensor):
        if x.data.dtype.kind != "f":
            if isinstance(y, float):
                raise TypeError(f"Cannot convert {y!r} to EagerTensor of dtype {x.dtype.name}")
            _integer_power_check(x, y)
        return Pow.apply(x, exponent=y)
    x, y = operands(x, y, "Pow")
    _integer_power_check(x, y.data)
    return apply_pair(Power, x, y, "Pow")


def exp(x, name=None) -> Tensor:
    """``e ** x`` of a float tensor."""
    return Exp.apply(floating(x, "Exp"))


def log(x, name=None) -> Tensor:
    """Natural logarithm of a float tensor."""
    return Log.apply(floating(x, "Log"))


def sqrt(x, name=None) -> Tensor:
    """Square root of a float tensor; the gradient at 0 is inf, as in TensorFlow.

    Examples
    --------
    >>> sqrt(Tensor([4.0, 9.0])).numpy()
    array([2., 3.], dtype=float32)
    """
    return Sqrt.apply(floating(x, "Sqrt"))


def square(x, name=None) -> Tensor:
    """``x * x``, integers included.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> square(constant([2, -3]))
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 9], dtype=int32)>
    """
    return Square.apply(as_tensor(x))


def abs(x, name=None) -> Tensor:  # noqa: A001
    """``|x|``; the gradient at 0 is 0, as in TensorFlow."""
    return Abs.apply(as_tensor(x))


def sign(x, name=None) -> Tensor:
    """-1, 0 or 1 by the sign of each element; its gradient is zeros, as in TensorFlow.

    Examples
    --------
    >>> sign(Tensor([-2.0, 0.0, 3.0])).numpy()
    array([-1.,  0.,  1.], dtype=float32)
    """
    return Sign.apply(as_tensor(x))


def round(x, name=None) -> Tensor:  # noqa: A001  (TensorFlow's name)
    """Rounds half to even (TensorFlow's ``tf.round``); not differentiable (None).

    Examples
    --------
    >>> round(Tensor([0.5, 1.5, 2.6])).numpy()
    array([0., 2., 3.], dtype=float32)
    """
    x = as_tensor(x)
    return Tensor._from_op(np.round(x.data), None)


def squared_norm(x) -> Tensor:
    return SquaredNorm.apply(x)


def _swap_last(x: Tensor) -> Tensor:
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Transpose.apply(x, axes=axes)


def matmul(
    a,
    b,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type=None,
    name=None,
) -> Tensor:
    """Matrix product ``a @ b`` (TensorFlow's ``tf.matmul``): 2-D matrices, or stacks of
    them whose batch axes broadcast; ``transpose_a``/``transpose_b`` (``adjoint_*`` for real
    tensors) transpose the last two axes first.

    Raises
    ------
    InvalidArgumentError
        When an operand has fewer than 2 axes or the inner dimensions differ (both shapes
        named, as TensorFlow does).

    Examples
    --------
    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]])).numpy()
    array([[11.]], dtype=float32)
    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]]), transpose_b=True).numpy()
    array([[11.]], dtype=float32)
    """
    a, b = as_tensor(a), as_tensor(b)
    if transpose_a or adjoint_a:
        a = _swap_last(a) if a.ndim >= 2 else a
    if transpose_b or adjoint_b:
        b = _swap_last(b) if b.ndim >= 2 else b
    ad, bd = a.data, b.data
    if ad.ndim == 2 and bd.ndim == 2 and ad.shape[1] == bd.shape[0]:
        if ad.dtype.kind != bd.dtype.kind:
            operands(a, b, "MatMul")  # raises
        return MatMul.apply(a, b)
    for i, d in enumerate((ad, bd)):
        if d.ndim < 2:
            raise InvalidArgumentError(
                f"In[{i}] ndims must be >= 2 [Op:MatMul]: tf.matmul needs matrices. Received "
                f"shapes {_dims(ad.shape)} and {_dims(bd.shape)}."
            )
    operands(a, b, "MatMul")  # the dtype check
    if ad.shape[-1] != bd.shape[-2]:
        raise InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {_dims(ad.shape)}, In[1]: {_dims(bd.shape)} "
            "[Op:MatMul]"
        )
    try:
        np.broadcast_shapes(ad.shape[:-2], bd.shape[:-2])
    except ValueError:
        raise InvalidArgumentError(
            "In[0] and In[1] must have compatible batch dimensions: "
            f"{_dims(ad.shape)} vs. {_dims(bd.shape)} [Op:BatchMatMulV2]"
        ) from None
    return BatchMatMul.apply(a, b)


def _axis(axis):
    """A reduction's ``axis`` as None, an int or a tuple of ints (from a list or tensor)."""
    if axis is None or isinstance(axis, int):
        return axis
    if isinstance(axis, Tensor):
        axis = axis.data
    values = np.asarray(axis)
    if values.dtype.kind not in "iu":
        raise TypeError(f"Expected `axis` to be an int or a list of ints. Received: axis={axis!r}")
    return int(values) if values.ndim == 0 else tuple(int(a) for a in values.reshape(-1))


def _reducible(x, op: str) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind == "b":
        raise InvalidArgumentError(
            f"Value for attr 'T' of bool is not in the list of allowed values [Op:{op}]: "
            f"{op} needs numbers. Received: a tensor of dtype bool (cast it with tf.cast first)."
        )
    return x


def sum(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (None: all; an int or a list), TensorFlow's ``tf.reduce_sum``;
    integer tensors give sums of their own dtype.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> sum(constant([[1, 2], [3, 4]]), axis=0)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 6], dtype=int32)>
    """
    x = input_tensor if isinstance(input_tensor, Tensor) else _reducible(input_tensor, "Sum")
    if x.data.dtype.kind == "b":
        _reducible(x, "Sum")
    return Sum.apply(x, axis=_axis(axis), keepdims=keepdims)


def mean(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Mean over ``axis`` (TensorFlow's ``tf.reduce_mean``); of an integer tensor, the
    integer quotient truncated toward zero, as TensorFlow computes it. Composed from
    :func:`sum`; needs no backward of its own.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> mean(constant([1, 2]))
    <tf.Tensor: shape=(), dtype=int32, numpy=1>
    """
    x = _reducible(input_tensor, "Mean")
    axis = _axis(axis)
    shape = x.data.shape
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([shape[a] for a in axes]))
    total = sum(x, axis=axis, keepdims=keepdims)
    if x.data.dtype.kind in "iu":
        data = total.data
        quotient = np.abs(data) // builtins.max(count, 1) * np.sign(data)  # C's truncating division
        return Tensor._from_op(np.asarray(quotient, dtype=data.dtype), None)
    return total * (1.0 / count if count else float("nan"))


def max(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:  # noqa: A001
    """Max over ``axis`` (TensorFlow's ``tf.reduce_max``); tied maxima share the gradient."""
    return Max.apply(_reducible(input_tensor, "Max"), axis=_axis(axis), keepdims=keepdims)


def min(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:  # noqa: A001
    """Min over ``axis`` (TensorFlow's ``tf.reduce_min``); tied minima share the gradient.

    Examples
    --------
    >>> min(Tensor([[1.0, -2.0], [3.0, 0.0]]), axis=1).numpy()
    array([-2.,  0.], dtype=float32)
    """
    return Min.apply(_reducible(input_tensor, "Min"), axis=_axis(axis), keepdims=keepdims)


def prod(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Product over ``axis`` (TensorFlow's ``tf.reduce_prod``).

    Examples
    --------
    >>> prod(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1).numpy()
    array([ 2., 12.], dtype=float32)
    """
    return Prod.apply(_reducible(input_tensor, "Prod"), axis=_axis(axis), keepdims=keepdims)


def variance(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Population variance over ``axis`` (TensorFlow's ``tf.math.reduce_variance``);
    composed from :func:`mean`, float tensors only.

    Examples
    --------
    >>> variance(Tensor([1.0, 2.0, 3.0, 4.0])).numpy()
    np.float32(1.25)
    """
    x = as_tensor(input_tensor)
    if x.data.dtype.kind != "f":
        raise TypeError(
            f"Input must be either real or complex. Received integer type {x.dtype}."
            if x.data.dtype.kind in "iu"
            else f"Input must be either real or complex. Received type {x.dtype}."
        )
    axis = _axis(axis)
    centred = x - mean(x, axis=axis, keepdims=True)
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(input_tensor, axis=None, keepdims: bool = False, name=None) -> Tensor:
    """Population standard deviation over ``axis`` (``tf.math.reduce_std``)."""
    return sqrt(variance(input_tensor, axis=axis, keepdims=keepdims))


def _arg_reduce(fn, x, axis, output_type, op: str) -> Tensor:
    x = _reducible(x, op)
    axis = 0 if axis is None else _axis(axis)
    if not isinstance(axis, int):
        raise InvalidArgumentError(
            f"Expected `axis` to be one int for {op}. Received: axis={axis!r}"
        )
    from neuroflow.dtypes import as_dtype  # noqa: PLC0415  (a leaf module; kept local)

    out_dtype = as_dtype(output_type)
    if out_dtype.name not in ("int32", "int64", "int16", "uint16"):
        raise InvalidArgumentError(
            f"Expected `output_type` to be int32 or int64. Received: output_type={output_type!r}"
        )
    return Tensor._from_op(np.asarray(fn(x.data, axis=axis), dtype=out_dtype.dtype), None)


def argmax(input, axis=None, output_type="int64", name=None) -> Tensor:  # noqa: A002
    """Index of the largest value along ``axis`` (0 when None, as in TensorFlow), the first
    one among ties; int64 unless ``output_type`` says int32.

    Examples
    --------
    >>> argmax(Tensor([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    <tf.Tensor: shape=(2,), dtype=int64, numpy=array([1, 0])>
    """
    return _arg_reduce(np.argmax, input, axis, output_type, "ArgMax")


def argmin(input, axis=None, output_type="int64", name=None) -> Tensor:  # noqa: A002
    """Index of the smallest value along ``axis`` (0 when None); int64 by default."""
    return _arg_reduce(np.argmin, input, axis, output_type, "ArgMin")


def reshape(tensor, shape, name=None) -> Tensor:
    """The same values in a new ``shape`` (one axis may be -1), TensorFlow's ``tf.reshape``.

    Examples
    --------
    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), (2, -1)).shape
    TensorShape([2, 2])
    """
    x = as_tensor(tensor)
    if isinstance(shape, Tensor):
        shape = shape.data
    shape = tuple(int(d) for d in np.atleast_1d(shape)) if not isinstance(shape, tuple) else shape
    try:
        return Reshape.apply(x, shape=shape)
    except ValueError:
        wanted = int(np.prod([d for d in shape if d != -1]))
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {x.data.size} values, but the requested shape "
            f"{list(shape)} has {wanted} [Op:Reshape]"
        ) from None


def transpose(a, perm=None, conjugate: bool = False, name=None) -> Tensor:
    """Permutes the axes by ``perm`` (reversed when None), TensorFlow's ``tf.transpose``.

    Examples
    --------
    >>> transpose(Tensor([[1.0, 2.0, 3.0]])).shape
    TensorShape([3, 1])
    """
    a = as_tensor(a)
    if isinstance(perm, Tensor):
        perm = perm.data
    perm = None if perm is None else tuple(int(p) for p in np.atleast_1d(perm))
    rank = builtins.max(a.ndim, 1)
    if perm is not None and sorted(p % rank for p in perm) != list(range(a.ndim)):
        raise InvalidArgumentError(
            f"transpose expects a vector of size {a.ndim}. Received: perm={list(perm)} for a "
            f"tensor of shape {_dims(a.data.shape)}."
        )
    return Transpose.apply(a, axes=perm)


def getitem(x, index) -> Tensor:
    return GetItem.apply(x, index=index)


def concatenate(values, axis: int = -1, name=None) -> Tensor:
    """Joins tensors along an existing ``axis`` (TensorFlow's ``tf.concat``).

    Examples
    --------
    >>> concatenate([Tensor([[1.0]]), Tensor([[2.0]])], axis=0).shape
    TensorShape([2, 1])
    """
    tensors = [as_tensor(v) for v in values]
    if not tensors:
        raise ValueError("concat needs at least one tensor. Received: values=[]")
    kinds = {t.data.dtype.kind for t in tensors}
    if len(kinds) > 1:
        first = tensors[0]
        other = next(t for t in tensors if t.data.dtype.kind != first.data.dtype.kind)
        operands(first, other, "ConcatV2")  # raises TensorFlow's dtype error
    try:
        return Concatenate.apply(*tensors, axis=int(axis))
    except ValueError:
        shapes = " vs. ".join(f"shape[{i}] = {_dims(t.data.shape)}" for i, t in enumerate(tensors))
        raise InvalidArgumentError(
            f"ConcatOp : Dimensions of inputs should match along every axis but {axis}: "
            f"{shapes} [Op:ConcatV2]"
        ) from None


def moments(x, axes, shift=None, keepdims: bool = False, name=None) -> tuple[Tensor, Tensor]:
    """Mean and population variance over ``axes`` (TensorFlow's ``tf.nn.moments``), the
    variance computed around the mean held constant, as TensorFlow does (same gradient).

    Examples
    --------
    >>> m, v = moments(Tensor([1.0, 2.0, 3.0, 4.0]), axes=[0])
    >>> float(m), float(v)
    (2.5, 1.25)
    """
    x = floating(x, "Moments")
    axes = _axis(axes)
    centre = mean(x, axis=axes, keepdims=True)
    fixed = Tensor._from_op(centre.data, None)  # TensorFlow's stop_gradient
    var = mean(square(x - fixed), axis=axes, keepdims=True)
    if not keepdims:
        dropped = range(x.ndim) if axes is None else [a % x.ndim for a in np.atleast_1d(axes)]
        shape = tuple(d for i, d in enumerate(x.data.shape) if i not in dropped)
        centre, var = reshape(centre, shape), reshape(var, shape)
    return centre, var
