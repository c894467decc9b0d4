"""Activation functions by name, as Keras resolves ``activation="relu"``.

Each takes and returns a :class:`~neuroflow.tensor.Tensor` (NumPy arrays are accepted).

Examples
--------
>>> import numpy as np
>>> relu(np.array([-1.0, 2.0])).numpy()
array([0., 2.])
"""

from __future__ import annotations

from neuroflow import ops
from neuroflow._registry import resolve
from neuroflow.tensor import Tensor


def linear(x):
    """The identity (Keras's default: no activation)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(x):
    """``max(0, x)``."""
    return ops.relu(x)


def leaky_relu(x, negative_slope: float = 0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras's default slope is 0.2)."""
    return ops.leaky_relu(x, negative_slope)


def elu(x, alpha: float = 1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return ops.elu(x, alpha)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid ``relu6(x + 3) / 6``: 0 below -3, 1 above 3."""
    return ops.relu6(x + 3.0) / 6.0


def softplus(x):
    """``log(1 + exp(x))``."""
    return ops.softplus(x)


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(x, axis)


def step(x, threshold: float = 0.0):
    """Heaviside step, 1 where ``x >= threshold`` else 0.

    The perceptron's output function. Its gradient is zero, so a network using it is
    not trainable by backpropagation; :class:`neuroflow.sklearn.Perceptron` trains it with
    the perceptron / Adaline rule instead.
    """
    return ops.step(x, threshold)


_ACTIVATIONS = {
    None: linear,
    "linear": linear,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "softplus": softplus,
    "softmax": softmax,
    "step": step,
}


def get(identifier):
    """Returns the activation function for a name, a callable or None (linear)."""
    if callable(identifier):
        return identifier
    if identifier is None or isinstance(identifier, str):
        return resolve(identifier, _ACTIVATIONS, "activation function", "activation")
    raise TypeError(
        "Expected `activation` to be a string, a callable or None. "
        f"Received: activation={identifier!r} of type {type(identifier).__name__}."
    )


def serialize(activation) -> str:
    """The registered name of an activation function (for configs and summaries)."""
    for name, fn in _ACTIVATIONS.items():
        if fn is activation and name is not None:
            return name
    return getattr(activation, "__name__", repr(activation))
