"""The oracles of the built-in tuners (``kt.oracles.RandomSearchOracle``, ...)."""

from neuroflow.tuner.bayesian import BayesianOptimizationOracle
from neuroflow.tuner.evolution import EvolutionarySearchOracle
from neuroflow.tuner.grid_search import GridSearchOracle
from neuroflow.tuner.hyperband import HyperbandOracle
from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.random_search import RandomSearchOracle

__all__ = [
    "BayesianOptimizationOracle",
    "EvolutionarySearchOracle",
    "GridSearchOracle",
    "HyperbandOracle",
    "Oracle",
    "RandomSearchOracle",
]
