"""Learning-rate schedules: the learning rate as a function of the optimizer's step count.

An optimizer given a schedule as its ``learning_rate`` uses ``schedule(iterations)`` at
each step, ``iterations`` being the number of steps already applied (0 for the first), as
Keras 3 does. The arithmetic is float32, like Keras's, so the rates agree with Keras's to
the last bit or so. Also reachable as ``neuroflow.optimizers.schedules`` and
``neuroflow.keras.optimizers.schedules``.

Examples
--------
>>> from neuroflow import optimizers
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> float(schedule(10))
0.05000000074505806
>>> opt = optimizers.SGD(learning_rate=schedule)
>>> float(opt.learning_rate)  # schedule(opt.iterations), here schedule(0)
0.10000000149011612
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow import _registry

_f32 = np.float32


def _check_decay_steps(name: str, value) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")


class LearningRateSchedule:
    """Base class: subclasses define ``__call__(step)`` and ``get_config()``.

    A plain subclass with these two methods can be passed as any optimizer's
    ``learning_rate``, as in Keras.

    Examples
    --------
    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial):
    ...         self.initial = initial
    ...     def __call__(self, step):
    ...         return self.initial * 0.5 ** (step // 100)
    ...     def get_config(self):
    ...         return {"initial": self.initial}
    >>> Halving(0.1)(250)
    0.025
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is floored, so the rate drops every
    ``decay_steps`` steps instead of continuously.

    Examples
    --------
    >>> s = ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    >>> [float(s(step)) for step in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _f32(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _f32(self.initial_learning_rate) * np.power(_f32(self.decay_rate), p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to and including step ``boundaries[0]``, ``values[1]`` up to
    ``boundaries[1]``, ..., and ``values[-1]`` after the last boundary.

    Examples
    --------
    >>> s = PiecewiseConstantDecay(boundaries=[2, 4], values=[1.0, 0.5, 0.1])
    >>> [float(s(step)) for step in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return _f32(value)
        return _f32(self.values[-1])

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` steps:
    ``(initial - end) * (1 - step / decay_steps) ** power + end``.

    After ``decay_steps`` the rate stays at ``end_learning_rate``, or, with ``cycle=True``,
    decays again over the next multiple of ``decay_steps``.

    Examples
    --------
    >>> s = PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)
    >>> [float(s(step)) for step in range(6)]
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial, end = _f32(self.initial_learning_rate), _f32(self.end_learning_rate)
        step, decay_steps = _f32(step), _f32(self.decay_steps)
        if self.cycle:
            # the first multiple of decay_steps at or above step (1 at step 0)
            decay_steps = decay_steps * (_f32(1) if step == 0 else np.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (initial - end) * np.power(_f32(1) - p, _f32(self.power)) + end

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True`` ``step / decay_steps`` is floored.

    Examples
    --------
    >>> s = InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
    >>> [float(s(step)) for step in range(4)]
    [1.0, 0.5, 0.3333333432674408, 0.25]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = _f32(step) / _f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return _f32(self.initial_learning_rate) / (_f32(1) + _f32(self.decay_rate) * p)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay with an optional linear warmup (Loshchilov & Hutter, "SGDR: Stochastic
    Gradient Descent with Warm Restarts", ICLR 2017).

    Without ``warmup_target``: ``initial_learning_rate * ((1 - alpha) * c + alpha)`` with
    ``c = 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))``. With it, the rate
    first rises linearly from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps`` steps, then decays from ``warmup_target`` in the same way over
    ``decay_steps`` more.

    Examples
    --------
    >>> s = CosineDecay(1.0, decay_steps=2, alpha=0.1)
    >>> [round(float(s(step)), 4) for step in range(4)]
    [1.0, 0.55, 0.1, 0.1]
    >>> w = CosineDecay(0.0, decay_steps=2, warmup_target=1.0, warmup_steps=2)
    >>> [round(float(w(step)), 4) for step in range(5)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_decay_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_steps, decay_from):
        cosine = _f32(0.5) * (_f32(1) + np.cos(_f32(math.pi) * (step / decay_steps)))
        alpha = _f32(self.alpha)
        return decay_from * ((_f32(1) - alpha) * cosine + alpha)

    def __call__(self, step):
        initial = _f32(self.initial_learning_rate)
        decay_steps, step = _f32(self.decay_steps), _f32(step)
        if self.warmup_target is None:
            return self._decay(min(step, decay_steps), decay_steps, initial)
        target, warmup_steps = _f32(self.warmup_target), _f32(self.warmup_steps)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            return (target - initial) * (step / warmup_steps) + initial
        return self._decay(step - warmup_steps, decay_steps, target)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
    )
}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict:
    """Keras 3's description of a schedule: ``{"module", "class_name", "config",
    "registered_name"}``; :func:`deserialize` rebuilds it.

    Examples
    --------
    >>> spec = serialize(ExponentialDecay(0.1, 10, 0.9))
    >>> spec["class_name"], spec["config"]["decay_steps"]
    ('ExponentialDecay', 10)
    """
    return _registry.serialize(
        learning_rate_schedule, _SCHEDULES, "learning rate schedule", key=str,
        module="keras.optimizers.schedules",
    )  # fmt: skip


def deserialize(config: dict) -> LearningRateSchedule:
    """The schedule :func:`serialize` (or Keras) described; the class is looked up among
    this module's schedules only, nothing is imported by name.

    Examples
    --------
    >>> s = deserialize({"class_name": "InverseTimeDecay",
    ...                  "config": {"initial_learning_rate": 1.0, "decay_steps": 1,
    ...                             "decay_rate": 1.0}})
    >>> float(s(1))
    0.5
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise TypeError(
            "Expected a learning rate schedule config {'class_name': str, 'config': dict}. "
            f"Received: config={config!r}"
        )
    name = config["class_name"]
    cls = _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule: class_name={name!r}. Expected one of: "
            f"{', '.join(sorted(_SCHEDULES))}."
        )
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise TypeError(f"Expected the schedule's 'config' to be a dict. Received: {inner!r}")
    return cls.from_config(dict(inner))


def get(identifier):
    """A schedule from a schedule (returned as is) or a serialized config dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(
        "Expected a LearningRateSchedule or its config dict. "
        f"Received: {identifier!r} of type {type(identifier).__name__}."
    )


__all__ = [
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "get",
    "serialize",
]
