"""Optimizers with Keras 3's algorithms and defaults.

Each keeps its per-variable state ("slots") made in ``build`` and updates one variable
at a time in ``update_step``, in place, with NumPy operators.

Examples
--------
>>> import numpy as np
>>> from neuroflow.tensor import Variable
>>> w = Variable(np.array([1.0, 2.0], dtype=np.float32))
>>> opt = SGD(learning_rate=0.1)
>>> opt.apply([np.array([1.0, 1.0], dtype=np.float32)], [w])
>>> w.numpy()
array([0.9, 1.9], dtype=float32)

The learning rate and the step count are variables, as in Keras 3:

>>> opt.learning_rate.assign(0.05)
<tf.Variable 'learning_rate:0' shape=() dtype=float32, numpy=0.05>
>>> float(opt.learning_rate), int(opt.iterations)
(0.05000000074505806, 1)
"""

from __future__ import annotations

import math
import sys

import numpy as np

from neuroflow import _registry, schedules
from neuroflow._registry import resolve
from neuroflow.schedules import LearningRateSchedule
from neuroflow.tensor import Tensor, Variable, no_grad

# Keras's path to the schedules: ``optimizers.schedules.ExponentialDecay`` and
# ``from neuroflow.optimizers.schedules import ExponentialDecay`` both work
sys.modules[f"{__name__}.schedules"] = schedules


def _check_positive(name: str, value, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Expected `{name}` to be a number {bound}. Received: {name}={value!r}")


def _check_fraction(name: str, value) -> None:
    if not isinstance(value, (int, float, np.floating)) or not 0 <= value < 1:
        raise ValueError(f"Expected `{name}` in [0, 1). Received: {name}={value!r}")


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _rate_value(value) -> float:
    """A learning rate given as a number, NumPy scalar or one-element tensor, checked > 0."""
    if isinstance(value, (Tensor, np.ndarray)) and np.size(value) == 1:
        value = float(np.asarray(value.data if isinstance(value, Tensor) else value))
    _check_positive("learning_rate", value)
    if not value <= _FLOAT32_MAX:  # inf, nan, or beyond what the float32 variable holds
        raise ValueError(
            f"Expected `learning_rate` to be a finite float32 number. Received: "
            f"learning_rate={value!r}"
        )
    return value


def _rate_variable(value) -> Variable:
    """Keras 3's learning-rate variable: float32, not trainable."""
    return Variable(np.float32(_rate_value(value)), trainable=False, name="learning_rate")


class Optimizer:
    """Base class.

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule or callable
        Step size, kept in a float32 :class:`~neuroflow.Variable` as in Keras 3
        (``optimizer.learning_rate.assign(1e-4)``, ``.numpy()``, ``float(...)``); a
        :class:`~neuroflow.schedules.LearningRateSchedule` gives ``schedule(iterations)`` at
        each step (``iterations`` counting the steps already applied, as in Keras), any other
        callable is called with no arguments.
    clipnorm : float, optional
        Clip each gradient to this L2 norm.
    clipvalue : float, optional
        Clip each gradient element to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Clip all gradients together to this joint L2 norm.
    """

    def __init__(
        self,
        learning_rate=0.001,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name=None,
        **kwargs,
    ):
        if "lr" in kwargs:  # the tf.keras 2 spelling
            learning_rate = kwargs.pop("lr")
        # tf.keras / Keras 3 options that are no-ops at their defaults are accepted as such
        for legacy in ("decay", "jit_compile", "use_ema", "loss_scale_factor", "weight_decay"):
            if legacy in kwargs and not kwargs[legacy]:
                del kwargs[legacy]
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}."
            )
        if isinstance(learning_rate, dict):  # a serialized schedule, as from_config gets it
            learning_rate = schedules.deserialize(learning_rate)
        if not callable(learning_rate):  # a number becomes Keras 3's float32 variable
            learning_rate = _rate_variable(learning_rate)
        for arg, value in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            if value is not None:
                _check_positive(arg, value)
        self.name = name or type(self).__name__.lower()
        self._learning_rate = learning_rate
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        # Keras 3's int64 step counter; update steps read it through ``_step``, a plain int
        self._iterations = Variable(np.int64(0), trainable=False, name="iteration")
        self._step = 1
        # keyed by the variables themselves (hashed by identity), so that the state
        # survives pickling together with the model, which a key of id() would not
        self._slots: dict = {}
        self.built = False

    @property
    def learning_rate(self) -> Tensor:
        """The rate the next step uses: the float32 variable holding it (Keras 3), or a
        schedule's value at ``iterations`` as a tensor.

        Setting a number assigns it to that variable (``optimizer.learning_rate = 1e-4`` and
        ``optimizer.learning_rate.assign(1e-4)`` do the same); setting one is refused while
        a schedule is in use, as in Keras.
        """
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        return Tensor(np.float32(self._current_rate()))

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if callable(value) and not isinstance(value, Tensor):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(_rate_value(value))
        else:  # a callable rate replaced by a number
            self._learning_rate = _rate_variable(value)

    @property
    def lr(self) -> Tensor:
        """tf.keras 2's name for :attr:`learning_rate` (Keras 3 dropped it)."""
        return self.learning_rate

    @lr.setter
    def lr(self, value) -> None:
        self.learning_rate = value

    def _current_rate(self) -> float:
        """The rate as a Python float (read at every step, so no tensor is made)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.data)
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self._iterations.data.item()))
        return float(lr())

    @property
    def iterations(self) -> Variable:
        """The number of steps applied: an int64 variable, as in Keras 3 (``int(...)``,
        ``.numpy()``); setting a number assigns it."""
        return self._iterations

    @iterations.setter
    def iterations(self, value) -> None:
        self._iterations.assign(np.int64(int(value)))

    # ---------------------------------------------------------------------- slots
    def build(self, variables) -> None:
        """Creates the state each variable needs (subclasses add slots in ``build_slots``)."""
        for v in variables:
            if v not in self._slots:
                self._slots[v] = {"_scratch": np.empty_like(v.data)}
                self.build_slots(v, self._slots[v])
        self.built = True

    def build_slots(self, variable, slots: dict) -> None:
        """Adds this optimizer's per-variable arrays to ``slots``."""

    def get_state(self, variables) -> dict:
        """The step count and every slot array, per variable in order (for saving)."""
        self.build(variables)
        slots = [
            {name: arr for name, arr in sorted(self._slots[v].items()) if name != "_scratch"}
            for v in variables
        ]
        return {"iterations": int(self.iterations), "slots": slots}

    def set_state(self, variables, state: dict) -> None:
        """Restores :meth:`get_state`'s output, checking names and shapes."""
        self.build(variables)
        if len(state["slots"]) != len(variables):
            raise ValueError(
                f"The optimizer state holds {len(state['slots'])} variables; the model has "
                f"{len(variables)}."
            )
        for v, saved in zip(variables, state["slots"]):
            mine = {k: a for k, a in self._slots[v].items() if k != "_scratch"}
            if set(saved) != set(mine):
                raise ValueError(
                    f"Optimizer state for '{v.name}' has slots {sorted(saved)}, expected "
                    f"{sorted(mine)} for {type(self).__name__}."
                )
            for name, array in saved.items():
                if array.shape != mine[name].shape:
                    raise ValueError(
                        f"Optimizer slot '{name}' of '{v.name}' has shape {array.shape}, "
                        f"expected {mine[name].shape}."
                    )
                mine[name][...] = array
        self.iterations = int(state["iterations"])

    # ---------------------------------------------------------------------- update
    def apply(self, grads, variables) -> None:
        """Applies one step: ``grads[i]`` to ``variables[i]``, then each updated variable's
        ``constraint`` (if it has one), as Keras 3 does."""
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Got {len(grads)} gradients for {len(variables)} variables; expected one each."
            )
        if not self.built or any(v not in self._slots for v in variables):
            self.build(variables)
        # a GradientTape gives Tensors; the update works on their arrays
        grads = [g.data if isinstance(g, Tensor) else g for g in grads]
        grads = self._clip(grads)
        lr = self._learning_rate  # read at every step: the variable's number, no tensor made
        lr = float(lr.data) if type(lr) is Variable else self._current_rate()
        count = self._iterations.data
        self._step = step = count.item() + 1  # the step number Adam's bias correction uses
        for g, v in zip(grads, variables):
            if g is not None:
                self.update_step(g, v, lr)
                if getattr(v, "constraint", None) is not None:  # Keras 3: after the update
                    self._constrain(v)
        count[()] = step

    @staticmethod
    def _constrain(variable) -> None:
        """``variable.assign(variable.constraint(variable))``, recording no gradient."""
        with no_grad():
            variable.assign(variable.constraint(variable))

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras's form: a sequence of ``(gradient, variable)`` pairs."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def _clip(self, grads):
        if self.clipvalue is not None:
            grads = [
                None if g is None else np.clip(g, -self.clipvalue, self.clipvalue) for g in grads
            ]
        if self.clipnorm is not None:
            grads = [
                None if g is None else g * min(1.0, self.clipnorm / (np.linalg.norm(g) + 1e-12))
                for g in grads
            ]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads if g is not None))
            scale = min(1.0, self.global_clipnorm / (norm + 1e-12))
            grads = [None if g is None else g * scale for g in grads]
        return grads

    def update_step(self, gradient: np.ndarray, variable, learning_rate: float) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = schedules.serialize(lr)  # Keras's nested {"class_name": ..., "config": ...}
        elif isinstance(lr, Variable):
            lr = float(lr.numpy())  # the float32 value, as Keras 3 writes it
        return {
            "name": self.name,
            "learning_rate": lr,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    ``v = momentum * v - lr * g; w = w + v`` (Nesterov: ``w = w + momentum * v - lr * g``).
    Nesterov momentum: Sutskever et al., "On the importance of initialization and momentum
    in deep learning", ICML 2013.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        _check_positive("momentum", momentum, allow_zero=True)
        if momentum >= 1:
            raise ValueError(f"Expected `momentum` in [0, 1). Received: momentum={momentum}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def build_slots(self, variable, slots):
        if self.momentum:
            slots["momentum"] = np.zeros_like(variable.data)

    def update_step(self, gradient, variable, learning_rate):
        w, s = variable.data, self._slots[variable]
        if not self.momentum:
            w -= np.multiply(gradient, learning_rate, out=s["_scratch"])
            return
        m, tmp = s["momentum"], s["_scratch"]
        m *= self.momentum
        m -= np.multiply(gradient, learning_rate, out=tmp)
        if self.nesterov:
            np.multiply(m, self.momentum, out=tmp)
            w += tmp
            w -= np.multiply(gradient, learning_rate, out=tmp)
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides the step by a running root-mean-square of recent gradients.

    ``v = rho * v + (1 - rho) * g**2; w -= lr * g / sqrt(v + epsilon)`` (centered: subtract
    the squared running mean of g inside the root). Tieleman & Hinton, "Lecture 6.5 -
    RMSprop", COURSERA: Neural Networks for Machine Learning, 2012.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        _check_fraction("rho", rho)
        _check_fraction("momentum", momentum)
        _check_positive("epsilon", epsilon)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        self.centered = bool(centered)

    def build_slots(self, variable, slots):
        slots["velocity"] = np.zeros_like(variable.data)
        if self.momentum:
            slots["momentum"] = np.zeros_like(variable.data)
        if self.centered:
            slots["average_gradient"] = np.zeros_like(variable.data)

    def update_step(self, gradient, variable, learning_rate):
        s = self._slots[variable]
        v, tmp = s["velocity"], s["_scratch"]
        rho = self.rho
        v *= rho
        v += np.multiply(np.square(gradient, out=tmp), 1 - rho, out=tmp)
        if self.centered:
            avg = s["average_gradient"]
            avg *= rho
            avg += (1 - rho) * gradient
            np.subtract(v, np.square(avg), out=tmp)
            tmp += self.epsilon
        else:
            np.add(v, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        if self.momentum:
            m = s["momentum"]
            m *= self.momentum
            m += tmp
            variable.data -= m
        else:
            variable.data -= tmp

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adam(Optimizer):
    """Adaptive moment estimation.

    With ``t`` the step number: ``m += (1 - beta_1) * (g - m)``,
    ``v += (1 - beta_2) * (g**2 - v)``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.
    Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015 (epsilon is the
    "epsilon hat" of section 2); AMSGrad: Reddi et al., ICLR 2018.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adam",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        _check_fraction("beta_1", beta_1)
        _check_fraction("beta_2", beta_2)
        _check_positive("epsilon", epsilon)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.amsgrad = bool(amsgrad)

    def build_slots(self, variable, slots):
        slots["m"] = np.zeros_like(variable.data)
        slots["v"] = np.zeros_like(variable.data)
        if self.amsgrad:
            slots["v_hat"] = np.zeros_like(variable.data)

    def update_step(self, gradient, variable, learning_rate):
        s = self._slots[variable]
        m, v, tmp = s["m"], s["v"], s["_scratch"]
        t = self._step
        alpha = learning_rate * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        np.subtract(gradient, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp
        np.square(gradient, out=tmp)
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp
        if self.amsgrad:
            np.maximum(s["v_hat"], v, out=s["v_hat"])
            v = s["v_hat"]
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        variable.data -= tmp

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class Adagrad(Optimizer):
    """Per-parameter steps shrinking with the sum of squared gradients.

    ``a += g**2; w -= lr * g / sqrt(a + epsilon)``, ``a`` starting at
    ``initial_accumulator_value``. Duchi, Hazan & Singer, "Adaptive Subgradient Methods for
    Online Learning and Stochastic Optimization", JMLR 2011.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        name="adagrad",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        _check_positive("initial_accumulator_value", initial_accumulator_value, allow_zero=True)
        _check_positive("epsilon", epsilon)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def build_slots(self, variable, slots):
        slots["accumulator"] = np.full_like(variable.data, self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        s = self._slots[variable]
        acc, tmp = s["accumulator"], s["_scratch"]
        acc += np.square(gradient, out=tmp)
        np.add(acc, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        variable.data -= tmp

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


_OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad}


def get(identifier) -> Optimizer:
    """An optimizer from a name (``"adam"``), a class or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        return resolve(identifier, _OPTIMIZERS, "optimizer", "optimizer")()
    raise TypeError(
        "Expected `optimizer` to be a string or an Optimizer. "
        f"Received: optimizer={identifier!r} of type {type(identifier).__name__}."
    )


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": ..., "config": ...}`` describing ``optimizer``, for :func:`deserialize`.

    Only this module's own optimizer classes can be serialized, since only they can be
    rebuilt from a name.

    Examples
    --------
    >>> spec = serialize(Adam(learning_rate=0.01))
    >>> spec["class_name"], spec["config"]["learning_rate"]  # the float32 value, as in Keras
    ('Adam', 0.009999999776482582)
    """
    return _registry.serialize(optimizer, _OPTIMIZERS, "optimizer")


def deserialize(config: dict) -> Optimizer:
    """The optimizer that ``{"class_name": ..., "config": ...}`` describes, as in Keras.

    The class is looked up only among this module's optimizers; nothing is imported by name.

    Examples
    --------
    >>> opt = deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}})
    >>> type(opt).__name__, float(opt.learning_rate)
    ('Adam', 0.009999999776482582)
    """
    return _registry.deserialize(config, _OPTIMIZERS, "optimizer")
