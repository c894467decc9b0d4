"""Hyperparameter search with KerasTuner's API, for neuroflow models.

``import neuroflow.tuner as kt`` gives KerasTuner's names, and a KerasTuner program runs
after changing its imports (``build(hp)`` returns a compiled neuroflow model):

>>> import tempfile
>>> import numpy as np
>>> import neuroflow.tuner as kt
>>> from neuroflow import keras
>>> def build(hp):
...     model = keras.Sequential([
...         keras.layers.Input((4,)),
...         keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
...         keras.layers.Dense(1)])
...     lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
...     model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
...     return model
>>> tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, seed=1,
...                         directory=tempfile.mkdtemp(), project_name="doc", overwrite=True)
>>> tuner.oracle.verbose = 0
>>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
>>> tuner.search(x, x.sum(1), epochs=2, validation_split=0.25, verbose=0)
>>> len(tuner.oracle.trials), sorted(tuner.get_best_hyperparameters()[0].values)
(2, ['lr', 'units'])

Tuners: :class:`RandomSearch`, :class:`GridSearch`, :class:`Hyperband`,
:class:`BayesianOptimization` (a Gaussian process in NumPy) and :class:`EvolutionarySearch`
(the network's shape evolved by mutation, crossover and selection). Their oracles are in
``kt.oracles``. Trials run in this process (``n_jobs=1``), on local worker processes
(``n_jobs=k``) or on a Dask cluster (``distributed=``); see :mod:`neuroflow.executors`.
"""

from __future__ import annotations

import importlib

# public name -> the module of this package that defines it (imported on first use, so that
# `import neuroflow.tuner` stays light)
_WHERE = {
    "HyperParameters": "hyperparameters",
    "HyperParameter": "hyperparameters",
    "Objective": "objective",
    "Oracle": "oracle",
    "Trial": "trial",
    "TrialStatus": "trial",
    "HyperModel": "hypermodel",
    "Tuner": "tuner",
    "RandomSearch": "random_search",
    "GridSearch": "grid_search",
    "Hyperband": "hyperband",
    "BayesianOptimization": "bayesian",
    "EvolutionarySearch": "evolution",
}
# submodules reached as attributes (`kt.oracles.RandomSearchOracle`, `kt.engine.trial`)
_SUBMODULES = ("oracles", "hyperparameters", "objective", "oracle", "trial", "tuner")

__all__ = sorted([*_WHERE, "oracles"])


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'neuroflow.tuner' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE) | set(_SUBMODULES))
