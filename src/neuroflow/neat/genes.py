"""Node and connection genes (neat-python's ``DefaultNodeGene`` / ``DefaultConnectionGene``).

A genome keeps its genes as columns of arrays (see :mod:`neuroflow.neat.genome`); these
objects are the gene-by-gene view of them, with neat-python's attributes and methods, made
when a program reads ``genome.nodes`` or ``genome.connections``.
"""

from __future__ import annotations

import random
import warnings

from neuroflow.neat.attributes import BoolAttribute, FloatAttribute, StringAttribute

__all__ = ["BaseGene", "DefaultConnectionGene", "DefaultNodeGene"]


class BaseGene:
    """What node and connection genes share: attributes, mutation, crossover, copying."""

    _gene_attributes: list = []
    # the attributes the genome's vectorized distance compares (None: all of them); a gene
    # type whose ``distance`` leaves some out names the ones it counts
    _distance_attributes = None

    def __init__(self, key):
        self.key = key

    def __str__(self):
        names = ["key"] + (["innovation"] if hasattr(self, "innovation") else [])
        names += [a.name for a in self._gene_attributes]
        body = ", ".join(f"{n}={getattr(self, n)}" for n in names)
        return f"{type(self).__name__}({body})"

    __repr__ = __str__

    def __lt__(self, other):
        return self.key < other.key

    @classmethod
    def parse_config(cls, config, param_dict):
        pass

    @classmethod
    def get_config_params(cls):
        if not hasattr(cls, "_gene_attributes"):
            cls._gene_attributes = cls.__gene_attributes__
            warnings.warn(
                f"Class '{cls.__name__}' needs '_gene_attributes' not '__gene_attributes__'",
                DeprecationWarning,
                stacklevel=2,
            )
        return [p for a in cls._gene_attributes for p in a.get_config_params()]

    @classmethod
    def validate_attributes(cls, config):
        for a in cls._gene_attributes:
            a.validate(config)

    def init_attributes(self, config):
        for a in self._gene_attributes:
            setattr(self, a.name, a.init_value(config))

    def mutate(self, config):
        for a in self._gene_attributes:
            setattr(self, a.name, a.mutate_value(getattr(self, a.name), config))

    def _blank(self):
        if hasattr(self, "innovation"):
            return type(self)(self.key, innovation=self.innovation)
        return type(self)(self.key)

    def copy(self):
        new = self._blank()
        for a in self._gene_attributes:
            setattr(new, a.name, getattr(self, a.name))
        return new

    def crossover(self, gene2):
        """A gene taking each attribute from ``self`` or ``gene2`` with probability 1/2.

        A connection disabled in either parent is disabled in the child with probability
        3/4 (the NEAT paper's rule, as neat-python 2.0).
        """
        if self.key != gene2.key:
            raise ValueError(
                f"Expected genes with the same key for crossover. Received: {self.key!r} "
                f"and {gene2.key!r}"
            )
        new = self._blank()
        for a in self._gene_attributes:
            source = self if random.random() > 0.5 else gene2
            setattr(new, a.name, getattr(source, a.name))
        if hasattr(new, "enabled") and not (self.enabled and gene2.enabled):
            if random.random() < 0.75:
                new.enabled = False
        return new


class DefaultNodeGene(BaseGene):
    """A node: ``bias``, ``response``, ``activation``, ``aggregation`` (and ``time_constant``)."""

    _gene_attributes = [
        FloatAttribute("bias"),
        FloatAttribute("response"),
        StringAttribute("activation", options=""),
        StringAttribute("aggregation", options=""),
        FloatAttribute(
            "time_constant",
            init_mean=1.0,
            init_stdev=0.0,
            replace_rate=0.0,
            mutate_rate=0.0,
            mutate_power=0.0,
            max_value=10.0,
            min_value=0.01,
        ),
    ]

    def __init__(self, key):
        if not isinstance(key, int):
            raise TypeError(f"Expected a node gene's key to be an int. Received: key={key!r}")
        super().__init__(key)

    def distance(self, other, config):
        d = abs(self.bias - other.bias) + abs(self.response - other.response)
        d += abs(getattr(self, "time_constant", 1.0) - getattr(other, "time_constant", 1.0))
        d += float(self.activation != other.activation)
        d += float(self.aggregation != other.aggregation)
        return d * config.compatibility_weight_coefficient


class DefaultConnectionGene(BaseGene):
    """A connection ``key = (input node, output node)`` with ``weight`` and ``enabled``.

    ``innovation`` is its historical marking: genes with the same marking line up in
    crossover. neat-python 0.92 had none; ``None`` is accepted and matches only ``None``.
    """

    _gene_attributes = [FloatAttribute("weight"), BoolAttribute("enabled")]

    def __init__(self, key, innovation=None):
        if not (isinstance(key, tuple) and len(key) == 2):
            raise TypeError(
                f"Expected a connection gene's key to be a tuple (input, output). "
                f"Received: key={key!r}"
            )
        super().__init__(key)
        self.innovation = innovation

    def distance(self, other, config):
        d = abs(self.weight - other.weight) + float(self.enabled != other.enabled)
        return d * config.compatibility_weight_coefficient

    def __eq__(self, other):
        if not isinstance(other, DefaultConnectionGene):
            return NotImplemented
        return self.innovation == other.innovation and self.key == other.key

    def __hash__(self):
        return hash((self.innovation, self.key))
