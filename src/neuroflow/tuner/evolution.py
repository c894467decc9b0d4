"""Evolutionary search: a network's shape evolved by mutation, crossover and selection.

Seed 002's "neuroevolution" answer to "how do we choose the right network?", with each network
trained by gradient descent: a population of hyperparameter values (number of layers, units,
activation, dropout, learning rate, or whatever ``build(hp)`` asks for) is trained and scored
through the tuner's normal trials, and each generation breeds the next one:

1. generation 0 draws ``population_size`` random configurations;
2. the ``elitism`` best of a generation pass to the next unchanged (they are not trained
   again; their scores carry over);
3. every other member of the next generation is a child: two parents picked by tournament
   selection (the best of ``tournament_size`` members drawn at random), uniform crossover
   (each value from either parent) with probability ``crossover_rate``, else a copy of the
   first parent, then with probability ``mutation_rate`` one hyperparameter mutated:
   re-sampled, or moved by a few ``step`` within its range (``Int``/``Float``; a nudge in
   its sampling's scale when it has no step); a ``Choice`` changes value, a ``Boolean`` flips.
   A child that repeats a configuration already tried is mutated again.

A search of ``generations`` generations trains ``population_size + (generations - 1) *
(population_size - elitism)`` models. A generation is bred only once every trial of the
previous one has ended, so a seeded search gives the same trials in the same order however
its trials are spread over workers (``populate_space`` answers ``IDLE`` meanwhile).

>>> from neuroflow.tuner import HyperParameters
>>> hp = HyperParameters()
>>> _ = hp.Int("units", 8, 256, step=8)
>>> oracle = EvolutionarySearchOracle(
...     objective="loss", hyperparameters=hp, population_size=4, generations=3, seed=1)
>>> oracle.verbose = 0
>>> while True:
...     trial = oracle.create_trial("tuner0")
...     if trial.status != "RUNNING":
...         break
...     _ = oracle.update_trial(trial.trial_id, {"loss": abs(trial.hyperparameters["units"] - 100)})
...     trial.status = "COMPLETED"; oracle.end_trial(trial)
>>> len(oracle.trials), len(oracle.generations)
(10, 3)
>>> bests = oracle.best_scores(); bests == sorted(bests, reverse=True)
True
"""

from __future__ import annotations

import random

from neuroflow.tuner.hypermodel import HyperModel
from neuroflow.tuner.hyperparameters import (
    Boolean,
    Choice,
    Fixed,
    Float,
    Int,
)
from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import TrialStatus
from neuroflow.tuner.tuner import Tuner
from neuroflow.utils.checks import check_int

__all__ = ["EvolutionarySearch", "EvolutionarySearchOracle", "MLPHyperModel"]

# attempts at a child that no earlier trial used before falling back to random values
_MAX_ATTEMPTS = 50


def _check_rate(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"Expected `{name}` to be a number in [0, 1]. Received: {name}={value!r}")
    return float(value)


class EvolutionarySearchOracle(Oracle):
    """Chooses each trial's values by evolving a population (see the module docstring).

    Args:
        objective: the metric to optimize, as for every oracle (e.g. ``"val_accuracy"``).
        population_size: the members of a generation (at least 2).
        generations: how many generations to run (generation 0 is random).
        mutation_rate: the probability that a child has one hyperparameter mutated.
        crossover_rate: the probability that a child mixes two parents (uniform crossover)
            rather than copying one.
        elitism: how many of a generation's best members pass to the next one unchanged
            (``0 <= elitism < population_size``).
        tournament_size: members drawn at random for each parent; the best of them is picked.
        max_trials: an optional cap on the trials, below the generations' total.
        hyperparameters, allow_new_entries, tune_new_entries, seed, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
    """

    def __init__(
        self,
        objective=None,
        population_size: int = 8,
        generations: int = 5,
        mutation_rate: float = 0.8,
        crossover_rate: float = 0.5,
        elitism: int = 1,
        tournament_size: int = 2,
        max_trials=None,
        hyperparameters=None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        seed=None,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
    ):
        self.population_size = check_int("population_size", population_size, 2)
        self.generations_total = check_int("generations", generations, 1)
        self.mutation_rate = _check_rate("mutation_rate", mutation_rate)
        self.crossover_rate = _check_rate("crossover_rate", crossover_rate)
        self.elitism = check_int("elitism", elitism, 0)
        if self.elitism >= self.population_size:
            raise ValueError(
                f"Expected `elitism` < `population_size` (a generation needs new members). "
                f"Received: elitism={elitism!r}, population_size={population_size!r}"
            )
        self.tournament_size = check_int("tournament_size", tournament_size, 1)
        budget = self.population_size + (self.generations_total - 1) * (
            self.population_size - self.elitism
        )
        if max_trials is not None:
            check_int("max_trials", max_trials, 1)
            budget = min(budget, max_trials)
        super().__init__(
            objective=objective,
            max_trials=budget,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        # the members (trial ids) of each generation so far, elites included
        self.generations: list[list[str]] = [[]]

    # -- the contract
    def populate_space(self, trial_id: str) -> dict:
        members = self.generations[-1]
        if len(members) >= self.population_size:  # elites + children: breed the next one
            if any(not self._ended(t) for t in members):
                return {"status": TrialStatus.IDLE, "values": None}
            if len(self.generations) >= self.generations_total:
                return {"status": TrialStatus.STOPPED, "values": None}
            self.generations.append(self._ranked(members)[: self.elitism])
        rng = random.Random(f"{self.seed}/{trial_id}")
        if len(self.generations) == 1:
            values = self._random(rng)
        else:
            values = self._child(rng, self.generations[-2])
        if values is None:  # the space is exhausted
            return {"status": TrialStatus.STOPPED, "values": None}
        self.generations[-1].append(trial_id)
        return {"status": TrialStatus.RUNNING, "values": values}

    # -- queries
    def best_scores(self) -> list:
        """The best score of each generation's members so far (``None`` where none scored)."""
        out = []
        for members in self.generations:
            ranked = self._ranked(members)
            out.append(self.trials[ranked[0]].score if ranked else None)
        return out

    # -- selection
    def _ended(self, trial_id: str) -> bool:
        trial = self.trials.get(trial_id)
        return (
            trial is not None
            and trial.status
            in (
                TrialStatus.COMPLETED,
                TrialStatus.FAILED,
            )
            and trial_id not in self._retry_queue
        )

    def _scored(self, members: list[str]) -> list[str]:
        return [
            t
            for t in members
            if self.trials[t].status == TrialStatus.COMPLETED and self.trials[t].score is not None
        ]

    def _ranked(self, members: list[str]) -> list[str]:
        """Scored members, best first (ties: the older trial first)."""
        sign = -1.0 if self.objective.direction == "max" else 1.0
        scored = self._scored(members)
        return sorted(scored, key=lambda t: (sign * self.trials[t].score, members.index(t)))

    def _tournament(self, rng: random.Random, pool: list[str]) -> str:
        contestants = [rng.choice(pool) for _ in range(self.tournament_size)]
        ranked = self._ranked(pool)
        return min(contestants, key=ranked.index)

    # -- variation
    def _random(self, rng: random.Random):
        for _ in range(_MAX_ATTEMPTS):
            values = self._complete({}, rng)
            if not self._duplicate(values):
                return values
        return self._random_values()

    def _child(self, rng: random.Random, parents: list[str]):
        pool = self._scored(parents)
        if not pool:  # the whole generation failed: start afresh
            return self._random(rng)
        for attempt in range(_MAX_ATTEMPTS):
            first = self.trials[self._tournament(rng, pool)].hyperparameters.values
            values = dict(first)
            if rng.random() < self.crossover_rate:
                second = self.trials[self._tournament(rng, pool)].hyperparameters.values
                values = {}
                for name in sorted(set(first) | set(second)):
                    if name in first and name in second:
                        values[name] = first[name] if rng.random() < 0.5 else second[name]
                    else:
                        values[name] = first.get(name, second.get(name))
            # a repeat of a tried configuration is always mutated
            if rng.random() < self.mutation_rate or attempt > 0 or self._duplicate(values):
                values = self._mutate(self._complete(values, rng), rng)
            values = self._complete(values, rng)
            if not self._duplicate(values):
                return values
        return self._random_values()

    def _complete(self, values: dict, rng: random.Random) -> dict:
        """``values`` for exactly the active hyperparameters: kept where valid, drawn where
        missing (a condition that became true), dropped where inactive."""
        out: dict = {}
        for hp in self.hyperparameters.space:  # parents come before their conditional children
            if _active(hp, out) and hp.name not in out:
                value = values.get(hp.name)
                if value is None or not _valid(hp, value):
                    value = hp.prob_to_value(rng.random())
                out[hp.name] = value
        return out

    def _mutate(self, values: dict, rng: random.Random) -> dict:
        mutable = [
            hp
            for hp in self.hyperparameters.space
            if _active(hp, values) and hp.name in values and len(_choices(hp)) != 1
        ]
        if not mutable:
            return values
        hp = rng.choice(mutable)
        values = dict(values)
        values[hp.name] = _mutated(hp, values[hp.name], rng)
        return values

    # -- state
    def get_state(self) -> dict:
        state = super().get_state()
        state["generations"] = [list(members) for members in self.generations]
        return state

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.generations = [list(members) for members in state["generations"]]


def _active(hp, values: dict) -> bool:
    return all(condition.is_active(values) for condition in hp.conditions)


def _choices(hp) -> tuple:
    """The values a discrete hyperparameter can take (empty for a continuum)."""
    if isinstance(hp, (Choice, Boolean, Fixed)):
        return tuple(hp.values)
    if isinstance(hp, (Int, Float)) and hp.step is not None:
        return tuple(hp.values)
    if isinstance(hp, Int):
        return tuple(range(hp.min_value, hp.max_value + 1))
    return ()


def _valid(hp, value) -> bool:
    choices = _choices(hp)
    if choices:
        return value in choices
    return isinstance(value, (int, float)) and hp.min_value <= value <= hp.max_value


def _mutated(hp, value, rng: random.Random):
    """A new value of ``hp`` near ``value`` (or re-sampled): never ``value`` itself when the
    hyperparameter has another value."""
    if isinstance(hp, Boolean):
        return not value
    if isinstance(hp, Choice):
        return rng.choice([v for v in hp.values if v != value])
    resample = rng.random() < 0.5
    for _ in range(_MAX_ATTEMPTS):
        if resample:
            new = hp.prob_to_value(rng.random())
        elif _choices(hp):  # a grid: move by a few steps, staying in range
            grid = list(_choices(hp))
            index = _grid_index(grid, value)
            spread = max(1.0, 0.1 * len(grid))
            delta = max(1, round(abs(rng.gauss(0.0, spread)))) * rng.choice((-1, 1))
            new = grid[min(max(index + delta, 0), len(grid) - 1)]
        else:  # a continuum: a nudge in the sampling's own scale (log for sampling="log")
            prob = hp.value_to_prob(value) + rng.gauss(0.0, 0.15)
            new = hp.prob_to_value(min(max(prob, 0.0), 1.0))
        if new != value:
            return new
        resample = True
    return value


def _grid_index(grid: list, value) -> int:
    return min(range(len(grid)), key=lambda i: abs(grid[i] - value))


class MLPHyperModel(HyperModel):
    """The default space of :class:`EvolutionarySearch`: a multi-layer perceptron's shape.

    ``num_layers`` (1 to ``max_layers``) hidden ``Dense`` layers, each with its own
    ``units_i`` (16 to 512, powers of 2), one ``activation`` (relu, tanh, sigmoid, elu) and
    ``dropout`` (0 to 0.5), and Adam's ``learning_rate`` (1e-4 to 1e-2, log scale). Outputs:
    ``num_classes`` softmax units with sparse categorical cross-entropy and accuracy, or one
    linear unit with mean squared error when ``num_classes`` is ``None``.

    >>> import neuroflow.tuner as kt
    >>> model = MLPHyperModel(input_shape=(28, 28), num_classes=10).build(kt.HyperParameters())
    >>> [layer.__class__.__name__ for layer in model.layers]
    ['Flatten', 'Dense', 'Dense']
    """

    activations = ("relu", "tanh", "sigmoid", "elu")

    def __init__(self, input_shape, num_classes=None, max_layers: int = 3, name=None):
        super().__init__(name=name)
        try:
            shape = tuple(int(d) for d in input_shape)
        except TypeError:
            shape = ()
        if not shape or any(d < 1 for d in shape):
            raise ValueError(
                f"Expected `input_shape` to be a tuple of positive integers (one example's "
                f"shape, without the batch). Received: input_shape={input_shape!r}"
            )
        if num_classes is not None:
            check_int("num_classes", num_classes, 2)
        self.input_shape = shape
        self.num_classes = num_classes
        self.max_layers = check_int("max_layers", max_layers, 1)

    def build(self, hp):
        from neuroflow import keras

        model = keras.Sequential([keras.layers.Input(self.input_shape)])
        if len(self.input_shape) > 1:
            model.add(keras.layers.Flatten())
        num_layers = hp.Int("num_layers", 1, self.max_layers)
        activation = hp.Choice("activation", list(self.activations))
        dropout = hp.Float("dropout", 0.0, 0.5, step=0.1)
        for i in range(self.max_layers):
            with hp.conditional_scope("num_layers", list(range(i + 1, self.max_layers + 1))):
                units = hp.Int(f"units_{i}", 16, 512, step=2, sampling="log")
            if i < num_layers:
                model.add(keras.layers.Dense(units, activation=activation))
                if dropout > 0:
                    model.add(keras.layers.Dropout(dropout))
        learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        optimizer = keras.optimizers.Adam(learning_rate)
        if self.num_classes is None:
            model.add(keras.layers.Dense(1))
            model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
        else:
            model.add(keras.layers.Dense(self.num_classes, activation="softmax"))
            model.compile(
                optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        return model


class EvolutionarySearch(Tuner):
    """Evolves the hyperparameters of a model (its shape, its training) over generations.

    A KerasTuner-style tuner: ``search(x, y, ...)`` takes ``fit``'s arguments, every member
    of a generation is a trial trained by gradient descent, and the oracle
    (:class:`EvolutionarySearchOracle`) breeds the next generation from the scored ones.

    Args:
        hypermodel: ``build(hp)`` or a :class:`~neuroflow.tuner.HyperModel`; ``None`` for the
            default space, :class:`MLPHyperModel` over ``input_shape`` and ``num_classes``.
        objective: the metric to optimize (default ``"val_accuracy"``, ``"val_loss"`` for a
            regression's default space).
        population_size, generations, mutation_rate, crossover_rate, elitism,
        tournament_size, max_trials, seed, hyperparameters, tune_new_entries,
        allow_new_entries, max_retries_per_trial, max_consecutive_failed_trials: as
            :class:`EvolutionarySearchOracle`.
        input_shape, num_classes, max_layers: the default space's (``hypermodel=None``).
        **kwargs: the other arguments of every tuner (``directory``, ``project_name``,
            ``overwrite``, ``n_jobs``, ``distributed``, ...).

    >>> import tempfile, numpy as np
    >>> import neuroflow.tuner as kt
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(96, 4)).astype("float32"); y = (x[:, 0] > 0).astype("int64")
    >>> tuner = kt.EvolutionarySearch(input_shape=(4,), num_classes=2, population_size=3,
    ...     generations=2, seed=1, directory=tempfile.mkdtemp(), project_name="evo")
    >>> tuner.oracle.verbose = 0
    >>> tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    >>> len(tuner.oracle.trials), len(tuner.oracle.generations)
    (5, 2)
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        population_size: int = 8,
        generations: int = 5,
        mutation_rate: float = 0.8,
        crossover_rate: float = 0.5,
        elitism: int = 1,
        tournament_size: int = 2,
        max_trials=None,
        seed=None,
        hyperparameters=None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        input_shape=None,
        num_classes=None,
        max_layers: int = 3,
        **kwargs,
    ):
        if hypermodel is None:
            if input_shape is None:
                raise ValueError(
                    "EvolutionarySearch with `hypermodel=None` evolves the default MLP space "
                    "and needs `input_shape` (one example's shape) and `num_classes` (None "
                    "for a regression). Received: input_shape=None"
                )
            hypermodel = MLPHyperModel(input_shape, num_classes, max_layers=max_layers)
        if objective is None:
            regression = isinstance(hypermodel, MLPHyperModel) and hypermodel.num_classes is None
            objective = "val_loss" if regression else "val_accuracy"
        self.seed = seed
        oracle = EvolutionarySearchOracle(
            objective=objective,
            population_size=population_size,
            generations=generations,
            mutation_rate=mutation_rate,
            crossover_rate=crossover_rate,
            elitism=elitism,
            tournament_size=tournament_size,
            max_trials=max_trials,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)
