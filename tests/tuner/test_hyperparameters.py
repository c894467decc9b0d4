"""HyperParameters against KerasTuner: defaults, value grids, sampling, validation, scopes."""

from __future__ import annotations

import pytest

import neuroflow.tuner as kt
from tests.conftest import peer

# (method, args, kwargs) of search spaces both libraries accept
SPACES = [
    ("Int", ("units", 32, 512), {"step": 32}),
    ("Int", ("layers", 1, 5), {}),
    ("Int", ("n", 6, 13), {"step": 3}),
    ("Int", ("batch", 2, 32), {"step": 2, "sampling": "log"}),
    ("Int", ("batch", 1, 1000), {"sampling": "log"}),
    ("Int", ("k", 3, 9), {"default": 5}),
    ("Float", ("lr", 1e-4, 1e-1), {"sampling": "log"}),
    ("Float", ("dropout", 0.0, 0.5), {"step": 0.1}),
    ("Float", ("lr", 0.001, 10), {"step": 10, "sampling": "log"}),
    ("Float", ("m", 0.5, 0.99), {"sampling": "reverse_log"}),
    ("Float", ("x", -2.0, 3.0), {"default": 0.5}),
    ("Choice", ("act", ["relu", "tanh", "elu"]), {}),
    ("Choice", ("units", [16, 32, 64]), {"default": 32}),
    ("Choice", ("alpha", [0.1, 0.01, 0.001]), {}),
    ("Boolean", ("bias",), {}),
    ("Boolean", ("bias",), {"default": True}),
    ("Fixed", ("seed", 7), {}),
]


def _both(method, args, kwargs):
    keras_tuner = peer("kerastuner")
    ours, theirs = kt.HyperParameters(), keras_tuner.HyperParameters()
    return (
        getattr(ours, method)(*args, **kwargs),
        getattr(theirs, method)(*args, **kwargs),
        ours.space[0],
        theirs.space[0],
    )


@pytest.mark.parametrize("method,args,kwargs", SPACES)
def test_defaults_values_and_sampling_match_kerastuner(method, args, kwargs):
    ours_value, theirs_value, ours, theirs = _both(method, args, kwargs)
    assert ours_value == theirs_value and type(ours_value) is type(theirs_value)
    assert ours.default == theirs.default
    assert list(ours.values) == pytest.approx(list(theirs.values))
    for seed in range(20):  # the same draws for the same seed (KerasTuner's seeding)
        assert ours.random_sample(seed) == pytest.approx(theirs.random_sample(seed))
    for value in list(theirs.values)[:10]:
        assert ours.value_to_prob(value) == pytest.approx(theirs.value_to_prob(value))
    for prob in (0.0, 0.13, 0.5, 0.77, 0.999):
        assert ours.prob_to_value(prob) == pytest.approx(theirs.prob_to_value(prob))


BAD = [
    ("Int", ("units", 10, 5), {}, ValueError, "min_value"),
    ("Float", ("lr", 1.0, 0.1), {}, ValueError, "min_value"),
    ("Float", ("lr", 0.0, 1.0), {"sampling": "log"}, ValueError, "positive"),
    ("Float", ("lr", -1.0, 1.0), {"sampling": "reverse_log"}, ValueError, "positive"),
    ("Int", ("units", 0, 8), {"sampling": "log"}, ValueError, "positive"),
    ("Int", ("units", 1, 8), {"sampling": "log", "step": 1}, ValueError, "step"),
    ("Float", ("lr", 0.1, 1.0), {"sampling": "cubic"}, ValueError, "sampling"),
    ("Int", ("units", 1.5, 8), {}, ValueError, "min_value"),
    ("Choice", ("act", []), {}, ValueError, "values"),
    ("Choice", ("act", ["relu", 3]), {}, TypeError, "one type"),
    ("Choice", ("act", ["relu", "tanh"]), {"default": "elu"}, ValueError, "default"),
    ("Choice", ("act", ["relu", "tanh"]), {"ordered": True}, ValueError, "ordered"),
    ("Boolean", ("bias",), {"default": "yes"}, ValueError, "default"),
    ("Fixed", ("f", [1, 2]), {}, ValueError, "Fixed"),
]


@pytest.mark.parametrize("method,args,kwargs,error,words", BAD)
def test_bad_input_raises_like_kerastuner(method, args, kwargs, error, words):
    keras_tuner = peer("kerastuner")
    with pytest.raises(error, match=words) as ours:
        getattr(kt.HyperParameters(), method)(*args, **kwargs)
    with pytest.raises(Exception) as theirs:
        getattr(keras_tuner.HyperParameters(), method)(*args, **kwargs)
    # KerasTuner raises the same kind of error for the same input
    assert isinstance(theirs.value, error), (theirs.value, ours.value)
    assert repr(args[0]) in str(ours.value) or "values" in str(ours.value)


def test_conditional_scope_is_active_and_values_like_kerastuner():
    keras_tuner = peer("kerastuner")

    def build(hp):
        kind = hp.Choice("model", ["mlp", "cnn"])
        with hp.conditional_scope("model", ["mlp"]):
            units = hp.Int("units", 8, 64, step=8)
        with hp.conditional_scope("model", ["cnn"]):
            filters = hp.Choice("filters", [16, 32])
        return kind, units, filters

    for module in (kt, keras_tuner):
        hp = module.HyperParameters()
        assert build(hp) == ("mlp", 8, None)
        assert hp.values == {"model": "mlp", "units": 8}
        assert hp.is_active("units") and not hp.is_active("filters")
        with pytest.raises(ValueError, match="inactive"):
            hp.get("filters")
        with pytest.raises(KeyError):
            hp.get("missing")
        hp.values["model"] = "cnn"
        hp.ensure_active_values()
        assert set(hp.values) == {"model", "filters"}
        assert build(hp)[1] is None
        with pytest.raises(ValueError, match="not defined"):
            with hp.conditional_scope("nope", ["x"]):
                pass


def test_parent_name_argument_name_scope_and_copy():
    hp = kt.HyperParameters()
    hp.Boolean("deep")
    assert hp.Int("layers", 2, 4, parent_name="deep", parent_values=[True]) is None
    with hp.name_scope("block1"):
        assert hp.Float("rate", 0.0, 0.5) == 0.0
    assert "block1/rate" in hp.values
    copy = hp.copy()
    copy.values["deep"] = True
    copy.ensure_active_values()
    assert "layers" in copy.values and "layers" not in hp.values
    restored = kt.HyperParameters.from_config(hp.get_config())
    assert [type(h).__name__ for h in restored.space] == ["Boolean", "Int", "Float"]
    assert restored.values == hp.values
