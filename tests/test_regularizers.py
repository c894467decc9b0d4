"""Regularizers: Keras 3's classes, lower-case aliases, string identifiers and configs, with the
penalties compared against real Keras on random weights (``requires_keras``: skipped without
TensorFlow locally, failed in CI)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import regularizers
from neuroflow.testing import gradcheck
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

W = np.array([[0.5, -1.5], [2.0, -0.25]], np.float32)  # sum |w| = 4.25, sum w^2 = 6.5625


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def value(reg, w):
    return float(reg(w).numpy())


def test_aliases_are_keras_classes_with_keras_defaults():
    assert regularizers.l1 is regularizers.L1
    assert regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.l1().get_config() == {"l1": 0.01}
    assert regularizers.l2().get_config() == {"l2": 0.01}
    assert regularizers.l1_l2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l1_l2(l2=0.2).get_config() == {"l1": 0.0, "l2": 0.2}
    assert nf.keras.regularizers.l2 is regularizers.L2


def test_penalties_by_hand():
    assert value(regularizers.l1(0.1), W) == pytest.approx(0.425, rel=1e-6)
    assert value(regularizers.l2(0.1), W) == pytest.approx(0.65625, rel=1e-6)
    assert value(regularizers.l1_l2(0.1, 0.2), W) == pytest.approx(0.425 + 1.3125, rel=1e-6)
    assert value(regularizers.l1_l2(), W) == 0.0
    # factor times the mean |cosine| over pairs of rows: orthogonal rows give 0, equal ones 1
    assert value(regularizers.OrthogonalRegularizer(1.0), np.eye(2)) == pytest.approx(0.0)
    same = np.array([[1.0, 0.0], [2.0, 0.0]])
    assert value(regularizers.OrthogonalRegularizer(0.5), same) == pytest.approx(0.5)
    three = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 3.0]])  # |cos|: 1/sqrt(2), 0, 1/sqrt(2)
    expected = 0.3 * (2 / np.sqrt(2)) / 3
    assert value(regularizers.OrthogonalRegularizer(0.3), three) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("l1", {"l1": 0.01}), ("l2", {"l2": 0.01}), ("l1_l2", {"l1": 0.01, "l2": 0.01})],
)
def test_string_identifiers_in_layers(name, expected):
    layer = nf.layers.Dense(3, kernel_regularizer=name)
    assert layer.kernel_regularizer.get_config() == expected
    config = layer.get_config()["kernel_regularizer"]
    assert config["config"] == expected
    rebuilt = nf.layers.Dense.from_config(layer.get_config())
    assert rebuilt.kernel_regularizer.get_config() == expected
    assert type(rebuilt.kernel_regularizer) is type(layer.kernel_regularizer)


def test_regularized_layer_adds_the_penalty_to_its_losses():
    layer = nf.layers.Dense(2, kernel_regularizer="l1_l2", bias_regularizer="l1")
    layer(np.zeros((1, 2), np.float32))
    layer.set_weights([W, np.array([1.0, -3.0], np.float32)])
    total = sum(float(loss.numpy()) for loss in layer.losses)
    assert total == pytest.approx(0.01 * 4.25 + 0.01 * 6.5625 + 0.01 * 4.0, rel=1e-6)


@pytest.mark.parametrize(
    "reg",
    [
        regularizers.L1(0.3),
        regularizers.L2(0.02),
        regularizers.L1L2(l1=0.1, l2=0.4),
        regularizers.OrthogonalRegularizer(0.05, mode="columns"),
    ],
    ids=repr,
)
def test_serialize_round_trip(reg):
    spec = regularizers.serialize(reg)
    assert spec["module"] == "keras.regularizers"
    assert spec["class_name"] == type(reg).__name__
    assert spec["registered_name"] is None
    back = regularizers.deserialize(spec)
    assert type(back) is type(reg) and back.get_config() == reg.get_config()
    assert regularizers.get(spec).get_config() == reg.get_config()
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()


def test_get_accepts_none_instances_classes_and_callables():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.3)
    assert regularizers.get(reg) is reg
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def custom(w):
        return w

    assert regularizers.get(custom) is custom
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}  # the class default


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: regularizers.L1(-0.1), r"`l1`.*non-negative.*Received: l1=-0.1"),
        (lambda: regularizers.L2(float("nan")), r"`l2`.*Received: l2=nan"),
        (lambda: regularizers.L1L2(l2="0.1"), r"`l2`.*Received: l2='0.1'"),
        (lambda: regularizers.OrthogonalRegularizer(mode="diag"), r"`mode`.*mode='diag'"),
        (lambda: regularizers.get("l3"), r"regularizer='l3'.*Expected one of"),
        (lambda: regularizers.get(3), r"Could not interpret regularizer identifier: 3"),
        (lambda: regularizers.OrthogonalRegularizer()(np.ones(3)), r"rank 2.*\(3,\)"),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_none_factors_count_as_defaults():
    assert regularizers.L1L2(None, 0.2).get_config() == {"l1": 0.0, "l2": 0.2}
    assert regularizers.L1(None).get_config() == {"l1": 0.01}


def test_custom_regularizer_cannot_be_serialized():
    class Mine(regularizers.Regularizer):
        def __call__(self, x):
            return x

        def get_config(self):
            return {}

    with pytest.raises(ValueError, match="Cannot serialize"):
        regularizers.serialize(Mine())


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_gradient_by_central_differences(mode):
    w = np.random.default_rng(3).normal(size=(4, 3))
    reg = regularizers.OrthogonalRegularizer(0.7, mode=mode)
    assert gradcheck(lambda t: reg(t), w, atol=1e-6, rtol=1e-4)


# --- against Keras 3 --------------------------------------------------------------------------


def keras_pairs(keras):
    k = keras.regularizers
    return [
        (regularizers.l1(0.03), k.l1(0.03)),
        (regularizers.l2(0.07), k.l2(0.07)),
        (regularizers.l1_l2(l1=0.02, l2=0.05), k.l1_l2(l1=0.02, l2=0.05)),
        (regularizers.l1(), k.l1()),
        (regularizers.l2(), k.l2()),
        (regularizers.get("l1"), k.get("l1")),
        (regularizers.get("l2"), k.get("l2")),
        (regularizers.OrthogonalRegularizer(0.3), k.OrthogonalRegularizer(0.3)),
        (
            regularizers.OrthogonalRegularizer(0.2, mode="columns"),
            k.OrthogonalRegularizer(0.2, mode="columns"),
        ),
    ]


@requires_keras
@pytest.mark.parametrize("shape", [(5, 3), (3, 7), (16, 16), (2, 9)])
def test_penalties_match_keras_on_random_weights(keras, shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(3):
        w = rng.normal(scale=rng.uniform(0.1, 3.0), size=shape).astype(np.float32)
        tensor = keras.ops.convert_to_tensor(w)  # Keras's normalize mishandles NumPy columns
        for ours, theirs in keras_pairs(keras):
            assert value(ours, w) == pytest.approx(float(theirs(tensor)), rel=2e-6, abs=1e-8)


def assert_same_config(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, v in expected.items():
        # Keras stores L1's factor as float32 (0.03 comes back as 0.029999999329447746)
        assert got[key] == (pytest.approx(v, rel=1e-6) if isinstance(v, float) else v), key


@requires_keras
def test_configs_match_keras(keras):
    for ours, theirs in keras_pairs(keras):
        expected = keras.regularizers.serialize(theirs)
        got = regularizers.serialize(ours)
        assert got.keys() == expected.keys()
        assert got["class_name"] == expected["class_name"]
        assert_same_config(got["config"], expected["config"])
        # Keras rebuilds ours, and we rebuild Keras's
        back = keras.regularizers.deserialize(got)
        assert type(back).__name__ == type(theirs).__name__
        assert_same_config(back.get_config(), theirs.get_config())
        assert_same_config(regularizers.deserialize(expected).get_config(), ours.get_config())


@requires_keras
def test_regularized_dense_loss_matches_keras(keras):
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
    kernel = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    bias = np.zeros(3, np.float32)
    results = []
    for lib in (keras, nf.keras):
        reg = lib.regularizers.l1_l2(0.01, 0.02)
        model = lib.Sequential(
            [lib.Input((4,)), lib.layers.Dense(3, kernel_regularizer=reg, bias_regularizer="l2")]
        )
        model.set_weights([kernel, bias + 0.5])
        model.compile(optimizer="sgd", loss="mse")
        results.append(model.evaluate(x, y, verbose=0))
    assert results[1] == pytest.approx(results[0], rel=1e-5)
