"""neat-python's activation functions, each with a NumPy twin for compiled networks.

The scalar functions are neat-python's (``sigmoid`` is its scaled ``1 / (1 + exp(-5 z))``
with ``5 z`` clamped to [-60, 60]); :data:`VECTORIZED` holds the same formulas on arrays,
which :mod:`neuroflow.neat.nn` uses to evaluate a batch of inputs (or a whole population)
at once. A function added with :meth:`ActivationFunctionSet.add` without a NumPy twin is
applied element by element.

>>> from neuroflow.neat.activations import sigmoid_activation, VECTORIZED
>>> import numpy as np
>>> sigmoid_activation(0.2) == float(VECTORIZED["sigmoid"](np.array([0.2]))[0])
True
"""

from __future__ import annotations

import math
import types

import numpy as np

__all__ = ["ActivationFunctionSet", "InvalidActivationFunction", "VECTORIZED"]


def sigmoid_activation(z):
    z = max(-60.0, min(60.0, 5.0 * z))
    return 1.0 / (1.0 + math.exp(-z))


def tanh_activation(z):
    z = max(-60.0, min(60.0, 2.5 * z))
    return math.tanh(z)


def sin_activation(z):
    z = max(-60.0, min(60.0, 5.0 * z))
    return math.sin(z)


def gauss_activation(z):
    z = max(-3.4, min(3.4, z))
    return math.exp(-5.0 * z**2)


def relu_activation(z):
    return z if z > 0.0 else 0.0


def elu_activation(z):
    return z if z > 0.0 else math.exp(z) - 1


def lelu_activation(z):
    return z if z > 0.0 else 0.005 * z


_SELU_LAMBDA = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def selu_activation(z):
    return _SELU_LAMBDA * z if z > 0.0 else _SELU_LAMBDA * _SELU_ALPHA * (math.exp(z) - 1)


def softplus_activation(z):
    z = max(-60.0, min(60.0, 5.0 * z))
    return 0.2 * math.log(1 + math.exp(z))


def identity_activation(z):
    return z


def clamped_activation(z):
    return max(-1.0, min(1.0, z))


def inv_activation(z):
    try:
        return 1.0 / z
    except ArithmeticError:  # neat-python answers 0 for 1/0
        return 0.0


def log_activation(z):
    return math.log(max(1e-7, z))


def exp_activation(z):
    return math.exp(max(-60.0, min(60.0, z)))


def abs_activation(z):
    return abs(z)


def hat_activation(z):
    return max(0.0, 1 - abs(z))


def square_activation(z):
    return z**2


def cube_activation(z):
    return z**3


def _inv(z):
    out = np.zeros_like(z)
    np.divide(1.0, z, out=out, where=z != 0)
    return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(5.0 * z, -60.0, 60.0)))


def _elu(z):
    return np.where(z > 0.0, z, np.exp(np.minimum(z, 0.0)) - 1)  # as neat-python: not expm1


def _selu(z):
    neg = _SELU_LAMBDA * _SELU_ALPHA * (np.exp(np.minimum(z, 0.0)) - 1)
    return np.where(z > 0.0, _SELU_LAMBDA * z, neg)


def _tanh(z):
    return np.tanh(np.clip(2.5 * z, -60.0, 60.0))


def _sin(z):
    return np.sin(np.clip(5.0 * z, -60.0, 60.0))


def _gauss(z):
    return np.exp(-5.0 * np.clip(z, -3.4, 3.4) ** 2)


def _relu(z):
    return np.where(z > 0.0, z, 0.0)


def _lelu(z):
    return np.where(z > 0.0, z, 0.005 * z)


def _softplus(z):
    return 0.2 * np.log(1 + np.exp(np.clip(5.0 * z, -60.0, 60.0)))


def _identity(z):
    return z


def _clamped(z):
    return np.clip(z, -1.0, 1.0)


def _log(z):
    return np.log(np.maximum(1e-7, z))


def _exp(z):
    return np.exp(np.clip(z, -60.0, 60.0))


def _hat(z):
    return np.maximum(0.0, 1 - np.abs(z))


def _square(z):
    return z**2


def _cube(z):
    return z**3


#: name -> NumPy function of an array, equal to the scalar function element by element.
VECTORIZED = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "sin": _sin,
    "gauss": _gauss,
    "relu": _relu,
    "elu": _elu,
    "lelu": _lelu,
    "selu": _selu,
    "softplus": _softplus,
    "identity": _identity,
    "clamped": _clamped,
    "inv": _inv,
    "log": _log,
    "exp": _exp,
    "abs": np.abs,
    "hat": _hat,
    "square": _square,
    "cube": _cube,
}


class InvalidActivationFunction(TypeError):
    """Not a one-argument function, or a name that is not registered."""


def validate_activation(function) -> None:
    if not isinstance(function, (types.BuiltinFunctionType, types.FunctionType)):
        raise InvalidActivationFunction(
            f"Expected an activation function to be a function object. Received: {function!r}"
        )
    if function.__code__.co_argcount != 1:
        raise InvalidActivationFunction(
            f"Expected an activation function of one argument. Received: {function.__name__} "
            f"taking {function.__code__.co_argcount}"
        )


class ActivationFunctionSet:
    """The activation functions a genome's nodes may use, by name (neat-python's registry)."""

    def __init__(self):
        self.functions = {}
        self.vectorized = {}
        for name in VECTORIZED:
            self.add(name, globals()[f"{name}_activation"])

    def add(self, name: str, function, vectorized=None) -> None:
        """Registers ``function`` (one float -> float); ``vectorized`` is its array twin."""
        validate_activation(function)
        self.functions[name] = function
        builtin = globals().get(f"{name}_activation")
        if vectorized is None and function is builtin:
            vectorized = VECTORIZED[name]
        self.vectorized[name] = vectorized

    def get(self, name: str):
        f = self.functions.get(name)
        if f is None:
            raise InvalidActivationFunction(
                f"No such activation function: {name!r}. Expected one of: "
                f"{', '.join(sorted(self.functions))}"
            )
        return f

    def get_vectorized(self, name: str):
        """The array version of ``name`` (element by element for a function without one)."""
        self.get(name)
        v = self.vectorized.get(name)
        if v is None:
            v = np.frompyfunc(self.functions[name], 1, 1)
            return lambda z: v(z).astype(np.float64)
        return v

    def is_valid(self, name: str) -> bool:
        return name in self.functions
