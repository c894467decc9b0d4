"""A search space of models: ``build(hp)`` makes one, ``fit(hp, model, ...)`` trains it.

>>> import neuroflow.tuner as kt
>>> from neuroflow import keras
>>> class MLP(kt.HyperModel):
...     def build(self, hp):
...         model = keras.Sequential([keras.layers.Input((3,)),
...                                   keras.layers.Dense(hp.Choice("units", [4, 8])),
...                                   keras.layers.Dense(1)])
...         model.compile(loss="mse")
...         return model
...     def fit(self, hp, model, *args, **kwargs):
...         return model.fit(*args, batch_size=hp.Choice("batch_size", [16, 32]), **kwargs)
>>> model = MLP().build(kt.HyperParameters())
>>> model.layers[0].units
4

A plain function ``build(hp)`` works as well; the tuner wraps it in a :class:`HyperModel`.
For trials on worker processes or a Dask cluster, the hypermodel is pickled: define the
function or class at the top of a module (not a lambda or a function inside a function).
"""

from __future__ import annotations

__all__ = ["HyperModel", "get_hypermodel"]


class HyperModel:
    """Defines a search space of models (subclass it and write ``build``).

    Args:
        name: an optional name.
        tunable: whether the hyperparameters ``build`` defines join the search space (if
            ``False``, they keep their defaults unless declared beforehand).
    """

    def __init__(self, name=None, tunable: bool = True):
        self.name = name
        self.tunable = tunable

    def build(self, hp):
        """Returns a compiled neuroflow model made with the values of ``hp``."""
        raise NotImplementedError(f"{type(self).__name__} must implement build(hp).")

    def declare_hyperparameters(self, hp) -> None:
        """Declares hyperparameters before the first build (optional)."""

    def fit(self, hp, model, *args, **kwargs):
        """Trains ``model``; returns its ``History``, a dict of metrics or the objective's value.

        ``kwargs`` holds what ``Tuner.search`` was given, and a ``callbacks`` list that has
        the tuner's own callbacks (saving the best epoch's weights) after the user's.
        """
        return model.fit(*args, **kwargs)

    def _build(self, hp):
        return self.build(hp if self.tunable else hp.copy())


class _FunctionHyperModel(HyperModel):
    """A :class:`HyperModel` around a ``build(hp)`` function."""

    def __init__(self, build_fn, name=None, tunable: bool = True):
        super().__init__(name=name, tunable=tunable)
        self.build_fn = build_fn

    def build(self, hp):
        return self.build_fn(hp)


def get_hypermodel(hypermodel) -> HyperModel | None:
    """``hypermodel`` as a :class:`HyperModel` (a function is wrapped)."""
    if hypermodel is None or isinstance(hypermodel, HyperModel):
        return hypermodel
    if not callable(hypermodel):
        raise TypeError(
            "Expected `hypermodel` to be a function `build(hp)` that returns a compiled "
            "neuroflow model, or a `neuroflow.tuner.HyperModel`. "
            f"Received: hypermodel={hypermodel!r} of type {type(hypermodel).__name__}"
        )
    return _FunctionHyperModel(hypermodel)
