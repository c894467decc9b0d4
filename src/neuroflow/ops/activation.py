"""Activation primitives. Each saves the cheaper of its input or output for backward.

The array-level helpers :func:`sigmoid_array`, :func:`softmax_array` and
:func:`log_softmax_array` are the one place these formulas are written; the primitives
here, the fused losses in :mod:`neuroflow.ops.loss` and the metrics all call them.
"""

from __future__ import annotations

import numpy as np

from neuroflow.ops.math import as_tensor, floating
from neuroflow.tensor import ActivationSource, Function, Tensor

__all__ = [
    "elu", "leaky_relu", "log_softmax", "log_softmax_array", "relu", "relu6", "sigmoid",
    "sigmoid_array", "softmax", "softmax_array", "softplus", "step", "tanh",
]  # fmt: skip


# ------------------------------------------------------------------ array-level helpers


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` of an ndarray, in its dtype, never overflowing for large ``|x|``.

    Examples
    --------
    >>> sigmoid_array(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    e = np.exp(-np.abs(x))  # exp of a non-positive number only
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``axis`` of an ndarray, shifted by the max for stability.

    Examples
    --------
    >>> softmax_array(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(softmax(x))`` along ``axis`` of an ndarray, by a stable log-sum-exp.

    Examples
    --------
    >>> np.exp(log_softmax_array(np.array([[0.0, np.log(3.0)]])))
    array([[0.25, 0.75]])
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ----------------------------------------------------------------------- primitives


class ReLU(Function):
    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, grad):
        return (grad * (self.y > 0),)


class ReLU6(Function):
    """``min(max(x, 0), 6)``; the gradient is 0 at both corners, as in TensorFlow."""

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return np.clip(x, 0, 6)

    def backward(self, grad):
        return (grad * self.inside,)


class LeakyReLU(Function):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise."""

    def forward(self, x, negative_slope=0.2):
        self.positive = x > 0
        self.slope = negative_slope
        return np.where(self.positive, x, x * np.asarray(negative_slope, x.dtype))

    def backward(self, grad):
        return (np.where(self.positive, grad, grad * np.asarray(self.slope, grad.dtype)),)


class ELU(Function):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    def forward(self, x, alpha=1.0):
        self.positive = x > 0
        self.alpha = np.asarray(alpha, x.dtype)
        self.y = np.where(self.positive, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.y

    def backward(self, grad):
        # d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha
        return (np.where(self.positive, grad, grad * (self.y + self.alpha)),)


class Sigmoid(Function):
    def forward(self, x):
        self.y = sigmoid_array(x)
        return self.y

    def activation_source(self):
        return ActivationSource("sigmoid", self.parents[0], None)

    def backward(self, grad):
        y = self.y
        return (grad * y * (1 - y),)


class Tanh(Function):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad):
        return (grad * (1 - self.y * self.y),)


class Softplus(Function):
    """``log(1 + exp(x))``, computed without overflow."""

    def forward(self, x):
        self.x = x
        return np.logaddexp(x, 0).astype(x.dtype, copy=False)

    def backward(self, grad):
        return (grad * sigmoid_array(self.x),)


class Softmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = softmax_array(x, axis)
        return self.y

    def activation_source(self):
        return ActivationSource("softmax", self.parents[0], self.axis)

    def backward(self, grad):
        y = self.y
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        self.y = log_softmax_array(x, axis)
        return self.y

    def backward(self, grad):
        return (grad - np.exp(self.y) * grad.sum(axis=self.axis, keepdims=True),)


class Step(Function):
    """Heaviside step ``1 if x >= threshold else 0`` (the classic perceptron output).

    Its derivative is zero almost everywhere, so nothing trained by gradient descent
    learns through it: use it for the perceptron rule, not for backpropagation.
    """

    def forward(self, x, threshold=0.0):
        self.shape, self.dtype = x.shape, x.dtype
        return (x >= threshold).astype(x.dtype)

    def backward(self, grad):
        return (np.zeros(self.shape, self.dtype),)


def relu(features, name=None) -> Tensor:
    """``max(features, 0)`` (integers too); the gradient at 0 is 0, as in TensorFlow."""
    return ReLU.apply(features if isinstance(features, Tensor) else as_tensor(features))


def relu6(features, name=None) -> Tensor:
    """``min(max(features, 0), 6)`` (TensorFlow's ``tf.nn.relu6``).

    Examples
    --------
    >>> relu6(Tensor([-1.0, 3.0, 8.0])).numpy()
    array([0., 3., 6.], dtype=float32)
    """
    return ReLU6.apply(as_tensor(features))


def leaky_relu(features, negative_slope: float = 0.2, name=None, *, alpha=None) -> Tensor:
    """``features`` where positive, ``negative_slope * features`` elsewhere; ``alpha`` is
    TensorFlow's name for the slope (``tf.nn.leaky_relu(features, alpha=0.2)``). Integer
    input is computed in float32, as TensorFlow does."""
    x = as_tensor(features)
    if x.data.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float32), None)
    slope = negative_slope if alpha is None else alpha
    return LeakyReLU.apply(x, negative_slope=slope)


def elu(features, alpha: float = 1.0, name=None) -> Tensor:
    """``features`` where positive, ``alpha * (exp(features) - 1)`` elsewhere."""
    return ELU.apply(floating(features, "Elu"), alpha=alpha)


def sigmoid(x, name=None) -> Tensor:
    """``1 / (1 + exp(-x))`` of a float tensor."""
    return Sigmoid.apply(floating(x, "Sigmoid"))


def tanh(x, name=None) -> Tensor:
    """Hyperbolic tangent of a float tensor."""
    return Tanh.apply(floating(x, "Tanh"))


def softplus(features, name=None) -> Tensor:
    """``log(1 + exp(features))`` of a float tensor, without overflow."""
    return Softplus.apply(floating(features, "Softplus"))


def softmax(logits, axis=-1, name=None) -> Tensor:
    """``exp(logits) / sum(exp(logits))`` along ``axis`` (the last when None).

    Examples
    --------
    >>> softmax(Tensor([[0.0, np.log(3.0)]])).numpy()
    array([[0.25, 0.75]], dtype=float32)
    """
    return Softmax.apply(floating(logits, "Softmax"), axis=-1 if axis is None else int(axis))


def log_softmax(logits, axis=-1, name=None) -> Tensor:
    """``log(softmax(logits))`` along ``axis`` (the last when None), computed stably."""
    return LogSoftmax.apply(floating(logits, "LogSoftmax"), axis=-1 if axis is None else int(axis))


def step(x, threshold: float = 0.0) -> Tensor:
    return Step.apply(x, threshold=threshold)
