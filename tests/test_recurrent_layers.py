"""SimpleRNN, LSTM, GRU, their cells and RNN(cell): shapes, parameter counts, configs and
outputs against real Keras (weights copied across), the fused ops against the cell loop
(values and gradients), stateful calls, masks, initial states, and the bad-input errors."""

import json

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import config
from neuroflow.keras import layers as L
from neuroflow.tensor import Tensor
from tests.conftest import peer

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 6, 2)).astype(np.float32)
MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 1, 1, 0, 1, 0]], bool)

KINDS = {
    "SimpleRNN": {},
    "LSTM": {},
    "GRU": {},
    "GRU_v1": {"reset_after": False},
}


def make(module, kind, units=4, **kwargs):
    name = kind.split("_")[0]
    return getattr(module.layers, name)(units, **KINDS[kind], **kwargs)


@pytest.fixture
def keras():
    return peer("keras")


@pytest.fixture
def fresh_names(keras):
    """Both libraries' layer-name counters at zero (Keras's clear_session takes 0.5 s, so
    only the tests that compare names ask for it)."""
    keras.backend.clear_session()
    nf.backend.clear_session()


def pair(keras, kind, units=4, features=2, **kwargs):
    """The same layer in Keras and here, built, with Keras's random weights in both."""
    k_layer, n_layer = make(keras, kind, units, **kwargs), make(nf.keras, kind, units, **kwargs)
    batch = len(X) if kwargs.get("stateful") else None  # a stateful layer needs its batch
    k_layer.build((batch, None, features))
    n_layer.build_for((batch, None, features))
    weights = [RNG.normal(scale=0.5, size=w.shape).astype(np.float32) for w in k_layer.weights]
    k_layer.set_weights(weights)
    n_layer.set_weights(weights)
    return k_layer, n_layer


def as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


# ------------------------------------------------------------------- parameter counts
@pytest.mark.parametrize(
    ("kind", "count"), [("SimpleRNN", 1088), ("LSTM", 4352), ("GRU", 3360), ("GRU_v1", 3264)]
)
def test_issue_parameter_counts(kind, count):
    layer = make(nf.keras, kind, 32)
    layer(np.zeros((1, 5, 1), np.float32))
    assert layer.count_params() == count
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.cell.kernel is layer.weights[0]


def summary_lines(model):
    lines = []
    model.summary(print_fn=lambda text, **kw: lines.extend(text.splitlines()), line_length=76)
    return [ln.rstrip() for ln in lines if ln.strip()][1:]  # the title names the model


def stacked(module, kind):
    return [
        module.Input((10, 3)),
        make(module, kind, 16, return_sequences=True),
        make(module, kind, 8, return_sequences=True, go_backwards=True),
        make(module, kind, 4),
        module.layers.Dense(1),
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_summary_and_counts_match_keras_for_a_stacked_model(fresh_names, keras, kind):
    nf.backend.clear_session()
    k_model = keras.Sequential(stacked(keras, kind))
    n_model = nf.keras.Sequential(stacked(nf.keras, kind))
    assert n_model.count_params() == k_model.count_params()
    for a, b in zip(n_model.layers, k_model.layers, strict=True):
        assert a.count_params() == b.count_params()
        assert [w.shape for w in a.weights] == [tuple(w.shape) for w in b.weights]
    assert summary_lines(n_model) == summary_lines(k_model)


def test_functional_summary_with_return_state_matches_keras(fresh_names, keras):
    def build(module):
        x = module.Input((None, 3))
        out, h, c = module.layers.LSTM(5, return_state=True)(x)
        y = module.layers.Concatenate()([out, h, c])
        return module.Model(x, y)

    nf.backend.clear_session()
    assert summary_lines(build(nf.keras)) == summary_lines(build(keras))


# -------------------------------------------------------------------- shapes, configs
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    "options",
    [{}, {"return_sequences": True}, {"return_state": True},
     {"return_sequences": True, "return_state": True}],
)  # fmt: skip
def test_symbolic_shapes_match_keras(keras, kind, options):
    for shape in [(7, 2), (None, 2)]:
        k_out = make(keras, kind, **options)(keras.Input(shape))
        n_out = make(nf.keras, kind, **options)(nf.keras.Input(shape))
        assert isinstance(n_out, tuple) == isinstance(k_out, tuple)
        k_shapes = [t.shape for t in k_out] if isinstance(k_out, tuple) else [k_out.shape]
        n_shapes = [t.shape for t in n_out] if isinstance(n_out, tuple) else [n_out.shape]
        assert n_shapes == [tuple(s) for s in k_shapes]


def test_stacked_cells_return_state_nests_as_keras(keras):
    def shapes(module):
        cells = [module.layers.LSTMCell(3), module.layers.GRUCell(2)]
        out = module.layers.RNN(cells, return_state=True)(module.Input((5, 2)))
        return json.loads(json.dumps(
            [[list(t.shape) for t in o] if isinstance(o, list) else list(o.shape) for o in out]
        ))  # fmt: skip

    assert shapes(nf.keras) == shapes(keras)


def plain(config):
    """A Keras config without what only Keras writes (module paths, dtype policies)."""
    if isinstance(config, dict):
        if "class_name" in config and "config" in config:
            return {"class_name": config["class_name"], "config": plain(config["config"])}
        return {k: plain(v) for k, v in config.items() if k not in ("dtype", "build_config")}
    if isinstance(config, list):
        return [plain(v) for v in config]
    return config


INIT_KEYS = ("kernel_initializer", "recurrent_initializer", "bias_initializer")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_config_matches_keras(keras, kind):
    args = {"dropout": 0.25, "return_sequences": True, "go_backwards": True, "name": "rnn"}
    k_config = plain(make(keras, kind, **args).get_config())
    n_config = plain(make(nf.keras, kind, **args).get_config())
    for key in INIT_KEYS:  # Keras's GlorotUniform config also lists input/output axes
        k_config[key]["config"] = {k: v for k, v in k_config[key]["config"].items()
                                   if k not in ("input_axes", "output_axes")}  # fmt: skip
    assert list(n_config) == list(k_config)
    assert json.loads(json.dumps(n_config)) == k_config


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_from_config_rebuilds_the_layer(kind):
    layer = make(nf.keras, kind, 3, dropout=0.1, recurrent_dropout=0.2, seed=5, stateful=False,
                 return_state=True, unroll=True, use_bias=False)  # fmt: skip
    twin = type(layer).from_config(json.loads(json.dumps(layer.get_config())))
    assert twin.get_config() == layer.get_config()
    assert (twin.units, twin.dropout, twin.recurrent_dropout, twin.use_bias) == (3, 0.1, 0.2, False)


def test_rnn_config_nests_the_cell_config_as_keras(fresh_names, keras):
    def configs(module):
        cells = [module.layers.LSTMCell(3, name="a"), module.layers.GRUCell(2, name="b")]
        return plain(module.layers.RNN(cells, return_sequences=True, name="r").get_config())

    k_config, n_config = configs(keras), configs(nf.keras)
    for spec in k_config["cell"]["config"]["cells"]:
        for key in INIT_KEYS:
            spec["config"][key]["config"].pop("input_axes", None)
            spec["config"][key]["config"].pop("output_axes", None)
    assert json.loads(json.dumps(n_config)) == k_config
    rebuilt = nf.keras.layers.RNN.from_config(n_config)
    assert [c.units for c in rebuilt.cell.cells] == [3, 2]
    assert plain(rebuilt.get_config()) == n_config


# ------------------------------------------------------------------------ forward
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    "options",
    [{}, {"return_sequences": True, "return_state": True},
     {"go_backwards": True, "return_sequences": True},
     {"go_backwards": True, "return_state": True}],
)  # fmt: skip
def test_forward_matches_keras(keras, kind, options, fused):
    k_layer, n_layer = pair(keras, kind, **options)
    with config.fusion(fused):
        ours = as_list(n_layer(X))
    theirs = as_list(k_layer(X))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    "options",
    [{"return_sequences": True}, {"return_state": True}, {"go_backwards": True},
     {"return_sequences": True, "zero_output_for_mask": True},
     {"go_backwards": True, "return_sequences": True}],
)  # fmt: skip
def test_masked_forward_matches_keras(keras, kind, options, fused):
    k_layer, n_layer = pair(keras, kind, **options)
    with config.fusion(fused):
        ours = as_list(n_layer(X, mask=MASK))
    theirs = as_list(k_layer(X, mask=MASK))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_initial_state_matches_keras(keras, kind):
    k_layer, n_layer = pair(keras, kind, return_sequences=True, return_state=True)
    count = 2 if kind == "LSTM" else 1
    states = [RNG.normal(size=(3, 4)).astype(np.float32) for _ in range(count)]
    theirs = as_list(k_layer(X, initial_state=states))
    for fused in (True, False):
        with config.fusion(fused):
            ours = as_list(n_layer(X, initial_state=states))
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_stateful_calls_match_keras(keras, kind):
    k_layer, n_layer = pair(keras, kind, stateful=True, return_sequences=True)
    for _ in range(2):  # the second call starts from the first call's final states
        np.testing.assert_allclose(n_layer(X).numpy(), np.asarray(k_layer(X)), atol=1e-5)
    for a, b in zip(n_layer.states, k_layer.states):
        np.testing.assert_allclose(a.numpy(), np.asarray(b), atol=1e-5)
    n_layer.reset_states()
    k_layer.reset_states()
    np.testing.assert_allclose(n_layer(X).numpy(), np.asarray(k_layer(X)), atol=1e-5)
    n_layer.reset_state()
    assert all(not v.numpy().any() for v in n_layer.states)
    assert len(n_layer.weights) == 3  # the states are not weights, as in Keras


def test_stateful_model_with_a_fixed_batch_keeps_states_between_predicts(keras):
    def build(module):
        x = module.Input(batch_shape=(3, 6, 2))
        return module.Model(x, module.layers.GRU(4, stateful=True)(x))

    k_model, n_model = build(keras), build(nf.keras)
    weights = [RNG.normal(scale=0.5, size=w.shape).astype(np.float32) for w in k_model.weights]
    k_model.set_weights(weights)
    n_model.set_weights(weights)
    first, second = n_model.predict(X, verbose=0), n_model.predict(X, verbose=0)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first, k_model.predict(X, verbose=0), atol=1e-5)
    np.testing.assert_allclose(second, k_model.predict(X, verbose=0), atol=1e-5)


def test_simple_rnn_with_a_custom_activation_runs_the_cell_loop(keras):
    k_layer, n_layer = pair(keras, "SimpleRNN", activation="softplus", return_sequences=True)
    assert n_layer._fused_op() is None
    np.testing.assert_allclose(n_layer(X).numpy(), np.asarray(k_layer(X)), atol=1e-5)


def test_seq2seq_with_encoder_states_as_initial_state(keras):
    def build(module):
        enc_in, dec_in = module.Input((None, 2)), module.Input((None, 3))
        _, h, c = module.layers.LSTM(4, return_state=True, name="enc")(enc_in)
        seq = module.layers.LSTM(4, return_sequences=True, name="dec")(dec_in, initial_state=[h, c])
        return module.Model([enc_in, dec_in], module.layers.Dense(2, name="out")(seq))

    k_model, n_model = build(keras), build(nf.keras)
    n_model.set_weights(k_model.get_weights())
    dec = RNG.normal(size=(3, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        n_model.predict([X, dec], verbose=0), k_model.predict([X, dec], verbose=0), atol=1e-5
    )
    # the decoder's gradient reaches the encoder through the states
    n_model.compile("adam", "mse")
    before = [w.numpy() for w in n_model.get_layer("enc").weights]
    n_model.fit([X, dec], np.ones((3, 4, 2), np.float32), epochs=1, verbose=0)
    assert all(not np.allclose(a, w.numpy()) for a, w in
               zip(before, n_model.get_layer("enc").weights))  # fmt: skip


class MinimalCell(nf.keras.layers.Layer):
    """A user cell as Keras's RNN guide writes it."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), name="recurrent")

    def call(self, inputs, states):
        h = nf.ops.matmul(inputs, self.kernel) + nf.ops.matmul(states[0], self.recurrent_kernel)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_a_user_cell_and_a_list_of_cells_run_as_keras(keras):
    class KerasCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight((input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight((self.units, self.units), name="recurrent")

        def call(self, inputs, states):
            ops = keras.ops
            h = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return h, [h]

    for k_cells, n_cells in [
        (KerasCell(3), MinimalCell(3)),
        ([KerasCell(3), keras.layers.LSTMCell(2)], [MinimalCell(3), L.LSTMCell(2)]),
    ]:
        k_layer = keras.layers.RNN(k_cells, return_sequences=True, return_state=True)
        n_layer = L.RNN(n_cells, return_sequences=True, return_state=True)
        theirs = k_layer(X, mask=MASK)
        n_layer(X)
        n_layer.set_weights([w * 0.5 for w in k_layer.get_weights()])
        k_layer.set_weights([w * 0.5 for w in k_layer.get_weights()])
        ours = n_layer(X, mask=MASK)
        theirs = k_layer(X, mask=MASK)
        flat_k = [np.asarray(t) for t in keras.tree.flatten(theirs)]
        flat_n = [t.numpy() for t in nf.nest.flatten(ours)]
        for a, b in zip(flat_n, flat_k, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)


# ----------------------------------------------------------- fused path = cell loop
def grads(layer, x, states, mask, training, **kwargs):
    """The layer's outputs and the gradients of a weighted sum of them with respect to the
    weights, the input and the initial states."""
    x = Tensor(x.copy(), requires_grad=True)
    states = [Tensor(s.copy(), requires_grad=True) for s in states]
    for w in layer.weights:
        w.grad = None
    nf.utils.set_random_seed(3)
    out = layer(x, initial_state=states or None, mask=mask, training=training, **kwargs)
    flat = nf.nest.flatten(out)
    loss = sum(((o * Tensor(np.linspace(-1, 1, o.size, dtype=np.float32).reshape(o.shape))).sum()
                for o in flat), Tensor(np.float32(0)))  # fmt: skip
    loss.backward()
    return (
        [o.numpy() for o in flat]
        + [w.grad for w in layer.weights]
        + [x.grad]
        + [s.grad for s in states]
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    ("options", "masked", "training"),
    [({"return_sequences": True}, False, False),
     ({"return_state": True, "go_backwards": True}, True, False),
     ({"return_sequences": True, "zero_output_for_mask": True}, True, False),
     ({"return_sequences": True, "dropout": 0.3, "recurrent_dropout": 0.4}, True, True),
     ({"return_state": True, "use_bias": False}, False, False)],
)  # fmt: skip
def test_fused_path_equals_the_cell_loop_with_gradients(kind, options, masked, training):
    layer = make(nf.keras, kind, 5, **options)
    layer.build_for((None, None, 2))
    for w in layer.weights:
        w.assign(RNG.normal(scale=0.5, size=w.shape).astype(np.float32))
    assert layer._fused_op() is not None
    states = [RNG.normal(size=(3, 5)).astype(np.float32)
              for _ in range(2 if kind == "LSTM" else 1)]  # fmt: skip
    mask = MASK if masked else None
    fused = grads(layer, X, states, mask, training)
    with config.fusion(False):
        loop = grads(layer, X, states, mask, training)
    for a, b in zip(fused, loop, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_dropout_masks_are_one_per_sequence(kind):
    layer = make(nf.keras, kind, 3, dropout=0.5, return_sequences=True, seed=1)
    x = np.ones((64, 5, 4), np.float32)
    cell = layer.cell
    layer.build_for((None, None, 4))
    seen = []
    original = cell.get_dropout_mask

    def spy(step_input):
        mask = original(step_input)
        seen.append(mask)
        return mask

    cell.get_dropout_mask = spy
    with config.fusion(False):
        layer(x, training=True)
    assert len({id(m) for m in seen}) == 1 and seen[0].shape == (64, 4)
    assert set(np.unique(seen[0])) == {0.0, 2.0}
    assert cell._dropout_mask is None  # dropped when the call ends
    np.testing.assert_array_equal(layer(x).numpy(), layer(x, training=False).numpy())


# ------------------------------------------------------------------------- training
def test_a_tiny_lstm_learns_a_toy_series():
    nf.utils.set_random_seed(0)
    t = np.arange(400, dtype=np.float32)
    series = np.sin(t / 8) + 0.1 * np.sin(t / 3)
    windows = np.stack([series[i : i + 12] for i in range(380)])[..., None]
    x, y = windows[:, :-1], windows[:, -1]
    model = nf.keras.Sequential([nf.keras.Input((11, 1)), L.LSTM(8), L.Dense(1)])
    model.compile(nf.keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


# ------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_two_dimensional_input_is_a_value_error(kind):
    layer = make(nf.keras, kind, name="rec")
    with pytest.raises(ValueError, match=r'layer "rec".*expected ndim=3, found ndim=2.*\(4, 5\)'):
        layer(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2.*\(None, 5\)"):
        make(nf.keras, kind)(nf.keras.Input((5,)))


def test_a_feature_count_that_changes_is_a_value_error():
    layer = L.LSTM(3, name="lstm_a")
    layer(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r'"lstm_a".*value 5.*\(2, 4, 6\)'):
        layer(np.zeros((2, 4, 6), np.float32))
    with pytest.raises(ValueError, match=r'"lstm_a".*value 5'):
        layer(nf.keras.Input((4, 6)))


def test_stateful_needs_a_fixed_batch_and_keeps_it():
    with pytest.raises(ValueError, match=r"batch size must be static.*\(None, 4, 2\).*'gru_s'"):
        L.GRU(3, stateful=True, name="gru_s")(nf.keras.Input((4, 2)))
    with pytest.raises(ValueError, match="batch size must be static"):
        nf.keras.Sequential([L.LSTM(3, stateful=True, input_shape=(4, 2))])
    layer = L.SimpleRNN(3, stateful=True, name="srnn")
    layer(np.zeros((2, 4, 2), np.float32))
    with pytest.raises(
        ValueError, match=r"(?s)'srnn'.*Expected batch size: 2\n- Received batch size: 5"
    ):
        layer(np.zeros((5, 4, 2), np.float32))
    model = nf.keras.Sequential([L.LSTM(3, stateful=True, batch_input_shape=(2, 4, 2))])
    assert model.layers[0].states[0].shape == (2, 3)
    model = nf.keras.Sequential([L.LSTM(3, stateful=True, input_shape=(4, 2), batch_size=2)])
    assert model.layers[0].states[1].shape == (2, 3)


@pytest.mark.parametrize(
    ("make_layer", "error", "match"),
    [
        (lambda: L.LSTM(0), ValueError, "units.*lstm.*units=0"),
        (lambda: L.GRU(3, use_cudnn="yes"), ValueError, "use_cudnn='yes'"),
        (lambda: L.RNN(object()), ValueError, "`call` method"),
        (lambda: L.LSTM(2, kernel_constraint="no_such"), ValueError,
         "Unknown constraint.*'no_such'"),
    ],
)  # fmt: skip
def test_bad_arguments(make_layer, error, match):
    with pytest.raises(error, match=match):
        make_layer()


def test_wrong_initial_states_and_masks_are_value_errors():
    layer = L.LSTM(3, name="lstm_b")
    with pytest.raises(ValueError, match=r"'lstm_b' expects 2 initial state.*received 1"):
        layer(X, initial_state=[np.zeros((3, 3), np.float32)])
    with pytest.raises(ValueError, match=r"\(batch, size\) = \(3, 3\).*\(3, 4\)"):
        layer(X, initial_state=[np.zeros((3, 4), np.float32)] * 2)
    with pytest.raises(ValueError, match=r"mask of layer 'lstm_b'.*\(3, 6\).*\(3, 5\)"):
        layer(X, mask=np.ones((3, 5), bool))


def test_embedding_masks_reach_stacked_recurrent_layers_as_in_keras(keras):
    def build(module):
        x = module.Input((6,))
        y = module.layers.Embedding(10, 3, mask_zero=True)(x)
        y = module.layers.LSTM(4, return_sequences=True)(y)
        return module.Model(x, module.layers.GRU(2, go_backwards=True)(y))

    k_model, n_model = build(keras), build(nf.keras)
    n_model.set_weights(k_model.get_weights())
    x = np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0], [0, 0, 1, 2, 3, 4]], np.float32)
    np.testing.assert_allclose(n_model.predict(x, verbose=0), k_model.predict(x, verbose=0),
                               atol=1e-5)  # fmt: skip


# ---------------------------------------------------------------------- Orthogonal
@pytest.mark.parametrize("shape", [(5, 5), (7, 3), (3, 7), (2, 3, 4, 6)])
def test_orthogonal_initializer_as_keras(keras, shape):
    w = nf.keras.initializers.Orthogonal(gain=1.5, seed=3)(shape)
    assert w.shape == shape and w.dtype == np.float32
    flat = w.reshape(-1, shape[-1])
    small = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(small, 2.25 * np.eye(len(small)), atol=1e-5)
    np.testing.assert_array_equal(w, nf.keras.initializers.get(
        {"class_name": "Orthogonal", "config": {"gain": 1.5, "seed": 3}})(shape))  # fmt: skip
    k_init = keras.initializers.Orthogonal(gain=1.5, seed=3)
    assert nf.keras.initializers.Orthogonal(gain=1.5, seed=3).get_config() == k_init.get_config()
    k_w = np.asarray(k_init(shape)).reshape(flat.shape)  # Keras's draw: same properties
    k_small = k_w.T @ k_w if k_w.shape[0] >= k_w.shape[1] else k_w @ k_w.T
    np.testing.assert_allclose(k_small, small, atol=1e-4)


def test_orthogonal_is_the_recurrent_default_and_rejects_vectors():
    layer = L.LSTM(4)
    layer.build_for((None, 3, 2))
    assert isinstance(layer.recurrent_initializer, nf.keras.initializers.Orthogonal)
    rk = layer.cell.recurrent_kernel.numpy()  # (4, 16): orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(layer.cell.bias.numpy()[4:8], 1.0)  # unit_forget_bias
    assert nf.keras.initializers.get("orthogonal").gain == 1.0
    with pytest.raises(ValueError, match=r"at least two-dimensional.*shape=\(3,\)"):
        nf.keras.initializers.Orthogonal()((3,))


def test_regularizers_add_losses_as_keras(keras):
    args = {"kernel_regularizer": "l2", "recurrent_regularizer": "l1", "bias_regularizer": "l2",
            "activity_regularizer": "l2", "return_state": True}  # fmt: skip
    k_layer, n_layer = pair(keras, "LSTM", **args)
    k_layer(X)
    n_layer(X)
    assert len(n_layer.losses) == len(k_layer.losses) == 6  # 3 weights, 3 outputs
    np.testing.assert_allclose(
        sorted(float(v) for v in n_layer.losses),
        sorted(float(v) for v in k_layer.losses),
        rtol=1e-5,
    )


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_hard_sigmoid_gates_match_keras_on_both_paths(keras, kind):
    k_layer, n_layer = pair(keras, kind, recurrent_activation="hard_sigmoid", return_sequences=True)
    assert n_layer._fused_op() is not None
    for fused in (True, False):
        with config.fusion(fused):
            np.testing.assert_allclose(n_layer(X).numpy(), np.asarray(k_layer(X)), atol=1e-5)
