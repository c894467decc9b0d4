"""Dask distributed for :mod:`neuroflow.executors` (``get_executor(distributed=...)``).

Dask is the cluster engine: its scheduler places the tasks, its nannies restart a worker
that died and it runs the lost tasks again elsewhere. This module submits one task per item,
each when a worker is free (the items are pulled lazily, see :mod:`neuroflow.executors`), and
reads the results back as they finish. ``dask`` is imported here, never by ``import
neuroflow``; it comes with the ``search`` extra (``pip install "neuroflow[search]"``).

Large NumPy arrays in ``fn`` or the items (a search's training data, in every trial's task)
are scattered to every worker once; each worker keeps its copy in a table of its own, and
the tasks name the arrays by token. The tasks do not take the arrays' futures as arguments,
on purpose: a task that does depends on them, so the scheduler places it where their copies
are, and Dask's Active Memory Manager (on by default) drops the copies beyond one of data
that no waiting task needs, which it finds between two waves of a tuner's trials or whenever
one of two workers is idle; from then on every task went to the one worker left holding the
data and two workers ran the trials one after the other (measured: a 2-worker tuner search
1.06x faster than one worker, 1.3 s lost per 1.3-s trial). Tasks without dependencies go to
the free workers. A worker that joins later (one restarted by its nanny) answers that it
has no copy, and its task is submitted again with the futures, for Dask to copy them there.

On a real cluster, start a scheduler and workers (one thread each suits trials that train a
model) and give the scheduler's address::

    dask scheduler                                   # prints tcp://10.0.0.5:8786
    dask worker tcp://10.0.0.5:8786 --nworkers 8 --nthreads 1   # on each machine

    get_executor(distributed="tcp://10.0.0.5:8786")
"""

from __future__ import annotations

import importlib
import os
import pickle
import random
import threading
import traceback
import uuid

import numpy as np

from neuroflow._process_executor import ArrayTable, loads_with_arrays, pin_threads, usable_cores
from neuroflow.executors import (
    Executor,
    Outcome,
    PulledItems,
    check_n_jobs,
    check_retries,
    wait_with_nothing_running,
)

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


# on a worker: the large arrays of the tasks, by token (unique to one DaskExecutor)
_worker_arrays: dict[str, np.ndarray] = {}
_worker_arrays_lock = threading.Lock()


def _aligned(array):
    """``array`` read-only, or an aligned read-only copy of it.

    Dask hands a task the scattered arrays as views of the bytes they arrived in, which need
    not be aligned to the item size; NumPy and BLAS run slow paths on such arrays (a 1-epoch
    MNIST training took 13x the CPU time).
    """
    if not array.flags.aligned:
        array = np.array(array)
    array.flags.writeable = False  # shared by the worker's tasks: none may change it
    return array


def _worker_array(token: str, key, sent=None):
    """The array named ``token`` on this worker, from the worker's table; on first use from
    ``sent`` (Dask's copy, when the task took it as an argument) or from Dask's copy of the
    scattered ``key`` on this worker. ``None`` when this worker has no copy (it started
    after the scatter)."""
    import distributed

    with _worker_arrays_lock:
        array = _worker_arrays.get(token)
        if array is None:
            if sent is None:
                try:
                    sent = distributed.get_worker().data[key]
                except KeyError:
                    return None
            array = _worker_arrays[token] = _aligned(sent)
    return array


def _forget_arrays(tokens) -> int:
    """Drops arrays from this worker's table (run on every worker by ``client.run``)."""
    with _worker_arrays_lock:
        for token in tokens:
            _worker_arrays.pop(token, None)
        return len(_worker_arrays)


def _run_packed(fn_bytes, item_bytes, sources_bytes, *sent):
    """The task Dask runs: ``fn`` and the item unpickled with their large arrays (from the
    worker's table; ``sources_bytes``: pickled ``[(token, key of the scattered copy)]``;
    ``sent``: Dask's copies, when the task was given the futures), then
    :func:`_run_on_worker`. ``(None, address)`` when this worker has no copy of an array."""
    try:
        sources = pickle.loads(sources_bytes)
        sent = sent or (None,) * len(sources)
        table = {t: _worker_array(t, key, a) for (t, key), a in zip(sources, sent)}
        if any(array is None for array in table.values()):
            import distributed

            return None, distributed.get_worker().address
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
        # tokens unique to this executor: they name arrays in the workers' tables, which
        # other executors on the same cluster share
        self._arrays = ArrayTable(prefix=f"{uuid.uuid4().hex[:12]}-")
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
        return self._run(fn_bytes, fn_arrays, PulledItems(items), retries, CloudPickler)

    def _run(self, fn_bytes, fn_arrays, items, retries, pickler):
        dd = _import_distributed()
        self.n_workers = max(1, sum(self.client.nthreads().values()))  # the cluster may scale
        used = set(fn_arrays)  # the large arrays of this call so far
        self._scatter(fn_arrays)
        finished = dd.as_completed(loop=self.client.loop)
        running: dict = {}  # key -> (future, (index, fn_bytes, item_bytes, tokens))
        try:
            while True:
                while len(running) < self.n_workers and items.can_pull:
                    pulled = items.pull()
                    if pulled is None:
                        break
                    index, item = pulled
                    try:
                        item_bytes, item_arrays = self._arrays.dumps(item, pickler)
                    except Exception:
                        error = "Could not pickle the item:\n" + traceback.format_exc()
                        yield Outcome(index, error=error)
                        continue
                    self._scatter(item_arrays)
                    used.update(item_arrays)
                    task = (index, fn_bytes, item_bytes, sorted({*fn_arrays, *item_arrays}))
                    future = self._submit(task, retries)
                    running[future.key] = (future, task)
                    finished.add(future)
                if not running:
                    if items.exhausted:
                        break
                    raise wait_with_nothing_running()  # WAIT, and no outcome can end it
                future = next(finished)
                _, task = running.pop(future.key)
                result = future.result() if future.status == "finished" else None
                if result is not None and result[0] is None:
                    # a worker started after the scatter: the task goes again, given the
                    # arrays' futures, so Dask copies them to that worker first
                    future.release()
                    future = self._submit(task, retries, worker=result[1])
                    running[future.key] = (future, task)
                    finished.add(future)
                    continue
                outcome = self._outcome(dd, future, task[0], result)
                future.release()
                yield outcome
                items.outcome_seen()
        finally:
            if running:  # the caller stopped early: the rest is not needed
                self.client.cancel([future for future, _ in running.values()])
            # the arrays of this call stay for the next one; those of earlier calls go
            self._release([t for t in self._scattered if t not in used])

    def _submit(self, task, retries: int, worker=None):
        """Submits ``(index, fn_bytes, item_bytes, tokens)``. The arrays go by key, not as
        futures: a task that took the futures would depend on them, and Dask would place it
        by where their copies are (see the module's docstring); given ``worker``, a worker
        that has no copy, it takes them, for Dask to copy them there."""
        _, fn_bytes, item_bytes, tokens = task
        sources = pickle.dumps([(token, self._scattered[token].key) for token in tokens])
        sent, where = (), {}
        if worker is not None:
            sent = [self._scattered[token] for token in tokens]
            where = {"workers": [worker], "allow_other_workers": True}
        return self.client.submit(
            _run_packed, fn_bytes, item_bytes, sources, *sent, pure=False, retries=retries, **where
        )

    def _scatter(self, arrays: dict) -> None:
        """Sends the arrays not sent yet to every worker (so that a worker's death loses no
        copy, and each worker takes its own copy without a transfer)."""
        new = [token for token in arrays if token not in self._scattered]
        if new:
            futures = self.client.scatter([arrays[t] for t in new], broadcast=True, hash=False)
            self._scattered.update(zip(new, futures))

    def _release(self, tokens) -> None:
        """Releases Dask's copies of the arrays and drops them from the workers' tables."""
        if not tokens:
            return
        for token in tokens:
            self._scattered.pop(token, None)
        try:
            self.client.run(_forget_arrays, list(tokens))
        except Exception:  # noqa: BLE001 (a cluster gone or closing: nothing to clean)
            pass

    @staticmethod
    def _outcome(dd, future, index: int, result) -> Outcome:
        if future.status == "finished":
            ok, value = result
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
        if self.client.status == "running":
            self._release(list(self._scattered))
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
