"""A whole population's feed-forward networks as one NumPy program.

The genomes' networks are disjoint graphs, so together they are one network: every node of
every genome gets a row of a value matrix, nodes are grouped by depth across the whole
population, and each depth is evaluated with a handful of array operations (gather the
weighted inputs, reduce them per node, one call per activation function). Compiling reads
the genomes' gene tables directly; nothing is done per gene in Python.

>>> import os, tempfile, random
>>> import numpy as np
>>> import neuroflow.neat as neat
>>> path = os.path.join(tempfile.mkdtemp(), "config")
>>> _ = open(path, "w").write(neat.config_example())
>>> config = neat.Config(neat.DefaultGenome, neat.DefaultReproduction,
...                      neat.DefaultSpeciesSet, neat.DefaultStagnation, path)
>>> p = neat.Population(config, seed=1)
>>> genomes = list(p.population.values())
>>> batch = neat.nn.compile_population(genomes, config)
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> batch.activate_batch(X).shape
(150, 4, 1)
>>> one = neat.nn.FeedForwardNetwork.create(genomes[7], config)
>>> np.allclose(batch.activate_batch(X)[7, :, 0], [one.activate(x)[0] for x in X])
True
"""

from __future__ import annotations

import numpy as np

from neuroflow.neat.aggregations import EMPTY
from neuroflow.neat.attributes import NAMES
from neuroflow.neat.genome import _Population

__all__ = ["PopulationNetwork", "compile_population"]


class PopulationNetwork:
    """The feed-forward networks of many genomes, evaluated together.

    - ``activate(X)``: ``X`` of shape ``(n_genomes, num_inputs)``, row ``i`` for genome
      ``i`` (one step of an environment per genome) -> ``(n_genomes, num_outputs)``; or
      ``(n_genomes, n, num_inputs)`` -> ``(n_genomes, n, num_outputs)``.
    - ``activate_batch(X)``: the same inputs ``(n, num_inputs)`` for every genome (a data
      set, such as XOR's four cases) -> ``(n_genomes, n, num_outputs)``.

    Each genome's outputs equal ``FeedForwardNetwork.create(genome, config)``'s.
    """

    def __init__(self, genomes, config):
        gc = config.genome_config
        self.n_genomes = G = len(genomes)
        self.n_inputs = ni = len(gc.input_keys)
        self.n_outputs = len(gc.output_keys)
        pop = _Population(list(genomes), gc)
        nodes, conns = pop.nodes, pop.conns
        n_nodes = len(nodes)
        base = G * ni  # value rows: genome g's input k is row g * ni + k, then every node
        # node lookup by (genome, key)
        kmin = int(min(nodes.keys.min(initial=0), conns.keys.min(initial=0)))
        kmax = int(max(nodes.keys.max(initial=0), conns.keys.max(initial=0)))
        span = kmax - kmin + 1
        node_code = pop.node_owner * span + (nodes.keys - kmin)
        order = np.argsort(node_code, kind="stable")
        sorted_code = node_code[order]

        def lookup(owner, keys, what):
            code = owner * span + (keys - kmin)
            pos = np.minimum(np.searchsorted(sorted_code, code), max(n_nodes - 1, 0))
            ok = (sorted_code[pos] == code) if n_nodes else np.zeros(len(code), bool)
            if not ok.all():
                bad = int(np.nonzero(~ok)[0][0])
                g = genomes[int(owner[bad])]
                raise ValueError(
                    f"Genome {g.key} has {what} node {int(keys[bad])}, which is not among "
                    f"its nodes."
                )
            return base + order[pos]

        enabled = conns.col("enabled")
        keep = enabled if enabled is not None else np.ones(len(conns), bool)
        c_owner = pop.conn_owner[keep]
        src_key, dst_key = conns.keys[keep, 0], conns.keys[keep, 1]
        weight = conns.col("weight")[keep]
        is_input = (src_key < 0) & (src_key >= -ni)
        src = np.empty(len(src_key), np.int64)
        src[is_input] = c_owner[is_input] * ni + (-src_key[is_input] - 1)
        if (~is_input).any():
            src[~is_input] = lookup(c_owner[~is_input], src_key[~is_input], "a connection from")
        dst = lookup(c_owner, dst_key, "a connection to") if len(dst_key) else dst_key
        outputs = lookup(
            np.arange(G).repeat(self.n_outputs),
            np.array(list(gc.output_keys) * G, np.int64),
            "the output",
        )
        n_slots = base + n_nodes
        required = np.zeros(n_slots, bool)
        required[outputs] = True
        while True:  # every node an output depends on
            grow = required[dst] & ~required[src]
            if not grow.any():
                break
            required[src[grow]] = True
        required[:base] = False
        used = required[dst]
        src, dst, weight = src[used], dst[used], weight[used]
        level = required.astype(np.int64)  # 1 + longest path from an input or a bias neuron
        for _ in range(n_slots + 1):
            new = level.copy()
            np.maximum.at(new, dst, level[src] + 1)
            if np.array_equal(new, level):
                break
            level = new
        else:
            raise ValueError(
                "A genome's enabled connections form a cycle; feed-forward networks need "
                "acyclic genomes (use nn.RecurrentNetwork, or feed_forward = True)."
            )
        # value rows renumbered: inputs, then the required nodes by (level, aggregation,
        # activation), so every block of nodes that share those three is a contiguous slice
        # evaluated with a few array operations, after every block it reads from
        rows = np.nonzero(required[base:])[0]
        agg = nodes.col("aggregation")[rows]
        act = nodes.col("activation")[rows]
        lv = level[base + rows]
        order = np.lexsort((act, agg, lv))
        rows, agg, act, lv = rows[order], agg[order], act[order], lv[order]
        renumber = np.full(n_slots, -1, np.int64)
        renumber[:base] = np.arange(base)
        renumber[base + rows] = base + np.arange(len(rows))
        src, dst = renumber[src], renumber[dst] - base
        e_order = np.argsort(dst, kind="stable")
        src, dst, weight = src[e_order], dst[e_order], weight[e_order]
        n_in = np.bincount(dst, minlength=len(rows))
        e_start = np.zeros(len(n_in) + 1, np.int64)
        n_in.cumsum(out=e_start[1:])
        bias = nodes.col("bias")[rows]
        response = nodes.col("response")[rows]
        change = np.flatnonzero((lv[1:] != lv[:-1]) | (agg[1:] != agg[:-1]) | (act[1:] != act[:-1]))
        bounds = np.concatenate([[0], change + 1, [len(rows)]]).tolist() if len(rows) else [0]
        agg_codes, act_codes = agg.tolist(), act.tolist()
        e_bounds = e_start[bounds].tolist()
        self.blocks = []
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            ea, eb = e_bounds[k], e_bounds[k + 1]
            name = NAMES[agg_codes[a]]
            counts = n_in[a:b]
            has = None if counts.all() else np.nonzero(counts)[0]
            starts = (e_start[a:b] - ea) if has is None else (e_start[a:b][has] - ea)
            self.blocks.append(
                (
                    base + a,
                    base + b,
                    src[ea:eb],
                    weight[ea:eb][:, None],
                    starts,
                    has,
                    name,
                    gc.aggregation_function_defs.segment(name),
                    gc.aggregation_function_defs.get(name),
                    gc.activation_defs.get_vectorized(NAMES[act_codes[a]]),
                    bias[a:b][:, None],
                    response[a:b][:, None],
                )
            )
        self.n_slots = base + len(rows)
        self.outputs = renumber[outputs].reshape(G, self.n_outputs)

    @staticmethod
    def create(genomes, config):
        """The population program of ``genomes`` (a list of genomes or of (id, genome))."""
        genomes = [g[1] if isinstance(g, tuple) else g for g in genomes]
        return PopulationNetwork(genomes, config)

    def _run(self, inputs_rows):
        n = inputs_rows.shape[1]
        V = np.empty((self.n_slots, n))
        V[: self.n_genomes * self.n_inputs] = inputs_rows
        for a, b, e_src, e_w, starts, has, name, fn, py_fn, act, bias, response in self.blocks:
            if len(e_src) == 0:
                s = np.full((b - a, n), EMPTY.get(name, 0.0) if fn is not None else py_fn([]))
            elif fn is not None:
                contrib = V[e_src] * e_w
                if has is None:
                    s = fn(contrib, starts)
                else:
                    s = np.full((b - a, n), EMPTY.get(name, 0.0))
                    s[has] = fn(contrib, starts)
            else:  # a user's aggregation: call it on each node's list
                contrib = V[e_src] * e_w
                s = np.full((b - a, n), py_fn([]))
                bounds = np.append(starts, len(contrib))
                for k, p in enumerate(range(b - a) if has is None else has.tolist()):
                    part = contrib[bounds[k] : bounds[k + 1]]
                    s[p] = [py_fn(part[:, j].tolist()) for j in range(n)]
            V[a:b] = act(bias + response * s)
        return V[self.outputs]  # (G, n_outputs, n)

    def _check(self, X, shape_text):
        raise ValueError(f"Expected `X` of shape {shape_text}. Received: shape {X.shape}")

    def activate(self, X) -> np.ndarray:
        """Each genome on its own inputs: ``(G, num_inputs)`` or ``(G, n, num_inputs)``."""
        X = np.asarray(X, dtype=np.float64)
        G, ni = self.n_genomes, self.n_inputs
        if X.ndim == 2 and X.shape == (G, ni):
            return self._run(X.reshape(G * ni, 1))[:, :, 0]
        if X.ndim == 3 and X.shape[0] == G and X.shape[2] == ni:
            rows = X.transpose(0, 2, 1).reshape(G * ni, X.shape[1])
            return self._run(rows).transpose(0, 2, 1)
        self._check(X, f"({G}, {ni}) or ({G}, n, {ni}): one row of inputs per genome")

    def activate_batch(self, X) -> np.ndarray:
        """Every genome on the same inputs ``(n, num_inputs)`` -> ``(G, n, num_outputs)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            self._check(X, f"(n, {self.n_inputs}): one row of inputs per sample")
        rows = np.tile(X.T, (self.n_genomes, 1))
        return self._run(rows).transpose(0, 2, 1)


def compile_population(genomes, config) -> PopulationNetwork:
    """All ``genomes``' feed-forward networks as one :class:`PopulationNetwork`."""
    return PopulationNetwork.create(genomes, config)
