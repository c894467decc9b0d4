"""Executors on this machine: in-process and local worker processes (neuroflow.executors)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuroflow.executors import WAIT, Outcome, SerialExecutor, get_executor
from tests.pulls import Pulls

ProcessExecutor = pytest.importorskip("neuroflow._process_executor").ProcessExecutor
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# tasks: defined at the top of the module so that worker processes can unpickle them
def square_or_fail(x):
    if x == 3:
        raise ValueError(f"item {x} is bad")
    return x * x


def slow_first(x):
    time.sleep(1.5 if x == 0 else 0.0)
    return x


def who_am_i(x):
    """The worker's pid and its BLAS settings."""
    import threadpoolctl

    import neuroflow as nf

    time.sleep(0.3)  # long enough that every worker gets a task
    blas = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS"), nf.config.get_num_threads(), blas


def die_once(path):
    """Kills its worker the first time (leaving a mark in ``path``), returns the pid after."""
    marker = Path(path)
    if not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return os.getpid()


def always_sigkill(_):
    os.kill(os.getpid(), signal.SIGKILL)


def echo(x):
    return x


def unpicklable_result(_):
    return lambda: None


@pytest.fixture(scope="module")
def pool():
    """Two workers shared by the tests that need no fresh pool (a spawn costs ~1 s)."""
    with ProcessExecutor(2) as ex:
        yield ex


def outcomes_by_index(outcomes):
    outcomes = list(outcomes)
    indices = sorted(o.index for o in outcomes)
    assert indices == list(range(len(outcomes))), "every item must be reported exactly once"
    return {o.index: o for o in outcomes}


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_values_and_errors(n_jobs, pool):
    if n_jobs == 2:
        got = outcomes_by_index(pool.map_unordered(square_or_fail, range(6)))
    else:
        with get_executor(n_jobs) as ex:
            got = outcomes_by_index(ex.map_unordered(square_or_fail, range(6)))
    assert len(got) == 6
    for i in (0, 1, 2, 4, 5):
        assert got[i].ok and got[i].value == i * i and got[i].attempts == 1
    assert not got[3].ok and got[3].value is None
    assert "ValueError: item 3 is bad" in got[3].error and "Traceback" in got[3].error
    assert "square_or_fail" in got[3].error  # the traceback names the task's own frame


def test_get_executor_engines_and_bad_n_jobs():
    assert isinstance(get_executor(1), SerialExecutor)
    assert isinstance(get_executor(None), SerialExecutor)
    with get_executor(2) as ex:
        assert isinstance(ex, ProcessExecutor) and ex.n_workers == 2
    with get_executor(-1) as ex:
        assert ex.n_workers == CORES and ex.threads_per_worker == 1
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"Expected `n_jobs`.*Received: n_jobs="):
            get_executor(bad)
        with pytest.raises(ValueError, match="Received: n_jobs="):
            ProcessExecutor(bad)
    with pytest.raises(ValueError, match="start_method"):
        ProcessExecutor(2, start_method="thread")


def test_results_come_as_they_finish(pool):
    order = [o.index for o in pool.map_unordered(slow_first, range(4))]
    assert sorted(order) == [0, 1, 2, 3]
    assert order[-1] == 0  # the slow item started first and ended last


def test_workers_pin_blas_to_their_share_of_the_cores(pool):
    results = [o.value for o in pool.map_unordered(who_am_i, range(4))]
    expected = max(1, CORES // 2)
    assert pool.threads_per_worker == expected
    pids = {r[0] for r in results}
    assert len(pids) == 2 and os.getpid() not in pids  # two workers, neither is this process
    for _, env, neuroflow_threads, blas in results:
        assert env == str(expected) and neuroflow_threads == expected
        assert all(n == expected for n in blas)


def test_a_dead_worker_is_replaced_and_its_task_retried(pool, tmp_path):
    items = [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c")]
    got = outcomes_by_index(pool.map_unordered(die_once, items, retries=1))
    assert all(o.ok for o in got.values()), [o.error for o in got.values()]
    assert [got[i].attempts for i in range(3)] == [2, 2, 2]
    # the pool still has two live workers afterwards, neither of them a dead one
    pids = {o.value[0] for o in pool.map_unordered(who_am_i, range(4))}
    assert len(pids) == 2 and all(Path(f"/proc/{pid}").exists() for pid in pids)


def test_a_task_that_always_kills_its_worker_is_reported_and_the_rest_finish(pool):
    items = [1, 2, "kill", 4, 5]
    fn_items = [(always_sigkill if x == "kill" else echo, x) for x in items]
    got = outcomes_by_index(pool.map_unordered(call, fn_items, retries=2))
    assert [got[i].value for i in (0, 1, 3, 4)] == [1, 2, 4, 5]
    dead = got[2]
    assert not dead.ok and dead.attempts == 3
    assert dead.error.startswith("worker died (killed by SIGKILL) while running item 2")


def test_no_retries_means_one_attempt(pool, tmp_path):
    (outcome,) = pool.map_unordered(die_once, [str(tmp_path / "x")], retries=0)
    assert not outcome.ok and outcome.attempts == 1 and "exit code 1" in outcome.error


def call(fn_and_item):
    fn, item = fn_and_item
    return fn(item)


def test_close_leaves_no_worker_process():
    ex = ProcessExecutor(2)
    pids = {o.value[0] for o in ex.map_unordered(who_am_i, range(4))}
    ex.close()
    for pid in pids:  # reaped: no process, not even a zombie, keeps the pid
        assert not Path(f"/proc/{pid}").exists()
    with pytest.raises(RuntimeError, match="closed"):
        list(ex.map_unordered(echo, [1]))


def test_stopping_early_discards_busy_workers_and_the_executor_goes_on():
    with ProcessExecutor(2) as ex:
        results = ex.map_unordered(slow_first, range(3))
        first = next(results)
        results.close()  # the caller stopped reading: the task still running is abandoned
        assert first.index != 0
        assert sorted(o.value for o in ex.map_unordered(echo, range(5))) == list(range(5))


def test_unpicklable_things_are_reported(pool):
    import functools
    import threading

    with pytest.raises(TypeError, match=r"Expected `fn` to be picklable"):
        pool.map_unordered(functools.partial(call, threading.Lock()), [1])
    got = outcomes_by_index(pool.map_unordered(echo, [1, threading.Lock(), 3]))
    assert got[0].value == 1 and got[2].value == 3
    assert "Could not pickle the item" in got[1].error
    (outcome,) = pool.map_unordered(unpicklable_result, [0])
    assert "return value could not be pickled" in outcome.error
    with pytest.raises(ValueError, match="Received: retries=-1"):
        pool.map_unordered(echo, [1], retries=-1)


def test_functions_of_a_notebook_travel_by_value(pool):
    pytest.importorskip("cloudpickle")
    namespace = {"__name__": "__main__"}  # as a notebook cell's function: not importable
    exec("def triple(x):\n    return 3 * x", namespace)
    got = sorted(o.value for o in pool.map_unordered(namespace["triple"], [1, 2]))
    assert got == [3, 6]
    assert sorted(o.value for o in pool.map_unordered(lambda x: -x, [1, 2])) == [-2, -1]


def test_outcome_ok_property():
    assert Outcome(0, value=None).ok and not Outcome(0, error="boom").ok


def test_import_neuroflow_starts_no_engine():
    code = (
        "import sys, neuroflow, neuroflow.executors; "
        "print(any(m.startswith(('dask', 'distributed')) for m in sys.modules), "
        "'neuroflow._process_executor' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def array_sum_and_flags(pair):
    x, i = pair
    return float(x.sum()) + i, x.flags.writeable, id(x)


def test_large_arrays_are_sent_once_and_shared_read_only(pool):
    x = np.ones((600, 1000), np.float32)  # 2.4 MB: above ArrayTable.MIN_BYTES
    small = np.ones(10)
    got = [o.value for o in pool.map_unordered(array_sum_and_flags, [(x, i) for i in range(4)])]
    assert sorted(v[0] for v in got) == [600000.0 + i for i in range(4)]
    assert not any(v[1] for v in got)  # read-only in the workers: no task can change it
    assert len({v[2] for v in got}) <= 2  # one copy per worker, not one per task
    assert all(len(w.tokens) == 1 for w in pool._workers)
    x[0, 0] = 3.0  # changed in place between two calls: sent again
    got = [o.value for o in pool.map_unordered(array_sum_and_flags, [(x, 0), (small, 0)])]
    assert sorted(v[0] for v in got) == [10.0, 600002.0]
    assert sorted(v[1] for v in got) == [False, True]  # small arrays travel as usual


def test_ctrl_c_in_the_terminal_is_left_to_the_parent(pool):
    import threading

    def interrupt_workers():
        time.sleep(0.5)
        for worker in pool._workers:
            os.kill(worker.process.pid, signal.SIGINT)

    threading.Thread(target=interrupt_workers).start()
    (outcome,) = pool.map_unordered(slow_first, [0])  # 1.5 s: the SIGINT lands mid-task
    assert outcome.ok and outcome.value == 0 and outcome.attempts == 1


# -- streaming: items pulled lazily, one per free worker, WAIT --


def sleep_then_pid(seconds):
    time.sleep(seconds)
    return os.getpid(), time.monotonic()


def test_serial_pulls_one_item_after_each_outcome():
    pulls = Pulls([1, -2, 3])
    for outcome in SerialExecutor().map_unordered(abs, pulls):
        pulls.seen.append(outcome.value)
    assert pulls.pulled_after == [0, 1, 2] and pulls.seen == [1, 2, 3]


def test_items_are_pulled_only_when_a_worker_is_free_and_the_fast_worker_takes_the_rest(pool):
    pulls = Pulls([1.5, 0.05, 0.05, 0.05])  # task 0 is slow
    outcomes = []
    for outcome in pool.map_unordered(sleep_then_pid, pulls):
        outcomes.append(outcome)
        pulls.seen.append(outcome.index)
    # two workers: two items at the start, then one per outcome the caller has seen
    assert pulls.pulled_after == [0, 0, 1, 2]
    by_index = {o.index: o.value for o in outcomes}
    assert [o.index for o in outcomes] == [1, 2, 3, 0]
    slow_pid, slow_end = by_index[0]
    assert {by_index[i][0] for i in (1, 2, 3)} == {by_index[1][0]} != {slow_pid}
    assert all(by_index[i][1] < slow_end for i in (1, 2, 3))  # done while task 0 ran


def items_with_wait(seen):
    """Item 2 depends on the outcome of item 0, which ends last of the first two."""
    yield 0.6
    yield 0.0
    while not any(index == 0 for index, _ in seen):
        yield WAIT
    yield 0.0


def test_wait_holds_the_next_item_until_an_outcome_comes(pool):
    seen = []
    for outcome in pool.map_unordered(sleep_then_pid, items_with_wait(seen)):
        seen.append((outcome.index, outcome.value))
    assert [index for index, _ in seen] == [1, 0, 2]  # item 2 came after item 0's outcome


def test_wait_with_nothing_running_is_an_error_not_a_hang(pool):
    def waits_first():
        yield WAIT

    for ex in (SerialExecutor(), pool):
        with pytest.raises(RuntimeError, match="WAIT"):
            list(ex.map_unordered(echo, waits_first()))
    assert sorted(o.value for o in pool.map_unordered(echo, range(3))) == [0, 1, 2]


def test_stopping_early_pulls_no_more_items(pool):
    pulls = Pulls([0.0, 1.5, 0.0, 0.0, 0.0])
    results = pool.map_unordered(sleep_then_pid, pulls)
    first = next(results)
    results.close()  # the caller stopped: the slow task is abandoned, nothing more is pulled
    assert first.index == 0 and len(pulls.pulled_after) == 2
    assert sorted(o.value for o in pool.map_unordered(echo, range(3))) == [0, 1, 2]


def test_a_worker_killed_mid_stream_has_its_task_retried(pool, tmp_path):
    marker = tmp_path / "died"
    items = iter([0.0, str(marker), 0.0, 0.0])
    got = outcomes_by_index(pool.map_unordered(die_once_or_sleep, items))
    assert all(o.ok for o in got.values()) and got[1].attempts == 2
    assert marker.exists()


def die_once_or_sleep(item):
    if isinstance(item, str):
        return die_once(item)
    return sleep_then_pid(item)
