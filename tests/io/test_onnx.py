"""ONNX export, checked by running the file in onnxruntime."""

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import neuroflow as nf  # noqa: E402
from neuroflow.io import export_onnx  # noqa: E402
from neuroflow.keras import layers  # noqa: E402

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
def test_onnxruntime_matches_the_library(build, tmp_path):
    model, shape = build()
    x = R.random(shape, dtype=np.float32)
    path = tmp_path / "model.onnx"
    export_onnx(model, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (x, x[:1]):  # the batch axis is dynamic
        out = session.run(None, {"input": batch})[0]
        np.testing.assert_allclose(out, model.predict(batch, verbose=0), atol=1e-5, rtol=1e-5)


def test_unsupported_layers_are_named(tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((8, 2)), layers.Conv1D(2, 3, name="seq_conv")])
    with pytest.raises(ValueError, match="'seq_conv' \\(Conv1D\\)"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


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
