"""neat.ctrnn and neat.iznn: the same trajectories and spikes as neat-python's for the same
genomes, their evolution, and their bad input."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import neuroflow.neat as neat
from tests.conftest import peer
from tests.neat._helpers import eval_xor_batch, load, to_neat_python, write_config

SPIKING_CONFIG = (
    """
[NEAT]
fitness_criterion     = max
fitness_threshold     = 9.9
pop_size              = 60
reset_on_extinction   = False
no_fitness_termination = False

[IZGenome]
bias_init_mean          = 0.0
bias_init_stdev         = 20.0
bias_max_value          = 100.0
bias_min_value          = -100.0
bias_mutate_power       = 5.0
bias_mutate_rate        = 0.7
bias_replace_rate       = 0.1
"""
    + "".join(
        f"""{name}_init_mean = {mean}
{name}_init_stdev = {stdev}
{name}_max_value = 30.0
{name}_min_value = -100.0
{name}_mutate_power = {stdev}
{name}_mutate_rate = 0.2
{name}_replace_rate = 0.0
"""
        for name, mean, stdev in (
            ("a", 0.02, 0.005),
            ("b", 0.2, 0.02),
            ("c", -65.0, 3.0),
            ("d", 8.0, 1.0),
        )
    )
    + """
compatibility_disjoint_coefficient = 1.0
compatibility_weight_coefficient   = 0.5
conn_add_prob           = 0.3
conn_delete_prob        = 0.1
enabled_default         = True
enabled_mutate_rate     = 0.01
feed_forward            = False
initial_connection      = full
node_add_prob           = 0.2
node_delete_prob        = 0.05
num_hidden              = 1
num_inputs              = 3
num_outputs             = 2
weight_init_mean        = 0.0
weight_init_stdev       = 10.0
weight_max_value        = 100
weight_min_value        = -100
weight_mutate_power     = 2.0
weight_mutate_rate      = 0.8
weight_replace_rate     = 0.1

[DefaultSpeciesSet]
compatibility_threshold = 6.0

[DefaultStagnation]
species_fitness_func = max
max_stagnation       = 20
species_elitism      = 2

[DefaultReproduction]
elitism            = 2
survival_threshold = 0.2
"""
)

CASES = [(0.0, 0.0, 10.0), (0.0, 10.0, 10.0), (10.0, 0.0, 10.0), (10.0, 10.0, 10.0)]


def spiking_config(tmp_path, module=neat):
    path = write_config(tmp_path, SPIKING_CONFIG, "config-spiking")
    return module.Config(
        module.iznn.IZGenome,
        module.DefaultReproduction,
        module.DefaultSpeciesSet,
        module.DefaultStagnation,
        str(path),
    )


def spike_counts(net, steps=300):
    dt = net.get_time_step_msec()
    counts = []
    for x in CASES:
        net.reset()
        net.set_inputs(x)
        fired = np.zeros(len(net.outputs))
        for _ in range(steps):
            fired += net.advance(dt)
        counts.append(fired)
    return np.array(counts)


def eval_spiking(genomes, config):
    for _, g in genomes:  # reward output 0 spiking for XOR-true cases only
        c = spike_counts(neat.iznn.IZNN.create(g, config), 120)
        g.fitness = float(np.minimum(c[[1, 2], 0], 3).sum() - np.minimum(c[[0, 3], 0], 3).sum())


def iz_to_neat_python(genome, pn):
    return to_neat_python(genome, pn, pn.iznn.IZGenome, pn.iznn.IZNodeGene, "bias a b c d".split())


@pytest.fixture(scope="module")
def evolved_spiking(tmp_path_factory):
    config = spiking_config(tmp_path_factory.mktemp("iz"))
    p = neat.Population(config, seed=3)
    p.run(eval_spiking, 4)
    return config, p


def test_izhikevich_neuron_firing_patterns():
    # constant input 10 for 200 ms at neat-python's 0.05 ms step: regular spiking fires a
    # few spikes, fast spiking many more, and with no input a neuron at rest stays silent
    def count(params, current, ms=200.0, dt=0.05):
        n = neat.iznn.IZNeuron(current, **params, inputs=[])
        return sum(n.advance(dt) or n.fired for _ in range(int(ms / dt)))

    regular = count(neat.iznn.REGULAR_SPIKING_PARAMS, 10.0)
    fast = count(neat.iznn.FAST_SPIKING_PARAMS, 10.0)
    assert 3 <= regular < fast
    assert count(neat.iznn.REGULAR_SPIKING_PARAMS, 0.0) == 0


def test_iznn_spikes_equal_neat_python(evolved_spiking, tmp_path):
    pn = peer("neat")
    config, p = evolved_spiking
    pconfig = spiking_config(tmp_path, pn)
    genomes = list(p.population.values())
    assert any(len(g.nodes) > 3 for g in genomes)  # evolved beyond the initial shape
    total = 0.0
    for g in genomes[:25]:
        ours = neat.iznn.IZNN.create(g, config)
        theirs = pn.iznn.IZNN.create(iz_to_neat_python(g, pn), pconfig)
        assert sorted(ours.neurons) == sorted(theirs.neurons)
        a, b = spike_counts(ours), spike_counts(theirs)
        np.testing.assert_array_equal(a, b)
        for k, n in ours.neurons.items():  # the state after the last case, neuron by neuron
            assert (n.v, n.u, n.fired) == (
                theirs.neurons[k].v,
                theirs.neurons[k].u,
                theirs.neurons[k].fired,
            )
        total += a.sum()
    assert total > 0  # the comparison saw spikes


def test_iz_genome_distance_equals_neat_python(evolved_spiking, tmp_path):
    pn = peer("neat")
    config, p = evolved_spiking
    pconfig = spiking_config(tmp_path, pn)
    genomes = list(p.population.values())[:12]
    theirs = [iz_to_neat_python(g, pn) for g in genomes]
    for i in range(0, 12, 3):
        for j in range(12):
            expected = theirs[i].distance(theirs[j], pconfig.genome_config)
            ours = genomes[i].distance(genomes[j], config.genome_config)
            assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # the distance ignores the bias, as neat-python's IZNodeGene.distance does
    g = genomes[0]
    h = copy.deepcopy(g)
    for n in h.nodes.values():
        n.bias += 50.0
    assert g.distance(h, config.genome_config) == 0.0


def test_iz_population_evolves_and_reports_species(evolved_spiking):
    config, p = evolved_spiking
    assert p.generation == 4
    assert all(isinstance(g, neat.iznn.IZGenome) for g in p.population.values())
    assert all(
        isinstance(n, neat.iznn.IZNodeGene) for g in p.population.values() for n in g.nodes.values()
    )
    assert len(p.species.species) >= 1


def test_iznn_bad_input(evolved_spiking):
    config, p = evolved_spiking
    net = neat.iznn.IZNN.create(next(iter(p.population.values())), config)
    with pytest.raises(RuntimeError, match="Number of inputs 2 does not match"):
        net.set_inputs([1.0, 2.0])


@pytest.fixture(scope="module")
def evolved_xor(tmp_path_factory):
    path = write_config(tmp_path_factory.mktemp("ctrnn"))
    p = neat.Population(load(path), seed=7)
    p.run(eval_xor_batch, 15)
    return path, p


def test_ctrnn_trajectory_equals_neat_python(evolved_xor):
    pn = peer("neat")
    path, p = evolved_xor
    config, pconfig = load(path), load(path, pn)
    genomes = list(p.population.values())
    assert any(g.size()[0] > 1 for g in genomes)
    rng = np.random.default_rng(0)
    for g in genomes[:30]:
        ours = neat.ctrnn.CTRNN.create(g, config)
        theirs = pn.ctrnn.CTRNN.create(to_neat_python(g, pn), pconfig)
        for _ in range(6):
            x = rng.uniform(-1, 1, 2).tolist()
            a = ours.advance(x, 0.1, 0.03)  # 0.03 s steps: the last one is shorter
            b = theirs.advance(x, 0.1, 0.03)
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
        assert ours.time_seconds == pytest.approx(theirs.time_seconds)
        ours.reset()
        theirs.reset()
        np.testing.assert_allclose(
            ours.advance([0.5, -0.5], 0.05, 0.01),
            theirs.advance([0.5, -0.5], 0.05, 0.01),
            rtol=1e-13,
        )


def test_ctrnn_time_constant_and_dynamics():
    from neuroflow.neat.activations import identity_activation
    from neuroflow.neat.aggregations import sum_aggregation

    # dy/dt = (-y + 1) / tau from y = 0. neat-python alternates two value buffers and
    # each Euler step advances the older one, so each buffer moves every other step and
    # after t seconds y = 1 - exp(-t / (2 tau)) (small steps come close); a larger tau is
    # slower
    def final(tau):
        node = neat.ctrnn.CTRNNNodeEval(
            tau, identity_activation, sum_aggregation, 0.0, 1.0, [(-1, 1.0)]
        )
        net = neat.ctrnn.CTRNN([-1], [0], {0: node})
        return net.advance([1.0], 1.0, 0.0005)[0]

    assert final(0.5) == pytest.approx(1 - math.exp(-1.0), abs=2e-3)
    assert final(2.0) < final(0.5)


def test_ctrnn_create_takes_neat_python_092_time_constant(evolved_xor):
    path, p = evolved_xor
    config = load(path)
    g = p.best_genome
    net = neat.ctrnn.CTRNN.create(g, config, 0.25)
    assert {ne.time_constant for ne in net.node_evals.values()} == {0.25}
    default = neat.ctrnn.CTRNN.create(g, config)
    assert {ne.time_constant for ne in default.node_evals.values()} == {1.0}
    with pytest.raises(ValueError, match="time_constant"):
        neat.ctrnn.CTRNN.create(g, config, 0.0)
    with pytest.raises(NotImplementedError, match="time_step"):
        net.advance([0.0, 1.0], 0.1)
    with pytest.raises(RuntimeError, match="Expected 2 inputs, got 1"):
        net.advance([0.0], 0.1, 0.01)
