"""The NEAT loop: evaluate, check the threshold, reproduce, speciate, repeat."""

from __future__ import annotations

import math
import random
from itertools import count

import numpy as np

from neuroflow.neat.math_util import mean
from neuroflow.neat.reporting import ReporterSet

__all__ = ["CompleteExtinctionException", "Population"]


class CompleteExtinctionException(Exception):
    """Every species went stagnant and ``reset_on_extinction`` is False."""


class Population:
    """A NEAT population (neat-python's ``Population``).

    Args:
        config: a :class:`~neuroflow.neat.Config`.
        initial_state: ``(population, species_set, generation)`` to continue from (what
            :meth:`Checkpointer.restore_checkpoint` passes).
        seed: seeds Python's ``random`` (and through it every draw of the run); the
            ``[NEAT]`` key ``seed`` does the same. Without either, seed ``random`` yourself
            for a repeatable run.

    Examples
    --------
    >>> import os, tempfile, random
    >>> import neuroflow.neat as neat
    >>> path = os.path.join(tempfile.mkdtemp(), "config")
    >>> _ = open(path, "w").write(neat.config_example())
    >>> config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
    ...                      neat.DefaultSpeciesSet, neat.DefaultStagnation, path)
    >>> import numpy as np
    >>> X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0])
    >>> def eval_genomes(genomes, config):
    ...     outputs = neat.nn.compile_population(genomes, config).activate_batch(X)
    ...     for (_, genome), out in zip(genomes, outputs):
    ...         genome.fitness = 4.0 - float(((out[:, 0] - y) ** 2).sum())
    >>> p = neat.Population(config, seed=3)
    >>> winner = p.run(eval_genomes, 300)
    >>> winner.fitness >= 3.9
    True
    """

    def __init__(self, config, initial_state=None, seed=None):
        if seed is None:
            seed = getattr(config, "seed", None)
        if seed is not None:
            random.seed(seed)
        self.reporters = ReporterSet()
        self.config = config
        stagnation = config.stagnation_type(config.stagnation_config, self.reporters)
        self.reproduction = config.reproduction_type(
            config.reproduction_config, self.reporters, stagnation
        )
        criteria = {"max": max, "min": min, "mean": mean}
        self.fitness_criterion = criteria.get(config.fitness_criterion)
        if self.fitness_criterion is None and not config.no_fitness_termination:
            raise ValueError(
                f"Expected `fitness_criterion` to be 'max', 'min' or 'mean'. "
                f"Received: {config.fitness_criterion!r}"
            )
        if initial_state is None:
            # new node keys start after the outputs again, so a seed repeats a run even when
            # the config served an earlier one (neat-python carries the counter over)
            if hasattr(config.genome_config, "node_indexer"):
                config.genome_config.node_indexer = None
            self.population = self.reproduction.create_new(
                config.genome_type, config.genome_config, config.pop_size
            )
            self.species = config.species_set_type(config.species_set_config, self.reporters)
            self.generation = 0
            self.species.speciate(config, self.population, self.generation)
        else:
            self.population, self.species, self.generation = initial_state
            self.species.reporters = self.reporters
            if hasattr(self.reproduction, "genome_indexer"):
                self.reproduction.genome_indexer = count(max(self.population) + 1)
        self.best_genome = None

    def add_reporter(self, reporter):
        self.reporters.add(reporter)

    def remove_reporter(self, reporter):
        self.reporters.remove(reporter)

    def _check_fitness(self):
        genomes = list(self.population.values())
        fitnesses = [g.fitness for g in genomes]
        if set(map(type, fitnesses)) == {float} and not math.isnan(sum(fitnesses)):
            return genomes[fitnesses.index(max(fitnesses))]  # the first best, as below
        best = None
        for g in genomes:
            f = g.fitness
            if f is None:
                raise RuntimeError(
                    f"Fitness not assigned to genome {g.key}: the fitness function must set "
                    f"`genome.fitness` to a number for every genome. Received: None"
                )
            if isinstance(f, (np.floating, np.integer)):
                f = g.fitness = f.item()
            if not isinstance(f, (int, float)) or isinstance(f, bool) or math.isnan(f):
                raise ValueError(
                    f"Expected the fitness of genome {g.key} to be a number (not NaN). "
                    f"Received: fitness={f!r}"
                )
            if best is None or f > best.fitness:
                best = g
        return best

    def run(self, fitness_function, n=None):
        """Runs at most ``n`` generations (``None``: until the fitness threshold).

        ``fitness_function(genomes, config)`` receives ``[(genome_id, genome), ...]`` and
        must set every ``genome.fitness``. Returns the best genome seen.
        """
        if self.config.no_fitness_termination and n is None:
            raise RuntimeError("Cannot have no generational limit with no fitness termination")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise ValueError(
                f"Expected `n` to be a non-negative integer or None. Received: n={n!r}"
            )
        if not callable(fitness_function):
            raise TypeError(
                f"Expected `fitness_function` to be callable as f(genomes, config). "
                f"Received: {fitness_function!r}"
            )
        k = 0
        while n is None or k < n:
            k += 1
            self.reporters.start_generation(self.generation)
            fitness_function(list(self.population.items()), self.config)
            best = self._check_fitness()
            self.reporters.post_evaluate(self.config, self.population, self.species, best)
            if self.best_genome is None or best.fitness > self.best_genome.fitness:
                self.best_genome = best
            if not self.config.no_fitness_termination:
                fv = self.fitness_criterion(g.fitness for g in self.population.values())
                if fv >= self.config.fitness_threshold:
                    self.reporters.found_solution(self.config, self.generation, best)
                    break
            self.population = self.reproduction.reproduce(
                self.config, self.species, self.config.pop_size, self.generation
            )
            if not self.species.species:
                self.reporters.complete_extinction()
                if not self.config.reset_on_extinction:
                    raise CompleteExtinctionException(
                        "All species went stagnant and reset_on_extinction = False."
                    )
                self.population = self.reproduction.create_new(
                    self.config.genome_type, self.config.genome_config, self.config.pop_size
                )
            self.species.speciate(self.config, self.population, self.generation)
            self.reporters.end_generation(self.config, self.population, self.species)
            self.generation += 1
        if self.config.no_fitness_termination:
            self.reporters.found_solution(self.config, self.generation, self.best_genome)
        return self.best_genome
