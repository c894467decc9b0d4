"""Evaluating genomes in parallel with neat-python's ``ParallelEvaluator`` signature.

``ParallelEvaluator(num_workers, eval_function).evaluate`` is a fitness function for
:meth:`Population.run`: ``eval_function(genome, config)`` returns one genome's fitness, and
the genomes are scored on :func:`neuroflow.executors.get_executor`'s workers (local
processes, or a Dask cluster with ``distributed=``). With ``num_workers=1`` it runs here.
"""

from __future__ import annotations

import random
import threading
from queue import Queue

from neuroflow.executors import get_executor

__all__ = ["ParallelEvaluator", "ThreadedEvaluator"]


class _Task:
    """One genome's evaluation: picklable for process and Dask workers."""

    def __init__(self, eval_function, config, seed):
        self.eval_function = eval_function
        self.config = config
        self.seed = seed

    def __call__(self, genome):
        if self.seed is not None:
            random.seed(self.seed + genome.key)
        return self.eval_function(genome, self.config)


class ParallelEvaluator:
    """Scores genomes with ``eval_function(genome, config) -> fitness`` on several workers.

    Args:
        num_workers: worker processes (``1``: in this process; ``-1``: one per core). With
            ``distributed``, the size of a Dask ``LocalCluster`` started when none runs.
        eval_function: a function defined at the top of a module (it is pickled).
        timeout: seconds to wait for the whole generation (``None``: no limit).
        seed: as neat-python 2.0: genome ``g`` is evaluated after ``random.seed(seed + g.key)``.
        distributed: ``None`` (local), ``"dask"``, a scheduler address or a
            ``dask.distributed.Client``.

    Examples
    --------
    >>> from neuroflow.neat import ParallelEvaluator
    >>> ev = ParallelEvaluator(1, lambda genome, config: 1.0)
    >>> class G: key, fitness = 1, None
    >>> g = G(); ev.evaluate([(1, g)], None); g.fitness
    1.0
    """

    def __init__(
        self,
        num_workers,
        eval_function,
        timeout=None,
        initializer=None,
        initargs=(),
        maxtasksperchild=None,
        seed=None,
        distributed=None,
    ):
        if not callable(eval_function):
            raise TypeError(
                f"Expected `eval_function` to be callable as f(genome, config). "
                f"Received: {eval_function!r}"
            )
        if timeout is not None and not timeout > 0:
            raise ValueError(f"Expected `timeout` to be a positive number. Received: {timeout!r}")
        self.num_workers = num_workers
        self.eval_function = eval_function
        self.timeout = timeout
        self.seed = seed
        self.distributed = distributed
        if initializer is not None:
            initializer(*initargs)
        self.executor = get_executor(n_jobs=num_workers, distributed=distributed)

    def evaluate(self, genomes, config):
        """Sets every genome's fitness; raises if an evaluation failed."""
        genomes = list(genomes)
        task = _Task(self.eval_function, config, self.seed)
        items = [g for _, g in genomes]
        outcomes = _with_timeout(self.executor, task, items, self.timeout)
        for o in outcomes:
            if not o.ok:
                raise RuntimeError(
                    f"Evaluating genome {items[o.index].key} failed after {o.attempts} "
                    f"attempt(s):\n{o.error}"
                )
            items[o.index].fitness = o.value

    def close(self):
        self.executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _with_timeout(executor, task, items, timeout):
    if timeout is None:
        return list(executor.map_unordered(task, items))
    results, done = [], threading.Event()

    def consume():
        try:
            results.extend(executor.map_unordered(task, items))
        finally:
            done.set()

    threading.Thread(target=consume, daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(
            f"Evaluating {len(items)} genomes took longer than timeout={timeout} seconds "
            f"({len(results)} finished)."
        )
    return results


class ThreadedEvaluator:
    """Scores genomes on ``num_workers`` threads (neat-python's ``ThreadedEvaluator``)."""

    def __init__(self, num_workers, eval_function):
        self.num_workers = num_workers
        self.eval_function = eval_function

    def evaluate(self, genomes, config):
        queue, errors = Queue(), []
        for item in genomes:
            queue.put(item)

        def work():
            while True:
                try:
                    _, genome = queue.get_nowait()
                except Exception:
                    return
                try:
                    genome.fitness = self.eval_function(genome, config)
                except Exception as e:  # reported after the others finish
                    errors.append((genome.key, e))

        threads = [threading.Thread(target=work) for _ in range(max(1, self.num_workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            key, e = errors[0]
            raise RuntimeError(f"Evaluating genome {key} failed: {e!r}") from e

    def start(self):  # neat-python's API; threads start per evaluate call here
        pass

    def stop(self):
        pass
