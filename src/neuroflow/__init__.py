"""neuroflow: small neural networks on NumPy, fast, readable, with a Keras-compatible API.

>>> import neuroflow as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))])
>>> model.count_params()
4
"""

from neuroflow import (
    activations,
    backend,
    callbacks,
    config,
    datasets,
    initializers,
    keras,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    utils,
)
from neuroflow.models import Model, Sequential
from neuroflow.tensor import Tensor, Variable, no_grad

__version__ = "0.1.0"

__all__ = [
    "Model", "Sequential", "Tensor", "Variable", "activations", "backend", "callbacks",
    "config", "datasets", "initializers", "keras", "layers", "losses", "metrics", "models",
    "no_grad", "ops", "optimizers", "regularizers", "utils",
]  # fmt: skip
