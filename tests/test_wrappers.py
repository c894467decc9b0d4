"""Bidirectional and TimeDistributed against real Keras: parameter counts and summaries,
weight names and order, outputs with Keras's weights copied in, configs and errors."""

import json

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.keras import layers as L
from tests.conftest import peer
from tests.test_recurrent_layers import (
    INIT_KEYS,
    MASK,
    RNG,
    X,
    as_list,
    plain,
    summary_lines,
)

MERGE_MODES = ["concat", "sum", "mul", "ave", None]


@pytest.fixture
def keras():
    return peer("keras")


@pytest.fixture
def fresh_names(keras):
    keras.backend.clear_session()  # 0.5 s: only for the tests that compare layer names
    nf.backend.clear_session()


def copy_weights(k_obj, n_obj):
    weights = [RNG.normal(scale=0.5, size=w.shape).astype(np.float32) for w in k_obj.weights]
    k_obj.set_weights(weights)
    n_obj.set_weights(weights)


def bidirectional(module, kind="LSTM", merge_mode="concat", **kwargs):
    inner = getattr(module.layers, kind)(4, **kwargs)
    return module.layers.Bidirectional(inner, merge_mode=merge_mode)


# ------------------------------------------------------------------ Bidirectional
@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_bidirectional_counts_and_summary_match_keras(fresh_names, keras, kind, merge_mode):
    def build(module):
        x = module.Input((7, 3))
        y = bidirectional(module, kind, merge_mode, return_sequences=True)(x)
        y = y if merge_mode is not None else module.layers.Concatenate()(list(y))
        return module.Model(x, module.layers.Dense(1)(y))

    k_model, n_model = build(keras), build(nf.keras)
    assert n_model.count_params() == k_model.count_params()
    for a, b in zip(n_model.layers, k_model.layers, strict=True):
        assert a.count_params() == b.count_params()
    assert summary_lines(n_model) == summary_lines(k_model)


def test_bidirectional_names_and_weight_order_are_keras(fresh_names, keras):
    k_layer, n_layer = bidirectional(keras, "GRU"), bidirectional(nf.keras, "GRU")
    k_layer.build((None, 6, 2))
    n_layer.build_for((None, 6, 2))
    assert (n_layer.forward_layer.name, n_layer.backward_layer.name) == (
        "forward_gru",
        "backward_gru",
    )
    assert n_layer.backward_layer.go_backwards and not n_layer.forward_layer.go_backwards
    assert [w.shape for w in n_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    expected = [w.path.split("/", 1)[1] for w in k_layer.weights]
    ours = [
        f"{layer.name}/{layer.cell.name}/{w.name}"
        for layer in (n_layer.forward_layer, n_layer.backward_layer)
        for w in layer.weights
    ]
    assert ours == expected
    sequential = nf.keras.Sequential([nf.keras.Input((6, 2)), bidirectional(nf.keras, "GRU")])
    assert sequential.layers[0].weights[0] is sequential.layers[0].forward_layer.cell.kernel


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize(
    "options",
    [{}, {"return_sequences": True}, {"return_state": True},
     {"return_sequences": True, "return_state": True}],
)  # fmt: skip
def test_bidirectional_forward_matches_keras(keras, merge_mode, options):
    k_layer, n_layer = (
        bidirectional(keras, "LSTM", merge_mode, **options),
        bidirectional(nf.keras, "LSTM", merge_mode, **options),
    )
    k_layer.build((None, 6, 2))
    n_layer.build_for((None, 6, 2))
    copy_weights(k_layer, n_layer)
    for mask in (None, MASK):
        ours, theirs = as_list(n_layer(X, mask=mask)), as_list(k_layer(X, mask=mask))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    k_out = k_layer(keras.Input((None, 2)))
    n_out = n_layer(nf.keras.Input((None, 2)))
    k_shapes = [tuple(t.shape) for t in k_out] if isinstance(k_out, tuple) else [k_out.shape]
    n_shapes = [t.shape for t in n_out] if isinstance(n_out, tuple) else [n_out.shape]
    assert n_shapes == k_shapes


def test_bidirectional_initial_state_and_weights_argument(keras):
    k_layer = bidirectional(keras, "GRU", return_sequences=True)
    k_layer.build((None, 6, 2))
    copy_weights(k_layer, k_layer)
    n_layer = L.Bidirectional(L.GRU(4, return_sequences=True), weights=k_layer.get_weights())
    states = [RNG.normal(size=(3, 4)).astype(np.float32) for _ in range(2)]
    np.testing.assert_allclose(
        n_layer(X, initial_state=states).numpy(),
        np.asarray(k_layer(X, initial_state=states)),
        atol=1e-5,
    )


def test_bidirectional_with_a_backward_layer_and_a_user_cell(keras):
    from tests.test_recurrent_layers import MinimalCell

    backward = L.SimpleRNN(4, go_backwards=True, return_sequences=True, name="back")
    layer = L.Bidirectional(L.SimpleRNN(4, return_sequences=True), backward_layer=backward)
    assert layer.backward_layer is backward and layer(X).shape == (3, 6, 8)
    custom = L.Bidirectional(L.RNN(MinimalCell(3)), merge_mode="sum")
    assert custom(X).shape == (3, 3)
    assert custom.forward_layer.cell is not custom.backward_layer.cell


def test_bidirectional_config_matches_keras_and_round_trips(fresh_names, keras):
    def config(module):
        return plain(bidirectional(module, "LSTM", "ave", return_sequences=True).get_config())

    k_config, n_config = config(keras), config(nf.keras)
    for key in ("layer", "backward_layer"):
        for init in INIT_KEYS:
            k_config[key]["config"][init]["config"].pop("input_axes", None)
            k_config[key]["config"][init]["config"].pop("output_axes", None)
    assert json.loads(json.dumps(n_config)) == k_config
    layer = L.Bidirectional.from_config(n_config)
    assert (layer.forward_layer.name, layer.backward_layer.name, layer.merge_mode) == (
        "forward_lstm", "backward_lstm", "ave",
    )  # fmt: skip
    assert json.loads(json.dumps(plain(layer.get_config()))) == n_config


def test_stateful_bidirectional_keeps_and_resets_states(keras):
    def build(module):
        x = module.Input(batch_shape=(3, 6, 2))
        return module.Model(x, bidirectional(module, "GRU", stateful=True)(x))

    k_model, n_model = build(keras), build(nf.keras)
    copy_weights(k_model, n_model)
    for _ in range(2):
        np.testing.assert_allclose(n_model(X).numpy(), np.asarray(k_model(X)), atol=1e-5)
    assert len(n_model.layers[1].states) == 2
    n_model.layers[1].reset_states()
    k_model.layers[1].reset_states()
    np.testing.assert_allclose(n_model(X).numpy(), np.asarray(k_model(X)), atol=1e-5)
    with pytest.raises(ValueError, match="batch size must be static"):
        bidirectional(nf.keras, "GRU", stateful=True)(nf.keras.Input((6, 2)))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: L.Bidirectional(L.LSTM(2), merge_mode="max"), "merge_mode='max'"),
        (lambda: L.Bidirectional("lstm"), "Layer` instance. Received: 'lstm'"),
        (lambda: L.Bidirectional(L.Dense(2)), "recurrent layer.*go_backwards"),
        (
            lambda: L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2)),
            "different `go_backwards`",
        ),
        (
            lambda: L.Bidirectional(
                L.LSTM(2), backward_layer=L.LSTM(2, go_backwards=True, return_sequences=True)
            ),
            'attribute "return_sequences"',
        ),
        (lambda: L.TimeDistributed(np.ones(2)), "TimeDistributed.*Received"),
    ],
)
def test_bad_wrapper_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------- TimeDistributed
@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda m: m.layers.Dense(3, activation="relu"), (5, 4)),
        (lambda m: m.layers.Conv2D(2, 3, padding="same"), (4, 6, 6, 2)),
        (lambda m: m.layers.Flatten(), (4, 3, 2)),
    ],
)
def test_time_distributed_matches_keras(keras, make, shape):
    k_layer = keras.layers.TimeDistributed(make(keras))
    n_layer = L.TimeDistributed(make(nf.keras))
    k_layer.build((None, *shape))
    n_layer.build_for((None, *shape))
    if k_layer.weights:
        copy_weights(k_layer, n_layer)
    x = RNG.normal(size=(3, *shape)).astype(np.float32)
    np.testing.assert_allclose(n_layer(x).numpy(), np.asarray(k_layer(x)), rtol=1e-5, atol=1e-5)
    for batch_shape in [(None, *shape), (None, None, *shape[1:])]:
        k_out = k_layer.compute_output_shape(batch_shape)
        assert n_layer(nf.keras.Input(batch_shape[1:])).shape == tuple(k_out)
    assert n_layer.count_params() == k_layer.count_params()


def test_time_distributed_in_a_masked_model_matches_keras(keras):
    def build(module):
        x = module.Input((6,))
        y = module.layers.Embedding(10, 3, mask_zero=True)(x)
        y = module.layers.TimeDistributed(module.layers.Dense(4))(y)
        y = module.layers.Bidirectional(module.layers.LSTM(3))(y)
        return module.Model(x, y)

    k_model, n_model = build(keras), build(nf.keras)
    copy_weights(k_model, n_model)
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [7, 1, 1, 2, 3, 4]], np.float32)
    np.testing.assert_allclose(
        n_model.predict(x, verbose=0), k_model.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )
    # (Keras's summary of this model also lists the NotEqual op that made the mask)
    assert n_model.count_params() == k_model.count_params()


def test_time_distributed_config_and_errors(keras):
    k_config = plain(keras.layers.TimeDistributed(keras.layers.Dense(3, name="d")).get_config())
    n_config = plain(L.TimeDistributed(L.Dense(3, name="d")).get_config())
    assert n_config["layer"]["config"]["units"] == 3 and list(n_config) == list(k_config)
    twin = L.TimeDistributed.from_config(n_config)
    assert isinstance(twin.layer, L.Dense) and twin.layer.name == "d"
    layer = L.TimeDistributed(L.Dense(3), name="td")
    with pytest.raises(ValueError, match=r"at least 3 dimensions, received: \(None, 4\).*'td'"):
        layer(nf.keras.Input((4,)))
    with pytest.raises(ValueError, match=r"mask.*\(3, 4\).*\(3, 5, 2\)"):
        layer(np.ones((3, 5, 2), np.float32), mask=np.ones((3, 4), bool))
