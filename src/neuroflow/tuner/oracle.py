"""The oracle: the part of a search that chooses each trial's hyperparameter values.

An oracle lives in the process that runs the search. The tuner asks it for a trial
(``create_trial``), runs the trial wherever the executor puts it, reports the metrics
(``update_trial``) and ends it (``end_trial``); the oracle records everything in the
project directory, so an interrupted search resumes where it stopped.

A new search algorithm is a subclass that implements KerasTuner's contract,
``populate_space(trial_id)`` returning ``{"status": ..., "values": ...}``:

>>> from neuroflow.tuner import Oracle, HyperParameters
>>> class FirstValues(Oracle):
...     def populate_space(self, trial_id):
...         if len(self.trials) >= 2:
...             return {"status": "STOPPED", "values": None}
...         n = len(self.trials)
...         values = {hp.name: list(hp.values)[n] for hp in self.hyperparameters.space}
...         return {"status": "RUNNING", "values": values}
>>> hp = HyperParameters(); _ = hp.Choice("units", [8, 16, 32])
>>> oracle = FirstValues(objective="loss", hyperparameters=hp)
>>> oracle.verbose = 0
>>> trial = oracle.create_trial("tuner0")
>>> trial.trial_id, trial.hyperparameters.values
('0000', {'units': 8})
>>> _ = oracle.update_trial(trial.trial_id, {"loss": 0.5})
>>> trial.status = "COMPLETED"; oracle.end_trial(trial)
>>> oracle.get_best_trials()[0].score
0.5

``self.trials`` maps ids to :class:`~neuroflow.tuner.trial.Trial`, ``self.hyperparameters``
is the search space, and ``self._random_values()`` draws fresh values that no earlier trial
used (``None`` once the space looks exhausted), as in KerasTuner.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import random
import time
from pathlib import Path

from neuroflow.tuner.hyperparameters import HyperParameters
from neuroflow.tuner.objective import Objective, create_objective
from neuroflow.tuner.trial import Trial, TrialStatus
from neuroflow.utils.files import atomic_write_bytes

__all__ = ["Oracle"]


def _format_duration(seconds: float) -> str:
    s = round(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{d:d}d {h:02d}h {m:02d}m {s:02d}s" if d else f"{h:02d}h {m:02d}m {s:02d}s"


class _Display:
    """Prints the trial start and end lines as KerasTuner does (``verbose`` 0 is silent)."""

    col_width = 18

    def __init__(self, oracle: Oracle, verbose: int = 1):
        self.oracle = oracle
        self.verbose = verbose
        self.search_start = None
        self.trial_start: dict[str, float] = {}
        self.trial_number: dict[str, int] = {}

    def _value(self, value) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:.5g}"
        text = str(value)
        return text if len(text) <= self.col_width else text[: self.col_width - 3] + "..."

    def on_trial_begin(self, trial: Trial) -> None:
        if self.verbose < 1:
            return
        now = time.time()
        self.trial_start[trial.trial_id] = now
        self.search_start = self.search_start or now
        number = len(self.oracle.trials)
        self.trial_number[trial.trial_id] = number
        print(f"\nSearch: Running Trial #{number}\n")
        best = self.oracle.get_best_trials()
        best_values = best[0].hyperparameters.values if best else {}
        if trial.hyperparameters.values:
            row = f"{{:{self.col_width}}}|{{:{self.col_width}}}|{{}}"
            print(row.format("Value", "Best Value So Far", "Hyperparameter"))
            for name, value in trial.hyperparameters.values.items():
                best_value = best_values.get(name) if best else "?"
                print(row.format(self._value(value), self._value(best_value), name))
        else:
            print("default configuration")
        print()

    def on_trial_end(self, trial: Trial) -> None:
        if self.verbose < 1:
            return
        now = time.time()
        started = self.trial_start.get(trial.trial_id, now)
        number = self.trial_number.get(trial.trial_id, "?")
        print(f"Trial {number} Complete [{_format_duration(now - started)}]")
        name = self.oracle.objective.name
        if trial.score is not None:
            print(f"{name}: {trial.score}")
        print()
        best = self.oracle.get_best_trials()
        print(f"Best {name} So Far: {best[0].score if best else None}")
        print(f"Total elapsed time: {_format_duration(now - (self.search_start or now))}")


class Oracle:
    """Chooses the hyperparameter values of each trial (base class; KerasTuner's contract).

    Args:
        objective: a metric name (direction inferred: ``"val_accuracy"`` is maximized,
            ``"loss"`` minimized) or a :class:`~neuroflow.tuner.Objective`.
        max_trials: the most trials to run (``None``: until the oracle stops).
        hyperparameters: an optional :class:`HyperParameters` that declares (or overrides)
            part of the search space beforehand.
        allow_new_entries: whether ``build(hp)`` may define hyperparameters not declared in
            ``hyperparameters``.
        tune_new_entries: whether such new hyperparameters are tuned (else their default is
            used).
        seed: the random seed (KerasTuner: a random one in ``[1, 10000]`` when ``None``).
        max_retries_per_trial: how many times a trial that crashed is run again before it is
            recorded ``FAILED``.
        max_consecutive_failed_trials: the search stops with a ``RuntimeError`` after this
            many failed trials in a row.
    """

    def __init__(
        self,
        objective=None,
        max_trials=None,
        hyperparameters=None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        seed=None,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
    ):
        self.objective: Objective = create_objective(objective)
        if max_trials is not None and (
            isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1
        ):
            raise ValueError(
                f"Expected `max_trials` to be a positive integer or None. "
                f"Received: max_trials={max_trials!r}"
            )
        for arg, value in (
            ("max_retries_per_trial", max_retries_per_trial),
            ("max_consecutive_failed_trials", max_consecutive_failed_trials),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"Expected `{arg}` to be a non-negative integer. Received: {arg}={value!r}"
                )
        self.max_trials = max_trials
        if not hyperparameters:
            for arg, value in (
                ("tune_new_entries", tune_new_entries),
                ("allow_new_entries", allow_new_entries),
            ):
                if not value:
                    raise ValueError(
                        f"If you set `{arg}=False`, you must specify the search space via the "
                        "`hyperparameters` argument."
                    )
            hyperparameters = HyperParameters()
        self.hyperparameters: HyperParameters = hyperparameters
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries
        self.trials: dict[str, Trial] = {}
        self.ongoing_trials: dict[str, Trial] = {}  # tuner id (or worker slot) -> trial
        self.start_order: list[str] = []
        self.end_order: list[str] = []
        self._run_times: dict[str, int] = collections.defaultdict(int)
        self._retry_queue: list[str] = []
        self.seed = seed or random.randint(1, 10000)
        self._seed_state = self.seed
        self._tried_so_far: set[str] = set()
        self._id_to_hash: dict[str, str | None] = collections.defaultdict(lambda: None)
        # identical draws in a row before the space counts as exhausted
        self._max_collisions = 20
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._project_dir: Path | None = None
        self._display = _Display(self)

    # -- verbosity
    @property
    def verbose(self):
        return self._display.verbose

    @verbose.setter
    def verbose(self, value):
        self._display.verbose = 1 if value == "auto" else int(value)

    # -- the subclass contract
    def populate_space(self, trial_id: str) -> dict:
        """The values of a new trial: ``{"status": "RUNNING", "values": {...}}``, or
        ``{"status": "IDLE"}`` (wait for running trials) or ``{"status": "STOPPED"}``."""
        raise NotImplementedError(f"{type(self).__name__} must implement populate_space().")

    def score_trial(self, trial: Trial) -> None:
        """Sets ``trial.score`` and ``trial.best_step`` from its metrics (called on completion)."""
        trial.score = trial.metrics.get_best_value(self.objective.name)
        trial.best_step = trial.metrics.get_best_step(self.objective.name)

    # -- the life of a trial
    def _new_trial_id(self) -> str:
        return f"{len(self.trials):0{len(str(self.max_trials))}d}"

    def create_trial(self, tuner_id: str) -> Trial:
        """A new trial to run (or a retried one), or one whose status is IDLE or STOPPED."""
        if tuner_id in self.ongoing_trials:
            return self.ongoing_trials[tuner_id]
        if self._retry_queue:
            trial = self.trials[self._retry_queue.pop()]
            trial.status = TrialStatus.RUNNING
            self.ongoing_trials[tuner_id] = trial
            self.save()
            self._display.on_trial_begin(trial)
            return trial
        trial_id = self._new_trial_id()
        if self.max_trials and len(self.trials) >= self.max_trials:
            status, values = TrialStatus.STOPPED, None
        else:
            response = self.populate_space(trial_id)
            if not isinstance(response, dict) or "status" not in response:
                raise TypeError(
                    f"Expected {type(self).__name__}.populate_space() to return a dict with "
                    f"'status' and 'values'. Received: {response!r}"
                )
            status, values = response["status"], response.get("values")
        hyperparameters = self.hyperparameters.copy()
        hyperparameters.values = dict(values or {})
        trial = Trial(hyperparameters, trial_id=trial_id, status=status)
        if status == TrialStatus.RUNNING:
            self._record_values(trial)
            self.ongoing_trials[tuner_id] = trial
            self.trials[trial_id] = trial
            self.start_order.append(trial_id)
            self._save_trial(trial)
            self.save()
            self._display.on_trial_begin(trial)
        return trial

    def update_trial(self, trial_id: str, metrics: dict, step: int = 0) -> Trial:
        """Records ``metrics`` (name -> value) of a trial at ``step``."""
        trial = self.trials[trial_id]
        if self.objective.name not in metrics:
            raise ValueError(
                f"Objective value missing in metrics reported to the Oracle, expected: "
                f"{[self.objective.name]}, found: {sorted(metrics)}"
            )
        for name, value in metrics.items():
            if not trial.metrics.exists(name):
                direction = self.objective.direction if name == self.objective.name else None
                trial.metrics.register(name, direction=direction)
            trial.metrics.update(name, value, step=step)
        self._save_trial(trial)
        return trial

    def end_trial(self, trial: Trial) -> None:
        """Ends a trial whose ``status`` is COMPLETED, INVALID (retried if retries are left)
        or FAILED; records it and saves the oracle."""
        recorded = self.trials[trial.trial_id]
        recorded.hyperparameters = trial.hyperparameters
        recorded.status = trial.status
        recorded.message = trial.message
        trial = recorded
        self.update_space(trial.hyperparameters)
        if trial.status == TrialStatus.COMPLETED:
            self.score_trial(trial)
            if trial.score is None or math.isnan(trial.score):
                trial.status = TrialStatus.INVALID
                trial.message = trial.message or (
                    f"The objective {self.objective.name!r} was NaN (or never reported)."
                )
        self._record_values(trial)
        self._run_times[trial.trial_id] += 1
        if not self._retry(trial):
            self.end_order.append(trial.trial_id)
        for tuner_id, ongoing in list(self.ongoing_trials.items()):
            if ongoing.trial_id == trial.trial_id:
                del self.ongoing_trials[tuner_id]
                break
        self._save_trial(trial)
        self.save()
        self._display.on_trial_end(trial)
        self._check_consecutive_failures()

    def _retry(self, trial: Trial) -> bool:
        if trial.status != TrialStatus.INVALID:
            return False
        runs_allowed = self.max_retries_per_trial + 1
        runs = self._run_times[trial.trial_id]
        if runs >= runs_allowed:
            trial.status = TrialStatus.FAILED
            return False
        if self.verbose:
            print(
                f"Trial {trial.trial_id} failed {runs} times. {runs_allowed - runs} retries left."
            )
        self._retry_queue.append(trial.trial_id)
        return True

    def _check_consecutive_failures(self) -> None:
        if not self.max_consecutive_failed_trials:
            return
        failures = 0
        for trial_id in self.end_order:
            trial = self.trials[trial_id]
            failures = failures + 1 if trial.status == TrialStatus.FAILED else 0
            if failures == self.max_consecutive_failed_trials:
                raise RuntimeError(
                    f"Number of consecutive failures exceeded the limit of "
                    f"{self.max_consecutive_failed_trials}.\n{trial.message or ''}"
                )

    # -- the space
    def get_space(self) -> HyperParameters:
        """A copy of the search space."""
        return self.hyperparameters.copy()

    def update_space(self, hyperparameters: HyperParameters) -> None:
        """Adds the hyperparameters a build defined that the space does not hold yet."""
        new = [
            hp
            for hp in hyperparameters.space
            if not self.hyperparameters._exists(hp.name, hp.conditions)
        ]
        if new and not self.allow_new_entries:
            raise RuntimeError(f"`allow_new_entries` is `False`, but found new entries {new}")
        if not self.tune_new_entries:
            return
        self.hyperparameters.merge(new)

    # -- queries
    def get_trial(self, trial_id: str) -> Trial:
        return self.trials[trial_id]

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        """The best completed trials, best first (then the others, if too few completed)."""
        completed = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED]
        ranked = sorted(completed, key=lambda t: t.score, reverse=self.objective.direction == "max")
        if len(ranked) < num_trials:
            ranked += [t for t in self.trials.values() if t.status != TrialStatus.COMPLETED]
        return ranked[:num_trials]

    def remaining_trials(self):
        return self.max_trials - len(self.trials) if self.max_trials else None

    # -- random values without repeats
    def _compute_values_hash(self, values: dict) -> str:
        text = "".join(f"{k}={values[k]}" for k in sorted(values))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def _random_values(self):
        """Fresh random values for the active hyperparameters; ``None`` after
        ``_max_collisions`` draws in a row that earlier trials already used."""
        collisions = 0
        while True:
            hps = HyperParameters()
            for hp in self.hyperparameters.space:
                hps.merge([hp])
                if hps.is_active(hp):
                    hps.values[hp.name] = hp.random_sample(self._seed_state)
                    self._seed_state += 1
            if self._duplicate(hps.values):
                collisions += 1
                if collisions > self._max_collisions:
                    return None
                continue
            return hps.values

    def _duplicate(self, values: dict) -> bool:
        return self._compute_values_hash(values) in self._tried_so_far

    def _record_values(self, trial: Trial) -> None:
        trial.hyperparameters.ensure_active_values()
        new_hash = self._compute_values_hash(trial.hyperparameters.values)
        self._tried_so_far.add(new_hash)
        old_hash = self._id_to_hash[trial.trial_id]
        if old_hash != new_hash:
            self._id_to_hash[trial.trial_id] = new_hash
            self._tried_so_far.discard(old_hash)

    # -- state and files
    def get_state(self) -> dict:
        """The oracle's state as JSON-ready data (trials are saved in their own files)."""
        return {
            "ongoing_trials": {k: t.trial_id for k, t in self.ongoing_trials.items()},
            "hyperparameters": self.hyperparameters.get_config(),
            "start_order": list(self.start_order),
            "end_order": list(self.end_order),
            "run_times": dict(self._run_times),
            "retry_queue": list(self._retry_queue),
            "seed": self.seed,
            "seed_state": self._seed_state,
            "tried_so_far": sorted(self._tried_so_far),
            "id_to_hash": dict(self._id_to_hash),
        }

    def set_state(self, state: dict) -> None:
        self.ongoing_trials = {k: self.trials[i] for k, i in state["ongoing_trials"].items()}
        self.hyperparameters = HyperParameters.from_config(state["hyperparameters"])
        self.start_order = list(state["start_order"])
        self.end_order = list(state["end_order"])
        self._run_times = collections.defaultdict(int, state["run_times"])
        self._retry_queue = list(state["retry_queue"])
        self.seed = state["seed"]
        self._seed_state = state["seed_state"]
        self._tried_so_far = set(state["tried_so_far"])
        self._id_to_hash = collections.defaultdict(lambda: None, state["id_to_hash"])

    def _set_project_dir(self, project_dir) -> None:
        self._project_dir = Path(project_dir)

    def _oracle_path(self) -> Path | None:
        return None if self._project_dir is None else self._project_dir / "oracle.json"

    def _trial_dir(self, trial_id: str) -> Path:
        return self._project_dir / f"trial_{trial_id}"

    def _save_trial(self, trial: Trial) -> None:
        if self._project_dir is not None:
            trial.save(self._trial_dir(trial.trial_id) / "trial.json")

    def save(self) -> None:
        """Writes ``oracle.json`` atomically (nothing without a project directory)."""
        path = self._oracle_path()
        if path is not None:
            state = {"class_name": type(self).__name__, "state": self.get_state()}
            atomic_write_bytes(path, json.dumps(state, indent=1).encode("utf-8"))

    def reload(self) -> None:
        """Reads the trials and ``oracle.json`` back; trials that were running are retried."""
        for path in sorted(self._project_dir.glob("trial_*/trial.json")):
            trial = Trial.load(path)
            self.trials[trial.trial_id] = trial
        saved = json.loads(self._oracle_path().read_text(encoding="utf-8"))
        if saved.get("class_name") != type(self).__name__:
            raise RuntimeError(
                f"Error reloading `Oracle` from existing project: it was written by "
                f"{saved.get('class_name')}, not {type(self).__name__}. If you did not mean to "
                "reload from an existing project, change the `project_name` or pass "
                f"`overwrite=True` when creating the `Tuner`. Found existing project at: "
                f"{self._project_dir}"
            )
        try:
            self.set_state(saved["state"])
        except KeyError as e:
            raise RuntimeError(
                "Error reloading `Oracle` from existing project. If you did not mean to reload "
                "from an existing project, change the `project_name` or pass `overwrite=True` "
                f"when creating the `Tuner`. Found existing project at: {self._project_dir}"
            ) from e
        # a trial that was running when the search stopped runs again
        for trial in self.ongoing_trials.values():
            trial.status = TrialStatus.RUNNING
            self._retry_queue.append(trial.trial_id)
        self.ongoing_trials = {}
