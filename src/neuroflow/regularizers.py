"""Weight penalties added to the loss: ``L1``, ``L2``, ``L1L2`` (Keras's classes and defaults)."""

from __future__ import annotations

from neuroflow import ops
from neuroflow._registry import resolve


class Regularizer:
    """Base class: ``regularizer(weight_tensor) -> scalar Tensor``."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(L2(0.5)(np.array([1.0, 2.0])).numpy())
    2.5
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        for name, value in (("l1", l1), ("l2", l2)):
            if value < 0:
                raise ValueError(f"Expected `{name}` >= 0. Received: {name}={value}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        total = None
        if self.l1:
            total = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.squared_norm(x) * self.l2
            total = term if total is None else total + term
        return total if total is not None else ops.sum(x) * 0.0

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer) or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return resolve(identifier, _REGULARIZERS, "regularizer", "regularizer")()
    if isinstance(identifier, dict):
        cls = resolve(
            str(identifier.get("class_name", "")).lower().replace("l1l2", "l1_l2"),
            _REGULARIZERS,
            "regularizer",
            "regularizer",
        )
        return cls(**identifier.get("config", {}))
    raise TypeError(f"Could not interpret regularizer: {identifier!r}.")


def serialize(regularizer):
    """``{"class_name": "L2", "config": {"l2": 0.01}}``, or None."""
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise ValueError(f"Cannot serialize a custom regularizer: {regularizer!r}.")
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
