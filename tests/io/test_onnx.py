"""ONNX export, checked by running the file in ONNX's reference evaluator (and in
onnxruntime where it is installed) against the model's own predictions."""

import numpy as np
import pytest

pytest.importorskip("onnx")
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


def run_onnx(path, feeds: dict) -> list:
    """The graph's outputs from the reference evaluator, and from onnxruntime if present
    (both must agree)."""
    outputs = ReferenceEvaluator(str(path)).run(None, feeds)
    if ort is not None:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
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
        want = model([v[:n] for v in xs] if isinstance(x, list) else x[:n]).numpy()
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
