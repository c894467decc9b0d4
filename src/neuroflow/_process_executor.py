"""Local worker processes for :mod:`neuroflow.executors` (``get_executor(n_jobs=k)``).

Each worker is a fresh Python started with the ``spawn`` method, holds one task at a time,
and talks to the parent over its own pipe, so the parent always knows which task a worker was
running when it died. A worker killed mid-task (``os._exit``, SIGKILL, out of memory) is
replaced by a new one and its task is run again, up to ``retries`` times; the other workers
keep going.

Why ``spawn`` and not ``fork``: ``fork`` is faster to start on Linux, but it copies a parent
that may hold running threads (OpenBLAS's pool, a Dask client's event loop, a progress bar)
with their locks in whatever state they were in, and a child can hang on such a lock. A
spawned worker costs an interpreter start and ``import numpy`` once per worker (workers live
as long as the executor, not one task), and it lets the parent set the BLAS environment
variables before the worker imports NumPy, which is the only moment OpenBLAS reads them.
``start_method="forkserver"`` or ``"fork"`` can be asked for; the worker then pins its
threads with threadpoolctl instead.

Large arrays travel once: a search hands every trial the same training data inside its task,
so NumPy arrays of 1 MB or more found in ``fn`` or the items are sent to each worker the first
time a task needs them and named by a token afterwards (:class:`ArrayTable`); the worker keeps
them, read-only, while the tasks of a ``map_unordered`` call or of the next one use them.

The items are pulled one at a time, when a worker is free (see :mod:`neuroflow.executors`):
a search streams its trials, every worker busy, instead of waiting for the slowest of a
batch.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
import weakref
import zlib
from collections import deque
from multiprocessing.connection import wait

import numpy as np

from neuroflow.executors import (
    Executor,
    Outcome,
    PulledItems,
    check_n_jobs,
    check_retries,
    wait_with_nothing_running,
)

_BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NEUROFLOW_NUM_THREADS")
_START_METHODS = ("spawn", "forkserver", "fork")
_environ_lock = threading.Lock()  # os.environ is changed only while a worker starts


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def pin_threads(n: int) -> None:
    """Runs this process's matrix products on ``n`` BLAS threads (neuroflow's and NumPy's)."""
    from neuroflow import threads

    threads.set_num_threads(n)
    try:  # products NumPy runs outside neuroflow.ops, if threadpoolctl is there
        from threadpoolctl import threadpool_limits

        threadpool_limits(n, user_api="blas")
    except Exception:  # noqa: BLE001 (no threadpoolctl, or it cannot read the libraries)
        pass


def _pickler():
    """cloudpickle's pickler when it is installed (it comes with Dask and joblib), so that
    functions and classes of a notebook or an interactive session, which a spawned worker
    cannot import, travel by value; else the standard one."""
    try:
        from cloudpickle import CloudPickler
    except ImportError:
        return pickle.Pickler
    return CloudPickler


class ArrayTable:
    """Names large NumPy arrays by tokens, so that they are sent to a worker once.

    An array gets the same token while it is the same object with the same contents (a
    fingerprint of a sample of its values is checked, so one changed in place between two
    calls gets a new token); small, non-contiguous and object arrays are pickled as usual.
    """

    MIN_BYTES = 1 << 20

    def __init__(self, prefix: str = ""):
        self._by_id: dict[int, tuple] = {}  # id(array) -> (weakref, fingerprint, token)
        self._count = 0
        self._prefix = prefix

    def token(self, array) -> str | None:
        if (
            type(array) is not np.ndarray
            or array.nbytes < self.MIN_BYTES
            or not array.flags.c_contiguous
            or array.dtype.hasobject
        ):
            return None
        flat = array.reshape(-1)
        sample = np.ascontiguousarray(flat[:: max(1, flat.size // 4096)])
        fingerprint = (array.shape, array.dtype.str, zlib.crc32(sample.view(np.uint8)))
        entry = self._by_id.get(id(array))
        if entry is not None and entry[0]() is array and entry[1] == fingerprint:
            return entry[2]
        self._count += 1
        token = f"{self._prefix}array{self._count}"
        self._by_id[id(array)] = (weakref.ref(array), fingerprint, token)
        return token

    def dumps(self, obj, pickler=pickle.Pickler) -> tuple[bytes, dict]:
        """``obj`` pickled with its large arrays left out; returns the bytes and
        ``{token: array}`` for the arrays left out."""
        found: dict = {}
        table = self

        class _Pickler(pickler):
            def persistent_id(self, o):
                if type(o) is np.ndarray:
                    token = table.token(o)
                    if token is not None:
                        found[token] = o
                        return token
                return None

        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
        return buffer.getvalue(), found


def loads_with_arrays(data: bytes, arrays: dict):
    """Unpickles what :meth:`ArrayTable.dumps` wrote, taking the arrays from ``arrays``."""

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, token):
            return arrays[token]

    return _Unpickler(io.BytesIO(data)).load()


def _worker_main(conn, n_threads: int) -> None:
    """A worker's loop: receive a message, run the current function, send the result.

    Messages from the parent are pickled tuples of plain values: ``("arrays", {token:
    array})`` adds large arrays; ``("fn", fn_bytes, tokens)`` sets the function and keeps only
    the arrays named; ``("task", index, item_bytes)`` runs the function on the item; ``None``
    ends the worker. The function and items are unpickled here, inside ``try``, so a failure
    to unpickle one is reported as that task's error.
    """
    # Ctrl-C reaches every process of the terminal's group: the parent handles it (and ends
    # the workers), so a worker does not die mid-task printing a KeyboardInterrupt of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    pin_threads(n_threads)
    fn = fn_error = None
    arrays: dict = {}
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):  # the parent went away
            return
        if message is None:
            return
        if message[0] == "arrays":
            for token, array in message[1].items():
                array.flags.writeable = False  # shared by the tasks: none may change it
                arrays[token] = array
            continue
        if message[0] == "fn":
            arrays = {token: arrays[token] for token in message[2] if token in arrays}
            try:
                fn, fn_error = loads_with_arrays(message[1], arrays), None
            except Exception:
                fn, fn_error = None, "Could not unpickle the function:\n" + traceback.format_exc()
            continue
        _, index, item_bytes = message
        try:
            if fn_error is not None:
                raise RuntimeError(fn_error)
            reply = (index, True, fn(loads_with_arrays(item_bytes, arrays)))
        except Exception:  # reported to the parent: one failed task does not end the worker
            reply = (index, False, traceback.format_exc())
        try:
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the task returned something that cannot be pickled
            error = "The task's return value could not be pickled:\n" + traceback.format_exc()
            payload = pickle.dumps((index, False, error))
        conn.send_bytes(payload)


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Worker:
    """One worker process, its end of the pipe, and the task it holds (if any)."""

    def __init__(self, ctx, n_threads: int, spawned: bool):
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_worker_main, args=(child_end, n_threads), daemon=True, name="neuroflow-worker"
        )
        if spawned:  # the BLAS variables must be in the environment the new interpreter starts in
            with _environ_lock:
                saved = {name: os.environ.get(name) for name in _BLAS_ENV}
                os.environ.update(dict.fromkeys(_BLAS_ENV, str(n_threads)))
                try:
                    self.process.start()
                finally:
                    for name, value in saved.items():
                        if value is None:
                            os.environ.pop(name, None)
                        else:
                            os.environ[name] = value
        else:
            self.process.start()
        child_end.close()
        self.conn = parent_end
        self.fn_id: int | None = None  # the function this worker holds
        self.tokens: set[str] = set()  # the large arrays it holds
        self.task: list | None = None  # [index, item bytes, attempts, tokens]

    def send(self, data: bytes) -> bool:
        try:
            self.conn.send_bytes(data)
            return True
        except (BrokenPipeError, OSError):  # it died before reading
            return False

    def stop(self, timeout: float = 2.0, kill: bool = False) -> None:
        """Ends the process (asked to finish, else killed), reaps it and closes the pipe."""
        if self.process.is_alive() and not kill:
            self.send(pickle.dumps(None))
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()
        if not self.process.is_alive():
            self.process.close()


class ProcessExecutor(Executor):
    """Runs tasks on ``n_jobs`` local worker processes (``-1``: one per usable core).

    Each worker runs its matrix products on ``max(1, cores // n_workers)`` BLAS threads.
    Workers start on the first :meth:`map_unordered` and live until :meth:`close`.

    >>> from neuroflow._process_executor import ProcessExecutor
    >>> with ProcessExecutor(2) as ex:
    ...     sorted(o.value for o in ex.map_unordered(abs, [-3, 1, -2]))
    [1, 2, 3]
    """

    def __init__(self, n_jobs: int = -1, *, start_method: str = "spawn"):
        check_n_jobs(n_jobs, none_allowed=False)
        if start_method not in _START_METHODS:
            raise ValueError(
                f"Expected `start_method` to be one of {_START_METHODS}. "
                f"Received: start_method={start_method!r}"
            )
        cores = usable_cores()
        self.n_workers = cores if n_jobs == -1 else n_jobs
        self.threads_per_worker = max(1, cores // self.n_workers)
        self.start_method = start_method
        self._ctx = multiprocessing.get_context(start_method)
        self._workers: list[_Worker] = []
        self._arrays = ArrayTable()
        self._fn_counter = 0
        self._previous_tokens: set[str] = set()  # the large arrays the last call used
        self._closed = False

    def _new_worker(self) -> _Worker:
        return _Worker(self._ctx, self.threads_per_worker, self.start_method == "spawn")

    def map_unordered(self, fn, items, *, retries=1):
        if self._closed:
            raise RuntimeError("This ProcessExecutor was closed; make a new one.")
        check_retries(retries)
        try:
            fn_bytes, fn_arrays = self._arrays.dumps(fn, _pickler())
        except Exception as e:
            raise TypeError(
                f"Expected `fn` to be picklable (a function defined at the top of a module, not "
                f"a lambda or a local function, unless cloudpickle is installed), so that "
                f"worker processes can run it. "
                f"Received: fn={fn!r} ({type(e).__name__}: {e})"
            ) from e
        self._fn_counter += 1
        return self._run(fn_bytes, fn_arrays, self._fn_counter, PulledItems(items), retries)

    def _run(self, fn_bytes, fn_arrays, fn_id, items, retries):
        # the items come one by one, so the large arrays of the call are known as they come: a
        # worker keeps those of the previous call (the items may well use them again: a NEAT
        # generation's data) and of this one, and drops older ones when it gets this `fn`
        arrays = dict(fn_arrays)  # every large array of this call so far, by token
        fn_tokens = set(fn_arrays)
        pending: deque[list] = deque()  # tasks whose worker died, to run again first
        busy: dict[object, _Worker] = {}  # connection -> worker holding a task
        try:
            while True:
                while len(busy) < self.n_workers and (pending or items.can_pull):
                    if pending:
                        task = pending.popleft()
                    else:
                        pulled = items.pull()
                        if pulled is None:
                            break
                        index, item = pulled
                        try:
                            data, item_arrays = self._arrays.dumps(item, _pickler())
                        except Exception:
                            error = "Could not pickle the item:\n" + traceback.format_exc()
                            yield Outcome(index, error=error)
                            continue
                        arrays.update(item_arrays)
                        task = [index, data, 0, set(item_arrays)]
                    worker = self._free_worker()
                    self._assign(worker, task, fn_bytes, fn_id, fn_tokens, arrays)
                    busy[worker.conn] = worker
                if not busy:
                    if items.exhausted:
                        break
                    raise wait_with_nothing_running()  # WAIT, and no outcome can end it
                waitables = list(busy) + [w.process.sentinel for w in busy.values()]
                ready = set(wait(waitables))
                for worker in list(busy.values()):
                    outcome = None
                    if worker.conn in ready or worker.process.sentinel in ready:
                        outcome = self._collect(worker, pending, retries)
                    if worker.task is None:
                        busy.pop(worker.conn, None)
                        if not worker.process.is_alive():  # died: a fresh one takes its place
                            self._replace(worker)
                    if outcome is not None:
                        yield outcome
                        items.outcome_seen()
        finally:
            self._previous_tokens = set(arrays)
            if busy:  # the caller stopped early: the running tasks' workers are discarded
                for worker in busy.values():
                    self._workers.remove(worker)
                    worker.stop(kill=True)

    def _free_worker(self) -> _Worker:
        """A worker holding no task; a new one is started (only) when none is free."""
        for worker in self._workers:
            if worker.task is None:
                return worker
        worker = self._new_worker()
        self._workers.append(worker)
        return worker

    def _assign(self, worker, task, fn_bytes, fn_id, fn_tokens, arrays) -> None:
        task[2] += 1
        worker.task = task
        missing = (task[3] | fn_tokens) - worker.tokens
        if missing:  # the large arrays it has not got yet, once
            message = ("arrays", {token: arrays[token] for token in sorted(missing)})
            worker.send(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            worker.tokens |= missing
        if worker.fn_id != fn_id:  # after the arrays: unpickling fn may need them
            keep = sorted(worker.tokens & (self._previous_tokens | set(arrays)))
            worker.send(pickle.dumps(("fn", fn_bytes, keep), protocol=pickle.HIGHEST_PROTOCOL))
            worker.fn_id = fn_id
            worker.tokens = set(keep)
        worker.send(pickle.dumps(("task", task[0], task[1]), protocol=pickle.HIGHEST_PROTOCOL))

    def _collect(self, worker: _Worker, pending: deque, retries: int) -> Outcome | None:
        """The outcome of the worker's task, or None when its task went back to ``pending``."""
        index, _, attempts, _ = worker.task
        try:
            if worker.conn.poll():
                _, ok, value = pickle.loads(worker.conn.recv_bytes())
                worker.task = None
                if ok:
                    return Outcome(index, value=value, attempts=attempts)
                return Outcome(index, error=value, attempts=attempts)
        except (EOFError, OSError):  # its end of the pipe closed: it is exiting
            worker.process.join(5.0)
        if worker.process.is_alive():
            return None  # nothing to read yet
        worker.process.join()
        reason = _death_reason(worker.process.exitcode)
        task, worker.task = worker.task, None
        if attempts <= retries:
            pending.appendleft(task)
            return None
        return Outcome(
            index,
            error=f"worker died ({reason}) while running item {index}; "
            f"{attempts} attempt{'s' if attempts > 1 else ''}, none finished",
            attempts=attempts,
        )

    def _replace(self, worker: _Worker) -> None:
        position = self._workers.index(worker)
        worker.stop()
        self._workers[position] = self._new_worker()

    def close(self) -> None:
        """Stops the workers (asks each to finish, kills those that do not) and reaps them."""
        for worker in self._workers:
            worker.stop()
        self._workers = []
        self._closed = True

    def __del__(self):
        if getattr(self, "_workers", None):
            try:
                self.close()
            except Exception:  # noqa: BLE001 (interpreter shutdown)
                pass

    def __repr__(self) -> str:
        return (
            f"ProcessExecutor(n_jobs={self.n_workers}, start_method={self.start_method!r}; "
            f"{self.threads_per_worker} BLAS thread{'s' if self.threads_per_worker > 1 else ''} "
            f"per worker)"
        )
