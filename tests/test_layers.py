import numpy as np
import pytest

import neuroflow as nf
from neuroflow import layers
from neuroflow.tensor import Tensor

R = np.random.default_rng(0)


def test_dense_applies_to_last_axis_of_3d_input():
    layer = layers.Dense(5)
    x = R.normal(size=(2, 3, 4)).astype(np.float32)
    out = layer(x).numpy()
    assert out.shape == (2, 3, 5)
    k, b = layer.get_weights()
    np.testing.assert_allclose(out, x @ k + b, rtol=1e-5)


def test_dense_glorot_uniform_limits_and_zero_bias():
    layer = layers.Dense(128)
    layer(np.zeros((1, 784)))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (784 + 128))
    assert kernel.dtype == np.float32 and np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert np.all(bias == 0)


def test_dense_rejects_wrong_input_width():
    layer = layers.Dense(3, name="hidden")
    layer(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r'layer "hidden".*value 4.*\(2, 5\)'):
        layer(np.zeros((2, 5)))


@pytest.mark.parametrize("units", [0, -3, 2.5, None])
def test_dense_units_must_be_positive_int(units):
    with pytest.raises(ValueError, match="units"):
        layers.Dense(units)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.2"])
def test_dropout_rate_validated(rate):
    with pytest.raises(ValueError, match=r"rate.*between 0 and 1"):
        layers.Dropout(rate)


def test_dropout_only_in_training():
    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((100, 100), dtype=np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    trained = layer(x, training=True).numpy()
    assert set(np.unique(trained)) == {0.0, 2.0}
    assert abs(trained.mean() - 1.0) < 0.05  # inverted scaling keeps the mean


def test_flatten_reshape_and_shapes():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, -1))(x).shape == (2, 4, 3)
    assert layers.Flatten().compute_output_shape((None, 28, 28)) == (None, 784)
    with pytest.raises(ValueError, match="cannot reshape"):
        layers.Reshape((5,))(x)
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))


def test_activation_layers():
    x = np.array([[-2.0, 0.5]], dtype=np.float32)
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), [[-0.6, 0.5]])  # Keras 3: 0.3
    np.testing.assert_allclose(layers.LeakyReLU(alpha=0.1)(x).numpy(), [[-0.2, 0.5]])
    np.testing.assert_allclose(layers.LeakyReLU(negative_slope=0.1)(x).numpy(), [[-0.2, 0.5]])
    np.testing.assert_allclose(layers.ELU()(x).numpy(), [[np.expm1(-2.0), 0.5]], rtol=1e-6)
    np.testing.assert_allclose(layers.Softmax()(x).numpy().sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), [[0.0, 0.5]])
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), [[0.0, 0.5]])


def test_every_activation_name_resolves():
    x = Tensor(np.array([[-1.0, 0.0, 2.0]], dtype=np.float32))
    for name in [
        "linear",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "softmax",
        "softplus",
        "step",
    ]:
        assert layers.Dense(2, activation=name)(x).shape == (1, 2)
    with pytest.raises(ValueError, match="Unknown activation function: activation='rleu'"):
        layers.Dense(2, activation="rleu")


def test_input_shape_and_input_dim_keywords():
    assert layers.Dense(3, input_shape=(4,)).input_shape_hint == (None, 4)
    assert layers.Dense(3, input_dim=784).input_shape_hint == (None, 784)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        layers.Dense(3, inputshape=(4,))


def test_weights_are_tracked_by_attribute_and_settable():
    layer = layers.Dense(2, input_dim=3)
    layer(np.zeros((1, 3)))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    layer.set_weights([np.ones((3, 2)), np.full(2, 0.5)])
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), [[3.5, 3.5]])
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 2\)"):
        layer.set_weights([np.ones((2, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        layer.set_weights([np.ones((3, 2))])


def test_names_follow_keras():
    assert layers.Dense(1).name == "dense"
    assert layers.Dense(1).name == "dense_1"
    assert layers.LeakyReLU().name == "leaky_re_lu"
    assert nf.models.Sequential().name == "sequential"


def test_layer_config_round_trip():
    layer = layers.Dense(4, activation="tanh", use_bias=False, name="d")
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.units == 4 and not clone.use_bias and clone.name == "d"
    assert clone.get_config()["activation"] == "tanh"


def test_regularizer_adds_penalty():
    layer = layers.Dense(2, kernel_regularizer=nf.regularizers.L2(0.5), input_dim=2)
    layer(np.zeros((1, 2)))
    layer.set_weights([np.ones((2, 2)), np.zeros(2)])
    assert float(layer.losses[0].numpy()) == pytest.approx(0.5 * 4)


def test_sequential_config_round_trip_and_deserialize():
    inner = nf.keras.Sequential([nf.keras.Input((6,)), layers.Dense(4, activation="tanh")])
    model = nf.keras.Sequential([inner, layers.Dropout(0.1), layers.Dense(2)])
    clone = nf.models.Sequential.from_config(model.get_config())
    assert [type(a).__name__ for a in clone.layers] == ["Sequential", "Dropout", "Dense"]
    assert clone.count_params() == model.count_params() and clone.input_shape == (None, 6)
    assert isinstance(
        layers.deserialize({"class_name": "Conv2D", "config": {"filters": 3, "kernel_size": 2}}),
        layers.Conv2D,
    )
    with pytest.raises(ValueError, match="Unknown layer class 'Lambda'"):
        layers.deserialize({"class_name": "Lambda", "config": {}})
