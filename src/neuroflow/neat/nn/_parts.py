"""A genome's genes as plain Python lists, read from its table without making gene objects."""

from __future__ import annotations

from neuroflow.neat.attributes import NAMES


def genome_parts(genome, genome_config):
    """``(nodes, connections)``: ``{key: (bias, response, activation, aggregation)}`` and
    ``[((input, output), weight, enabled), ...]`` in the genome's gene order."""
    t, lo, hi = genome.node_ref(genome_config)
    keys = t.keys[lo:hi].tolist()
    cols = {a.name: c[lo:hi].tolist() for a, c in zip(t.attributes, t.cols)}
    act = [NAMES[c] for c in cols["activation"]]
    agg = [NAMES[c] for c in cols["aggregation"]]
    nodes = {k: v for k, v in zip(keys, zip(cols["bias"], cols["response"], act, agg))}
    t, lo, hi = genome.connection_ref(genome_config)
    ckeys = [tuple(k) for k in t.keys[lo:hi].tolist()]
    weights = t.col("weight")[lo:hi].tolist()
    enabled = t.col("enabled")
    enabled = enabled[lo:hi].tolist() if enabled is not None else [True] * len(ckeys)
    return nodes, list(zip(ckeys, weights, enabled))
