"""Shape layers (Permute ... UpSampling2D), transposed convolutions, 1-D global pooling, the
noise layers, Identity and Lambda: against Keras 3 and by hand."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.io import native
from neuroflow.keras import layers
from tests.conftest import requires_keras
from tests.layer_peer import compare_with_keras, config_round_trip, keras_config_matches

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

R = np.random.default_rng(4)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


# (class name, keyword arguments, input shape, config keys compared with Keras)
CASES = [
    ("Permute", {"dims": (2, 1)}, (2, 3, 4), ["dims"]),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5), ["dims"]),
    ("RepeatVector", {"n": 3}, (2, 4), ["n"]),
    ("Cropping1D", {}, (2, 6, 3), ["cropping"]),
    ("Cropping1D", {"cropping": (2, 1)}, (2, 6, 3), ["cropping"]),
    ("Cropping2D", {"cropping": 1}, (2, 5, 6, 3), ["cropping", "data_format"]),
    ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 5, 6, 3), ["cropping"]),
    ("Cropping2D", {"cropping": (1, 2), "data_format": "channels_first"}, (2, 3, 5, 6),
     ["cropping", "data_format"]),
    ("ZeroPadding1D", {}, (2, 4, 3), ["padding", "data_format"]),
    ("ZeroPadding1D", {"padding": (0, 2)}, (2, 4, 3), ["padding"]),
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}, (2, 3, 4), ["padding"]),
    ("ZeroPadding2D", {}, (2, 3, 4, 2), ["padding", "data_format"]),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2), ["padding"]),
    ("ZeroPadding2D", {"padding": (2, 1), "data_format": "channels_first"}, (2, 2, 3, 4),
     ["padding", "data_format"]),
    ("UpSampling1D", {"size": 3}, (2, 4, 3), ["size"]),
    ("UpSampling2D", {}, (2, 3, 4, 2), ["size", "data_format", "interpolation"]),
    ("UpSampling2D", {"size": (2, 3), "data_format": "channels_first"}, (2, 2, 3, 4), ["size"]),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear"}, (2, 3, 4, 2),
     ["size", "interpolation"]),
    ("GlobalAveragePooling1D", {}, (2, 5, 3), ["data_format", "keepdims"]),
    ("GlobalAveragePooling1D", {"keepdims": True, "data_format": "channels_first"}, (2, 3, 5),
     ["data_format", "keepdims"]),
    ("GlobalMaxPooling1D", {}, (2, 5, 3), ["keepdims"]),
    ("GlobalMaxPooling1D", {"keepdims": True}, (2, 5, 3), ["keepdims"]),
    ("Identity", {}, (2, 3), []),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 5, 4, 3),
     ["filters", "kernel_size", "strides", "padding", "output_padding"]),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": (3, 2), "strides": (2, 3),
                         "padding": "same", "activation": "relu"}, (2, 5, 4, 3),
     ["kernel_size", "strides", "padding", "activation"]),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                         "output_padding": 1, "use_bias": False}, (2, 4, 4, 3),
     ["output_padding", "use_bias"]),
    ("Conv2DTranspose", {"filters": 9, "kernel_size": 2, "strides": 3}, (2, 3, 3, 2), []),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "dilation_rate": 2}, (2, 5, 4, 2),
     ["dilation_rate"]),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 2, "strides": 2,
                         "data_format": "channels_first"}, (2, 2, 4, 3), ["data_format"]),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 6, 3),
     ["filters", "kernel_size", "strides", "padding", "output_padding", "dilation_rate"]),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same",
                         "output_padding": 1}, (2, 6, 3), ["output_padding"]),
]  # fmt: skip


def _ids(case):
    name, kwargs, *_ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items()).replace(" ", "")


@requires_keras
@pytest.mark.parametrize("name,kwargs,shape,keys", CASES, ids=[_ids(c) for c in CASES])
def test_layer_matches_keras(keras, name, kwargs, shape, keys):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    compare_with_keras(keras, ours, theirs, R.normal(size=shape).astype(np.float32), atol=1e-5)
    keras_config_matches(ours, theirs, keys)
    config_round_trip(ours)


@requires_keras
def test_keras_conv_transpose_weights_load_with_set_weights(keras):
    theirs = keras.layers.Conv2DTranspose(5, (3, 2), strides=2)
    theirs.build((None, 4, 4, 3))
    ours = layers.Conv2DTranspose(5, (3, 2), strides=2)
    ours.build_for((None, 4, 4, 3))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    assert ours.kernel.shape == (3, 2, 5, 3)  # Keras's (kh, kw, filters, channels)


@requires_keras
@pytest.mark.parametrize(
    "name,kwargs,shape",
    [("SpatialDropout1D", {"rate": 0.3}, (4, 5, 6)),
     ("SpatialDropout2D", {"rate": 0.3, "data_format": "channels_first"}, (4, 6, 3, 3)),
     ("GaussianNoise", {"stddev": 0.2, "seed": 3}, (4, 3)),
     ("GaussianDropout", {"rate": 0.2, "seed": 3}, (4, 3))],
)  # fmt: skip
def test_noise_layers_configs_match_keras_and_pass_through_at_inference(keras, name, kwargs, shape):
    ours, theirs = getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    compare_with_keras(keras, ours, theirs, R.normal(size=shape).astype(np.float32))
    assert set(ours.get_config()) == set(theirs.get_config())
    keras_config_matches(ours, theirs, [k for k in kwargs])
    config_round_trip(ours)


def test_spatial_dropout_drops_whole_feature_maps_at_the_keras_rate():
    x = np.ones((400, 5, 8), np.float32)
    out = layers.SpatialDropout1D(0.25, seed=0)(x, training=True).numpy()
    assert (out.min(axis=1) == out.max(axis=1)).all()  # a channel is kept at every step or none
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out[:, 0] == 0).mean() - 0.25) < 0.03
    x = np.ones((300, 4, 3, 3), np.float32)  # channels first: axis 1 is the channel
    out = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(x, training=True)
    out = out.numpy()
    assert (out.min(axis=(2, 3)) == out.max(axis=(2, 3))).all()
    assert abs((out[:, :, 0, 0] == 0).mean() - 0.5) < 0.05


def test_gaussian_noise_and_dropout_statistics_while_training():
    out = layers.GaussianNoise(0.3, seed=1)(np.zeros((4000, 5)), training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 0.3) < 0.01
    out = layers.GaussianDropout(0.2, seed=1)(np.ones((4000, 5)), training=True).numpy()
    assert abs(out.mean() - 1) < 0.02 and abs(out.std() - 0.5) < 0.01  # sqrt(.2 / .8)


def test_seeded_noise_layers_repeat_and_unseeded_follow_the_global_seed():
    def draw(layer):
        return layer(np.zeros((2, 3)), training=True).numpy()

    np.testing.assert_array_equal(
        draw(layers.GaussianNoise(0.5, seed=7)), draw(layers.GaussianNoise(0.5, seed=7))
    )
    nf.utils.set_random_seed(5)
    first = draw(layers.GaussianNoise(0.5))
    nf.utils.set_random_seed(5)
    np.testing.assert_array_equal(first, draw(layers.GaussianNoise(0.5)))


@pytest.mark.parametrize(
    "make,pattern",
    [
        (lambda: layers.Permute((1, 3)), r"`dims`.*Received dims=\(1, 3\)"),
        (lambda: layers.RepeatVector(0), r"`n`.*Received: n=0"),
        (lambda: layers.Cropping1D(-1), r"`cropping`.*Received: cropping=-1"),
        (lambda: layers.Cropping2D((1, 2, 3)), r"`cropping`.*Received: cropping=\(1, 2, 3\)"),
        (lambda: layers.ZeroPadding2D(((1, 2), (1,))), r"2nd entry of padding"),
        (lambda: layers.UpSampling1D(0), r"`size`.*Received: size=0"),
        (lambda: layers.UpSampling2D(interpolation="cubic"), r"`interpolation`.*'cubic'"),
        (lambda: layers.GaussianNoise(2.0), r"`stddev`.*Received: stddev=2.0"),
        (lambda: layers.SpatialDropout1D(1.0), r"`rate`.*Received: rate=1.0"),
        (
            lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2),
            r"`output_padding` must be smaller than its stride",
        ),
        (lambda: layers.Conv2DTranspose(2, 3, output_padding=-1), r"`output_padding`"),
    ],  # fmt: skip
)
def test_bad_arguments_are_refused_naming_them(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_bad_input_shapes_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"smaller than the corresponding spatial dimension"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"expected ndim=2, found ndim=3"):
        layers.RepeatVector(2)(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        layers.Conv2DTranspose(2, 3)(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        layers.Permute((1, 3, 2))(np.zeros((1, 4, 4)))


def test_unsupported_interpolations_say_so():
    with pytest.raises(NotImplementedError, match="bicubic"):
        layers.UpSampling2D(interpolation="bicubic")


def test_shape_layers_infer_symbolic_shapes_in_a_functional_model():
    inputs = nf.keras.Input((8, 8, 3))
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(inputs)
    assert x.shape == (None, 16, 16, 4)
    x = layers.Cropping2D(((1, 1), (2, 2)))(layers.ZeroPadding2D(1)(x))
    assert x.shape == (None, 16, 14, 4)
    x = layers.UpSampling2D((1, 2))(x)
    assert x.shape == (None, 16, 28, 4)
    model = nf.keras.Model(inputs, layers.GlobalMaxPool2D()(x))
    assert model(np.zeros((2, 8, 8, 3), np.float32)).shape == (2, 4)


def test_lambda_runs_in_memory_and_infers_its_output_shape():
    layer = layers.Lambda(lambda x: ops_sum_last(x))
    assert layer(np.ones((2, 3, 4))).shape == (2, 3, 1)
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 1)
    fixed = layers.Lambda(lambda x: x, output_shape=(5,))
    assert fixed.compute_output_shape((None, 5)) == (None, 5)
    x = nf.keras.Input((3,))
    assert layers.Lambda(lambda t: t * 2.0)(x).shape == (None, 3)


def ops_sum_last(x):
    return nf.ops.sum(x, axis=-1, keepdims=True)


def test_lambda_config_describes_the_function_but_is_never_rebuilt():
    config = layers.Lambda(ops_sum_last, arguments={}).get_config()
    assert config["function"]["config"] == "ops_sum_last"
    assert config["function"]["module"] == __name__
    lam = layers.Lambda(lambda x: x + 1.0).get_config()
    assert lam["function"]["class_name"] == "__lambda__"
    assert "x + 1.0" in lam["function"]["config"]["source"]
    with pytest.raises(ValueError, match=r"Lambda layer.*never rebuilds"):
        layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match=r"Unknown layer class 'Lambda'"):
        nf.layers.deserialize({"class_name": "Lambda", "config": config})


def test_a_model_with_a_lambda_layer_cannot_be_saved_in_the_safe_format(tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((3,)), layers.Lambda(lambda x: x * 2.0)])
    with pytest.raises(ValueError, match=r"Lambda"):
        native.save_model(model, tmp_path / "m.nf")
