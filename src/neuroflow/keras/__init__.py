"""The Keras compatibility namespace: ``from neuroflow import keras`` (re-exports only).

Code written for ``tf.keras`` or Keras 3 runs after changing the import:
``import neuroflow as tf`` or ``from neuroflow import keras``.
"""

from neuroflow._version import __version__  # noqa: F401  (print(keras.__version__))
from neuroflow.keras import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from neuroflow.layers import Input
from neuroflow.models import Model, Sequential
from neuroflow.tensor import Variable

__all__ = [
    "Input", "Model", "Sequential", "Variable", "activations", "backend", "callbacks",
    "constraints", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers",
    "preprocessing", "random", "regularizers", "saving", "utils",
]  # fmt: skip
