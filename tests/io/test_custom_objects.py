"""Custom classes and functions in saved files: keras.saving's registry, scopes and
load_model(custom_objects=...), through Keras's .keras and neuroflow's native format."""

import json
import zipfile

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras
from tests.conftest import peer

pytest.importorskip("h5py")

FORMATS = ["model.keras", "model.neuroflow"]


@pytest.fixture(autouse=True)
def _clean_registry(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    saved = dict(keras.saving.get_custom_objects())
    keras.saving.get_custom_objects().clear()
    nf.backend.clear_session()
    yield
    keras.saving.get_custom_objects().clear()
    keras.saving.get_custom_objects().update(saved)


class CustomLayer(keras.layers.Layer):  # the guide's layer
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}


def custom_fn(x):
    return x**2


def get_custom_model():
    inputs = keras.Input(shape=(4,))
    mid = CustomLayer(0.5)(inputs)
    outputs = keras.layers.Dense(1, activation=custom_fn)(mid)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mean_squared_error")
    return model


X = np.random.default_rng(0).random((5, 4)).astype("float32")


def _check_round_trip(model, loaded):
    assert type(loaded.layers[1]) is CustomLayer and loaded.layers[1].factor == 0.5
    assert loaded.layers[2].activation is custom_fn
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_register_names_as_keras():
    registered = keras.saving.register_keras_serializable(package="MyLayers")(CustomLayer)
    assert registered is CustomLayer
    keras.saving.register_keras_serializable(name="sq")(custom_fn)
    assert keras.saving.get_registered_name(CustomLayer) == "MyLayers>CustomLayer"
    assert keras.saving.get_registered_name(custom_fn) == "Custom>sq"
    assert keras.saving.get_registered_object("Custom>sq") is custom_fn
    assert sorted(keras.saving.get_custom_objects()) == ["Custom>sq", "MyLayers>CustomLayer"]
    assert keras.saving.get_registered_name(get_custom_model) == "get_custom_model"
    with pytest.raises(ValueError, match="package"):
        keras.saving.register_keras_serializable(package="a>b")


@pytest.mark.parametrize("path", FORMATS)
def test_registered_round_trip(path):
    keras.saving.register_keras_serializable(package="MyLayers")(CustomLayer)
    keras.saving.register_keras_serializable(package="my_package")(custom_fn)
    model = get_custom_model()
    model.fit(X, X[:, :1], verbose=0)
    keras.saving.save_model(model, path)
    _check_round_trip(model, keras.saving.load_model(path))


@pytest.mark.parametrize("path", FORMATS)
def test_custom_objects_dict_and_scope(path):
    model = get_custom_model()
    model.save(path)
    objects = {"CustomLayer": CustomLayer, "custom_fn": custom_fn}
    _check_round_trip(model, keras.models.load_model(path, custom_objects=objects))
    with keras.saving.custom_object_scope(objects):
        _check_round_trip(model, keras.models.load_model(path))
    assert keras.saving.get_registered_object("CustomLayer") is None  # the scope has ended


@pytest.mark.parametrize("path", FORMATS)
def test_unregistered_class_is_refused_by_name(path):
    model = get_custom_model()
    model.save(path)
    with pytest.raises(ValueError, match="CustomLayer.*register_keras_serializable"):
        keras.models.load_model(path)
    # the function alone is missing: the error names it
    with pytest.raises(ValueError, match="custom_fn.*register_keras_serializable"):
        keras.models.load_model(path, custom_objects={"CustomLayer": CustomLayer})


def test_keras_file_writes_registered_names_as_keras():
    keras.saving.register_keras_serializable(package="MyLayers")(CustomLayer)
    keras.saving.register_keras_serializable(package="my_package")(custom_fn)
    get_custom_model().save("model.keras")
    with zipfile.ZipFile("model.keras") as archive:
        layers = json.loads(archive.read("config.json"))["config"]["layers"]
    assert {k: layers[1][k] for k in ("module", "class_name", "config", "registered_name")} == {
        "module": None,
        "class_name": "CustomLayer",
        "config": {"factor": 0.5},
        "registered_name": "MyLayers>CustomLayer",
    }
    assert layers[2]["config"]["activation"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "my_package>custom_fn",
        "registered_name": "function",
    }


def test_serialize_and_deserialize_keras_object():
    reg = keras.regularizers.L1(0.005)
    spec = keras.saving.serialize_keras_object(reg)
    assert spec["class_name"] == "L1" and spec["config"] == {"l1": 0.005}
    assert keras.saving.deserialize_keras_object(spec).get_config() == {"l1": 0.005}
    spec = keras.saving.serialize_keras_object(keras.constraints.MaxNorm(3, axis=1))
    restored = keras.saving.deserialize_keras_object(spec)
    assert type(restored) is keras.constraints.MaxNorm
    assert restored.get_config() == {"max_value": 3, "axis": 1}
    keras.saving.register_keras_serializable()(custom_fn)
    spec = keras.saving.serialize_keras_object(custom_fn)
    assert spec["config"] == "Custom>custom_fn"
    assert keras.saving.deserialize_keras_object(spec) is custom_fn
    keras.saving.get_custom_objects().clear()
    with pytest.raises(TypeError, match="Custom>custom_fn"):
        keras.saving.deserialize_keras_object(spec)


def test_real_keras_loads_our_file_with_its_own_registration():
    real = peer("keras")

    @real.saving.register_keras_serializable(package="MyLayers", name="CustomLayer")
    class TheirLayer(real.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    @real.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def their_fn(x):
        return x**2

    keras.saving.register_keras_serializable(package="MyLayers")(CustomLayer)
    keras.saving.register_keras_serializable(package="my_package")(custom_fn)
    model = get_custom_model()
    model.fit(X, X[:, :1], verbose=0)
    model.save("model.keras")
    theirs = real.models.load_model("model.keras")
    assert type(theirs.layers[1]) is TheirLayer
    np.testing.assert_allclose(
        theirs.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )
    # and back: the file Keras writes loads here
    theirs.save("theirs.keras")
    _check_round_trip(model, keras.models.load_model("theirs.keras"))
