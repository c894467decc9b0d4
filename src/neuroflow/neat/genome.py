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

import numpy as np

from neuroflow.neat._table import GeneTable, gather, ranges
from neuroflow.neat.activations import ActivationFunctionSet
from neuroflow.neat.aggregations import AggregationFunctionSet
from neuroflow.neat.attributes import FloatAttribute, IntegerAttribute
from neuroflow.neat.config import ConfigParameter, write_pretty_params
from neuroflow.neat.genes import DefaultConnectionGene, DefaultNodeGene
from neuroflow.neat.graphs import creates_cycle, required_for_output
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
            self._nodes, self._nref = t.to_genes(lo, hi), None
        return self._nodes

    @nodes.setter
    def nodes(self, value):
        self._nodes, self._nref = value, None

    @property
    def connections(self) -> dict:
        if self._connections is None:
            t, lo, hi = self._cref
            self._connections, self._cref = t.to_genes(lo, hi), None
        return self._connections

    @connections.setter
    def connections(self, value):
        self._connections, self._cref = value, None

    def _set_refs(self, nref, cref):
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
        (child,) = _crossover(config, [(self.key, genome1, genome2)], type(self))
        self._set_refs(child._nref, child._cref)

    def mutate(self, config):
        """Structural mutations (with the configured probabilities), then every gene's."""
        _mutate(config, [self])

    def _edit(self, config, op):
        editor = _Editor(config, [self])
        op(editor, 0)
        editor.finish()

    def mutate_add_node(self, config):
        self._edit(config, lambda e, i: e.add_node(i))

    def mutate_add_connection(self, config):
        self._edit(config, lambda e, i: e.add_connection(i))

    def mutate_delete_node(self, config):
        self._edit(config, lambda e, i: e.delete_node(i))

    def mutate_delete_connection(self):
        self._edit(None, lambda e, i: e.delete_connection(i))

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


class _Population:
    """The genes of a list of genomes gathered into two tables (rows grouped by genome)."""

    def __init__(self, genomes, genome_config):
        self.genomes = genomes
        gc = genome_config
        self.nodes, self.node_counts = gather(
            [g.node_ref(gc) for g in genomes], gc.node_gene_type, False
        )
        self.conns, self.conn_counts = gather(
            [g.connection_ref(gc) for g in genomes], gc.connection_gene_type, True
        )
        self.node_owner = np.repeat(np.arange(len(genomes)), self.node_counts)
        self.conn_owner = np.repeat(np.arange(len(genomes)), self.conn_counts)


def consolidate(genomes, genome_config) -> None:
    """Moves the genes of ``genomes`` (those not read as objects) into one table, in order.

    A generation then lives in one table, so gathering it again is free.
    """
    table_backed = [g for g in genomes if g._nodes is None and g._connections is None]
    if not table_backed:
        return
    pop = _Population(table_backed, genome_config)
    nlo = (np.cumsum(pop.node_counts) - pop.node_counts).tolist()
    clo = (np.cumsum(pop.conn_counts) - pop.conn_counts).tolist()
    for g, a, na, b, nb in zip(
        table_backed, nlo, pop.node_counts.tolist(), clo, pop.conn_counts.tolist()
    ):
        g._nref, g._cref = (pop.nodes, a, a + na), (pop.conns, b, b + nb)


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
    genomes, nlo, clo = [], 0, 0
    for key, (nn, nc) in zip(keys, counts):
        g = genome_type(key)
        g._set_refs((nt, nlo, nlo + nn), (ct, clo, clo + nc))
        nlo, clo = nlo + nn, clo + nc
        genomes.append(g)
    return genomes


def _new_rows(gene_type, config, keys, rng, innov=None):
    cols = [
        a.init_array(config, len(keys), rng).astype(a.dtype, copy=False)
        for a in gene_type._gene_attributes
    ]
    return GeneTable(gene_type, keys, cols, innov)


def _key_codes(keys2):
    """One int64 per (input, output) key, equal exactly when the keys are equal."""
    if len(keys2) == 0:
        return np.zeros(0, np.int64)
    lo = keys2.min(axis=0)
    span = int(keys2[:, 1].max() - lo[1]) + 1
    return (keys2[:, 0] - lo[0]) * span + (keys2[:, 1] - lo[1])


def _match(owner_q, code_q, owner_t, code_t):
    """For each query (owner, code), its row in the target with the same pair, or -1."""
    if len(code_t) == 0 or len(code_q) == 0:
        return np.full(len(code_q), -1, np.int64)
    both = np.concatenate([code_q, code_t])
    _, inv = np.unique(both, return_inverse=True)
    inv = inv.reshape(-1)
    m = int(inv.max()) + 1
    q = owner_q.astype(np.int64) * m + inv[: len(code_q)]
    t = owner_t.astype(np.int64) * m + inv[len(code_q) :]
    order = np.argsort(t, kind="stable")
    ts = t[order]
    pos = np.searchsorted(ts, q)
    pos_c = np.minimum(pos, len(ts) - 1)
    found = ts[pos_c] == q
    return np.where(found, order[pos_c], -1)


def _crossover(config, children, genome_type):
    """Children ``(key, parent_a, parent_b)`` by crossover, all at once (not yet mutated)."""
    rng = config.get_rng()
    parents, index = [], {}
    pairs = []
    for _, a, b in children:
        fitter, other = (a, b) if a.fitness > b.fitness else (b, a)
        ids = []
        for g in (fitter, other):
            if id(g) not in index:
                index[id(g)] = len(parents)
                parents.append(g)
            ids.append(index[id(g)])
        pairs.append(ids)
    pairs = np.array(pairs, np.int64).reshape(-1, 2)
    pop = _Population(parents, config)
    tables = []
    for table, counts, owner, conn in (
        (pop.nodes, pop.node_counts, pop.node_owner, False),
        (pop.conns, pop.conn_counts, pop.conn_owner, True),
    ):
        starts = np.cumsum(counts) - counts
        n1 = counts[pairs[:, 0]]
        rows = ranges(starts[pairs[:, 0]], n1)  # every gene of the fitter parent
        child_owner = np.repeat(np.arange(len(pairs)), n1)
        if conn:
            codes = _key_codes(table.keys) * (int(table.innov.max(initial=-1)) + 2) + (
                table.innov + 1
            )
        else:
            codes = table.keys
        mate = _match(pairs[child_owner, 1], codes[rows], owner, codes)
        child = table.take(rows)
        matched = np.nonzero(mate >= 0)[0]
        if len(matched):
            for j, col in enumerate(child.cols):
                take_other = rng.random(len(matched)) <= 0.5  # neat-python: random() > 0.5 keeps
                sel = matched[take_other]
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
    nlo = np.cumsum(ncount) - ncount
    clo = np.cumsum(ccount) - ccount
    out = []
    for i, (key, _, _) in enumerate(children):
        g = genome_type(key)
        g._set_refs(
            (nt, int(nlo[i]), int(nlo[i] + ncount[i])), (ct, int(clo[i]), int(clo[i] + ccount[i]))
        )
        out.append(g)
    return out


class _Editor:
    """Structural mutations of a batch of genomes, applied to their tables in one pass.

    Each genome's node and connection keys are Python lists while it is edited (genomes are
    small and the choices are one at a time); new genes' attributes are drawn together
    when the edit finishes, and the genomes then point at one new table each for nodes and
    connections.
    """

    def __init__(self, config, genomes):
        self.config = config
        self.genomes = genomes
        gc = config
        self.pop = pop = (
            _Population(genomes, gc) if gc is not None else _Population(genomes, _Bare(genomes[0]))
        )
        self.nstart = np.cumsum(pop.node_counts) - pop.node_counts
        self.cstart = np.cumsum(pop.conn_counts) - pop.conn_counts
        self.node_keep = np.ones(len(pop.nodes), bool)
        self.conn_keep = np.ones(len(pop.conns), bool)
        self.enabled = pop.conns.col("enabled")
        if self.enabled is not None:
            self.enabled = self.enabled.copy()
        self.state = {}
        self._lists = None
        self.new_nodes = []  # (genome index, key)
        self.new_conns = []  # (genome index, key, innovation, weight or None, enabled or None)

    def genome_state(self, i):
        s = self.state.get(i)
        if s is None:
            if self._lists is None:
                self._lists = (
                    self.pop.nodes.keys.tolist(),
                    list(map(tuple, self.pop.conns.keys.tolist())),
                    self.nstart.tolist(),
                    (self.nstart + self.pop.node_counts).tolist(),
                    self.cstart.tolist(),
                    (self.cstart + self.pop.conn_counts).tolist(),
                )
            nk, ck, ns, ne, cs, ce = self._lists
            n0, n1, c0, c1 = ns[i], ne[i], cs[i], ce[i]
            nodes = dict(zip(nk[n0:n1], range(n0, n1)))
            conns = dict(zip(ck[c0:c1], range(c0, c1)))  # key -> row (>= 0) or -1 - new index
            s = self.state[i] = (nodes, conns)
        return s

    def _weight(self, row):
        if row >= 0:
            return float(self.pop.conns.col("weight")[row])
        return self.new_conns[-1 - row][3]

    def add_node(self, i):
        config = self.config
        nodes, conns = self.genome_state(i)
        if not conns:
            if config.check_structural_mutation_surer():
                self.add_connection(i)
            return
        key = random.choice(list(conns))
        row = conns[key]
        new_id = config.get_new_node_key(nodes)
        nodes[new_id] = -1 - len(self.new_nodes)
        self.new_nodes.append((i, new_id))
        self._set_enabled(row, False)
        a, b = key
        tracker = config.get_innovation_tracker()
        inn_in = tracker.get_innovation_number(a, new_id, "add_node_in")
        inn_out = tracker.get_innovation_number(new_id, b, "add_node_out")
        self._new_conn(i, (a, new_id), inn_in, 1.0, True)
        self._new_conn(i, (new_id, b), inn_out, self._weight(row), True)

    def _set_enabled(self, row, value):
        if row >= 0:
            if self.enabled is not None:
                self.enabled[row] = value
        else:
            i, key, inn, w, _ = self.new_conns[-1 - row]
            self.new_conns[-1 - row] = (i, key, inn, w, value)

    def _new_conn(self, i, key, innovation, weight, enabled):
        _, conns = self.genome_state(i)
        conns[key] = -1 - len(self.new_conns)
        self.new_conns.append((i, key, innovation, weight, enabled))

    def add_connection(self, i):
        config = self.config
        nodes, conns = self.genome_state(i)
        out_node = random.choice(list(nodes))
        outputs = config.output_keys
        candidates = [k for k in nodes if k not in outputs] + config.input_keys
        in_node = random.choice(candidates)
        key = (in_node, out_node)
        if key in conns:
            if config.check_structural_mutation_surer():
                self._set_enabled(conns[key], True)
            return
        if in_node in outputs and out_node in outputs:
            return
        if config.feed_forward and creates_cycle(list(conns), key):
            return
        inn = config.get_innovation_tracker().get_innovation_number(
            in_node, out_node, "add_connection"
        )
        self._new_conn(i, key, inn, None, None)

    def delete_node(self, i):
        nodes, conns = self.genome_state(i)
        available = [k for k in nodes if k not in self.config.output_keys]
        if not available:
            return -1
        del_key = random.choice(available)
        for key in [k for k in conns if del_key in k]:
            self._drop(conns.pop(key), conn=True)
        self._drop(nodes.pop(del_key), conn=False)
        return del_key

    def delete_connection(self, i):
        _, conns = self.genome_state(i)
        if conns:
            key = random.choice(list(conns))
            self._drop(conns.pop(key), conn=True)

    def _drop(self, row, conn):
        if row >= 0:
            (self.conn_keep if conn else self.node_keep)[row] = False
        elif conn:
            self.new_conns[-1 - row] = None
        else:
            self.new_nodes[-1 - row] = None

    def finish(self, mutate_attributes=False):
        """Builds the edited tables (attributes of every gene mutated if asked)."""
        config, pop = self.config, self.pop
        rng = config.get_rng() if config is not None else None
        nodes = pop.nodes.take(np.nonzero(self.node_keep)[0])
        node_owner = pop.node_owner[self.node_keep]
        new_nodes = [x for x in self.new_nodes if x is not None]
        if new_nodes:
            owners = np.array([i for i, _ in new_nodes], np.int64)
            t = _new_rows(
                pop.nodes.gene_type, config, np.array([k for _, k in new_nodes], np.int64), rng
            )
            bias = t.col("bias")
            if bias is not None:
                bias[:] = 0.0  # a new node starts neutral: no bias whatever bias_init says
            nodes = GeneTable.concat([nodes, t])
            node_owner = np.concatenate([node_owner, owners])
        conns = pop.conns
        if self.enabled is not None:
            conns = GeneTable(
                conns.gene_type,
                conns.keys,
                [
                    self.enabled if a.name == "enabled" else c
                    for a, c in zip(conns.attributes, conns.cols)
                ],
                conns.innov,
            )
        conns = conns.take(np.nonzero(self.conn_keep)[0])
        conn_owner = pop.conn_owner[self.conn_keep]
        new_conns = [x for x in self.new_conns if x is not None]
        if new_conns:
            owners = np.array([x[0] for x in new_conns], np.int64)
            t = _new_rows(
                pop.conns.gene_type,
                config,
                np.array([x[1] for x in new_conns], np.int64).reshape(-1, 2),
                rng,
                np.array([x[2] for x in new_conns], np.int64),
            )
            given = np.array([x[3] is not None for x in new_conns])
            if given.any():
                t.col("weight")[given] = [x[3] for x in new_conns if x[3] is not None]
            for j, x in enumerate(new_conns):
                if x[4] is not None and t.col("enabled") is not None:
                    t.col("enabled")[j] = x[4]
            conns = GeneTable.concat([conns, t])
            conn_owner = np.concatenate([conn_owner, owners])
        if new_nodes or new_conns:  # group rows by genome again (stable: old rows first)
            order = np.argsort(node_owner, kind="stable")
            nodes, node_owner = nodes.take(order), node_owner[order]
            order = np.argsort(conn_owner, kind="stable")
            conns, conn_owner = conns.take(order), conn_owner[order]
        if mutate_attributes:
            nodes.cols = [
                a.mutate_array(c, config, rng).astype(a.dtype, copy=False)
                for a, c in zip(nodes.attributes, nodes.cols)
            ]
            conns.cols = [
                a.mutate_array(c, config, rng).astype(a.dtype, copy=False)
                for a, c in zip(conns.attributes, conns.cols)
            ]
        n = len(self.genomes)
        ncount = np.bincount(node_owner, minlength=n)
        ccount = np.bincount(conn_owner, minlength=n)
        nlo = (np.cumsum(ncount) - ncount).tolist()
        clo = (np.cumsum(ccount) - ccount).tolist()
        ncount, ccount = ncount.tolist(), ccount.tolist()
        for i, g in enumerate(self.genomes):
            g._set_refs((nodes, nlo[i], nlo[i] + ncount[i]), (conns, clo[i], clo[i] + ccount[i]))


class _Bare:
    """Gene types for a genome edited without a config (``mutate_delete_connection``)."""

    def __init__(self, genome):
        self.node_gene_type = genome.node_ref()[0].gene_type
        self.connection_gene_type = genome.connection_ref()[0].gene_type


def _mutate(config, genomes):
    """neat-python's ``mutate`` for every genome: structural mutations, then attributes."""
    editor = _Editor(config, genomes)
    n = len(genomes)
    if config.single_structural_mutation:
        probs = [
            config.node_add_prob,
            config.node_delete_prob,
            config.conn_add_prob,
            config.conn_delete_prob,
        ]
        div = max(1.0, sum(probs))
        edges = np.cumsum(probs) / div
        r = config.get_rng().random(n)
        which = np.searchsorted(edges, r, side="right")  # 4: no structural mutation
        events = [[w] if w < 4 else [] for w in which.tolist()]
    else:
        probs = np.array(
            [
                config.node_add_prob,
                config.node_delete_prob,
                config.conn_add_prob,
                config.conn_delete_prob,
            ]
        )
        draws = (config.get_rng().random((n, 4)) < probs).tolist()
        events = [[e for e in range(4) if row[e]] for row in draws]
    ops = (editor.add_node, editor.delete_node, editor.add_connection, editor.delete_connection)
    for i, ev in enumerate(events):
        for e in ev:
            ops[e](i)
    editor.finish(mutate_attributes=True)


def offspring(config, children, genome_type=DefaultGenome):
    """Children ``[(key, parent_a, parent_b), ...]``: crossover then mutation, all at once."""
    if not children:
        return []
    kids = _crossover(config, children, genome_type)
    _mutate(config, kids)
    return kids


def _homologous(table_rows, rep_table, rep_rows, pos):
    """Sum over attributes: |difference| for numbers, 1 where other values differ."""
    d = np.zeros(len(table_rows))
    for a, col, rcol in zip(table_rows.attributes, table_rows.cols, rep_table.cols):
        r = rcol[rep_rows][pos]
        if isinstance(a, (FloatAttribute, IntegerAttribute)):
            d += np.abs(col - r)
        else:
            d += col != r
    return d


def distances_to(rep, pop: _Population, config) -> np.ndarray:
    """neat-python's ``rep.distance(g, config)`` for every genome ``g`` of ``pop`` at once."""
    n = len(pop.genomes)
    c_disjoint = config.compatibility_disjoint_coefficient
    c_weight = config.compatibility_weight_coefficient
    total = np.zeros(n)
    for table, counts, owner, ref, conn in (
        (pop.nodes, pop.node_counts, pop.node_owner, rep.node_ref(config), False),
        (pop.conns, pop.conn_counts, pop.conn_owner, rep.connection_ref(config), True),
    ):
        rt, lo, hi = ref
        n_rep = hi - lo
        rep_rows = np.arange(lo, hi)
        if conn:
            both = np.concatenate([rt.keys[lo:hi], table.keys])
            codes = _key_codes(both)
            rcodes, qcodes = codes[:n_rep], codes[n_rep:]
        else:
            rcodes, qcodes = rt.keys[lo:hi], table.keys
        order = np.argsort(rcodes)
        sorted_codes = rcodes[order]
        if n_rep:
            pos = np.minimum(np.searchsorted(sorted_codes, qcodes), n_rep - 1)
            hit = sorted_codes[pos] == qcodes
        else:
            pos = np.zeros(len(qcodes), np.int64)
            hit = np.zeros(len(qcodes), bool)
        matched = np.bincount(owner[hit], minlength=n)
        homolog = np.zeros(n)
        if hit.any():
            rows = table.take(np.nonzero(hit)[0])
            d = _homologous(rows, rt, rep_rows, order[pos[hit]])
            homolog = np.bincount(owner[hit], weights=d, minlength=n)
        disjoint = (counts - matched) + (n_rep - matched)
        size = np.maximum(counts, n_rep)
        part = (homolog * c_weight + c_disjoint * disjoint) / np.maximum(size, 1)
        total += np.where(size > 0, part, 0.0)
    return total
