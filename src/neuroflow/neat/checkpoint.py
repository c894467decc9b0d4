"""Checkpoints of a NEAT run in neuroflow's safe format (JSON and arrays, no pickle).

A checkpoint is one zip file holding ``state.json`` (the configuration as INI text,
species, innovation numbers, the state of Python's ``random`` and of the NumPy generator)
and ``.npy`` arrays (every genome's genes). Loading it runs no code from it. It is
written atomically: a crash never leaves half a checkpoint.

As in neat-python 2.0, ``neat-checkpoint-N`` holds generation ``N`` before its
evaluation, and a restored population continues exactly as the original run would have.
"""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
import time
import zipfile
from itertools import count

import numpy as np

from neuroflow.neat._table import GeneTable, gather
from neuroflow.neat.attributes import NAMES, StringAttribute, intern
from neuroflow.neat.reporting import BaseReporter
from neuroflow.utils.files import atomic_path

__all__ = ["Checkpointer"]

FORMAT = "neuroflow.neat.checkpoint"
VERSION = 1
_DEFAULT_TYPES = {
    "genome_type": "DefaultGenome",
    "reproduction_type": "DefaultReproduction",
    "species_set_type": "DefaultSpeciesSet",
    "stagnation_type": "DefaultStagnation",
}


class Checkpointer(BaseReporter):
    """Saves the run every ``generation_interval`` generations or ``time_interval_seconds``.

    Args:
        generation_interval: generations between checkpoints (``None``: by time only).
        time_interval_seconds: seconds between checkpoints (``None``: by generation only).
        filename_prefix: the file of generation ``N`` is ``f"{filename_prefix}{N}"``.

    Examples
    --------
    >>> import os, tempfile, random
    >>> import neuroflow.neat as neat
    >>> d = tempfile.mkdtemp()
    >>> path = os.path.join(d, "config")
    >>> _ = open(path, "w").write(neat.config_example())
    >>> config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
    ...                      neat.DefaultSpeciesSet, neat.DefaultStagnation, path)
    >>> def eval_genomes(genomes, config):
    ...     for _, g in genomes:
    ...         g.fitness = 0.0
    >>> p = neat.Population(config, seed=0)
    >>> p.add_reporter(neat.Checkpointer(2, filename_prefix=os.path.join(d, "cp-")))
    >>> _ = p.run(eval_genomes, 2)  # doctest: +ELLIPSIS
    Saving checkpoint to ...cp-2
    >>> neat.Checkpointer.restore_checkpoint(os.path.join(d, "cp-2")).generation
    2
    """

    def __init__(
        self, generation_interval=100, time_interval_seconds=300, filename_prefix="neat-checkpoint-"
    ):
        for name, value in (
            ("generation_interval", generation_interval),
            ("time_interval_seconds", time_interval_seconds),
        ):
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ValueError(
                    f"Expected `{name}` to be a positive number or None. Received: {value!r}"
                )
        self.generation_interval = generation_interval
        self.time_interval_seconds = time_interval_seconds
        self.filename_prefix = os.fspath(filename_prefix)
        self.current_generation = None
        self.last_generation_checkpoint = 0
        self.last_time_checkpoint = time.time()

    def start_generation(self, generation):
        self.current_generation = generation

    def end_generation(self, config, population, species_set):
        due = False
        if self.time_interval_seconds is not None:
            due = time.time() - self.last_time_checkpoint >= self.time_interval_seconds
        next_generation = self.current_generation + 1
        if not due and self.generation_interval is not None:
            due = next_generation - self.last_generation_checkpoint >= self.generation_interval
        if due:
            self.save_checkpoint(config, population, species_set, next_generation)
            self.last_generation_checkpoint = next_generation
            self.last_time_checkpoint = time.time()

    def save_checkpoint(self, config, population, species_set, generation):
        """Writes generation ``generation``'s population, species and random states."""
        filename = f"{self.filename_prefix}{generation}"
        print(f"Saving checkpoint to {filename}")
        save(filename, config, population, species_set, generation)

    @staticmethod
    def restore_checkpoint(filename, new_config=None):
        """The :class:`Population` saved in ``filename``, ready to ``run`` on.

        ``new_config`` replaces the saved configuration (needed when the run used genome
        or reproduction classes of its own, or activation functions added in code).
        """
        return load(filename, new_config)


def _config_text(config) -> str:
    fd, tmp = tempfile.mkstemp(suffix=".ini")
    os.close(fd)
    try:
        config.save(tmp)
        with open(tmp) as f:
            return f.read()
    finally:
        os.unlink(tmp)


def _table_arrays(prefix, table: GeneTable, arrays: dict) -> list:
    arrays[f"{prefix}_keys"] = table.keys
    if table.innov is not None:
        arrays[f"{prefix}_innov"] = table.innov
    kinds = []
    for a, col in zip(table.attributes, table.cols):
        kinds.append(a.name)
        if isinstance(a, StringAttribute):
            names = sorted({NAMES[c] for c in np.unique(col).tolist()})
            lookup = np.full(len(NAMES), -1, np.int64)
            lookup[[intern(n) for n in names]] = np.arange(len(names))
            arrays[f"{prefix}_{a.name}"] = lookup[col]
            kinds[-1] = [a.name, names]
        else:
            arrays[f"{prefix}_{a.name}"] = col
    return kinds


def save(filename, config, population, species_set, generation) -> None:
    """Writes a checkpoint (see :class:`Checkpointer`)."""
    gc = config.genome_config
    ids = list(population)
    genomes = [population[i] for i in ids]
    extra = [
        s.representative
        for s in species_set.species.values()
        if s.representative is not None
        and population.get(s.representative.key) is not s.representative
    ]
    all_genomes = genomes + extra
    nodes, ncounts = gather([g.node_ref(gc) for g in all_genomes], gc.node_gene_type, False)
    conns, ccounts = gather(
        [g.connection_ref(gc) for g in all_genomes], gc.connection_gene_type, True
    )
    arrays = {
        "node_counts": ncounts,
        "conn_counts": ccounts,
        "fitness": np.array(
            [np.nan if g.fitness is None else g.fitness for g in all_genomes], np.float64
        ),
        "has_fitness": np.array([g.fitness is not None for g in all_genomes]),
    }
    node_cols = _table_arrays("node", nodes, arrays)
    conn_cols = _table_arrays("conn", conns, arrays)
    tracker = getattr(gc, "innovation_tracker", None)
    rng = getattr(gc, "rng", None)
    indexer = gc.node_indexer
    next_node = None
    if indexer is not None:
        next_node = next(indexer)
        gc.node_indexer = count(next_node)
    next_species = next(species_set.indexer)
    species_set.indexer = count(next_species)
    version, state, gauss_next = random.getstate()
    types = {k: getattr(config, k).__name__ for k in _DEFAULT_TYPES}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "generation": int(generation),
        "config": _config_text(config),
        "types": types,
        "genome_keys": [g.key for g in all_genomes],
        "population": ids,
        "species": [
            {
                "key": s.key,
                "created": s.created,
                "last_improved": s.last_improved,
                "representative": None if s.representative is None else s.representative.key,
                "members": list(s.members),
                "fitness": s.fitness,
                "adjusted_fitness": s.adjusted_fitness,
                "fitness_history": s.fitness_history,
            }
            for s in species_set.species.values()
        ],
        "next_species": next_species,
        "next_node": next_node,
        "node_columns": node_cols,
        "conn_columns": conn_cols,
        "innovation": None
        if tracker is None
        else {
            "global_counter": tracker.global_counter,
            "generation": [[list(k), v] for k, v in tracker.generation_innovations.items()],
        },
        "random": {"version": version, "gauss_next": gauss_next},
        "numpy": None if rng is None else rng.bit_generator.state,
    }
    arrays["random_state"] = np.array(state, np.uint64)
    with atomic_path(filename) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("state.json", json.dumps(meta))
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
                zf.writestr(f"{name}.npy", buf.getvalue())


def _read(filename):
    try:
        zf = zipfile.ZipFile(filename)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(
            f"{filename!r} is not a neuroflow NEAT checkpoint (a zip of state.json and "
            f"arrays; neat-python's pickled checkpoints cannot be read safely): {e}"
        ) from None
    with zf:
        meta = json.loads(zf.read("state.json"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{filename!r} is not a neuroflow NEAT checkpoint.")
        arrays = {}
        for name in zf.namelist():
            if name.endswith(".npy"):
                with zf.open(name) as f:
                    arrays[name[:-4]] = np.lib.format.read_array(
                        io.BytesIO(f.read()), allow_pickle=False
                    )
    return meta, arrays


def _table(prefix, gene_type, columns, arrays, connection):
    cols = []
    for a, spec in zip(gene_type._gene_attributes, columns):
        col = arrays[f"{prefix}_{a.name}"]
        if isinstance(spec, list):
            codes = np.array([intern(n) for n in spec[1]], np.int64)
            col = codes[col] if len(codes) else col.astype(np.int64)
        cols.append(col.astype(a.dtype, copy=False))
    innov = arrays[f"{prefix}_innov"] if connection else None
    return GeneTable(gene_type, arrays[f"{prefix}_keys"], cols, innov)


def load(filename, new_config=None):
    """Reads a checkpoint into a :class:`Population` (see :class:`Checkpointer`)."""
    import neuroflow.neat as neat
    from neuroflow.neat.population import Population
    from neuroflow.neat.species import Species

    meta, arrays = _read(os.fspath(filename))
    if new_config is None:
        if meta["types"] != _DEFAULT_TYPES:
            raise ValueError(
                f"The checkpoint was made with {meta['types']}; pass `new_config` built with "
                f"those classes to restore it."
            )
        fd, tmp = tempfile.mkstemp(suffix=".ini")
        os.close(fd)
        try:
            with open(tmp, "w") as f:
                f.write(meta["config"])
            config = neat.Config(
                neat.DefaultGenome,
                neat.DefaultReproduction,
                neat.DefaultSpeciesSet,
                neat.DefaultStagnation,
                tmp,
            )
        finally:
            os.unlink(tmp)
    else:
        config = new_config
    gc = config.genome_config
    nodes = _table("node", gc.node_gene_type, meta["node_columns"], arrays, False)
    conns = _table("conn", gc.connection_gene_type, meta["conn_columns"], arrays, True)
    nc, cc = arrays["node_counts"], arrays["conn_counts"]
    nlo, clo = np.cumsum(nc) - nc, np.cumsum(cc) - cc
    genomes = {}
    fitness, has = arrays["fitness"], arrays["has_fitness"]
    for i, key in enumerate(meta["genome_keys"]):
        g = config.genome_type(key)
        g._set_refs(
            (nodes, int(nlo[i]), int(nlo[i] + nc[i])), (conns, int(clo[i]), int(clo[i] + cc[i]))
        )
        g.fitness = float(fitness[i]) if has[i] else None
        genomes[key] = g
    population = {k: genomes[k] for k in meta["population"]}
    species_set = config.species_set_type(config.species_set_config, None)
    species_set.indexer = count(meta["next_species"])
    for s_meta in meta["species"]:
        s = Species(s_meta["key"], s_meta["created"])
        s.last_improved = s_meta["last_improved"]
        rep = s_meta["representative"]
        s.update(
            None if rep is None else genomes[rep], {k: population[k] for k in s_meta["members"]}
        )
        s.fitness, s.adjusted_fitness = s_meta["fitness"], s_meta["adjusted_fitness"]
        s.fitness_history = list(s_meta["fitness_history"])
        species_set.species[s.key] = s
        for k in s.members:
            species_set.genome_to_species[k] = s.key
    pop = Population(config, (population, species_set, meta["generation"]))
    gc.node_indexer = None if meta["next_node"] is None else count(meta["next_node"])
    inn = meta["innovation"]
    if inn is not None:
        tracker = pop.reproduction.innovation_tracker
        tracker.global_counter = inn["global_counter"]
        tracker.generation_innovations = {tuple(k): v for k, v in inn["generation"]}
        gc.innovation_tracker = tracker
    r = meta["random"]
    random.setstate((r["version"], tuple(int(x) for x in arrays["random_state"]), r["gauss_next"]))
    if meta["numpy"] is not None:
        pop.reproduction.rng.bit_generator.state = meta["numpy"]
    gc.rng = pop.reproduction.rng
    return pop
