"""The oracles against KerasTuner's: the same values, grid order and Hyperband schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neuroflow.tuner as kt
from tests.conftest import peer


def _space(module):
    hp = module.HyperParameters()
    hp.Int("units", 16, 128, step=16)
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Choice("activation", ["relu", "tanh"])
    hp.Float("dropout", 0.0, 0.5, step=0.1)
    return hp


def _score(values) -> float:
    """A made-up loss of the values (deterministic, so both oracles see the same scores)."""
    return (
        abs(math.log10(values["lr"]) + 2.5)
        + abs(values["units"] - 96) / 100
        + values["dropout"]
        + (0.1 if values["activation"] == "tanh" else 0.0)
    )


def _run(oracle, n=None, tmp_path=None, name="p"):
    """Drives an oracle as a serial tuner does; returns the values of each trial."""
    if hasattr(oracle, "_set_project_dir") and oracle.__module__.startswith("keras_tuner"):
        oracle._set_project_dir(str(tmp_path), name)
    oracle.verbose = 0
    seen = []
    while n is None or len(seen) < n:
        trial = oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            break
        values = dict(trial.hyperparameters.values)
        seen.append(values)
        oracle.update_trial(trial.trial_id, {"loss": _score(values)}, step=0)
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return seen


def test_random_search_proposes_kerastuners_values_for_a_seed(tmp_path):
    keras_tuner = peer("kerastuner")
    ours = kt.oracles.RandomSearchOracle("loss", max_trials=8, seed=11, hyperparameters=_space(kt))
    theirs = keras_tuner.oracles.RandomSearchOracle(
        "loss", max_trials=8, seed=11, hyperparameters=_space(keras_tuner)
    )
    a, b = _run(ours), _run(theirs, tmp_path=tmp_path)
    assert len(a) == len(b) == 8
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        assert [x[k] for k in x] == pytest.approx([y[k] for k in x])


def test_random_search_never_repeats_and_stops_when_exhausted():
    hp = kt.HyperParameters()
    hp.Choice("a", [1, 2, 3])
    hp.Boolean("b")
    oracle = kt.oracles.RandomSearchOracle("loss", max_trials=50, seed=1, hyperparameters=hp)
    seen = _run_grid(oracle)
    keys = [(v["a"], v["b"]) for v in seen]
    assert len(keys) == len(set(keys)) and len(keys) <= 6
    assert len(keys) >= 5  # 20 collisions in a row before giving up: nearly all are found


def test_grid_search_order_matches_kerastuner(tmp_path):
    keras_tuner = peer("kerastuner")

    def space(module):
        hp = module.HyperParameters()
        hp.Choice("optimizer", ["sgd", "adam"])
        hp.Int("units", 8, 32, step=8, default=16)
        hp.Float("lr", 0.001, 0.1, step=10, sampling="log")
        return hp

    ours = kt.oracles.GridSearchOracle("loss", hyperparameters=space(kt))
    theirs = keras_tuner.oracles.GridSearchOracle("loss", hyperparameters=space(keras_tuner))
    ours_values = [(v["optimizer"], v["units"], v["lr"]) for v in _run_grid(ours)]
    theirs_values = [(v["optimizer"], v["units"], v["lr"]) for v in _run_grid(theirs, tmp_path)]
    assert len(ours_values) == 2 * 4 * 3 == len(set(ours_values))
    assert [(o, u, round(lr, 9)) for o, u, lr in ours_values] == [
        (o, u, round(lr, 9)) for o, u, lr in theirs_values
    ]


def _run_grid(oracle, tmp_path=None):
    seen = []
    if oracle.__module__.startswith("keras_tuner"):
        oracle._set_project_dir(str(tmp_path), "grid")
    oracle.verbose = 0
    while True:
        trial = oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            break
        seen.append(dict(trial.hyperparameters.values))
        oracle.update_trial(trial.trial_id, {"loss": float(len(seen))})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return seen


def test_grid_search_with_conditional_space_enumerates_active_branches_only():
    hp = kt.HyperParameters()
    hp.Choice("model", ["linear", "mlp"])
    with hp.conditional_scope("model", ["mlp"]):
        hp.Choice("units", [8, 16])
    seen = _run_grid(kt.oracles.GridSearchOracle("loss", hyperparameters=hp))
    assert seen == [
        {"model": "linear"},
        {"model": "mlp", "units": 8},
        {"model": "mlp", "units": 16},
    ]


@pytest.mark.parametrize("max_epochs,factor", [(9, 3), (10, 3), (27, 3), (8, 2), (100, 3)])
def test_hyperband_schedule_matches_kerastuner(max_epochs, factor):
    keras_tuner = peer("kerastuner")
    ours = kt.oracles.HyperbandOracle("loss", max_epochs=max_epochs, factor=factor)
    theirs = keras_tuner.oracles.HyperbandOracle("loss", max_epochs=max_epochs, factor=factor)
    assert ours._get_num_brackets() == theirs._get_num_brackets()
    for b in range(ours._get_num_brackets()):
        for r in range(b + 1):
            assert ours._get_size(b, r) == theirs._get_size(b, r)
            assert ours._get_epochs(b, r) == theirs._get_epochs(b, r)


def test_hyperband_trials_match_kerastuner(tmp_path):
    keras_tuner = peer("kerastuner")
    ours = kt.oracles.HyperbandOracle(
        "loss", max_epochs=9, factor=3, seed=5, hyperparameters=_space(kt)
    )
    theirs = keras_tuner.oracles.HyperbandOracle(
        "loss", max_epochs=9, factor=3, seed=5, hyperparameters=_space(keras_tuner)
    )
    a, b = _run(ours), _run(theirs, tmp_path=tmp_path)
    # brackets 2, 1, 0: (9 + 3 + 1) + (5 + 1 + ... ) trials, the same sequence in both
    assert len(a) == len(b) > 20
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for key in x:
            assert x[key] == pytest.approx(y[key]), key
    rounds = [v["tuner/round"] for v in a]
    assert rounds.count(0) > rounds.count(1) > rounds.count(2) > 0
    promoted = [v for v in a if v["tuner/round"] > 0]
    assert all(v["tuner/initial_epoch"] < v["tuner/epochs"] for v in promoted)


def test_bayesian_gp_matches_sklearn():
    sklearn = peer("sklearn")
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import Matern

    from neuroflow.tuner.bayesian import GaussianProcess

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(12, 3))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - x[:, 2]
    ours = GaussianProcess(alpha=1e-4).fit(x, y)
    theirs = GaussianProcessRegressor(
        kernel=Matern(nu=2.5),
        n_restarts_optimizer=20,
        normalize_y=True,
        alpha=1e-4,
        random_state=0,
    ).fit(x, y)
    assert sklearn is not None
    assert ours.length_scale == pytest.approx(theirs.kernel_.length_scale, rel=1e-2)
    grid = rng.uniform(size=(50, 3))
    mu_a, sd_a = ours.predict(grid)
    mu_b, sd_b = theirs.predict(grid, return_std=True)
    np.testing.assert_allclose(mu_a, mu_b, atol=1e-3)
    np.testing.assert_allclose(sd_a, sd_b, atol=1e-3)


def test_bayesian_optimization_beats_random_on_a_smooth_function():
    def space():
        hp = kt.HyperParameters()
        hp.Float("a", -1.0, 1.0)
        hp.Float("b", -1.0, 1.0)
        return hp

    def best(oracle):
        oracle.verbose = 0
        scores = []
        for _ in range(20):
            trial = oracle.create_trial("t")
            v = trial.hyperparameters.values
            scores.append((v["a"] - 0.3) ** 2 + (v["b"] + 0.6) ** 2)
            oracle.update_trial(trial.trial_id, {"loss": scores[-1]})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
        return min(scores)

    wins = 0
    for seed in range(1, 6):
        bo = kt.oracles.BayesianOptimizationOracle(
            "loss", max_trials=20, num_initial_points=5, seed=seed, hyperparameters=space()
        )
        rs = kt.oracles.RandomSearchOracle(
            "loss", max_trials=20, seed=seed, hyperparameters=space()
        )
        b, r = best(bo), best(rs)
        wins += b < r
        assert b < 0.01
    assert wins >= 4


def test_bad_oracle_arguments():
    with pytest.raises(ValueError, match="factor"):
        kt.oracles.HyperbandOracle("loss", max_epochs=10, factor=1)
    with pytest.raises(ValueError, match="max_trials"):
        kt.oracles.RandomSearchOracle("loss", max_trials=0)
    with pytest.raises(ValueError, match="Could not infer"):
        kt.oracles.RandomSearchOracle("my_metric")
    with pytest.raises(ValueError, match="direction"):
        kt.Objective("x", "up")
    with pytest.raises(ValueError, match="hyperparameters"):
        kt.oracles.RandomSearchOracle("loss", allow_new_entries=False)
    assert kt.oracles.RandomSearchOracle("val_accuracy").objective.direction == "max"
    assert kt.oracles.RandomSearchOracle("val_loss").objective.direction == "min"
    assert kt.oracles.RandomSearchOracle("val_mse").objective.direction == "min"
