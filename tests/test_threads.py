"""Thread control: the user's fixed count, small products on one thread, free-core reading."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads() -> int:
    infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return infos[0]["num_threads"]


@pytest.fixture
def governor(monkeypatch):
    """A fresh governor for each test, and the automatic mode restored after it."""
    monkeypatch.delenv("NEUROFLOW_NUM_THREADS", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "_governor", None)
    yield threads._get()
    threads._governor = None


def test_fixed_count_is_applied_to_blas(governor):
    nf.config.set_num_threads(1)
    threads.before_product(10**9)
    assert blas_threads() == 1
    assert nf.config.get_num_threads() == 1


def test_small_products_run_on_one_thread(governor):
    governor.limit, governor.next_reading = 2, float("inf")  # as if two cores were free
    threads.before_product(threads.SMALL_PRODUCT - 1)
    assert blas_threads() == 1
    threads.before_product(threads.SMALL_PRODUCT)
    assert blas_threads() == min(2, len(governor.cpus))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="Expected `n` to be a positive integer"):
        nf.config.set_num_threads(bad)


def test_environment_fixes_the_count(monkeypatch):
    monkeypatch.setenv("NEUROFLOW_NUM_THREADS", "1")
    assert threads._env_threads() == 1
    monkeypatch.setenv("NEUROFLOW_NUM_THREADS", "auto")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # joblib's workers set this
    assert threads._env_threads() == 3
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert threads._env_threads() is None


@pytest.mark.parametrize(
    ("others_busy", "own", "expected"),
    [(0.0, 2.0, 2), (1.0, 1.0, 1), (0.2, 1.0, 2), (0.3, 1.0, 1), (2.0, 0.0, 1)],
)
def test_free_cores_from_two_readings(monkeypatch, governor, others_busy, own, expected):
    """Over one second on two CPUs: the others' busy core-seconds decide the limit."""
    meter = threads._LoadMeter([0, 1])
    meter.last = (0.0, 0.0, 0.0)
    monkeypatch.setattr(meter, "_read", lambda: (1.0, others_busy + own, own))
    governor.meter, governor.cpus = meter, [0, 1]
    governor._update_limit(now=1.0)
    assert governor.limit == expected


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs Linux's /proc/stat")
def test_a_busy_process_is_seen_as_load():
    meter = threads._LoadMeter(threads._usable_cpus())
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        import time

        time.sleep(1.0)
        meter.free_cores()  # start the window with the busy process running
        time.sleep(1.0)
        free = meter.free_cores()
    finally:
        hog.kill()
        hog.wait()
    assert free is not None
    assert free <= len(meter.cpus) - 0.5  # the busy loop took most of a core


def test_products_agree_across_thread_counts(governor):
    """The thread count changes speed, never results (to float32 rounding)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((256, 300), np.float32), rng.standard_normal((300, 200), np.float32)
    nf.config.set_num_threads(1)
    threads.before_product(256 * 300 * 200)
    one = a @ b
    nf.config.set_num_threads(2)
    threads.before_product(256 * 300 * 200)
    np.testing.assert_allclose(a @ b, one, rtol=1e-5, atol=1e-4)
