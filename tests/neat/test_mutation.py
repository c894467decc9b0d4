"""Whole-generation structural mutation: the same outcomes, with the same odds, as neat-python's
one-genome-at-a-time ``mutate_*``; genomes stay valid; population networks with mixed
activations and aggregations equal neat-python's per-genome networks."""

from __future__ import annotations

import copy
import random
from collections import Counter

import numpy as np
import pytest

import neuroflow.neat as neat
from neuroflow.neat import _mutation
from neuroflow.neat.genome import _Population
from neuroflow.neat.graphs import creates_cycle
from tests.conftest import peer
from tests.neat._helpers import XOR_X, eval_xor_batch, load, to_neat_python, write_config

N = 3000  # copies of one genome mutated by each library


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    pn = peer("neat")
    path = write_config(tmp_path_factory.mktemp("mutation"))
    config, pconfig = load(path), load(path, pn)
    p = neat.Population(config, seed=4)
    p.run(eval_xor_batch, 12)
    # a genome with hidden nodes and a disabled connection: every rule has choices to make
    genome = max(
        p.population.values(),
        key=lambda g: (len(g.nodes) > 1, not all(c.enabled for c in g.connections.values()),
                       len(g.connections)),
    )  # fmt: skip
    assert len(genome.nodes) > 1 and len(genome.connections) >= 3
    return pn, config, pconfig, genome


def _ours(config, genome, op):
    """``op`` applied by one array pass to N copies of ``genome``; the copies."""
    gc = config.genome_config
    copies = [copy.deepcopy(genome) for _ in range(N)]
    rng = np.random.default_rng(0)
    batch = _mutation._Batch(gc, _Population(copies, gc), rng, rng.random)
    getattr(batch, op)(np.arange(N))
    batch.finish().adopt()
    return copies


def _theirs(pn, pconfig, genome, op):
    """neat-python's ``mutate_<op>`` on N copies of ``genome``, one at a time."""
    pgc = pconfig.genome_config
    pgc.innovation_tracker = pn.innovation.InnovationTracker()
    pgc.node_indexer = None
    random.seed(0)
    base = to_neat_python(genome, pn)
    out = []
    for _ in range(N):
        h = copy.deepcopy(base)
        if op == "delete_connection":
            h.mutate_delete_connection()
        else:
            getattr(h, f"mutate_{op}")(pgc)
        out.append(h)
    return out


def _outcome(genome, before_nodes, before_conns):
    """What a structural mutation did, with new node keys written as 'new'."""
    nodes = set(genome.nodes)
    name = {k: ("new" if k not in before_nodes else k) for k in nodes}
    name.update({k: k for k in before_nodes})
    conns = {k: c.enabled for k, c in genome.connections.items()}
    added = sorted(
        (str(name.get(a, a)), str(name.get(b, b)), conns[(a, b)])
        for a, b in conns
        if (a, b) not in before_conns
    )
    removed = sorted(str(k) for k in before_conns if k not in conns)
    switched = sorted(str(k) for k in before_conns if k in conns and conns[k] != before_conns[k])
    return (
        tuple(sorted(str(k) for k in before_nodes - nodes)),
        len(nodes - before_nodes),
        tuple(added),
        tuple(removed),
        tuple(switched),
    )


def _distribution(genomes, before_nodes, before_conns):
    counts = Counter(_outcome(g, before_nodes, before_conns) for g in genomes)
    return {k: v / len(genomes) for k, v in counts.items()}


@pytest.mark.parametrize("op", ["add_node", "delete_node", "add_connection", "delete_connection"])
def test_structural_mutation_odds_equal_neat_python(setup, op):
    pn, config, pconfig, genome = setup
    before_nodes = set(genome.nodes)
    before_conns = {k: c.enabled for k, c in genome.connections.items()}
    ours = _distribution(_ours(config, genome, op), before_nodes, before_conns)
    theirs = _distribution(_theirs(pn, pconfig, genome, op), before_nodes, before_conns)
    assert set(ours) == set(theirs), (op, set(ours) ^ set(theirs))
    assert len(ours) >= 2  # a real choice was made
    total_variation = 0.5 * sum(abs(ours.get(k, 0) - theirs.get(k, 0)) for k in theirs)
    assert total_variation < 0.06, (op, ours, theirs)


def test_add_node_splits_with_neat_pythons_weights_and_keys(setup):
    _, config, _, genome = setup
    kids = _ours(config, genome, "add_node")
    weights = {k: c.weight for k, c in genome.connections.items()}
    for kid in kids[:200]:
        (new,) = set(kid.nodes) - set(genome.nodes)
        assert kid.nodes[new].bias == 0.0
        [(a, _)] = [k for k in kid.connections if k[1] == new]
        [(_, b)] = [k for k in kid.connections if k[0] == new]
        assert not kid.connections[(a, b)].enabled
        assert kid.connections[(a, new)].weight == 1.0
        assert kid.connections[(new, b)].weight == weights[(a, b)]
    new_keys = [max(k.nodes) for k in kids]
    assert len(set(new_keys)) == N  # one fresh node key per split


def test_whole_generation_mutation_keeps_genomes_valid(setup):
    _, config, _, genome = setup
    gc = config.genome_config
    genomes = [copy.deepcopy(genome) for _ in range(200)]
    rng = np.random.default_rng(1)
    for _ in range(25):
        _mutation.mutate(gc, _Population(genomes, gc), rng).adopt()
    sizes = set()
    for g in genomes:
        links = list(g.connections)
        assert len(links) == len(set(links))
        for i, k in enumerate(links):
            assert not creates_cycle(links[:i] + links[i + 1 :], k)
        assert set(gc.output_keys) <= set(g.nodes)
        assert all(a in g.nodes or a in gc.input_keys for a, _ in links)
        assert all(b in g.nodes for _, b in links)
        sizes.add(g.size())
    assert len(sizes) > 10  # the genomes went their own ways


def test_single_structural_mutation_does_at_most_one_edit(tmp_path):
    text = neat.config_example().replace(
        "single_structural_mutation     = false", "single_structural_mutation = true"
    )
    config = load(write_config(tmp_path, text))
    gc = config.genome_config
    assert gc.single_structural_mutation
    p = neat.Population(config, seed=1)
    genomes = list(p.population.values())
    before = [(set(g.nodes), set(g.connections)) for g in genomes]
    _mutation.mutate(gc, _Population(genomes, gc), np.random.default_rng(2)).adopt()
    edits = Counter()
    for g, (nodes, conns) in zip(genomes, before):
        kinds = (len(set(g.nodes) - nodes) > 0) + (len(set(g.connections) ^ conns) > 0)
        edits[kinds] += 1
        assert len(set(g.nodes) ^ nodes) <= 1
    assert edits[1] > 0 and edits[0] > 0


def test_population_network_with_mixed_functions_equals_neat_python(tmp_path):
    pn = peer("neat")
    text = neat.config_example()
    for old, new in (
        ("activation_options      = sigmoid", "activation_options = sigmoid tanh relu gauss"),
        ("activation_mutate_rate  = 0.0", "activation_mutate_rate = 0.5"),
        ("aggregation_options     = sum", "aggregation_options = sum product max mean"),
        ("aggregation_mutate_rate = 0.0", "aggregation_mutate_rate = 0.5"),
        ("node_add_prob           = 0.2", "node_add_prob = 0.6"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = write_config(tmp_path, text)
    config, pconfig = load(path), load(path, pn)
    p = neat.Population(config, seed=6)
    config.fitness_threshold = 100.0
    p.run(eval_xor_batch, 15)
    genomes = list(p.population.values())
    X = np.random.default_rng(3).normal(size=(7, 2))
    out = neat.nn.compile_population(genomes, config).activate_batch(X)
    functions = set()
    for i, g in enumerate(genomes):
        ref = pn.nn.FeedForwardNetwork.create(to_neat_python(g, pn), pconfig)
        np.testing.assert_allclose(out[i], [ref.activate(list(x)) for x in X], rtol=1e-12)
        functions |= {(n.activation, n.aggregation) for n in g.nodes.values()}
    assert len(functions) > 6
    assert out.shape == (len(genomes), len(X), 1) and not np.isnan(out).any()
    assert XOR_X.shape == (4, 2)
