"""Shared pieces of the NEAT tests: the XOR config on disk, conversion to neat-python genomes."""

from __future__ import annotations

import copy

import numpy as np

import neuroflow.neat as neat

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def write_config(tmp_path, text=None, name="config-feedforward"):
    path = tmp_path / name
    path.write_text(neat.config_example() if text is None else text)
    return path


def load(path, module=neat):
    return module.Config(
        module.DefaultGenome,
        module.DefaultReproduction,
        module.DefaultSpeciesSet,
        module.DefaultStagnation,
        str(path),
    )


def eval_xor_batch(genomes, config):
    out = neat.nn.compile_population(genomes, config).activate_batch(XOR_X)
    for (_, g), o in zip(genomes, out):
        g.fitness = 4.0 - float(((o[:, 0] - XOR_Y) ** 2).sum())


NODE_ATTRIBUTES = ("bias", "response", "activation", "aggregation", "time_constant")


def to_neat_python(genome, pn, genome_type=None, node_type=None, attributes=NODE_ATTRIBUTES):
    """The same genome as a neat-python genome (gene by gene); DefaultGenome's unless
    ``genome_type``/``node_type`` (neat-python's classes) and their node ``attributes``."""
    genome = copy.deepcopy(genome)
    h = (genome_type or pn.DefaultGenome)(genome.key)
    for k, ng in genome.nodes.items():
        n = (node_type or pn.genes.DefaultNodeGene)(k)
        for a in attributes:
            setattr(n, a, getattr(ng, a))
        h.nodes[k] = n
    for k, cg in genome.connections.items():
        c = pn.genes.DefaultConnectionGene(k, innovation=cg.innovation or 0)
        c.weight, c.enabled = cg.weight, cg.enabled
        h.connections[k] = c
    return h
