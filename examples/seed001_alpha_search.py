"""Seed 001's tip "use fine-tuning to optimize alpha, usually in 10.0 ** -np.arange(1, 7)",
run in parallel: on local worker processes and on a Dask cluster.

    python examples/seed001_alpha_search.py [--samples N] [--engines serial,processes,dask]
                                            [--scheduler tcp://host:8786]

The model is seed 001's MNIST exercise: pixels scaled to [0, 1], a StandardScaler and an
MLPClassifier (one hidden layer of 64 units, 20 epochs) in a Pipeline, and a GridSearchCV over
``alpha`` with 3-fold cross-validation: 6 alphas x 3 folds = 18 fits plus the refit.

- processes: ``GridSearchCV(n_jobs=-1)``: scikit-learn's joblib runs the fits on one loky
  worker process per core (each with one BLAS thread);
- dask: the same search inside ``joblib.parallel_backend("dask")``: the fits become tasks on a
  Dask cluster: a LocalCluster started here (one single-threaded worker per core), or the
  scheduler given with ``--scheduler`` (started with ``dask scheduler`` and ``dask worker``);
- serial: ``n_jobs=1``, for the speed-up.

Every engine must find the same best alpha: the fits are seeded and the folds are the same.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from neuroflow.datasets import mnist
from neuroflow.sklearn import MLPClassifier

ALPHAS = 10.0 ** -np.arange(1, 7)
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load(n):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    flat = lambda x: x.reshape(len(x), -1).astype(np.float32) / 255.0  # noqa: E731
    return flat(x_train[:n]), y_train[:n], flat(x_test), y_test


def search(n_jobs, max_iter):
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", MLPClassifier(hidden_layer_sizes=(64,), max_iter=max_iter, random_state=0)),
        ]
    )
    return GridSearchCV(pipe, {"mlp__alpha": ALPHAS}, cv=3, n_jobs=n_jobs)


def report(name, grid, seconds, X_test, y_test):
    scores = ", ".join(
        f"{alpha:.0e}: {score:.4f}"
        for alpha, score in zip(
            grid.cv_results_["param_mlp__alpha"], grid.cv_results_["mean_test_score"]
        )
    )
    print(f"{name}: search {seconds:.1f} s; cross-validated accuracy by alpha: {scores}")
    print(
        f"  best alpha {grid.best_params_['mlp__alpha']:.0e}, "
        f"test accuracy {grid.score(X_test, y_test):.4f}"
    )
    return grid.best_params_["mlp__alpha"]


def _import_estimators(_):
    import neuroflow.sklearn  # noqa: F401

    return os.getpid()


def start_workers(parallel):
    """Starts the workers (each imports neuroflow) and returns the seconds it took."""
    from joblib import delayed

    start = time.perf_counter()
    pids = set(parallel(delayed(_import_estimators)(i) for i in range(2 * CORES)))
    print(f"  {len(pids)} workers started in {time.perf_counter() - start:.1f} s")


def run_processes(grid, X, y):
    from joblib import Parallel

    start_workers(Parallel(n_jobs=-1))  # loky keeps these workers for the search
    start = time.perf_counter()
    grid.fit(X, y)
    return time.perf_counter() - start


def run_dask(grid, X, y, scheduler):
    import joblib
    from dask.distributed import Client, LocalCluster

    cluster, start = None, time.perf_counter()
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=CORES, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
    client = Client(scheduler or cluster, timeout=10)
    try:
        print(
            f"  dask: {len(client.nthreads())} workers at {client.scheduler.address}, "
            f"connected in {time.perf_counter() - start:.1f} s"
        )
        with joblib.parallel_backend("dask"):
            start_workers(joblib.Parallel(n_jobs=-1))
            start = time.perf_counter()
            grid.fit(X, y)
        return time.perf_counter() - start
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10_000, help="MNIST training images")
    parser.add_argument("--max-iter", type=int, default=20, help="epochs per fit")
    parser.add_argument("--engines", default="processes,dask", help="serial,processes,dask")
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler address")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    X, y, X_test, y_test = load(args.samples)
    print(f"MNIST: {len(X)} training images, alphas {', '.join(f'{a:.0e}' for a in ALPHAS)}")
    best, times = {}, {}
    for engine in args.engines.split(","):
        if engine == "serial":
            grid = search(1, args.max_iter)
            start = time.perf_counter()
            grid.fit(X, y)
            times[engine] = time.perf_counter() - start
        elif engine == "processes":
            grid = search(-1, args.max_iter)
            times[engine] = run_processes(grid, X, y)
        elif engine == "dask":
            grid = search(-1, args.max_iter)
            times[engine] = run_dask(grid, X, y, args.scheduler)
        else:
            parser.error(f"unknown engine {engine!r}: expected serial, processes or dask")
        best[engine] = report(engine, grid, times[engine], X_test, y_test)
    if "serial" in times:
        for engine in times.keys() - {"serial"}:
            speed = times["serial"] / times[engine]
            print(f"{engine}: {speed:.2f}x the speed of serial (workers already started)")
    if len(set(best.values())) > 1:
        raise SystemExit(f"the engines disagree on the best alpha: {best}")


if __name__ == "__main__":
    main()
