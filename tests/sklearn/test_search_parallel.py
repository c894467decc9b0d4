"""scikit-learn's parallel searches over neuroflow's estimators: loky processes, Dask, pickling.

Keras's scikit-learn wrappers are known to break here (estimators that hold a live model do
not pickle or clone); neuroflow's estimators hold only parameters until ``fit``.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from neuroflow.sklearn import MLPClassifier, MLPRegressor  # noqa: E402
from tests.conftest import peer  # noqa: E402

pytestmark = [
    pytest.mark.peer("sklearn"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]
ALPHAS = 10.0 ** -np.arange(1, 7)  # seed 001's grid


def worker_pid(estimator, X, y):
    """A scorer that reports the process the fold was fitted and scored in."""
    return os.getpid()


SCORING = {"accuracy": "accuracy", "pid": worker_pid}


def _start_worker(_):
    import time

    import neuroflow.sklearn  # noqa: F401

    time.sleep(0.2)  # long enough that every worker takes one
    return os.getpid()


def start_loky_workers() -> set[int]:
    """Starts joblib's loky workers (n_jobs=-1), which GridSearchCV(n_jobs=-1) reuses, so that
    a worker slow to start does not leave all the folds to the first one."""
    import joblib

    n = joblib.cpu_count()
    return set(joblib.Parallel(n_jobs=-1)(joblib.delayed(_start_worker)(i) for i in range(2 * n)))


@pytest.fixture(scope="module")
def data():
    return make_classification(240, n_features=8, n_informative=5, random_state=0)


def pipeline():
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, learning_rate_init=0.01)
    return Pipeline([("scale", StandardScaler()), ("mlp", mlp.set_params(random_state=0))])


def fold_pids(search) -> set[int]:
    results = search.cv_results_
    return {
        int(v) for k in results if k.startswith("split") and k.endswith("_pid") for v in results[k]
    }


def assert_same_search(parallel, serial):
    assert parallel.best_params_ == serial.best_params_
    for key in serial.cv_results_:
        if key.endswith("_test_accuracy") and not key.startswith(("std", "rank")):
            np.testing.assert_allclose(parallel.cv_results_[key], serial.cv_results_[key])
    np.testing.assert_array_equal(
        parallel.cv_results_["rank_test_accuracy"], serial.cv_results_["rank_test_accuracy"]
    )


def test_grid_search_runs_in_parallel_and_matches_serial(data):
    peer("sklearn")
    X, y = data
    grid = {"mlp__alpha": ALPHAS[:3]}
    serial = GridSearchCV(pipeline(), grid, cv=3, n_jobs=1, scoring=SCORING, refit="accuracy")
    parallel = GridSearchCV(pipeline(), grid, cv=3, n_jobs=-1, scoring=SCORING, refit="accuracy")
    serial.fit(X, y)
    start_loky_workers()
    parallel.fit(X, y)
    assert fold_pids(serial) == {os.getpid()}
    pids = fold_pids(parallel)
    assert os.getpid() not in pids  # every fold ran in a loky worker process
    if (os.cpu_count() or 1) > 1:
        assert len(pids) >= 2, pids  # ... and on more than one of them
    assert_same_search(parallel, serial)
    np.testing.assert_array_equal(parallel.predict(X), serial.predict(X))


def test_randomized_and_halving_searches(data):
    peer("sklearn")
    X, y = data
    space = {"mlp__alpha": ALPHAS, "mlp__hidden_layer_sizes": [(4,), (8,)]}
    searches = {}
    for n_jobs in (1, -1):
        searches[n_jobs] = RandomizedSearchCV(
            pipeline(), space, n_iter=4, cv=3, n_jobs=n_jobs, random_state=0
        ).fit(X, y)
    assert searches[1].best_params_ == searches[-1].best_params_
    np.testing.assert_allclose(
        searches[1].cv_results_["mean_test_score"], searches[-1].cv_results_["mean_test_score"]
    )
    halving = HalvingGridSearchCV(
        pipeline(), {"mlp__alpha": ALPHAS[:4]}, cv=3, factor=2, n_jobs=-1, random_state=0
    ).fit(X, y)
    assert halving.n_iterations_ >= 2 and halving.best_params_["mlp__alpha"] in ALPHAS[:4]
    assert halving.best_estimator_.score(X, y) > 0.7


def test_grid_search_on_joblibs_dask_backend(data):
    peer("sklearn")
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = data
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
            with joblib.parallel_backend("dask"):
                search = GridSearchCV(
                    pipeline(), {"mlp__alpha": ALPHAS[:2]}, cv=2, scoring=SCORING,
                    refit="accuracy", n_jobs=-1,
                ).fit(X, y)  # fmt: skip
            serial = GridSearchCV(
                pipeline(), {"mlp__alpha": ALPHAS[:2]}, cv=2, scoring=SCORING, refit="accuracy"
            ).fit(X, y)
    finally:
        cluster.close()
    assert fold_pids(search) <= worker_pids  # the folds ran on the Dask workers
    assert_same_search(search, serial)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_clone_and_pickle_are_safe(cls, data):
    peer("sklearn")
    X, y = data
    unfitted = cls(hidden_layer_sizes=(6,), alpha=1e-3, max_iter=10, random_state=0)
    fitted = clone(unfitted).fit(X, y)
    for original in (unfitted, fitted):
        copy = clone(original)
        assert copy is not original and copy.get_params() == unfitted.get_params()
        with pytest.raises(NotFittedError):
            copy.predict(X)  # a clone of a fitted estimator is unfitted
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    restored_unfitted = pickle.loads(pickle.dumps(unfitted))
    assert restored_unfitted.get_params() == unfitted.get_params()
    # a restored estimator trains again like a fresh one with the same parameters
    np.testing.assert_array_equal(restored_unfitted.fit(X, y).predict(X), fitted.predict(X))
