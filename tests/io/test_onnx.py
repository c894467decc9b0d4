"""ONNX export, checked by running the file in ONNX's reference evaluator (and in
onnxruntime where it is installed) against the model's own predictions."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx.reference import ReferenceEvaluator  # noqa: E402

import neuroflow as nf  # noqa: E402
from neuroflow.io import export_onnx  # noqa: E402
from neuroflow.io.onnx_export import exportable_layer_classes  # noqa: E402
from neuroflow.keras import layers  # noqa: E402
from neuroflow.layers.node import flatten  # noqa: E402
from tests.io.layer_cases import NOT_A_CASE, PARAMS, case_model  # noqa: E402

try:
    import onnxruntime as ort
except ImportError:  # the reference evaluator alone then
    ort = None


# ONNX's reference evaluator runs LSTM with sigmoid and tanh whatever its `activations`
# say, and RNN only with Tanh; onnxruntime implements them all
_REFERENCE_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"],
                          "RNN": ["Tanh"]}  # fmt: skip


def _reference_runs(path) -> bool:
    """Whether the reference evaluator computes this graph as the ONNX standard says."""
    for node in onnx.load(str(path)).graph.node:
        for attr in node.attribute:
            if attr.name == "activations" and node.op_type in _REFERENCE_ACTIVATIONS:
                names = [a.decode() for a in attr.strings]
                default = _REFERENCE_ACTIVATIONS[node.op_type]
                if names != default * (len(names) // len(default)):
                    return False
    return True


def run_onnx(path, feeds: dict) -> list:
    """The graph's outputs from the reference evaluator, and from onnxruntime if present
    (both must agree; onnxruntime alone for activations the evaluator lacks)."""
    session = None
    if ort is not None:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if not _reference_runs(path):
        if session is None:
            pytest.skip("a recurrent activation only onnxruntime runs, and it is not installed")
        return session.run(None, feeds)
    outputs = ReferenceEvaluator(str(path)).run(None, feeds)
    if session is not None:
        for a, b in zip(outputs, session.run(None, feeds), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    return outputs


R = np.random.default_rng(0)


def seed000():
    return nf.keras.Sequential(
        [
            layers.Flatten(input_shape=(28, 28)),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10),
        ]
    ), (4, 28, 28)


def seed002():
    return nf.keras.Sequential(
        [
            nf.keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    ), (5, 28, 28, 1)


def seed003_model4():
    return nf.keras.Sequential(
        [
            nf.keras.Input((28, 28, 1)),
            layers.Conv2D(64, 2, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    ), (5, 28, 28, 1)


def seed004():
    return nf.keras.Sequential(
        [
            nf.keras.Input((784,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    ), (6, 784)


def mixed():
    return nf.keras.Sequential(
        [
            nf.keras.Input((9, 9, 2)),
            layers.Conv2D(3, 3, strides=2, padding="same", activation="tanh"),
            layers.AveragePooling2D(2, padding="same"),
            layers.Conv2D(4, 2, dilation_rate=1, activation="elu"),
            layers.MaxPooling2D(2, strides=1, padding="same"),
            layers.GlobalMaxPooling2D(),
            layers.Dense(5, activation="sigmoid"),
            layers.LeakyReLU(0.1),
            layers.Reshape((5, 1)),
            layers.Flatten(),
            layers.Activation("softplus"),
            layers.Softmax(),
        ]
    ), (3, 9, 9, 2)


def dilated():
    return nf.keras.Sequential(
        [
            nf.keras.Input((10, 11, 3)),
            layers.Conv2D(2, 3, dilation_rate=2, padding="same"),
            layers.ReLU(),
            layers.GlobalAveragePooling2D(),
        ]
    ), (2, 10, 11, 3)


@pytest.mark.parametrize("build", [seed000, seed002, seed003_model4, seed004, mixed, dilated])
def test_onnx_matches_the_library(build, tmp_path):
    model, shape = build()
    x = R.random(shape, dtype=np.float32)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    for batch in (x, x[:1]):  # the batch axis is dynamic
        out = run_onnx(path, {"input": batch})[0]
        np.testing.assert_allclose(out, model.predict(batch, verbose=0), atol=1e-5, rtol=1e-5)


def test_every_layer_class_exports():
    missing = {
        name
        for name, cls in nf.layers.layer_classes().items()
        if cls not in exportable_layer_classes() and name not in NOT_A_CASE
    }
    assert not missing, f"layer classes with no ONNX mapping: {sorted(missing)}"


@pytest.mark.parametrize(("name", "i"), PARAMS)
def test_each_layer_exports(tmp_path, name, i):
    model, _, x = case_model(name, i)
    path = tmp_path / "m.onnx"
    export_onnx(model, path)
    xs = x if isinstance(x, list) else [x]
    for n in (3, 1):  # the batch axis is dynamic
        feeds = {t.name: v[:n] for t, v in zip(model.inputs, xs, strict=True)}
        out = run_onnx(path, feeds)
        inputs = [v[:n] for v in xs] if isinstance(x, list) else x[:n]
        want = model(inputs, training=False).numpy()  # inference: no augmentation
        assert out[0].shape == want.shape
        np.testing.assert_allclose(out[0], want, atol=1e-5, rtol=1e-5)


def functional():
    """Dict inputs and outputs, a shared layer, merges, a nested Sequential and a nested
    functional model with two outputs, BatchNormalization and a transposed convolution."""
    image, side = nf.keras.Input((6, 6, 2), name="image"), nf.keras.Input((4,), name="side")
    shared = layers.Dense(5, activation="tanh", name="shared")
    feats = layers.GlobalAveragePooling2D()(
        layers.Conv2DTranspose(3, 3, strides=2, padding="same")(layers.BatchNormalization()(image))
    )
    merged = layers.Concatenate()([shared(layers.Dense(4)(feats)), shared(side)])
    t = nf.keras.Input((10,))
    heads = nf.keras.Model(t, [layers.Dense(3)(t), layers.Dense(1)(t)], name="heads")
    p, q = heads(merged)
    seq = nf.keras.Sequential(
        [nf.keras.Input((10,)), layers.Dense(2), layers.Softmax()], name="seq"
    )
    outputs = {"probs": seq(merged), "p": p, "q": layers.Add()([q, layers.Dense(1)(merged)])}
    model = nf.keras.Model({"image": image, "side": side}, outputs, name="multi")
    for w in model.weights:
        w.assign(R.uniform(0.2, 1.0, w.shape).astype(np.float32))
    return model


def test_functional_graphs_export(tmp_path):
    model = functional()
    x = {
        "image": R.random((3, 6, 6, 2), dtype=np.float32),
        "side": R.random((3, 4), dtype=np.float32),
    }
    export_onnx(model, tmp_path / "f.onnx")
    session = ReferenceEvaluator(str(tmp_path / "f.onnx"))
    assert session.input_names == ["image", "side"]
    assert session.output_names == ["p", "probs", "q"]
    got = dict(zip(session.output_names, run_onnx(tmp_path / "f.onnx", x)))
    want = {k: v.numpy() for k, v in model(x).items()}
    assert sorted(got) == sorted(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], atol=1e-5, rtol=1e-5)


def test_list_outputs_and_a_shared_layer_called_on_one_input_twice(tmp_path):
    a, b = nf.keras.Input((3,), name="a"), nf.keras.Input((3,), name="b")
    dense = layers.Dense(3, activation="relu", name="dense_shared")
    once = dense(a)
    model = nf.keras.Model([a, b], [dense(once), layers.Subtract()([once, b]), once])
    export_onnx(model, tmp_path / "l.onnx")
    x = [R.random((2, 3), dtype=np.float32), R.random((2, 3), dtype=np.float32)]
    got = run_onnx(tmp_path / "l.onnx", {"a": x[0], "b": x[1]})
    for g, w in zip(got, flatten(model(x)), strict=True):
        np.testing.assert_allclose(g, w.numpy(), atol=1e-6)


def test_unsupported_layers_are_named(tmp_path):
    inputs = nf.keras.Input((3,))
    model = nf.keras.Model(inputs, layers.Lambda(lambda t: t * 2, name="double")(inputs))
    with pytest.raises(ValueError, match="'double' \\(Lambda\\) to ONNX: it has no ONNX mapping"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()

    class Custom(nf.models.Model):
        def call(self, x, training=False):
            return x

    with pytest.raises(ValueError, match="Only built Sequential and functional models.*Custom"):
        export_onnx(Custom(), tmp_path / "m.onnx")


def test_a_dropout_called_in_training_mode_is_refused(tmp_path):
    inputs = nf.keras.Input((3,))
    model = nf.keras.Model(inputs, layers.Dropout(0.5, name="drop")(inputs, training=True))
    with pytest.raises(ValueError, match="layer 'drop' with extra arguments"):
        export_onnx(model, tmp_path / "m.onnx")


@pytest.mark.parametrize(
    "layer",
    [
        layers.Conv2D(2, 3, data_format="channels_first"),
        layers.GlobalMaxPooling2D(data_format="channels_first"),
    ],
)
def test_channels_first_layers_are_refused(layer, tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((1, 6, 6)), layer])
    with pytest.raises(ValueError, match="with data_format='channels_first'"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# ------------------------------------------------------------------------- recurrent
def _randomized(model):
    rng = np.random.default_rng(7)
    for w in model.weights:
        w.assign(rng.normal(0.0, 0.5, w.shape).astype(np.float32))
    return model


def _sequential(*stack, steps=7):
    return nf.keras.Sequential([nf.keras.Input((steps, 3)), *stack])


def _seq2seq():
    """return_state and initial_state: the encoder's final states start the decoder."""
    series, decoder = nf.keras.Input((7, 3), name="series"), nf.keras.Input((4, 2), name="dec")
    out, h, c = layers.LSTM(3, return_state=True, go_backwards=True)(series)
    seq = layers.LSTM(3, return_sequences=True)(decoder, initial_state=[h, c])
    states = layers.RNN([layers.GRUCell(2), layers.LSTMCell(3)], return_state=True)(series)
    return nf.keras.Model([series, decoder], [seq, out, *flatten(states)], name="seq2seq")


def _embedding():
    tokens = nf.keras.Input((6,), dtype="int32", name="tokens")
    h = layers.Embedding(11, 4)(tokens)
    return nf.keras.Model(tokens, layers.GRU(3, reset_after=False)(h), name="embedding")


RECURRENT = {
    "stacked_lstm": lambda: _sequential(
        layers.LSTM(5, return_sequences=True), layers.LSTM(4), layers.Dense(1)
    ),
    "gru_both_variants": lambda: _sequential(
        layers.GRU(4, return_sequences=True, go_backwards=True),
        layers.GRU(3, reset_after=False, return_sequences=True),
        layers.GRU(2, reset_after=False, go_backwards=True),
    ),
    "simple_rnn": lambda: _sequential(
        layers.SimpleRNN(4, activation="relu", return_sequences=True),
        layers.SimpleRNN(3, use_bias=False),
    ),
    "lstm_activations": lambda: _sequential(
        layers.LSTM(3, activation="relu", recurrent_activation="sigmoid", return_sequences=True),
        layers.GRU(2, activation="linear", recurrent_activation="relu"),
    ),
    "any_length": lambda: _sequential(layers.LSTM(3, return_sequences=True), steps=None),
    "masking_then_dense": lambda: _sequential(layers.Masking(0.0), layers.Dense(2)),
    "seq2seq": _seq2seq,
    "embedding": _embedding,
}


def _inputs(model, n=3, steps=None):
    rng = np.random.default_rng(1)
    feeds = {}
    for t in model.inputs:
        shape = (n, *(steps if d is None else d for d in t.shape[1:]))
        if t.dtype == "int32":
            feeds[t.name] = rng.integers(0, 11, size=shape).astype(np.int32)
        else:
            x = rng.normal(size=shape).astype(np.float32)
            x[0, 2] = 0.0  # a step Masking masks
            feeds[t.name] = x
    return feeds


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_models_export(tmp_path, name):
    model = _randomized(RECURRENT[name]())
    path = tmp_path / "r.onnx"
    export_onnx(model, path)
    names = ["input"] if isinstance(model, nf.keras.Sequential) else [t.name for t in model.inputs]
    for n, steps in ((3, 5), (1, 9)):  # batch (and here timesteps) dynamic
        feeds = _inputs(model, n, steps)
        xs = list(feeds.values())
        want = flatten(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        got = run_onnx(path, dict(zip(names, xs)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, np.asarray(w), atol=1e-5, rtol=1e-5)


def test_recurrent_onnx_operators_and_gate_order(tmp_path):
    """One ONNX LSTM node: Keras's i, f, c, o kernel blocks become ONNX's i, o, f, c."""
    model = _randomized(_sequential(layers.LSTM(2)))
    export_onnx(model, tmp_path / "l.onnx")
    graph = onnx.load(str(tmp_path / "l.onnx")).graph
    assert [n.op_type for n in graph.node].count("LSTM") == 1
    w = next(onnx.numpy_helper.to_array(i) for i in graph.initializer if i.name.startswith("W"))
    i, f, c, o = np.split(model.layers[0].cell.kernel.numpy().T, 4)
    np.testing.assert_array_equal(w[0], np.concatenate([i, o, f, c]))


@pytest.mark.parametrize(
    "build, where",
    [
        (lambda: _sequential(layers.Masking(0.0), layers.GRU(2)), "GRU"),
        (
            lambda: nf.keras.Sequential(
                [nf.keras.Input((6,)), layers.Embedding(5, 3, mask_zero=True), layers.LSTM(2)]
            ),
            "LSTM",
        ),
    ],
)
def test_masked_recurrent_layers_are_refused(tmp_path, build, where):
    model = build()
    with pytest.raises(ValueError, match=rf"\({where}\) to ONNX: its input carries a Keras mask"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_stateful_layers_are_refused(tmp_path):
    model = nf.keras.Sequential(
        [nf.keras.Input(batch_shape=(2, 5, 3)), layers.LSTM(2, stateful=True, name="memory")]
    )
    with pytest.raises(ValueError, match="'memory' to ONNX: it is stateful"):
        export_onnx(model, tmp_path / "m.onnx")


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("name", ["lstm", "gru", "gru_reset_before", "simple_rnn"])
def test_keras_saved_recurrent_models_export_to_keras_predictions(tmp_path, name):
    """A Keras file, imported, then exported: ONNX predicts what Keras predicted."""
    from pathlib import Path

    from neuroflow.io import load_model

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
    model = load_model(fixtures / f"recurrent_{name}_keras3.keras")
    export_onnx(model, tmp_path / "k.onnx")
    x = np.load(fixtures / "inputs_recurrent.npz")["series"]
    expected = np.load(fixtures / f"recurrent_{name}_keras3.expected.npz")["arr_0"]
    np.testing.assert_allclose(run_onnx(tmp_path / "k.onnx", {"input": x})[0], expected, atol=1e-5)


def _bidirectional_states():
    series = nf.keras.Input((7, 3), name="series")
    outs = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)(series)
    both = layers.Bidirectional(layers.LSTM(3, return_state=True), merge_mode="mul")(series)
    # the four final states start another Bidirectional LSTM (forward's, then backward's)
    again = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(
        series, initial_state=flatten(both)[1:]
    )
    _, h_f, h_b = layers.Bidirectional(layers.GRU(2, return_state=True))(series)
    rnn = layers.Bidirectional(layers.SimpleRNN(2), merge_mode="sum")(
        series, initial_state=[h_f, h_b]
    )
    return nf.keras.Model(series, [*flatten(outs), *flatten(both), again, rnn], name="bi_states")


WRAPPED = {
    "bidirectional_merges": lambda: _sequential(
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode="sum"),
        layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True), merge_mode="ave"),
        layers.Bidirectional(layers.LSTM(2), merge_mode="mul"),
    ),
    "bidirectional_backward_layer": lambda: _sequential(
        layers.Bidirectional(
            layers.LSTM(3, return_sequences=True),
            backward_layer=layers.GRU(2, return_sequences=True, go_backwards=True),
        )
    ),
    "bidirectional_none_and_states": _bidirectional_states,
    "time_distributed": lambda: _sequential(
        layers.TimeDistributed(layers.Dense(4, activation="relu")),
        layers.TimeDistributed(layers.Reshape((2, 2))),
        layers.TimeDistributed(layers.Conv1D(3, 2)),
        layers.TimeDistributed(layers.Flatten()),
        layers.LSTM(2),
    ),
}


@pytest.mark.parametrize("name", sorted(WRAPPED))
def test_wrapped_recurrent_models_export(tmp_path, name):
    model = _randomized(WRAPPED[name]())
    export_onnx(model, tmp_path / "w.onnx")
    names = ["input"] if isinstance(model, nf.keras.Sequential) else [t.name for t in model.inputs]
    for n in (3, 1):
        xs = list(_inputs(model, n).values())
        want = flatten(model.predict(xs[0], verbose=0))
        got = run_onnx(tmp_path / "w.onnx", dict(zip(names, xs)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, np.asarray(w), atol=1e-5, rtol=1e-5)


def test_bidirectional_is_one_operator_where_onnx_has_one(tmp_path):
    model = _sequential(
        layers.Bidirectional(layers.GRU(2, return_sequences=True)),
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.GRU(2, go_backwards=True)),
    )
    export_onnx(model, tmp_path / "b.onnx")
    nodes = [
        (n.op_type, next((a.s.decode() for a in n.attribute if a.name == "direction"), None))
        for n in onnx.load(str(tmp_path / "b.onnx")).graph.node
        if n.op_type in ("GRU", "LSTM")
    ]
    # a GRU pair is one bidirectional operator; an LSTM and a GRU are two operators
    assert nodes == [("GRU", "bidirectional"), ("LSTM", None), ("GRU", None)]
