"""Feed-forward networks from genomes (neat-python's ``nn.FeedForwardNetwork``), plus batches.

``FeedForwardNetwork.create(genome, config).activate(inputs)`` computes what neat-python
computes for the same genome: only the nodes an output depends on, in dependency order,
each ``activation(bias + response * aggregation(weighted inputs))``. ``activate_batch(X)``
runs the same network on many inputs at once as a compiled NumPy program: the nodes are
grouped by depth, and each depth is one dense matrix product (``sum`` aggregation) followed
by one activation call per activation function.

>>> import numpy as np
>>> from neuroflow.neat.nn import FeedForwardNetwork
>>> from neuroflow.neat.activations import sigmoid_activation
>>> from neuroflow.neat.aggregations import sum_aggregation
>>> net = FeedForwardNetwork([-1, -2], [0],
...     [(0, sigmoid_activation, sum_aggregation, 0.0, 1.0, [(-1, 1.0), (-2, -1.0)])])
>>> net.activate([1.0, 0.0]) == [sigmoid_activation(1.0)]
True
>>> net.activate_batch(np.array([[1.0, 0.0], [0.0, 1.0]])).shape
(2, 1)
"""

from __future__ import annotations

import numpy as np

from neuroflow.neat.activations import VECTORIZED
from neuroflow.neat.graphs import feed_forward_layers
from neuroflow.neat.nn._parts import genome_parts

__all__ = ["FeedForwardNetwork"]


def _vectorized_activation(func, defs=None):
    from neuroflow.neat import activations

    for name, vec in VECTORIZED.items():
        if func is getattr(activations, f"{name}_activation"):
            return vec
    if defs is not None:
        for name, f in defs.functions.items():
            if f is func and defs.vectorized.get(name) is not None:
                return defs.vectorized[name]
    v = np.frompyfunc(func, 1, 1)
    return lambda z: v(z).astype(np.float64)


def _check_inputs(n_expected, inputs):
    if len(inputs) != n_expected:
        raise RuntimeError(f"Expected {n_expected:n} inputs, got {len(inputs):n}")


class FeedForwardNetwork:
    """A genome's feed-forward network: ``activate(inputs)`` for one input vector."""

    def __init__(self, inputs, outputs, node_evals, activation_defs=None):
        self.input_nodes = inputs
        self.output_nodes = outputs
        self.node_evals = node_evals
        self.values = {key: 0.0 for key in inputs + outputs}
        self._activation_defs = activation_defs
        self._program = None

    def activate(self, inputs):
        """The outputs (a list) for one input vector, as neat-python computes them."""
        _check_inputs(len(self.input_nodes), inputs)
        values = self.values
        for k, v in zip(self.input_nodes, inputs):
            values[k] = v
        for node, act, agg, bias, response, links in self.node_evals:
            values[node] = act(bias + response * agg([values[i] * w for i, w in links]))
        return [values[i] for i in self.output_nodes]

    def activate_batch(self, X) -> np.ndarray:
        """The outputs ``(n, num_outputs)`` for inputs ``X`` of shape ``(n, num_inputs)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.input_nodes):
            raise ValueError(
                f"Expected `X` of shape (n, {len(self.input_nodes)}): one row of inputs per "
                f"sample. Received: shape {X.shape}"
            )
        if self._program is None:
            self._program = _LevelProgram(self)
        return self._program.run(X)

    @staticmethod
    def create(genome, config, unique_value=False, random_values=False):
        """The phenotype of ``genome`` (neat-python's ``create``)."""
        gc = config.genome_config
        nodes, conns = genome_parts(genome, gc)
        if unique_value or random_values:  # neat-python's testing switches rewrite the weights
            import random

            new = []
            for key, w, e in conns:
                if e:
                    w = random.uniform(-1.0, 1.0) if random_values else w
                    w = unique_value if unique_value else w
                    genome.connections[key].weight = w
                new.append((key, w, e))
            conns = new
        enabled = [(key, w) for key, w, e in conns if e]
        links = [key for key, _ in enabled]
        layers, required = feed_forward_layers(gc.input_keys, gc.output_keys, links)
        usable = required | set(gc.input_keys)
        incoming: dict = {}
        for (i, o), w in enabled:
            if i in usable:
                incoming.setdefault(o, []).append((i, w))
        node_evals = []
        for layer in layers:
            for node in layer:
                if node not in nodes:
                    raise ValueError(
                        f"Genome {genome.key} has a connection to or from node {node}, which "
                        f"is not among its nodes ({sorted(nodes)})."
                    )
                bias, response, act, agg = nodes[node]
                node_evals.append(
                    (
                        node,
                        gc.activation_defs.get(act),
                        gc.aggregation_function_defs.get(agg),
                        bias,
                        response,
                        incoming.get(node, []),
                    )
                )
        return FeedForwardNetwork(gc.input_keys, gc.output_keys, node_evals, gc.activation_defs)


class _LevelProgram:
    """A network's node evaluations grouped by depth, as matrices."""

    def __init__(self, net: FeedForwardNetwork):
        slot = {k: j for j, k in enumerate(net.input_nodes)}
        depth = {k: 0 for k in net.input_nodes}
        for node, *_rest, links in net.node_evals:
            depth[node] = 1 + max((depth.get(i, 0) for i, _ in links), default=0)
        self.n_inputs = len(net.input_nodes)
        levels: dict = {}
        for ev in net.node_evals:
            levels.setdefault(depth[ev[0]], []).append(ev)
        self.levels = []
        n_slots = self.n_inputs
        for d in sorted(levels):
            evs = levels[d]
            for ev in evs:
                slot[ev[0]] = n_slots
                n_slots += 1
            first = slot[evs[0][0]]
            from neuroflow.neat import aggregations

            dense = [k for k, ev in enumerate(evs) if ev[2] is aggregations.sum_aggregation]
            W = np.zeros((len(dense), first))
            for r, k in enumerate(dense):
                for i, w in evs[k][5]:
                    W[r, slot[i]] += w
            others = [
                (k, evs[k][2], [(slot[i], w) for i, w in evs[k][5]])
                for k in range(len(evs))
                if k not in set(dense)
            ]
            groups: dict = {}
            for k, ev in enumerate(evs):
                groups.setdefault(ev[1], []).append(k)
            acts = [
                (_vectorized_activation(f, net._activation_defs), np.array(ks))
                for f, ks in groups.items()
            ]
            bias = np.array([ev[3] for ev in evs])[:, None]
            response = np.array([ev[4] for ev in evs])[:, None]
            self.levels.append(
                (first, len(evs), np.array(dense, np.int64), W, others, acts, bias, response)
            )
        self.n_slots = n_slots
        missing = [k for k in net.output_nodes if k not in slot]
        self.outputs = np.array([slot.get(k, -1) for k in net.output_nodes])
        self.zero_outputs = np.array([k in missing for k in net.output_nodes])

    def run(self, X):
        V = np.zeros((self.n_slots, len(X)))
        V[: self.n_inputs] = X.T
        for first, size, dense, W, others, acts, bias, response in self.levels:
            s = np.empty((size, len(X)))
            if len(dense):
                s[dense] = W @ V[:first]
            for k, agg, links in others:
                s[k] = [agg([V[i, j] * w for i, w in links]) for j in range(len(X))]
            z = bias + response * s
            out = V[first : first + size]
            for f, ks in acts:
                out[ks] = f(z[ks])
        Y = V[self.outputs].T.copy()
        Y[:, self.zero_outputs] = 0.0
        return Y
