"""Spiking networks of Izhikevich neurons from genomes (neat-python's ``neat.iznn``).

Izhikevich (2003), "Simple Model of Spiking Neurons", IEEE Transactions on Neural
Networks 14(6). Each neuron has a membrane potential ``v`` and a recovery variable ``u``:

    v' = 0.04 v^2 + 5 v + 140 - u + I,    u' = a (b v - u),
    and when v > 30 mV: a spike, then v <- c, u <- u + d.

A genome for these networks is an :class:`IZGenome` (its node genes carry ``bias`` and
the model's ``a``, ``b``, ``c``, ``d``; the configuration section is ``[IZGenome]``).
:class:`IZNN` steps every neuron with neat-python's integration (two half steps for
``v``), so the same genome spikes at the same times. A neuron's input current is its bias
plus the weighted spikes (0 or 1) of the neurons feeding it in the previous step and the
weighted values of the network's inputs.

>>> n = IZNeuron(10.0, **REGULAR_SPIKING_PARAMS, inputs=[])
>>> spikes = [n.advance(0.25) or n.fired for _ in range(400)]  # 100 ms of a constant 10
>>> int(sum(spikes))
3
"""

from __future__ import annotations

from neuroflow.neat.attributes import FloatAttribute
from neuroflow.neat.genes import BaseGene, DefaultConnectionGene
from neuroflow.neat.genome import DefaultGenome, DefaultGenomeConfig
from neuroflow.neat.graphs import required_for_output

__all__ = [
    "CHATTERING_PARAMS",
    "FAST_SPIKING_PARAMS",
    "INTRINSICALLY_BURSTING_PARAMS",
    "IZGenome",
    "IZNN",
    "IZNeuron",
    "IZNodeGene",
    "LOW_THRESHOLD_SPIKING_PARAMS",
    "REGULAR_SPIKING_PARAMS",
    "RESONATOR_PARAMS",
    "THALAMO_CORTICAL_PARAMS",
]

# a: time scale of the recovery variable; b: its sensitivity to v; c: v after a spike;
# d: the jump of u after a spike. The firing patterns of Izhikevich's figure 2:
REGULAR_SPIKING_PARAMS = {"a": 0.02, "b": 0.20, "c": -65.0, "d": 8.00}
INTRINSICALLY_BURSTING_PARAMS = {"a": 0.02, "b": 0.20, "c": -55.0, "d": 4.00}
CHATTERING_PARAMS = {"a": 0.02, "b": 0.20, "c": -50.0, "d": 2.00}
FAST_SPIKING_PARAMS = {"a": 0.10, "b": 0.20, "c": -65.0, "d": 2.00}
THALAMO_CORTICAL_PARAMS = {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05}
RESONATOR_PARAMS = {"a": 0.10, "b": 0.25, "c": -65.0, "d": 2.00}
LOW_THRESHOLD_SPIKING_PARAMS = {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.00}


class IZNodeGene(BaseGene):
    """A spiking neuron's gene: ``bias`` (a constant input current) and ``a``-``d``.

    Its distance to another counts ``a``-``d`` only (neat-python's), times the
    configuration's ``compatibility_weight_coefficient``.
    """

    _gene_attributes = [
        FloatAttribute("bias"),
        FloatAttribute("a"),
        FloatAttribute("b"),
        FloatAttribute("c"),
        FloatAttribute("d"),
    ]
    _distance_attributes = ("a", "b", "c", "d")

    def __init__(self, key):
        if not isinstance(key, int):
            raise TypeError(f"Expected a node gene's key to be an int. Received: key={key!r}")
        super().__init__(key)

    def distance(self, other, config):
        s = abs(self.a - other.a) + abs(self.b - other.b)
        s += abs(self.c - other.c) + abs(self.d - other.d)
        return s * config.compatibility_weight_coefficient


class IZGenome(DefaultGenome):
    """A genome of :class:`IZNodeGene` nodes; its configuration section is ``[IZGenome]``."""

    @classmethod
    def parse_config(cls, param_dict):
        param_dict["node_gene_type"] = IZNodeGene
        param_dict["connection_gene_type"] = DefaultConnectionGene
        return DefaultGenomeConfig(param_dict, "IZGenome")


class IZNeuron:
    """One Izhikevich neuron: ``v`` (mV), ``u``, ``fired`` (1.0 in a step that spiked),
    ``current`` (this step's input) and its ``inputs`` ``[(key, weight), ...]``."""

    def __init__(self, bias, a, b, c, d, inputs):
        self.a, self.b, self.c, self.d = a, b, c, d
        self.bias = bias
        self.inputs = inputs
        self.v = self.c  # membrane potential
        self.u = self.b * self.v  # membrane recovery
        self.fired = 0.0
        self.current = self.bias

    def advance(self, dt_msec):
        """One step of ``dt_msec`` milliseconds; sets ``fired`` to 1.0 on a spike."""
        try:
            self.v += 0.5 * dt_msec * (0.04 * self.v**2 + 5 * self.v + 140 - self.u + self.current)
            self.v += 0.5 * dt_msec * (0.04 * self.v**2 + 5 * self.v + 140 - self.u + self.current)
            self.u += dt_msec * self.a * (self.b * self.v - self.u)
        except OverflowError:  # diverged: back to rest without a spike (neat-python's)
            self.v = self.c
            self.u = self.b * self.v
        self.fired = 0.0
        if self.v > 30.0:
            self.fired = 1.0
            self.v = self.c
            self.u += self.d

    def reset(self):
        """Back to rest: ``v = c``, ``u = b c``, no spike, current = bias."""
        self.v = self.c
        self.u = self.b * self.v
        self.fired = 0.0
        self.current = self.bias


class IZNN:
    """A network of :class:`IZNeuron`: ``set_inputs``, then ``advance(dt_msec)`` per step
    (returns each output neuron's ``fired``); ``reset``; ``neurons`` by node key."""

    def __init__(self, neurons, inputs, outputs):
        self.neurons = neurons
        self.inputs = inputs
        self.outputs = outputs
        self.input_values = {}

    def set_inputs(self, inputs):
        """The input values (held until set again)."""
        if len(inputs) != len(self.inputs):
            raise RuntimeError(
                f"Number of inputs {len(inputs):d} does not match number of input nodes "
                f"{len(self.inputs):d}"
            )
        for i, v in zip(self.inputs, inputs):
            self.input_values[i] = v

    def reset(self):
        """Every neuron back to rest."""
        for n in self.neurons.values():
            n.reset()

    def get_time_step_msec(self):
        """The step neat-python uses: 0.05 ms."""
        return 0.05

    def advance(self, dt_msec):
        """One step: currents from the previous step's spikes and the inputs, then every
        neuron advances. Returns the output neurons' ``fired``."""
        neurons = self.neurons
        for n in neurons.values():
            n.current = n.bias
            for i, w in n.inputs:
                source = neurons.get(i)
                n.current += (source.fired if source is not None else self.input_values[i]) * w
        for n in neurons.values():
            n.advance(dt_msec)
        return [neurons[i].fired for i in self.outputs]

    @staticmethod
    def create(genome, config):
        """The spiking phenotype of ``genome`` (an :class:`IZGenome`)."""
        gc = config.genome_config
        connections = genome.connections
        required = required_for_output(gc.input_keys, gc.output_keys, list(connections))
        inputs = set(gc.input_keys)
        node_inputs: dict = {}
        for cg in connections.values():
            if not cg.enabled:
                continue
            i, o = cg.key
            if o not in required or (i not in required and i not in inputs):
                continue
            node_inputs.setdefault(o, []).append((i, cg.weight))
        nodes = genome.nodes
        neurons = {}
        for key in sorted(required):
            ng = nodes[key]
            neurons[key] = IZNeuron(ng.bias, ng.a, ng.b, ng.c, ng.d, node_inputs.get(key, []))
        return IZNN(neurons, gc.input_keys, gc.output_keys)
