"""NEAT on double pole balancing with velocities, over many seeds, against the NEAT paper.

    python benchmarks/neat_poles.py                    # 20 seeds, neuroflow.neat
    python benchmarks/neat_poles.py --seeds 5 --engine both --max-steps 10000

Each run evolves a population with ``examples/neat_configs/double_pole.ini`` until one
network balances both poles for ``--max-steps`` steps (the paper: 100,000) or
``--generations`` pass. Reported per engine: the success rate, the generations and
evaluations to the solution (mean, median, over the solved runs; an evaluation is one
genome's episode, counted for whole generations as the paper counts 24 generations x 150)
and the wall time per run, next to Stanley and Miikkulainen's (2002) 3,600 evaluations (24
generations, 100% solved). ``--engine neat-python`` runs the same program on neat-python
(its networks one genome at a time) for a side-by-side figure.

Results go to ``benchmarks/results/neat_poles.json`` (written atomically). Run it on a quiet
machine for the timings; the evaluation counts do not depend on the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from neuroflow.neat import tasks  # noqa: E402
from neuroflow.utils.files import atomic_write_bytes  # noqa: E402

CONFIG = ROOT / "examples" / "neat_configs" / "double_pole.ini"
OUT = ROOT / "benchmarks" / "results" / "neat_poles.json"
PAPER = {"evaluations": 3600, "generations": 24, "success_rate": 1.0, "max_steps": 100_000}


def _neat_python_networks(genomes, config):
    """neat-python's networks, one genome at a time (the neat-python side of the figure)."""
    import neat

    nets = [neat.nn.FeedForwardNetwork.create(genome, config) for genome in genomes]

    def activate(inputs, running):  # one cart per genome: inputs (G, k), running (G,)
        out = np.zeros((len(nets), 1))
        for i in np.flatnonzero(running):
            out[i] = nets[i].activate(inputs[i].tolist())
        return out

    return activate


def one_run(engine: str, seed: int, generations: int, max_steps: int) -> dict:
    if engine == "neat-python":
        import neat

        tasks._networks, own = _neat_python_networks, tasks._networks
    else:
        import neuroflow.neat as neat

        own = tasks._networks
    try:
        config = neat.Config(
            neat.DefaultGenome,
            neat.DefaultReproduction,
            neat.DefaultSpeciesSet,
            neat.DefaultStagnation,
            str(CONFIG),
        )
        config.fitness_threshold = max_steps
        population = neat.Population(config, seed=seed)
        evaluations = 0

        def eval_genomes(genomes, config):
            nonlocal evaluations
            evaluations += len(genomes)
            tasks.eval_genomes_double_pole(genomes, config, max_steps=max_steps)

        start = time.perf_counter()
        error = None
        try:
            champion = population.run(eval_genomes, generations)
        except RuntimeError as e:  # e.g. more species than pop_size / min_species_size allows
            champion, error = population.best_genome, f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - start
    finally:
        tasks._networks = own
    return {
        "seed": seed,
        "solved": bool(champion.fitness >= max_steps),
        "error": error,
        "generations": population.generation + 1,
        "evaluations": evaluations,
        "best_fitness": float(champion.fitness),
        "hidden_nodes": len(champion.nodes) - len(config.genome_config.output_keys),
        "connections": int(sum(c.enabled for c in champion.connections.values())),
        "seconds": round(seconds, 3),
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summary(runs: list[dict]) -> dict:
    solved = [r for r in runs if r["solved"]]

    def stats(key):
        values = [r[key] for r in solved]
        if not values:
            return None
        return {"mean": statistics.fmean(values), "median": statistics.median(values)}

    return {
        "runs": len(runs),
        "success_rate": len(solved) / len(runs),
        "stopped_by_error": sum(1 for r in runs if r.get("error")),
        "evaluations": stats("evaluations"),
        "generations": stats("generations"),
        "seconds_per_run": statistics.fmean(r["seconds"] for r in runs),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument(
        "--engine", choices=["neuroflow", "neat-python", "both"], default="neuroflow"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    engines = ["neuroflow", "neat-python"] if args.engine == "both" else [args.engine]
    result = {
        "benchmark": "NEAT, double pole balancing with velocities",
        "config": str(CONFIG.relative_to(ROOT)),
        "max_steps": args.max_steps,
        "generation_limit": args.generations,
        "paper": PAPER,
        "machine": {
            "cpu": _cpu_name(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        },
        "engines": {},
    }
    for engine in engines:
        runs = []
        for seed in range(args.seeds):
            run = one_run(engine, seed, args.generations, args.max_steps)
            runs.append(run)
            print(
                f"{engine:>11s} seed {seed:3d}: {'solved' if run['solved'] else 'unsolved':8s} "
                f"gen {run['generations']:4d}  evals {run['evaluations']:6d}  "
                f"best {run['best_fitness']:9.0f}  {run['seconds']:7.1f} s"
                + (f"  stopped: {run['error']}" if run["error"] else ""),
                flush=True,
            )
        result["engines"][engine] = {"summary": summary(runs), "runs": runs}
        s = result["engines"][engine]["summary"]
        evals = s["evaluations"]["mean"] if s["evaluations"] else float("nan")
        print(
            f"{engine}: solved {s['success_rate']:.0%} of {s['runs']} runs, mean evaluations "
            f"{evals:,.0f} (paper: 3,600, 100%), {s['seconds_per_run']:.1f} s per run"
        )
    atomic_write_bytes(args.out, (json.dumps(result, indent=1) + "\n").encode("utf-8"))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
