"""Runs: neat-python's XOR example, seeds, checkpoints, reporters, parallel evaluation, errors."""

from __future__ import annotations

import math
import os
import runpy

import pytest

import neuroflow.neat as neat
from neuroflow.neat.tasks import eval_genome_xor
from tests.neat._helpers import eval_xor_batch, load, write_config

# neat-python's examples/xor/evolve-feedforward.py, with only its import changed and the
# `visualize` lines removed. One more change: neat-python 2.0 names checkpoints by the next
# generation to evaluate (Checkpointer(5) writes neat-checkpoint-5, -10, ...), so the file's
# restore of 'neat-checkpoint-4' fails under neat-python 2.0 itself (FileNotFoundError,
# checked by hand); the program here restores neat-checkpoint-5.
EVOLVE_FEEDFORWARD = '''
"""
2-input XOR example -- this is most likely the simplest possible example.
"""

import os

import neuroflow.neat as neat

# 2-input XOR inputs and expected outputs.
xor_inputs = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
xor_outputs = [(0.0,), (1.0,), (1.0,), (0.0,)]


def eval_genomes(genomes, config):
    for genome_id, genome in genomes:
        genome.fitness = 4.0
        net = neat.nn.FeedForwardNetwork.create(genome, config)
        for xi, xo in zip(xor_inputs, xor_outputs):
            output = net.activate(xi)
            genome.fitness -= (output[0] - xo[0]) ** 2


def run(config_file):
    # Load configuration.
    config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
                         neat.DefaultSpeciesSet, neat.DefaultStagnation,
                         config_file)

    # Create the population, which is the top-level object for a NEAT run.
    p = neat.Population(config)

    # Add a stdout reporter to show progress in the terminal.
    p.add_reporter(neat.StdOutReporter(True))
    stats = neat.StatisticsReporter()
    p.add_reporter(stats)
    p.add_reporter(neat.Checkpointer(5))

    # Run for up to 300 generations.
    winner = p.run(eval_genomes, 300)

    # Display the winning genome.
    print('\\nBest genome:\\n{!s}'.format(winner))

    # Show output of the most fit genome against training data.
    print('\\nOutput:')
    winner_net = neat.nn.FeedForwardNetwork.create(winner, config)
    for xi, xo in zip(xor_inputs, xor_outputs):
        output = winner_net.activate(xi)
        print("input {!r}, expected output {!r}, got {!r}".format(xi, xo, output))

    node_names = {-1: 'A', -2: 'B', 0: 'A XOR B'}

    p = neat.Checkpointer.restore_checkpoint('neat-checkpoint-5')
    p.run(eval_genomes, 10)
    return winner, stats


if __name__ == '__main__':
    # Determine path to configuration file. This path manipulation is
    # here so that the script will run successfully regardless of the
    # current working directory.
    local_dir = os.path.dirname(__file__)
    config_path = os.path.join(local_dir, 'config-feedforward')
    run(config_path)
'''


@pytest.fixture
def config(tmp_path):
    return load(write_config(tmp_path))


def test_neat_python_xor_example_runs_with_only_the_import_changed(tmp_path, monkeypatch, capsys):
    import random

    write_config(tmp_path)
    (tmp_path / "evolve-feedforward.py").write_text(EVOLVE_FEEDFORWARD)
    monkeypatch.chdir(tmp_path)
    random.seed(7)
    module = runpy.run_path(str(tmp_path / "evolve-feedforward.py"))  # defines run()
    winner, stats = module["run"](str(tmp_path / "config-feedforward"))
    out = capsys.readouterr().out
    assert winner.fitness >= 3.9
    assert "meets fitness threshold" in out and "Saving checkpoint to neat-checkpoint-5" in out
    assert "   ID   age  size   fitness   adj fit  stag" in out
    assert len(stats.get_fitness_mean()) == len(stats.most_fit_genomes) >= 6
    assert stats.best_genome().fitness == winner.fitness
    assert os.path.exists(tmp_path / "neat-checkpoint-5")


def _run(config, seed, n):
    p = neat.Population(config, seed=seed)
    best = p.run(eval_xor_batch, n)
    return p, best


def test_seed_repeats_a_run_and_random_seed_works(config):
    import random

    a, best_a = _run(config, 11, 12)
    b, best_b = _run(config, 11, 12)
    assert best_a.fitness == best_b.fitness and best_a.key == best_b.key
    assert [g.fitness for g in a.population.values()] == [g.fitness for g in b.population.values()]
    random.seed(12)
    c = neat.Population(config)
    c.run(eval_xor_batch, 5)
    random.seed(12)
    d = neat.Population(config)
    d.run(eval_xor_batch, 5)
    assert sorted(c.species.species) == sorted(d.species.species)
    assert [g.size() for g in c.population.values()] == [g.size() for g in d.population.values()]


def test_generations_leave_no_reference_cycles_behind(config):
    # a generation's gene tables are freed by reference counting once the next one has its
    # own, without waiting for the garbage collector (whose collections cost time)
    import gc

    from neuroflow.neat._table import GeneTable

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        population, _ = _run(config, 3, 8)  # alive: its own generation's tables are in use
        gc.collect()
        cyclic = [o for o in gc.garbage if isinstance(o, GeneTable)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []


def test_checkpoint_restore_continues_identically(config, tmp_path):
    import random

    config.fitness_threshold = 10.0  # never reached: run all generations
    full = neat.Population(config, seed=21)
    full.run(eval_xor_batch, 9)

    first = neat.Population(config, seed=21)
    prefix = str(tmp_path / "cp-")
    first.add_reporter(neat.Checkpointer(4, None, prefix))
    first.run(eval_xor_batch, 4)
    random.seed(999)  # whatever happens between, the checkpoint holds the random state
    restored = neat.Checkpointer.restore_checkpoint(prefix + "4")
    assert restored.generation == 4
    restored.run(eval_xor_batch, 5)
    assert restored.generation == full.generation == 9
    assert list(restored.population) == list(full.population)
    for k, g in full.population.items():
        h = restored.population[k]
        assert h.fitness == g.fitness
        assert {c: x.weight for c, x in h.connections.items()} == {
            c: x.weight for c, x in g.connections.items()
        }
    assert sorted(restored.species.species) == sorted(full.species.species)
    with open(prefix + "4", "rb") as f:
        assert f.read(2) == b"PK"  # a zip of JSON and .npy arrays, not a pickle
    with pytest.raises(ValueError, match="not a neuroflow NEAT checkpoint"):
        (tmp_path / "bogus").write_bytes(b"\x80\x04pickle")
        neat.Checkpointer.restore_checkpoint(tmp_path / "bogus")


def test_fitness_none_or_nan_names_the_genome(config):
    p = neat.Population(config, seed=1)

    def leaves_one(genomes, config):
        for i, (_, g) in enumerate(genomes):
            g.fitness = None if i == 3 else 1.0

    with pytest.raises(RuntimeError, match=rf"genome {list(p.population)[3]}\b.*None"):
        p.run(leaves_one, 1)

    def nan(genomes, config):
        for _, g in genomes:
            g.fitness = math.nan

    with pytest.raises(ValueError, match=r"fitness of genome \d+ to be a number.*nan"):
        neat.Population(config, seed=1).run(nan, 1)
    with pytest.raises(ValueError, match="`n`"):
        p.run(eval_xor_batch, -1)


def test_no_fitness_termination_and_extinction(config):
    config.no_fitness_termination = True
    with pytest.raises(RuntimeError, match="no generational limit"):
        neat.Population(config, seed=0).run(eval_xor_batch)
    p, best = _run(config, 0, 3)
    assert p.generation == 3 and best is not None
    config.no_fitness_termination = False
    config.stagnation_config.max_stagnation = 1
    config.stagnation_config.species_elitism = 0

    def flat(genomes, config):
        for _, g in genomes:
            g.fitness = 0.0

    with pytest.raises(neat.CompleteExtinctionException):
        neat.Population(config, seed=0).run(flat, 10)
    config.reset_on_extinction = True
    p = neat.Population(config, seed=0)
    p.run(flat, 4)
    assert len(p.population) == config.pop_size


def test_statistics_reporter(config):
    p = neat.Population(config, seed=4)
    stats = neat.StatisticsReporter()
    p.add_reporter(stats)
    p.run(eval_xor_batch, 5)
    means, stdevs = stats.get_fitness_mean(), stats.get_fitness_stdev()
    assert len(means) == len(stdevs) == 5
    sizes = stats.get_species_sizes()
    assert all(sum(row) == config.pop_size for row in sizes)
    best = stats.best_genomes(3)
    assert [g.fitness for g in best] == sorted((g.fitness for g in best), reverse=True)


def test_parallel_evaluator_matches_serial(config):
    p = neat.Population(config, seed=8)
    with neat.ParallelEvaluator(1, eval_genome_xor) as ev:
        genomes = list(p.population.items())
        ev.evaluate(genomes, config)
    serial = {k: g.fitness for k, g in genomes}
    eval_xor_batch(genomes, config)
    assert serial == pytest.approx({k: g.fitness for k, g in genomes}, rel=1e-12)
    threaded = neat.ThreadedEvaluator(2, eval_genome_xor)
    threaded.evaluate(genomes, config)
    assert {k: g.fitness for k, g in genomes} == pytest.approx(serial, rel=1e-12)

    def boom(genome, config):
        raise ValueError("bad genome")

    with pytest.raises(RuntimeError, match=r"Evaluating genome \d+ failed"):
        neat.ParallelEvaluator(1, boom).evaluate(genomes, config)
    with pytest.raises(TypeError, match="eval_function"):
        neat.ParallelEvaluator(1, None)


@pytest.mark.slow
def test_parallel_evaluator_on_two_processes(config):
    p = neat.Population(config, seed=8)
    genomes = list(p.population.items())[:20]
    with neat.ParallelEvaluator(2, eval_genome_xor) as ev:
        ev.evaluate(genomes, config)
    assert all(g.fitness is not None for _, g in genomes)
