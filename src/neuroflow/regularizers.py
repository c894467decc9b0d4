"""Weight penalties added to the loss, as Keras 3 defines them.

Classes ``L1``, ``L2``, ``L1L2``, ``OrthogonalRegularizer`` and their lower-case aliases
``l1``, ``l2``, ``l1_l2``, ``orthogonal_regularizer`` (the same classes, as in Keras 3).
Layers also take the string identifiers ``"l1"``, ``"l2"`` (factor 0.01) and ``"l1_l2"``
(0.01 for both, as Keras documents and tf.keras 2 did; Keras 3.15 itself rejects that string).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from neuroflow import _registry, ops
from neuroflow._registry import deserialize as _deserialize
from neuroflow._registry import resolve

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]  # fmt: skip


def _factor(value, name: str) -> float:
    """Keras's rule: a finite, non-negative number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar Tensor`` added to the loss.

    Subclasses define ``__call__`` and ``get_config``; ``from_config`` rebuilds them.
    """

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(x).")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define get_config().")

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``.

    Parameters
    ----------
    l1, l2 : float, default 0.0
        Non-negative factors; None counts as 0, as in Keras.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(L1L2(l1=0.1, l2=0.5)(np.array([1.0, -2.0])).numpy()), 6)
    2.8
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        total = None
        if self.l1:
            total = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.squared_norm(x) * self.l2
            total = term if total is None else total + term
        return total if total is not None else ops.sum(ops.abs(x)) * 0.0

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(L1(0.5)(np.array([1.0, -2.0])).numpy())
    1.5
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return ops.sum(ops.abs(x)) * self.l1

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(L2(0.5)(np.array([1.0, 2.0])).numpy())
    2.5
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.squared_norm(x) * self.l2

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a rank-2 weight towards being orthogonal.

    The penalty is ``factor * 0.5 * sum(|P - diag(P)|) / (n * (n - 1) / 2)``, with ``P`` the
    Gram matrix of the L2-normalized rows (``mode="rows"``) or columns of the weight.

    Parameters
    ----------
    factor : float, default 0.01
    mode : {"rows", "columns"}, default "rows"

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(OrthogonalRegularizer(factor=1.0)(w).numpy()), 4)
    0.7071
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode!r}'
            )
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}"
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        size = x.shape[0]
        if size < 2:  # no pairs to compare (Keras divides by zero here and returns nan)
            return ops.sum(ops.abs(x)) * 0.0
        # x * min(rsqrt(sum x^2), 1/eps), as Keras's normalize: max(s, eps^2) ** -0.5
        eps2 = 1e-7**2
        squares = ops.sum(x * x, axis=1, keepdims=True)
        unit = x * ops.pow(ops.relu(squares - eps2) + eps2, -0.5)
        product = ops.matmul(unit, ops.transpose(unit))
        off_diagonal = 1.0 - np.eye(size, dtype=product.dtype)
        pairs = size * (size - 1) / 2.0
        return ops.sum(ops.abs(product * off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# Keras 3's lower-case aliases are the classes themselves
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_REGULARIZERS = {
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,
    "orthogonalregularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def _from_string(name: str) -> Regularizer:
    if name.lower() == "l1_l2":
        # the documented string default, which differs from the class's (0.0, 0.0)
        return L1L2(l1=0.01, l2=0.01)
    table = {**_REGULARIZERS, "l1_l2": L1L2}
    return resolve(name, table, "regularizer", "regularizer")()


def get(identifier):
    """A regularizer from None, a name, a class, an instance, a config dict or a callable.

    Examples
    --------
    >>> get("l2").get_config()
    {'l2': 0.01}
    >>> get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.0}})
    L1L2(l1=0.1, l2=0.0)
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if isinstance(identifier, str):
        return _from_string(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier: {identifier!r} (expected None, a name "
        "such as 'l2', a Regularizer, a config dict or a callable)."
    )


def serialize(regularizer):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` dict, or None.

    Examples
    --------
    >>> serialize(L2(0.1))["config"]
    {'l2': 0.1}
    """
    if regularizer is None:
        return None
    return _registry.serialize(
        regularizer, _REGULARIZERS, "regularizer", module="keras.regularizers"
    )


def deserialize(config):
    """The regularizer a :func:`serialize` dict (or a name) describes."""
    if isinstance(config, str):
        return _from_string(config)
    return _deserialize(config, _REGULARIZERS, "regularizer")
