"""Keras files of recurrent models, both ways: the fixtures Keras 3 and tf.keras 2 saved
(tests/fixtures/keras/recurrent_*, made by make_fixtures.py there) load and predict what
Keras predicted, with Keras's layer names, weight order and settings; the files neuroflow
writes load in real Keras and predict what neuroflow predicts."""

import json
import os
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import neuroflow as nf  # noqa: E402
from neuroflow.io import FormatError, load_model  # noqa: E402
from neuroflow.keras import layers as L  # noqa: E402
from tests.conftest import peer  # noqa: E402
from tests.io.test_keras_import import _edited_archive  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
INPUTS = np.load(FIXTURES / "inputs_recurrent.npz")
# each fixture's model inputs, in order (make_fixtures.py)
MODELS = {
    "lstm": ["series"],
    "gru": ["series"],
    "gru_reset_before": ["series"],
    "simple_rnn": ["series"],
    "bidirectional": ["series"],
    "bidirectional_merge": ["series"],
    "time_distributed": ["series"],
    "embedding_lstm": ["tokens"],
    "masking": ["padded"],
    "seq2seq": ["series", "decoder"],
}
FILES = [
    (name, suffix) for name in MODELS for suffix in ("keras3.keras", "keras3.h5", "keras2.h5")
]  # fmt: skip


def _predict(model, keys) -> list:
    xs = [INPUTS[k] for k in keys]
    out = model(xs if len(xs) > 1 else xs[0], training=False)
    return [np.asarray(o.data) for o in (out if isinstance(out, (list, tuple)) else [out])]


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize(("name", "suffix"), FILES)
def test_recurrent_models_saved_by_keras_predict_as_keras(name, suffix):
    model = load_model(FIXTURES / f"recurrent_{name}_{suffix}")
    expected = np.load(FIXTURES / f"recurrent_{name}_{suffix.split('.')[0]}.expected.npz")
    outputs = _predict(model, MODELS[name])
    assert len(outputs) == len(expected.files)
    for i, out in enumerate(outputs):
        np.testing.assert_allclose(out, expected[f"arr_{i}"], atol=1e-5, rtol=0)


def _archive_weights(path) -> dict:
    """``{group path: array}`` of a .keras archive's model.weights.h5."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    found = {}
    with h5py.File(BytesIO(data), "r") as f:
        f.visititems(lambda k, v: found.__setitem__(k, v[()]) if hasattr(v, "shape") else None)
    return found


def _config(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def test_gru_settings_names_and_weight_order_are_keras():
    path = FIXTURES / "recurrent_gru_reset_before_keras3.keras"
    model = load_model(path, compile=False)
    first, second = model.layers
    assert [type(layer).__name__ for layer in model.layers] == ["GRU", "GRU"]
    specs = _config(path)["config"]["layers"][1:]
    assert [layer.name for layer in model.layers] == [s["config"]["name"] for s in specs]
    assert (first.reset_after, second.reset_after) == (False, False)
    assert (first.return_sequences, second.return_sequences) == (True, False)
    assert (first.go_backwards, second.go_backwards) == (False, True)
    assert nf.activations.serialize(second.activation) == "relu"
    saved = _archive_weights(path)
    for key, layer in zip(("gru", "gru_1"), model.layers):
        names = [w.name for w in layer.weights]
        assert names[:2] == ["kernel", "recurrent_kernel"] and names[2] == "bias"
        assert layer.weights[2].shape == (3 * layer.units,)  # reset_after=False: one bias
        for i, w in enumerate(layer.get_weights()):
            np.testing.assert_array_equal(w, saved[f"layers/{key}/cell/vars/{i}"])


def test_legacy_h5_weights_follow_weight_names():
    path = FIXTURES / "recurrent_lstm_keras2.h5"
    model = load_model(path, compile=False)
    with h5py.File(path, "r") as f:
        for layer in model.layers:
            group = f["model_weights"][layer.name]
            names = [n if isinstance(n, str) else n.decode() for n in group.attrs["weight_names"]]
            assert [n.rsplit("/", 1)[-1] for n in names] == [f"{w.name}:0" for w in layer.weights]
            for w, n in zip(layer.get_weights(), names):
                np.testing.assert_array_equal(w, group[n][()])
    assert model.layers[0].cell.unit_forget_bias and model.layers[0].return_sequences


def test_bidirectional_settings_and_weight_order_are_keras():
    path = FIXTURES / "recurrent_bidirectional_merge_keras3.keras"
    model = load_model(path, compile=False)
    assert [layer.merge_mode for layer in model.layers] == ["sum", "mul", "ave"]
    saved = _archive_weights(path)
    for key, layer in zip(("bidirectional", "bidirectional_1", "bidirectional_2"), model.layers):
        forward, backward = layer.forward_layer, layer.backward_layer
        assert forward.name.startswith("forward_") and backward.name.startswith("backward_")
        assert (forward.go_backwards, backward.go_backwards) == (False, True)
        weights = layer.get_weights()  # Keras's order: the forward layer's, then the backward
        assert len(weights) == 6
        for i, direction in enumerate(("forward_layer", "backward_layer")):
            for j in range(3):
                np.testing.assert_array_equal(
                    weights[3 * i + j], saved[f"layers/{key}/{direction}/cell/vars/{j}"]
                )
    assert [layer.return_sequences for layer in model.layers] == [True, True, False]


def test_time_distributed_embedding_and_masking_settings():
    td = load_model(FIXTURES / "recurrent_time_distributed_keras3.keras", compile=False)
    first = td.layers[0]
    assert type(first).__name__ == "TimeDistributed" and type(first.layer).__name__ == "Dense"
    assert first.layer.units == 4 and nf.activations.serialize(first.layer.activation) == "relu"
    emb = load_model(FIXTURES / "recurrent_embedding_lstm_keras2.h5", compile=False)
    embedding = emb.get_layer("embedding")
    assert (embedding.input_dim, embedding.output_dim, embedding.mask_zero) == (12, 4, True)
    masking = load_model(FIXTURES / "recurrent_masking_keras3.h5", compile=False)
    assert masking.get_layer("masking").mask_value == 0.0
    # Keras traced NotEqual and Any for the mask: they are not layers here
    assert [type(layer).__name__ for layer in masking.layers] == [
        "InputLayer", "Masking", "Bidirectional", "LSTM", "TimeDistributed",
    ]  # fmt: skip


def test_the_mask_matters_in_the_fixtures():
    """Without its mask, the Embedding model predicts otherwise: the padded fixtures test
    the masks, not only the weights."""
    model = load_model(FIXTURES / "recurrent_embedding_lstm_keras3.keras", compile=False)
    model.get_layer("embedding").mask_zero = False
    expected = np.load(FIXTURES / "recurrent_embedding_lstm_keras3.expected.npz")["arr_0"]
    assert np.abs(_predict(model, ["tokens"])[0] - expected).max() > 1e-3


def test_wrapped_lambda_layers_and_stray_mask_operations_are_refused(tmp_path):
    def wrapped_lambda(config):
        inner = config["config"]["layers"][1]["config"]["layer"]
        inner["class_name"] = "Lambda"
        inner["config"]["function"] = {"class_name": "__lambda__", "config": {"code": "AAAA"}}

    with pytest.raises(FormatError, match="is a Keras Lambda layer.*never runs"):
        load_model(_edited_archive(tmp_path, "recurrent_time_distributed_keras3.keras",
                                   wrapped_lambda))  # fmt: skip

    def mask_as_input(config):  # the LSTM reads NotEqual's output as its sequence
        lstm = config["config"]["layers"][3]
        lstm["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["not_equal", 0, 0]

    with pytest.raises(FormatError, match="'lstm_5' takes the output of a mask computation"):
        load_model(_edited_archive(tmp_path, "recurrent_embedding_lstm_keras3.keras",
                                   mask_as_input))  # fmt: skip

    def no_inner(config):
        del config["config"]["layers"][1]["config"]["layer"]

    with pytest.raises(FormatError, match="has no layer config under 'layer'"):
        load_model(_edited_archive(tmp_path, "recurrent_bidirectional_keras3.keras", no_inner))


# ----------------------------------------------------------------- neuroflow -> Keras
def _series(n=4, steps=7, features=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, steps, features)).astype(np.float32)


def _tokens():
    tokens = np.random.default_rng(1).integers(1, 10, size=(4, 7)).astype(np.int32)
    tokens[0, :3] = 0  # padding before and after: the mask changes the outputs
    tokens[2, 5:] = 0
    return tokens


def _seq(*layers, name):
    return nf.keras.Sequential([nf.keras.Input((7, 3)), *layers], name=name)


def _embedding_model():
    tokens = nf.keras.Input((7,), dtype="int32", name="tokens")
    h = L.Embedding(10, 4, mask_zero=True)(tokens)
    h = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave")(h)
    return nf.keras.Model(tokens, L.Dense(1)(L.GRU(2)(h)), name="embedding"), _tokens()


def _seq2seq_model():
    series, decoder = nf.keras.Input((7, 3), name="series"), nf.keras.Input((5, 2), name="dec")
    _, state_h, state_c = L.LSTM(4, return_state=True)(L.Masking()(series))
    out = L.LSTM(4, return_sequences=True)(decoder, initial_state=[state_h, state_c])
    model = nf.keras.Model([series, decoder], L.TimeDistributed(L.Dense(1))(out), name="s2s")
    padded = _series()
    padded[1, 4:] = 0.0
    return model, [padded, _series(steps=5, features=2, seed=2)]


WRITTEN = {
    "lstm": lambda: (
        _seq(L.LSTM(5, return_sequences=True), L.LSTM(4, go_backwards=True), L.Dense(1),
             name="lstm"),
        _series(),
    ),
    "gru": lambda: (
        _seq(L.GRU(5, return_sequences=True),
             L.GRU(4, reset_after=False, activation="relu", go_backwards=True), name="gru"),
        _series(),
    ),
    "simple_rnn": lambda: (
        _seq(L.SimpleRNN(4, use_bias=False, return_sequences=True), name="simple_rnn"),
        _series(),
    ),
    "bidirectional": lambda: (
        _seq(L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"),
             L.Bidirectional(L.GRU(2, reset_after=False), merge_mode="concat"),
             name="bidirectional"),
        _series(),
    ),
    "time_distributed": lambda: (
        _seq(L.TimeDistributed(L.Dense(3, activation="tanh")),
             L.SimpleRNN(2, return_sequences=True), L.TimeDistributed(L.Dense(1)),
             name="time_distributed"),
        _series(),
    ),
    "embedding": _embedding_model,
    "s2s": _seq2seq_model,
}  # fmt: skip


def _written(name):
    model, x = WRITTEN[name]()
    rng = np.random.default_rng(3)
    for w in model.weights:
        w.assign(rng.normal(0.0, 0.5, w.shape).astype(np.float32))
    return model, x


# the settings that must survive the trip, per layer (missing ones are skipped)
SETTINGS = ("return_sequences", "return_state", "go_backwards", "reset_after", "units",
            "activation", "recurrent_activation", "use_bias", "merge_mode", "mask_zero",
            "input_dim", "output_dim", "mask_value")  # fmt: skip


def _settings(config: dict) -> dict:
    out = {k: config[k] for k in SETTINGS if k in config}
    for key in ("layer", "backward_layer"):  # wrappers: the wrapped layers' settings
        if isinstance(config.get(key), dict):
            out[key] = _settings(config[key].get("config", config[key]))
    return out


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_written_files_load_in_keras_and_predict_the_same(tmp_path, name, ext):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = peer("keras")
    model, x = _written(name)
    want = [np.asarray(o) for o in nf.layers.node.flatten(model.predict(x, verbose=0))]
    path = tmp_path / f"m{ext}"
    model.save(path)
    theirs = keras.models.load_model(path)
    got = [np.asarray(o) for o in nf.layers.node.flatten(theirs(x, training=False))]
    for g, w in zip(nf.layers.node.flatten(got), want, strict=True):
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=0)
    ours = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    keras_layers = [layer for layer in theirs.layers if type(layer).__name__ != "InputLayer"]
    assert [layer.name for layer in keras_layers] == [layer.name for layer in ours]
    for mine, their in zip(ours, keras_layers):
        assert _settings(their.get_config()) == _settings(mine.get_config()), mine.name
        for a, b in zip(mine.get_weights(), their.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    back = load_model(path)  # and neuroflow reads its own file back
    for g, w in zip(nf.layers.node.flatten(back.predict(x, verbose=0)), want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["lstm", "bidirectional", "embedding"])
def test_written_weights_load_in_keras(tmp_path, name):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = peer("keras")
    model, x = _written(name)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    theirs = keras.models.load_model(tmp_path / "m.keras", compile=False)
    for w in theirs.weights:
        w.assign(np.zeros(w.shape, w.dtype))
    theirs.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(
        np.asarray(theirs(x, training=False)), model.predict(x, verbose=0), atol=1e-5, rtol=0
    )
