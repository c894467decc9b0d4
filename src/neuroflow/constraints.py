"""Weight constraints, as Keras 3 defines them: projections applied after each optimizer step.

Classes ``Constraint`` (the identity, a base to subclass), ``MaxNorm``, ``MinMaxNorm``,
``NonNeg``, ``UnitNorm`` and their lower-case aliases ``max_norm``, ``min_max_norm``,
``non_neg``, ``unit_norm`` (the same classes, as in Keras 3). A layer's ``*_constraint``
argument (or ``add_weight(constraint=...)``) puts one on the weight's ``.constraint``; every
optimizer then assigns ``constraint(variable)`` to the variable after updating it.

The norms are L2 norms over ``axis`` (an int or a list of ints), with Keras's
``epsilon = 1e-7`` added to the divisor.

Examples
--------
>>> import numpy as np
>>> w = np.array([[3.0, 0.3], [4.0, 0.4]], dtype=np.float32)  # column norms 5 and 0.5
>>> np.round(MaxNorm(max_value=1.0)(w).numpy(), 4)
array([[0.6, 0.3],
       [0.8, 0.4]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from neuroflow import _registry, ops
from neuroflow._registry import deserialize as _deserialize
from neuroflow._registry import resolve
from neuroflow.tensor import Tensor

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]  # fmt: skip

EPSILON = 1e-7  # Keras's backend.epsilon(), added to every norm before dividing by it


def _number(value, name: str, low: float = 0.0, high: float = math.inf):
    """``value`` unchanged (an int stays an int, as Keras's config keeps it) if it is a
    finite real number in ``[low, high]``; ValueError naming ``name`` otherwise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        bounds = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a number {bounds}. "
            f"Received: {name}={value!r}"
        )
    return value.item() if isinstance(value, np.generic) else value


def _axis(axis):
    """An int or a list/tuple of ints, kept as given (Keras writes it to the config as is)."""
    ok = isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    if isinstance(axis, (list, tuple)) and axis:
        ok = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis)
        axis = [int(a) for a in axis] if isinstance(axis, list) else tuple(int(a) for a in axis)
    if not ok:
        raise ValueError(
            "Invalid value for argument `axis`: expected an integer or a non-empty list of "
            f"integers. Received: axis={axis!r}"
        )
    return int(axis) if isinstance(axis, np.integer) else axis


class Constraint:
    """Base class: ``constraint(w)`` returns the projected weight (here ``w`` unchanged).

    Subclasses define ``__call__(w)`` (``w`` a Variable, Tensor or array; the result a
    Tensor or array of the same shape) and, if they take arguments, ``get_config``;
    ``from_config`` rebuilds them.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import _registry, ops
    >>> class NonNegative(Constraint):
    ...     def __call__(self, w):
    ...         return ops.maximum(w, 0.0)
    >>> NonNegative()(np.array([-1.0, 1.0], dtype=np.float32)).numpy()
    array([0., 1.], dtype=float32)
    """

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _as_tensor(w) -> Tensor:
    return w if isinstance(w, Tensor) else Tensor(np.asarray(w))


def _norms(w: Tensor, axis, owner: str) -> Tensor:
    """``sqrt(sum(w ** 2, axis, keepdims=True))``; a clear error for an axis ``w`` lacks."""
    ndim = len(w.shape)
    for a in axis if isinstance(axis, (list, tuple)) else (axis,):
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{owner}(axis={axis!r}) cannot be applied to a weight of shape "
                f"{tuple(w.shape)}: axis {a} is out of range for rank {ndim}."
            )
    axis = tuple(axis) if isinstance(axis, list) else axis
    return ops.sqrt(ops.sum(w * w, axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Scales the weights incident to each unit down to an L2 norm of at most ``max_value``.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``, the norm taken over ``axis``.

    Parameters
    ----------
    max_value : float, default 2
        The largest norm allowed.
    axis : int or list of int, default 0
        The axes the norm runs over: 0 for a Dense kernel ``(input_dim, units)`` (one norm
        per unit); ``[0, 1, 2]`` for a Conv2D kernel ``(rows, cols, in, filters)`` (one
        norm per filter).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[3.0], [4.0]], dtype=np.float32)
    >>> np.round(MaxNorm(2.5)(w).numpy().ravel(), 4)
    array([1.5, 2. ], dtype=float32)
    >>> MaxNorm(2.5).get_config()
    {'max_value': 2.5, 'axis': 0}
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _number(max_value, "max_value")
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        norms = _norms(w, self.axis, type(self).__name__)
        desired = ops.clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (norms + EPSILON))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero.

    Examples
    --------
    >>> import numpy as np
    >>> NonNeg()(np.array([-1.0, 2.0], dtype=np.float32)).numpy()
    array([0., 2.], dtype=float32)
    """

    def __call__(self, w):
        return ops.maximum(_as_tensor(w), 0.0)


class UnitNorm(Constraint):
    """Scales the weights incident to each unit to an L2 norm of 1: ``w / (epsilon + norm)``.

    Parameters
    ----------
    axis : int or list of int, default 0
        As for :class:`MaxNorm`.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[3.0, 0.0], [4.0, 2.0]], dtype=np.float32)
    >>> np.round(UnitNorm()(w).numpy(), 4)
    array([[0.6, 0. ],
           [0.8, 1. ]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        return w / (_norms(w, self.axis, type(self).__name__) + EPSILON)

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each unit's L2 norm into ``[min_value, max_value]``, by ``rate`` per step.

    The weights are rescaled to the norm
    ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``: ``rate=1`` enforces
    the bounds at once, a smaller rate moves towards them a fraction at a time.

    Parameters
    ----------
    min_value : float, default 0.0
    max_value : float, default 1.0
    rate : float in [0, 1], default 1.0
    axis : int or list of int, default 0
        As for :class:`MaxNorm`.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0.3, 6.0], [0.4, 8.0]], dtype=np.float32)  # norms 0.5 and 10
    >>> np.round(MinMaxNorm(min_value=1.0, max_value=2.0)(w).numpy(), 4)
    array([[0.6, 1.2],
           [0.8, 1.6]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _number(min_value, "min_value")
        self.max_value = _number(max_value, "max_value")
        if self.min_value > self.max_value:
            raise ValueError(
                "Invalid values for arguments `min_value` and `max_value`: expected "
                f"min_value <= max_value. Received: min_value={min_value!r}, "
                f"max_value={max_value!r}"
            )
        self.rate = _number(rate, "rate", 0.0, 1.0)
        self.axis = _axis(axis)

    def __call__(self, w):
        w = _as_tensor(w)
        norms = _norms(w, self.axis, type(self).__name__)
        clipped = ops.clip_by_value(norms, float(self.min_value), float(self.max_value))
        desired = clipped * float(self.rate) + norms * (1.0 - float(self.rate))
        return w * (desired / (norms + EPSILON))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras 3's lower-case aliases are the classes themselves
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

# Keras's names: each class's own and its snake-case alias (looked up case-insensitively)
_CONSTRAINTS = {
    "constraint": Constraint,
    "maxnorm": MaxNorm,
    "max_norm": MaxNorm,
    "minmaxnorm": MinMaxNorm,
    "min_max_norm": MinMaxNorm,
    "nonneg": NonNeg,
    "non_neg": NonNeg,
    "unitnorm": UnitNorm,
    "unit_norm": UnitNorm,
}


def get(identifier):
    """A constraint from None, a name, a class, an instance, a config dict or a callable.

    Examples
    --------
    >>> get("non_neg")
    NonNeg()
    >>> get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1, 2]}})
    MaxNorm(max_value=3, axis=[0, 1, 2])
    >>> get(None) is None
    True
    """
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if isinstance(identifier, str):
        return resolve(identifier, _CONSTRAINTS, "constraint", "constraint")()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier: {identifier!r} (expected None, a name "
        "such as 'max_norm', a Constraint, a config dict or a callable)."
    )


def serialize(constraint):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` dict, or None.

    Examples
    --------
    >>> spec = serialize(UnitNorm(axis=[0, 1]))
    >>> spec["module"], spec["class_name"], spec["config"]
    ('keras.constraints', 'UnitNorm', {'axis': [0, 1]})
    """
    if constraint is None:
        return None
    return _registry.serialize(constraint, _CONSTRAINTS, "constraint", module="keras.constraints")


def deserialize(config):
    """The constraint a :func:`serialize` dict (Keras 3's, or tf.keras 2's
    ``{"class_name", "config"}``) or a name describes.

    Examples
    --------
    >>> deserialize({"class_name": "min_max_norm", "config": {"max_value": 2.0}})
    MinMaxNorm(min_value=0.0, max_value=2.0, rate=1.0, axis=0)
    """
    if isinstance(config, str):
        return resolve(config, _CONSTRAINTS, "constraint", "constraint")()
    return _deserialize(config, _CONSTRAINTS, "constraint")
