"""The search space: ``hp.Int``, ``hp.Float``, ``hp.Choice``, ``hp.Boolean``, ``hp.Fixed``.

A ``build(hp)`` function asks ``hp`` for each value it needs. The first time a name is asked
for, the hyperparameter is registered in the space and its current value (its default,
unless the oracle has chosen one for this trial) is returned; KerasTuner's names, defaults,
validation and sampling are kept, so a search space written for KerasTuner reads the same:

>>> from neuroflow.tuner import HyperParameters
>>> hp = HyperParameters()
>>> hp.Int("units", min_value=32, max_value=512, step=32)
32
>>> hp.Float("lr", 1e-4, 1e-2, sampling="log")
0.0001
>>> hp.Choice("activation", ["relu", "tanh"])
'relu'
>>> hp.values
{'units': 32, 'lr': 0.0001, 'activation': 'relu'}

Every value maps to a "probability" in ``[0, 1)`` and back (``value_to_prob`` /
``prob_to_value``): random search samples that interval uniformly, and Bayesian optimization
fits its Gaussian process in it.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import math
import random

__all__ = [
    "Boolean",
    "Choice",
    "Fixed",
    "Float",
    "HyperParameter",
    "HyperParameters",
    "Int",
    "Parent",
]

_SAMPLINGS = ("linear", "log", "reverse_log")


# ----------------------------------------------------------------------------- conditions
class Parent:
    """Condition: active when the hyperparameter ``name`` takes one of ``values``."""

    def __init__(self, name: str, values):
        self.name = name
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise ValueError(
                f"Expected `parent_values` to hold at least one value. Received: {values!r}"
            )
        first = values[0]
        if isinstance(first, str):
            values = [str(v) for v in values]
        elif isinstance(first, bool):
            pass
        elif isinstance(first, int):
            values = [int(v) for v in values]
        elif not isinstance(first, float):
            raise TypeError(
                "Expected `parent_values` to hold int, float, str or bool values. "
                f"Received: {values!r} of type {type(first).__name__}"
            )
        self.values = values

    def is_active(self, values: dict) -> bool:
        return self.name in values and values[self.name] in self.values

    def __eq__(self, other) -> bool:
        return isinstance(other, Parent) and (other.name, other.values) == (self.name, self.values)

    def __repr__(self) -> str:
        return f"Parent(name={self.name!r}, values={self.values!r})"

    def get_config(self) -> dict:
        return {"name": self.name, "values": list(self.values)}


def _conditions_config(conditions) -> list:
    return [{"class_name": "Parent", "config": c.get_config()} for c in conditions]


def _conditions_from_config(configs) -> list:
    return [Parent(**c["config"]) for c in configs or []]


# ----------------------------------------------------------------------------- helpers
def _prob_to_index(prob: float, n: int) -> int:
    """The bucket of ``n`` equal buckets of ``[0, 1)`` that ``prob`` falls in."""
    return min(int(math.floor(prob * n)), n - 1)


def _index_to_prob(index, n: int) -> float:
    """The centre of bucket ``index`` of ``n`` equal buckets of ``[0, 1)``."""
    return (index + 0.5) / n


def _as_int(value, arg: str, hp_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ValueError(
            f"Expected `{arg}` of Int(name={hp_name!r}) to be an integer. "
            f"Received: {arg}={value!r} of type {type(value).__name__}"
        )
    return int(value)


# ----------------------------------------------------------------------------- the types
class HyperParameter:
    """Base class: a name, a default and the conditions under which it is active."""

    def __init__(self, name: str, default=None, conditions=None):
        self.name = name
        self._default = default
        self.conditions = list(conditions) if conditions else []

    @property
    def default(self):
        return self._default

    @property
    def values(self):
        """All the values the hyperparameter can take (10 evenly spread for a continuum)."""
        raise NotImplementedError

    def random_sample(self, seed=None):
        """One value drawn uniformly in probability space (KerasTuner's seeding)."""
        return self.prob_to_value(float(random.Random(seed).random()))

    def prob_to_value(self, prob: float):
        raise NotImplementedError

    def value_to_prob(self, value) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "default": self.default,
            "conditions": _conditions_config(self.conditions),
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["conditions"] = _conditions_from_config(config.get("conditions"))
        return cls(**config)


class _Numerical(HyperParameter):
    """Shared range logic of :class:`Int` and :class:`Float`."""

    def __init__(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        conditions=None,
    ):
        super().__init__(name=name, default=default, conditions=conditions)
        self.min_value = min_value
        self.max_value = max_value
        self.step = step
        kind = type(self).__name__
        if min_value > max_value:
            raise ValueError(
                f"For HyperParameters.{kind}(name={name!r}), expected `min_value` <= "
                f"`max_value`. Received: min_value={min_value}, max_value={max_value}"
            )
        sampling = "linear" if sampling is None else str(sampling).lower()
        if sampling not in _SAMPLINGS:
            raise ValueError(
                f"For HyperParameters.{kind}(name={name!r}), expected `sampling` to be one of "
                f"{_SAMPLINGS}. Received: sampling={sampling!r}"
            )
        self.sampling = sampling
        if sampling != "linear" and min_value <= 0:
            raise ValueError(
                f"For HyperParameters.{kind}(name={name!r}), sampling={sampling!r} needs a "
                f"positive range. Received: min_value={min_value}, max_value={max_value}"
            )
        if sampling != "linear" and step is not None and step <= 1:
            raise ValueError(
                f"For HyperParameters.{kind}(name={name!r}), expected `step` > 1 with "
                f"sampling={sampling!r} (it multiplies). Received: step={step}"
            )
        if sampling == "linear" and step is not None and step <= 0:
            raise ValueError(
                f"For HyperParameters.{kind}(name={name!r}), expected a positive `step`. "
                f"Received: step={step}"
            )

    @property
    def default(self):
        return self.min_value if self._default is None else self._default

    def _continuous(self, prob: float, max_value):
        lo = self.min_value
        if self.sampling == "linear":
            return lo + prob * (max_value - lo)
        if self.sampling == "log":
            return lo * math.pow(max_value / lo, prob)
        return max_value + lo - lo * math.pow(max_value / lo, 1 - prob)  # reverse_log

    def _continuous_prob(self, value, max_value) -> float:
        lo = self.min_value
        if max_value == lo:
            return 0.5
        if self.sampling == "linear":
            return (value - lo) / (max_value - lo)
        if self.sampling == "log":
            return math.log(value / lo) / math.log(max_value / lo)
        return 1.0 - math.log((max_value + lo - value) / lo) / math.log(max_value / lo)

    def _n_values(self) -> int:
        if self.sampling == "linear":
            return int((self.max_value - self.min_value) // self.step + 1)
        # the 1e-8 absorbs rounding, so that e.g. log_10(1e3) counts 4 values
        return int(math.log(self.max_value / self.min_value, self.step) + 1e-8) + 1

    def _value_at(self, index: int):
        lo, hi = self.min_value, self.max_value
        if self.sampling == "linear":
            return lo + index * self.step
        if self.sampling == "log":
            return lo * math.pow(self.step, index)
        return hi + lo - lo * math.pow(self.step, index)

    def _step_prob(self, value) -> float:
        lo, hi = self.min_value, self.max_value
        if self.sampling == "linear":
            index = (value - lo) // self.step
        elif self.sampling == "log":
            index = math.log(value / lo, self.step)
        else:
            index = math.log((hi - value + lo) / lo, self.step)
        return _index_to_prob(index, self._n_values())

    @property
    def values(self):
        if self.step is None:
            # KerasTuner's grid for a continuum: the centres of 10 equal probability buckets,
            # as a tuple made from a set (the same order as KerasTuner's, so grids match)
            return tuple({self.prob_to_value(i * 0.1 + 0.05) for i in range(10)})
        return tuple(self._value_at(i) for i in range(self._n_values()))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            min_value=self.min_value,
            max_value=self.max_value,
            step=self.step,
            sampling=self.sampling,
            default=self._default,
        )
        return config


class Int(_Numerical):
    """An integer in ``[min_value, max_value]`` (both included).

    ``step`` is the distance between values (a factor with ``sampling="log"``); the default
    is ``min_value``.

    >>> from neuroflow.tuner import HyperParameters
    >>> hp = HyperParameters()
    >>> hp.Int("n_layers", 6, 13, step=3), list(hp.space[0].values)
    (6, [6, 9, 12])
    >>> Int("batch_size", 2, 32, step=2, sampling="log").values
    (2, 4, 8, 16, 32)
    """

    def __init__(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        conditions=None,
    ):
        if step is not None:
            step = _as_int(step, "step", name)
        elif sampling == "linear" or sampling is None:
            step = 1
        super().__init__(
            name=name,
            min_value=_as_int(min_value, "min_value", name),
            max_value=_as_int(max_value, "max_value", name),
            step=step,
            sampling=sampling,
            default=default,
            conditions=conditions,
        )

    def __repr__(self) -> str:
        return (
            f"Int(name: '{self.name}', min_value: {self.min_value}, max_value: "
            f"{self.max_value}, step: {self.step}, sampling: {self.sampling}, "
            f"default: {self.default})"
        )

    @property
    def values(self):
        # ints (KerasTuner's log grids are floats such as 2.0, which Dense(units) refuses)
        return tuple(int(v) for v in super().values)

    def prob_to_value(self, prob):
        if self.step is None:  # max_value + 1 so that max_value can be drawn
            return int(self._continuous(prob, self.max_value + 1))
        return int(self._value_at(_prob_to_index(prob, self._n_values())))

    def value_to_prob(self, value):
        if self.step is None:
            return self._continuous_prob(value + 0.5, self.max_value + 1)
        return self._step_prob(value)


class Float(_Numerical):
    """A float in ``[min_value, max_value]``; ``step`` makes it a grid.

    >>> Float("lr", 0.001, 10, step=10, sampling="log").values
    (0.001, 0.01, 0.1, 1.0, 10.0)
    """

    def __init__(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        conditions=None,
    ):
        super().__init__(
            name=name,
            min_value=float(min_value),
            max_value=float(max_value),
            step=None if step is None else float(step),
            sampling=sampling,
            default=default,
            conditions=conditions,
        )

    def __repr__(self) -> str:
        return (
            f"Float(name: '{self.name}', min_value: '{self.min_value}', max_value: "
            f"'{self.max_value}', step: '{self.step}', sampling: '{self.sampling}', "
            f"default: '{self.default}')"
        )

    def prob_to_value(self, prob):
        if self.step is None:
            return self._continuous(prob, self.max_value)
        return self._value_at(_prob_to_index(prob, self._n_values()))

    def value_to_prob(self, value):
        if self.step is None:
            return self._continuous_prob(value, self.max_value)
        return self._step_prob(value)


class Choice(HyperParameter):
    """One of ``values`` (all of one type: int, float, str or bool); default the first.

    >>> Choice("optimizer", ["adam", "sgd"]).default
    'adam'
    """

    def __init__(self, name, values, ordered=None, default=None, conditions=None):
        super().__init__(name=name, default=default, conditions=conditions)
        if values is None or len(values) == 0:
            raise ValueError(
                f"Expected `values` of Choice(name={name!r}) to hold at least one value. "
                f"Received: values={values!r}"
            )
        values = list(values)
        types = {type(v) for v in values}
        if len(types) > 1:
            raise TypeError(
                f"A `Choice` can contain only one type of value. Received: values={values!r} "
                f"with types {sorted(t.__name__ for t in types)}"
            )
        first = values[0]
        if isinstance(first, str):
            values = [str(v) for v in values]
            default = None if default is None else str(default)
        elif isinstance(first, int) and not isinstance(first, bool):
            values = [int(v) for v in values]
            default = None if default is None else int(default)
        elif not isinstance(first, (bool, float)):
            raise TypeError(
                "A `Choice` can contain only `int`, `float`, `str`, or `bool` values. "
                f"Received: values={values!r} of type {type(first).__name__}"
            )
        if default is not None and default not in values:
            raise ValueError(
                "The default value should be one of the choices. "
                f"Received: values={values!r}, default={default!r}"
            )
        self._values = values
        self._default = default
        numeric = isinstance(first, (int, float)) and not isinstance(first, bool)
        if ordered and not numeric:
            raise ValueError(
                f"`ordered` must be False for non-numeric values. Received: values={values!r}"
            )
        self.ordered = numeric if ordered is None else bool(ordered)

    def __repr__(self) -> str:
        return (
            f"Choice(name: '{self.name}', values: {self._values}, ordered: {self.ordered}, "
            f"default: {self.default})"
        )

    @property
    def values(self):
        return self._values

    @property
    def default(self):
        return self._values[0] if self._default is None else self._default

    def prob_to_value(self, prob):
        return self._values[_prob_to_index(prob, len(self._values))]

    def value_to_prob(self, value):
        return _index_to_prob(self._values.index(value), len(self._values))

    def get_config(self) -> dict:
        config = super().get_config()
        config["default"] = self._default
        config.update(values=list(self._values), ordered=self.ordered)
        return config


class Boolean(HyperParameter):
    """``True`` or ``False`` (default ``False``)."""

    def __init__(self, name, default=False, conditions=None):
        super().__init__(name=name, default=default, conditions=conditions)
        if default not in (True, False) or not isinstance(default, (bool, int)):
            raise ValueError(
                f"Expected `default` of Boolean(name={name!r}) to be a Python bool. "
                f"Received: default={default!r}"
            )

    def __repr__(self) -> str:
        return f'Boolean(name: "{self.name}", default: {self.default})'

    @property
    def values(self):
        return (True, False)

    def prob_to_value(self, prob):
        return bool(prob >= 0.5)

    def value_to_prob(self, value):
        return 0.75 if value else 0.25


class Fixed(HyperParameter):
    """A value that is not tuned (int, float, str or bool)."""

    def __init__(self, name, value, conditions=None):
        super().__init__(name=name, default=value, conditions=conditions)
        if isinstance(value, bool):
            value = bool(value)
        elif isinstance(value, int):
            value = int(value)
        elif isinstance(value, str):
            value = str(value)
        elif not isinstance(value, float):
            raise ValueError(
                f"Expected the value of Fixed(name={name!r}) to be an int, float, str or bool. "
                f"Received: value={value!r} of type {type(value).__name__}"
            )
        self.value = value

    def __repr__(self) -> str:
        return f"Fixed(name: {self.name}, value: {self.value})"

    @property
    def default(self):
        return self.value

    @property
    def values(self):
        return (self.value,)

    def prob_to_value(self, prob):
        return self.value

    def value_to_prob(self, value):
        return 0.5

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("default")
        config["value"] = self.value
        return config


_TYPES = {cls.__name__: cls for cls in (Int, Float, Choice, Boolean, Fixed)}


def deserialize(config: dict) -> HyperParameter:
    """The hyperparameter ``{"class_name": ..., "config": ...}`` describes."""
    return _TYPES[config["class_name"]].from_config(config["config"])


def serialize(hp: HyperParameter) -> dict:
    return {"class_name": type(hp).__name__, "config": hp.get_config()}


# ----------------------------------------------------------------------------- the container
class HyperParameters:
    """The search space (``space``) and the values of the current trial (``values``).

    Only active hyperparameters have a value: under ``conditional_scope(parent, values)``
    a hyperparameter is registered but returns ``None`` unless the parent's value is one of
    ``values``.

    >>> hp = HyperParameters()
    >>> kind = hp.Choice("model", ["mlp", "linear"])
    >>> with hp.conditional_scope("model", ["mlp"]):
    ...     units = hp.Int("units", 8, 64, step=8)
    >>> kind, units
    ('mlp', 8)
    >>> hp.values["model"] = "linear"
    >>> hp.ensure_active_values(); hp.values
    {'model': 'linear'}
    """

    def __init__(self):
        self._name_scopes: list[str] = []
        self._conditions: list[Parent] = []
        self._hps: dict[str, list[HyperParameter]] = collections.defaultdict(list)
        self._space: list[HyperParameter] = []
        self.values: dict = {}
        # the conditional scopes met in a build, active or not (the tuner walks them to find
        # every conditional hyperparameter before the search)
        self.active_scopes: list = []
        self.inactive_scopes: list = []

    # -- scopes
    @contextlib.contextmanager
    def name_scope(self, name: str):
        """Prefixes the names of the hyperparameters made inside with ``name/``."""
        self._name_scopes.append(name)
        try:
            yield
        finally:
            self._name_scopes.pop()

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values):
        """Hyperparameters made inside are active only when ``parent_name`` is in
        ``parent_values``; inactive ones return ``None``."""
        parent_name = self._get_name(parent_name)
        if not self._exists(parent_name):
            raise ValueError(
                f"`HyperParameter` named: {parent_name} not defined: a conditional scope's "
                "parent must be defined before the scope opens."
            )
        condition = Parent(parent_name, parent_values)
        self._conditions.append(condition)
        scopes = self.active_scopes if condition.is_active(self.values) else self.inactive_scopes
        scopes.append(copy.deepcopy(self._conditions))
        try:
            yield
        finally:
            self._conditions.pop()

    @contextlib.contextmanager
    def _maybe_conditional_scope(self, parent_name, parent_values):
        if parent_name:
            with self.conditional_scope(parent_name, parent_values):
                yield
        else:
            yield

    def _get_name(self, name) -> str:
        return "/".join([*self._name_scopes, str(name)])

    # -- queries
    def is_active(self, hyperparameter) -> bool:
        """Whether all the conditions of ``hyperparameter`` (a name or object) hold."""
        if isinstance(hyperparameter, HyperParameter):
            return self._conditions_hold(hyperparameter.conditions)
        return any(self._conditions_hold(h.conditions) for h in self._hps[str(hyperparameter)])

    def _conditions_hold(self, conditions) -> bool:
        return all(c.is_active(self.values) for c in conditions)

    def _exists(self, name: str, conditions=None) -> bool:
        conditions = self._conditions if conditions is None else conditions
        return any(h.conditions == conditions for h in self._hps.get(name, ()))

    def get(self, name: str):
        """The current value of ``name``; ``ValueError`` if inactive, ``KeyError`` if unknown."""
        name = self._get_name(name)
        if name in self.values:
            return self.values[name]
        if name in self._hps:
            raise ValueError(f"{name} is currently inactive.")
        raise KeyError(f"{name} does not exist.")

    def __getitem__(self, name: str):
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        try:
            self.get(name)
        except (KeyError, ValueError):
            return False
        return True

    @property
    def space(self) -> list[HyperParameter]:
        return self._space

    # -- registration
    def _retrieve(self, hp: HyperParameter):
        if self._exists(hp.name, hp.conditions):
            return self.values[hp.name] if self.is_active(hp) else None
        return self._register(hp)

    def _register(self, hp: HyperParameter, overwrite: bool = False):
        for condition in self._conditions:
            if condition.name == hp.name:
                raise ValueError(
                    "A conditional `HyperParameter` cannot have the same name as its parent. "
                    f"Received: name={hp.name!r}, parent_name={condition.name!r}"
                )
        hp = type(hp).from_config(hp.get_config())  # a private copy
        self._hps[hp.name].append(hp)
        self._space.append(hp)
        if not self.is_active(hp):
            return None
        if overwrite or hp.name not in self.values:
            self.values[hp.name] = hp.default
        return self.values[hp.name]

    def Int(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        parent_name=None,
        parent_values=None,
    ):
        """Registers (first call) or reads an :class:`Int`; returns its value."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Int(
                    self._get_name(name),
                    min_value,
                    max_value,
                    step=step,
                    sampling=sampling,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Float(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        parent_name=None,
        parent_values=None,
    ):
        """Registers (first call) or reads a :class:`Float`; returns its value."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Float(
                    self._get_name(name),
                    min_value,
                    max_value,
                    step=step,
                    sampling=sampling,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Choice(
        self, name, values, ordered=None, default=None, parent_name=None, parent_values=None
    ):
        """Registers (first call) or reads a :class:`Choice`; returns its value."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Choice(
                    self._get_name(name),
                    values,
                    ordered=ordered,
                    default=default,
                    conditions=self._conditions,
                )
            )

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        """Registers (first call) or reads a :class:`Boolean`; returns its value."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(
                Boolean(self._get_name(name), default=default, conditions=self._conditions)
            )

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        """Registers (first call) or reads a :class:`Fixed`; returns its value."""
        with self._maybe_conditional_scope(parent_name, parent_values):
            return self._retrieve(Fixed(self._get_name(name), value, conditions=self._conditions))

    # -- copies, merging, files
    def merge(self, hps, overwrite: bool = True) -> None:
        """Adds the hyperparameters of ``hps`` (a ``HyperParameters`` or a list)."""
        hps = hps.space if isinstance(hps, HyperParameters) else hps
        if not overwrite:
            hps = [h for h in hps if not self._exists(h.name, h.conditions)]
        for h in hps:
            self._register(h, overwrite)

    def ensure_active_values(self) -> None:
        """Drops the values of inactive hyperparameters and draws the missing active ones."""
        for h in self._space:
            if self.is_active(h):
                if h.name not in self.values:
                    self.values[h.name] = h.random_sample()
            else:
                self.values.pop(h.name, None)

    def get_config(self) -> dict:
        return {"space": [serialize(h) for h in self._space], "values": dict(self.values)}

    @classmethod
    def from_config(cls, config: dict) -> HyperParameters:
        hps = cls()
        for spec in config["space"]:
            h = deserialize(spec)
            hps._hps[h.name].append(h)
            hps._space.append(h)
        hps.values = dict(config["values"])
        return hps

    def copy(self) -> HyperParameters:
        return HyperParameters.from_config(self.get_config())

    def __repr__(self) -> str:
        return f"HyperParameters(values={self.values!r})"
