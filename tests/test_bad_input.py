"""Arguments Keras accepts work as in Keras; anything else raises a clear error.

``padding`` is read case-insensitively, ``data_format="channels_first"`` works for the
convolution, pooling and Flatten layers, and the cross-entropies honour ``axis``.
"""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import config, layers, losses
from neuroflow.tensor import Tensor
from tests.conftest import requires_keras

R = np.random.default_rng(3)

PADDED_LAYERS = [
    (lambda p: layers.Conv2D(2, 3, padding=p), (1, 5, 5, 1), (1, 5, 5, 2)),
    (lambda p: layers.Conv1D(2, 3, padding=p), (1, 5, 1), (1, 5, 2)),
    (lambda p: layers.MaxPooling2D(2, padding=p), (1, 5, 5, 1), (1, 3, 3, 1)),
    (lambda p: layers.AveragePooling2D(2, padding=p), (1, 5, 5, 1), (1, 3, 3, 1)),
    (lambda p: layers.MaxPooling1D(2, padding=p), (1, 5, 1), (1, 3, 1)),
]


@pytest.mark.parametrize("make,shape,expected", PADDED_LAYERS)
def test_padding_in_capitals_means_same_padding(make, shape, expected):
    layer = make("SAME")
    assert layer.padding == "same"
    assert layer(np.ones(shape, np.float32)).shape == expected


@pytest.mark.parametrize("make,shape,expected", PADDED_LAYERS)
@pytest.mark.parametrize("padding", ["full", "causal", None])
def test_unknown_padding_is_refused_naming_the_layer(make, shape, expected, padding):
    with pytest.raises(ValueError, match=r"`padding` of layer .*Received: padding="):
        make(padding)


@pytest.mark.parametrize(
    "make",
    [
        lambda f: layers.Conv2D(2, 3, data_format=f),
        lambda f: layers.MaxPooling2D(data_format=f),
        lambda f: layers.GlobalAveragePooling2D(data_format=f),
        lambda f: layers.Flatten(data_format=f),
    ],
)
def test_data_format_is_validated_like_keras(make):
    assert make("Channels_First").data_format == "channels_first"
    assert make(None).data_format == "channels_last"
    with pytest.raises(ValueError, match=r"`data_format`.*Received: data_format='nchw'"):
        make("nchw")


def first(x):
    """channels-last array -> channels-first."""
    return np.moveaxis(x, -1, 1)


# (layer factory, channels-last input shape): channels_first must equal transposing around
# the channels-last layer, with the same weights
CHANNELS_CASES = [
    (
        lambda f: layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", data_format=f),
        (2, 7, 6, 4),
    ),
    (lambda f: layers.Conv2D(3, 3, activation="tanh", data_format=f), (2, 6, 6, 2)),
    (lambda f: layers.Conv1D(3, 3, data_format=f), (2, 7, 4)),
    (lambda f: layers.MaxPooling2D(2, data_format=f), (2, 5, 6, 3)),
    (lambda f: layers.AveragePooling2D(3, 2, padding="same", data_format=f), (2, 7, 5, 3)),
    (lambda f: layers.MaxPooling1D(2, data_format=f), (2, 7, 3)),
    (lambda f: layers.AveragePooling1D(2, data_format=f), (2, 7, 3)),
]


@pytest.mark.parametrize("make,shape", CHANNELS_CASES)
def test_channels_first_equals_transposed_channels_last(make, shape):
    x = R.normal(size=shape).astype(np.float32)
    last, firstl = make("channels_last"), make("channels_first")
    expected = last(x).numpy()
    firstl(first(x))  # builds
    firstl.set_weights(last.get_weights())
    out = firstl(first(x))
    np.testing.assert_allclose(out.numpy(), first(expected), rtol=1e-6, atol=1e-6)
    assert firstl.compute_output_shape((None,) + first(x).shape[1:]) == (None,) + out.shape[1:]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("cls", [layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D])
def test_global_pooling_channels_first_reduces_height_and_width(cls, keepdims):
    x = R.normal(size=(2, 3, 4, 5)).astype(np.float32)  # channels first: 3 channels
    out = cls(data_format="channels_first", keepdims=keepdims)(x).numpy()
    ref = (np.mean if cls is layers.GlobalAveragePooling2D else np.max)(x, axis=(2, 3))
    np.testing.assert_allclose(out, ref[:, :, None, None] if keepdims else ref, rtol=1e-6)
    assert out.shape == ((2, 3, 1, 1) if keepdims else (2, 3))


def test_flatten_channels_first_orders_features_as_channels_last():
    x = R.normal(size=(2, 3, 4, 5)).astype(np.float32)
    out = layers.Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(out, np.moveaxis(x, 1, -1).reshape(2, -1))


def test_channels_first_cnn_fuses_and_agrees_with_the_reference():
    model = nf.keras.Sequential(
        [
            nf.keras.Input((1, 12, 12)),
            layers.Conv2D(4, 3, activation="relu", data_format="channels_first"),
            layers.MaxPooling2D(2, data_format="channels_first"),
            layers.Flatten(data_format="channels_first"),
        ]
    )
    x = R.random((3, 1, 12, 12), dtype=np.float32)
    fused = model(x).numpy()
    with config.fusion(False):
        plain = model(x).numpy()
    np.testing.assert_allclose(fused, plain, rtol=1e-6, atol=1e-7)
    assert fused.shape == (3, 4 * 5 * 5)


@requires_keras
@pytest.mark.parametrize("make,shape", CHANNELS_CASES[:3] + CHANNELS_CASES[4:5])
def test_channels_first_matches_keras(make, shape):
    import keras

    x = first(R.normal(size=shape).astype(np.float32))
    ours = make("channels_first")
    theirs = getattr(keras.layers, type(ours).__name__).from_config(
        {**ours.get_config(), "name": "k"}
    )
    expected_shape = theirs.compute_output_shape(x.shape)
    ours(x)  # builds
    if ours.weights:
        theirs.build(x.shape)
        theirs.set_weights(ours.get_weights())
    expected = np.asarray(theirs(x))
    assert expected.shape == tuple(expected_shape)
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------ losses


def probs_and_targets(shape, axis):
    """Probabilities summing to 1 along ``axis``, and one-hot targets along it."""
    p = R.uniform(0.05, 1.0, shape).astype(np.float32)
    p /= p.sum(axis=axis, keepdims=True)
    labels = R.integers(0, shape[axis], np.delete(shape, axis % len(shape)))
    t = np.moveaxis(np.eye(shape[axis], dtype=np.float32)[labels], -1, axis)
    return p, t


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_categorical_crossentropy_axis_equals_moving_the_axis_last(from_logits, label_smoothing):
    p, t = probs_and_targets((2, 3, 4), axis=1)
    ours = losses.categorical_crossentropy(t, p, from_logits, 0.0, axis=1).numpy()
    last = losses.categorical_crossentropy(
        np.moveaxis(t, 1, -1), np.moveaxis(p, 1, -1), from_logits, 0.0
    ).numpy()
    assert ours.shape == (2, 4)
    np.testing.assert_allclose(ours, last, rtol=1e-6)


def test_cross_entropy_sees_through_a_softmax_only_over_its_own_axis():
    z = Tensor(R.normal(size=(2, 3, 4)).astype(np.float32), requires_grad=True)
    _, t = probs_and_targets((2, 3, 4), axis=1)
    for softmax_axis in (1, -1):
        p = nf.ops.softmax(z, axis=softmax_axis)
        ours = losses.categorical_crossentropy(t, p, axis=1).numpy()
        plain = losses.categorical_crossentropy(t, p.numpy(), axis=1).numpy()
        np.testing.assert_allclose(ours, plain, rtol=1e-5)


def test_binary_crossentropy_axis_averages_over_it():
    p, _ = probs_and_targets((2, 3, 4), axis=1)
    t = (R.random((2, 3, 4)) > 0.5).astype(np.float32)
    ours = losses.binary_crossentropy(t, p, axis=1).numpy()
    per_element = losses.binary_crossentropy(t[..., None], p[..., None]).numpy()
    np.testing.assert_allclose(ours, per_element.mean(axis=1), rtol=1e-6)


def test_bad_axis_values_are_refused():
    p, t = probs_and_targets((2, 3), axis=1)
    with pytest.raises(ValueError, match=r"`axis`.*Received: axis=2"):
        losses.categorical_crossentropy(t, p, axis=2)
    with pytest.raises(TypeError, match=r"`axis`.*Received: axis=True"):
        losses.CategoricalCrossentropy(axis=True)
    with pytest.raises(ValueError, match=r"only the last axis.*Received: axis=0"):
        losses.sparse_categorical_crossentropy(np.array([0, 1]), p.T, axis=0)


@pytest.mark.parametrize(
    "cls",
    [
        losses.CategoricalCrossentropy,
        losses.BinaryCrossentropy,
        losses.SparseCategoricalCrossentropy,
    ],
)
def test_axis_is_in_the_config(cls):
    loss = cls(axis=1)
    assert loss.get_config()["axis"] == 1
    assert cls.from_config(loss.get_config()).axis == 1


@requires_keras
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("kind", ["categorical", "binary"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_loss_axis_matches_keras(axis, kind, from_logits):
    import keras

    p, t = probs_and_targets((3, 4, 5), axis=axis)
    if kind == "binary":
        t = (R.random(p.shape) > 0.5).astype(np.float32)
    x = np.log(p) if from_logits else p
    for smoothing in (0.0, 0.2):
        ours = getattr(losses, f"{kind}_crossentropy")(t, x, from_logits, smoothing, axis)
        theirs = getattr(keras.losses, f"{kind}_crossentropy")(
            t, x, from_logits=from_logits, label_smoothing=smoothing, axis=axis
        )
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-6)
