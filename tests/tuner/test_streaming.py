"""The tuner streams its trials: a free worker gets the next trial at once (no waves)."""

from __future__ import annotations

import os
import time

import pytest

import neuroflow.tuner as kt
from neuroflow import keras
from neuroflow.tuner.trial import TrialStatus


class Timed(kt.HyperModel):
    """A tiny model; ``fit`` only reports when it started and ended (no training), and the
    first trial to start (``first`` marker file) lasts ``slow`` seconds, the others ``fast``."""

    def build(self, hp):
        model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        hp.Int("i", 0, 1000)
        return model

    def fit(self, hp, model, first, slow=2.0, fast=0.05, fail_once=None, **kwargs):
        start = time.time()
        try:
            os.close(os.open(first, os.O_CREAT | os.O_EXCL))
            seconds = slow
        except FileExistsError:
            seconds = fast
        if fail_once is not None and not os.path.exists(fail_once):
            open(fail_once, "w").close()
            raise RuntimeError("this trial fails the first time")
        time.sleep(seconds)
        return {"score": float(hp.get("i")), "start": start, "end": time.time()}


def _tuner(tmp_path, oracle=None, **kwargs):
    oracle = oracle or kt.oracles.RandomSearchOracle(
        objective=kt.Objective("score", "min"), max_trials=kwargs.pop("max_trials", 6), seed=1
    )
    tuner = kt.Tuner(oracle, Timed(), directory=tmp_path, project_name="p", **kwargs)
    tuner.oracle.verbose = 0
    return tuner


def test_a_slow_trial_does_not_hold_the_other_worker(tmp_path):
    tuner = _tuner(tmp_path, max_trials=6, n_jobs=2)
    tuner.search(first=str(tmp_path / "first"))
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == ["COMPLETED"] * 6
    times = {
        t.trial_id: (t.metrics.get_last_value("start"), t.metrics.get_last_value("end"))
        for t in trials
    }
    slow = max(times, key=lambda i: times[i][1] - times[i][0])
    slow_start, slow_end = times[slow]
    during = [i for i, (s, e) in times.items() if i != slow and s >= slow_start and e <= slow_end]
    # waves of two would let one trial end while the slow one runs; streaming, all five
    assert len(during) == 5, (slow, times)


class WaitsForTheFirst(kt.oracles.RandomSearchOracle):
    """Answers IDLE for the third trial until the first two have ended (as Hyperband does
    between rounds), then STOPPED after ``max_trials``."""

    def populate_space(self, trial_id):
        if len(self.trials) >= 2 and len(self.end_order) < 2:
            self.idle_answers += 1
            return {"status": TrialStatus.IDLE, "values": None}
        return super().populate_space(trial_id)


def test_idle_while_trials_run_waits_for_them(tmp_path):
    oracle = WaitsForTheFirst(objective=kt.Objective("score", "min"), max_trials=4, seed=1)
    oracle.idle_answers = 0
    tuner = _tuner(tmp_path, oracle=oracle, n_jobs=2)
    tuner.search(first=str(tmp_path / "first"), slow=0.6)
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == ["COMPLETED"] * 4 and oracle.idle_answers >= 1
    starts = sorted(t.metrics.get_last_value("start") for t in trials)
    ends = sorted(t.metrics.get_last_value("end") for t in trials)
    assert starts[2] >= ends[1]  # the third trial started after the first two ended


class AlwaysIdle(kt.oracles.RandomSearchOracle):
    def populate_space(self, trial_id):
        return {"status": TrialStatus.IDLE, "values": None}


def test_idle_with_nothing_running_ends_the_search_with_a_warning(tmp_path):
    oracle = AlwaysIdle(objective=kt.Objective("score", "min"), max_trials=3, seed=1)
    tuner = _tuner(tmp_path, oracle=oracle)
    with pytest.warns(RuntimeWarning, match="IDLE"):
        tuner.search(first=str(tmp_path / "first"))  # neither hangs nor spins
    assert tuner.oracle.trials == {}


def test_a_trial_failing_after_the_last_was_created_is_still_retried(tmp_path):
    # max_trials reached (STOPPED) while a trial runs that then fails: the search waits for
    # it and runs its retry instead of ending
    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("score", "min"), max_trials=2, seed=1, max_retries_per_trial=1
    )
    tuner = _tuner(tmp_path, oracle=oracle, n_jobs=2)
    tuner.search(first=str(tmp_path / "first"), slow=0.3, fail_once=str(tmp_path / "failed"))
    trials = list(tuner.oracle.trials.values())
    assert [t.status for t in trials] == ["COMPLETED"] * 2
    assert (tmp_path / "failed").exists()
