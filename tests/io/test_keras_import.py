"""Files saved by real Keras (tests/fixtures/keras, made by make_fixtures.py there)."""

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from neuroflow.io import FormatError, load_model  # noqa: E402
from neuroflow.keras import models  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"
INPUTS = np.load(FIXTURES / "inputs.npz")
FILES = [
    "mlp_keras2.h5",
    "mlp_keras3.h5",
    "mlp_keras3.keras",
    "cnn_keras2.h5",
    "cnn_keras3.h5",
    "cnn_keras3.keras",
]


@pytest.mark.parametrize("name", FILES)
def test_predictions_equal_keras(name):
    model = models.load_model(FIXTURES / name)
    kind = name.split("_")[0]
    expected = np.load(FIXTURES / f"{name.split('.')[0]}.expected.npy")
    np.testing.assert_allclose(model.predict(INPUTS[kind], verbose=0), expected, atol=1e-5)


# make_fixtures.py compiled with "adam", "sparse_categorical_crossentropy", ["accuracy"]; the
# optimizer is the one keras.models.load_model restores from the same file: Keras 3.15 leaves
# an optimizer given by name out of a .keras file's compile_config and falls back to RMSprop
@pytest.mark.parametrize(
    "name, optimizer", [("mlp_keras2.h5", "Adam"), ("cnn_keras3.keras", "RMSprop")]
)
def test_imported_models_are_compiled_and_evaluate(name, optimizer):
    from neuroflow import optimizers

    model = load_model(FIXTURES / name)
    assert type(model.optimizer) is getattr(optimizers, optimizer)
    assert model.optimizer.learning_rate == pytest.approx(1e-3)
    assert model.loss == "sparse_categorical_crossentropy"  # the name, as Keras 3 gives it back
    kind = name.split("_")[0]
    x = INPUTS[kind]
    y = np.arange(len(x)) % model.output_shape[-1]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy"]
    # the same figures from Keras's own predictions of these inputs
    keras_probs = np.load(FIXTURES / f"{name.split('.')[0]}.expected.npy").astype(np.float64)
    expected_loss = -np.mean(np.log(keras_probs[np.arange(len(y)), y]))
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-4)
    assert accuracy == pytest.approx(np.mean(keras_probs.argmax(axis=1) == y))
    uncompiled = load_model(FIXTURES / name, compile=False)
    assert not uncompiled.compiled and uncompiled.optimizer is None


def test_seed004_style_weights_inspection():
    model = load_model(FIXTURES / "mlp_keras2.h5")
    weights = [layer.get_weights() for layer in model.layers]
    assert weights[0][0].shape == (20, 16) and weights[1] == []  # Dense, then Dropout


@pytest.mark.parametrize("name", ["lambda_keras3.keras", "lambda_keras3.h5"])
def test_lambda_layers_are_refused_never_run(name):
    import builtins
    import marshal
    import pickle
    from unittest import mock

    for warm in ("mlp_keras3.keras", "mlp_keras3.h5"):  # every lazy import happens first
        load_model(FIXTURES / warm)

    def no_code(*args, **kwargs):
        raise AssertionError("the loader tried to turn bytes from the file into code")

    # only around the load itself, so that pytest's own machinery is untouched
    with (
        mock.patch.object(marshal, "loads", no_code),
        mock.patch.object(pickle, "loads", no_code),
        mock.patch.object(builtins, "eval", no_code),
        mock.patch.object(builtins, "exec", no_code),
        pytest.raises(FormatError, match="is a Keras Lambda layer.*neuroflow never runs"),
    ):
        load_model(FIXTURES / name)


def _edited_h5(tmp_path, edit):
    path = tmp_path / "edited.h5"
    shutil.copy(FIXTURES / "mlp_keras2.h5", path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config)
    return path


def test_custom_and_unsupported_layers_are_named(tmp_path):
    def custom(config):
        config["config"]["layers"][1]["class_name"] = "MyFancyDense"

    with pytest.raises(FormatError, match="'MyFancyDense' is not supported"):
        load_model(_edited_h5(tmp_path, custom))

    def registered(config):
        config["config"]["layers"][1]["registered_name"] = "my_package>MyDense"

    with pytest.raises(FormatError, match="custom object.*my_package>MyDense"):
        load_model(_edited_h5(tmp_path, registered))

    def constraint(config):
        # tf.keras 2's RadialConstraint, which Keras 3 (and neuroflow) no longer has
        spec = {"class_name": "RadialConstraint", "config": {}}
        config["config"]["layers"][1]["config"]["kernel_constraint"] = spec

    with pytest.raises(FormatError, match="Unknown constraint class.*RadialConstraint"):
        load_model(_edited_h5(tmp_path, constraint))

    def functional(config):
        config["class_name"] = "Functional"

    # a Sequential's layer list under the functional class name: no graph to replay
    with pytest.raises(FormatError, match="not an object with a name"):
        load_model(_edited_h5(tmp_path, functional))


def test_weight_shapes_that_disagree(tmp_path):
    def wider(config):
        config["config"]["layers"][1]["config"]["units"] = 17

    with pytest.raises(FormatError, match=r"shape \(20, 16\) in the file, \(20, 17\)"):
        load_model(_edited_h5(tmp_path, wider))


# ------------------------------------------------------------------- functional models
FUNCTIONAL_INPUTS = np.load(FIXTURES / "inputs_functional.npz")
# the inputs each fixture's model takes, in order (make_fixtures.py)
FUNCTIONAL = {
    "multi_input": ["a", "b"],
    "multi_output": ["a"],
    "shared": ["a", "a"],
    "batchnorm": ["img"],
    "nested": ["a"],
}


def _outputs(model, keys):
    xs = [FUNCTIONAL_INPUTS[k] for k in keys]
    out = model(xs if len(xs) > 1 else xs[0], training=False)
    return [np.asarray(o.data) for o in (out if isinstance(out, (list, tuple)) else [out])]


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_models_saved_by_keras_predict_equal(name, ext):
    model = load_model(FIXTURES / f"functional_{name}_keras3{ext}")
    expected = np.load(FIXTURES / f"functional_{name}_keras3.expected.npz")
    outputs = _outputs(model, FUNCTIONAL[name])
    assert len(outputs) == len(expected.files)
    for i, out in enumerate(outputs):
        np.testing.assert_allclose(out, expected[f"arr_{i}"], atol=1e-5, rtol=0)


def test_functional_structure_is_keras(tmp_path):
    shared = load_model(FIXTURES / "functional_shared_keras3.keras")
    layer = shared.get_layer("shared")
    assert len(layer._inbound_nodes) >= 3  # called three times, one set of weights
    assert sum(v.size for v in shared.weights) == 4 * 8 + 4 + 4 + 1
    nested = load_model(FIXTURES / "functional_nested_keras3.h5")
    assert [type(layer).__name__ for layer in nested.layers] == [
        "InputLayer",
        "Sequential",
        "Functional",
    ]
    batchnorm = load_model(FIXTURES / "functional_batchnorm_keras3.keras")
    bn = batchnorm.get_layer("batch_normalization")
    # trained moving statistics, not the initial zeros and ones
    assert not np.allclose(bn.moving_mean.data, 0) and not np.allclose(bn.moving_variance.data, 1)


def _edited_archive(tmp_path, source, edit):
    path = tmp_path / "edited.keras"
    with zipfile.ZipFile(FIXTURES / source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            new.writestr(info, data)
    return path


def test_functional_lambda_and_custom_classes_are_refused(tmp_path):
    def lambda_layer(config):
        spec = config["config"]["layers"][2]
        spec["class_name"] = "Lambda"
        spec["config"]["function"] = {"class_name": "__lambda__", "config": {"code": "AAAA"}}

    with pytest.raises(FormatError, match="is a Keras Lambda layer.*never runs"):
        load_model(_edited_archive(tmp_path, "functional_shared_keras3.keras", lambda_layer))

    def custom(config):
        config["config"]["layers"][1]["config"]["layers"][1]["registered_name"] = "pkg>MyDense"

    with pytest.raises(FormatError, match="custom object.*pkg>MyDense"):
        load_model(_edited_archive(tmp_path, "functional_nested_keras3.keras", custom))

    def subclassed(config):
        config["class_name"] = "MyModel"

    with pytest.raises(FormatError, match="'MyModel' cannot be imported.*subclassed"):
        load_model(_edited_archive(tmp_path, "functional_nested_keras3.keras", subclassed))

    def dangling(config):
        config["config"]["output_layers"] = [["nowhere", 0, 0]]

    with pytest.raises(FormatError, match="nowhere"):
        load_model(_edited_archive(tmp_path, "functional_shared_keras3.keras", dangling))
