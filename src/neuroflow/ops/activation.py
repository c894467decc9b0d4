"""Activation primitives. Each saves the cheaper of its input or output for backward."""

from __future__ import annotations

import numpy as np

from neuroflow.tensor import Function, Tensor


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
        # exp of a non-positive number only, so large |x| never overflows
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

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
        return (grad * Sigmoid().forward(self.x),)


class Softmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.y = e
        return e

    def backward(self, grad):
        y = self.y
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
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
