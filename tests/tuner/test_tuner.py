"""Tuners end to end on a tiny problem: files, resume, reproducibility, failures, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

import neuroflow.tuner as kt
from neuroflow import keras
from neuroflow.callbacks import Callback
from tests.conftest import peer

_rng = np.random.default_rng(0)
X = _rng.normal(size=(96, 4)).astype("float32")
Y = np.argmax(X @ _rng.normal(size=(4, 3)), axis=1)
FIT = {"epochs": 2, "validation_split": 0.25, "batch_size": 16, "verbose": 0}

TRAININGS: list = []  # one entry per model.fit started (in this process)
ATTEMPTS: dict = {}


def build(hp):
    model = keras.Sequential(
        [
            keras.layers.Input((4,)),
            keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class Record(Callback):
    def on_train_begin(self, logs=None):
        TRAININGS.append(1)


class InterruptAt(Callback):
    """Stops the whole search (as Ctrl-C would) when the n-th training starts."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def on_train_begin(self, logs=None):
        if len(TRAININGS) >= self.n:
            raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def _reset():
    TRAININGS.clear()
    ATTEMPTS.clear()


def _random_search(tmp_path, name="p", **kwargs):
    kwargs.setdefault("max_trials", 4)
    kwargs.setdefault("seed", 7)
    return kt.RandomSearch(
        build, objective="val_accuracy", directory=tmp_path, project_name=name, **kwargs
    )


def test_search_writes_project_and_best_model_matches_its_score(tmp_path):
    tuner = _random_search(tmp_path)
    tuner.search(X, Y, **FIT)
    project = tmp_path / "p"
    assert json.loads((project / "oracle.json").read_text())["class_name"] == "RandomSearchOracle"
    trials = tuner.oracle.trials
    assert len(trials) == 4 and {t.status for t in trials.values()} == {"COMPLETED"}
    for trial_id in trials:
        assert (project / f"trial_{trial_id}" / "trial.json").is_file()
        assert (project / f"trial_{trial_id}" / "checkpoint.neuroflow").is_file()
    assert not list(project.rglob("*.part"))  # no temporary file left behind
    best_trial = tuner.oracle.get_best_trials(1)[0]
    assert best_trial.score == max(t.score for t in trials.values())
    model = tuner.get_best_models(1)[0]
    # the checkpoint is the best epoch's: its accuracy on the validation split is the score
    _, accuracy = model.evaluate(X[72:], Y[72:], verbose=0)
    assert accuracy == pytest.approx(best_trial.score, abs=1e-6)
    best_hp = tuner.get_best_hyperparameters(2)
    assert len(best_hp) == 2 and best_hp[0].values == best_trial.hyperparameters.values


def build_without_input_shape(hp):
    # KerasTuner's getting-started model: no Input, so the model is built by fit
    model = keras.Sequential()
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"))
    model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_best_model_built_without_an_input_shape_loads_its_weights(tmp_path):
    tuner = kt.RandomSearch(
        build_without_input_shape,
        objective="val_accuracy",
        max_trials=2,
        directory=tmp_path,
        project_name="p",
        seed=1,
    )
    tuner.search(X, Y, **FIT)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    build_config = tmp_path / "p" / f"trial_{best_trial.trial_id}" / "build_config.json"
    assert json.loads(build_config.read_text()) == {"input_shape": [None, 4]}
    model = tuner.get_best_models(1)[0]
    assert model.built
    _, accuracy = model.evaluate(X[72:], Y[72:], verbose=0)
    assert accuracy == pytest.approx(best_trial.score, abs=1e-6)


def test_build_config_round_trip_as_keras():
    ref = peer("keras")
    for lib in (keras, ref):
        model = lib.Sequential([lib.layers.Flatten(), lib.layers.Dense(2)])
        assert model.get_build_config() is None  # not built yet
        model.build((None, 3, 2))
        config = model.get_build_config()
        assert tuple(config["input_shape"]) == (None, 3, 2)
        again = lib.Sequential([lib.layers.Flatten(), lib.layers.Dense(2)])
        again.build_from_config(json.loads(json.dumps(config)))
        assert again.built and again.count_params() == 14
    dense = keras.layers.Dense(3)
    dense.build_from_config({"input_shape": [None, 5]})
    assert dense.kernel.shape == (5, 3) and dense.get_build_config() == {"input_shape": (None, 5)}


class CustomLoop(kt.HyperModel):
    """KerasTuner's "tune the custom training loop": build returns an uncompiled model and
    fit compiles, trains and returns the objective's value."""

    def build(self, hp):
        return keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(hp.Int("u", 2, 6))])

    def fit(self, hp, model, x, y, validation_data, **kwargs):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        model.fit(x, y, epochs=1, verbose=0)
        return float(model.evaluate(*validation_data, verbose=0))


def test_hypermodel_fit_may_compile_an_uncompiled_model(tmp_path):
    tuner = kt.RandomSearch(
        CustomLoop(), objective="val_loss", max_trials=2, directory=tmp_path, seed=3
    )
    Yf = Y.astype("float32")[:, None]
    tuner.search(X[:72], Yf[:72], validation_data=(X[72:], Yf[72:]))
    trials = tuner.oracle.trials.values()
    assert {t.status for t in trials} == {"COMPLETED"} and len(trials) == 2
    assert all(np.isfinite(t.score) for t in trials)


class TuneAnything(kt.RandomSearch):
    # KerasTuner's "tune anything": run_trial defines the space and returns the objective
    def run_trial(self, trial, *args, **kwargs):
        x = trial.hyperparameters.Float("x", -1.0, 1.0)
        return x * x + 1


class OwnTraining(kt.RandomSearch):
    # run_trial building with the hypermodel and handing back the default trial's Histories
    def run_trial(self, trial, *args, **kwargs):
        kwargs["batch_size"] = trial.hyperparameters.Choice("batch_size", [16, 32])
        return super().run_trial(trial, *args, **kwargs)


def test_run_trial_overridden_as_kerastuner_users_do(tmp_path):
    tuner = TuneAnything(max_trials=6, directory=tmp_path, project_name="a", seed=5)
    tuner.search()
    trials = list(tuner.oracle.trials.values())
    xs = [t.hyperparameters.get("x") for t in trials]
    assert len(trials) == 6 and len(set(xs)) == 6  # the space grew from run_trial, explored
    best = tuner.get_best_hyperparameters()[0].get("x")
    assert best == min(xs, key=abs)  # default objective: minimise the returned value
    assert tuner.oracle.get_best_trials(1)[0].score == pytest.approx(best * best + 1)

    own = OwnTraining(
        build,
        objective="val_accuracy",
        max_trials=2,
        directory=tmp_path,
        project_name="b",
        seed=5,
        n_jobs=2,
    )
    with pytest.warns(RuntimeWarning, match="run in this process"):
        own.search(X, Y, **FIT)
    trials = list(own.oracle.trials.values())
    assert {t.status for t in trials} == {"COMPLETED"}
    assert all("batch_size" in t.hyperparameters.values for t in trials)
    model = own.get_best_models(1)[0]  # the default trial's checkpoint was written
    _, accuracy = model.evaluate(X[72:], Y[72:], verbose=0)
    assert accuracy == pytest.approx(own.oracle.get_best_trials(1)[0].score, abs=1e-6)


def test_fixed_seed_gives_identical_results(tmp_path):
    runs = []
    for name in ("a", "b"):
        tuner = _random_search(tmp_path, name=name, max_trials=3)
        tuner.search(X, Y, **FIT)
        runs.append([(t.hyperparameters.values, t.score) for t in tuner.oracle.trials.values()])
    assert runs[0] == runs[1]
    other = _random_search(tmp_path, name="c", max_trials=3, seed=8)
    other.search(X, Y, **FIT)
    assert [t.hyperparameters.values for t in other.oracle.trials.values()] != [
        v for v, _ in runs[0]
    ]


def test_interrupted_search_resumes_without_repeating_finished_trials(tmp_path):
    tuner = _random_search(tmp_path, max_trials=5)
    with pytest.raises(KeyboardInterrupt):
        tuner.search(X, Y, callbacks=[Record(), InterruptAt(3)], **FIT)
    finished = {i: t.score for i, t in tuner.oracle.trials.items() if t.status == "COMPLETED"}
    assert len(finished) == 2 and len(TRAININGS) == 3  # the third was cut off
    saved = {i: (tmp_path / "p" / f"trial_{i}" / "trial.json").read_text() for i in finished}

    TRAININGS.clear()
    resumed = _random_search(tmp_path, max_trials=5)
    assert resumed.reloaded
    resumed.search(X, Y, callbacks=[Record()], **FIT)
    assert len(TRAININGS) == 3  # the cut-off trial again, and the two never started
    trials = resumed.oracle.trials
    assert len(trials) == 5 and {t.status for t in trials.values()} == {"COMPLETED"}
    for i, text in saved.items():  # finished trials untouched
        assert (tmp_path / "p" / f"trial_{i}" / "trial.json").read_text() == text
    values = [tuple(sorted(t.hyperparameters.values.items())) for t in trials.values()]
    assert len(set(values)) == 5

    # and a search run straight through proposes the same five trials
    straight = _random_search(tmp_path, name="straight", max_trials=5)
    straight.search(X, Y, **FIT)
    assert [t.hyperparameters.values for t in straight.oracle.trials.values()] == [
        t.hyperparameters.values for t in trials.values()
    ]


def test_reloading_a_finished_project_says_so(tmp_path, capsys):
    _random_search(tmp_path, max_trials=2).search(X, Y, **FIT)
    capsys.readouterr()
    again = _random_search(tmp_path, max_trials=2)
    again.search(X, Y, callbacks=[Record()], epochs=1, validation_split=0.25)
    out = capsys.readouterr().out
    assert "Reloading Tuner from" in out
    assert "Oracle triggered exit" in out
    assert "already finished" in out and "overwrite=True" in out
    assert TRAININGS == []
    fresh = _random_search(tmp_path, max_trials=2, overwrite=True)
    assert not fresh.reloaded and fresh.oracle.trials == {}


def test_summaries_print_like_kerastuner(tmp_path, capsys):
    tuner = _random_search(tmp_path, max_trials=2)
    tuner.search_space_summary()
    out = capsys.readouterr().out
    assert out.startswith("Search space summary\nDefault search space size: 2\nunits (Int)\n")
    assert "'min_value': 4, 'max_value': 16, 'step': 4" in out
    tuner.search(X, Y, **FIT)
    capsys.readouterr()
    tuner.results_summary(num_trials=1)
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "Results summary",
        f"Results in {tmp_path / 'p'}",
        "Showing 1 best trials",
        'Objective(name="val_accuracy", direction="max")',
    ]
    best = tuner.oracle.get_best_trials()[0]
    assert f"Trial {best.trial_id} summary" in out and f"Score: {best.score}" in out


def test_verbose_search_prints_trial_progress(tmp_path, capsys):
    tuner = _random_search(tmp_path, max_trials=1)
    tuner.search(X, Y, epochs=1, validation_split=0.25, verbose=1)
    out = capsys.readouterr().out
    assert "Search: Running Trial #1" in out and "Trial 1 Complete" in out
    assert "Best val_accuracy So Far:" in out


# ----------------------------------------------------------------------------- bad input
def not_a_model(hp):
    hp.Int("units", 1, 4)
    return "model"


def not_compiled(hp):
    return keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(hp.Int("u", 1, 4))])


def no_hyperparameters(hp):
    return build(kt.HyperParameters())  # its hyperparameters go to another container


def test_build_must_return_a_compiled_neuroflow_model(tmp_path):
    with pytest.raises(TypeError, match="neuroflow model.*Received: 'model' of type builtins.str"):
        kt.RandomSearch(not_a_model, "val_loss", directory=tmp_path)
    with pytest.raises(ValueError, match="compile"):
        kt.RandomSearch(not_compiled, "val_loss", directory=tmp_path, project_name="b")
    with pytest.raises(TypeError, match="hypermodel"):
        kt.RandomSearch(42, "val_loss", directory=tmp_path, project_name="c")


def test_empty_search_space_is_refused(tmp_path):
    tuner = kt.GridSearch(no_hyperparameters, "val_loss", directory=tmp_path)
    with pytest.raises(ValueError, match="search space is empty"):
        tuner.search(X, Y, **FIT)


def test_objective_missing_from_the_logs_names_the_available_metrics(tmp_path):
    tuner = _random_search(tmp_path, max_trials=1)
    with pytest.raises(ValueError, match=r"'val_accuracy' is not in the logs.*'accuracy', 'loss'"):
        tuner.search(X, Y, epochs=1, verbose=0)  # no validation data: no val_accuracy


class FlakyModel(kt.HyperModel):
    """Fails every time for units == 8."""

    def build(self, hp):
        return build(hp)

    def fit(self, hp, model, *args, **kwargs):
        key = hp.get("units")
        ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
        if key == 8:
            raise RuntimeError("this configuration crashes")
        return model.fit(*args, **kwargs)


def test_failed_trial_is_retried_then_recorded_failed_and_the_search_finishes(tmp_path):
    space = kt.HyperParameters()
    space.Choice("units", [4, 8, 12])
    space.Fixed("lr", 0.01)
    tuner = kt.GridSearch(
        FlakyModel(),
        "val_accuracy",
        hyperparameters=space,
        max_retries_per_trial=1,
        directory=tmp_path,
    )
    tuner.oracle.verbose = 0
    tuner.search(X, Y, **FIT)
    status = {t.hyperparameters.values["units"]: t for t in tuner.oracle.trials.values()}
    assert {u: t.status for u, t in status.items()} == {
        4: "COMPLETED",
        8: "FAILED",
        12: "COMPLETED",
    }
    assert ATTEMPTS == {4: 1, 8: 2, 12: 1}
    assert "this configuration crashes" in status[8].message
    assert tuner.get_best_models()[0] is not None


# ----------------------------------------------------------------------------- Hyperband
START_WEIGHTS: dict = {}


class RecordStart(kt.HyperModel):
    def build(self, hp):
        return build(hp)

    def fit(self, hp, model, *args, **kwargs):
        START_WEIGHTS[hp.values.get("tuner/trial_id"), hp.values["tuner/round"]] = [
            w.copy() for w in model.get_weights()
        ]
        START_WEIGHTS.setdefault("fits", []).append(
            (hp.values["tuner/round"], kwargs["initial_epoch"], kwargs["epochs"])
        )
        return model.fit(*args, **kwargs)


def test_hyperband_promotes_models_from_their_saved_weights(tmp_path):
    START_WEIGHTS.clear()
    tuner = kt.Hyperband(
        RecordStart(), "val_accuracy", max_epochs=3, factor=3, seed=1, directory=tmp_path
    )
    tuner.search(X, Y, validation_split=0.25, epochs=50, verbose=0)
    trials = tuner.oracle.trials
    # KerasTuner's schedule for max_epochs=3, factor=3: bracket 1 (3 models for 1 epoch,
    # the best for 3) then bracket 0 (2 models for 3 epochs)
    assert len(trials) == 6
    assert sorted(START_WEIGHTS["fits"]) == [(0, 0, 1)] * 3 + [(0, 0, 3)] * 2 + [(1, 1, 3)]
    (promoted,) = [t for t in trials.values() if t.hyperparameters.values["tuner/round"] == 1]
    source = promoted.hyperparameters.values["tuner/trial_id"]
    assert trials[source].score == max(
        t.score for t in trials.values() if t.hyperparameters.values["tuner/epochs"] == 1
    )
    saved = build(trials[source].hyperparameters)
    saved.load_weights(tmp_path / "untitled_project" / f"trial_{source}" / "checkpoint.neuroflow")
    for a, b in zip(START_WEIGHTS[source, 1], saved.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bayesian_optimization_runs_a_search(tmp_path):
    tuner = kt.BayesianOptimization(
        build, "val_loss", max_trials=4, num_initial_points=2, seed=3, directory=tmp_path
    )
    tuner.search(X, Y, **FIT)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 4 and all(t.status == "COMPLETED" for t in trials)
    assert tuner.oracle.get_best_trials()[0].score == min(t.score for t in trials)


def test_trials_on_worker_processes_give_the_serial_results(tmp_path):
    serial = _random_search(tmp_path, name="serial", max_trials=2)
    serial.search(X, Y, **FIT)
    parallel = _random_search(tmp_path, name="parallel", max_trials=2, n_jobs=2)
    parallel.search(X, Y, **FIT)
    assert [(t.hyperparameters.values, t.score) for t in serial.oracle.trials.values()] == [
        (t.hyperparameters.values, t.score) for t in parallel.oracle.trials.values()
    ]
