"""A gene's attributes (bias, response, weight, enabled, activation, ...) and their rules.

Each attribute reads its settings from the genome section under its own name
(``weight_init_mean``, ``weight_mutate_rate``, ...) and follows neat-python's rules:

- float: initial value ``gauss(init_mean, init_stdev)`` clamped to [min_value, max_value]
  (``init_type = uniform``: uniform on the range mean +- 2 stdev, cut to [min, max]);
  with probability ``mutate_rate`` it moves by ``gauss(0, mutate_power)`` and is clamped,
  else with probability ``replace_rate`` it is drawn anew;
- bool: ``default`` (true/false/random); with probability ``mutate_rate`` (plus
  ``rate_to_true_add`` / ``rate_to_false_add``) it is drawn anew at random;
- string: ``default`` (or a random one of ``options``); with probability ``mutate_rate``
  it becomes a random one of ``options``.

Every rule exists twice: on one value with Python's ``random`` (neat-python's methods,
used by a gene's own ``mutate``) and on an array of values with a NumPy generator (used
when a whole generation's offspring are mutated at once; the same distribution).
"""

from __future__ import annotations

import random

import numpy as np

from neuroflow.neat.config import ConfigParameter

__all__ = [
    "BaseAttribute",
    "BoolAttribute",
    "FloatAttribute",
    "IntegerAttribute",
    "StringAttribute",
]

_TRUE = ("1", "on", "yes", "true")
_FALSE = ("0", "off", "no", "false")


class BaseAttribute:
    """An attribute named ``name``; keyword arguments override its settings' defaults."""

    _config_items: dict = {}
    dtype = np.float64

    def __init__(self, name: str, **default_dict):
        self.name = name
        self._config_items = {k: list(v) for k, v in type(self)._config_items.items()}
        for n, default in default_dict.items():
            self._config_items[n][1] = default
        for n in self._config_items:
            setattr(self, n + "_name", self.config_item_name(n))

    def config_item_name(self, base: str) -> str:
        return f"{self.name}_{base}"

    def get_config_params(self) -> list[ConfigParameter]:
        return [
            ConfigParameter(self.config_item_name(n), t, d)
            for n, (t, d) in self._config_items.items()
        ]

    def _get(self, config, item):
        return getattr(config, f"{self.name}_{item}")

    # array forms: values as stored in a genome's gene table
    def to_array_value(self, value, config):
        return value

    def from_array_value(self, value, config):
        return value.item() if hasattr(value, "item") else value


class FloatAttribute(BaseAttribute):
    """A floating-point attribute such as a node's bias or a connection's weight."""

    _config_items = {
        "init_mean": [float, None],
        "init_stdev": [float, None],
        "init_type": [str, "gaussian"],
        "replace_rate": [float, None],
        "mutate_rate": [float, None],
        "mutate_power": [float, None],
        "max_value": [float, None],
        "min_value": [float, None],
    }

    def clamp(self, value, config):
        return max(min(value, self._get(config, "max_value")), self._get(config, "min_value"))

    def _uniform_range(self, config):
        mean, stdev = self._get(config, "init_mean"), self._get(config, "init_stdev")
        return (
            max(self._get(config, "min_value"), mean - 2 * stdev),
            min(self._get(config, "max_value"), mean + 2 * stdev),
        )

    def _init_kind(self, config) -> str:
        init_type = self._get(config, "init_type").lower()
        if "gauss" in init_type or "normal" in init_type:
            return "gaussian"
        if "uniform" in init_type:
            return "uniform"
        raise ValueError(
            f"Expected configuration item '{self.name}_init_type' to be 'gaussian' or "
            f"'uniform'. Received: {self.name}_init_type = {self._get(config, 'init_type')!r}"
        )

    def init_value(self, config):
        if self._init_kind(config) == "gaussian":
            mean, stdev = self._get(config, "init_mean"), self._get(config, "init_stdev")
            return self.clamp(random.gauss(mean, stdev), config)
        return random.uniform(*self._uniform_range(config))

    def mutate_value(self, value, config):
        mutate_rate = self._get(config, "mutate_rate")
        r = random.random()
        if r < mutate_rate:
            return self.clamp(value + random.gauss(0.0, self._get(config, "mutate_power")), config)
        if r < self._get(config, "replace_rate") + mutate_rate:
            return self.init_value(config)
        return value

    def init_array(self, config, n: int, rng: np.random.Generator) -> np.ndarray:
        if self._init_kind(config) == "gaussian":
            mean, stdev = self._get(config, "init_mean"), self._get(config, "init_stdev")
            values = rng.normal(mean, stdev, n) if stdev > 0 else np.full(n, float(mean))
            return np.clip(values, self._get(config, "min_value"), self._get(config, "max_value"))
        low, high = self._uniform_range(config)
        return rng.uniform(low, high, n)

    def mutate_array(self, values, config, rng: np.random.Generator) -> np.ndarray:
        mutate_rate = self._get(config, "mutate_rate")
        replace_rate = self._get(config, "replace_rate")
        if mutate_rate <= 0 and replace_rate <= 0:
            return values
        r = rng.random(len(values))
        out = values.copy()
        moved = r < mutate_rate
        if moved.any():
            power = self._get(config, "mutate_power")
            out[moved] = np.clip(
                values[moved] + rng.normal(0.0, power, int(moved.sum())),
                self._get(config, "min_value"),
                self._get(config, "max_value"),
            )
        replaced = (r >= mutate_rate) & (r < mutate_rate + replace_rate)
        if replaced.any():
            out[replaced] = self.init_array(config, int(replaced.sum()), rng)
        return out

    def validate(self, config):
        if self._get(config, "max_value") < self._get(config, "min_value"):
            raise ValueError(
                f"Expected {self.name}_min_value <= {self.name}_max_value. Received: "
                f"{self.name}_min_value = {self._get(config, 'min_value')}, "
                f"{self.name}_max_value = {self._get(config, 'max_value')}"
            )
        self._init_kind(config)


class IntegerAttribute(BaseAttribute):
    """An integer attribute, drawn uniformly from [min_value, max_value]."""

    dtype = np.int64
    _config_items = {
        "replace_rate": [float, None],
        "mutate_rate": [float, None],
        "mutate_power": [float, None],
        "max_value": [int, None],
        "min_value": [int, None],
    }

    def clamp(self, value, config):
        return max(min(value, self._get(config, "max_value")), self._get(config, "min_value"))

    def init_value(self, config):
        return random.randint(self._get(config, "min_value"), self._get(config, "max_value"))

    def mutate_value(self, value, config):
        mutate_rate = self._get(config, "mutate_rate")
        r = random.random()
        if r < mutate_rate:
            step = int(round(random.gauss(0.0, self._get(config, "mutate_power"))))
            return self.clamp(value + step, config)
        if r < self._get(config, "replace_rate") + mutate_rate:
            return self.init_value(config)
        return value

    def init_array(self, config, n, rng):
        low, high = self._get(config, "min_value"), self._get(config, "max_value")
        return rng.integers(low, high + 1, n)

    def mutate_array(self, values, config, rng):
        mutate_rate = self._get(config, "mutate_rate")
        replace_rate = self._get(config, "replace_rate")
        r = rng.random(len(values))
        out = values.copy()
        moved = r < mutate_rate
        steps = np.round(rng.normal(0.0, self._get(config, "mutate_power"), len(values)))
        low, high = self._get(config, "min_value"), self._get(config, "max_value")
        out[moved] = np.clip(values[moved] + steps[moved].astype(np.int64), low, high)
        replaced = (r >= mutate_rate) & (r < mutate_rate + replace_rate)
        out[replaced] = self.init_array(config, int(replaced.sum()), rng)
        return out

    def validate(self, config):
        if self._get(config, "max_value") < self._get(config, "min_value"):
            raise ValueError(
                f"Expected {self.name}_min_value <= {self.name}_max_value. Received: "
                f"{self._get(config, 'min_value')} > {self._get(config, 'max_value')}"
            )


class BoolAttribute(BaseAttribute):
    """A boolean attribute such as whether a connection is enabled."""

    dtype = np.bool_
    _config_items = {
        "default": [str, None],
        "mutate_rate": [float, None],
        "rate_to_true_add": [float, 0.0],
        "rate_to_false_add": [float, 0.0],
    }

    def _default(self, config):
        default = str(self._get(config, "default")).lower()
        if default in _TRUE:
            return True
        if default in _FALSE:
            return False
        if default in ("random", "none"):
            return None
        raise ValueError(
            f"Expected configuration item '{self.name}_default' to be True, False or random. "
            f"Received: {self.name}_default = {self._get(config, 'default')!r}"
        )

    def init_value(self, config):
        default = self._default(config)
        return bool(random.random() < 0.5) if default is None else default

    def mutate_value(self, value, config):
        rate = self._get(config, "mutate_rate")
        rate += self._get(config, "rate_to_false_add" if value else "rate_to_true_add")
        if rate > 0 and random.random() < rate:
            return random.random() < 0.5
        return value

    def init_array(self, config, n, rng):
        default = self._default(config)
        return rng.random(n) < 0.5 if default is None else np.full(n, default)

    def mutate_array(self, values, config, rng):
        rate = self._get(config, "mutate_rate") + np.where(
            values, self._get(config, "rate_to_false_add"), self._get(config, "rate_to_true_add")
        )
        if not (rate > 0).any():
            return values
        redraw = rng.random(len(values)) < rate
        return np.where(redraw, rng.random(len(values)) < 0.5, values)

    def validate(self, config):
        self._default(config)


class StringAttribute(BaseAttribute):
    """A string attribute chosen from ``options``, such as a node's activation function.

    In a gene table the value is stored as a code of :func:`intern`, so a population's
    activations can be compared and grouped as integers.
    """

    dtype = np.int64
    _config_items = {
        "default": [str, "random"],
        "options": [list, None],
        "mutate_rate": [float, None],
    }

    def init_value(self, config):
        default = self._get(config, "default")
        if default.lower() in ("none", "random"):
            return random.choice(self._get(config, "options"))
        return default

    def mutate_value(self, value, config):
        rate = self._get(config, "mutate_rate")
        if rate > 0 and random.random() < rate:
            return random.choice(self._get(config, "options"))
        return value

    def _codes(self, config) -> np.ndarray:
        return np.array([intern(o) for o in self._get(config, "options")], dtype=np.int64)

    def init_array(self, config, n, rng):
        default = self._get(config, "default")
        if default.lower() in ("none", "random"):
            codes = self._codes(config)
            return codes[rng.integers(0, len(codes), n)]
        return np.full(n, intern(default), dtype=np.int64)

    def mutate_array(self, values, config, rng):
        rate = self._get(config, "mutate_rate")
        if rate <= 0:
            return values
        codes = self._codes(config)
        redraw = rng.random(len(values)) < rate
        return np.where(redraw, codes[rng.integers(0, len(codes), len(values))], values)

    def to_array_value(self, value, config):
        return intern(value)

    def from_array_value(self, value, config):
        return NAMES[int(value)]

    def validate(self, config):
        default = self._get(config, "default")
        options = self._get(config, "options")
        if not options or options == [""]:
            raise ValueError(
                f"Expected configuration item '{self.name}_options' to list at least one "
                f"name. Received: {self.name}_options = {' '.join(options or [])!r}"
            )
        if default.lower() not in ("none", "random") and default not in options:
            raise ValueError(
                f"Expected configuration item '{self.name}_default' to be 'random' or one of "
                f"{self.name}_options ({' '.join(options)}). Received: "
                f"{self.name}_default = {default!r}"
            )


#: code -> string for string attributes (process-wide; genomes carry names when pickled).
NAMES: list[str] = []
_CODES: dict[str, int] = {}


def intern(name: str) -> int:
    """The integer code of ``name`` (a new one the first time ``name`` is seen)."""
    code = _CODES.get(name)
    if code is None:
        code = _CODES[name] = len(NAMES)
        NAMES.append(name)
    return code
