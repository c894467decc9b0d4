"""Masks as Keras 3 carries them: Embedding(mask_zero) and Masking start one, Layer.__call__
hands it to ``call(mask=...)`` and puts ``compute_mask`` on the outputs, in eager calls,
Sequential and functional models; GlobalAveragePooling1D, the loss and the mean metrics
count only the unmasked steps. Compared with Keras 3 where it is installed."""

import os
import warnings

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras as nk
from neuroflow.keras import layers
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

R = np.random.default_rng(12)


def _tokens(batch=5, steps=6, vocab=10):
    """Integer sequences padded with zeros: a short row, a fully padded row, a full row."""
    x = R.integers(1, vocab, size=(batch, steps))
    x[0, 3:] = 0
    x[1, :] = 0
    x[3, 1::2] = 0
    return x


def _both(build):
    """The same model built in Keras and here, with Keras's weights copied across."""
    keras = peer("keras")
    theirs, ours = build(keras), build(nk)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


# ------------------------------------------------------------------------------ Embedding
def test_embedding_looks_up_rows_and_names_its_weight():
    layer = layers.Embedding(7, 3)
    x = np.array([[1, 6, 0], [2, 2, 5]])
    out = layer(x)
    assert out.shape == (2, 3, 3)
    assert [w.name for w in layer.weights] == ["embeddings"]
    np.testing.assert_array_equal(out.numpy(), layer.embeddings.data[x])
    assert np.abs(layer.embeddings.data).max() <= 0.05  # Keras's RandomUniform(-0.05, 0.05)
    assert out._keras_mask is None  # mask_zero=False starts no mask


def test_embedding_gradient_adds_repeated_rows():
    layer = layers.Embedding(5, 2)
    x = np.array([[1, 1, 3], [1, 0, 3]])
    out = layer(x)
    upstream = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    out.backward(upstream)
    expected = np.zeros((5, 2), np.float32)
    np.add.at(expected, x.reshape(-1), upstream.reshape(-1, 2))
    np.testing.assert_array_equal(layer.embeddings.grad, expected)


def test_embedding_matches_keras_values_and_gradients():
    keras = peer("keras")
    import tensorflow as tf

    theirs = keras.layers.Embedding(9, 4)
    ours = layers.Embedding(9, 4)
    x = R.integers(0, 9, size=(3, 5))
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    upstream = R.normal(size=(3, 5, 4)).astype(np.float32)
    with tf.GradientTape() as tape:
        k_out = theirs(x)
        loss = tf.reduce_sum(k_out * upstream)
    k_grad = tf.convert_to_tensor(tape.gradient(loss, theirs.embeddings))
    n_out = ours(x)
    n_out.backward(upstream)
    np.testing.assert_array_equal(n_out.numpy(), np.asarray(k_out))
    np.testing.assert_allclose(ours.embeddings.grad, np.asarray(k_grad), atol=1e-6)
    assert ours.count_params() == theirs.count_params() == 36
    assert ours.compute_output_shape((None, 5)) == tuple(theirs.compute_output_shape((None, 5)))
    config, their_config = ours.get_config(), theirs.get_config()
    for key in ("input_dim", "output_dim", "mask_zero", "embeddings_regularizer"):
        assert config[key] == their_config[key]
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"


@pytest.mark.parametrize(
    ("args", "argument"), [((0, 2), "input_dim=0"), ((4, -1), "output_dim=-1"),
                           ((4.0, 2), "input_dim=4.0"), ((True, 2), "input_dim=True")],
)  # fmt: skip
def test_embedding_dimensions_must_be_positive_integers(args, argument):
    with pytest.raises(ValueError, match=rf"`{argument.split('=')[0]}`.*'emb'.*{argument}"):
        layers.Embedding(*args, name="emb")


def test_embedding_accepts_floats_holding_integers_and_rejects_bad_indices():
    layer = layers.Embedding(4, 2)
    x = np.array([[0.0, 3.0]], np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), layer.embeddings.data[[[0, 3]]])
    with pytest.raises(ValueError, match=r"index 4.*\[0, 4\).*input_dim=4"):
        layer(np.array([[1, 4]]))
    with pytest.raises(ValueError, match=r"index -1"):
        layer(np.array([[-1, 2]]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_dim": 0, "output_dim": 3}, "input_dim=0"),
        ({"input_dim": 5, "output_dim": -2}, "output_dim=-2"),
        ({"input_dim": 2.5, "output_dim": 2}, "input_dim=2.5"),
    ],
)
def test_embedding_rejects_bad_dimensions(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Embedding(**kwargs)


def test_embedding_input_length_is_accepted_with_keras_warning():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(10, 3, input_length=4)
    assert layer(np.ones((2, 4))).shape == (2, 4, 3)


def test_embedding_summary_counts_like_keras(capsys):
    def build(K):
        return K.Sequential(
            [K.Input((8,)), K.layers.Embedding(1000, 64, mask_zero=True), K.layers.Dense(1)]
        )

    theirs, ours = _both(build)
    assert ours.count_params() == theirs.count_params() == 64065
    ours.summary()
    text = capsys.readouterr().out
    assert "64,000" in text and "(None, 8, 64)" in text


# ------------------------------------------------------------------- masks on tensors
def test_mask_zero_puts_the_mask_on_the_output():
    x = _tokens()
    out = layers.Embedding(10, 3, mask_zero=True)(x)
    np.testing.assert_array_equal(out._keras_mask, x != 0)
    assert out._keras_mask.dtype == bool


def test_masking_matches_keras():
    keras = peer("keras")
    x = R.normal(size=(4, 5, 3)).astype(np.float32)
    x[0, 2] = -1.0
    x[2, :3] = -1.0
    x[3, 1, 0] = -1.0  # one feature equal to mask_value does not mask the step
    theirs = keras.layers.Masking(mask_value=-1.0)(x)
    ours = layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    np.testing.assert_array_equal(ours._keras_mask, np.asarray(theirs._keras_mask))


def test_mask_flows_through_layers_that_support_it_and_stops_with_a_warning():
    x = _tokens()
    h = layers.Embedding(10, 4, mask_zero=True)(x)
    for layer in (layers.Dense(3), layers.Dropout(0.5), layers.Activation("tanh")):
        h = layer(h)
        np.testing.assert_array_equal(h._keras_mask, x != 0)
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = layers.Flatten()(h)
    assert flat._keras_mask is None


def test_supports_masking_follows_compute_mask_and_can_be_set():
    class Plain(nf.layers.Layer):
        pass

    class Starts(nf.layers.Layer):
        def compute_mask(self, inputs, previous_mask=None):
            return np.asarray(inputs)[..., 0] > 0

    assert not Plain().supports_masking
    assert Starts().supports_masking
    assert layers.Dense(2).supports_masking and layers.Dropout(0.1).supports_masking
    assert not layers.Embedding(3, 2).supports_masking
    assert layers.Embedding(3, 2, mask_zero=True).supports_masking
    plain = Plain()
    plain.supports_masking = True
    x = nf.Tensor(np.ones((2, 3, 1)))
    x._keras_mask = np.array([[True, False, True], [True, True, False]])
    np.testing.assert_array_equal(plain(x)._keras_mask, x._keras_mask)
    # a custom layer that starts a mask from nothing, as in Keras's masking guide
    out = Starts()(np.array([[[1.0], [-1.0]]]))
    np.testing.assert_array_equal(out._keras_mask, [[True, False]])


def test_call_receives_the_input_mask_or_an_explicit_one():
    seen = []

    class Reads(nf.layers.Layer):
        def call(self, inputs, mask=None):
            seen.append(mask)
            return inputs * 2.0

    x = nf.Tensor(np.ones((1, 3, 2)))
    assert Reads()(x).numpy().sum() == 12.0 and seen[-1] is None
    x._keras_mask = np.array([[True, True, False]])
    with pytest.warns(UserWarning, match="does not support masking"):
        Reads()(x)
    assert seen[-1] is x._keras_mask
    explicit = np.array([[False, True, True]])
    with pytest.warns(UserWarning, match="does not support masking"):
        Reads()(x, mask=explicit)
    assert seen[-1] is explicit


def test_unmasked_call_adds_no_mask_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layers.Flatten()(layers.Dense(2)(np.ones((2, 3, 4))))
    assert out._keras_mask is None


# -------------------------------------------------------------------- in models, vs Keras
def _pooled(K):
    inp = K.Input((6,))
    h = K.layers.Embedding(10, 4, mask_zero=True)(inp)
    h = K.layers.Dense(3, activation="tanh")(h)
    h = K.layers.GlobalAveragePooling1D()(h)
    return K.Model(inp, K.layers.Dense(2)(h))


def _pooled_sequential(K):
    return K.Sequential(
        [
            K.Input((6,)),
            K.layers.Embedding(10, 4, mask_zero=True),
            K.layers.GlobalAveragePooling1D(keepdims=True),
        ]
    )


@pytest.mark.parametrize("build", [_pooled, _pooled_sequential], ids=["functional", "sequential"])
def test_mask_zero_then_average_pooling_matches_keras(build):
    theirs, ours = _both(build)
    x = _tokens()
    expected = theirs.predict(x, verbose=0)
    got = ours.predict(x, verbose=0)
    assert np.isnan(expected[1]).all() and np.isnan(got[1]).all()  # every step masked
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_average_pooling_mask_channels_first():
    x = R.normal(size=(2, 3, 4)).astype(np.float32)  # (batch, features, steps)
    mask = np.array([[True, False, True, True], [False, False, True, False]])
    out = layers.GlobalAveragePooling1D(data_format="channels_first")(x, mask=mask)
    expected = [x[i][:, mask[i]].mean(axis=1) for i in range(2)]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_max_pooling_ignores_masks_as_keras():
    x = R.normal(size=(2, 4, 3)).astype(np.float32)
    t = nf.Tensor(x)
    t._keras_mask = np.array([[True, False, False, True], [True] * 4])
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.GlobalMaxPooling1D()(t)
    np.testing.assert_array_equal(out.numpy(), x.max(axis=1))


def _per_step(K):
    inp = K.Input((6,))
    h = K.layers.Embedding(10, 4, mask_zero=True)(inp)
    out = K.layers.Dense(3, activation="softmax")(h)  # (batch, steps, 3): one class per step
    model = K.Model(inp, out)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_masked_sequence_loss_and_accuracy_match_keras_evaluate():
    theirs, ours = _both(_per_step)
    x = _tokens()
    x[1, 0] = 3  # evaluate needs some step kept in every batch
    y = R.integers(0, 3, size=x.shape)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
    expected = theirs.evaluate(x, y, verbose=0)
    got = ours.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # and by hand: the mean over the kept steps only
    p = ours.predict(x, verbose=0)
    kept = x != 0
    per_step = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    np.testing.assert_allclose(got[0], per_step[kept].mean(), rtol=1e-5)
    np.testing.assert_allclose(got[1], (p.argmax(-1) == y)[kept].mean(), rtol=1e-6)


def test_masked_training_step_matches_keras():
    theirs, ours = _both(_per_step)
    x = _tokens()
    y = R.integers(0, 3, size=x.shape)
    h_theirs = theirs.fit(x, y, epochs=2, batch_size=5, verbose=0).history
    h_ours = ours.fit(x, y, epochs=2, batch_size=5, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def _masking_dense(K):
    model = K.Sequential([K.Input((5, 3)), K.layers.Masking(), K.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def test_masking_then_dense_loss_matches_keras():
    theirs, ours = _both(_masking_dense)
    x = R.normal(size=(4, 5, 3)).astype(np.float32)
    x[0, 3:] = 0.0
    x[2, 0] = 0.0
    y = R.normal(size=(4, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5
    )


def test_masked_loss_folds_in_sample_weights_per_sequence():
    model = _per_step(nk)
    x = _tokens()
    y = R.integers(0, 3, size=x.shape)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0], np.float32)
    got = model.evaluate(x, y, sample_weight=w, verbose=0)[0]
    p = model.predict(x, verbose=0)
    per_step = -np.log(np.take_along_axis(p, y[..., None], -1)[..., 0])
    kept = x != 0
    # Keras 3's apply_mask: sum(loss * w * mask) / (number of kept steps)
    np.testing.assert_allclose(got, (per_step * w[:, None] * kept).sum() / kept.sum(), rtol=1e-5)


def test_a_fused_pair_does_not_lose_the_mask_warning():
    class MaskRows(nf.layers.Layer):
        def compute_mask(self, inputs, previous_mask=None):
            return np.asarray(inputs)[:, :, 0, 0] > 0

    inp = nk.Input((6, 6, 2))
    out = layers.MaxPooling2D(2)(layers.Conv2D(3, 3)(MaskRows()(inp)))
    model = nk.Model(inp, out)
    x = R.normal(size=(2, 6, 6, 2)).astype(np.float32)
    with nf.config.fusion(False):
        with pytest.warns(UserWarning, match="conv2d"):
            expected = model(x).numpy()
    with pytest.warns(UserWarning, match="conv2d"):
        got = model(x).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _two_outputs(K):
    inp = K.Input((6,))
    h = K.layers.Embedding(10, 4, mask_zero=True)(inp)
    seq = K.layers.Dense(3, activation="softmax", name="seq")(h)
    vec = K.layers.Dense(1, name="vec")(K.layers.GlobalAveragePooling1D()(h))
    model = K.Model(inp, {"seq": seq, "vec": vec})
    model.compile(
        "sgd",
        loss={"seq": "sparse_categorical_crossentropy", "vec": "mse"},
        metrics={"seq": ["accuracy"], "vec": ["mae"]},
    )
    return model


def test_masked_output_of_a_multi_output_model_matches_keras():
    theirs, ours = _both(_two_outputs)
    x = _tokens()
    x[1, 2] = 4
    y = {"seq": R.integers(0, 3, size=x.shape), "vec": R.normal(size=(5, 1)).astype(np.float32)}
    expected = theirs.evaluate(x, y, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)


def _merged(name):
    def build(K):
        a, b = K.Input((6,)), K.Input((6,))
        ea = K.layers.Embedding(10, 4, mask_zero=True)(a)
        eb = K.layers.Embedding(10, 4, mask_zero=True)(b)
        merged = getattr(K.layers, name)()([ea, eb])
        return K.Model([a, b], K.layers.GlobalAveragePooling1D()(merged))

    return build


@pytest.mark.parametrize("name", ["Add", "Average", "Concatenate"])
def test_merged_masks_match_keras(name):
    theirs, ours = _both(_merged(name))
    x = [_tokens(), _tokens()]
    x[0][1, 0] = 2  # some step kept in every row
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
    layer = getattr(layers, name)()
    a, b = nf.Tensor(np.ones((5, 6, 4))), nf.Tensor(np.ones((5, 6, 4)))
    a._keras_mask, b._keras_mask = x[0] != 0, x[1] != 0
    np.testing.assert_array_equal(layer([a, b])._keras_mask, (x[0] != 0) | (x[1] != 0))


def _embedding_lstm(return_sequences):
    def build(K):
        inp = K.Input((7,))
        h = K.layers.Embedding(10, 4, mask_zero=True)(inp)
        h = K.layers.LSTM(3, return_sequences=return_sequences)(h)
        if return_sequences:
            h = K.layers.GlobalAveragePooling1D()(h)
        model = K.Model(inp, K.layers.Dense(1)(h))
        model.compile("sgd", "mse")
        return model

    return build


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
def test_mask_zero_then_lstm_matches_keras(return_sequences):
    theirs, ours = _both(_embedding_lstm(return_sequences))
    x = R.integers(1, 10, size=(5, 7))
    x[0, 4:] = 0  # padded at the end
    x[2, 2:] = 0
    x[3, :2] = 0  # and at the start
    y = R.normal(size=(5, 1)).astype(np.float32)
    expected = theirs.predict(x, verbose=0)
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-6)
    unmasked = x.copy()
    unmasked[unmasked == 0] = 1  # the padded steps do count where they hold a word
    assert not np.allclose(ours.predict(unmasked, verbose=0), expected, atol=1e-4)
    np.testing.assert_allclose(
        ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-5
    )
    theirs.fit(x, y, epochs=1, batch_size=5, verbose=0)
    ours.fit(x, y, epochs=1, batch_size=5, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_masking_then_lstm_matches_keras():
    def build(K):
        return K.Sequential([K.Input((6, 2)), K.layers.Masking(), K.layers.LSTM(3)])

    theirs, ours = _both(build)
    x = R.normal(size=(4, 6, 2)).astype(np.float32)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    x[2, 2] = 0.0
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
