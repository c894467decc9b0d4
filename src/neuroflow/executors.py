"""Where independent tasks run: a search's trials, a NEAT generation's fitness evaluations.

A search is many independent pieces of work (train this model with these hyperparameters;
score these genomes), so it is the part of a course's work that outgrows one core and one
machine. Both searches (:mod:`neuroflow.tuner`, :mod:`neuroflow.neat`) hand their pieces to an
:class:`Executor` and read back one :class:`Outcome` per piece, in the order they finish:

>>> from neuroflow.executors import get_executor
>>> with get_executor(n_jobs=1) as ex:
...     sorted(o.value for o in ex.map_unordered(abs, [-2, 3, -1]))
[1, 2, 3]

``get_executor(n_jobs=1)`` runs in this process; ``n_jobs=k`` (``-1``: one per usable core)
on local worker processes; ``distributed="dask"``, a scheduler address or a
``dask.distributed.Client`` on a Dask cluster (the ``search`` extra). Whatever the engine:

- ``fn`` and the items must be picklable for the process and Dask engines (a function defined
  at the top of a module; with cloudpickle installed, which Dask and joblib bring, also one
  defined in a notebook, or a lambda); NumPy arrays of 1 MB or more among them (a search's
  training data) go to each worker once and are shared, read-only, by its tasks;
- a task that raises is reported as an :class:`Outcome` with ``error`` set (the traceback's
  text), never raised out of ``map_unordered``, so one bad trial does not end a search; a task
  whose worker died is retried up to ``retries`` times, then reported failed;
- each worker runs its BLAS products on its share of the cores (one thread per worker when
  the workers fill the machine), so workers do not fight over cores.

The items are pulled lazily, one each time a worker is free, so a search can stream its
trials: the item for a freed worker is pulled only after the outcome that freed it has been
yielded, so it can depend on that outcome (an oracle that has just seen a trial's score
chooses the next one):

>>> def tasks(seen):
...     yield -1
...     yield 10 * seen[-1]  # pulled after the first outcome was seen
>>> seen = []
>>> with get_executor(n_jobs=1) as ex:
...     for outcome in ex.map_unordered(abs, tasks(seen)):
...         seen.append(outcome.value)
>>> seen
[1, 10]

An item may also be :data:`WAIT`: nothing to run now, ask again after the next outcome (an
oracle waiting for its running trials to end before it chooses).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["WAIT", "Executor", "Outcome", "SerialExecutor", "get_executor"]  # engines: __getattr__


class _Wait:
    """The type of :data:`WAIT` (one instance, which pickles to itself)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __reduce__(self):
        return (_Wait, ())

    def __repr__(self) -> str:
        return "WAIT"


WAIT = _Wait()
"""An item meaning "nothing to run now": the executor pulls the next item after it has
yielded the next outcome. Pulled while no task is running, it is a ``RuntimeError`` (no
outcome could ever come to end the wait)."""


class PulledItems:
    """The items of a ``map_unordered`` call as an engine pulls them (one per free worker).

    :meth:`pull` gives ``(index, item)``, or ``None`` when nothing may be pulled now: after
    :data:`WAIT` (until :meth:`outcome_seen`) or at the items' end (``exhausted``). Indices
    count the items pulled, ``WAIT`` left out.
    """

    _END = object()

    def __init__(self, items: Iterable[Any]):
        self._items = iter(items)
        self._count = 0
        self.can_pull = True
        self.exhausted = False

    def pull(self):
        item = next(self._items, self._END)
        if item is self._END or item is WAIT:
            self.exhausted, self.can_pull = item is self._END, False
            return None
        index, self._count = self._count, self._count + 1
        return index, item

    def outcome_seen(self) -> None:
        """An outcome was yielded: a WAIT is over (the items' end is not)."""
        self.can_pull = not self.exhausted


def wait_with_nothing_running() -> RuntimeError:
    """The error of :data:`WAIT` pulled while no task runs (it would wait forever)."""
    return RuntimeError(
        "The items gave WAIT (ask again after the next outcome) while no task was running, "
        "so no outcome could come: give WAIT only while a task of this call runs, and end "
        "the items (return) when there is nothing more to run."
    )


@dataclass
class Outcome:
    """What became of one task: its ``index`` in the items given, and its ``value`` or ``error``.

    ``error`` is ``None`` when the task returned; otherwise it is the text of what went wrong
    (the exception's traceback, or why the worker was lost). ``attempts`` counts the runs.
    """

    index: int
    value: Any = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


class Executor:
    """Runs independent tasks and reports each one's :class:`Outcome` as it finishes."""

    n_workers: int = 1

    def map_unordered(
        self, fn: Callable[[Any], Any], items: Iterable[Any], *, retries: int = 1
    ) -> Iterator[Outcome]:
        """Runs ``fn(item)`` for every item; yields one :class:`Outcome` per item as it ends.

        ``items`` is pulled lazily: one item each time a worker is free, the next one only
        after the outcome that freed a worker was yielded (:data:`WAIT` items are skipped
        until the next outcome). An outcome's ``index`` counts the items pulled, ``WAIT``
        left out. Closing the iterator early (``break``, ``close()``) abandons the tasks still
        running; the executor can be used again.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Releases the workers this executor started (not a cluster it was given)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SerialExecutor(Executor):
    """Runs every task in this process, one after the other (``n_jobs=1``)."""

    n_workers = 1

    def map_unordered(self, fn, items, *, retries=1):
        check_retries(retries)
        return self._run(fn, PulledItems(items))

    @staticmethod
    def _run(fn, items):
        while (pulled := items.pull()) is not None:
            index, item = pulled
            try:
                value = fn(item)
            except Exception:  # reported, not raised: one failed trial does not end a search
                yield Outcome(index, error=traceback.format_exc())
            else:
                yield Outcome(index, value=value)
        if not items.exhausted:  # WAIT: nothing runs here between two items, so forever
            raise wait_with_nothing_running()

    def __repr__(self) -> str:
        return "SerialExecutor()"


def check_n_jobs(n_jobs, none_allowed: bool = True):
    """``n_jobs`` as the engines read it: a positive int or -1 (one per core), or ``None``."""
    if n_jobs is None and none_allowed:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        also = " or None" if none_allowed else ""
        raise ValueError(
            f"Expected `n_jobs` to be a positive integer, -1 (one per core){also}. "
            f"Received: n_jobs={n_jobs!r}"
        )
    return n_jobs


def check_retries(retries) -> int:
    """``retries`` of :meth:`Executor.map_unordered`: a non-negative int."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(
            f"Expected `retries` to be a non-negative integer. Received: retries={retries!r}"
        )
    return retries


def get_executor(n_jobs: int | None = 1, distributed: Any = None) -> Executor:
    """The executor for ``n_jobs`` local workers, or for a Dask cluster when ``distributed``.

    Args:
        n_jobs: ``1`` (or ``None``): this process; ``k > 1``: ``k`` worker processes; ``-1``:
            one worker per usable core. With ``distributed="dask"`` and no running client, the
            number of workers of the ``LocalCluster`` started.
        distributed: ``None``; ``"dask"`` (the running ``dask.distributed`` client, else a
            ``LocalCluster``); a scheduler address such as ``"tcp://10.0.0.5:8786"``; or a
            ``dask.distributed.Client``.
    """
    if distributed is not None:
        from neuroflow._dask_executor import DaskExecutor

        return DaskExecutor(distributed, n_jobs=n_jobs)
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1
    ):
        raise ValueError(
            f"Expected `n_jobs` to be a positive integer, -1 (one per core) or None. "
            f"Received: n_jobs={n_jobs!r}"
        )
    if n_jobs is None or n_jobs == 1:
        return SerialExecutor()
    from neuroflow._process_executor import ProcessExecutor

    return ProcessExecutor(n_jobs)


def __getattr__(name: str):
    # the engines load on first use, so ``import neuroflow`` does not import multiprocessing or dask
    if name == "ProcessExecutor":
        from neuroflow._process_executor import ProcessExecutor

        return ProcessExecutor
    if name == "DaskExecutor":
        from neuroflow._dask_executor import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
