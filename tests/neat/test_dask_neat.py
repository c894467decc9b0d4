"""NEAT's ParallelEvaluator on a Dask LocalCluster of two workers, one killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import neuroflow.neat as neat
from neuroflow.neat.tasks import eval_genome_xor
from tests.neat._helpers import load, write_config

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

GENERATIONS = 4


@pytest.fixture
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster, set_as_default=False) as c:
            yield c
    finally:
        cluster.close()


def kill_a_busy_worker(client, stop: threading.Event, killed: list) -> None:
    """SIGKILLs a worker that holds evaluations, once the run has gone a while."""
    start = time.monotonic()
    while not stop.is_set():
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy and time.monotonic() - start > 0.5:
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.01)


def run_xor(config, evaluator) -> list:
    population = neat.Population(config, seed=3)
    best = population.run(evaluator.evaluate, GENERATIONS)
    return [population.generation, best.key, best.fitness]


def test_neat_on_dask_survives_a_killed_worker_and_matches_serial(client, tmp_path):
    config = load(write_config(tmp_path))
    with neat.ParallelEvaluator(1, eval_genome_xor) as serial:
        expected = run_xor(config, serial)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=kill_a_busy_worker, args=(client, stop, killed))
    with neat.ParallelEvaluator(2, eval_genome_xor, distributed=client) as evaluator:
        assert evaluator.executor.n_workers == 2
        killer.start()
        try:
            got = run_xor(config, evaluator)
        finally:
            stop.set()
            killer.join()
    assert killed, "no worker was killed: the run ended before the kill"
    # every genome of every generation was scored: the same run as in this process
    assert got == expected
