"""Networks from genomes: the same values as neat-python's, one input, a batch, a population."""

from __future__ import annotations

import math

import numpy as np
import pytest

import neuroflow.neat as neat
from neuroflow.neat.activations import VECTORIZED
from tests.conftest import peer
from tests.neat._helpers import XOR_X, eval_xor_batch, load, to_neat_python, write_config

Z = [-100.0, -12.0, -3.5, -1.0, -0.3, -1e-9, 0.0, 1e-9, 0.2, 0.7, 1.0, 3.3, 12.0, 100.0]


def test_activations_equal_neat_python_scalar_and_vectorized():
    pn = peer("neat")
    theirs, ours = pn.activations.ActivationFunctionSet(), neat.ActivationFunctionSet()
    assert sorted(theirs.functions) == sorted(ours.functions)
    for name, f in theirs.functions.items():
        expected = [f(z) for z in Z]
        assert [ours.get(name)(z) for z in Z] == pytest.approx(expected, rel=1e-12, abs=1e-300)
        np.testing.assert_allclose(VECTORIZED[name](np.array(Z)), expected, rtol=1e-12)
    # the scaled sigmoid: 1 / (1 + exp(-5 z))
    assert ours.get("sigmoid")(0.2) == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_aggregations_equal_neat_python():
    pn = peer("neat")
    theirs, ours = pn.aggregations.AggregationFunctionSet(), neat.AggregationFunctionSet()
    for values in ([], [0.5], [1.0, -3.0], [2.0, -0.5, 4.0, 1.5], [-2.0, 2.0, 1.0]):
        for name, f in theirs.functions.items():
            if not values and name in ("sum", "product"):
                assert ours.get(name)(values) == f(values)
                continue
            assert ours.get(name)(values) == pytest.approx(f(values)), (name, values)


def _hand_built(config, pn=None):
    """Hidden nodes, a disabled connection, a bias neuron, product/max aggregation, tanh/relu."""
    g = neat.DefaultGenome(7)
    gc = config.genome_config
    spec = {
        0: (0.3, 1.0, "sigmoid", "sum"),
        1: (-0.2, 1.5, "tanh", "sum"),
        5: (0.4, 1.0, "relu", "product"),
        6: (0.1, 0.5, "sigmoid", "max"),
        9: (0.8, 1.0, "gauss", "sum"),
    }
    for k, (b, r, a, agg) in spec.items():
        n = gc.node_gene_type(k)
        n.bias, n.response, n.activation, n.aggregation, n.time_constant = b, r, a, agg, 1.0
        g.nodes[k] = n
    links = [
        ((-1, 5), 0.7, True),
        ((-2, 5), -1.3, True),
        ((5, 6), 2.0, True),
        ((-1, 6), 0.4, True),
        ((6, 0), 1.1, True),
        ((5, 0), -0.6, True),
        ((-2, 0), 0.9, False),
        ((9, 1), 1.7, True),
        ((6, 1), -0.8, True),
    ]
    for i, (k, w, e) in enumerate(links):
        c = gc.connection_gene_type(k, innovation=i + 1)
        c.weight, c.enabled = w, e
        g.connections[k] = c
    return g


@pytest.fixture
def configs(tmp_path):
    text = neat.config_example().replace("num_outputs             = 1", "num_outputs = 2")
    text = text.replace(
        "activation_options      = sigmoid", "activation_options = sigmoid tanh relu gauss"
    )
    text = text.replace("aggregation_options     = sum", "aggregation_options = sum product max")
    path = write_config(tmp_path, text)
    return load(path), load(path, peer("neat"))


def test_hand_built_genome_equals_neat_python(configs):
    ours, theirs = configs
    pn = peer("neat")
    g = _hand_built(ours)
    ref = pn.nn.FeedForwardNetwork.create(to_neat_python(g, pn), theirs)
    net = neat.nn.FeedForwardNetwork.create(g, ours)
    X = np.random.default_rng(0).normal(size=(16, 2))
    expected = np.array([ref.activate(list(x)) for x in X])
    np.testing.assert_allclose([net.activate(list(x)) for x in X], expected, rtol=1e-13)
    np.testing.assert_allclose(net.activate_batch(X), expected, rtol=1e-12)
    batch = neat.nn.compile_population([g, g], ours)
    np.testing.assert_allclose(batch.activate_batch(X)[1], expected, rtol=1e-12)
    np.testing.assert_allclose(batch.activate(X[:2]), expected[:2], rtol=1e-12)
    rec_ref = pn.nn.RecurrentNetwork.create(to_neat_python(g, pn), theirs)
    rec = neat.nn.RecurrentNetwork.create(g, ours)
    for x in X[:5]:
        np.testing.assert_allclose(rec.activate(list(x)), rec_ref.activate(list(x)), rtol=1e-13)
    rec.reset()
    assert rec.activate([0.0, 0.0]) == pytest.approx(
        rec_ref.__class__.create(to_neat_python(g, pn), theirs).activate([0.0, 0.0])
    )


def test_evolved_population_equals_neat_python_per_genome(tmp_path):
    pn = peer("neat")
    path = write_config(tmp_path)
    config, pconfig = load(path), load(path, pn)
    p = neat.Population(config, seed=5)
    p.run(eval_xor_batch, 25)
    genomes = list(p.population.values())
    out = neat.nn.compile_population(genomes, config).activate_batch(XOR_X)
    assert out.shape == (len(genomes), 4, 1)
    for i, g in enumerate(genomes):
        ref = pn.nn.FeedForwardNetwork.create(to_neat_python(g, pn), pconfig)
        expected = [ref.activate(list(x)) for x in XOR_X]
        np.testing.assert_allclose(out[i], expected, rtol=1e-12, atol=1e-15)
    assert any(g.size()[0] > 1 for g in genomes)  # some hidden nodes were evolved


def test_network_bad_input(configs):
    ours, _ = configs
    g = _hand_built(ours)
    net = neat.nn.FeedForwardNetwork.create(g, ours)
    with pytest.raises(RuntimeError, match="Expected 2 inputs, got 3"):
        net.activate([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        net.activate_batch(np.zeros((3, 3)))
    batch = neat.nn.compile_population([g], ours)
    with pytest.raises(ValueError, match="one row of inputs per genome"):
        batch.activate(np.zeros((2, 2)))
    cyc = ours.genome_config.connection_gene_type((0, 5), innovation=99)
    cyc.weight, cyc.enabled = 1.0, True
    g.connections[(0, 5)] = cyc
    with pytest.raises(ValueError, match="cycle"):
        neat.nn.compile_population([g], ours)
