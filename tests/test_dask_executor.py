"""Executors on a Dask cluster: a LocalCluster of two worker processes on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from neuroflow._dask_executor import DaskExecutor  # noqa: E402
from neuroflow.executors import get_executor  # noqa: E402

# a second scheduler in the process finds the HTTP port of the first taken and picks another
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# tasks: at the top of the module so that the workers can import them
def square_or_fail(x):
    if x == 3:
        raise ValueError(f"item {x} is bad")
    return x * x


def slow_pid(x):
    time.sleep(0.4)
    return x, os.getpid()


def blas_settings(_):
    import neuroflow as nf

    return os.getpid(), os.environ.get("NEUROFLOW_NUM_THREADS"), nf.config.get_num_threads()


def always_sigkill(_):
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes; a lost task is retried on one other worker.

    The workers start without the test session's NEUROFLOW_NUM_THREADS (the root conftest.py
    sets it), as a user's workers would: with it they keep that count, by design."""
    session_threads = os.environ.pop("NEUROFLOW_NUM_THREADS", None)
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            cluster = distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
    finally:
        if session_threads is not None:
            os.environ["NEUROFLOW_NUM_THREADS"] = session_threads
    try:
        # not the default client, so that the test of "dask" without one can start its own
        with distributed.Client(cluster, set_as_default=False) as c:
            yield c
    finally:
        cluster.close()


def by_index(outcomes):
    outcomes = list(outcomes)
    assert sorted(o.index for o in outcomes) == list(range(len(outcomes)))
    return {o.index: o for o in outcomes}


def test_values_and_errors_on_a_given_client(client):
    ex = get_executor(distributed=client)
    assert isinstance(ex, DaskExecutor) and ex.client is client and ex.n_workers == 2
    got = by_index(ex.map_unordered(square_or_fail, range(6)))
    assert [got[i].value for i in (0, 1, 2, 4, 5)] == [0, 1, 4, 16, 25]
    assert "ValueError: item 3 is bad" in got[3].error and "square_or_fail" in got[3].error
    ex.close()
    assert client.status == "running"  # a client it was given is not closed


def test_tasks_run_on_both_workers_with_one_blas_thread(client):
    with DaskExecutor(client) as ex:
        results = [o.value for o in ex.map_unordered(blas_settings, range(6))]
        pids = {o.value[1] for o in ex.map_unordered(slow_pid, range(4))}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(threads == 1 for _, _, threads in results)  # one thread per worker thread


def test_a_killed_worker_loses_no_task(client):
    with DaskExecutor(client) as ex:
        outcomes = ex.map_unordered(slow_pid, range(8))
        first = next(outcomes)
        busy = [addr for addr, keys in client.processing().items() if keys]
        address = (busy or list(client.scheduler_info()["workers"]))[0]
        victim = client.run(os.getpid, workers=[address])[address]
        os.kill(victim, signal.SIGKILL)
        got = by_index([first, *outcomes])
    assert all(o.ok for o in got.values()), [o.error for o in got.values() if not o.ok]
    assert [got[i].value[0] for i in range(8)] == list(range(8))
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_a_task_that_kills_every_worker_it_runs_on_is_reported(client):
    client.wait_for_workers(2, timeout=60)
    with DaskExecutor(client) as ex:
        got = by_index(ex.map_unordered(always_sigkill, [0]))
    assert not got[0].ok and got[0].error.startswith("worker died while running item 0")
    assert "KilledWorker" in got[0].error
    client.wait_for_workers(2, timeout=60)


def test_dask_uses_the_running_client(client):
    with client.as_current():
        ex = get_executor(distributed="dask")
        assert ex.client is client and ex.cluster is None
        assert sorted(o.value for o in ex.map_unordered(abs, [-1, 2])) == [1, 2]
        ex.close()
    assert client.status == "running"


def test_dask_without_a_client_starts_and_stops_a_local_cluster():
    ex = get_executor(n_jobs=2, distributed="dask")
    cluster = ex.cluster
    try:
        assert cluster is not None and ex.n_workers == 2
        expected = max(1, CORES // 2)
        results = [o.value for o in ex.map_unordered(blas_settings, range(4))]
        assert all(env == str(expected) and n == expected for _, env, n in results)
    finally:
        ex.close()
    assert cluster.status.name == "closed" and ex.client.status == "closed"


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_clear_error_within_the_timeout():
    address = f"tcp://127.0.0.1:{unused_port()}"
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"Could not reach the Dask scheduler at '{address}'"):
        DaskExecutor(address, timeout=2)
    assert time.monotonic() - start < 15  # the 2 s timeout, not a hang


@pytest.mark.parametrize("bad", ["spark", 3, None])
def test_bad_distributed_values(bad):
    with pytest.raises(ValueError, match="Expected `distributed` to be"):
        DaskExecutor(bad)


def test_bad_retries(client):
    with pytest.raises(ValueError, match="Received: retries=-1"):
        DaskExecutor(client).map_unordered(abs, [1], retries=-1)


def array_sum_and_flags(pair):
    x, i = pair
    return float(x.sum()) + i, x.flags.writeable, x.flags.aligned


def test_large_arrays_are_scattered_once(client):
    x = np.ones((600, 1000), np.float32)  # 2.4 MB: scattered, not sent inside each task
    client.wait_for_workers(2, timeout=60)
    with DaskExecutor(client) as ex:
        got = [o.value for o in ex.map_unordered(array_sum_and_flags, [(x, i) for i in range(4)])]
        assert sorted(v[0] for v in got) == [600000.0 + i for i in range(4)]
        assert not any(v[1] for v in got)  # read-only on the workers
        assert all(v[2] for v in got)  # aligned: Dask's unaligned views run NumPy's slow paths
        assert len(ex._scattered) == 1
        (future,) = ex._scattered.values()
        holders = set(client.who_has([future])[future.key])
        assert holders == set(client.nthreads())  # a copy on each worker
        x[0, 0] = 3.0  # changed in place: scattered again, the old copy released
        (outcome,) = ex.map_unordered(array_sum_and_flags, [(x, 0)])
        assert outcome.value[0] == 600002.0 and future.key not in {
            f.key for f in ex._scattered.values()
        }


def test_a_map_leaves_pythons_random_stream_alone(client):
    import random

    random.seed(5)
    expected = [random.random() for _ in range(3)]
    with DaskExecutor(client) as ex:
        random.seed(5)
        # 30 results gathered by the scheduler in this process, messages with long lists
        assert sorted(o.value for o in ex.map_unordered(abs, range(-15, 15)))[-1] == 15
        assert [random.random() for _ in range(3)] == expected  # a seeded program repeats
