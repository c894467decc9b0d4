"""Structural mutations of many genomes at once (neat-python's ``mutate_*`` rules on arrays).

neat-python mutates one genome at a time: add a node (split a random connection), delete a
node, add a connection, delete a connection, each with its probability and in that order.
Here each of those steps is one pass over every genome that drew it: the genomes' genes
are rows grouped by genome, a random gene of each genome is picked with one draw per
genome, and the cycle test of a new feed-forward connection is a reachability sweep over
every candidate genome's links together. Genomes do not interact (new node keys and
innovation numbers come from the shared counters, as in neat-python), so doing a step for
all genomes before the next step gives each genome exactly the sequence of edits it gets
one genome at a time.

New genes are rows of small tables appended to a *pool* (the old genes first); the state
of the edit is a set of index arrays into the pool, and :meth:`_Batch.finish` takes the
rows once at the end.
"""

from __future__ import annotations

import numpy as np

from neuroflow.neat._table import GeneTable

_NONE = np.iinfo(np.int64).min  # a key no gene has


def new_rows(gene_type, config, keys, rng, innov=None) -> GeneTable:
    """Rows of new genes with keys ``keys``, every attribute drawn by its init rule."""
    cols = [
        a.init_array(config, len(keys), rng).astype(a.dtype, copy=False)
        for a in gene_type._gene_attributes
    ]
    return GeneTable(gene_type, keys, cols, innov)


def _starts(owner, n):
    counts = np.bincount(owner, minlength=n)
    return counts, np.cumsum(counts) - counts


def _pick(owner, rows, genomes, u, n):
    """One row per genome in ``genomes``, uniformly among its ``rows`` (row numbers grouped
    by owner, or None for every row). Returns ``(has, picked)``: which genomes had any,
    and the picked row of each of those."""
    sub = owner if rows is None else owner[rows]
    counts, starts = _starts(sub, n)
    c = counts[genomes]
    has = c > 0
    pos = starts[genomes[has]] + (u[has] * c[has]).astype(np.int64)
    return has, (pos if rows is None else rows[pos])


def _codes(owner, a, b, n, lo, span):
    """One int64 per (owner, a, b): equal exactly when all three are."""
    return (owner * span + (a - lo)) * span + (b - lo)


class _Batch:
    """The structural edits of ``genomes`` (a :class:`~neuroflow.neat.genome._Population`).

    ``uniform(k)`` draws ``k`` numbers in [0, 1) for the random choices; new genes' attributes
    are drawn from ``rng``.
    """

    def __init__(self, config, pop, rng, uniform):
        self.config = config
        self.rng = rng
        self.uniform = uniform
        self.n = len(pop.genomes)
        self.genomes = pop.genomes
        self.node_pool = [pop.nodes]
        self.conn_pool = [pop.conns]
        self.n_nodes_pool = len(pop.nodes)
        self.n_conns_pool = len(pop.conns)
        # state: rows of the current genomes (grouped by owner) as pool indices
        self.no, self.nk = pop.node_owner, pop.nodes.keys
        self.ni = np.arange(len(pop.nodes))
        self.co, self.ca, self.cb = pop.conn_owner, pop.conns.keys[:, 0], pop.conns.keys[:, 1]
        self.ci = np.arange(len(pop.conns))
        enabled = pop.conns.col("enabled")
        self.enabled = None if enabled is None else [enabled.copy()]
        self.outputs = np.asarray(config.output_keys, np.int64) if config is not None else None
        # output keys are 0..k-1 unless a program changed them: then a range test suffices
        self._n_out = (
            len(self.outputs)
            if self.outputs is not None
            and np.array_equal(self.outputs, np.arange(len(self.outputs)))
            else None
        )
        self._weight = None

    # -- helpers ------------------------------------------------------------------------
    def _is_output(self, keys):
        if self._n_out is not None:
            return (keys >= 0) & (keys < self._n_out)
        return np.isin(keys, self.outputs)

    def _not_output(self):
        return ~self._is_output(self.nk)

    def _set_enabled(self, pool_rows, value):
        if self.enabled is None or not len(pool_rows):
            return
        if len(self.enabled) > 1:
            self.enabled = [np.concatenate(self.enabled)]
        self.enabled[0][pool_rows] = value

    def _pool_weights(self, pool_rows):
        if self._weight is None or len(self._weight) < self.n_conns_pool:
            self._weight = np.concatenate([t.col("weight") for t in self.conn_pool])
        return self._weight[pool_rows]

    def _add_nodes(self, owner, table):
        self.node_pool.append(table)
        idx = self.n_nodes_pool + np.arange(len(table))
        self.n_nodes_pool += len(table)
        no = np.concatenate([self.no, owner])
        order = np.argsort(no, kind="stable")
        self.no = no[order]
        self.nk = np.concatenate([self.nk, table.keys])[order]
        self.ni = np.concatenate([self.ni, idx])[order]

    def _add_conns(self, owner, table):
        self.conn_pool.append(table)
        idx = self.n_conns_pool + np.arange(len(table))
        self.n_conns_pool += len(table)
        if self.enabled is not None:
            self.enabled.append(table.col("enabled").copy())
        co = np.concatenate([self.co, owner])
        order = np.argsort(co, kind="stable")
        self.co = co[order]
        self.ca = np.concatenate([self.ca, table.keys[:, 0]])[order]
        self.cb = np.concatenate([self.cb, table.keys[:, 1]])[order]
        self.ci = np.concatenate([self.ci, idx])[order]

    def _drop_conns(self, drop):
        keep = ~drop
        self.co, self.ca, self.cb, self.ci = (
            self.co[keep],
            self.ca[keep],
            self.cb[keep],
            self.ci[keep],
        )

    # -- neat-python's four structural mutations, each for many genomes ------------------
    def add_node(self, genomes):
        """``mutate_add_node``: split a random connection of each genome."""
        config = self.config
        counts = np.bincount(self.co, minlength=self.n)
        bare = counts[genomes] == 0
        if bare.any():  # nothing to split
            if config.check_structural_mutation_surer():
                self.add_connection(genomes[bare])
            genomes = genomes[~bare]
        has, rows = _pick(self.co, None, genomes, self.uniform(len(genomes)), self.n)
        g = genomes[has]
        m = len(g)
        if m == 0:
            return
        split = self.ci[rows]
        self._set_enabled(split, False)
        # neat-python starts the node counter after the first split genome's largest key
        first = self.nk[self.no == g[0]].tolist() if config.node_indexer is None else ()
        new_ids = np.array([config.get_new_node_key(first) for _ in range(m)], np.int64)
        nodes = new_rows(config.node_gene_type, config, new_ids, self.rng)
        bias = nodes.col("bias")
        if bias is not None:
            bias[:] = 0.0  # a new node starts neutral: no bias whatever bias_init says
        a, b = self.ca[rows], self.cb[rows]
        tracker = config.get_innovation_tracker()
        innov = []
        for i, new, o in zip(a.tolist(), new_ids.tolist(), b.tolist()):
            innov.append(tracker.get_innovation_number(i, new, "add_node_in"))
            innov.append(tracker.get_innovation_number(new, o, "add_node_out"))
        keys = np.empty((2 * m, 2), np.int64)
        keys[0::2, 0], keys[0::2, 1] = a, new_ids
        keys[1::2, 0], keys[1::2, 1] = new_ids, b
        conns = new_rows(config.connection_gene_type, config, keys, self.rng, np.array(innov))
        weight = conns.col("weight")
        weight[0::2] = 1.0
        weight[1::2] = self._pool_weights(split)
        enabled = conns.col("enabled")
        if enabled is not None:
            enabled[:] = True
        self._add_nodes(g, nodes)
        self._add_conns(np.repeat(g, 2), conns)

    def delete_node(self, genomes):
        """``mutate_delete_node``: remove a random non-output node and its connections.

        Returns each genome's deleted key (``-1`` where it had no node to delete)."""
        rows = np.nonzero(self._not_output())[0]
        has, picked = _pick(self.no, rows, genomes, self.uniform(len(genomes)), self.n)
        if not has.any():
            return np.full(len(genomes), -1, np.int64)
        doomed = np.full(self.n, _NONE, np.int64)
        doomed[genomes[has]] = self.nk[picked]
        keep = np.ones(len(self.nk), bool)
        keep[picked] = False
        self.no, self.nk, self.ni = self.no[keep], self.nk[keep], self.ni[keep]
        d = doomed[self.co]
        self._drop_conns((self.ca == d) | (self.cb == d))
        return np.where(has, doomed[genomes], -1)

    def add_connection(self, genomes):
        """``mutate_add_connection``: a random (input or hidden) -> (hidden or output) link."""
        config, n = self.config, self.n
        u = self.uniform(2 * len(genomes))
        has, out_rows = _pick(self.no, None, genomes, u[0::2], n)
        g = genomes[has]
        if not len(g):
            return
        out = self.nk[out_rows]
        # the input end: one of the genome's non-output nodes or an input pin
        avail = np.nonzero(self._not_output())[0]
        counts, starts = _starts(self.no[avail], n)
        inputs = np.asarray(config.input_keys, np.int64)
        c_avail = counts[g]
        j = (u[1::2][has] * (c_avail + len(inputs))).astype(np.int64)
        is_node = j < c_avail
        node_pos = np.where(is_node, starts[g] + np.minimum(j, c_avail - 1), 0)
        in_node = np.where(
            is_node,
            self.nk[avail[node_pos]] if len(avail) else 0,
            inputs[np.clip(j - c_avail, 0, len(inputs) - 1)],
        )
        # existing link: (re-)enable it when structural mutations are surer, else nothing
        lo = int(min(self.ca.min(initial=0), self.cb.min(initial=0), in_node.min(), out.min()))
        hi = int(max(self.ca.max(initial=0), self.cb.max(initial=0), in_node.max(), out.max()))
        span = hi - lo + 1
        if float(n) * span * span >= 2**62:
            raise OverflowError(f"Node keys span {span} values; too many to code pairwise.")
        state = _codes(self.co, self.ca, self.cb, n, lo, span)
        want = _codes(g, in_node, out, n, lo, span)
        order = np.argsort(state)
        sorted_state = state[order]
        pos = np.minimum(np.searchsorted(sorted_state, want), max(len(state) - 1, 0))
        exists = sorted_state[pos] == want if len(state) else np.zeros(len(want), bool)
        if exists.any() and config.check_structural_mutation_surer():
            self._set_enabled(self.ci[order[pos[exists]]], True)
        ok = ~exists & ~(self._is_output(in_node) & self._is_output(out))
        if config.feed_forward and ok.any():
            ok[ok] = ~self._creates_cycle(g[ok], in_node[ok], out[ok], lo, span)
        if not ok.any():
            return
        g, a, b = g[ok], in_node[ok], out[ok]
        tracker = config.get_innovation_tracker()
        innov = [
            tracker.get_innovation_number(i, o, "add_connection")
            for i, o in zip(a.tolist(), b.tolist())
        ]
        keys = np.stack([a, b], axis=1)
        conns = new_rows(config.connection_gene_type, config, keys, self.rng, np.array(innov))
        self._add_conns(g, conns)

    def _creates_cycle(self, g, a, b, lo, span):
        """neat-python's ``creates_cycle`` for the link ``a[k] -> b[k]`` of genome ``g[k]``
        (every genome at most once): is ``a`` reachable from ``b`` over the genome's links
        (enabled or not)?"""
        mine = np.zeros(self.n, bool)
        mine[g] = True
        e = mine[self.co]
        owner = self.co[e]
        src = owner * span + (self.ca[e] - lo)
        dst = owner * span + (self.cb[e] - lo)
        start = g * span + (b - lo)
        target = g * span + (a - lo)
        if self.n * span <= 1 << 20:  # few enough (genome, key) pairs to mark them directly
            seen = np.zeros(self.n * span, bool)
            seen[start] = True
            while True:
                grow = seen[src] & ~seen[dst]
                if not grow.any():
                    return seen[target]
                seen[dst[grow]] = True
        universe = np.unique(np.concatenate([src, dst, start]))
        src, dst = np.searchsorted(universe, src), np.searchsorted(universe, dst)
        seen = np.zeros(len(universe), bool)
        seen[np.searchsorted(universe, start)] = True
        while True:
            grow = seen[src] & ~seen[dst]
            if not grow.any():
                break
            seen[dst[grow]] = True
        pos = np.minimum(np.searchsorted(universe, target), len(universe) - 1)
        return (universe[pos] == target) & seen[pos]

    def delete_connection(self, genomes):
        """``mutate_delete_connection``: remove a random connection of each genome."""
        has, rows = _pick(self.co, None, genomes, self.uniform(len(genomes)), self.n)
        if has.any():
            drop = np.zeros(len(self.co), bool)
            drop[rows] = True
            self._drop_conns(drop)

    # -- the result ----------------------------------------------------------------------
    def finish(self, mutate_attributes=False):
        """The edited genes: a population (not yet adopted by the genomes) of two new tables."""
        config, rng = self.config, self.rng
        nodes = _take(self.node_pool, self.ni)
        pool_enabled = None
        if self.enabled is not None:
            pool_enabled = (
                self.enabled[0] if len(self.enabled) == 1 else np.concatenate(self.enabled)
            )
        conns = _take(self.conn_pool, self.ci, enabled=pool_enabled)
        if mutate_attributes:
            nodes.cols = [
                a.mutate_array(c, config, rng).astype(a.dtype, copy=False)
                for a, c in zip(nodes.attributes, nodes.cols)
            ]
            conns.cols = [
                a.mutate_array(c, config, rng).astype(a.dtype, copy=False)
                for a, c in zip(conns.attributes, conns.cols)
            ]
        from neuroflow.neat.genome import _Population

        ncount = np.bincount(self.no, minlength=self.n)
        ccount = np.bincount(self.co, minlength=self.n)
        return _Population.of_tables(self.genomes, nodes, conns, ncount, ccount)


def _take(pool, idx, enabled=None) -> GeneTable:
    """Rows ``idx`` of the tables of ``pool`` read as one (``enabled``: that column's values)."""
    t0 = pool[0]
    if len(pool) > 1:
        t0 = GeneTable.concat(pool)
    cols = t0.cols
    if enabled is not None:
        cols = [enabled if a.name == "enabled" else c for a, c in zip(t0.attributes, cols)]
    innov = None if t0.innov is None else t0.innov[idx]
    return GeneTable(t0.gene_type, t0.keys[idx], [c[idx] for c in cols], innov)


def mutate(config, pop, rng, attributes=True):
    """neat-python's ``mutate`` for every genome of ``pop``: structural mutations drawn with
    the configured probabilities (in neat-python's order), then every gene's attributes."""
    batch = _Batch(config, pop, rng, rng.random)
    n = len(pop.genomes)
    probs = [
        config.node_add_prob,
        config.node_delete_prob,
        config.conn_add_prob,
        config.conn_delete_prob,
    ]
    if config.single_structural_mutation:
        edges = np.cumsum(probs) / max(1.0, sum(probs))
        which = np.searchsorted(edges, rng.random(n), side="right")  # 4: none
        masks = [which == k for k in range(4)]
    else:
        masks = (rng.random((n, 4)) < np.array(probs)).T
    ops = (batch.add_node, batch.delete_node, batch.add_connection, batch.delete_connection)
    for op, mask in zip(ops, masks):
        genomes = np.nonzero(mask)[0]
        if len(genomes):
            op(genomes)
    return batch.finish(mutate_attributes=attributes)  # a population of new tables
