"""How many BLAS threads the library's matrix products run on, and when.

NumPy's OpenBLAS starts one thread per core and runs every product above a small size on
all of them, and its threads spin while they wait for one another. On an idle machine that
is what a training wants; beside a program that keeps a core busy, or beside a second
training (two notebooks, ``GridSearchCV(n_jobs=2)``), every product waits for a thread that
is not getting a core, and epochs ran 3-5x slower than alone in the benchmark. So the
library chooses, before each product (every product in ``neuroflow.ops`` is a call of
:func:`matmul`):

1. **A fixed count** if the user asked for one: :func:`neuroflow.config.set_num_threads`,
   or the environment variable ``NEUROFLOW_NUM_THREADS``. ``OPENBLAS_NUM_THREADS`` /
   ``OMP_NUM_THREADS`` (which joblib sets in its workers) cap the count the same way.
2. **One thread for small products**: below :data:`SMALL_PRODUCT` multiply-adds a second
   thread costs more to wake than it saves (``benchmarks/threads.py`` measures the
   crossover; the constant is that measurement, rounded).
3. **Never more threads than free cores**: at most every :data:`WINDOW` seconds the CPU time
   the rest of the machine used (every core's busy time in ``/proc/stat`` minus this
   process's own) is read, and a core counts as free when it was at least 75% idle. Two
   trainings therefore settle on one thread each, and a busy core is left to its owner.

The count is changed through threadpoolctl (imported on the first product, not with
``neuroflow``), and only when it differs from the one in force, so a product pays a few
hundred nanoseconds for the decision. Without threadpoolctl or ``/proc/stat`` nothing is
changed and the BLAS library keeps its own default.
"""

from __future__ import annotations

import os
import time

import numpy as np

SMALL_PRODUCT = 1 << 19
"""Multiply-adds (m * k * n) below which a product runs on one thread."""

WINDOW = 0.5
"""Seconds between two readings of the machine's load."""

_FREE_CORE_IDLE = 0.75  # a core counts as free when at least this fraction of it was idle


def _env_threads() -> int | None:
    """The count the environment fixes (``NEUROFLOW_NUM_THREADS``, else a BLAS variable)."""
    for name in ("NEUROFLOW_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if name == "NEUROFLOW_NUM_THREADS" and value.lower() in ("", "auto"):
            continue
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _usable_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return list(range(os.cpu_count() or 1))


class _LoadMeter:
    """The cores the rest of the machine left free over the last window (Linux only)."""

    def __init__(self, cpus: list[int]):
        self.cpus = {f"cpu{c}" for c in cpus}
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.last = self._read()

    def _read(self) -> tuple[float, float, float] | None:
        """(wall seconds, busy core-seconds of our CPUs, this process's CPU seconds)."""
        try:
            with open("/proc/stat", "rb") as f:
                lines = f.read().split(b"\n")
        except OSError:
            return None
        busy = 0
        for line in lines:
            fields = line.split()
            if fields and fields[0].decode() in self.cpus:
                values = [int(v) for v in fields[1:]]
                busy += sum(values[:8]) - values[3] - values[4]  # all but idle and iowait
        own = os.times()
        return time.monotonic(), busy / self.tick, own.user + own.system

    def free_cores(self) -> float | None:
        """Cores the others left idle since the previous call; None without /proc/stat."""
        now = self._read()
        if now is None or self.last is None:
            return None
        (t0, busy0, own0), (t1, busy1, own1) = self.last, now
        self.last = now
        if t1 - t0 <= 0:
            return None
        others = max(0.0, (busy1 - busy0) - (own1 - own0)) / (t1 - t0)
        return len(self.cpus) - others


class _Governor:
    """Holds the decision and the BLAS controllers; one per process, made on first use
    (the first product), so ``import neuroflow`` does not import threadpoolctl."""

    def __init__(self):
        self.fixed: int | None = _env_threads()
        self.cpus = _usable_cpus()
        self.limit = 1  # the first window runs on one thread: nothing is known of the load yet
        self.current: int | None = None
        try:
            from threadpoolctl import ThreadpoolController

            self.controllers = ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # noqa: BLE001 (no threadpoolctl, or it cannot read the libraries)
            self.controllers = []
        self.meter = _LoadMeter(self.cpus)
        self.next_reading = time.monotonic() + WINDOW / 2

    def _update_limit(self, now: float) -> None:
        self.next_reading = now + WINDOW
        free = self.meter.free_cores()
        if free is None:
            self.limit = len(self.cpus)
        else:
            self.limit = max(1, min(len(self.cpus), int(free + 1 - _FREE_CORE_IDLE)))

    def threads_for(self, work: int) -> int:
        if self.fixed is not None:
            return self.fixed
        if work < SMALL_PRODUCT:
            return 1
        now = time.monotonic()
        if now >= self.next_reading:
            self._update_limit(now)
        return self.limit

    def use(self, n: int) -> None:
        for controller in self.controllers:
            controller.set_num_threads(n)
        self.current = n


_governor: _Governor | None = None


def _get() -> _Governor:
    global _governor
    if _governor is None:
        _governor = _Governor()
    return _governor


def before_product(work: int) -> None:
    """Sets the BLAS thread count for a product of ``work`` multiply-adds (m * k * n)."""
    g = _governor or _get()
    n = g.threads_for(work)
    if n != g.current:
        g.use(n)


def matmul(a, b, out=None):
    """``a @ b`` on the thread count chosen for one product of its size: every product in
    ``neuroflow.ops`` goes through here. For stacked operands the size is one slice's
    (m * k * n), since the BLAS library is called once per slice."""
    before_product(a.shape[-2] * a.shape[-1] * b.shape[-1] if a.ndim > 1 else a.size * b.shape[-1])
    return np.matmul(a, b, out=out)


def set_num_threads(n: int | None) -> None:
    """Fixes the BLAS thread count (``None`` or ``"auto"``: back to the automatic choice)."""
    if n == "auto":
        n = None
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"Expected `n` to be a positive integer or None. Received: n={n!r}")
    g = _get()
    g.fixed = n
    g.current = None  # re-applied on the next product


def get_num_threads() -> int:
    """The thread count in force for large products: the fixed one, else the automatic one."""
    g = _get()
    return g.fixed if g.fixed is not None else g.limit
