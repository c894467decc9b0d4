"""Checks of the estimators' hyperparameters, made at the start of ``fit`` as scikit-learn does.

scikit-learn's own estimators declare ``_parameter_constraints`` and check them through
``sklearn.utils._param_validation``, a private module that may change in any release. These
few rules use no scikit-learn API at all; the messages follow scikit-learn's ("The 'alpha'
parameter of MLPClassifier must be a float in the range [0, inf). Got -1 instead."), and the
error is a ``TypeError`` when the value has a type no rule accepts, a ``ValueError`` otherwise.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

__all__ = [
    "ARRAY_LIKE", "BOOLEAN", "NONE", "RANDOM_STATE", "VERBOSE", "Interval", "Options",
    "validate_params",
]  # fmt: skip


class Interval:
    """A number of ``kind`` (``Integral`` or ``Real``; never a bool) between two bounds."""

    def __init__(self, kind: type, low: float | None, high: float | None, closed: str):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def has_type(self, value) -> bool:
        return isinstance(value, self.kind) and not isinstance(value, (bool, np.bool_))

    def accepts(self, value) -> bool:
        if not self.has_type(value):
            return False
        left, right = self.closed in ("left", "both"), self.closed in ("right", "both")
        above = self.low is None or (value >= self.low if left else value > self.low)
        below = self.high is None or (value <= self.high if right else value < self.high)
        return bool(above and below)

    def __str__(self) -> str:
        name = "an int" if self.kind is Integral else "a float"
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        left = "[" if self.closed in ("left", "both") else "("
        right = "]" if self.closed in ("right", "both") and self.high is not None else ")"
        return f"{name} in the range {left}{lo}, {hi}{right}"


class Options:
    """One of a few fixed values (strings, or ``np.inf``)."""

    def __init__(self, *values):
        self.values = values

    def has_type(self, value) -> bool:
        return any(isinstance(value, type(v)) for v in self.values)

    def accepts(self, value) -> bool:
        return self.has_type(value) and any(value == v for v in self.values)

    def __str__(self) -> str:
        shown = ", ".join(repr(v) for v in sorted(self.values, key=str))
        return f"a {type(self.values[0]).__name__} among {{{shown}}}"


class _Kind:
    """Any value of the given types (``bool``, ``None``, array-like, random state...)."""

    def __init__(self, description: str, *types: type):
        self.description, self.types = description, types

    def has_type(self, value) -> bool:
        return isinstance(value, self.types)

    accepts = has_type

    def __str__(self) -> str:
        return self.description


BOOLEAN = _Kind("a bool", bool, np.bool_)
NONE = _Kind("None", type(None))
ARRAY_LIKE = _Kind("an array-like", list, tuple, np.ndarray)
RANDOM_STATE = _Kind(
    "an int, a numpy.random.RandomState instance or None",
    Integral,
    np.random.RandomState,
    type(None),
)
VERBOSE = _Kind("an int or a bool", Integral, bool, np.bool_)


def validate_params(estimator, constraints: dict) -> None:
    """Raises if an attribute of ``estimator`` named in ``constraints`` fits none of its rules."""
    for name, rules in constraints.items():
        value = getattr(estimator, name)
        if any(rule.accepts(value) for rule in rules):
            continue
        expected = " or ".join(str(rule) for rule in rules)
        error = ValueError if any(rule.has_type(value) for rule in rules) else TypeError
        raise error(
            f"The {name!r} parameter of {type(estimator).__name__} must be {expected}. "
            f"Got {value!r} instead."
        )
