"""neuroflow: small neural networks on NumPy, fast, readable, with a Keras-compatible API.

``import neuroflow as tf`` gives TensorFlow's names (:mod:`neuroflow.tf`) and ``tf.keras``.

>>> import neuroflow as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(3,))])
>>> model.count_params()
4
>>> tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), axis=0)
<tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 6], dtype=int32)>
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
from neuroflow import tf as _tf
from neuroflow._version import __version__  # noqa: F401
from neuroflow.models import Model, Sequential
from neuroflow.tensor import no_grad
from neuroflow.tf import *  # noqa: F403  (TensorFlow's names, for `import neuroflow as tf`)

__all__ = [
    "Model", "Sequential", "activations", "backend", "callbacks", "config", "datasets",
    "initializers", "keras",
    "layers", "losses", "metrics", "models", "no_grad", "ops", "optimizers", "regularizers",
    "utils", *_tf.__all__,
]  # fmt: skip
