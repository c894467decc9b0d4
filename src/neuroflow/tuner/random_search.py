"""Random search: each trial draws fresh values, never repeating an earlier trial's."""

from __future__ import annotations

from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import TrialStatus
from neuroflow.tuner.tuner import Tuner

__all__ = ["RandomSearch", "RandomSearchOracle"]


class RandomSearchOracle(Oracle):
    """Draws each trial's values at random (uniform in each hyperparameter's sampling).

    Values already tried are drawn again up to 20 times in a row, then the space counts
    as exhausted and the search stops (KerasTuner's rule). Arguments as :class:`Oracle`;
    ``max_trials`` defaults to 10.

    >>> from neuroflow.tuner import HyperParameters
    >>> hp = HyperParameters(); _ = hp.Boolean("bias")
    >>> oracle = RandomSearchOracle("loss", max_trials=5, hyperparameters=hp, seed=3)
    >>> oracle.verbose = 0
    >>> sorted(oracle.create_trial(f"t{i}").status for i in range(3))
    ['RUNNING', 'RUNNING', 'STOPPED']
    """

    def __init__(
        self,
        objective=None,
        max_trials=10,
        seed=None,
        hyperparameters=None,
        allow_new_entries=True,
        tune_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
    ):
        super().__init__(
            objective=objective,
            max_trials=max_trials,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )

    def populate_space(self, trial_id):
        values = self._random_values()
        if values is None:
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": values}


class RandomSearch(Tuner):
    """Random search over the hyperparameters ``build(hp)`` defines.

    Args:
        hypermodel: ``build(hp)`` returning a compiled model, or a ``HyperModel``.
        objective: the metric to optimize, e.g. ``"val_accuracy"``.
        max_trials: how many models to try (default 10).
        seed: the random seed; the same seed proposes the same values.
        hyperparameters, tune_new_entries, allow_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
        **kwargs: :class:`~neuroflow.tuner.Tuner`'s (``directory``, ``project_name``,
            ``overwrite``, ``executions_per_trial``, ``n_jobs``, ``distributed``, ...).
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials=10,
        seed=None,
        hyperparameters=None,
        tune_new_entries=True,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
        **kwargs,
    ):
        self.seed = seed
        oracle = RandomSearchOracle(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle, hypermodel, **kwargs)
