"""Continuous-time recurrent networks from genomes (neat-python's ``neat.ctrnn``).

Each node ``i`` integrates ``tau_i * dy_i/dt = -y_i + activation(bias_i + response_i *
aggregation(w_ij * y_j))`` with forward Euler steps; ``advance(inputs, advance_time,
time_step)`` holds the inputs constant for ``advance_time`` and returns the outputs.
As in neat-python 2.0, each node's time constant is its gene's ``time_constant``
attribute (``[DefaultGenome]`` keys ``time_constant_*``; by default fixed at 1.0), and the
values are double-buffered exactly as neat-python buffers them, so the same genome gives
the same trajectory. (neat-python alternates two value buffers and each Euler step
advances the older one, so a node's value moves every other step: its response to a
step input is ``1 - exp(-t / (2 tau))``.) neat-python 0.92's
``create(genome, config, time_constant)``, one constant for every node, is accepted too.

>>> from neuroflow.neat.activations import identity_activation
>>> from neuroflow.neat.aggregations import sum_aggregation
>>> node = CTRNNNodeEval(1.0, identity_activation, sum_aggregation, 0.0, 1.0, [(-1, 1.0)])
>>> net = CTRNN([-1], [0], {0: node})
>>> [round(v, 4) for v in net.advance([1.0], 0.5, 0.1)]  # toward 1, at 1 / (2 tau)
[0.19]
>>> net.reset(); net.time_seconds
0.0
"""

from __future__ import annotations

from neuroflow.neat.graphs import required_for_output
from neuroflow.neat.nn._parts import flip_buffers, value_buffers

__all__ = ["CTRNN", "CTRNNNodeEval"]


class CTRNNNodeEval:
    """One node's evaluation: time constant, functions, bias, response and input links."""

    def __init__(self, time_constant, activation, aggregation, bias, response, links):
        self.time_constant = time_constant
        self.activation = activation
        self.aggregation = aggregation
        self.bias = bias
        self.response = response
        self.links = links

    def __repr__(self):
        return (
            f"CTRNNNodeEval(time_constant={self.time_constant}, bias={self.bias}, "
            f"response={self.response}, links={self.links})"
        )


class CTRNN:
    """A genome's continuous-time recurrent network (see the module's docstring)."""

    def __init__(self, inputs, outputs, node_evals):
        self.input_nodes = inputs
        self.output_nodes = outputs
        self.node_evals = node_evals
        self.values = value_buffers(
            inputs, outputs, [(k, ne.links) for k, ne in node_evals.items()]
        )
        self.active = 0
        self.time_seconds = 0.0

    def reset(self):
        """Every value back to 0 and the clock to 0 s."""
        self.values = [{k: 0.0 for k in v} for v in self.values]
        self.active = 0
        self.time_seconds = 0.0

    def set_node_value(self, node_key, value):
        """Sets ``node_key``'s value in both buffers (an initial state)."""
        for v in self.values:
            v[node_key] = value

    def get_max_time_step(self):
        """neat-python does not compute a stable step either: pass ``time_step`` to
        ``advance``."""
        raise NotImplementedError(
            "CTRNN has no automatic time step; pass `time_step` to advance(), e.g. "
            "net.advance(inputs, 0.02, 0.01)."
        )

    def advance(self, inputs, advance_time, time_step=None):
        """Simulates ``advance_time`` seconds with ``inputs`` held constant, in Euler steps
        of at most ``time_step``; returns the output nodes' values."""
        if time_step is None:
            time_step = 0.5 * self.get_max_time_step()
        if len(self.input_nodes) != len(inputs):
            raise RuntimeError(f"Expected {len(self.input_nodes)} inputs, got {len(inputs)}")
        if not time_step > 0:
            raise ValueError(
                f"Expected `time_step` to be a positive number of seconds. "
                f"Received: time_step={time_step!r}"
            )
        final_time_seconds = self.time_seconds + advance_time
        while self.time_seconds < final_time_seconds:
            dt = min(time_step, final_time_seconds - self.time_seconds)
            ivalues, ovalues = flip_buffers(self, inputs)
            for node_key, ne in self.node_evals.items():
                s = ne.aggregation([ivalues[i] * w for i, w in ne.links])
                z = ne.activation(ne.bias + ne.response * s)
                ovalues[node_key] += dt / ne.time_constant * (-ovalues[node_key] + z)
            self.time_seconds += dt
        ovalues = self.values[1 - self.active]
        return [ovalues[i] for i in self.output_nodes]

    @staticmethod
    def create(genome, config, time_constant=None):
        """The CTRNN phenotype of ``genome``; ``time_constant`` (neat-python 0.92's third
        argument), when given, replaces every node's own."""
        if time_constant is not None and not time_constant > 0:
            raise ValueError(
                f"Expected `time_constant` to be a positive number. "
                f"Received: time_constant={time_constant!r}"
            )
        gc = config.genome_config
        connections = genome.connections
        required = required_for_output(gc.input_keys, gc.output_keys, list(connections))
        node_inputs: dict = {}
        for cg in connections.values():
            if not cg.enabled:
                continue
            i, o = cg.key
            if o not in required and i not in required:
                continue
            node_inputs.setdefault(o, []).append((i, cg.weight))
        nodes = genome.nodes
        node_evals = {}
        for key, links in node_inputs.items():
            ng = nodes[key]
            tau = time_constant if time_constant is not None else ng.time_constant
            node_evals[key] = CTRNNNodeEval(
                tau,
                gc.activation_defs.get(ng.activation),
                gc.aggregation_function_defs.get(ng.aggregation),
                ng.bias,
                ng.response,
                links,
            )
        return CTRNN(gc.input_keys, gc.output_keys, node_evals)
