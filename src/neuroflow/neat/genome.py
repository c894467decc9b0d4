"""Genomes: node and connection genes with historical markings (neat-python's ``DefaultGenome``).

A genome reads like neat-python's: ``genome.key``, ``genome.fitness``, ``genome.nodes``
(node key -> :class:`~neuroflow.neat.genes.DefaultNodeGene`) and ``genome.connections``
((input, output) -> :class:`~neuroflow.neat.genes.DefaultConnectionGene`), with
``mutate``, ``configure_crossover``, ``distance`` and ``size``. Underneath, its genes are
rows of a :class:`~neuroflow.neat._table.GeneTable` shared by its generation, so that
reproduction breeds, mutates and compares a whole generation with array operations
(:func:`offspring`, :func:`distances_to`); ``nodes`` and ``connections`` are made from
those rows the first time a program reads them, and from then on they are the genome's
genes (edits to them count).

Random numbers: array operations draw from ``config.genome_config.rng`` (a NumPy
generator that :class:`~neuroflow.neat.Population` seeds from Python's ``random``, so
``random.seed(s)`` makes a run repeat), and choices made one mutation at a time (which
connection to split, which nodes to join) use Python's ``random`` as neat-python does.
"""

from __future__ import annotations

import random
import sys
from itertools import count
from operator import attrgetter

import numpy as np

from neuroflow.neat import _mutation
from neuroflow.neat._mutation import new_rows as _new_rows
from neuroflow.neat._table import GeneTable, gather, ranges
from neuroflow.neat.activations import ActivationFunctionSet
from neuroflow.neat.aggregations import AggregationFunctionSet
from neuroflow.neat.attributes import FloatAttribute, IntegerAttribute
from neuroflow.neat.config import ConfigParameter, write_pretty_params
from neuroflow.neat.genes import DefaultConnectionGene, DefaultNodeGene
from neuroflow.neat.graphs import required_for_output
from neuroflow.neat.innovation import InnovationTracker

__all__ = ["DefaultGenome", "DefaultGenomeConfig", "distances_to", "offspring"]


class DefaultGenomeConfig:
    """The ``[DefaultGenome]`` section: sizes, mutation rates and the gene attributes' settings."""

    allowed_connectivity = [
        "unconnected",
        "fs_neat_nohidden",
        "fs_neat",
        "fs_neat_hidden",
        "full_nodirect",
        "full",
        "full_direct",
        "partial_nodirect",
        "partial",
        "partial_direct",
    ]

    def __init__(self, params: dict, section_name: str = "DefaultGenome"):
        self.activation_defs = ActivationFunctionSet()
        self.aggregation_function_defs = AggregationFunctionSet()
        self.aggregation_defs = self.aggregation_function_defs
        self._params = [
            ConfigParameter("num_inputs", int),
            ConfigParameter("num_outputs", int),
            ConfigParameter("num_hidden", int),
            ConfigParameter("feed_forward", bool),
            ConfigParameter("compatibility_disjoint_coefficient", float),
            ConfigParameter("compatibility_weight_coefficient", float),
            ConfigParameter("conn_add_prob", float),
            ConfigParameter("conn_delete_prob", float),
            ConfigParameter("node_add_prob", float),
            ConfigParameter("node_delete_prob", float),
            ConfigParameter("single_structural_mutation", bool, "false"),
            ConfigParameter("structural_mutation_surer", str, "default"),
            ConfigParameter("initial_connection", str, "unconnected"),
        ]
        params = dict(params)
        self.node_gene_type = params.pop("node_gene_type", DefaultNodeGene)
        self.connection_gene_type = params.pop("connection_gene_type", DefaultConnectionGene)
        self._params += self.node_gene_type.get_config_params()
        self._params += self.connection_gene_type.get_config_params()
        for p in self._params:
            setattr(self, p.name, p.interpret(params, section_name))
        from neuroflow.neat.config import _check_unknown

        _check_unknown(params, [p.name for p in self._params], section_name)
        for name in ("num_inputs", "num_outputs"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"Expected configuration item [{section_name}] '{name}' to be a positive "
                    f"integer. Received: {name} = {getattr(self, name)}"
                )
        if self.num_hidden < 0:
            raise ValueError(
                f"Expected configuration item [{section_name}] 'num_hidden' to be >= 0. "
                f"Received: num_hidden = {self.num_hidden}"
            )
        self.node_gene_type.validate_attributes(self)
        self.connection_gene_type.validate_attributes(self)
        for name in ("activation", "aggregation"):
            defs = self.activation_defs if name == "activation" else self.aggregation_defs
            for option in getattr(self, f"{name}_options", []):
                if not defs.is_valid(option):
                    raise ValueError(
                        f"Expected the names in [{section_name}] '{name}_options' to be "
                        f"{name} functions ({', '.join(sorted(defs.functions))}). "
                        f"Received: {option!r}"
                    )
        self.input_keys = [-i - 1 for i in range(self.num_inputs)]
        self.output_keys = list(range(self.num_outputs))
        self.connection_fraction = None
        mode = self.initial_connection.split()
        if mode and "partial" in mode[0]:
            if len(mode) != 2:
                raise ValueError(
                    f"Expected [{section_name}] 'initial_connection' = {mode[0]} <fraction>, "
                    f"such as `partial_nodirect 0.5`. Received: {self.initial_connection!r}"
                )
            self.connection_fraction = ConfigParameter("initial_connection", float).convert(
                mode[1], section_name
            )
            if not 0 <= self.connection_fraction <= 1:
                raise ValueError(
                    f"Expected the 'partial' connection fraction of [{section_name}] "
                    f"'initial_connection' to be in [0, 1]. Received: {self.connection_fraction}"
                )
            mode = mode[:1]
        if len(mode) != 1 or mode[0] not in self.allowed_connectivity:
            raise ValueError(
                f"Expected configuration item [{section_name}] 'initial_connection' to be one "
                f"of {', '.join(self.allowed_connectivity)} (partial ones followed by a "
                f"fraction). Received: initial_connection = {self.initial_connection!r}"
            )
        self.initial_connection = mode[0]
        surer = self.structural_mutation_surer.lower()
        if surer in ("1", "yes", "true", "on"):
            self.structural_mutation_surer = "true"
        elif surer in ("0", "no", "false", "off"):
            self.structural_mutation_surer = "false"
        elif surer == "default":
            self.structural_mutation_surer = "default"
        else:
            raise ValueError(
                f"Expected configuration item [{section_name}] 'structural_mutation_surer' to "
                f"be true, false or default. Received: {self.structural_mutation_surer!r}"
            )
        self.node_indexer = None
        self.innovation_tracker = None
        self.rng = None

    def add_activation(self, name, func, vectorized=None):
        """Registers an activation function (``vectorized``: its NumPy version, optional)."""
        self.activation_defs.add(name, func, vectorized)

    def add_aggregation(self, name, func):
        self.aggregation_function_defs.add(name, func)

    def save(self, f):
        if self.initial_connection.startswith("partial"):
            f.write(
                f"initial_connection      = {self.initial_connection} {self.connection_fraction}\n"
            )
        else:
            f.write(f"initial_connection      = {self.initial_connection}\n")
        write_pretty_params(f, self, [p for p in self._params if p.name != "initial_connection"])

    def get_new_node_key(self, node_dict) -> int:
        if self.node_indexer is None:
            keys = list(node_dict)
            self.node_indexer = count(max(keys) + 1 if keys else self.num_outputs)
        return next(self.node_indexer)

    def check_structural_mutation_surer(self) -> bool:
        if self.structural_mutation_surer == "default":
            return self.single_structural_mutation
        return self.structural_mutation_surer == "true"

    def get_rng(self) -> np.random.Generator:
        """The generator for array draws (made from Python's ``random`` if none was set)."""
        if self.rng is None:
            self.rng = np.random.default_rng(random.getrandbits(64))
        return self.rng

    def get_innovation_tracker(self) -> InnovationTracker:
        if self.innovation_tracker is None:
            self.innovation_tracker = InnovationTracker()
        return self.innovation_tracker

    def __getstate__(self):
        state = self.__dict__.copy()
        if self.node_indexer is not None:
            nxt = next(self.node_indexer)
            self.node_indexer = count(nxt)
            state["node_indexer"] = nxt
        state["rng"] = None
        return state

    def __setstate__(self, state):
        if isinstance(state.get("node_indexer"), int):
            state["node_indexer"] = count(state["node_indexer"])
        self.__dict__.update(state)


class DefaultGenome:
    """A genome for feed-forward or recurrent networks (neat-python's ``DefaultGenome``).

    Input pins have keys ``-1, -2, ...``; output nodes ``0, 1, ...`` (they may change but
    are never deleted); hidden nodes get new keys as they are added.

    Examples
    --------
    >>> import os, tempfile, random
    >>> import neuroflow.neat as neat
    >>> path = os.path.join(tempfile.mkdtemp(), "config")
    >>> _ = open(path, "w").write(neat.config_example())
    >>> config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
    ...                      neat.DefaultSpeciesSet, neat.DefaultStagnation, path)
    >>> random.seed(0)
    >>> genome = neat.DefaultGenome(1)
    >>> genome.configure_new(config.genome_config)
    >>> sorted(genome.connections), genome.size()
    ([(-2, 0), (-1, 0)], (1, 2))
    """

    _nref = _cref = None  # for subclasses whose __init__ does not call this one's

    @classmethod
    def parse_config(cls, param_dict):
        param_dict = dict(param_dict)
        param_dict.setdefault("node_gene_type", DefaultNodeGene)
        param_dict.setdefault("connection_gene_type", DefaultConnectionGene)
        return DefaultGenomeConfig(param_dict, cls.__name__)

    @classmethod
    def write_config(cls, f, config):
        config.save(f)

    def __init__(self, key):
        self.key = key
        self.fitness = None
        self._nref = self._cref = None  # (GeneTable, lo, hi) while the table holds the genes
        self._nodes = {}  # gene objects once read (then they hold the genes)
        self._connections = {}

    # -- genes as objects (neat-python's view) and as table rows ------------------------
    @property
    def nodes(self) -> dict:
        if self._nodes is None:
            t, lo, hi = self._nref
            self._nodes, self._nref = t.to_genes(lo, hi), _leave(self._nref)
        return self._nodes

    @nodes.setter
    def nodes(self, value):
        self._nodes, self._nref = value, _leave(self._nref)

    @property
    def connections(self) -> dict:
        if self._connections is None:
            t, lo, hi = self._cref
            self._connections, self._cref = t.to_genes(lo, hi), _leave(self._cref)
        return self._connections

    @connections.setter
    def connections(self, value):
        self._connections, self._cref = value, _leave(self._cref)

    def _set_refs(self, nref, cref):
        _leave(self._nref)
        _leave(self._cref)
        self._nref, self._cref = nref, cref
        self._nodes = self._connections = None

    def node_ref(self, genome_config=None):
        """``(table, lo, hi)``: where this genome's node genes are rows."""
        if self._nodes is None:
            return self._nref
        gene_type = getattr(genome_config, "node_gene_type", None) or _gene_type(
            self._nodes, DefaultNodeGene
        )
        return GeneTable.from_genes(gene_type, self._nodes, False), 0, len(self._nodes)

    def connection_ref(self, genome_config=None):
        """``(table, lo, hi)``: where this genome's connection genes are rows."""
        if self._connections is None:
            return self._cref
        gene_type = getattr(genome_config, "connection_gene_type", None) or _gene_type(
            self._connections, DefaultConnectionGene
        )
        t = GeneTable.from_genes(gene_type, self._connections, True)
        return t, 0, len(self._connections)

    def __getstate__(self):
        state = {"key": self.key, "fitness": self.fitness}
        for name, ref in (("nodes", self.node_ref()), ("connections", self.connection_ref())):
            t, lo, hi = ref
            state[name] = t.take(np.arange(lo, hi)).to_portable()
        extra = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("key", "fitness", "_nref", "_cref", "_nodes", "_connections")
        }
        state["extra"] = extra
        return state

    def __setstate__(self, state):
        self.key, self.fitness = state["key"], state["fitness"]
        n = GeneTable.from_portable(state["nodes"])
        c = GeneTable.from_portable(state["connections"])
        self._set_refs((n, 0, len(n)), (c, 0, len(c)))
        self.__dict__.update(state.get("extra", {}))

    def __deepcopy__(self, memo):
        new = type(self).__new__(type(self))
        new.__setstate__(self.__getstate__())
        return new

    # -- neat-python's methods ------------------------------------------------------------
    def configure_new(self, config):
        """Makes this a new genome of ``config``: outputs, hidden nodes, initial connections."""
        (new,) = new_genomes(type(self), config, [self.key])
        self._set_refs(new._nref, new._cref)

    def configure_crossover(self, genome1, genome2, config):
        """Makes this the child of ``genome1`` and ``genome2``: matching genes (same
        innovation number) from either parent at random, the others from the fitter one."""
        _, pop, _ = _crossover(config, [(self.key, genome1, genome2)], type(self))
        pop.genomes = [self]
        pop.adopt()

    def mutate(self, config):
        """Structural mutations (with the configured probabilities), then every gene's."""
        _mutate(config, [self])

    def _edit(self, config, op):
        """One structural mutation of this genome (choices drawn from Python's ``random``)."""
        pop = _Population([self], config if config is not None else _Bare(self))
        rng = config.get_rng() if config is not None else None
        batch = _mutation._Batch(config, pop, rng, _python_uniform)
        result = op(batch, np.zeros(1, np.int64))
        batch.finish().adopt()
        return result

    def mutate_add_node(self, config):
        self._edit(config, _mutation._Batch.add_node)

    def mutate_add_connection(self, config):
        self._edit(config, _mutation._Batch.add_connection)

    def mutate_delete_node(self, config):
        """Removes a random non-output node and its connections; returns its key (or -1)."""
        return int(self._edit(config, _mutation._Batch.delete_node)[0])

    def mutate_delete_connection(self):
        self._edit(None, _mutation._Batch.delete_connection)

    def add_connection(self, config, input_key, output_key, weight, enabled, innovation=None):
        """Adds the connection ``(input_key, output_key)`` with ``weight`` and ``enabled``."""
        if innovation is None:
            innovation = config.get_innovation_tracker().get_innovation_number(
                input_key, output_key, "add_connection"
            )
        cg = config.connection_gene_type((input_key, output_key), innovation=innovation)
        cg.init_attributes(config)
        cg.weight, cg.enabled = weight, enabled
        self.connections[cg.key] = cg

    def distance(self, other, config) -> float:
        """The compatibility distance (disjoint and attribute differences, per gene count)."""
        return float(distances_to(self, _Population([other], config), config)[0])

    def size(self):
        """``(number of nodes, number of enabled connections)``."""
        t, lo, hi = self.connection_ref()
        enabled = t.col("enabled")
        n_enabled = int(enabled[lo:hi].sum()) if enabled is not None else hi - lo
        nt, nlo, nhi = self.node_ref()
        return nhi - nlo, n_enabled

    def __str__(self):
        s = f"Key: {self.key}\nFitness: {self.fitness}\nNodes:"
        for k, ng in self.nodes.items():
            s += f"\n\t{k} {ng!s}"
        s += "\nConnections:"
        for c in sorted(self.connections.values()):
            s += "\n\t" + str(c)
        return s

    @staticmethod
    def create_node(config, node_id):
        node = config.node_gene_type(node_id)
        node.init_attributes(config)
        return node

    @staticmethod
    def create_connection(config, input_id, output_id, innovation=None):
        connection = config.connection_gene_type((input_id, output_id), innovation=innovation)
        connection.init_attributes(config)
        return connection

    def compute_full_connections(self, config, direct):
        """Input -> hidden -> output links (and input -> output if ``direct`` or no hidden)."""
        return _full_connections(config, list(self.nodes), direct)

    def get_pruned_copy(self, genome_config):
        """A copy without the nodes and connections no output depends on."""
        enabled = [k for k, cg in self.connections.items() if cg.enabled]
        used = required_for_output(genome_config.input_keys, genome_config.output_keys, enabled)
        pins = used | set(genome_config.input_keys)
        new = type(self)(None)
        new.nodes = {n: self.nodes[n].copy() for n in used}
        new.connections = {
            k: cg.copy()
            for k, cg in self.connections.items()
            if cg.enabled and k[0] in pins and k[1] in pins
        }
        return new


def _gene_type(genes: dict, default):
    return type(next(iter(genes.values()))) if genes else default


def _full_connections(config, node_keys, direct):
    hidden = [i for i in node_keys if i not in config.output_keys]
    output = [i for i in node_keys if i in config.output_keys]
    links = []
    if hidden:
        links += [(i, h) for i in config.input_keys for h in hidden]
        links += [(h, o) for h in hidden for o in output]
    if direct or not hidden:
        links += [(i, o) for i in config.input_keys for o in output]
    if not config.feed_forward:
        links += [(i, i) for i in node_keys]
    return links


def _leave(ref) -> None:
    """Notes that a genome's genes no longer are the rows ``ref`` of its table (they were
    read as objects, or replaced): the layout the table noted no longer holds. None."""
    if ref is not None:
        ref[0].layout = None


_NREF = attrgetter("_nref")
_CREF = attrgetter("_cref")


def _refs(genomes, genome_config, conn: bool) -> list:
    """Every genome's ``(table, lo, hi)`` (tables made for genomes read as objects)."""
    try:
        refs = list(map(_CREF if conn else _NREF, genomes))
    except AttributeError:
        refs = [None]
    if None in refs:
        if conn:
            return [g.connection_ref(genome_config) for g in genomes]
        return [g.node_ref(genome_config) for g in genomes]
    return refs


def _gathered(genomes, genome_config, connection: bool):
    """``(table, counts, owner)`` of the genomes' node or connection genes (see
    :func:`gather`). When ``genomes`` are the genomes that adopted a table, in order, that
    table as it is: its layout note lists them, and any genome leaving it drops the note."""
    ref = getattr(genomes[0], "_cref" if connection else "_nref", None) if genomes else None
    if ref is not None:
        layout = ref[0].layout
        if layout is not None and layout[2] == genomes:
            return ref[0], layout[0], layout[1]
    refs = _refs(genomes, genome_config, connection)
    gc = genome_config
    table, counts = gather(
        refs, gc.connection_gene_type if connection else gc.node_gene_type, connection
    )
    return table, counts, np.repeat(np.arange(len(refs)), counts)


class _Population:
    """The genes of a list of genomes gathered into two tables (rows grouped by genome).

    ``nodes``/``conns``: the tables; ``node_counts``/``conn_counts``: rows per genome;
    ``node_owner``/``conn_owner``: each row's genome (its position in ``genomes``). A
    generation made by reproduction lives in one table pair in genome order, so gathering
    it again is free (the tables themselves).
    """

    __slots__ = (
        "genomes",
        "nodes",
        "conns",
        "node_counts",
        "conn_counts",
        "node_owner",
        "conn_owner",
    )

    def __init__(self, genomes, genome_config):
        self.genomes = genomes
        self.nodes, self.node_counts, self.node_owner = _gathered(genomes, genome_config, False)
        self.conns, self.conn_counts, self.conn_owner = _gathered(genomes, genome_config, True)

    @classmethod
    def of_tables(cls, genomes, nodes, conns, node_counts, conn_counts):
        """The population whose genome ``i`` has the ``node_counts[i]`` rows of ``nodes`` after
        those of genomes ``0..i-1`` (and likewise for ``conns``); the genomes are not touched."""
        self = object.__new__(cls)
        self.genomes = genomes
        self.nodes, self.conns = nodes, conns
        self.node_counts, self.conn_counts = node_counts, conn_counts
        n = len(genomes)
        self.node_owner = np.repeat(np.arange(n), node_counts)
        self.conn_owner = np.repeat(np.arange(n), conn_counts)
        return self

    def subset(self, positions) -> _Population:
        """The population of the genomes at ``positions`` (in that order), their rows taken
        from these tables; the genomes are not touched."""
        pos = np.asarray(positions, np.int64)
        tables = []
        for table, counts in ((self.nodes, self.node_counts), (self.conns, self.conn_counts)):
            c = counts[pos]
            tables.append((table.take(ranges((counts.cumsum() - counts)[pos], c)), c))
        (nodes, ncounts), (conns, ccounts) = tables
        genomes = [self.genomes[i] for i in pos.tolist()]
        return _Population.of_tables(genomes, nodes, conns, ncounts, ccounts)

    def adopt(self):
        """Points every genome at its rows of the tables (and notes that layout on the tables,
        so gathering these genomes again takes the tables as they are)."""
        nodes, conns = self.nodes, self.conns
        nhi = np.cumsum(self.node_counts).tolist()
        chi = np.cumsum(self.conn_counts).tolist()
        nrefs = [(nodes, a, b) for a, b in zip([0] + nhi[:-1], nhi)]
        crefs = [(conns, c, d) for c, d in zip([0] + chi[:-1], chi)]
        for g, nref, cref in zip(self.genomes, nrefs, crefs):
            # a genome leaving other tables (an elite of the last generation) ends their layout
            if g._nref is not None and g._nref[0] is not nodes:
                _leave(g._nref)
            if g._cref is not None and g._cref[0] is not conns:
                _leave(g._cref)
            g._nref, g._cref = nref, cref
            g._nodes = g._connections = None
        genomes = list(self.genomes)
        nodes.layout = (self.node_counts, self.node_owner, genomes)
        conns.layout = (self.conn_counts, self.conn_owner, genomes)
        return self


def consolidate(genomes, genome_config) -> None:
    """Moves the genes of ``genomes`` (those not read as objects) into one table, in order.

    A generation then lives in one table, so gathering it again is free.
    """
    table_backed = [g for g in genomes if g._nodes is None and g._connections is None]
    if table_backed:
        pop = _Population(table_backed, genome_config)
        _Population.of_tables(
            table_backed, pop.nodes, pop.conns, pop.node_counts, pop.conn_counts
        ).adopt()


def new_genomes(genome_type, config, keys):
    """New genomes (``configure_new``) for every key, their attributes drawn at once."""
    rng = config.get_rng()
    tracker = config.get_innovation_tracker()
    node_keys, conn_keys, counts = [], [], []
    mode = config.initial_connection
    for _ in keys:
        nodes = list(config.output_keys)
        for _ in range(config.num_hidden):
            nodes.append(config.get_new_node_key(nodes))
        if mode.startswith("fs_neat"):
            if mode == "fs_neat" and config.num_hidden > 0:
                print(
                    "Warning: initial_connection = fs_neat will not connect to hidden nodes;"
                    "\n\tif this is desired, set initial_connection = fs_neat_nohidden;"
                    "\n\tif not, set initial_connection = fs_neat_hidden",
                    file=sys.stderr,
                )
            i = random.choice(config.input_keys)
            if mode == "fs_neat_hidden":
                links = [(i, o) for o in nodes]
            else:
                links = [(i, o) for o in config.output_keys]
        elif mode.startswith("full") or mode.startswith("partial"):
            direct = mode.endswith("_direct")
            if mode in ("full", "partial") and config.num_hidden > 0:
                print(
                    f"Warning: initial_connection = {mode} with hidden nodes will not do "
                    "direct input-output connections;",
                    file=sys.stderr,
                )
            links = _full_connections(config, nodes, direct)
            if mode.startswith("partial"):
                random.shuffle(links)
                links = links[: int(round(len(links) * config.connection_fraction))]
        else:
            links = []
        node_keys += nodes
        conn_keys += links
        counts.append((len(nodes), len(links)))
    innov = [tracker.get_innovation_number(i, o, "initial_connection") for i, o in conn_keys]
    nt = _new_rows(config.node_gene_type, config, np.array(node_keys, np.int64), rng)
    ct = _new_rows(
        config.connection_gene_type,
        config,
        np.array(conn_keys, np.int64).reshape(-1, 2),
        rng,
        np.array(innov, np.int64),
    )
    genomes = _shells(genome_type, keys)
    counts = np.array(counts, np.int64).reshape(-1, 2)
    _Population.of_tables(genomes, nt, ct, counts[:, 0], counts[:, 1]).adopt()
    return genomes


def _key_codes(keys2):
    """One int64 per (input, output) key, equal exactly when the keys are equal."""
    if len(keys2) == 0:
        return np.zeros(0, np.int64)
    a, b = keys2[:, 0], keys2[:, 1]  # columns: a reduction over a short axis is slow
    lo_b = b.min()
    return (a - a.min()) * (int(b.max() - lo_b) + 1) + (b - lo_b)


def _match(owner_q, code_q, owner_t, code_t):
    """For each query (owner, code), the row of the target with the same pair, or -1.

    The query codes are codes of target rows (so they lie within the target's range)."""
    if len(code_t) == 0 or len(code_q) == 0:
        return np.full(len(code_q), -1, np.int64)
    lo = int(code_t.min())
    span = int(code_t.max()) - lo + 1
    n_owners = int(owner_t.max()) + 1
    if n_owners * span >= 2**62:  # too wide to combine: rank the codes first
        both = np.concatenate([code_q, code_t])
        _, inv = np.unique(both, return_inverse=True)
        inv = inv.reshape(-1)
        code_q, code_t, lo, span = inv[: len(code_q)], inv[len(code_q) :], 0, int(inv.max()) + 1
    t = owner_t * span + (code_t - lo)
    q = owner_q * span + (code_q - lo)
    order = np.argsort(t)
    ts = t[order]
    pos = np.minimum(np.searchsorted(ts, q), len(ts) - 1)
    return np.where(ts[pos] == q, order[pos], -1)


def _parents(genomes, config, population=None):
    """``(population, positions)``: a population holding every genome of ``genomes`` (the
    whole generation ``population`` when given and they are all in it, which is one table
    already) and the position of each of ``genomes`` there."""
    ids = list(map(id, genomes))
    if population is not None:
        index = dict(zip(map(id, population), range(len(population))))
        if all(map(index.__contains__, ids)):
            pos = np.fromiter(map(index.__getitem__, ids), np.int64, len(genomes))
            return _Population(population, config), pos
    unique = list(dict(zip(ids, genomes)).values())
    index = dict(zip(map(id, unique), range(len(unique))))
    pos = np.fromiter(map(index.__getitem__, ids), np.int64, len(genomes))
    return _Population(unique, config), pos


def _crossover(config, children, genome_type, population=None):
    """Children ``(key, parent_a, parent_b)`` by crossover, all at once (not yet mutated);
    ``population``: the generation the parents come from, if known.

    Returns the children (no genes yet), a :class:`_Population` of their genes and the
    :class:`_Population` the parents' genes were read from."""
    rng = config.get_rng()
    keys, first, second = zip(*children)
    n = len(keys)
    pop, pos = _parents(first + second, config, population)
    # neat-python: genome1 if genome1.fitness > genome2.fitness else genome2
    a_fitter = np.array([a.fitness > b.fitness for a, b in zip(first, second)], bool)
    fitter = np.where(a_fitter, pos[:n], pos[n:])
    other = np.where(a_fitter, pos[n:], pos[:n])
    tables = []
    for table, counts, owner, conn in (
        (pop.nodes, pop.node_counts, pop.node_owner, False),
        (pop.conns, pop.conn_counts, pop.conn_owner, True),
    ):
        starts = np.cumsum(counts) - counts
        n1 = counts[fitter]
        rows = ranges(starts[fitter], n1)  # every gene of the fitter parent
        child_owner = np.repeat(np.arange(n), n1)
        if conn:
            codes = _key_codes(table.keys) * (int(table.innov.max(initial=-1)) + 2) + (
                table.innov + 1
            )
        else:
            codes = table.keys
        mate = _match(other[child_owner], codes[rows], owner, codes)
        child = table.take(rows)
        matched = np.nonzero(mate >= 0)[0]
        if len(matched):
            # neat-python: an attribute comes from the fitter parent when random() > 0.5
            take_other = rng.random((len(child.cols), len(matched))) <= 0.5
            for j, col in enumerate(child.cols):
                sel = matched[take_other[j]]
                col[sel] = table.cols[j][mate[sel]]
            if conn and child.col("enabled") is not None:
                enabled = child.col("enabled")
                either_off = ~(
                    table.col("enabled")[rows[matched]] & table.col("enabled")[mate[matched]]
                )
                off = matched[either_off & (rng.random(len(matched)) < 0.75)]
                enabled[off] = False
        tables.append((child, n1))
    (nt, ncount), (ct, ccount) = tables
    kids = _shells(genome_type, keys)
    return kids, _Population.of_tables(kids, nt, ct, ncount, ccount), pop


def _shells(genome_type, keys) -> list:
    """``genome_type(key)`` for every key, for genes to be adopted next; when the type's
    ``__init__`` is DefaultGenome's, without making the empty gene dicts adopting replaces
    (a generation's worth of garbage)."""
    if genome_type.__init__ is not DefaultGenome.__init__:
        return [genome_type(key) for key in keys]
    new, kids = object.__new__, []
    for key in keys:
        g = new(genome_type)
        g.key, g.fitness = key, None
        g._nref = g._cref = g._nodes = g._connections = None
        kids.append(g)
    return kids


class _Bare:
    """Gene types for a genome edited without a config (``mutate_delete_connection``)."""

    def __init__(self, genome):
        self.node_gene_type = genome.node_ref()[0].gene_type
        self.connection_gene_type = genome.connection_ref()[0].gene_type


def _python_uniform(k):
    return np.array([random.random() for _ in range(k)])


def _mutate(config, genomes):
    """neat-python's ``mutate`` for every genome: structural mutations, then attributes."""
    _mutation.mutate(config, _Population(genomes, config), config.get_rng()).adopt()


def offspring(config, children, genome_type=DefaultGenome, elites=(), population=None):
    """Children ``[(key, parent_a, parent_b), ...]``: crossover then mutation, all at once.

    ``elites`` (genomes kept unchanged, in key order, all with smaller keys than the
    children) share the children's new tables afterwards, so the next generation, elites
    then children, lives in one table pair. ``population``: the generation the parents
    come from (optional; spares gathering the parents' genes). Returns the children.
    """
    if not children:
        consolidate(list(elites), config)
        return []
    kids, pop, parents = _crossover(config, children, genome_type, population)
    # the generation's own tables when the parents were gathered from them as they are
    retired = [t for t in (parents.nodes, parents.conns) if t.layout is not None]
    pop = _mutation.mutate(config, pop, config.get_rng())
    kept = [g for g in elites if g._nodes is None and g._connections is None]
    if kept:
        old = _Population(kept, config)
        pop = _Population.of_tables(
            kept + kids,
            GeneTable.concat([old.nodes, pop.nodes]),
            GeneTable.concat([old.conns, pop.conns]),
            np.concatenate([old.node_counts, pop.node_counts]),
            np.concatenate([old.conn_counts, pop.conn_counts]),
        )
    pop.adopt()
    for table in retired:
        # The previous generation's layout note holds its genomes, whose (table, lo, hi)
        # references hold the table: a cycle only Python's garbage collector would
        # free (its collections cost several percent of a run). The next generation now
        # has its own tables, so the note is no longer read: drop it, and the old table
        # is freed as soon as nothing else refers to it.
        if table is not pop.nodes and table is not pop.conns:
            table.layout = None
    return kids


def _homologous(table, rows, other, other_rows):
    """Sum over attributes of the gene pairs: |difference| for numbers, 1 where others differ.

    The attributes counted are the gene type's ``_distance_attributes`` (names) when it
    has them, else all of them."""
    counted = getattr(table.gene_type, "_distance_attributes", None)
    pairs = [
        (a, c, o)
        for a, c, o in zip(table.attributes, table.cols, other.cols)
        if counted is None or a.name in counted
    ]
    d = np.zeros(len(rows))
    for a, c, o in pairs:  # one attribute at a time: a sum over a short axis is slow
        if isinstance(a, (FloatAttribute, IntegerAttribute)):
            d += np.abs(c[rows] - o[other_rows])
        else:
            d += c[rows] != o[other_rows]
    return d


def distance_matrix(reps: _Population, pop: _Population, config) -> np.ndarray:
    """neat-python's ``r.distance(g, config)`` for every ``r`` of ``reps`` and ``g`` of ``pop``.

    Genes are matched by key: each gene of ``pop`` is paired with the genes of the same key
    among the representatives (one sort and two binary searches over node and connection
    keys together), and the pairs' attribute differences and counts are summed per
    (representative, genome) with ``bincount``.
    """
    R, G = len(reps.genomes), len(pop.genomes)
    RG = R * G
    # one code per gene: node keys first, then connection keys after them
    conn_codes = _key_codes(np.concatenate([reps.conns.keys, pop.conns.keys]))
    n_lo = min(int(reps.nodes.keys.min(initial=0)), int(pop.nodes.keys.min(initial=0)))
    n_hi = max(int(reps.nodes.keys.max(initial=0)), int(pop.nodes.keys.max(initial=0)))
    shift = n_hi - n_lo + 1
    n_rn, n_rc = len(reps.nodes), len(reps.conns)
    rcodes = np.concatenate([reps.nodes.keys - n_lo, conn_codes[:n_rc] + shift])
    qcodes = np.concatenate([pop.nodes.keys - n_lo, conn_codes[n_rc:] + shift])
    order = rcodes.argsort(kind="stable")
    sorted_codes = rcodes[order]
    lo = sorted_codes.searchsorted(qcodes, "left")
    n_pairs = sorted_codes.searchsorted(qcodes, "right") - lo
    q_rows = np.arange(len(qcodes)).repeat(n_pairs)
    r_rows = order[ranges(lo, n_pairs)]
    n_qn = len(pop.nodes)
    # cells: (representative, genome) for node pairs, then RG + the same for connection pairs
    r_owner = np.concatenate([reps.node_owner, reps.conn_owner + R])
    q_owner = np.concatenate([pop.node_owner, pop.conn_owner])
    cell = r_owner[r_rows] * G + q_owner[q_rows]
    matched = np.bincount(cell, minlength=2 * RG).reshape(2, R, G)
    node_pair = q_rows < n_qn
    n_node_pairs = int(node_pair.sum())  # node pairs come first (queries in code order)
    d = np.empty(len(cell))
    d[:n_node_pairs] = _homologous(
        pop.nodes, q_rows[:n_node_pairs], reps.nodes, r_rows[:n_node_pairs]
    )
    d[n_node_pairs:] = _homologous(
        pop.conns, q_rows[n_node_pairs:] - n_qn, reps.conns, r_rows[n_node_pairs:] - n_rn
    )
    homolog = np.bincount(cell, weights=d, minlength=2 * RG).reshape(2, R, G)
    r_counts = np.stack([reps.node_counts, reps.conn_counts])[:, :, None]
    q_counts = np.stack([pop.node_counts, pop.conn_counts])[:, None, :]
    disjoint = r_counts + q_counts - 2 * matched
    size = np.maximum(r_counts, q_counts)
    c_disjoint = config.compatibility_disjoint_coefficient
    c_weight = config.compatibility_weight_coefficient
    part = (homolog * c_weight + c_disjoint * disjoint) / np.maximum(size, 1)
    return np.where(size > 0, part, 0.0).sum(axis=0)


def distances_to(rep, pop: _Population, config) -> np.ndarray:
    """neat-python's ``rep.distance(g, config)`` for every genome ``g`` of ``pop`` at once."""
    return distance_matrix(_Population([rep], config), pop, config)[0]
