"""Files neuroflow writes under Keras's names (``.keras``, ``.h5``, ``.weights.h5``) are real
Keras files: Keras 3 loads them and predicts what neuroflow predicts (the ``requires_keras``
tests), and neuroflow reads them back. The file name picks the format, as in Keras 3."""

import json
import os
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import neuroflow as nf  # noqa: E402
from neuroflow import layers, losses, metrics, optimizers  # noqa: E402
from neuroflow.io import keras_writer, saving  # noqa: E402
from tests.conftest import requires_keras  # noqa: E402

EXTENSIONS = [".keras", ".h5"]


@pytest.fixture
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def mlp():
    return nf.keras.Sequential(
        [
            layers.Input((20,)),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(8, activation="tanh"),
            layers.Dense(4, activation="softmax"),
        ],
        name="mlp",
    )


def cnn():
    return nf.keras.Sequential(
        [
            layers.Input((12, 12, 1)),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(6, 2, padding="same", activation="relu"),
            layers.AveragePooling2D((2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(3, activation="softmax"),
        ],
        name="cnn",
    )


def nested():
    inner = nf.keras.Sequential(
        [layers.Dense(8, activation="relu"), layers.Dense(6, activation="tanh")], name="inner"
    )
    return nf.keras.Sequential(
        [layers.Input((20,)), inner, layers.Dense(4, activation="softmax")], name="outer"
    )


MODELS = {
    "mlp": (mlp, (16, 20), 4),
    "cnn": (cnn, (6, 12, 12, 1), 3),
    "nested": (nested, (16, 20), 4),
}


def trained(kind: str):
    """A model after two epochs of Adam, so that weights and optimizer state are not fresh."""
    make, shape, classes = MODELS[kind]
    model = make()
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    y = np.arange(len(x)) % classes
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


@requires_keras
@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_keras_loads_the_model_and_predicts_equal(keras, tmp_path, kind, ext):
    model, x, _ = trained(kind)
    path = tmp_path / f"model{ext}"
    saving.save_model(model, path)
    loaded = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    assert loaded.count_params() == model.count_params()
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6, rtol=0
    )
    assert type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.learning_rate.numpy() == pytest.approx(1e-3)


@requires_keras
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_keras_loads_weights_h5_into_its_own_model(keras, tmp_path, kind):
    model, x, _ = trained(kind)
    saving.save_model(model, tmp_path / "arch.keras")
    saving.save_weights(model, tmp_path / "w.weights.h5")
    fresh = keras.models.clone_model(keras.models.load_model(tmp_path / "arch.keras"))
    assert not np.allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-3)
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(
        fresh.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6, rtol=0
    )


@requires_keras
def test_keras_resumes_adam_where_neuroflow_stopped(keras, tmp_path):
    # the optimizer's step count and moments go into the .keras file in Keras's order, so
    # one more step in Keras lands where one more step in neuroflow does
    model = nf.keras.Sequential(
        [
            layers.Input((20,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(4, activation="softmax"),
        ]
    )  # no dropout
    x = np.random.default_rng(0).random((16, 20), dtype=np.float32)
    y = np.arange(len(x)) % 4
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    saving.save_model(model, tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations) == 4
    model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(mine, theirs, atol=2e-6, rtol=0)


@requires_keras
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_compile_objects_reach_keras(keras, tmp_path, ext):
    model = mlp()
    model.compile(
        optimizers.SGD(0.05, momentum=0.9),
        losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.SparseCategoricalAccuracy(name="acc"), "accuracy"],
    )
    saving.save_model(model, tmp_path / f"m{ext}")
    loaded = keras.models.load_model(tmp_path / f"m{ext}")
    assert type(loaded.optimizer).__name__ == "SGD"
    assert loaded.optimizer.get_config()["momentum"] == pytest.approx(0.9)
    assert loaded.optimizer.learning_rate.numpy() == pytest.approx(0.05)
    assert type(loaded.loss).__name__ == "SparseCategoricalCrossentropy"
    assert loaded.loss.get_config()["from_logits"] is True
    x = np.random.default_rng(1).random((8, 20), dtype=np.float32)
    y = np.arange(8) % 4
    # the metric object keeps the name it was given
    assert set(loaded.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "acc", "accuracy"}


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_compile_objects_round_trip_in_neuroflow(tmp_path, ext):
    model = mlp()
    model.compile(
        optimizers.RMSprop(0.01, rho=0.8),
        losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[metrics.BinaryAccuracy(threshold=0.3), "accuracy"],
    )
    saving.save_model(model, tmp_path / f"m{ext}")
    loaded = saving.load_model(tmp_path / f"m{ext}")
    assert type(loaded.optimizer) is optimizers.RMSprop
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    assert loaded.optimizer.rho == pytest.approx(0.8)
    assert type(loaded.loss) is losses.SparseCategoricalCrossentropy and loaded.loss.from_logits
    accuracy = loaded._metric_ids[0]
    assert type(accuracy) is metrics.BinaryAccuracy and accuracy.threshold == pytest.approx(0.3)
    assert loaded._metric_ids[1] == "accuracy"


@pytest.mark.parametrize("ext", [*EXTENSIONS, ".weights.h5"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_neuroflow_reads_its_keras_files_back(tmp_path, kind, ext):
    model, x, _ = trained(kind)
    path = tmp_path / f"m{ext}"
    if ext == ".weights.h5":
        saving.save_weights(model, path)
        loaded = MODELS[kind][0]()
        assert not np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        saving.load_weights(loaded, path)
    else:
        saving.save_model(model, path)
        loaded = saving.load_model(path)
        fresh = MODELS[kind][0]()
        saving.load_weights(fresh, path)  # a whole-model file also gives its weights
        np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_layout(tmp_path):
    # what Keras 3.15 writes for the same model (read from files it wrote)
    model, _, _ = trained("mlp")
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
        config = json.loads(archive.read("config.json"))
        weights = h5py.File(archive.open("model.weights.h5"), "r")
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    specs = config["config"]["layers"]
    assert [s["class_name"] for s in specs] == ["InputLayer", "Dense", "Dropout", "Dense", "Dense"]
    assert specs[0]["config"]["batch_shape"] == [None, 20]
    dense = specs[1]
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["build_config"] == {"input_shape": [None, 20]}
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"  # as given
    assert config["compile_config"]["metrics"] == ["accuracy"]
    with weights:
        assert sorted(weights["layers"]) == ["dense", "dense_1", "dense_2", "dropout"]
        assert weights["layers/dense_1/vars"].attrs["name"] == model.layers[2].name
        np.testing.assert_array_equal(weights["layers/dense_2/vars/0"], model.layers[3].kernel.data)
        assert len(weights["layers/dropout/vars"]) == 0
        # iteration, learning rate, then Adam's two moments per trainable variable
        assert len(weights["optimizer/vars"]) == 2 + 2 * len(model.trainable_weights)
        assert weights["optimizer/vars/0"][()] == 4


# -------------------------------------------------------------------- functional models
def functional():
    """A shared layer, a merge, BatchNormalization, a nested Sequential, a nested functional
    model and two outputs."""
    a = layers.Input((8,), name="a")
    shared = layers.Dense(4, activation="tanh", name="shared")
    h = layers.Add()([shared(a), layers.Dense(4)(a)])
    h = layers.BatchNormalization()(h)
    seq = nf.keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(4)], name="seq")
    i = layers.Input((4,))
    inner = nf.keras.Model(i, layers.Dense(3)(i), name="inner")
    cls = layers.Dense(2, activation="softmax", name="cls")(inner(seq(h)))
    reg = layers.Dense(1, name="reg")(shared(a))
    return nf.keras.Model(a, [cls, reg], name="graph")


def two_inputs():
    a, b = layers.Input((8,), name="a"), layers.Input((3,), name="b")
    h = layers.Concatenate()([layers.Dense(5, activation="relu")(a), layers.Dense(4)(b)])
    return nf.keras.Model([a, b], layers.Dense(2, activation="softmax")(h), name="two_inputs")


GRAPHS = {"functional": (functional, ["a"]), "two_inputs": (two_inputs, ["a", "b"])}


def graph_case(kind):
    make, names = GRAPHS[kind]
    model = make()
    rng = np.random.default_rng(3)
    xs = [rng.random((6, 8 if n == "a" else 3), dtype=np.float32) for n in names]
    bn = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    for layer in bn:  # statistics that are not the initial zeros and ones
        layer.moving_mean.assign(rng.random(layer.moving_mean.shape, dtype=np.float32))
        layer.moving_variance.assign(1 + rng.random(layer.moving_mean.shape, dtype=np.float32))
    return model, (xs if len(xs) > 1 else xs[0])


def outputs(model, x):
    out = model(x, training=False)
    return [np.asarray(getattr(o, "data", o)) for o in (out if isinstance(out, list) else [out])]


@requires_keras
@pytest.mark.parametrize("ext", [*EXTENSIONS, ".weights.h5"])
@pytest.mark.parametrize("kind", sorted(GRAPHS))
def test_keras_loads_functional_models(keras, tmp_path, kind, ext):
    model, x = graph_case(kind)
    if ext == ".weights.h5":
        saving.save_model(model, tmp_path / "arch.keras")
        saving.save_weights(model, tmp_path / "w.weights.h5")
        loaded = keras.models.clone_model(keras.models.load_model(tmp_path / "arch.keras"))
        loaded.load_weights(tmp_path / "w.weights.h5")
    else:
        saving.save_model(model, tmp_path / f"m{ext}")
        loaded = keras.models.load_model(tmp_path / f"m{ext}")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    theirs = loaded.predict(x, verbose=0)
    theirs = theirs if isinstance(theirs, list) else [theirs]
    mine = outputs(model, x)
    assert len(theirs) == len(mine)
    for a, b in zip(theirs, mine):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("kind", sorted(GRAPHS))
def test_functional_models_round_trip_through_keras_files(tmp_path, kind, ext):
    model, x = graph_case(kind)
    saving.save_model(model, tmp_path / f"m{ext}")
    loaded = saving.load_model(tmp_path / f"m{ext}")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for a, b in zip(outputs(loaded, x), outputs(model, x)):
        np.testing.assert_array_equal(a, b)


# -------------------------------------------------------------------- names and refusals
def test_a_name_without_a_keras_extension_is_refused_as_keras_does(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving.*my_model"):
        saving.save_model(model, tmp_path / "my_model")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`. Received: filepath="):
        saving.save_weights(model, tmp_path / "w.h5")
    with pytest.raises(ValueError, match="File format not supported: filepath="):
        saving.load_model(tmp_path)  # a directory, as a SavedModel is
    with pytest.raises(ValueError, match="File format not supported: filepath="):
        saving.load_weights(model, tmp_path / "w.ckpt")
    with pytest.raises(ValueError, match=r"File not found: filepath=.*nope\.keras"):
        saving.load_model(tmp_path / "nope.keras")
    with pytest.raises(TypeError, match="filepath=3"):
        saving.save_model(model, 3)
    assert list(tmp_path.iterdir()) == []


@requires_keras
def test_the_refusals_say_what_keras_says(keras, tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    ours = mlp()
    for ours_call, keras_call in (
        (lambda p: saving.save_model(ours, p), lambda p: model.save(p)),
        (lambda p: saving.save_weights(ours, p), lambda p: model.save_weights(p)),
        (lambda p: saving.load_model(p), lambda p: keras.models.load_model(p)),
    ):
        path = str(tmp_path / "my_model")
        with pytest.raises(ValueError) as theirs:
            keras_call(path)
        with pytest.raises(ValueError) as mine:
            ours_call(path)
        # the same first sentence, naming the same file
        assert str(mine.value).split(". ")[0] == str(theirs.value).split(". ")[0]
        assert f"filepath={path}" in str(mine.value)


def test_overwrite_false_keeps_the_file(tmp_path):
    model = mlp()
    for name, save in (("m.keras", saving.save_model), ("m.weights.h5", saving.save_weights)):
        path = tmp_path / name
        path.write_bytes(b"old")
        with pytest.raises(FileExistsError, match="overwrite=False"):
            save(model, path, overwrite=False)
        assert path.read_bytes() == b"old"


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "m.weights.h5"])
def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch, name):
    model = mlp()
    path = tmp_path / name
    path.write_bytes(b"previous")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    # fails in the middle: after the HDF5 file is opened, before it is complete
    monkeypatch.setattr(keras_writer, "_own_variables", broken)
    save = saving.save_weights if name.endswith(".weights.h5") else saving.save_model
    with pytest.raises(OSError, match="disk full"):
        save(model, path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_layers_keras_cannot_rebuild_are_refused(tmp_path):
    class Custom(layers.Dense):
        pass

    # a custom class is written as Keras writes it; loading finds it only when given
    model = nf.keras.Sequential([layers.Input((3,)), Custom(2)])
    x = np.ones((2, 3), "float32")
    for ext in EXTENSIONS:
        saving.save_model(model, tmp_path / f"c{ext}")
        with pytest.raises(ValueError, match="'Custom'.*register_keras_serializable"):
            saving.load_model(tmp_path / f"c{ext}")
        loaded = saving.load_model(tmp_path / f"c{ext}", custom_objects={"Custom": Custom})
        assert type(loaded.layers[-1]) is Custom
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    unbuilt = nf.keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        saving.save_model(unbuilt, tmp_path / "u.keras")
    assert not (tmp_path / "u.keras").exists()


def test_a_custom_loss_names_the_way_out(tmp_path):
    model = mlp()
    model.compile("adam", lambda y, p: (y - p) ** 2)
    with pytest.raises(ValueError, match="include_optimizer=False"):
        saving.save_model(model, tmp_path / "m.keras")
    saving.save_model(model, tmp_path / "m.keras", include_optimizer=False)
    assert not saving.load_model(tmp_path / "m.keras").compiled


def test_native_names_keep_neuroflows_format(tmp_path):
    model, x, _ = trained("mlp")
    for name in ("m.neuroflow", "m.nf"):
        saving.save_model(model, tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert "neuroflow.json" in archive.namelist()
        np.testing.assert_array_equal(
            saving.load_model(tmp_path / name).predict(x, verbose=0), model.predict(x, verbose=0)
        )


def _subclassed(keras_module):
    """A subclassed model holding custom layers that hold layers (the subclassing guide's
    ResNet shape), written against either library."""

    class Block(keras_module.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = keras_module.layers.Conv2D(4, 3, padding="same")
            self.conv2 = keras_module.layers.Conv2D(4, 3, padding="same")

        def call(self, x):
            return self.conv2(self.conv1(x))

    class Net(keras_module.Model):
        def __init__(self):
            super().__init__()
            self.block_1, self.block_2 = Block(), Block()
            self.pool = keras_module.layers.GlobalAveragePooling2D()
            self.head = keras_module.layers.Dense(3)

        def call(self, x):
            return self.head(self.pool(self.block_2(self.block_1(x))))

    return Net()


def _dataset_names(path):
    import h5py

    names = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else 0)
    return names


def test_nested_custom_layers_save_every_weight_and_reload(tmp_path):
    x = np.random.default_rng(0).random((2, 6, 6, 4)).astype("float32")
    model, other = _subclassed(nf.keras), _subclassed(nf.keras)
    model(x), other(x)
    path = str(tmp_path / "net.weights.h5")
    model.save_weights(path)
    other.load_weights(path)
    for mine, theirs in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@requires_keras
def test_subclassed_weights_files_have_keras_layout_both_ways(tmp_path, keras):
    x = np.random.default_rng(1).random((2, 6, 6, 4)).astype("float32")
    ours, theirs = _subclassed(nf.keras), _subclassed(keras)
    ours(x), theirs(x)
    ours_path, theirs_path = str(tmp_path / "n.weights.h5"), str(tmp_path / "k.weights.h5")
    ours.save_weights(ours_path)
    theirs.save_weights(theirs_path)
    assert _dataset_names(ours_path) == _dataset_names(theirs_path)
    theirs.load_weights(ours_path)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-6)  # fmt: skip
    fresh = _subclassed(nf.keras)
    fresh(x)
    theirs2 = _subclassed(keras)
    theirs2(x)
    theirs2.save_weights(theirs_path)
    fresh.load_weights(theirs_path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), theirs2.predict(x, verbose=0),
                               atol=1e-6)  # fmt: skip
