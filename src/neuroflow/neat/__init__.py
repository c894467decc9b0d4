"""NEAT: NeuroEvolution of Augmenting Topologies, with neat-python's configuration and API.

A neat-python program runs after changing its import (``import neuroflow.neat as neat``):
the same INI configuration, ``Config``, ``Population(config).run(eval_genomes, n)``,
``nn.FeedForwardNetwork.create(genome, config).activate(x)``, the reporters,
``Checkpointer`` and ``ParallelEvaluator``. Underneath, a generation's genomes are bred,
mutated, compared and evaluated as arrays: ``nn.compile_population(genomes, config)``
evaluates every genome's network on a batch of inputs at once. Checkpoints are JSON and
arrays in one zip file (no pickle).

Stanley and Miikkulainen (2002), "Evolving Neural Networks through Augmenting Topologies",
Evolutionary Computation 10(2).

>>> import neuroflow.neat as neat
>>> sorted(neat.ActivationFunctionSet().functions)[:4]
['abs', 'clamped', 'cube', 'elu']
"""

from neuroflow.neat import ctrnn, iznn, nn
from neuroflow.neat._examples import config_example
from neuroflow.neat.activations import ActivationFunctionSet
from neuroflow.neat.aggregations import AggregationFunctionSet
from neuroflow.neat.checkpoint import Checkpointer
from neuroflow.neat.config import Config, UnknownConfigItemError
from neuroflow.neat.genes import DefaultConnectionGene, DefaultNodeGene
from neuroflow.neat.genome import DefaultGenome, DefaultGenomeConfig
from neuroflow.neat.innovation import InnovationTracker
from neuroflow.neat.parallel import ParallelEvaluator, ThreadedEvaluator
from neuroflow.neat.population import CompleteExtinctionException, Population
from neuroflow.neat.reporting import BaseReporter, ReporterSet, StdOutReporter
from neuroflow.neat.reproduction import DefaultReproduction
from neuroflow.neat.species import DefaultSpeciesSet
from neuroflow.neat.stagnation import DefaultStagnation
from neuroflow.neat.statistics import StatisticsReporter

__version__ = "2.0.0"  # the neat-python API this mirrors

__all__ = [
    "ActivationFunctionSet",
    "AggregationFunctionSet",
    "BaseReporter",
    "Checkpointer",
    "CompleteExtinctionException",
    "Config",
    "DefaultConnectionGene",
    "DefaultGenome",
    "DefaultGenomeConfig",
    "DefaultNodeGene",
    "DefaultReproduction",
    "DefaultSpeciesSet",
    "DefaultStagnation",
    "InnovationTracker",
    "ParallelEvaluator",
    "Population",
    "ReporterSet",
    "StatisticsReporter",
    "StdOutReporter",
    "ThreadedEvaluator",
    "UnknownConfigItemError",
    "config_example",
    "ctrnn",
    "iznn",
    "nn",
]
