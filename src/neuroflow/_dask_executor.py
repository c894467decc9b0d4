"""Dask distributed for :mod:`neuroflow.executors` (``get_executor(distributed=...)``).

Dask is the cluster engine: its scheduler places the tasks, its nannies restart a worker
that died and it runs the lost tasks again elsewhere. This module only submits one task per
item and reads the results back as they finish. Large NumPy arrays in ``fn`` or the items (a
search's training data, in every trial's task) are scattered to the workers once and passed
to the tasks as Dask futures, instead of travelling inside every task. ``dask`` is imported
here, never by ``import neuroflow``; it comes with the ``search`` extra
(``pip install "neuroflow[search]"``).

On a real cluster, start a scheduler and workers (one thread each suits trials that train a
model) and give the scheduler's address::

    dask scheduler                                   # prints tcp://10.0.0.5:8786
    dask worker tcp://10.0.0.5:8786 --nworkers 8 --nthreads 1   # on each machine

    get_executor(distributed="tcp://10.0.0.5:8786")
"""

from __future__ import annotations

import importlib
import os
import random
import traceback
import weakref

import numpy as np

from neuroflow._process_executor import ArrayTable, loads_with_arrays, pin_threads, usable_cores
from neuroflow.executors import Executor, Outcome, check_n_jobs, check_retries

_ADDRESS_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


# Dask modules that draw from Python's global `random` in the client's process: the
# scheduler of a LocalCluster picks a worker to gather each result from (random.choice), and
# dask.sizeof samples long lists of the messages it sends (random.sample).
_DASK_RANDOM_USERS = (
    "dask.sizeof",
    "distributed.utils_comm",
    "distributed.scheduler",
    "distributed.comm.core",
    "distributed.worker",
    "distributed.worker_state_machine",
)


def _private_random_for_dask() -> None:
    """Gives Dask's modules in this process a generator of their own.

    Their draws would otherwise move the global stream of ``random`` at moments set by
    message timing, so a program that seeds ``random`` (NEAT does, as neat-python) would not
    repeat itself on Dask. Dask only balances load and estimates sizes with these draws.
    """
    for name in _DASK_RANDOM_USERS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if getattr(module, "random", None) is random:
            module.random = random.Random()


def _import_distributed():
    try:
        import distributed
    except ImportError as e:
        raise ImportError(
            "Running on Dask needs dask.distributed: pip install 'neuroflow[search]' "
            "(or pip install 'dask[distributed]')."
        ) from e
    _private_random_for_dask()
    return distributed


_aligned_copies: dict[int, tuple] = {}  # on a worker: id(Dask's array) -> (weakref, copy)


def _aligned(array):
    """``array``, or once per worker an aligned read-only copy of it.

    Dask hands a task the scattered arrays as views of the bytes they arrived in, which need
    not be aligned to the item size; NumPy and BLAS run slow paths on such arrays (a 1-epoch
    MNIST training took 13x the CPU time). The copy lives as long as Dask keeps the array.
    """
    if array.flags.aligned:
        array.flags.writeable = False  # shared by the worker's tasks: none may change it
        return array
    key = id(array)
    entry = _aligned_copies.get(key)
    if entry is not None and entry[0]() is array:
        return entry[1]
    copy = np.array(array)
    copy.flags.writeable = False
    _aligned_copies[key] = (weakref.ref(array, lambda _: _aligned_copies.pop(key, None)), copy)
    return copy


def _run_packed(fn_bytes, item_bytes, tokens, *arrays):
    """The task Dask runs: ``fn`` and the item unpickled with their large arrays (which Dask
    fetched from the scattered futures), then :func:`_run_on_worker`."""
    try:
        table = {token: _aligned(array) for token, array in zip(tokens, arrays)}
        fn, item = loads_with_arrays(fn_bytes, table), loads_with_arrays(item_bytes, table)
    except Exception:
        return False, "Could not unpickle the task on the worker:\n" + traceback.format_exc()
    return _run_on_worker(fn, item)


def _run_on_worker(fn, item):
    """Pins the BLAS threads, runs ``fn(item)``, returns (ok, value).

    An exception is returned as its traceback's text rather than raised, so Dask does not
    retry a task that fails by itself and the text names the line on the worker that raised.
    A task whose worker died is run again by Dask's scheduler on another worker, up to its
    ``distributed.scheduler.allowed-failures`` (3 by default), then reported (KilledWorker).
    """
    if "NEUROFLOW_NUM_THREADS" not in os.environ:
        # a worker with nthreads=T runs up to T tasks at once on its T cores: one each
        pin_threads(1)
    try:
        return True, fn(item)
    except Exception:
        return False, traceback.format_exc()


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster, one Dask task per item.

    Args:
        distributed: ``"dask"``: the client already running in this process (a
            ``dask.distributed.Client`` made earlier), else a ``LocalCluster`` started here
            with ``n_jobs`` single-threaded worker processes and closed by :meth:`close`; a
            scheduler address such as ``"tcp://10.0.0.5:8786"``; or a ``Client``, used as is
            and not closed.
        n_jobs: workers of the ``LocalCluster`` started for ``"dask"`` (``None`` or ``-1``:
            one per usable core); ignored for an existing cluster.
        timeout: seconds to wait for a scheduler given by address before a ``RuntimeError``.

    >>> import neuroflow.executors as ex  # doctest: +SKIP
    >>> with ex.get_executor(n_jobs=2, distributed="dask") as dask_ex:  # doctest: +SKIP
    ...     sorted(o.value for o in dask_ex.map_unordered(abs, [-2, 1]))
    [1, 2]
    """

    def __init__(self, distributed="dask", n_jobs: int | None = None, *, timeout: float = 10.0):
        dd = _import_distributed()
        self.cluster = None
        self._owns_client = False
        self._arrays = ArrayTable()
        self._scattered: dict = {}  # token -> the future of an array on the workers
        if isinstance(distributed, dd.Client):
            self.client = distributed
        elif distributed == "dask":
            try:
                self.client = dd.get_client()
            except ValueError:  # no client running: a cluster of our own on this machine
                self._start_local_cluster(dd, n_jobs)
        elif isinstance(distributed, str) and (
            distributed.startswith(_ADDRESS_SCHEMES) or ":" in distributed
        ):
            self._connect(dd, distributed, timeout)
        else:
            raise ValueError(
                f'Expected `distributed` to be "dask", a Dask scheduler address such as '
                f'"tcp://10.0.0.5:8786", or a dask.distributed.Client. '
                f"Received: distributed={distributed!r}"
            )
        self.n_workers = max(1, sum(self.client.nthreads().values()))

    def _start_local_cluster(self, dd, n_jobs) -> None:
        check_n_jobs(n_jobs)
        cores = usable_cores()
        workers = cores if n_jobs in (None, -1) else n_jobs
        blas = str(max(1, cores // workers))  # each worker's share of the cores
        self.cluster = dd.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env={name: blas for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                          "MKL_NUM_THREADS", "NEUROFLOW_NUM_THREADS")},
        )  # fmt: skip
        try:
            self.client = dd.Client(self.cluster)
        except BaseException:
            self.cluster.close()
            raise
        self._owns_client = True

    def _connect(self, dd, address: str, timeout: float) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(
                f"Expected `timeout` to be a positive number of seconds. Received: {timeout!r}"
            )
        try:
            self.client = dd.Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise RuntimeError(
                f"Could not reach the Dask scheduler at {address!r} within {timeout:g} s ({e}). "
                f"Start one with `dask scheduler` (and workers with `dask worker {address}`), "
                f"or check the address and that its port is open."
            ) from None
        self._owns_client = True

    def map_unordered(self, fn, items, *, retries=1):
        check_retries(retries)
        from cloudpickle import CloudPickler  # pickles functions of __main__ by value, as Dask

        try:
            fn_bytes, fn_arrays = self._arrays.dumps(fn, CloudPickler)
        except Exception as e:
            raise TypeError(
                f"Expected `fn` to be picklable, so that Dask workers can run it. "
                f"Received: fn={fn!r} ({type(e).__name__}: {e})"
            ) from e
        return self._run(fn_bytes, fn_arrays, list(items), retries, CloudPickler)

    def _run(self, fn_bytes, fn_arrays, items, retries, pickler):
        dd = _import_distributed()
        arrays, tasks = dict(fn_arrays), []
        for index, item in enumerate(items):
            try:
                item_bytes, item_arrays = self._arrays.dumps(item, pickler)
            except Exception:
                yield Outcome(index, error="Could not pickle the item:\n" + traceback.format_exc())
                continue
            arrays.update(item_arrays)
            tasks.append((index, item_bytes, sorted({*fn_arrays, *item_arrays})))
        new = [token for token in arrays if token not in self._scattered]
        if new:  # on every worker now, so that a worker's death loses no copy
            futures = self.client.scatter([arrays[t] for t in new], broadcast=True, hash=False)
            self._scattered.update(zip(new, futures))
        # the arrays of earlier calls are released
        self._scattered = {t: f for t, f in self._scattered.items() if t in arrays}
        submitted, index_of = [], {}
        for index, item_bytes, tokens in tasks:
            future = self.client.submit(
                _run_packed,
                fn_bytes,
                item_bytes,
                tokens,
                *[self._scattered[t] for t in tokens],
                pure=False,
                retries=retries,
            )
            submitted.append(future)
            index_of[future.key] = index
        remaining = dict(zip(index_of, submitted))
        del submitted  # as_completed and `remaining` hold the futures; done ones are dropped
        try:
            for future in dd.as_completed(list(remaining.values()), loop=self.client.loop):
                del remaining[future.key]
                yield self._outcome(dd, future, index_of[future.key])
                future.release()
        finally:
            if remaining:  # the caller stopped early: the rest is not needed
                self.client.cancel(list(remaining.values()))

    @staticmethod
    def _outcome(dd, future, index: int) -> Outcome:
        if future.status == "finished":
            ok, value = future.result()
            return Outcome(index, value=value) if ok else Outcome(index, error=value)
        if future.status == "cancelled":
            return Outcome(index, error="the task was cancelled on the Dask cluster")
        error = future.exception()
        if isinstance(error, dd.KilledWorker):
            return Outcome(
                index,
                error=f"worker died while running item {index}: Dask ran it on workers that "
                f"died each time and gave up (KilledWorker: {error})",
            )
        text = "".join(traceback.format_exception(type(error), error, future.traceback()))
        return Outcome(index, error=text)

    def close(self) -> None:
        """Closes the client and the ``LocalCluster`` this executor started (nothing else)."""
        self._scattered = {}
        if self._owns_client:
            self.client.close()
            self._owns_client = False
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __repr__(self) -> str:
        where = "LocalCluster" if self.cluster is not None else self.client.scheduler.address
        return f"DaskExecutor({where}, {self.n_workers} worker threads)"
