"""Grid search: every combination of values, in KerasTuner's order.

The first trial uses every default; each next trial moves the *last* hyperparameter to its
next value (an odometer: the last defined turns fastest), each hyperparameter's values
taken default first, then the others in the order of ``hp.values``. A ``Float`` without
``step`` (or a log-sampled ``Int`` without ``step``) contributes 10 evenly spread values.
Inactive (conditional) hyperparameters are skipped, so a conditional branch is enumerated
only under the parent values that activate it.
"""

from __future__ import annotations

from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import TrialStatus
from neuroflow.tuner.tuner import Tuner

__all__ = ["GridSearch", "GridSearchOracle"]


class GridSearchOracle(Oracle):
    """Enumerates the grid of the search space (``max_trials=None``: the whole grid).

    >>> from neuroflow.tuner import HyperParameters
    >>> hp = HyperParameters()
    >>> _ = hp.Choice("optimizer", ["sgd", "adam"]); _ = hp.Choice("lr", [0.01, 0.1])
    >>> oracle = GridSearchOracle("loss", hyperparameters=hp); oracle.verbose = 0
    >>> for i in range(4):
    ...     print(oracle.create_trial(f"t{i}").hyperparameters.values)
    {'optimizer': 'sgd', 'lr': 0.01}
    {'optimizer': 'sgd', 'lr': 0.1}
    {'optimizer': 'adam', 'lr': 0.01}
    {'optimizer': 'adam', 'lr': 0.1}
    >>> oracle.create_trial("t9").status
    'STOPPED'
    """

    def __init__(
        self,
        objective=None,
        max_trials=None,
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

    @staticmethod
    def _ordered_values(hp) -> list:
        values = list(hp.values)
        if hp.default in values:
            values.remove(hp.default)
        return [hp.default, *values]

    def populate_space(self, trial_id):
        hps = self.get_space()
        if not self.start_order:
            values = {hp.name: hp.default for hp in hps.space if hps.is_active(hp)}
        else:
            values = self._next_combination(self.trials[self.start_order[-1]].hyperparameters)
        if values is None:
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": values}

    def _next_combination(self, last):
        """The combination after ``last`` (a trial's hyperparameters), or ``None``."""
        hps = self.get_space()
        hps.values = {k: v for k, v in last.values.items() if not k.startswith("tuner/")}
        for hp in reversed(hps.space):
            ordered = self._ordered_values(hp)
            if hps.is_active(hp) and hp.name in hps.values:
                current = hps.values[hp.name]
                index = ordered.index(current) if current in ordered else len(ordered) - 1
                if index + 1 < len(ordered):
                    hps.values[hp.name] = ordered[index + 1]
                    self._fill_defaults(hps)
                    return hps.values
            hps.values[hp.name] = hp.default  # wrap around, carry to the one before
        return None

    @staticmethod
    def _fill_defaults(hps) -> None:
        """Drops inactive values and gives newly active ones their default."""
        for hp in hps.space:
            if hps.is_active(hp):
                hps.values.setdefault(hp.name, hp.default)
            else:
                hps.values.pop(hp.name, None)


class GridSearch(Tuner):
    """Tries every combination of the hyperparameters' values (see the module docstring).

    Args:
        hypermodel: ``build(hp)`` returning a compiled model, or a ``HyperModel``.
        objective: the metric to optimize.
        max_trials: stop after this many (``None``: the whole grid).
        seed, hyperparameters, tune_new_entries, allow_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
        **kwargs: :class:`~neuroflow.tuner.Tuner`'s.
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials=None,
        seed=None,
        hyperparameters=None,
        tune_new_entries=True,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
        **kwargs,
    ):
        self.seed = seed
        oracle = GridSearchOracle(
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
