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


def value_buffers(inputs, outputs, node_links) -> list:
    """neat-python's two value dicts of a recurrent network: every input, output, node and
    linked source at 0.0, in that order; ``node_links`` is ``[(node, [(source, w), ...])]``."""
    keys = [*inputs, *outputs]
    for node, links in node_links:
        keys.append(node)
        keys.extend(i for i, _w in links)
    return [dict.fromkeys(keys, 0.0), dict.fromkeys(keys, 0.0)]


def flip_buffers(net, inputs) -> tuple[dict, dict]:
    """One step of neat-python's double buffering: ``net.values[net.active]`` becomes the
    values read this step, the other buffer the ones written, and ``net.active`` moves to
    the written one; ``inputs`` go into both. Returns ``(read, written)``."""
    read = net.values[net.active]
    written = net.values[1 - net.active]
    net.active = 1 - net.active
    for i, v in zip(net.input_nodes, inputs):
        read[i] = v
        written[i] = v
    return read, written
