"""Every import form the seeds and the issue use, and that the namespace only re-exports."""

import importlib
import types

import numpy as np

import neuroflow


def test_import_neuroflow_as_tf():
    import neuroflow as tf

    model = tf.keras.models.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])
    assert isinstance(model, tf.keras.Sequential)
    assert (
        tf.keras.losses.SparseCategoricalCrossentropy
        is neuroflow.losses.SparseCategoricalCrossentropy
    )
    assert tf.keras.datasets.mnist.load_data is neuroflow.datasets.mnist.load_data


def test_from_neuroflow_keras_import_submodules():
    from neuroflow.keras import (  # noqa: F401
        activations,
        callbacks,
        datasets,
        initializers,
        layers,
        losses,
        metrics,
        models,
        optimizers,
        utils,
    )

    model = models.Sequential()
    model.add(layers.Dense(4, activation="relu", input_shape=(3,)))
    model.compile(
        optimizer=optimizers.RMSprop(),
        loss=losses.categorical_crossentropy,
        metrics=[metrics.CategoricalAccuracy()],
    )
    assert utils.to_categorical([1], 2).tolist() == [[0.0, 1.0]]
    assert callable(activations.get("relu")) and initializers.get("zeros")
    assert callbacks.EarlyStopping and datasets.fashion_mnist


def test_keras_input_and_sequential_at_top_level():
    from neuroflow import keras

    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten()])
    assert model.output_shape == (None, 784)
    assert model.predict(np.zeros((2, 28, 28)), verbose=0).shape == (2, 784)


def test_dotted_submodule_imports():
    from neuroflow.keras.layers import Dense
    from neuroflow.keras.losses import MeanSquaredError
    from neuroflow.keras.utils import to_categorical

    assert Dense is neuroflow.layers.Dense and MeanSquaredError is neuroflow.losses.MeanSquaredError
    assert to_categorical is neuroflow.utils.to_categorical


def test_namespace_holds_no_logic_of_its_own():
    """Every public name under neuroflow.keras is the very object defined elsewhere."""
    names = [
        "activations",
        "backend",
        "callbacks",
        "datasets",
        "initializers",
        "layers",
        "losses",
        "metrics",
        "models",
        "optimizers",
        "regularizers",
        "utils",
    ]
    for name in names:
        compat = importlib.import_module(f"neuroflow.keras.{name}")
        for attr in dir(compat):
            value = getattr(compat, attr)
            if attr.startswith("_") or isinstance(value, types.ModuleType):
                continue
            module = getattr(value, "__module__", None)
            if module is not None:
                assert not module.startswith("neuroflow.keras"), f"{name}.{attr} defined in keras/"
