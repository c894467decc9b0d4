"""Every layer class of the registry round-trips through the native format: it is saved
inside a functional model, loaded back, and predicts and configures exactly as before."""

import json

import numpy as np
import pytest

from neuroflow import layers
from neuroflow.io import load_model
from tests.io.layer_cases import CASES, NOT_A_CASE, PARAMS, case_model


def test_every_layer_class_has_a_case():
    names = {cls.__name__ for cls in layers.layer_classes().values()}
    assert names - NOT_A_CASE - set(CASES) == set(), "layer classes with no round-trip case"
    assert set(CASES) <= names


def _as_json(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize(("name", "i"), PARAMS)
def test_layer_round_trips(tmp_path, name, i):
    model, layer, x = case_model(name, i)
    assert type(layer).__name__ == name
    path = tmp_path / "m.nf"
    model.save(path)
    loaded = load_model(path)
    twin = next(a for a in loaded.layers if type(a).__name__ == name)
    assert _as_json(twin.get_config()) == _as_json(layer.get_config())  # tuples as lists
    assert _as_json(loaded.get_config()) == _as_json(model.get_config())
    # inference (model(x) alone would augment, as in Keras 3, with a fresh draw per call)
    np.testing.assert_array_equal(
        loaded(x, training=False).numpy(), model(x, training=False).numpy()
    )
    for a, b in zip(twin.weights, layer.weights, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
