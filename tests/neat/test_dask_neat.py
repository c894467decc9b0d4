"""NEAT's ParallelEvaluator on a Dask LocalCluster of two workers, one killed mid-run."""

from __future__ import annotations

import threading

import pytest

import neuroflow.neat as neat
from neuroflow.neat.tasks import eval_genome_xor
from tests.dask_cluster import kill_a_busy_worker, two_worker_client
from tests.neat._helpers import load, write_config

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

GENERATIONS = 4


@pytest.fixture
def client():
    with two_worker_client(distributed) as c:
        yield c


def run_xor(config, evaluator) -> list:
    population = neat.Population(config, seed=3)
    best = population.run(evaluator.evaluate, GENERATIONS)
    return [population.generation, best.key, best.fitness]


def test_neat_on_dask_survives_a_killed_worker_and_matches_serial(client, tmp_path):
    config = load(write_config(tmp_path))
    with neat.ParallelEvaluator(1, eval_genome_xor) as serial:
        expected = run_xor(config, serial)
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=kill_a_busy_worker, args=(client, stop, killed, 0.5))
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
