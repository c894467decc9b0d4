"""Gene tables: many genomes' genes as columns of arrays (one row per gene).

A genome's genes are a slice ``(table, lo, hi)`` of a table shared by its generation, so
a whole population's genes can be crossed over, mutated, compared and compiled with a few
NumPy operations instead of a Python loop per gene.
"""

from __future__ import annotations

import numpy as np

from neuroflow.neat.attributes import NAMES, StringAttribute, intern


class GeneTable:
    """Rows of genes of one ``gene_type``: ``keys`` (int64, ``(n,)`` for nodes, ``(n, 2)``
    for connections), ``innov`` (connections' innovation numbers, -1 for none) and one
    column per attribute of ``gene_type._gene_attributes``, in that order."""

    __slots__ = ("gene_type", "keys", "innov", "cols", "layout")

    def __init__(self, gene_type, keys, cols, innov=None):
        self.gene_type = gene_type
        self.keys = keys
        self.cols = cols
        self.innov = innov
        # (refs, counts, owner) once a generation's genomes adopted the table (genome.py)
        self.layout = None

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def attributes(self):
        return self.gene_type._gene_attributes

    def col(self, name: str):
        for a, c in zip(self.attributes, self.cols):
            if a.name == name:
                return c
        return None

    def take(self, idx) -> GeneTable:
        innov = None if self.innov is None else self.innov[idx]
        return GeneTable(self.gene_type, self.keys[idx], [c[idx] for c in self.cols], innov)

    @staticmethod
    def empty(gene_type, connection: bool) -> GeneTable:
        keys = np.zeros((0, 2) if connection else 0, np.int64)
        cols = [np.zeros(0, a.dtype) for a in gene_type._gene_attributes]
        return GeneTable(gene_type, keys, cols, np.zeros(0, np.int64) if connection else None)

    @staticmethod
    def concat(tables) -> GeneTable:
        t0 = tables[0]
        innov = None if t0.innov is None else np.concatenate([t.innov for t in tables])
        cols = [np.concatenate([t.cols[j] for t in tables]) for j in range(len(t0.cols))]
        return GeneTable(t0.gene_type, np.concatenate([t.keys for t in tables]), cols, innov)

    # portable form: string attributes as names (codes are per process)
    def to_portable(self) -> dict:
        cols = [
            [NAMES[int(c)] for c in col] if isinstance(a, StringAttribute) else col
            for a, col in zip(self.attributes, self.cols)
        ]
        return {"gene_type": self.gene_type, "keys": self.keys, "innov": self.innov, "cols": cols}

    @staticmethod
    def from_portable(state: dict) -> GeneTable:
        gene_type = state["gene_type"]
        cols = [
            np.array([intern(s) for s in col], np.int64)
            if isinstance(a, StringAttribute)
            else np.asarray(col, a.dtype)
            for a, col in zip(gene_type._gene_attributes, state["cols"])
        ]
        return GeneTable(gene_type, state["keys"], cols, state["innov"])

    def to_genes(self, lo: int, hi: int) -> dict:
        """Gene objects for rows ``lo:hi``, keyed as neat-python keys them."""
        attrs = self.attributes
        values = [c[lo:hi].tolist() for c in self.cols]
        genes = {}
        if self.innov is None:
            keys = self.keys[lo:hi].tolist()
        else:
            keys = [tuple(k) for k in self.keys[lo:hi].tolist()]
            innov = self.innov[lo:hi].tolist()
        for r, key in enumerate(keys):
            if self.innov is None:
                g = self.gene_type(key)
            else:
                g = self.gene_type(key, innovation=None if innov[r] < 0 else innov[r])
            for a, v in zip(attrs, values):
                setattr(g, a.name, NAMES[v[r]] if isinstance(a, StringAttribute) else v[r])
            genes[key] = g
        return genes

    @staticmethod
    def from_genes(gene_type, genes: dict, connection: bool) -> GeneTable:
        if not genes:
            return GeneTable.empty(gene_type, connection)
        attrs = gene_type._gene_attributes
        gl = list(genes.values())
        cols = []
        for a in attrs:
            vals = [getattr(g, a.name) for g in gl]
            if isinstance(a, StringAttribute):
                vals = [intern(v) for v in vals]
            cols.append(np.array(vals, dtype=a.dtype))
        keys = np.array([g.key for g in gl], dtype=np.int64)
        innov = None
        if connection:
            keys = keys.reshape(len(gl), 2)
            innov = np.array([-1 if g.innovation is None else g.innovation for g in gl], np.int64)
        return GeneTable(gene_type, keys, cols, innov)


def ranges(starts, counts) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without a loop."""
    counts = np.asarray(counts, np.int64)
    ends = counts.cumsum()
    total = int(ends[-1]) if len(ends) else 0
    if total == 0:
        return np.zeros(0, np.int64)
    shift = np.asarray(starts, np.int64) - (ends - counts)
    return shift.repeat(counts) + np.arange(total)


def gather(refs, gene_type, connection: bool):
    """One table holding the rows of every ``(table, lo, hi)`` in ``refs``, in order.

    Returns ``(table, counts)``; ``counts[i]`` is the number of rows of ``refs[i]``. When
    the refs are a whole table in order (a generation made by reproduction), that table.
    """
    n = len(refs)
    if n == 0:
        return GeneTable.empty(gene_type, connection), np.zeros(0, np.int64)
    tables, los, his = zip(*refs)
    los = np.array(los, np.int64)
    counts = np.array(his, np.int64) - los
    t0 = tables[0]
    if tables.count(t0) == n:
        ends = np.cumsum(counts)
        if los[0] == 0 and len(t0) == ends[-1] and np.array_equal(los[1:], ends[:-1]):
            return t0, counts  # the refs are the whole table in order
        return t0.take(ranges(los, counts)), counts
    groups: dict = {}
    for i, t in enumerate(tables):
        groups.setdefault(id(t), (t, []))[1].append(i)
    dst_start = np.cumsum(counts) - counts
    total = int(counts.sum())
    keys = np.empty((total, 2) if connection else total, np.int64)
    cols = [np.empty(total, c.dtype) for c in t0.cols]
    innov = np.empty(total, np.int64) if connection else None
    for t, members in groups.values():
        members = np.array(members)
        src = ranges(los[members], counts[members])
        dst = ranges(dst_start[members], counts[members])
        keys[dst] = t.keys[src]
        for out, c in zip(cols, t.cols):
            out[dst] = c[src]
        if connection:
            innov[dst] = t.innov[src]
    return GeneTable(gene_type, keys, cols, innov), counts
