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
from tests.pulls import Pulls  # noqa: E402

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


def sleep_then_pid(seconds):
    time.sleep(seconds)
    return os.getpid(), time.monotonic()


def sum_then_pid(pair):
    x, seconds = pair
    time.sleep(seconds)
    return float(x.sum()), os.getpid()


def table_tokens():
    """The tokens of the arrays in this worker's table."""
    from neuroflow._dask_executor import _worker_arrays

    return sorted(_worker_arrays)


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
        (token,) = ex._scattered
        (future,) = ex._scattered.values()
        tables = client.run(table_tokens)
        assert all(tokens == [token] for tokens in tables.values()), tables  # one per worker
        x[0, 0] = 3.0  # changed in place: scattered again, the old copy released
        (outcome,) = ex.map_unordered(array_sum_and_flags, [(x, 0)])
        assert outcome.value[0] == 600002.0 and future.key not in {
            f.key for f in ex._scattered.values()
        }
        assert token not in ex._scattered and all(
            token not in tokens for tokens in client.run(table_tokens).values()
        )
    assert all(tokens == [] for tokens in client.run(table_tokens).values())  # closed: none


def test_a_map_leaves_pythons_random_stream_alone(client):
    import random

    random.seed(5)
    expected = [random.random() for _ in range(3)]
    with DaskExecutor(client) as ex:
        random.seed(5)
        # 30 results gathered by the scheduler in this process, messages with long lists
        assert sorted(o.value for o in ex.map_unordered(abs, range(-15, 15)))[-1] == 15
        assert [random.random() for _ in range(3)] == expected  # a seeded program repeats


# -- streaming: items pulled lazily, one per free worker, WAIT --


def test_items_are_pulled_only_when_a_worker_is_free_and_the_free_worker_takes_the_rest(client):
    client.wait_for_workers(2, timeout=60)
    pulls = Pulls([1.5, 0.05, 0.05, 0.05])  # task 0 is slow
    outcomes = []
    with DaskExecutor(client) as ex:
        for outcome in ex.map_unordered(sleep_then_pid, pulls):
            outcomes.append(outcome)
            pulls.seen.append(outcome.index)
    assert pulls.pulled_after == [0, 0, 1, 2]  # two at the start, then one per outcome seen
    assert [o.index for o in outcomes] == [1, 2, 3, 0]
    by_index = {o.index: o.value for o in outcomes}
    slow_pid, slow_end = by_index[0]
    assert {by_index[i][0] for i in (1, 2, 3)} == {by_index[1][0]} != {slow_pid}
    assert all(by_index[i][1] < slow_end for i in (1, 2, 3))


def test_wait_holds_the_next_item_until_an_outcome_comes_and_never_hangs(client):
    from neuroflow.executors import WAIT

    def items(seen):
        yield 0.6
        yield 0.0
        while not any(index == 0 for index, _ in seen):
            yield WAIT
        yield 0.0

    seen = []
    with DaskExecutor(client) as ex:
        for outcome in ex.map_unordered(sleep_then_pid, items(seen)):
            seen.append((outcome.index, outcome.value))
        assert [index for index, _ in seen] == [1, 0, 2]
        with pytest.raises(RuntimeError, match="WAIT"):
            list(ex.map_unordered(sleep_then_pid, iter([WAIT])))


def test_stopping_early_cancels_the_running_task_and_pulls_no_more(client):
    client.wait_for_workers(2, timeout=60)
    pulls = Pulls([0.0, 3.0, 0.0, 0.0])
    with DaskExecutor(client) as ex:
        results = ex.map_unordered(sleep_then_pid, pulls)
        first = next(results)
        results.close()
        assert first.index == 0 and len(pulls.pulled_after) == 2
        deadline = time.monotonic() + 2.0  # cancelled: the scheduler drops it (not 3 s later)
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(client.processing().values())


def test_tasks_spread_over_the_workers_after_dask_drops_extra_copies_of_the_data(client):
    # Dask's Active Memory Manager keeps one copy of data no waiting task needs; tasks that
    # depended on the data's futures then all went to the one worker left holding it, and
    # the waves of a tuner's trials ran one trial after the other
    client.wait_for_workers(2, timeout=60)
    x = np.ones((600, 1000), np.float32)
    with DaskExecutor(client) as ex:
        for wave in range(2):
            got = [o.value for o in ex.map_unordered(sum_then_pid, [(x, 0.4), (x, 0.4)])]
            assert [v[0] for v in got] == [600000.0] * 2
            assert len({v[1] for v in got}) == 2, f"wave {wave}: both tasks on one worker"
            client.amm.run_once()  # drops the replicas beyond one
            deadline = time.monotonic() + 5.0
            (future,) = ex._scattered.values()
            while len(client.who_has([future])[future.key]) > 1:
                assert time.monotonic() < deadline, "the Active Memory Manager dropped nothing"
                time.sleep(0.05)


def test_a_worker_restarted_after_the_scatter_fetches_the_data(client):
    client.wait_for_workers(2, timeout=60)
    x = np.ones((600, 1000), np.float32)
    with DaskExecutor(client) as ex:
        assert {o.value[0] for o in ex.map_unordered(sum_then_pid, [(x, 0.0)])} == {600000.0}
        before = set(client.scheduler_info()["workers"])
        address = sorted(before)[0]
        os.kill(client.run(os.getpid, workers=[address])[address], signal.SIGKILL)
        deadline = time.monotonic() + 60
        workers = set(client.scheduler_info()["workers"])
        while address in workers or len(workers) < 2:  # the nanny starts one, without the data
            assert time.monotonic() < deadline
            time.sleep(0.1)
            workers = set(client.scheduler_info()["workers"])
        (new,) = workers - before
        new_pid = client.run(os.getpid, workers=[new])[new]
        pids = set()
        for _ in range(3):  # until the new worker has run a task (the scheduler decides)
            got = by_index(ex.map_unordered(sum_then_pid, [(x, 0.3)] * 4))
            assert all(o.ok for o in got.values()), [o.error for o in got.values() if not o.ok]
            assert {o.value[0] for o in got.values()} == {600000.0}
            pids |= {o.value[1] for o in got.values()}
            if new_pid in pids:
                break
        assert new_pid in pids  # it ran tasks on the data it did not have
        (token,) = ex._scattered
        assert token in client.run(table_tokens, workers=[new])[new]
