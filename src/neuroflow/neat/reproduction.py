"""Reproduction: fitness-shared offspring counts per species, elites, crossover, mutation."""

from __future__ import annotations

import math
import random
from itertools import count

import numpy as np

from neuroflow.neat.config import ConfigParameter, DefaultClassConfig
from neuroflow.neat.genome import DefaultGenome, new_genomes, offspring
from neuroflow.neat.innovation import InnovationTracker
from neuroflow.neat.math_util import mean

__all__ = ["DefaultReproduction"]


class DefaultReproduction(DefaultClassConfig):
    """neat-python's reproduction: explicit fitness sharing with species stagnation.

    Each species' offspring count follows its mean fitness, normalised to [0, 1] over the
    population (``compute_spawn``), then adjusted so the counts add up to ``pop_size``
    exactly; the ``elitism`` best of each species are copied unchanged, and the rest are
    children of two parents drawn from the best ``survival_threshold`` share of the species
    (at least two). A generation's children are crossed over and mutated together.
    """

    @classmethod
    def parse_config(cls, param_dict):
        return DefaultClassConfig(
            param_dict,
            [
                ConfigParameter("elitism", int, 0),
                ConfigParameter("survival_threshold", float, 0.2),
                ConfigParameter("min_species_size", int, 1),
            ],
            "DefaultReproduction",
        )

    def __init__(self, config, reporters, stagnation):
        self.reproduction_config = config
        self.reporters = reporters
        self.genome_indexer = count(1)
        self.stagnation = stagnation
        self.ancestors = {}
        self.innovation_tracker = InnovationTracker()
        self.rng = np.random.default_rng(random.getrandbits(64))

    def _attach(self, genome_config):
        genome_config.innovation_tracker = self.innovation_tracker
        genome_config.rng = self.rng

    def create_new(self, genome_type, genome_config, num_genomes):
        """A new population of ``num_genomes`` genomes: ``{key: genome}``."""
        self._attach(genome_config)
        keys = [next(self.genome_indexer) for _ in range(num_genomes)]
        if _fast(genome_type):
            genomes = new_genomes(genome_type, genome_config, keys)
        else:
            genomes = []
            for key in keys:
                g = genome_type(key)
                g.configure_new(genome_config)
                genomes.append(g)
        for key in keys:
            self.ancestors[key] = ()
        return dict(zip(keys, genomes))

    @staticmethod
    def compute_spawn(adjusted_fitness, previous_sizes, pop_size, min_species_size):
        """Offspring per species, proportional to adjusted fitness (neat-python's rule)."""
        af_sum = sum(adjusted_fitness)
        spawn_amounts = []
        for af, ps in zip(adjusted_fitness, previous_sizes):
            s = max(min_species_size, af / af_sum * pop_size) if af_sum > 0 else min_species_size
            d = (s - ps) * 0.5
            c = int(round(d))
            spawn = ps
            if abs(c) > 0:
                spawn += c
            elif d > 0:
                spawn += 1
            elif d < 0:
                spawn -= 1
            spawn_amounts.append(spawn)
        norm = pop_size / sum(spawn_amounts)
        return [max(min_species_size, int(round(n * norm))) for n in spawn_amounts]

    def _adjust_spawn_exact(self, spawn_amounts, pop_size, min_species_size):
        """Counts adding up to ``pop_size``: extras to the smallest, cuts from the largest."""
        total = sum(spawn_amounts)
        if total == pop_size:
            return spawn_amounts
        if len(spawn_amounts) * min_species_size > pop_size:
            raise RuntimeError(
                f"Configuration conflict: pop_size {pop_size} is less than the number of "
                f"species times min_species_size ({len(spawn_amounts)} * {min_species_size}); "
                f"the per-species minimum cannot be met."
            )
        diff = pop_size - total
        indexed = sorted(enumerate(spawn_amounts), key=lambda x: x[1], reverse=diff < 0)
        i = 0
        if diff > 0:
            while diff > 0:
                idx, val = indexed[i]
                spawn_amounts[idx] = val + 1
                indexed[i] = (idx, val + 1)
                diff -= 1
                i = (i + 1) % len(indexed)
        else:
            remaining = -diff
            while remaining > 0:
                idx, val = indexed[i]
                if val > min_species_size:
                    spawn_amounts[idx] = val - 1
                    indexed[i] = (idx, val - 1)
                    remaining -= 1
                i = (i + 1) % len(indexed)
                if i == 0 and remaining > 0 and all(v <= min_species_size for _, v in indexed):
                    break
        if sum(spawn_amounts) != pop_size:
            raise RuntimeError(
                f"Could not match pop_size={pop_size} with min_species_size={min_species_size}"
            )
        return spawn_amounts

    def reproduce(self, config, species, pop_size, generation):
        """The next generation ``{key: genome}`` from the species of this one."""
        self._attach(config.genome_config)
        self.innovation_tracker.reset_generation()
        all_fitnesses, remaining = [], []
        for sid, s, stagnant in self.stagnation.update(species, generation):
            if stagnant:
                self.reporters.species_stagnant(sid, s)
            else:
                all_fitnesses.extend(m.fitness for m in s.members.values())
                remaining.append(s)
        if not remaining:
            species.species = {}
            return {}
        min_fitness, max_fitness = min(all_fitnesses), max(all_fitnesses)
        fitness_range = max(1.0, max_fitness - min_fitness)
        for s in remaining:
            msf = mean([m.fitness for m in s.members.values()])
            s.adjusted_fitness = (msf - min_fitness) / fitness_range
        adjusted = [s.adjusted_fitness for s in remaining]
        self.reporters.info(f"Average adjusted fitness: {mean(adjusted):.3f}")
        previous_sizes = [len(s.members) for s in remaining]
        elitism = self.reproduction_config.elitism
        min_species_size = max(self.reproduction_config.min_species_size, elitism)
        spawn_amounts = self.compute_spawn(adjusted, previous_sizes, pop_size, min_species_size)
        spawn_amounts = self._adjust_spawn_exact(spawn_amounts, pop_size, min_species_size)

        generation_genomes = {}  # every genome of the generation, for crossover to find
        for s in species.species.values():
            generation_genomes.update(s.members)
        generation_genomes = [generation_genomes[k] for k in sorted(generation_genomes)]
        new_population, children, elites = {}, [], []
        species.species = {}
        for spawn, s in zip(spawn_amounts, remaining):
            spawn = max(spawn, elitism)
            old_members = list(s.members.items())
            s.members = {}
            species.species[s.key] = s
            old_members.sort(reverse=True, key=lambda x: (x[1].fitness, x[0]))
            for i, m in old_members[:elitism]:
                new_population[i] = m
                elites.append((i, m))
                spawn -= 1
            if spawn <= 0:
                continue
            cutoff = max(
                int(math.ceil(self.reproduction_config.survival_threshold * len(old_members))), 2
            )
            parents = old_members[:cutoff]
            pairs = self.rng.integers(0, len(parents), (spawn, 2))
            first = next(self.genome_indexer)
            self.genome_indexer = count(first + spawn)
            gids = range(first, first + spawn)
            one = [parents[i] for i in pairs[:, 0].tolist()]
            two = [parents[i] for i in pairs[:, 1].tolist()]
            children.extend(zip(gids, [p for _, p in one], [p for _, p in two]))
            self.ancestors.update(zip(gids, zip([i for i, _ in one], [i for i, _ in two])))
        if _fast(config.genome_type):
            elites.sort(key=lambda x: x[0])
            kids = offspring(
                config.genome_config,
                children,
                config.genome_type,
                [m for _, m in elites],
                generation_genomes,
            )
        else:
            kids = []
            for gid, p1, p2 in children:
                child = config.genome_type(gid)
                child.configure_crossover(p1, p2, config.genome_config)
                child.mutate(config.genome_config)
                kids.append(child)
        for child in kids:
            new_population[child.key] = child
        new_population = {k: new_population[k] for k in sorted(new_population)}
        return new_population


def _fast(genome_type) -> bool:
    """Whether ``genome_type`` breeds as DefaultGenome does (then whole generations at once)."""
    return all(
        getattr(genome_type, name) is getattr(DefaultGenome, name)
        for name in ("configure_new", "configure_crossover", "mutate")
    )
