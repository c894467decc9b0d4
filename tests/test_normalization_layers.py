"""BatchNormalization, LayerNormalization, Normalization and Rescaling: by hand, against Keras 3
with the same weights and data (``requires_keras``: skipped locally without TensorFlow, failed
in CI), through config round trips and the native save format."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import optimizers
from neuroflow.keras import layers
from neuroflow.layers import deserialize
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(11)
X = (RNG.normal(size=(48, 5)) * [1, 2, 3, 0.5, 4] + [0, 1, -2, 3, 0.5]).astype(np.float32)
Y = RNG.normal(size=(48, 2)).astype(np.float32)
IMAGES = RNG.normal(size=(6, 4, 4, 3)).astype(np.float32) * 2 + 1


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


def _keras_layer(keras, layer):
    """The Keras layer of the same class, built from our config."""
    config = {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}
    return getattr(keras.layers, type(layer).__name__).from_config(config)


def _both(keras, layer, x, training, set_random=True):
    """Our layer and Keras's (same config, same random weights) called on ``x``."""
    k_layer = _keras_layer(keras, layer)
    layer.build_for((None,) + x.shape[1:])
    k_layer.build((None,) + x.shape[1:])
    if set_random:
        weights = [RNG.uniform(0.5, 1.5, size=w.shape).astype(np.float32) for w in layer.weights]
        layer.set_weights(weights)
        k_layer.set_weights(weights)
    ours = layer(x, training=training).numpy()
    theirs = np.asarray(k_layer(x, training=training))
    return ours, theirs, k_layer


# --- BatchNormalization --------------------------------------------------------------------


def test_batch_normalization_weights_and_counts_are_keras_s():
    layer = layers.BatchNormalization()
    layer.build_for((None, 8, 8, 64))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert layer.count_params() == 256
    assert sum(w.size for w in layer.trainable_weights) == 128
    assert sum(w.size for w in layer.non_trainable_weights) == 128
    no_affine = layers.BatchNormalization(center=False, scale=False)
    no_affine.build_for((None, 3))
    assert [w.name for w in no_affine.weights] == ["moving_mean", "moving_variance"]
    assert no_affine.trainable_weights == []


def test_batch_normalization_by_hand():
    layer = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = np.array([[1.0, 0.0], [3.0, 4.0], [5.0, 8.0]], np.float32)
    out = layer(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)  # the biased variance, as Keras
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-6)
    inference = layer(x, training=False).numpy()  # the moving statistics, left unchanged
    expected = (x - 0.1 * mean) / np.sqrt(0.9 + 0.1 * var + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-6)


def test_batch_normalization_frozen_runs_in_inference_mode():
    layer = layers.BatchNormalization(trainable=False)
    x = X[:8]
    out = layer(x, training=True).numpy()
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(5))
    assert layer.trainable_weights == []


def test_batch_normalization_batch_of_one_in_training_is_refused():
    layer = layers.BatchNormalization()
    with pytest.raises(ValueError, match=r"batch of 1 sample.*\(1, 5\).*at least 2"):
        layer(X[:1], training=True)
    assert layer(X[:1], training=False).shape == (1, 5)  # inference is fine
    # one image has many values per channel: its statistics are well defined
    conv_bn = layers.BatchNormalization()
    assert conv_bn(IMAGES[:1], training=True).shape == (1, 4, 4, 3)


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"axis": "last"}, "axis='last'"),
        ({"momentum": 1.5}, "momentum=1.5"),
        ({"epsilon": 0}, "epsilon=0"),
        ({"beta_constraint": "no_such"}, "constraint='no_such'"),
    ],
)
def test_batch_normalization_bad_arguments(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layers.BatchNormalization(**bad)


def test_batch_normalization_axis_out_of_range_and_wrong_features():
    with pytest.raises(ValueError, match="Axis 3 is out of bounds.*axis=3"):
        layers.BatchNormalization(axis=3)(X)
    layer = layers.BatchNormalization()
    layer(X)
    with pytest.raises(ValueError, match=r"expected axis -1 .* value 5.*\(2, 3\)"):
        layer(np.ones((2, 3)))


@requires_keras
@pytest.mark.parametrize(
    "x,axis",
    [(X[:10], -1), (IMAGES, -1), (IMAGES, 1), (IMAGES.transpose(0, 3, 1, 2), 1)],
    ids=["2d", "nhwc", "axis1", "nchw"],
)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_batch_normalization_matches_keras(keras, x, axis, training):
    layer = layers.BatchNormalization(axis=axis, momentum=0.8)
    ours, theirs, k_layer = _both(keras, layer, x, training)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    for w, k_w in zip(layer.weights, k_layer.weights):  # moving statistics updated alike
        np.testing.assert_allclose(w.numpy(), np.asarray(k_w), rtol=1e-5, atol=1e-6)


def _pair(keras, make_ours, make_keras, shape=(5,)):
    """Dense -> normalization -> Dense in both libraries, Keras's initial weights copied."""
    keras.utils.set_random_seed(0)
    k_model = keras.Sequential(
        [keras.Input(shape), keras.layers.Dense(4), make_keras(), keras.layers.Dense(2)]
    )
    n_model = nf.keras.Sequential(
        [nf.keras.Input(shape), layers.Dense(4), make_ours(), layers.Dense(2)]
    )
    n_model.set_weights(k_model.get_weights())
    for model, opt in ((k_model, keras.optimizers.SGD(0.1)), (n_model, optimizers.SGD(0.1))):
        model.compile(opt, loss="mse")
    return k_model, n_model


NORMALIZATIONS = {
    "batch": (lambda: layers.BatchNormalization(), lambda k: k.layers.BatchNormalization()),
    "batch-momentum": (
        lambda: layers.BatchNormalization(momentum=0.5, epsilon=1e-2),
        lambda k: k.layers.BatchNormalization(momentum=0.5, epsilon=1e-2),
    ),
    "batch-frozen": (
        lambda: layers.BatchNormalization(trainable=False),
        lambda k: k.layers.BatchNormalization(trainable=False),
    ),
    "layer": (lambda: layers.LayerNormalization(), lambda k: k.layers.LayerNormalization()),
}


@requires_keras
@pytest.mark.parametrize("kind", NORMALIZATIONS)
def test_one_sgd_step_matches_keras(keras, kind):
    make_ours, make_keras = NORMALIZATIONS[kind]
    k_model, n_model = _pair(keras, make_ours, lambda: make_keras(keras))
    k_loss = k_model.train_on_batch(X[:16], Y[:16])
    n_loss = n_model.train_on_batch(X[:16], Y[:16])
    np.testing.assert_allclose(n_loss, k_loss, rtol=1e-5)
    assert len(n_model.weights) == len(k_model.weights)
    for w, k_w in zip(n_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(w, k_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        n_model.predict(X, verbose=0), k_model.predict(X, verbose=0), rtol=1e-4, atol=1e-5
    )


@requires_keras
@pytest.mark.parametrize("kind", ["batch", "batch-momentum", "batch-frozen"])
def test_moving_statistics_after_fit_match_keras(keras, kind):
    make_ours, make_keras = NORMALIZATIONS[kind]
    k_model, n_model = _pair(keras, make_ours, lambda: make_keras(keras))
    k_hist = k_model.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    n_hist = n_model.fit(X, Y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(n_hist.history["loss"], k_hist.history["loss"], rtol=1e-4)
    bn, k_bn = n_model.layers[1], k_model.layers[1]
    for w, k_w in zip(bn.weights, k_bn.weights):
        np.testing.assert_allclose(w.numpy(), np.asarray(k_w), rtol=1e-4, atol=1e-6)
    if kind != "batch-frozen":
        assert not np.allclose(bn.moving_mean.numpy(), 0)  # the test would catch no update
    # evaluate and predict leave the moving statistics alone, in both libraries
    before = [w.numpy().copy() for w in bn.weights]
    np.testing.assert_allclose(
        n_model.evaluate(X, Y, verbose=0), k_model.evaluate(X, Y, verbose=0), rtol=1e-4
    )
    n_model.predict(X, verbose=0)
    for w, b in zip(bn.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


@requires_keras
def test_summary_counts_match_keras(keras):
    k_model, n_model = _pair(
        keras, lambda: layers.BatchNormalization(), lambda: keras.layers.BatchNormalization()
    )
    assert n_model.count_params() == k_model.count_params() == 24 + 16 + 10
    n_non = sum(w.size for w in n_model.non_trainable_weights)
    assert n_non == sum(int(np.prod(w.shape)) for w in k_model.non_trainable_weights) == 8


# --- LayerNormalization --------------------------------------------------------------------


def test_layer_normalization_by_hand():
    x = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]], np.float32)
    out = layers.LayerNormalization(epsilon=1e-3)(x).numpy()
    mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5)


@requires_keras
@pytest.mark.parametrize(
    "kwargs,x",
    [
        ({}, X[:6]),
        ({"axis": [1, 2]}, IMAGES),
        ({"axis": 1, "epsilon": 1e-5}, IMAGES),
        ({"center": False}, IMAGES),
        ({"scale": False}, X[:6]),
    ],
    ids=["default", "two-axes", "axis1", "no-center", "no-scale"],
)
def test_layer_normalization_matches_keras(keras, kwargs, x):
    layer = layers.LayerNormalization(**kwargs)
    ours, theirs, k_layer = _both(keras, layer, x, training=True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == [w.name for w in k_layer.weights]
    assert layer.get_config()["axis"] == k_layer.get_config()["axis"]


@requires_keras
def test_layer_normalization_rms_scaling_matches_keras(keras):
    layer = layers.LayerNormalization(rms_scaling=True)
    with pytest.warns(UserWarning):  # Keras deprecates it
        ours, theirs, k_layer = _both(keras, layer, X[:6] + 2, training=False)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == ["gamma"]


# --- Normalization and Rescaling -----------------------------------------------------------


@requires_keras
@pytest.mark.parametrize(
    "axis,data",
    [(-1, X), (None, X), ((1, 2), IMAGES), (-1, IMAGES)],
    ids=["features", "all", "spatial", "channels"],
)
def test_normalization_adapt_matches_keras(keras, axis, data):
    ours, theirs = layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(data)
    theirs.adapt(data)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    for w, k_w in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(w.numpy(), np.asarray(k_w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(data[:4]).numpy(), np.asarray(theirs(data[:4])), rtol=1e-5)


@requires_keras
def test_normalization_adapt_on_batches_matches_keras(keras):
    batches = [X[:20], X[20:35], X[35:]]
    ours, theirs = layers.Normalization(), keras.layers.Normalization()
    ours.adapt(iter(batches))  # a generator, as Keras merges them
    theirs.adapt(batches)
    np.testing.assert_allclose(ours.adapt_mean.numpy(), np.asarray(theirs.adapt_mean), rtol=1e-5)
    np.testing.assert_allclose(
        ours.adapt_variance.numpy(), np.asarray(theirs.adapt_variance), rtol=1e-5
    )
    np.testing.assert_allclose(ours.variance, X.var(0, keepdims=True), rtol=1e-5)  # broadcast


def test_normalization_adapt_on_a_data_frame_as_the_regression_tutorial_does():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=list("abcde"))
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(frame)
    np.testing.assert_allclose(normalizer.mean.numpy(), X.mean(0, keepdims=True), rtol=1e-5)
    one = layers.Normalization(input_shape=[1], axis=None)
    one.adapt(frame["c"])  # a Series: one statistic over everything
    np.testing.assert_allclose(one.variance.numpy(), [X[:, 2].var()], rtol=1e-5)
    assert one(X[:4, 2:3]).shape == (4, 1)


def test_normalization_adapt_batch_size_and_steps():
    whole, first = layers.Normalization(), layers.Normalization()
    whole.adapt(X, batch_size=8)  # tf.keras 2's argument: the statistics do not depend on it
    np.testing.assert_allclose(whole.adapt_mean.numpy(), X.mean(0), rtol=1e-5)
    first.adapt(X, batch_size=8, steps=2)  # the first 2 batches of 8
    np.testing.assert_allclose(first.adapt_mean.numpy(), X[:16].mean(0), rtol=1e-5)
    pairs = layers.Normalization()
    pairs.adapt([(X[:10], Y[:10]), (X[10:30], Y[10:30]), (X[30:], Y[30:])], steps=2)
    np.testing.assert_allclose(pairs.adapt_variance.numpy(), X[:30].var(0), rtol=1e-4)
    with pytest.raises(ValueError, match="steps=0"):
        layers.Normalization().adapt(X, steps=0)
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])
    with pytest.raises(ValueError, match=r"incompatible shape.*\(3, 4\)"):
        whole.adapt(np.ones((3, 4)))


@requires_keras
@pytest.mark.parametrize(
    "kwargs",
    [
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.25]},
        {"mean": 2.0, "variance": 9.0},
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.25], "invert": True},
        {"axis": (1, 2), "mean": [[1.0] * 4] * 4, "variance": [[4.0] * 4] * 4},
    ],
    ids=["per-feature", "scalar", "invert", "spatial"],
)
def test_normalization_given_statistics_match_keras(keras, kwargs):
    x = IMAGES[..., :3] if "axis" not in kwargs else IMAGES
    ours, theirs = layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6, atol=1e-6)
    assert ours.weights == [] and len(theirs.weights) == 0
    config = ours.get_config()
    assert config["mean"] == theirs.get_config()["mean"]
    again = deserialize({"class_name": "Normalization", "config": config})
    np.testing.assert_array_equal(again(x).numpy(), ours(x).numpy())


def test_normalization_bad_arguments():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=[1.0])
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(TypeError, match="axis='x'"):
        layers.Normalization(axis="x")
    with pytest.raises(ValueError, match="cannot change"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(X)


@requires_keras
@pytest.mark.parametrize(
    "kwargs", [{"scale": 1 / 255}, {"scale": 1 / 127.5, "offset": -1}, {"scale": [1.0, 2.0, 0.5]}]
)
def test_rescaling_matches_keras(keras, kwargs):
    ours, theirs = layers.Rescaling(**kwargs), keras.layers.Rescaling(**kwargs)
    x = IMAGES * 100
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)
    assert ours.get_config()["scale"] == theirs.get_config()["scale"]


def test_rescaling_bad_scale():
    with pytest.raises(TypeError, match="scale='half'"):
        layers.Rescaling("half")


# --- configs and saving --------------------------------------------------------------------

CONFIGURED = [
    lambda: layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-2, center=False,
                                      gamma_initializer="random_normal", gamma_regularizer="l2"),
    lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, scale=False),
    lambda: layers.Normalization(axis=(1,), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True),
    lambda: layers.Normalization(axis=None),
    lambda: layers.Rescaling(scale=[0.5, 2.0], offset=1.0),
]  # fmt: skip


@pytest.mark.parametrize("make", CONFIGURED, ids=["bn", "ln", "norm", "norm-adapt", "rescale"])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    again = deserialize({"class_name": type(layer).__name__, "config": config})
    assert type(again) is type(layer)
    assert again.get_config() == config


@requires_keras
@pytest.mark.parametrize("make", CONFIGURED, ids=["bn", "ln", "norm", "norm-adapt", "rescale"])
def test_config_keys_match_keras(keras, make):
    layer = make()
    k_layer = _keras_layer(keras, layer)
    ours, theirs = layer.get_config(), k_layer.get_config()
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        if key not in ("name", "dtype", "axis") and not key.endswith(
            ("initializer", "regularizer")
        ):
            assert ours[key] == theirs[key], key


def test_native_format_keeps_the_non_trainable_weights(tmp_path):
    norm = layers.Normalization()
    norm.adapt(X)
    model = nf.keras.Sequential(
        [nf.keras.Input((5,)), norm, layers.Dense(4), layers.BatchNormalization(momentum=0.5),
         layers.LayerNormalization(), layers.Dense(2), layers.Rescaling(2.0, offset=1.0)]
    )  # fmt: skip
    model.compile(optimizers.SGD(0.1), loss="mse")
    model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert not np.allclose(model.layers[2].moving_mean.numpy(), 0)
    path = tmp_path / "model.nf"
    nf.io.save_model(model, path)
    loaded = nf.io.load_model(path)
    names = [w.name for w in loaded.weights]
    assert names == [w.name for w in model.weights]
    assert names[:3] == ["mean", "variance", "count"]
    for w, w_loaded in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(w_loaded, w)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


@requires_keras
def test_keras_configs_deserialize(keras):
    # what keras's get_config writes (dtype policies, module-qualified initializers) loads here
    k_layers = [
        keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-2, gamma_regularizer="l2"),
        keras.layers.LayerNormalization(axis=[1, 2], center=False),
        keras.layers.Normalization(axis=None, mean=2.0, variance=4.0, invert=True),
        keras.layers.Rescaling(1 / 255.0, offset=-1),
    ]
    for k_layer in k_layers:
        config = k_layer.get_config()
        layer = deserialize({"class_name": type(k_layer).__name__, "config": config})
        x = IMAGES if isinstance(layer, layers.LayerNormalization) else X[:6]
        layer.build_for((None,) + x.shape[1:])
        k_layer.build((None,) + x.shape[1:])
        weights = [RNG.uniform(0.5, 1.5, size=w.shape) for w in layer.weights]
        layer.set_weights(weights)
        k_layer.set_weights(weights)
        np.testing.assert_allclose(
            layer(x, training=False).numpy(), np.asarray(k_layer(x, training=False)), rtol=1e-5
        )
        ours = layer.get_config()
        for key in ("momentum", "epsilon", "center", "invert", "mean", "scale", "offset"):
            if key in config:
                assert ours[key] == config[key], (type(layer).__name__, key)
        if config.get("gamma_regularizer") is not None:
            assert ours["gamma_regularizer"]["config"] == config["gamma_regularizer"]["config"]
