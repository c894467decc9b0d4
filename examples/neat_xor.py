"""NEAT evolves a network for XOR (neat-python's example configuration), batch-evaluated.

    python examples/neat_xor.py                 # one run, progress printed
    python examples/neat_xor.py --seeds 100     # success rate and evaluations over 100 seeds
    python examples/neat_xor.py --compare       # ... and neat-python beside it (if installed)

The program reads like neat-python's ``examples/xor/evolve-feedforward.py`` with one
difference: each generation's 150 genomes are evaluated as one NumPy batch
(``neat.nn.compile_population``) instead of one network and one input at a time. The
side-by-side measurement lives in ``benchmarks/neat_xor.py``; ``--seeds``/``--compare``
run it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile

import numpy as np

import neuroflow.neat as neat

xor_inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
xor_outputs = np.array([0.0, 1.0, 1.0, 0.0])


def eval_genomes(genomes, config):
    """fitness = 4 - sum of squared errors, every genome's network on all four cases at once."""
    outputs = neat.nn.compile_population(genomes, config).activate_batch(xor_inputs)
    errors = ((outputs[:, :, 0] - xor_outputs) ** 2).sum(axis=1)
    for (_, genome), error in zip(genomes, errors.tolist()):
        genome.fitness = 4.0 - error


def run(config_file, seed=0):
    config = neat.Config(
        neat.DefaultGenome,
        neat.DefaultReproduction,
        neat.DefaultSpeciesSet,
        neat.DefaultStagnation,
        config_file,
    )
    random.seed(seed)
    p = neat.Population(config)
    p.add_reporter(neat.StdOutReporter(False))
    stats = neat.StatisticsReporter()
    p.add_reporter(stats)
    winner = p.run(eval_genomes, 300)
    print(f"\nBest genome:\n{winner!s}")
    net = neat.nn.FeedForwardNetwork.create(winner, config)
    print("\nOutput:")
    for xi, xo in zip(xor_inputs.tolist(), xor_outputs.tolist()):
        print(f"input {tuple(xi)!r}, expected output {xo!r}, got {net.activate(xi)!r}")
    evaluations = config.pop_size * len(stats.most_fit_genomes)
    print(
        f"\nSolved in {len(stats.most_fit_genomes)} generations ({evaluations} evaluations; "
        f"the NEAT paper's mean is 4,755)"
    )
    return winner


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=None, help="many runs: summary only")
    parser.add_argument("--compare", action="store_true", help="neat-python beside it")
    args = parser.parse_args()
    if args.seeds is not None or args.compare:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
        from neat_xor import main as benchmark

        argv = ["--seeds", str(args.seeds or 10)]
        if not args.compare:
            argv += ["--frameworks", "neuroflow"]
        benchmark(argv + ["--output", os.path.join(tempfile.mkdtemp(), "neat_xor.json")])
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "config-feedforward")
        with open(path, "w") as f:
            f.write(neat.config_example())
        run(path, args.seed)


if __name__ == "__main__":
    main()
