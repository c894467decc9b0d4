"""Built-in tasks for NEAT: XOR, pole balancing and CartPole-v1, in NumPy, no gym needed.

Every environment steps many episodes at once, one state row per episode (one per genome when
a population is evaluated together), with gym's shape of API::

    obs = env.reset(n, seed)                                  # (n, observation_size)
    obs, reward, terminated, truncated = env.step(actions)    # one entry per row

A row whose episode has ended (``terminated`` or ``truncated``) stays ended until the next
``reset``: its state is frozen, its reward is ``0`` and its flags stay set, so a batch is
stepped until ``(terminated | truncated).all()``; a row's return is the sum of its rewards.

The environments
----------------
:class:`CartPole`
    gymnasium's ``CartPole-v1`` (Barto, Sutton and Anderson 1983, as ``gymnasium/envs/
    classic_control/cartpole.py`` implements it): cart 1.0 kg, pole 0.1 kg and half-length
    0.5 m, gravity 9.8, force +-10 N chosen by the action (0: left, 1: right), Euler
    integration with ``tau = 0.02`` s, observation ``(x, x_dot, theta, theta_dot)`` as
    float32, reward 1 per step (the failing step included), terminated when ``|x| > 2.4`` or
    ``|theta| > 12`` degrees, truncated at 500 steps, start state uniform in ``[-0.05, 0.05]``.
    ``reset(1, seed)`` draws the start state gymnasium's ``reset(seed=seed)`` draws.
:class:`DoublePole` and :class:`SinglePole`
    The pole-balancing benchmark of the NEAT paper (Stanley and Miikkulainen 2002, section
    4.1, "double pole balancing with velocities"): Wieland's (1991) equations for poles hinged
    on a cart, as the ESP code of Gomez and Miikkulainen and NEAT's C++ release
    (``CartPole::step``, ``rk4``, ``performAction``) implement them. Cart 1 kg on a 4.8 m
    track (``|x| <= 2.4``); poles of 1.0 m and 0.1 m (half-lengths 0.5 and 0.05) weighing
    0.1 and 0.01 kg; pole friction ``mu_p = 2e-6``; gravity 9.8. The action ``a`` in
    ``[0, 1]`` (a network's sigmoid output) pushes with ``(a - 0.5) * 2 * 10`` N, so 0 and 1
    are the +-10 N bang-bang pushes. Each action lasts 0.02 s: two 4th-order Runge-Kutta steps
    of ``dt = 0.01`` s. The episode fails when the cart leaves the track or a pole leans more
    than 36 degrees (12 for :class:`SinglePole`); it starts with the long pole at 0.07 rad
    (about 4 degrees) and everything else at rest; success is balancing for ``max_steps``
    (100,000 in the paper: 33 simulated minutes). :class:`SinglePole` is the same physics
    with the long pole only. Two details follow the C++ code rather than Wieland's paper: the
    cart's friction ``mu_c`` is declared there but never used, and the observation is the
    raw state (networks read it scaled by :attr:`DoublePole.input_scale`, NEAT's scaling).

Fitness functions
-----------------
``eval_genomes_xor``, ``eval_genomes_cartpole``, ``eval_genomes_single_pole`` and
``eval_genomes_double_pole`` have neat-python's ``eval_genomes(genomes, config)`` form and set
every genome's ``fitness``; ``eval_genome_*`` score one genome (neat-python's
``ParallelEvaluator`` form). The pole tasks step every genome's network together, one state
row per genome. XOR's fitness is neat-python's example's: ``4 - sum of squared errors``.

>>> import numpy as np
>>> env = DoublePole()
>>> obs = env.reset(3)
>>> obs.shape
(3, 6)
>>> obs, reward, terminated, truncated = env.step(np.array([0.0, 0.5, 1.0]))
>>> reward.tolist(), terminated.tolist()
([1.0, 1.0, 1.0], [False, False, False])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from neuroflow.utils.checks import check_int

__all__ = [
    "XOR_INPUTS",
    "XOR_OUTPUTS",
    "CartPole",
    "DoublePole",
    "PoleBalancingEnv",
    "SinglePole",
    "VectorEnv",
    "eval_genome_cartpole",
    "eval_genome_double_pole",
    "eval_genome_single_pole",
    "eval_genome_xor",
    "eval_genomes_cartpole",
    "eval_genomes_double_pole",
    "eval_genomes_single_pole",
    "eval_genomes_xor",
    "rollout",
    "xor_fitness",
]

# neat-python's XOR example (examples/xor/evolve-feedforward.py)
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_OUTPUTS = np.array([[0.0], [1.0], [1.0], [0.0]])


class VectorEnv:
    """``n`` independent episodes of one environment stepped together, one state row each.

    Subclasses give the physics: ``_start(rng, n)`` (start states), ``_advance(state, actions)``
    (the next states of the rows still running), ``_failed(state)`` and ``_observe(state)``.
    """

    observation_size: int
    max_steps: int

    def __init__(self, max_steps: int) -> None:
        self.max_steps = check_int("max_steps", max_steps)
        self.state: np.ndarray | None = None

    def reset(self, n: int = 1, seed: int | None = None, *, state=None) -> np.ndarray:
        """Starts ``n`` episodes; returns their observations, shape ``(n, observation_size)``.

        The start states are drawn from ``seed``, or given as ``state`` (one row each).
        """
        n = check_int("n", n)
        start = self._start(np.random.default_rng(seed), n)
        if state is not None:
            state = np.array(state, dtype=np.float64)
            if state.shape != start.shape or not np.isfinite(state).all():
                raise ValueError(
                    f"Expected `state` to be finite start states of shape {start.shape}. "
                    f"Received: shape {state.shape}"
                )
            start = state
        self.state = start
        self.steps = np.zeros(n, dtype=np.int64)
        self.terminated = np.zeros(n, dtype=bool)
        self.truncated = np.zeros(n, dtype=bool)
        return self._observe(self.state)

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Applies one action per row; returns ``(obs, reward, terminated, truncated)``.

        Rows that have already ended keep their state and get reward 0; their action is
        ignored.
        """
        if self.state is None:
            raise RuntimeError("Call `reset(n)` before `step(actions)`.")
        n = len(self.state)
        actions = self._check_actions(actions, n)
        running = ~(self.terminated | self.truncated)
        reward = running.astype(np.float64)
        if running.all():
            self.state = self._advance(self.state, actions)
        elif running.any():
            self.state[running] = self._advance(self.state[running], actions[running])
        self.steps += running
        self.terminated |= running & self._failed(self.state)
        self.truncated |= running & ~self.terminated & (self.steps >= self.max_steps)
        return self._observe(self.state), reward, self.terminated.copy(), self.truncated.copy()

    @property
    def done(self) -> np.ndarray:
        """Which rows' episodes have ended (terminated or truncated)."""
        return self.terminated | self.truncated

    def _check_actions(self, actions, n: int) -> np.ndarray:
        actions = np.asarray(actions, dtype=np.float64).reshape(-1)
        if actions.shape != (n,):
            raise ValueError(
                f"Expected `actions` to hold one action per episode, shape ({n},). "
                f"Received: shape {np.shape(actions)}"
            )
        if not np.isfinite(actions).all():
            raise ValueError(
                f"Expected finite `actions`. Received: {actions[~np.isfinite(actions)]}"
            )
        return actions


class CartPole(VectorEnv):
    """gymnasium's ``CartPole-v1``, for ``n`` episodes at once (see the module docstring).

    Args:
        max_steps: the step at which an episode is truncated (500 for ``CartPole-v1``).

    >>> env = CartPole()
    >>> env.reset(2, seed=0).dtype
    dtype('float32')
    >>> obs, reward, terminated, truncated = env.step([0, 1])
    >>> obs.shape, reward.tolist()
    ((2, 4), [1.0, 1.0])
    """

    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5  # half the pole's length
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    observation_size = 4

    def __init__(self, max_steps: int = 500) -> None:
        super().__init__(max_steps)

    def _start(self, rng, n):
        return rng.uniform(low=-0.05, high=0.05, size=(n, 4))

    def _check_actions(self, actions, n):
        actions = super()._check_actions(actions, n)
        bad = (actions != 0) & (actions != 1)
        if bad.any():
            raise ValueError(
                f"Expected CartPole `actions` in {{0, 1}} (push left, push right). "
                f"Received: {actions[bad][:5].tolist()}"
            )
        return actions

    def _advance(self, state, actions):
        x, x_dot, theta, theta_dot = state.T
        force = np.where(actions == 1, self.force_mag, -self.force_mag)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + self.polemass_length * theta_dot**2 * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta**2 / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        # gymnasium's "euler" integrator: positions move with the old velocities
        return np.stack(
            [
                x + self.tau * x_dot,
                x_dot + self.tau * xacc,
                theta + self.tau * theta_dot,
                theta_dot + self.tau * thetaacc,
            ],
            axis=1,
        )

    def _failed(self, state):
        return (np.abs(state[:, 0]) > self.x_threshold) | (
            np.abs(state[:, 2]) > self.theta_threshold_radians
        )

    def _observe(self, state):
        return state.astype(np.float32)


class PoleBalancingEnv(VectorEnv):
    """Poles hinged on a cart, Wieland's equations with RK4 (NEAT's and ESP's benchmark).

    Args:
        poles: one ``(mass kg, half-length m)`` pair per pole.
        velocities: whether observations include the velocities (the Markov task); without
            them a row's observation is ``(x, theta_1, ...)``.
        max_steps: steps balanced that count as success (the paper: 100,000).
        failure_angle: the largest lean of any pole, in radians, before the episode fails.
        initial_angle: the first pole's start angle in radians (the paper: 0.07).
        start_noise: half-width of a uniform perturbation added to every start variable
            (``0``: the paper's fixed start); drawn from ``reset``'s ``seed``.
    """

    gravity = -9.8  # the C++ code's sign convention
    masscart = 1.0
    mup = 0.000002  # pole-hinge friction
    force_mag = 10.0
    tau = 0.01  # one Runge-Kutta step
    substeps = 2  # RK4 steps per action (0.02 s)
    x_threshold = 2.4
    # NEAT's network inputs: state / input_scale (x, x_dot, theta_i, theta_dot_i)
    cart_scale = (4.8, 2.0)
    pole_scale = (0.52, 2.0)

    def __init__(
        self,
        poles: Sequence[tuple[float, float]],
        *,
        velocities: bool = True,
        max_steps: int = 100_000,
        failure_angle: float = math.radians(36),
        initial_angle: float = 0.07,
        start_noise: float = 0.0,
    ) -> None:
        super().__init__(max_steps)
        poles = np.asarray(poles, dtype=np.float64)
        if poles.ndim != 2 or poles.shape[1] != 2 or len(poles) < 1 or (poles <= 0).any():
            raise ValueError(
                "Expected `poles` to be (mass, half_length) pairs of positive numbers. "
                f"Received: poles={poles.tolist()!r}"
            )
        if not 0 < failure_angle < math.pi / 2:
            raise ValueError(
                f"Expected `failure_angle` in radians within (0, pi/2). "
                f"Received: failure_angle={failure_angle!r}"
            )
        if not start_noise >= 0:
            raise ValueError(f"Expected `start_noise` >= 0. Received: start_noise={start_noise!r}")
        self.masspole, self.length = poles[:, 0], poles[:, 1]
        self.velocities = bool(velocities)
        self.failure_angle = float(failure_angle)
        self.initial_angle = float(initial_angle)
        self.start_noise = float(start_noise)
        self.n_poles = len(poles)
        size = 2 + 2 * self.n_poles
        self.observation_size = size if self.velocities else size // 2
        scale = np.array(self.cart_scale + self.pole_scale * self.n_poles)
        self.input_scale = scale if self.velocities else scale[::2]

    def _start(self, rng, n):
        state = np.zeros((n, 2 + 2 * self.n_poles))
        state[:, 2] = self.initial_angle
        if self.start_noise:
            state += rng.uniform(-self.start_noise, self.start_noise, size=state.shape)
        return state

    def _check_actions(self, actions, n):
        return np.clip(super()._check_actions(actions, n), 0.0, 1.0)

    def derivatives(self, state: np.ndarray, force: np.ndarray) -> np.ndarray:
        """d(state)/dt for rows ``(x, x_dot, theta_1, theta_dot_1, ...)`` under ``force`` (N)."""
        theta, theta_dot = state[:, 2::2], state[:, 3::2]
        sin, cos = np.sin(theta), np.cos(theta)
        ml = self.length * self.masspole
        friction = self.mup * theta_dot / ml
        gsin = self.gravity * sin
        # each pole's effective force on the cart and effective mass (Wieland 1991)
        fi = ml * theta_dot**2 * sin + 0.75 * self.masspole * cos * (friction + gsin)
        mi = self.masspole * (1.0 - 0.75 * cos**2)
        xacc = (force + fi.sum(axis=1)) / (mi.sum(axis=1) + self.masscart)
        thetaacc = -0.75 * (xacc[:, None] * cos + gsin + friction) / self.length
        out = np.empty_like(state)
        out[:, 0] = state[:, 1]
        out[:, 1] = xacc
        out[:, 2::2] = theta_dot
        out[:, 3::2] = thetaacc
        return out

    def _advance(self, state, actions):
        force = (actions - 0.5) * self.force_mag * 2.0
        h = self.tau
        for _ in range(self.substeps):  # classic RK4, as the C++ rk4 (Numerical Recipes)
            k1 = self.derivatives(state, force)
            k2 = self.derivatives(state + 0.5 * h * k1, force)
            k3 = self.derivatives(state + 0.5 * h * k2, force)
            k4 = self.derivatives(state + h * k3, force)
            state = state + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        return state

    def _failed(self, state):
        return (np.abs(state[:, 0]) > self.x_threshold) | (
            np.abs(state[:, 2::2]) > self.failure_angle
        ).any(axis=1)

    def _observe(self, state):
        return state.copy() if self.velocities else state[:, ::2].copy()


class DoublePole(PoleBalancingEnv):
    """The NEAT paper's double pole balancing (poles of 1.0 m / 0.1 kg and 0.1 m / 0.01 kg).

    ``velocities=True`` is the paper's "with velocities" task (6 observations). Keyword
    arguments as :class:`PoleBalancingEnv`; failure beyond 36 degrees.

    >>> env = DoublePole(max_steps=10)
    >>> _ = env.reset(1)
    >>> for _ in range(10):
    ...     _, _, terminated, truncated = env.step([0.5])
    >>> terminated.tolist(), truncated.tolist()
    ([False], [True])
    """

    def __init__(self, velocities: bool = True, **kwargs: Any) -> None:
        super().__init__([(0.1, 0.5), (0.01, 0.05)], velocities=velocities, **kwargs)


class SinglePole(PoleBalancingEnv):
    """One 1.0 m, 0.1 kg pole on the double-pole benchmark's cart; failure beyond 12 degrees.

    Keyword arguments as :class:`PoleBalancingEnv`.

    >>> SinglePole().reset(2)[:, 2].tolist()
    [0.07, 0.07]
    """

    def __init__(self, velocities: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("failure_angle", math.radians(12))
        super().__init__([(0.1, 0.5)], velocities=velocities, **kwargs)


# ----------------------------------------------------------------------------------------------
# rollouts and fitness functions


def rollout(
    policy: Callable[[np.ndarray, np.ndarray], Any],
    env: VectorEnv,
    n: int,
    seed: int | None = None,
    *,
    state=None,
) -> np.ndarray:
    """Runs ``n`` episodes of ``env`` together; returns each one's total reward, shape ``(n,)``.

    ``policy(obs, running)`` gets every row's observation and the mask of rows still running
    and returns one action per row (those of ended rows are ignored). ``seed`` and ``state``
    are ``reset``'s.

    >>> rollout(lambda obs, running: (obs[:, 2] > 0).astype(int), CartPole(), 3, seed=0)
    array([...])
    """
    obs = env.reset(n, seed, state=state)
    total = np.zeros(n)
    running = np.ones(n, dtype=bool)
    while running.any():
        obs, reward, terminated, truncated = env.step(policy(obs, running))
        total += reward
        running = ~(terminated | truncated)
    return total


def _networks(genomes, config) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """All genomes' networks as one callable ``(inputs, running) -> outputs``: inputs
    ``(G, k)`` or ``(G, n, k)``, row ``g`` for genome ``g`` -> ``(G, outputs)`` or
    ``(G, n, outputs)``; ``running`` (``(G,)`` or ``(G, n)``) marks the rows that matter."""
    from neuroflow.neat import nn

    batch = nn.compile_population(genomes, config)
    return lambda inputs, running: np.asarray(batch.activate(inputs), dtype=np.float64)


def _check_fitness(values: np.ndarray) -> np.ndarray:
    if not np.isfinite(values).all():
        raise ValueError(f"Fitness must be finite. Received: {values[~np.isfinite(values)]}")
    return values


def xor_fitness(outputs) -> np.ndarray:
    """neat-python's XOR fitness, ``4 - sum((output - target)**2)``, of outputs ``(..., 4, 1)``.

    >>> float(xor_fitness([[0.0], [1.0], [1.0], [0.0]]))
    4.0
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-2:] != (4, 1):
        raise ValueError(
            "Expected XOR outputs of shape (..., 4, 1): one output for each of the 4 cases. "
            f"Received: shape {outputs.shape}"
        )
    return 4.0 - ((outputs - XOR_OUTPUTS) ** 2).sum(axis=(-2, -1))


def _pole_fitness(genomes, config, env: VectorEnv, seed, episodes: int, to_action) -> np.ndarray:
    """Each genome's mean return over ``episodes`` episodes (the same starts for every genome),
    all genomes' networks stepped together; the batch's rows are genome-major."""
    genomes = [genome for _, genome in genomes]
    networks = _networks(genomes, config)
    scale = getattr(env, "input_scale", 1.0)
    n = len(genomes)

    def policy(obs, running):
        inputs = (obs / scale).reshape(n, episodes, -1)
        if episodes == 1:
            outputs = networks(inputs[:, 0], running)
        else:
            outputs = networks(inputs, running.reshape(n, episodes))
        return to_action(outputs.reshape(n * episodes, -1))

    # every genome starts from the same states: row g * episodes + e gets start e
    env.reset(episodes, seed)
    starts = np.repeat(env.state[None], n, axis=0).reshape(n * episodes, -1)
    returns = rollout(policy, env, n * episodes, state=starts)
    return _check_fitness(returns.reshape(n, episodes).mean(axis=1))


def _assign(genomes, fitness) -> None:
    for (_, genome), value in zip(genomes, fitness, strict=True):
        genome.fitness = float(value)


def _continuous(outputs):
    return outputs[:, 0]


def _binary(outputs):
    return (outputs[:, 0] > 0.5).astype(np.int64)


def eval_genomes_xor(genomes, config) -> None:
    """neat-python's XOR ``eval_genomes``: ``fitness = 4 - sum of squared errors``, every
    genome's network run on the four cases at once."""
    from neuroflow.neat import nn

    batch = nn.compile_population([genome for _, genome in genomes], config)
    _assign(genomes, _check_fitness(xor_fitness(batch.activate_batch(XOR_INPUTS))))


def eval_genome_xor(genome, config) -> float:
    """XOR fitness of one genome (neat-python's ``ParallelEvaluator`` form)."""
    eval_genomes_xor([(genome.key, genome)], config)
    return genome.fitness


def eval_genomes_double_pole(
    genomes, config, *, max_steps: int = 100_000, velocities: bool = True
) -> None:
    """Double pole balancing: fitness is the number of steps balanced (success: ``max_steps``).

    The network reads the 6 scaled state variables (3 without velocities) and its first
    output, in ``[0, 1]``, sets the force. Every genome's network runs in one batch.
    """
    env = DoublePole(velocities=velocities, max_steps=max_steps)
    _assign(genomes, _pole_fitness(genomes, config, env, None, 1, _continuous))


def eval_genomes_single_pole(genomes, config, *, max_steps: int = 100_000) -> None:
    """Single pole balancing on the double-pole cart: fitness is the steps balanced."""
    env = SinglePole(max_steps=max_steps)
    _assign(genomes, _pole_fitness(genomes, config, env, None, 1, _continuous))


def eval_genomes_cartpole(
    genomes, config, *, episodes: int = 5, seed: int = 0, max_steps: int = 500
) -> None:
    """CartPole-v1: fitness is the mean return over ``episodes`` seeded starts.

    Every genome plays the same ``episodes`` start states (drawn from ``seed``); its output
    above 0.5 pushes right.
    """
    episodes = check_int("episodes", episodes)
    env = CartPole(max_steps=max_steps)
    _assign(genomes, _pole_fitness(genomes, config, env, seed, episodes, _binary))


def _one(fn, genome, config, **kwargs) -> float:
    fn([(genome.key, genome)], config, **kwargs)
    return genome.fitness


def eval_genome_double_pole(genome, config, **kwargs) -> float:
    """Double-pole fitness of one genome (``ParallelEvaluator`` form)."""
    return _one(eval_genomes_double_pole, genome, config, **kwargs)


def eval_genome_single_pole(genome, config, **kwargs) -> float:
    """Single-pole fitness of one genome (``ParallelEvaluator`` form)."""
    return _one(eval_genomes_single_pole, genome, config, **kwargs)


def eval_genome_cartpole(genome, config, **kwargs) -> float:
    """CartPole fitness of one genome (``ParallelEvaluator`` form)."""
    return _one(eval_genomes_cartpole, genome, config, **kwargs)
