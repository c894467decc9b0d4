"""Networks from genomes: feed-forward (one input, a batch, a whole population) and recurrent."""

from neuroflow.neat.nn.feed_forward import FeedForwardNetwork
from neuroflow.neat.nn.population import PopulationNetwork, compile_population
from neuroflow.neat.nn.recurrent import RecurrentNetwork

__all__ = ["FeedForwardNetwork", "PopulationNetwork", "RecurrentNetwork", "compile_population"]
