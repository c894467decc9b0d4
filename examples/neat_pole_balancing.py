"""Neuroevolution of a pole balancer with NEAT (seed 002's "evolutionary algorithms" answer).

    python examples/neat_pole_balancing.py                    # double pole with velocities
    python examples/neat_pole_balancing.py --task single
    python examples/neat_pole_balancing.py --task cartpole    # gymnasium's CartPole-v1
    python examples/neat_pole_balancing.py --neat-python      # the same program on neat-python

NEAT (Stanley and Miikkulainen 2002) evolves the network's weights and its structure from
networks with no hidden node. The double pole task with velocities is the paper's benchmark:
two poles (1.0 m and 0.1 m) on one cart, six state variables in, one force out, solved when a
network balances both poles for 100,000 steps (33 simulated minutes); the paper reports 3,600
evaluations on average. The configuration is a neat-python INI file in
``examples/neat_configs/``; the program is a neat-python program (``import neuroflow.neat as
neat``): every genome of a generation is evaluated at once, one cart per genome.

The script prints the generations and evaluations to the solution, then tests the champion:
on the start state it was evolved on, and from 100 perturbed start states it never saw.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import numpy as np

from neuroflow.neat import tasks

CONFIGS = Path(__file__).resolve().parent / "neat_configs"
TASKS = {
    # name: (config file, eval_genomes, environment for the champion's test)
    "double": ("double_pole.ini", tasks.eval_genomes_double_pole, tasks.DoublePole),
    "single": ("single_pole.ini", tasks.eval_genomes_single_pole, tasks.SinglePole),
    "cartpole": ("cartpole.ini", tasks.eval_genomes_cartpole, tasks.CartPole),
}


def evolve(neat, task: str, generations: int, seed: int, max_steps: int | None, verbose: bool):
    filename, eval_genomes, _ = TASKS[task]
    config = neat.Config(
        neat.DefaultGenome,
        neat.DefaultReproduction,
        neat.DefaultSpeciesSet,
        neat.DefaultStagnation,
        str(CONFIGS / filename),
    )
    if max_steps is not None and task != "cartpole":
        config.fitness_threshold = max_steps
        eval_genomes = functools.partial(eval_genomes, max_steps=max_steps)
    population = neat.Population(config, seed=seed)
    if verbose:
        population.add_reporter(neat.StdOutReporter(False))
    evaluations = 0

    def counted(genomes, config):
        nonlocal evaluations
        evaluations += len(genomes)
        eval_genomes(genomes, config)

    start = time.perf_counter()
    champion = population.run(counted, generations)
    seconds = time.perf_counter() - start
    solved = champion.fitness >= config.fitness_threshold
    return config, champion, population.generation, evaluations, solved, seconds


def test_champion(task: str, champion, config, max_steps: int | None, nn_module) -> dict:
    """The champion from the start state it evolved on, and from 100 perturbed ones."""
    *_, env_type = TASKS[task]
    net = nn_module.FeedForwardNetwork.create(champion, config)
    if task == "cartpole":
        env = env_type()

        def policy(obs, running):
            return np.array([net.activate(o.tolist())[0] > 0.5 for o in obs], dtype=int)

        returns = tasks.rollout(policy, env, 100, seed=12345)  # starts it never saw
        return {"episodes": 100, "mean_return": float(returns.mean()), "solved_at": 475.0}
    steps = max_steps or 100_000
    scale = env_type().input_scale

    def policy(obs, running):
        return np.array([net.activate((o / scale).tolist())[0] for o in obs])

    balanced = tasks.rollout(policy, env_type(max_steps=steps), 1)[0]
    # perturbed starts: every state variable moved by up to +-0.05 (rad, m, m/s, rad/s)
    noisy = env_type(max_steps=min(steps, 1000), start_noise=0.05)
    returns = tasks.rollout(policy, noisy, 100, seed=12345)
    return {
        "steps_from_the_start_state": int(balanced),
        "of_steps": steps,
        "perturbed_starts_balanced_1000_steps": int((returns >= min(steps, 1000)).sum()),
        "of_perturbed_starts": 100,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="double")
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None, help="success (pole tasks)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--neat-python", action="store_true", help="run on neat-python")
    args = parser.parse_args(argv)
    if args.neat_python:
        import neat
    else:
        import neuroflow.neat as neat
    config, champion, generation, evaluations, solved, seconds = evolve(
        neat, args.task, args.generations, args.seed, args.max_steps, not args.quiet
    )
    outcome = "solved" if solved else "NOT solved"
    print(
        f"\n{args.task}: {outcome} in {generation + 1} generations, {evaluations} evaluations, "
        f"{seconds:.1f} s (the NEAT paper, double pole with velocities: 3,600 evaluations)"
    )
    nodes = len(champion.nodes) - len(config.genome_config.output_keys)
    enabled = sum(c.enabled for c in champion.connections.values())
    print(f"champion: fitness {champion.fitness:g}, {nodes} hidden nodes, {enabled} connections")
    for key, value in test_champion(args.task, champion, config, args.max_steps, neat.nn).items():
        print(f"  {key}: {value}")
    return 0 if solved else 1


if __name__ == "__main__":
    raise SystemExit(main())
