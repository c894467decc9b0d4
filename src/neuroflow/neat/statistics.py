"""Fitness and species statistics of a run (neat-python's ``StatisticsReporter``)."""

from __future__ import annotations

import copy
import csv

from neuroflow.neat.math_util import mean, median2, stdev
from neuroflow.neat.reporting import BaseReporter

__all__ = ["StatisticsReporter"]


class StatisticsReporter(BaseReporter):
    """Keeps each generation's best genome and every species' member fitnesses."""

    def __init__(self):
        self.most_fit_genomes = []
        self.generation_statistics = []

    def post_evaluate(self, config, population, species, best_genome):
        self.most_fit_genomes.append(copy.deepcopy(best_genome))
        self.generation_statistics.append(
            {
                sid: {k: v.fitness for k, v in s.members.items()}
                for sid, s in species.species.items()
            }
        )

    def get_fitness_stat(self, f):
        return [
            f([x for s in stats.values() for x in s.values()])
            for stats in self.generation_statistics
        ]

    def get_fitness_mean(self):
        """The mean fitness of each generation."""
        return self.get_fitness_stat(mean)

    def get_fitness_stdev(self):
        """The standard deviation of the fitness of each generation."""
        return self.get_fitness_stat(stdev)

    def get_fitness_median(self):
        """The median fitness of each generation."""
        return self.get_fitness_stat(median2)

    def best_unique_genomes(self, n):
        """The ``n`` fittest genomes, each once."""
        unique = {g.key: g for g in self.most_fit_genomes}
        return sorted(unique.values(), key=lambda g: g.fitness, reverse=True)[:n]

    def best_genomes(self, n):
        """The ``n`` fittest of the generations' best genomes."""
        return sorted(self.most_fit_genomes, key=lambda g: g.fitness, reverse=True)[:n]

    def best_genome(self):
        """The fittest genome seen."""
        return self.best_genomes(1)[0]

    def save(self):
        self.save_genome_fitness()
        self.save_species_count()
        self.save_species_fitness()

    def save_genome_fitness(self, delimiter=" ", filename="fitness_history.csv"):
        with open(filename, "w") as f:
            w = csv.writer(f, delimiter=delimiter)
            best = [c.fitness for c in self.most_fit_genomes]
            for b, avg in zip(best, self.get_fitness_mean()):
                w.writerow([b, avg])

    def save_species_count(self, delimiter=" ", filename="speciation.csv"):
        with open(filename, "w") as f:
            w = csv.writer(f, delimiter=delimiter)
            for s in self.get_species_sizes():
                w.writerow(s)

    def save_species_fitness(self, delimiter=" ", null_value="NA", filename="species_fitness.csv"):
        with open(filename, "w") as f:
            w = csv.writer(f, delimiter=delimiter)
            for s in self.get_species_fitness(null_value):
                w.writerow(s)

    def _max_species(self):
        return max(sid for gen in self.generation_statistics for sid in gen)

    def get_species_sizes(self):
        """Per generation, the size of every species 1..max (0 when absent)."""
        m = self._max_species()
        return [
            [len(gen.get(sid, [])) for sid in range(1, m + 1)] for gen in self.generation_statistics
        ]

    def get_species_fitness(self, null_value=""):
        """Per generation, every species' mean member fitness (``null_value`` when absent)."""
        m = self._max_species()
        out = []
        for gen in self.generation_statistics:
            row = []
            for sid in range(1, m + 1):
                mf = gen.get(sid, {})
                row.append(mean(mf.values()) if mf else null_value)
            out.append(row)
        return out
