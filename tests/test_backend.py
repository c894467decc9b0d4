"""keras.backend's settings and tf.keras 2's backend functions, against real Keras."""

import numpy as np
import pytest

import neuroflow as tf
from neuroflow import keras
from tests.conftest import peer


@pytest.fixture
def restore_backend():
    yield
    keras.backend.set_epsilon(1e-7)
    keras.backend.set_image_data_format("channels_last")


def test_defaults_equal_keras():
    real = peer("keras")
    assert keras.backend.epsilon() == real.backend.epsilon()
    assert keras.backend.floatx() == real.backend.floatx()
    assert keras.backend.image_data_format() == real.backend.image_data_format()


def test_image_data_format_is_the_layers_default(restore_backend):
    real = peer("keras")
    keras.backend.set_image_data_format("channels_first")
    real.backend.set_image_data_format("channels_first")
    try:
        for name in ("Conv2D", "MaxPooling2D", "GlobalAveragePooling2D", "Conv1D"):
            ours = getattr(keras.layers, name)(*((4, 3) if name.startswith("Conv") else ()))
            theirs = getattr(real.layers, name)(*((4, 3) if name.startswith("Conv") else ()))
            assert ours.get_config()["data_format"] == theirs.get_config()["data_format"]
        model = keras.Sequential([keras.Input((3, 8, 8)), keras.layers.Conv2D(4, 3)])
        assert model.output_shape == (None, 4, 6, 6)  # channels first
        explicit = keras.layers.Conv2D(4, 3, data_format="channels_last")
        assert explicit.data_format == "channels_last"
    finally:
        real.backend.set_image_data_format("channels_last")
    keras.backend.set_image_data_format("channels_last")
    assert keras.layers.Conv2D(4, 3).data_format == "channels_last"
    with pytest.raises(ValueError, match="data_format=.*channels_middle"):
        keras.backend.set_image_data_format("channels_middle")


def test_set_epsilon_reaches_the_losses(restore_backend):
    real = peer("keras")
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    y_pred = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]], np.float32)
    keras.backend.set_epsilon(1e-3)
    real.backend.set_epsilon(1e-3)
    try:
        for name in ("categorical_crossentropy", "binary_crossentropy", "kl_divergence",
                     "mean_absolute_percentage_error", "poisson"):  # fmt: skip
            ours = np.asarray(getattr(keras.losses, name)(y_true, y_pred))
            theirs = np.asarray(getattr(real.losses, name)(y_true, y_pred))
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=name)
        assert keras.backend.epsilon() == 1e-3
    finally:
        real.backend.set_epsilon(1e-7)
    for bad in (0, -1.0, "small", float("nan"), True):
        with pytest.raises(ValueError, match="value="):
            keras.backend.set_epsilon(bad)


def test_set_floatx_takes_float32_only():
    keras.backend.set_floatx("float32")
    keras.backend.set_floatx(tf.float32)
    with pytest.raises(ValueError, match="float32 only.*float64"):
        keras.backend.set_floatx("float64")


def test_tf_keras_2_backend_functions():
    real = peer("keras")
    v = tf.Variable(np.ones((2, 3), np.float32))
    tf.keras.backend.set_value(v, np.full((2, 3), 4.0))
    value = tf.keras.backend.get_value(v)
    assert isinstance(value, np.ndarray) and value.tolist() == [[4.0] * 3] * 2
    value[0, 0] = 9.0  # a copy: the variable is unchanged
    assert v.numpy()[0, 0] == 4.0
    assert tf.keras.backend.get_value(0.5) == 0.5  # a number stays a number
    assert tf.keras.backend.int_shape(v) == (2, 3)
    assert keras.backend.int_shape(keras.Input((5,))) == (None, 5)
    assert keras.backend.count_params(v) == 6
    assert keras.backend.is_keras_tensor(keras.Input((5,)))
    assert not keras.backend.is_keras_tensor(v)
    assert real.backend.is_keras_tensor(real.Input((5,)))  # the same meaning in Keras
    optimizer = keras.optimizers.Adam(1e-3)
    assert tf.keras.backend.get_value(optimizer.learning_rate) == pytest.approx(1e-3)
    tf.keras.backend.set_value(optimizer.learning_rate, 1e-4)  # a variable, as in Keras 3
    assert float(optimizer.learning_rate) == pytest.approx(1e-4)
    with pytest.raises(TypeError, match="Expected `x` to be a variable"):
        tf.keras.backend.set_value(0.5, 1e-4)
