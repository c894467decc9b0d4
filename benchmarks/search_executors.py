"""A tuner search of 1-epoch MNIST trials on 1 and 2 workers: speed-up and executor overhead.

    python benchmarks/search_executors.py [--trials 16] [--samples 60000]
                                          [--engines serial,processes,dask1,dask2]

Every trial trains seed 000's MLP (Flatten, Dense(128, relu), Dropout, Dense(10)) for one
epoch with its own dropout and learning rate, so all trials cost the same. The engines:

- ``serial``: ``n_jobs=1``, the trials in this process (the 1-worker baseline of processes);
- ``processes``: ``n_jobs=2``, two local worker processes (start-up included in the time);
- ``dask1`` / ``dask2``: ``distributed=client`` on a LocalCluster of 1 / 2 single-threaded
  workers started before the search (its start-up is reported apart, as for a running
  cluster).

Each trial reports its own training time (``model.fit``, measured inside the worker, wall
and CPU: a CPU time well under the wall time means the worker waited for a core). The
overhead per trial is the time the workers were not training: ``(wall * workers - sum of
trial training times) / trials``: sending the data and the task, building the model, saving
the checkpoint, the oracle's bookkeeping, and a worker idle while the last trials end (the
trials stream: a worker that frees up gets the next trial at once). It is given against the
mean training time of a trial (target: under 5%), for processes also without the workers'
start-up (spawning them and importing neuroflow, measured apart), which a search pays once,
not per trial.

A second part runs the same trials without the tuner, as one ``map_unordered`` call on
workers already started and holding the data: the executor's own overhead per task, apart
from the tuner's bookkeeping (its oracle, trial files and checkpoints). Results go to
benchmarks/results/search_executors.json (``--output`` to change), with the CPU and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

import neuroflow.tuner as kt  # noqa: E402
from neuroflow import keras  # noqa: E402


class TimedMLP(kt.HyperModel):
    """Seed 000's MLP; ``fit`` adds its own duration to the history as ``fit_seconds``."""

    def build(self, hp):
        model = keras.Sequential(
            [
                keras.layers.Input((28, 28)),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1)),
                keras.layers.Dense(10),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-4, 1e-2, sampling="log")),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        history = model.fit(*args, **kwargs)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        history.history["fit_seconds"] = [seconds] * len(history.epoch)
        history.history["fit_cpu_seconds"] = [cpu] * len(history.epoch)
        return history


def train_task(data, seed):
    """A trial without the tuner: builds seed 000's MLP and trains it one epoch on ``data``;
    returns its wall and CPU seconds, measured in the worker (``seed=None``: only warms up)."""
    if seed is None:
        return 0.0, 0.0
    from neuroflow.utils import set_random_seed

    start, cpu = time.perf_counter(), time.process_time()
    set_random_seed(seed)
    model = TimedMLP().build(kt.HyperParameters())
    x, y, x_val, y_val = data
    model.fit(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)
    return time.perf_counter() - start, time.process_time() - cpu


def run_executor(name, trials, data, executor) -> dict:
    """N trials as one map_unordered call on warm workers (started, data already sent)."""
    import functools

    fn = functools.partial(train_task, data)
    with executor:
        workers = executor.n_workers
        list(executor.map_unordered(fn, [None] * workers))  # start-up and data, not timed
        start = time.perf_counter()
        outcomes = list(executor.map_unordered(fn, range(trials)))
        wall = time.perf_counter() - start
    if not all(o.ok for o in outcomes):
        raise RuntimeError(f"{name}: {[o.error for o in outcomes if not o.ok][0]}")
    tasks = [o.value[0] for o in outcomes]
    mean = sum(tasks) / trials
    overhead = (wall * workers - sum(tasks)) / trials
    result = {
        "engine": name,
        "workers": workers,
        "trials": trials,
        "wall_s": round(wall, 3),
        "mean_task_s": round(mean, 3),
        "mean_task_cpu_s": round(sum(o.value[1] for o in outcomes) / trials, 3),
        "overhead_per_task_s": round(overhead, 4),
        "overhead_pct_of_task": round(100 * overhead / mean, 2),
    }
    print(
        f"{name:10s} {workers} worker(s): {wall:7.2f} s for {trials} tasks of {mean:.2f} s "
        f"({result['mean_task_cpu_s']:.2f} s CPU); executor overhead {overhead * 1e3:.1f} "
        f"ms/task ({result['overhead_pct_of_task']:.2f}% of the task)"
    )
    return result


def _import_tuner(_):
    import neuroflow.tuner  # noqa: F401

    return os.getpid()


def process_startup(workers: int) -> float:
    """Seconds to start ``workers`` worker processes that have imported neuroflow.tuner."""
    from neuroflow.executors import get_executor

    start = time.perf_counter()
    with get_executor(workers) as ex:
        pids = {o.value for o in ex.map_unordered(_import_tuner, range(workers))}
        seconds = time.perf_counter() - start
    assert len(pids) == workers
    return seconds


def run_search(name, trials, data, workers, n_jobs=1, distributed=None, startup=0.0) -> dict:
    x, y, x_val, y_val = data
    with tempfile.TemporaryDirectory() as directory:
        tuner = kt.RandomSearch(
            TimedMLP(),
            objective="val_accuracy",
            max_trials=trials,
            seed=0,
            directory=directory,
            project_name=name,
            overwrite=True,
            n_jobs=n_jobs,
            distributed=distributed,
        )
        start = time.perf_counter()
        tuner.search(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)
        wall = time.perf_counter() - start
        done = [t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"]
        fits = [t.metrics.get_best_value("fit_seconds") for t in done]
        cpus = [t.metrics.get_best_value("fit_cpu_seconds") for t in done]
        best = tuner.oracle.get_best_trials(1)[0].score if done else None
    if len(done) != trials:
        raise RuntimeError(f"{name}: {len(done)} of {trials} trials completed")
    mean_fit = sum(fits) / len(fits)
    overhead = (wall * workers - sum(fits)) / trials
    steady = ((wall - startup) * workers - sum(fits)) / trials
    result = {
        "engine": name,
        "workers": workers,
        "trials": trials,
        "wall_s": round(wall, 3),
        "mean_trial_fit_s": round(mean_fit, 3),
        "mean_trial_fit_cpu_s": round(sum(cpus) / len(cpus), 3),
        "overhead_per_trial_s": round(overhead, 3),
        "overhead_pct_of_fit": round(100 * overhead / mean_fit, 1),
        "worker_startup_s": round(startup, 3),
        "overhead_without_startup_per_trial_s": round(steady, 3),
        "overhead_without_startup_pct_of_fit": round(100 * steady / mean_fit, 1),
        "best_val_accuracy": best,
    }
    print(
        f"{name:10s} {workers} worker(s): {wall:7.2f} s for {trials} trials; a trial trains "
        f"{mean_fit:.2f} s ({result['mean_trial_fit_cpu_s']:.2f} s CPU); overhead "
        f"{overhead * 1e3:.0f} ms/trial ({result['overhead_pct_of_fit']:.1f}% of its training)"
        + (
            f", {steady * 1e3:.0f} ms/trial ({result['overhead_without_startup_pct_of_fit']:.1f}%)"
            f" without the {startup:.1f} s worker start-up"
            if startup
            else ""
        )
    )
    return result


def local_cluster(n_workers: int):
    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = Client(cluster)
    print(f"LocalCluster of {n_workers} worker(s) started in {time.perf_counter() - start:.1f} s")
    return cluster, client


def load(samples: int):
    from neuroflow.datasets import mnist

    (x, y), (x_test, y_test) = mnist.load_data()
    # float32 in [0, 1], as seed 000 (x / 255.0), halved in size against float64
    x = (x[:samples] / 255.0).astype("float32")
    x_val = (x_test[:2000] / 255.0).astype("float32")
    return x, y[:samples], x_val, y_test[:2000]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--samples", type=int, default=60000, help="MNIST training images")
    parser.add_argument("--engines", default="serial,processes,dask1,dask2")
    parser.add_argument("--no-executor-part", action="store_true", help="the tuner part only")
    parser.add_argument("--output", default=str(HERE / "results" / "search_executors.json"))
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from run import cpu_description  # benchmarks/run.py, beside this file

    machine = cpu_description()
    print(f"CPU: {machine['cpu']}, {machine['cores']} cores; load {os.getloadavg()}")
    data = load(args.samples)
    print(f"{args.trials} trials of 1 epoch on {len(data[0])} MNIST images")
    results = []
    for engine in args.engines.split(","):
        if engine == "serial":
            results.append(run_search(engine, args.trials, data, workers=1))
        elif engine == "processes":
            startup = process_startup(2)
            results.append(
                run_search(engine, args.trials, data, workers=2, n_jobs=2, startup=startup)
            )
        elif engine in ("dask1", "dask2"):
            workers = int(engine[-1])
            cluster, client = local_cluster(workers)
            try:
                results.append(run_search(engine, args.trials, data, workers, distributed=client))
            finally:
                client.close()
                cluster.close()
        else:
            parser.error(f"unknown engine {engine!r}")
    print("\nThe executor alone: the same trials as one map_unordered call on warm workers")
    executor_results = []
    if not args.no_executor_part:
        from neuroflow._dask_executor import DaskExecutor
        from neuroflow._process_executor import ProcessExecutor

        for engine in args.engines.split(","):
            if engine == "processes":
                for k in (1, 2):
                    ex = ProcessExecutor(k)
                    executor_results.append(run_executor(f"processes{k}", args.trials, data, ex))
            elif engine in ("dask1", "dask2"):
                cluster, client = local_cluster(int(engine[-1]))
                try:
                    ex = DaskExecutor(client)
                    executor_results.append(run_executor(engine, args.trials, data, ex))
                finally:
                    client.close()
                    cluster.close()
    by_name = {r["engine"]: r for r in results}
    speedups = {}
    for two, one in (("processes", "serial"), ("dask2", "dask1"), ("dask2", "serial")):
        if two in by_name and one in by_name:
            speedups[f"{two}_over_{one}"] = round(
                by_name[one]["wall_s"] / by_name[two]["wall_s"], 2
            )
            print(f"speed-up of {two} over {one}: {speedups[f'{two}_over_{one}']:.2f}x")
    record = {
        "machine": machine,
        "load_average_at_end": os.getloadavg(),
        "trials": args.trials,
        "samples": len(data[0]),
        "results": results,
        "speedups": speedups,
        "executor_alone": executor_results,
    }
    from neuroflow.utils.files import atomic_write_bytes

    atomic_write_bytes(args.output, json.dumps(record, indent=2).encode())
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
