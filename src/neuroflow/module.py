"""``tf.Module``: a container whose variables are found by walking its attributes.

TensorFlow's "Introduction to modules" builds models from it: the variables a module (or a
module, list, tuple or dict held in one of its attributes) holds are its
``variables``, the trainable ones its ``trainable_variables``, found in attribute-name order
as TensorFlow finds them.
"""

from __future__ import annotations

import re

from neuroflow._registry import snake_case
from neuroflow.tensor import Variable

__all__ = ["Module"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class Module:
    """Base class of a container of variables and other modules (``tf.Module``).

    Parameters
    ----------
    name : str, optional
        A Python identifier-like name; the class name in snake_case by default.

    Examples
    --------
    >>> import neuroflow as tf
    >>> class Dense(tf.Module):
    ...     def __init__(self, units, name=None):
    ...         super().__init__(name=name)
    ...         self.w = tf.Variable(tf.ones((2, units)), name="w")
    ...         self.b = tf.Variable(tf.zeros(units), trainable=False, name="b")
    ...     def __call__(self, x):
    ...         return x @ self.w + self.b
    >>> class Net(tf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layers = [Dense(3), Dense(3)]
    >>> net = Net()
    >>> net.name, len(net.variables), len(net.trainable_variables), len(net.submodules)
    ('net', 4, 2, 2)
    """

    def __init__(self, name: str | None = None):
        if name is None:
            name = snake_case(type(self).__name__)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"{name!r} is not a valid module name. Module names must be valid Python "
                "identifiers (e.g. a valid class name)."
            )
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def name_scope(self):
        """A context manager that does nothing here (TensorFlow's names are not tracked)."""
        import contextlib  # noqa: PLC0415  (rarely used)

        return contextlib.nullcontext(self._name)

    @property
    def variables(self) -> tuple:
        """Every variable this module and the modules in it hold, once each."""
        return tuple(_walk(self, lambda v: isinstance(v, Variable)))

    @property
    def trainable_variables(self) -> tuple:
        """The variables that optimizers update (``trainable=True``)."""
        return tuple(v for v in self.variables if v.trainable)

    @property
    def non_trainable_variables(self) -> tuple:
        return tuple(v for v in self.variables if not v.trainable)

    @property
    def submodules(self) -> tuple:
        """The modules held in this module's attributes, nested ones included."""
        return tuple(_walk(self, lambda v: isinstance(v, Module) and v is not self))

    @classmethod
    def with_name_scope(cls, method):
        """TensorFlow's decorator: returns ``method`` unchanged (no name scopes here)."""
        return method


def _walk(root, wanted) -> list:
    """What ``wanted`` accepts among ``root``'s attributes (sorted by name, as TensorFlow
    walks them), through modules, lists, tuples and dicts, once each."""
    found, seen = [], set()

    def visit(value) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if wanted(value):
            found.append(value)
        if isinstance(value, Variable):
            return
        if isinstance(value, Module):
            for key in sorted(vars(value)):
                visit(vars(value)[key])
        elif isinstance(value, dict):
            for key in sorted(value, key=str):
                visit(value[key])
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        # a Keras 3 layer is not a tf.Module: TensorFlow does not look into it either

    visit(root)
    return found
