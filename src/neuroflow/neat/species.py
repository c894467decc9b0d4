"""Speciation: genomes closer than ``compatibility_threshold`` share a species."""

from __future__ import annotations

from itertools import count

import numpy as np

from neuroflow.neat.config import ConfigParameter, DefaultClassConfig
from neuroflow.neat.genome import _Population, distance_matrix, distances_to

__all__ = ["DefaultSpeciesSet", "GenomeDistanceCache", "Species"]


class Species:
    """A species: its ``key``, ``representative``, ``members`` and fitness history."""

    def __init__(self, key, generation):
        self.key = key
        self.created = generation
        self.last_improved = generation
        self.representative = None
        self.members = {}
        self.fitness = None
        self.adjusted_fitness = None
        self.fitness_history = []

    def update(self, representative, members):
        self.representative = representative
        self.members = members

    def get_fitnesses(self):
        return [m.fitness for m in self.members.values()]


class GenomeDistanceCache:
    """``cache(g0, g1)``: the genomes' distance, computed once per pair (neat-python's)."""

    def __init__(self, config):
        self.distances = {}
        self.config = config
        self.hits = 0
        self.misses = 0

    def __call__(self, genome0, genome1):
        d = self.distances.get((genome0.key, genome1.key))
        if d is None:
            d = genome0.distance(genome1, self.config)
            self.distances[genome0.key, genome1.key] = self.distances[genome1.key, genome0.key] = d
            self.misses += 1
        else:
            self.hits += 1
        return d


class DefaultSpeciesSet(DefaultClassConfig):
    """neat-python's speciation, with each representative's distances to all genomes at once.

    Each old species takes as its new representative the unassigned genome closest to its
    old one (species in id order); then every other genome, in id order, joins the species
    with the closest representative under the threshold, or founds a new species.
    """

    def __init__(self, config, reporters):
        self.species_set_config = config
        self.reporters = reporters
        self.indexer = count(1)
        self.species = {}
        self.genome_to_species = {}

    @classmethod
    def parse_config(cls, param_dict):
        return DefaultClassConfig(
            param_dict, [ConfigParameter("compatibility_threshold", float)], "DefaultSpeciesSet"
        )

    def speciate(self, config, population, generation):
        if not isinstance(population, dict):
            raise TypeError(
                f"Expected `population` to be a dict of genome id -> genome. "
                f"Received: {type(population).__name__}"
            )
        threshold = self.species_set_config.compatibility_threshold
        gc = config.genome_config
        ids = sorted(population)
        genomes = [population[i] for i in ids]
        n = len(genomes)
        pop = _Population(genomes, gc)
        free = np.ones(n, bool)
        rep_pos, rep_sids = [], []  # representatives' positions and species
        seen = []  # distances neat-python's cache would hold, for the info line
        report = bool(getattr(self.reporters, "reporters", True))  # anyone to tell?
        old = sorted(self.species)
        if old:
            reps = _Population([self.species[sid].representative for sid in old], gc)
            d_old = distance_matrix(reps, pop, gc)
            for k, sid in enumerate(old):
                d = d_old[k]
                if report:
                    seen.append(d[free])
                j = int(np.argmin(np.where(free, d, np.inf)))
                free[j] = False
                rep_pos.append(j)
                rep_sids.append(sid)
        rep_dist = []
        if rep_pos:
            rep_dist = list(
                distance_matrix(_Population([genomes[j] for j in rep_pos], gc), pop, gc)
            )
        assign = np.full(n, -1, np.int64)
        for k, j in enumerate(rep_pos):
            assign[j] = k
        start = 0
        while True:
            pending = np.nonzero(assign[start:] < 0)[0] + start
            if len(pending) == 0:
                break
            if rep_dist:
                dm = np.stack(rep_dist)  # (reps, genomes)
                close = dm[:, pending] < threshold
                ok = close.any(axis=0)
                if report:
                    seen.append(dm[:, pending[ok]].ravel())
            else:
                ok = np.zeros(len(pending), bool)
            founders = np.nonzero(~ok)[0]
            stop = len(pending) if len(founders) == 0 else int(founders[0])
            if stop:
                sub = pending[:stop]
                dm_sub = np.where(dm[:, sub] < threshold, dm[:, sub], np.inf)
                assign[sub] = np.argmin(dm_sub, axis=0)
            if stop == len(pending):
                break
            f = int(pending[stop])
            if rep_dist and report:
                seen.append(dm[:, f])
            assign[f] = len(rep_pos)
            rep_pos.append(f)
            rep_sids.append(next(self.indexer))
            rep_dist.append(distances_to(genomes[f], pop, gc))
            start = f + 1
        sids = np.array(rep_sids, np.int64)
        self.genome_to_species = dict(zip(ids, sids[assign].tolist()))
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(len(rep_sids) + 1)).tolist()
        order = order.tolist()
        for k in np.argsort(sids, kind="stable").tolist():
            sid, rid = rep_sids[k], ids[rep_pos[k]]
            s = self.species.get(sid)
            if s is None:
                s = self.species[sid] = Species(sid, generation)
            members = order[bounds[k] : bounds[k + 1]]
            s.update(population[rid], {ids[j]: genomes[j] for j in members})
        if n > 1 and report:
            values = np.concatenate([np.ravel(v) for v in seen]) if seen else np.zeros(1)
            self.reporters.info(
                f"Mean genetic distance {values.mean():.3f}, standard deviation {values.std():.3f}"
            )

    def get_species_id(self, individual_id):
        return self.genome_to_species[individual_id]

    def get_species(self, individual_id):
        return self.species[self.genome_to_species[individual_id]]

    def __getstate__(self):
        state = self.__dict__.copy()
        nxt = next(self.indexer)
        self.indexer = count(nxt)
        state["indexer"] = nxt
        return state

    def __setstate__(self, state):
        state = dict(state)
        state["indexer"] = count(state["indexer"])
        self.__dict__.update(state)
