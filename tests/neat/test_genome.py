"""Genomes: initial connections, structural mutations, crossover, distance (vs neat-python)."""

from __future__ import annotations

import copy
import pickle
import random

import numpy as np
import pytest

import neuroflow.neat as neat
from neuroflow.neat.graphs import creates_cycle
from tests.conftest import peer
from tests.neat._helpers import XOR_X, eval_xor_batch, load, to_neat_python, write_config


@pytest.fixture
def config(tmp_path):
    return load(write_config(tmp_path))


def _config(tmp_path, **changes):
    text = neat.config_example()
    for key, value in changes.items():
        lines = [ln for ln in text.splitlines() if ln.split("=")[0].strip() == key]
        text = text.replace(lines[0], f"{key} = {value}")
    return load(write_config(tmp_path, text))


@pytest.mark.parametrize(
    "mode, hidden, expected",
    [
        ("full", 0, 2),
        ("full_direct", 3, 2 * 3 + 3 + 2),
        ("full_nodirect", 3, 2 * 3 + 3),
        ("unconnected", 2, 0),
        ("partial_nodirect 0.5", 3, 4),
        ("fs_neat_nohidden", 3, 1),
        ("fs_neat_hidden", 3, 4),
    ],
)
def test_initial_connection_modes(tmp_path, mode, hidden, expected):
    config = _config(tmp_path, initial_connection=mode, num_hidden=hidden)
    random.seed(1)
    g = neat.DefaultGenome(1)
    g.configure_new(config.genome_config)
    assert len(g.connections) == expected
    assert len(g.nodes) == 1 + hidden
    assert all(cg.enabled and cg.innovation is not None for cg in g.connections.values())


def test_add_node_splits_a_connection(config):
    gc = config.genome_config
    random.seed(0)
    g = neat.DefaultGenome(1)
    g.configure_new(gc)
    before = {k: (cg.weight, cg.enabled) for k, cg in g.connections.items()}
    g.mutate_add_node(gc)
    (new,) = set(g.nodes) - {0}
    assert g.nodes[new].bias == 0.0
    (split,) = [k for k in before if not g.connections[k].enabled]
    a, b = split
    assert g.connections[(a, new)].weight == 1.0 and g.connections[(a, new)].enabled
    assert g.connections[(new, b)].weight == before[split][0]
    inn = {g.connections[(a, new)].innovation, g.connections[(new, b)].innovation}
    assert len(inn) == 2 and min(inn) > max(g.connections[k].innovation for k in before)


def test_structural_mutations_keep_feed_forward_genomes_acyclic(config):
    gc = config.genome_config
    random.seed(3)
    g = neat.DefaultGenome(1)
    g.configure_new(gc)
    for _ in range(60):
        g.mutate(gc)
        links = [k for k in g.connections]
        for i, k in enumerate(links):
            assert not creates_cycle(links[:i] + links[i + 1 :], k)
        assert set(gc.output_keys) <= set(g.nodes)  # outputs are never deleted
        assert all(a in g.nodes or a in gc.input_keys for a, _ in links)
        assert all(b in g.nodes for _, b in links)


def test_crossover_takes_structure_from_fitter_parent(config):
    gc = config.genome_config
    random.seed(4)
    a, b = neat.DefaultGenome(1), neat.DefaultGenome(2)
    a.configure_new(gc)
    b.configure_new(gc)
    a.mutate_add_node(gc)
    a.mutate_add_node(gc)
    a.fitness, b.fitness = 2.0, 1.0
    kids = []
    for key in range(10, 40):
        child = neat.DefaultGenome(key)
        child.configure_crossover(a, b, gc)
        kids.append(child)
        assert set(child.connections) == set(a.connections)
        assert set(child.nodes) == set(a.nodes)
    shared = [
        k
        for k in b.connections
        if k in a.connections and a.connections[k].innovation == b.connections[k].innovation
    ]
    assert shared
    k = shared[0]
    weights = {c.connections[k].weight for c in kids}
    assert weights == {a.connections[k].weight, b.connections[k].weight}


def test_distance_equals_neat_python(tmp_path):
    pn = peer("neat")
    path = write_config(tmp_path)
    config, pconfig = load(path), load(path, pn)
    p = neat.Population(config, seed=2)
    p.run(eval_xor_batch, 15)
    genomes = list(p.population.values())[::9]
    theirs = [to_neat_python(g, pn) for g in genomes]
    for g, h in zip(genomes, theirs):
        for g2, h2 in zip(genomes, theirs):
            expected = h.distance(h2, pconfig.genome_config)
            assert g.distance(g2, config.genome_config) == pytest.approx(expected, rel=1e-12)


def test_attribute_rules(config):
    gc = config.genome_config
    weight = gc.connection_gene_type._gene_attributes[0]
    rng = np.random.default_rng(0)
    values = weight.init_array(gc, 20000, rng)
    assert abs(values.mean()) < 0.03 and abs(values.std() - 1.0) < 0.03
    mutated = weight.mutate_array(np.full(20000, 29.9), gc, rng)
    assert mutated.max() <= 30.0 and mutated.min() >= -30.0
    changed = np.mean(mutated != 29.9)
    assert abs(changed - 0.9) < 0.02  # mutate_rate 0.8 + replace_rate 0.1


def test_genes_survive_pickle_and_deepcopy(config):
    gc = config.genome_config
    random.seed(5)
    g = neat.DefaultGenome(3)
    g.configure_new(gc)
    g.mutate_add_node(gc)
    g.fitness = 1.5
    for h in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert h.fitness == 1.5 and h.size() == g.size()
        assert {k: c.weight for k, c in h.connections.items()} == {
            k: c.weight for k, c in g.connections.items()
        }
        assert {k: n.activation for k, n in h.nodes.items()} == {
            0: "sigmoid",
            max(g.nodes): "sigmoid",
        }


def test_population_program_sees_genes_edited_as_objects(config):
    # A generation's networks are read from its gene tables as they are; a genome whose
    # genes a program read and changed as objects must be compiled from those objects.
    p = neat.Population(config, seed=4)
    p.run(eval_xor_batch, 5)
    genomes = list(p.population.items())
    before = neat.nn.compile_population(genomes, config).activate_batch(XOR_X)
    _, g = genomes[3]
    for node in g.nodes.values():
        node.bias += 2.0
    after = neat.nn.compile_population(genomes, config).activate_batch(XOR_X)
    one = neat.nn.FeedForwardNetwork.create(g, config)
    np.testing.assert_allclose(after[3, :, 0], [one.activate(x)[0] for x in XOR_X])
    assert not np.allclose(after[3], before[3])
    np.testing.assert_array_equal(np.delete(after, 3, axis=0), np.delete(before, 3, axis=0))


def test_speciation_measures_from_edited_representatives(config):
    # Speciation reuses the representatives' genes from the last generation; when a program
    # edits a representative's genes, the distances must come from the edited genes.
    p = neat.Population(config, seed=5)
    p.run(eval_xor_batch, 3)
    sid = min(p.species.species)
    rep = p.species.species[sid].representative
    for conn in rep.connections.values():
        conn.weight += 25.0  # far from everyone
    genomes = list(p.population.values())
    expected = [rep.distance(g, config.genome_config) for g in genomes]
    reps = p.species._representatives([sid], config.genome_config)
    got = neat.genome.distance_matrix(
        reps, neat.genome._Population(genomes, config.genome_config), config.genome_config
    )[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
