"""Hyperband (Li et al., 2018): many models trained briefly, the best trained longer.

A bracket starts ``n`` random models for a few epochs, keeps the best ``1/factor`` of them
for ``factor`` times as many epochs, and so on up to ``max_epochs``; the brackets go from
the most aggressive (many models, 1 epoch) to plain random search (few models,
``max_epochs``), so each spends about the same number of epochs. A model that goes on to
the next round starts from the saved weights of its previous round and trains from epoch
``tuner/initial_epoch`` to ``tuner/epochs``: the values a trial carries besides its
hyperparameters are ``tuner/epochs``, ``tuner/initial_epoch``, ``tuner/bracket``,
``tuner/round`` and (from the second round) ``tuner/trial_id``, as in KerasTuner, whose
bracket schedule this follows:

>>> from neuroflow.tuner.hyperband import HyperbandOracle
>>> o = HyperbandOracle("loss", max_epochs=9, factor=3)
>>> [[(o._get_size(b, r), o._get_epochs(b, r)) for r in range(b + 1)] for b in (2, 1, 0)]
[[(9, 1), (3, 3), (1, 9)], [(5, 3), (2, 9)], [(3, 9)]]
"""

from __future__ import annotations

import math

from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import TrialStatus
from neuroflow.tuner.tuner import Tuner

__all__ = ["Hyperband", "HyperbandOracle"]

_TUNER_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round")


class HyperbandOracle(Oracle):
    """Hyperband's schedule of brackets and rounds.

    Args:
        objective: the metric to optimize.
        max_epochs: the most epochs one model is trained (default 100).
        factor: the reduction factor of models (and growth of epochs) per round (default 3).
        hyperband_iterations: how many times the whole set of brackets runs (default 1;
            ``None``: until stopped).
        seed, hyperparameters, allow_new_entries, tune_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
    """

    def __init__(
        self,
        objective=None,
        max_epochs=100,
        factor=3,
        hyperband_iterations=1,
        seed=None,
        hyperparameters=None,
        allow_new_entries=True,
        tune_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
    ):
        super().__init__(
            objective=objective,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise ValueError(
                f"Expected `factor` to be an integer larger than 1. Received: factor={factor!r}"
            )
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(
                "Expected `max_epochs` to be a positive integer. "
                f"Received: max_epochs={max_epochs!r}"
            )
        self.hyperband_iterations = hyperband_iterations or float("inf")
        self.max_epochs = max_epochs
        self.min_epochs = 1
        self.factor = factor
        self._current_iteration = 0
        self._current_bracket = self._get_num_brackets() - 1  # the most aggressive first
        self._brackets: list[dict] = []
        self._start_new_bracket()

    # -- the schedule
    def _get_num_brackets(self) -> int:
        epochs, brackets = self.max_epochs, 0
        while epochs >= self.min_epochs:
            epochs /= self.factor
            brackets += 1
        return brackets

    def _get_num_rounds(self, bracket_num: int) -> int:
        return bracket_num + 1

    def _get_size(self, bracket_num: int, round_num: int) -> int:
        """Models in a round; each bracket ends with about the same number of models."""
        bracket0_end_size = math.ceil(1 + math.log(self.max_epochs, self.factor))
        end_size = bracket0_end_size / (bracket_num + 1)
        return math.ceil(end_size * self.factor ** (bracket_num - round_num))

    def _get_epochs(self, bracket_num: int, round_num: int) -> int:
        return math.ceil(self.max_epochs / self.factor ** (bracket_num - round_num))

    def _start_new_bracket(self) -> None:
        rounds = [[] for _ in range(self._get_num_rounds(self._current_bracket))]
        self._brackets.append({"bracket_num": self._current_bracket, "rounds": rounds})

    def _increment_bracket_num(self) -> None:
        self._current_bracket -= 1
        if self._current_bracket < 0:
            self._current_bracket = self._get_num_brackets() - 1
            self._current_iteration += 1

    def _remove_completed_brackets(self) -> None:
        def incomplete(bracket):
            last = len(bracket["rounds"]) - 1
            return len(bracket["rounds"][last]) != self._get_size(bracket["bracket_num"], last)

        self._brackets = [b for b in self._brackets if incomplete(b)]

    # -- the contract
    def populate_space(self, trial_id):
        self._remove_completed_brackets()
        for bracket in self._brackets:
            num, rounds = bracket["bracket_num"], bracket["rounds"]
            if len(rounds[0]) < self._get_size(num, 0):
                return self._random_trial(trial_id, bracket)
            for round_num in range(1, len(rounds)):
                promoted = self._promote(trial_id, bracket, round_num)
                if promoted is not None:
                    return promoted
        if self._current_bracket == 0 and self._current_iteration + 1 >= self.hyperband_iterations:
            # no new bracket: wait for the running ones, else the search is over
            if self.ongoing_trials:
                return {"status": TrialStatus.IDLE, "values": None}
            return {"status": TrialStatus.STOPPED, "values": None}
        self._increment_bracket_num()
        self._start_new_bracket()
        return self._random_trial(trial_id, self._brackets[-1])

    def _promote(self, trial_id, bracket, round_num):
        """The best finished model of the previous round not yet promoted, once more of them
        have finished than the round will drop; ``None`` otherwise."""
        num, rounds = bracket["bracket_num"], bracket["rounds"]
        size, past_size = self._get_size(num, round_num), self._get_size(num, round_num - 1)
        taken = {info["past_id"] for info in rounds[round_num]}
        candidates = [
            self.trials[info["id"]]
            for info in rounds[round_num - 1]
            if info["id"] not in taken and self.trials[info["id"]].status == "COMPLETED"
        ]
        if len(candidates) <= past_size - size:
            return None
        best = sorted(candidates, key=lambda t: t.score, reverse=self.objective.direction == "max")[
            0
        ]
        values = dict(best.hyperparameters.values)
        values["tuner/trial_id"] = best.trial_id
        values["tuner/epochs"] = self._get_epochs(num, round_num)
        values["tuner/initial_epoch"] = self._get_epochs(num, round_num - 1)
        values["tuner/bracket"] = self._current_bracket
        values["tuner/round"] = round_num
        rounds[round_num].append({"past_id": best.trial_id, "id": trial_id})
        return {"status": TrialStatus.RUNNING, "values": values}

    def _random_trial(self, trial_id, bracket):
        num, rounds = bracket["bracket_num"], bracket["rounds"]
        values = self._random_values()
        if values:
            values["tuner/epochs"] = self._get_epochs(num, 0)
            values["tuner/initial_epoch"] = 0
            values["tuner/bracket"] = self._current_bracket
            values["tuner/round"] = 0
            rounds[0].append({"past_id": None, "id": trial_id})
            return {"status": TrialStatus.RUNNING, "values": values}
        if self.ongoing_trials:  # no fresh values, but rounds may still be promoted
            return {"status": TrialStatus.IDLE, "values": None}
        return {"status": TrialStatus.STOPPED, "values": None}

    def _compute_values_hash(self, values):
        # a promoted model has the same hyperparameters: the schedule's keys do not count
        values = {k: v for k, v in values.items() if k not in _TUNER_KEYS}
        return super()._compute_values_hash(values)

    def get_state(self):
        state = super().get_state()
        state.update(
            hyperband_iterations=self.hyperband_iterations,
            max_epochs=self.max_epochs,
            min_epochs=self.min_epochs,
            factor=self.factor,
            brackets=self._brackets,
            current_bracket=self._current_bracket,
            current_iteration=self._current_iteration,
        )
        return state

    def set_state(self, state):
        super().set_state(state)
        self.hyperband_iterations = state["hyperband_iterations"]
        self.max_epochs = state["max_epochs"]
        self.min_epochs = state["min_epochs"]
        self.factor = state["factor"]
        self._brackets = state["brackets"]
        self._current_bracket = state["current_bracket"]
        self._current_iteration = state["current_iteration"]


class Hyperband(Tuner):
    """The Hyperband tuner (see the module docstring).

    ``search(x, y, ...)``'s ``epochs`` is replaced by each trial's ``tuner/epochs``; a
    promoted model resumes from its previous round's weights.

    Args:
        hypermodel: ``build(hp)`` returning a compiled model, or a ``HyperModel``.
        objective: the metric to optimize.
        max_epochs: the most epochs a model is trained (default 100).
        factor: the reduction factor (default 3).
        hyperband_iterations: repeats of the whole schedule (default 1).
        seed, hyperparameters, tune_new_entries, allow_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
        **kwargs: :class:`~neuroflow.tuner.Tuner`'s.
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_epochs=100,
        factor=3,
        hyperband_iterations=1,
        seed=None,
        hyperparameters=None,
        tune_new_entries=True,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
        **kwargs,
    ):
        oracle = HyperbandOracle(
            objective,
            max_epochs=max_epochs,
            factor=factor,
            hyperband_iterations=hyperband_iterations,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)

    def _trial_task(self, trial, fit_args, fit_kwargs):
        values = trial.hyperparameters.values
        if "tuner/epochs" in values:
            fit_kwargs = {
                **fit_kwargs,
                "epochs": values["tuner/epochs"],
                "initial_epoch": values["tuner/initial_epoch"],
            }
        task = super()._trial_task(trial, fit_args, fit_kwargs)
        if "tuner/trial_id" in values:
            task.initial_weights = self._get_checkpoint_fname(values["tuner/trial_id"])
        return task
