"""Why NEAT on XOR fails on some seeds: the state of every failed run, for either library.

    python benchmarks/neat_xor_failures.py                        # neuroflow, seeds 0-299
    python benchmarks/neat_xor_failures.py --library neat-python  # the same for neat-python

Each seed runs neat-python's XOR example configuration for at most 300 generations, as in
``neat_xor.py`` (no timing here). For each run that does not reach the threshold of 3.9 it
prints and records the best fitness ever, the last generation's best, how many genomes have
no enabled connection or a hidden node, and each species' size and the generations since it
last improved. Results go to ``benchmarks/results/neat_xor_failures_<library>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from neat_xor import make_neat_python_eval, neuroflow_eval  # noqa: E402


def failed_run_state(population, eval_fn, config, winner) -> dict:
    genomes = list(population.population.values())
    eval_fn(list(population.population.items()), config)
    return {
        "best_fitness_ever": winner.fitness,
        "last_generation_best": max(g.fitness for g in genomes),
        "genomes_without_enabled_links": sum(
            1 for g in genomes if not any(c.enabled for c in g.connections.values())
        ),
        "genomes_with_hidden_nodes": sum(1 for g in genomes if len(g.nodes) > 1),
        "species": [
            {
                "id": sid,
                "size": len(s.members),
                "generations_since_improved": population.generation - s.last_improved,
            }
            for sid, s in population.species.species.items()
        ],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=["neuroflow", "neat-python"], default="neuroflow")
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--generations", type=int, default=300)
    args = parser.parse_args(argv)

    import neuroflow.neat as nf_neat

    if args.library == "neuroflow":
        lib, eval_fn = nf_neat, neuroflow_eval
    else:
        import neat as lib

        eval_fn = make_neat_python_eval(lib)
    failures = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "config-feedforward"
        path.write_text(nf_neat.config_example())
        config = lib.Config(
            lib.DefaultGenome,
            lib.DefaultReproduction,
            lib.DefaultSpeciesSet,
            lib.DefaultStagnation,
            str(path),
        )
        for seed in range(args.seeds):
            random.seed(seed)
            population = lib.Population(config)
            winner = population.run(eval_fn, args.generations)
            if winner.fitness < config.fitness_threshold:
                state = {"seed": seed, **failed_run_state(population, eval_fn, config, winner)}
                failures.append(state)
                print(json.dumps(state), flush=True)
    rate = len(failures) / args.seeds
    print(f"{args.library}: {len(failures)} of {args.seeds} runs failed ({rate:.1%})")
    out = HERE / "results" / f"neat_xor_failures_{args.library.replace('-', '_')}.json"
    result = {
        "benchmark": "neat_xor_failures",
        "library": args.library,
        "seeds": args.seeds,
        "generations": args.generations,
        "failed": len(failures),
        "failures": failures,
    }
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
