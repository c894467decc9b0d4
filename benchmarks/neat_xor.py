"""NEAT on XOR with neat-python's example configuration: neuroflow beside neat-python.

    python benchmarks/neat_xor.py                # 100 seeds each
    python benchmarks/neat_xor.py --seeds 10     # a quick look

For every seed both libraries run neat-python's XOR example configuration (150 genomes,
fitness 4 - sum of squared errors, threshold 3.9) for at most 300 generations, one after
the other in this process, so a busy machine slows both alike. neuroflow evaluates each
generation as one batch (``nn.compile_population``); neat-python runs its example's
``eval_genomes`` (one network per genome, one input at a time). Reported: the share of
runs solved within 300 generations, the mean number of genomes evaluated until the
solution (over solved runs; the NEAT paper reports 4,755 with 100% solved), and the mean
wall time (and CPU time) per run and per generation, with neat-python's over neuroflow's.
Results go to benchmarks/results/neat_xor.json with the machine's CPU.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])
XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_OUTPUTS = [(0.0,), (1.0,), (1.0,), (0.0,)]
PAPER_EVALUATIONS = 4755


def cpu_description() -> dict:
    try:
        from run import cpu_description as describe  # benchmarks/run.py, beside this file

        return describe()
    except Exception:  # run.py needs its model definitions; fall back to the basics
        import os
        import platform

        return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}


def neuroflow_eval(genomes, config):
    import neuroflow.neat as neat

    outputs = neat.nn.compile_population(genomes, config).activate_batch(X)
    fitness = 4.0 - ((outputs[:, :, 0] - Y) ** 2).sum(axis=1)
    for (_, genome), f in zip(genomes, fitness.tolist()):
        genome.fitness = f


def make_neat_python_eval(neat):
    def eval_genomes(genomes, config):  # neat-python's examples/xor/evolve-feedforward.py
        for _, genome in genomes:
            genome.fitness = 4.0
            net = neat.nn.FeedForwardNetwork.create(genome, config)
            for xi, xo in zip(XOR_INPUTS, XOR_OUTPUTS):
                output = net.activate(xi)
                genome.fitness -= (output[0] - xo[0]) ** 2

    return eval_genomes


class Counter:
    """Counts the genomes a fitness function was given."""

    def __init__(self, fn):
        self.fn, self.evaluations = fn, 0

    def __call__(self, genomes, config):
        self.evaluations += len(genomes)
        self.fn(genomes, config)


def one_run(neat, config, eval_fn, seed, generations):
    random.seed(seed)
    counter = Counter(eval_fn)
    start, cpu_start = time.perf_counter(), time.process_time()
    population = neat.Population(config)
    winner = population.run(counter, generations)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    solved = winner.fitness >= config.fitness_threshold
    return {
        "seed": seed,
        "solved": bool(solved),
        "evaluations": counter.evaluations,
        "generations": population.generation + (1 if solved else 0),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def summarize(runs):
    solved = [r for r in runs if r["solved"]]
    return {
        "runs": len(runs),
        "solved_rate": len(solved) / len(runs),
        "mean_evaluations_solved": statistics.mean(r["evaluations"] for r in solved)
        if solved
        else None,
        "median_evaluations_solved": statistics.median(r["evaluations"] for r in solved)
        if solved
        else None,
        "mean_seconds_per_run": statistics.mean(r["seconds"] for r in runs),
        "mean_seconds_per_generation": sum(r["seconds"] for r in runs)
        / sum(max(r["generations"], 1) for r in runs),
        "mean_cpu_seconds_per_run": statistics.mean(r["cpu_seconds"] for r in runs),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--frameworks", nargs="+", default=["neuroflow", "neat-python"])
    parser.add_argument("--output", default=str(HERE / "results" / "neat_xor.json"))
    args = parser.parse_args(argv)

    import neuroflow.neat as nf_neat

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "config-feedforward"
        path.write_text(nf_neat.config_example())
        libs = {}
        if "neuroflow" in args.frameworks:
            libs["neuroflow"] = (nf_neat, neuroflow_eval)
        if "neat-python" in args.frameworks:
            try:
                import neat as np_neat
            except ImportError:
                print("neat-python is not installed (pip install neat-python); skipping it")
            else:
                libs["neat-python"] = (np_neat, make_neat_python_eval(np_neat))
        configs = {
            name: lib.Config(
                lib.DefaultGenome,
                lib.DefaultReproduction,
                lib.DefaultSpeciesSet,
                lib.DefaultStagnation,
                str(path),
            )
            for name, (lib, _) in libs.items()
        }
        runs = {name: [] for name in libs}
        for seed in range(args.seeds):
            for name, (lib, fn) in libs.items():
                runs[name].append(one_run(lib, configs[name], fn, seed, args.generations))
            line = "  ".join(
                f"{name}: {'solved' if r[-1]['solved'] else 'FAILED'} "
                f"{r[-1]['evaluations']:>6} evals {r[-1]['seconds']:.2f}s"
                for name, r in runs.items()
            )
            print(f"seed {seed:>3}  {line}", flush=True)

    summary = {name: summarize(r) for name, r in runs.items()}
    machine = cpu_description()
    print(f"\nCPU: {machine.get('cpu')}, {machine.get('cores')} cores")
    print(f"{'':<12} {'solved':>7} {'mean evals':>11} {'median':>8} {'s/run':>8} {'ms/gen':>8}")
    for name, s in summary.items():
        mean_e = s["mean_evaluations_solved"]
        print(
            f"{name:<12} {s['solved_rate']:>7.0%} {mean_e or float('nan'):>11.0f} "
            f"{s['median_evaluations_solved'] or float('nan'):>8.0f} "
            f"{s['mean_seconds_per_run']:>8.3f} {1000 * s['mean_seconds_per_generation']:>8.2f}"
        )
    print(f"{'paper':<12} {'100%':>7} {PAPER_EVALUATIONS:>11}")
    ratios = {}
    if len(summary) == 2:
        a, b = summary["neuroflow"], summary["neat-python"]
        ratios = {
            "time_per_run_neat_python_over_neuroflow": b["mean_seconds_per_run"]
            / a["mean_seconds_per_run"],
            # CPU time: less sensitive to other programs on a shared machine
            "cpu_per_run_neat_python_over_neuroflow": b["mean_cpu_seconds_per_run"]
            / a["mean_cpu_seconds_per_run"],
            # per generation: the speed of the machinery, apart from how many were needed
            "time_per_generation_neat_python_over_neuroflow": b["mean_seconds_per_generation"]
            / a["mean_seconds_per_generation"],
        }
        if a["mean_evaluations_solved"] and b["mean_evaluations_solved"]:
            ratios["evaluations_neuroflow_over_neat_python"] = (
                a["mean_evaluations_solved"] / b["mean_evaluations_solved"]
            )
        print("ratios:", {k: round(v, 3) for k, v in ratios.items()})
    result = {
        "benchmark": "neat_xor",
        "seeds": args.seeds,
        "generations": args.generations,
        "paper_evaluations": PAPER_EVALUATIONS,
        "machine": machine,
        "summary": summary,
        "ratios": ratios,
        "runs": runs,
    }
    out = Path(args.output)
    from neuroflow.utils.files import atomic_write_bytes

    atomic_write_bytes(out, json.dumps(result, indent=1).encode())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
