"""Recurrent networks from genomes (neat-python's ``nn.RecurrentNetwork``).

Every node reads the previous step's values, so cycles are allowed; ``activate`` advances
one step and ``reset`` clears the state.
"""

from __future__ import annotations

from neuroflow.neat.graphs import required_for_output
from neuroflow.neat.nn._parts import flip_buffers, genome_parts, value_buffers

__all__ = ["RecurrentNetwork"]


class RecurrentNetwork:
    """A genome's recurrent network: ``activate(inputs)`` one time step, ``reset()``.

    >>> from neuroflow.neat.activations import identity_activation
    >>> from neuroflow.neat.aggregations import sum_aggregation
    >>> net = RecurrentNetwork([-1], [0],
    ...     [(0, identity_activation, sum_aggregation, 0.0, 1.0, [(-1, 1.0), (0, 0.5)])])
    >>> net.activate([1.0]), net.activate([1.0]), net.activate([1.0])
    ([1.0], [1.5], [1.75])
    """

    def __init__(self, inputs, outputs, node_evals):
        self.input_nodes = inputs
        self.output_nodes = outputs
        self.node_evals = node_evals
        self.values = value_buffers(inputs, outputs, [(ne[0], ne[5]) for ne in node_evals])
        self.active = 0

    def reset(self):
        self.values = [{k: 0.0 for k in v} for v in self.values]
        self.active = 0

    def activate(self, inputs):
        if len(self.input_nodes) != len(inputs):
            raise RuntimeError(f"Expected {len(self.input_nodes):n} inputs, got {len(inputs):n}")
        ivalues, ovalues = flip_buffers(self, inputs)
        for node, act, agg, bias, response, links in self.node_evals:
            ovalues[node] = act(bias + response * agg([ivalues[i] * w for i, w in links]))
        return [ovalues[i] for i in self.output_nodes]

    @staticmethod
    def create(genome, config):
        """The recurrent phenotype of ``genome`` (neat-python's ``create``)."""
        gc = config.genome_config
        nodes, conns = genome_parts(genome, gc)
        required = required_for_output(gc.input_keys, gc.output_keys, [k for k, _, _ in conns])
        node_inputs: dict = {}
        for (i, o), w, enabled in conns:
            if enabled and (o in required or i in required):
                node_inputs.setdefault(o, []).append((i, w))
        node_evals = []
        for key, links in node_inputs.items():
            bias, response, act, agg = nodes[key]
            node_evals.append(
                (
                    key,
                    gc.activation_defs.get(act),
                    gc.aggregation_function_defs.get(agg),
                    bias,
                    response,
                    links,
                )
            )
        return RecurrentNetwork(gc.input_keys, gc.output_keys, node_evals)
