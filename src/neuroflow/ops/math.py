"""Elementwise arithmetic, reductions, shape changes and matmul.

Binary ops broadcast like NumPy; their gradients are summed back to each input's shape
in one place, :func:`unbroadcast`.
"""

from __future__ import annotations

import numpy as np

from neuroflow import threads
from neuroflow.tensor import Function, Tensor


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
        return np.asarray(x.sum(axis=axis, keepdims=keepdims))

    def backward(self, grad):
        if self.axis is not None and not self.keepdims:
            grad = np.expand_dims(grad, self.axis)
        return (np.broadcast_to(grad, self.shape).copy(),)


class Max(Function):
    """Max over an axis; ties share the gradient equally."""

    def forward(self, x, axis=None, keepdims=False):
        out = np.max(x, axis=axis, keepdims=True)
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


# ------------------------------------------------------------------ functional forms


def add(a, b) -> Tensor:
    return Add.apply(a, b)


def sub(a, b) -> Tensor:
    return Sub.apply(a, b)


def mul(a, b) -> Tensor:
    return Mul.apply(a, b)


def div(a, b) -> Tensor:
    return Div.apply(a, b)


def neg(x) -> Tensor:
    return Neg.apply(x)


def pow(x, exponent: float) -> Tensor:  # noqa: A001  (mirrors torch.pow)
    if isinstance(exponent, Tensor):
        raise TypeError("pow supports a constant exponent only. Received: a Tensor.")
    return Pow.apply(x, exponent=exponent)


def exp(x) -> Tensor:
    return Exp.apply(x)


def log(x) -> Tensor:
    return Log.apply(x)


def abs(x) -> Tensor:  # noqa: A001
    return Abs.apply(x)


def squared_norm(x) -> Tensor:
    return SquaredNorm.apply(x)


def matmul(a, b) -> Tensor:
    return MatMul.apply(a, b)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Composed from :func:`sum`; needs no backward of its own."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    shape = x.shape
    axes = range(len(shape)) if axis is None else np.atleast_1d(axis)
    count = int(np.prod([shape[a] for a in axes]))
    return sum(x, axis=axis, keepdims=keepdims) * (1.0 / count)


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)


def reshape(x, shape) -> Tensor:
    return Reshape.apply(x, shape=tuple(shape))


def transpose(x, axes=None) -> Tensor:
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def getitem(x, index) -> Tensor:
    return GetItem.apply(x, index=index)


def concatenate(tensors, axis: int = -1) -> Tensor:
    return Concatenate.apply(*tensors, axis=axis)
