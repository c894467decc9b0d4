"""Stagnation: species whose fitness has not improved for ``max_stagnation`` generations."""

from __future__ import annotations

import sys

from neuroflow.neat.config import ConfigParameter, DefaultClassConfig
from neuroflow.neat.math_util import stat_functions

__all__ = ["DefaultStagnation"]


class DefaultStagnation(DefaultClassConfig):
    """Marks stagnant species for removal, sparing the ``species_elitism`` fittest ones."""

    @classmethod
    def parse_config(cls, param_dict):
        config = DefaultClassConfig(
            param_dict,
            [
                ConfigParameter("species_fitness_func", str, "mean"),
                ConfigParameter("max_stagnation", int, 15),
                ConfigParameter("species_elitism", int, 0),
            ],
            "DefaultStagnation",
        )
        if config.species_fitness_func not in stat_functions:
            raise ValueError(
                f"Expected configuration item [DefaultStagnation] 'species_fitness_func' to be "
                f"one of {', '.join(stat_functions)}. Received: "
                f"species_fitness_func = {config.species_fitness_func!r}"
            )
        return config

    def __init__(self, config, reporters):
        self.stagnation_config = config
        self.species_fitness_func = stat_functions[config.species_fitness_func]
        self.reporters = reporters

    def update(self, species_set, generation):
        """``[(species id, species, is_stagnant), ...]`` in ascending species fitness."""
        data = []
        for sid in sorted(species_set.species):
            s = species_set.species[sid]
            prev = max(s.fitness_history) if s.fitness_history else -sys.float_info.max
            s.fitness = self.species_fitness_func(s.get_fitnesses())
            s.fitness_history.append(s.fitness)
            s.adjusted_fitness = None
            if s.fitness > prev:
                s.last_improved = generation
            data.append((sid, s))
        data.sort(key=lambda x: x[1].fitness)
        result = []
        elitism = self.stagnation_config.species_elitism
        num_non_stagnant = len(data)
        for idx, (sid, s) in enumerate(data):
            stagnant = False
            if num_non_stagnant > elitism:
                stagnant = generation - s.last_improved >= self.stagnation_config.max_stagnation
            if len(data) - idx <= elitism:
                stagnant = False
            if stagnant:
                num_non_stagnant -= 1
            result.append((sid, s, stagnant))
        return result
