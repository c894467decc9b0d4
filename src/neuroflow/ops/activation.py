"""Activation primitives. Each saves the cheaper of its input or output for backward.

The array-level helpers :func:`sigmoid_array`, :func:`softmax_array` and
:func:`log_softmax_array` are the one place these formulas are written; the primitives
here, the fused losses in :mod:`neuroflow.ops.loss` and the metrics all call them.
"""

from __future__ import annotations

import numpy as np

from neuroflow.tensor import ActivationSource, Function, Tensor

__all__ = [
    "elu", "leaky_relu", "log_softmax", "log_softmax_array", "relu", "sigmoid", "sigmoid_array",
    "softmax", "softmax_array", "softplus", "step", "tanh",
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


def relu(x) -> Tensor:
    return ReLU.apply(x)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x, alpha: float = 1.0) -> Tensor:
    return ELU.apply(x, alpha=alpha)


def sigmoid(x) -> Tensor:
    return Sigmoid.apply(x)


def tanh(x) -> Tensor:
    return Tanh.apply(x)


def softplus(x) -> Tensor:
    return Softplus.apply(x)


def softmax(x, axis: int = -1) -> Tensor:
    return Softmax.apply(x, axis=axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    return LogSoftmax.apply(x, axis=axis)


def step(x, threshold: float = 0.0) -> Tensor:
    return Step.apply(x, threshold=threshold)
