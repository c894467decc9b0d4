"""Speciation: genomes closer than ``compatibility_threshold`` share a species."""

from __future__ import annotations

from itertools import count

import numpy as np

from neuroflow.neat.config import ConfigParameter, DefaultClassConfig
from neuroflow.neat.genome import _Population, distance_matrix

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
            d_old = distance_matrix(self._representatives(old, gc), pop, gc)
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
            first_reps = pop.subset(rep_pos)  # in species order: old is sorted
            rep_dist = list(distance_matrix(first_reps, pop, gc))
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
            rep_dist.append(distance_matrix(pop.subset([f]), pop, gc)[0])
            start = f + 1
        sids = np.array(rep_sids, np.int64)
        self.genome_to_species = dict(zip(ids, sids[assign].tolist()))
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(len(rep_sids) + 1)).tolist()
        order = order.tolist()
        by_sid = np.argsort(sids, kind="stable").tolist()
        reps = [genomes[rep_pos[k]] for k in by_sid]
        refs = [(g._nref, g._cref) for g in reps]
        if old and len(rep_pos) == len(old):  # no new species: the representatives above
            self._reps = (reps, refs, first_reps, range(len(old)))
        else:
            self._reps = (reps, refs, pop, [rep_pos[k] for k in by_sid])
        for k in by_sid:
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

    def _representatives(self, sids, genome_config) -> _Population:
        """The genes of species ``sids``' representatives. They are genomes of the population
        the last ``speciate`` sorted, which kept its tables (unless a program read or edited
        their genes since): their rows are taken from there, else gathered."""
        reps = [self.species[sid].representative for sid in sids]
        cached = getattr(self, "_reps", None)
        if cached is not None:
            genomes, refs, pop, positions = cached
            where = {id(g): k for k, g in enumerate(genomes)}
            ks = [where.get(id(g)) for g in reps]
            if None not in ks and [refs[k] for k in ks] == [(g._nref, g._cref) for g in reps]:
                at = [positions[k] for k in ks]
                return pop if at == list(range(len(pop.genomes))) else pop.subset(at)
        return _Population(reps, genome_config)

    def get_species_id(self, individual_id):
        return self.genome_to_species[individual_id]

    def get_species(self, individual_id):
        return self.species[self.genome_to_species[individual_id]]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_reps", None)  # a cache of genes the genomes hold anyway
        nxt = next(self.indexer)
        self.indexer = count(nxt)
        state["indexer"] = nxt
        return state

    def __setstate__(self, state):
        state = dict(state)
        state["indexer"] = count(state["indexer"])
        self.__dict__.update(state)
