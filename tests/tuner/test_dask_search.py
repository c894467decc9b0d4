"""A tuner search on a Dask LocalCluster of two workers, one of which is killed mid-search."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import neuroflow.tuner as kt  # noqa: E402
from neuroflow import keras  # noqa: E402
from tests.dask_cluster import kill_a_busy_worker, two_worker_client  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

_rng = np.random.default_rng(0)
X = _rng.normal(size=(96, 4)).astype("float32")
Y = np.argmax(X @ _rng.normal(size=(4, 3)), axis=1)


class SlowMLP(kt.HyperModel):
    """A tiny model whose training lasts at least half a second, so a kill lands mid-trial."""

    def build(self, hp):
        model = keras.Sequential(
            [
                keras.layers.Input((4,)),
                keras.layers.Dense(hp.Int("units", 4, 16, step=4), activation="relu"),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        time.sleep(0.5)
        return model.fit(*args, **kwargs)


@pytest.fixture
def client():
    with two_worker_client(distributed) as c:
        yield c


def test_search_survives_a_killed_worker_and_accounts_for_every_trial(client, tmp_path):
    tuner = kt.RandomSearch(
        SlowMLP(),
        objective="val_accuracy",
        max_trials=6,
        seed=0,
        directory=tmp_path,
        project_name="dask",
        distributed=client,
    )
    tuner.oracle.verbose = 0
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=kill_a_busy_worker, args=(client, stop, killed, 1.0))
    killer.start()
    try:
        tuner.search(X, Y, epochs=2, validation_split=0.25, batch_size=16, verbose=0)
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was killed: the search ended before the kill"
    trials = tuner.oracle.trials
    assert len(trials) == 6 and len({t.trial_id for t in trials.values()}) == 6
    statuses = [t.status for t in trials.values()]
    assert all(s in ("COMPLETED", "FAILED", "INVALID") for s in statuses), statuses
    assert statuses.count("COMPLETED") >= 5  # Dask ran the killed trial again elsewhere
    for trial in trials.values():  # each trial's record is on disk, complete
        assert (tmp_path / "dask" / f"trial_{trial.trial_id}" / "trial.json").exists()
    best = tuner.get_best_models(1)[0]
    assert best.predict(X[:4], verbose=0).shape == (4, 3)
