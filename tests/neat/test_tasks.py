"""neuroflow.neat.tasks: the environments against scalar references written from the published
equations, the ended-row rules, the fitness functions, and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from neuroflow.neat import tasks
from neuroflow.neat.tasks import CartPole, DoublePole, SinglePole

# ----------------------------------------------------------------------------------------------
# scalar references, one episode at a time, written from the equations as published


def gym_cartpole_step(state, action):
    """gymnasium's CartPole-v1 step (Barto, Sutton and Anderson 1983; Euler integrator)."""
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total_mass = masspole + masscart
    polemass_length = masspole * length
    x, x_dot, theta, theta_dot = state
    force = force_mag if action == 1 else -force_mag
    costheta, sintheta = math.cos(theta), math.sin(theta)
    temp = (force + polemass_length * theta_dot**2 * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta**2 / total_mass)
    )
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    terminated = (
        x < -2.4 or x > 2.4 or theta < -12 * 2 * math.pi / 360 or theta > 12 * 2 * math.pi / 360
    )
    return [x, x_dot, theta, theta_dot], terminated


class CppCartPole:
    """NEAT's C++ CartPole (experiments.cpp: step, rk4, performAction, outsideBounds), line by
    line: Wieland's equations for two poles, two RK4 steps of TAU = 0.01 per action."""

    MUP, GRAVITY, MASSCART = 0.000002, -9.8, 1.0
    MASSPOLE_1, LENGTH_1, MASSPOLE_2, LENGTH_2 = 0.1, 0.5, 0.01, 0.05
    FORCE_MAG, TAU = 10.0, 0.01

    def __init__(self):
        self.state = [0.0, 0.0, 0.07, 0.0, 0.0, 0.0]

    def step(self, action, st, derivs):
        force = (action - 0.5) * self.FORCE_MAG * 2
        costheta_1, sintheta_1 = math.cos(st[2]), math.sin(st[2])
        gsintheta_1 = self.GRAVITY * sintheta_1
        costheta_2, sintheta_2 = math.cos(st[4]), math.sin(st[4])
        gsintheta_2 = self.GRAVITY * sintheta_2
        ml_1 = self.LENGTH_1 * self.MASSPOLE_1
        ml_2 = self.LENGTH_2 * self.MASSPOLE_2
        temp_1 = self.MUP * st[3] / ml_1
        temp_2 = self.MUP * st[5] / ml_2 if ml_2 else 0.0
        fi_1 = (ml_1 * st[3] * st[3] * sintheta_1) + (
            0.75 * self.MASSPOLE_1 * costheta_1 * (temp_1 + gsintheta_1)
        )
        fi_2 = (ml_2 * st[5] * st[5] * sintheta_2) + (
            0.75 * self.MASSPOLE_2 * costheta_2 * (temp_2 + gsintheta_2)
        )
        mi_1 = self.MASSPOLE_1 * (1 - (0.75 * costheta_1 * costheta_1))
        mi_2 = self.MASSPOLE_2 * (1 - (0.75 * costheta_2 * costheta_2))
        derivs[1] = (force + fi_1 + fi_2) / (mi_1 + mi_2 + self.MASSCART)
        derivs[3] = -0.75 * (derivs[1] * costheta_1 + gsintheta_1 + temp_1) / self.LENGTH_1
        derivs[5] = -0.75 * (derivs[1] * costheta_2 + gsintheta_2 + temp_2) / self.LENGTH_2
        if not self.MASSPOLE_2:  # one pole: the second stays where it is
            derivs[5] = 0.0

    def rk4(self, f, y, dydx):
        hh, h6 = self.TAU * 0.5, self.TAU / 6.0
        dym, dyt = [0.0] * 6, [0.0] * 6
        yt = [y[i] + hh * dydx[i] for i in range(6)]
        self.step(f, yt, dyt)
        dyt[0], dyt[2], dyt[4] = yt[1], yt[3], yt[5]
        yt = [y[i] + hh * dyt[i] for i in range(6)]
        self.step(f, yt, dym)
        dym[0], dym[2], dym[4] = yt[1], yt[3], yt[5]
        for i in range(6):
            yt[i] = y[i] + self.TAU * dym[i]
            dym[i] += dyt[i]
        self.step(f, yt, dyt)
        dyt[0], dyt[2], dyt[4] = yt[1], yt[3], yt[5]
        return [y[i] + h6 * (dydx[i] + dyt[i] + 2.0 * dym[i]) for i in range(6)]

    def perform_action(self, output):
        for _ in range(2):
            dydx = [0.0] * 6
            dydx[0], dydx[2], dydx[4] = self.state[1], self.state[3], self.state[5]
            self.step(output, self.state, dydx)
            self.state = self.rk4(output, self.state, dydx)

    def outside_bounds(self):
        failure = 0.628329  # thirty_six_degrees
        s = self.state
        return abs(s[0]) > 2.4 or abs(s[2]) > failure or abs(s[4]) > failure


# ----------------------------------------------------------------------------------------------
# CartPole


def test_cartpole_matches_the_scalar_reference_for_random_actions():
    rng = np.random.default_rng(1)
    n = 6
    env = CartPole()
    obs = env.reset(n, seed=3)
    ref = [list(map(float, row)) for row in env.state]
    ref_done = [False] * n
    np.testing.assert_array_equal(obs, env.state.astype(np.float32))
    for _ in range(200):
        actions = rng.integers(0, 2, size=n)
        obs, reward, terminated, truncated = env.step(actions)
        for i in range(n):
            if ref_done[i]:
                assert reward[i] == 0.0
                continue
            assert reward[i] == 1.0
            ref[i], ref_done[i] = gym_cartpole_step(ref[i], actions[i])
            np.testing.assert_allclose(env.state[i], ref[i], rtol=1e-12, atol=1e-14)
            assert obs[i].dtype == np.float32
        assert terminated.tolist() == ref_done
        assert not truncated.any()
        if all(ref_done):
            break
    assert all(ref_done), "random pushes end every CartPole episode within 200 steps"


def test_cartpole_reset_draws_what_gymnasium_draws():
    # gymnasium seeds np.random.Generator(PCG64(SeedSequence(seed))) and draws
    # uniform(-0.05, 0.05, size=(4,)): default_rng(seed) is the same generator
    obs = CartPole().reset(1, seed=42)
    expected = np.random.default_rng(42).uniform(-0.05, 0.05, size=(1, 4))
    np.testing.assert_array_equal(obs, expected.astype(np.float32))
    starts = CartPole().reset(1000, seed=0)
    assert np.abs(starts).max() <= 0.05 and np.abs(starts).max() > 0.045


def test_cartpole_against_gymnasium_when_installed():
    gym = pytest.importorskip("gymnasium")
    genv = gym.make("CartPole-v1")
    env = CartPole()
    rng = np.random.default_rng(0)
    for seed in range(3):
        g_obs, _ = genv.reset(seed=seed)
        obs = env.reset(1, seed=seed)
        np.testing.assert_array_equal(obs[0], g_obs)
        done = False
        while not done:
            a = int(rng.integers(0, 2))
            g_obs, g_r, g_term, g_trunc, _ = genv.step(a)
            obs, r, term, trunc = env.step([a])
            np.testing.assert_allclose(obs[0], g_obs, rtol=1e-6, atol=1e-7)
            assert (r[0], term[0], trunc[0]) == (g_r, g_term, g_trunc)
            done = g_term or g_trunc


def balancing_cartpole_policy(obs, running):
    # a hand-tuned linear controller on the pole's angle and the cart's drift
    x, x_dot, theta, theta_dot = obs.T
    return (theta * 10 + theta_dot * 2 + x * 0.1 + x_dot * 0.5 > 0).astype(int)


def test_cartpole_truncates_at_500_steps():
    env = CartPole()
    returns = tasks.rollout(balancing_cartpole_policy, env, 4, seed=0)
    np.testing.assert_array_equal(returns, [500.0] * 4)
    assert env.truncated.all() and not env.terminated.any()
    assert CartPole(max_steps=20).reset(2) is not None
    short = CartPole(max_steps=20)
    assert tasks.rollout(balancing_cartpole_policy, short, 2, seed=0).tolist() == [20.0, 20.0]


def test_ended_rows_are_frozen_with_zero_reward():
    env = CartPole()
    env.reset(2, seed=0)
    steps = 0
    while not env.terminated[0]:  # push row 0 left until it falls, row 1 balanced
        obs = env.state
        act = balancing_cartpole_policy(obs, None)
        act[0] = 0
        env.step(act)
        steps += 1
    frozen = env.state[0].copy()
    obs, reward, terminated, truncated = env.step([1, int(balancing_cartpole_policy(obs, None)[1])])
    np.testing.assert_array_equal(env.state[0], frozen)
    assert reward.tolist() == [0.0, 1.0]
    assert terminated.tolist() == [True, False]
    assert env.steps[0] == steps
    assert env.done.tolist() == [True, False]


# ----------------------------------------------------------------------------------------------
# pole balancing (Wieland's equations, RK4)


def test_double_pole_matches_the_cpp_code_line_by_line():
    rng = np.random.default_rng(0)
    n = 5
    env = DoublePole()
    obs = env.reset(n)
    np.testing.assert_array_equal(obs, [[0, 0, 0.07, 0, 0, 0]] * n)
    refs = [CppCartPole() for _ in range(n)]
    ref_failed = [False] * n
    for _ in range(400):
        actions = rng.uniform(0, 1, size=n)
        actions[0] = 0.5  # no push: the poles fall by themselves
        obs, reward, terminated, _ = env.step(actions)
        for i, ref in enumerate(refs):
            if ref_failed[i]:
                continue
            ref.perform_action(actions[i])
            ref_failed[i] = ref.outside_bounds()
            np.testing.assert_allclose(obs[i], ref.state, rtol=1e-10, atol=1e-12)
        assert terminated.tolist() == ref_failed
        if all(ref_failed):
            break
    assert all(ref_failed)


def test_double_pole_without_velocities_observes_positions():
    env = DoublePole(velocities=False)
    assert env.observation_size == 3
    obs = env.reset(2)
    np.testing.assert_array_equal(obs, [[0.0, 0.07, 0.0]] * 2)
    obs, *_ = env.step([1.0, 0.0])
    np.testing.assert_array_equal(obs, env.state[:, ::2])
    assert obs[0, 0] > 0 > obs[1, 0]  # +10 N moves the cart right, -10 N left
    np.testing.assert_array_equal(env.input_scale, [4.8, 0.52, 0.52])
    np.testing.assert_array_equal(DoublePole().input_scale, [4.8, 2, 0.52, 2, 0.52, 2])


def test_single_pole_fails_at_12_degrees_and_double_at_36():
    for env, limit in ((SinglePole(), 12), (DoublePole(), 36)):
        env.reset(1)
        before = env.state.copy()
        while not env.terminated[0]:
            before = env.state.copy()
            env.step([0.5])
        assert np.abs(before[0, 2::2]).max() <= math.radians(limit)
        assert np.abs(env.state[0, 2::2]).max() > math.radians(limit)
        assert np.abs(env.state[0, 0]) < 2.4


def test_single_pole_is_the_double_pole_physics_with_one_pole():
    ref = CppCartPole()
    ref.MASSPOLE_2 = 0.0  # the C++ equations with the short pole's terms left out
    env = SinglePole(failure_angle=1.5)
    env.reset(1)
    for a in np.random.default_rng(0).uniform(0, 1, size=200):
        env.step([a])
        ref.perform_action(a)
        if env.terminated[0]:
            break
        np.testing.assert_allclose(env.state[0], ref.state[:4], rtol=1e-10, atol=1e-12)
    assert ref.state[4:] == [0.0, 0.0]
    assert env.steps[0] > 20


def test_double_pole_step_budget_truncates():
    env = DoublePole(max_steps=3)
    returns = tasks.rollout(lambda obs, running: np.full(len(obs), 0.5), env, 2)
    assert returns.tolist() == [3.0, 3.0]
    assert env.truncated.all()


def test_start_noise_is_seeded():
    env = DoublePole(start_noise=0.01)
    a, b, c = env.reset(4, seed=1), env.reset(4, seed=1), env.reset(4, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.abs(a - [0, 0, 0.07, 0, 0, 0]).max() <= 0.01


def test_actions_outside_0_1_are_clipped():
    a, b = DoublePole(), DoublePole()
    a.reset(1)
    b.reset(1)
    a.step([7.0])
    b.step([1.0])
    np.testing.assert_array_equal(a.state, b.state)


# ----------------------------------------------------------------------------------------------
# XOR and the fitness helpers


def test_xor_fitness_is_4_minus_the_squared_error():
    assert float(tasks.xor_fitness(tasks.XOR_OUTPUTS)) == 4.0
    outputs = np.full((3, 4, 1), 0.5)
    outputs[1] = 1 - tasks.XOR_OUTPUTS
    np.testing.assert_allclose(tasks.xor_fitness(outputs), [3.0, 0.0, 3.0])


def test_rollout_sums_rewards_per_row():
    returns = tasks.rollout(lambda obs, running: np.zeros(len(obs), int), CartPole(), 3, seed=0)
    env = CartPole()
    env.reset(3, seed=0)
    while not env.done.all():
        env.step([0, 0, 0])
    np.testing.assert_array_equal(returns, env.steps)


# ----------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: CartPole(max_steps=0), "max_steps"),
        (lambda: DoublePole(max_steps=2.5), "max_steps"),
        (lambda: CartPole().reset(0), "`n`"),
        (lambda: tasks.PoleBalancingEnv([(0.1, -0.5)]), "poles"),
        (lambda: tasks.PoleBalancingEnv([0.1, 0.5]), "poles"),
        (lambda: DoublePole(failure_angle=36), "failure_angle"),
        (lambda: DoublePole(start_noise=-1), "start_noise"),
        (lambda: tasks.xor_fitness([0.0, 1.0, 1.0, 0.0]), "shape"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_actions():
    env = CartPole()
    with pytest.raises(RuntimeError, match="reset"):
        env.step([0])
    env.reset(2)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step([0, 1, 1])
    with pytest.raises(ValueError, match=r"\{0, 1\}"):
        env.step([0, 2])
    pole = DoublePole()
    pole.reset(2)
    with pytest.raises(ValueError, match="finite"):
        pole.step([0.5, np.nan])


# ----------------------------------------------------------------------------------------------
# the fitness functions on real genomes (neuroflow.neat)

CONFIGS = Path(__file__).resolve().parents[2] / "examples" / "neat_configs"


def population(config_name: str, seed: int = 0, size: int = 24):
    import neuroflow.neat as neat

    config = neat.Config(
        neat.DefaultGenome,
        neat.DefaultReproduction,
        neat.DefaultSpeciesSet,
        neat.DefaultStagnation,
        str(CONFIGS / config_name),
    )
    pop = neat.Population(config, seed=seed)
    return list(pop.population.items())[:size], config


def test_double_pole_fitness_is_each_genomes_own_episode():
    from neuroflow.neat import nn

    genomes, config = population("double_pole.ini")
    tasks.eval_genomes_double_pole(genomes, config, max_steps=300)
    batch = [g.fitness for _, g in genomes]
    assert len(set(batch)) > 3  # the genomes differ, and so do their scores
    assert all(1 <= f <= 300 for f in batch)
    for _, genome in genomes[:6]:  # one genome alone, its network one input at a time
        net = nn.FeedForwardNetwork.create(genome, config)
        env = DoublePole(max_steps=300)
        obs = env.reset(1)
        steps = 0
        while not env.done[0]:
            obs, *_ = env.step([net.activate((obs[0] / env.input_scale).tolist())[0]])
            steps += 1
        assert genome.fitness == steps
        assert tasks.eval_genome_double_pole(genome, config, max_steps=300) == steps


def test_cartpole_fitness_is_the_mean_over_shared_starts():
    from neuroflow.neat import nn

    genomes, config = population("cartpole.ini", size=8)
    tasks.eval_genomes_cartpole(genomes, config, episodes=3, seed=5)
    starts = CartPole()._start(np.random.default_rng(5), 3)  # the float64 states behind them
    for _, genome in genomes[:4]:
        net = nn.FeedForwardNetwork.create(genome, config)
        returns = []
        for start in starts:  # each episode alone, the network one input at a time
            env = CartPole()
            obs = env.reset(1, state=start[None])
            total = 0.0
            while not env.done[0]:
                obs, reward, *_ = env.step([int(net.activate(obs[0].tolist())[0] > 0.5)])
                total += reward[0]
            returns.append(total)
        assert genome.fitness == pytest.approx(np.mean(returns))
    assert len({g.fitness for _, g in genomes}) > 1


def test_xor_fitness_of_a_population(tmp_path):
    import neuroflow.neat as neat
    from neuroflow.neat import nn

    path = tmp_path / "config-feedforward"
    path.write_text(neat.config_example())
    config = neat.Config(
        neat.DefaultGenome,
        neat.DefaultReproduction,
        neat.DefaultSpeciesSet,
        neat.DefaultStagnation,
        str(path),
    )
    genomes = list(neat.Population(config, seed=2).population.items())[:10]
    tasks.eval_genomes_xor(genomes, config)
    for _, genome in genomes:  # neat-python's example, written out
        net = nn.FeedForwardNetwork.create(genome, config)
        expected = 4.0
        for xi, xo in zip(tasks.XOR_INPUTS.tolist(), tasks.XOR_OUTPUTS.tolist()):
            expected -= (net.activate(xi)[0] - xo[0]) ** 2
        assert genome.fitness == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------------------------
# the example, evolving for real


def load_example():
    import importlib.util

    path = CONFIGS.parent / "neat_pole_balancing.py"
    spec = importlib.util.spec_from_file_location("example_neat_pole_balancing", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_solves_cartpole_and_tests_the_champion(capsys):
    example = load_example()
    assert example.main(["--task", "cartpole", "--generations", "30", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "cartpole: solved in" in out
    mean_return = float(out.split("mean_return: ")[1].split()[0])
    assert mean_return >= 475.0  # gym's "solved" on 100 starts the champion never saw


@pytest.mark.slow
def test_example_solves_double_pole_balancing(capsys):
    example = load_example()
    args = ["--task", "double", "--max-steps", "10000", "--generations", "60", "--quiet"]
    assert example.main(args) == 0
    out = capsys.readouterr().out
    assert "double: solved in" in out
    assert "steps_from_the_start_state: 10000" in out
