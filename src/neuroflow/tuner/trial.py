"""A trial: one set of hyperparameter values, its status, its metrics and its score.

A trial's metrics keep one history per metric: the values at each step (epoch), averaged
over the executions of the trial. Its ``score`` is the objective's best value over the steps
and ``best_step`` the step it was reached at (the epoch whose weights were saved), as in
KerasTuner.

>>> from neuroflow.tuner import HyperParameters
>>> from neuroflow.tuner.trial import Trial
>>> t = Trial(HyperParameters(), trial_id="00")
>>> for step, v in enumerate([0.5, 0.7, 0.6]):
...     _ = t.metrics.update("val_accuracy", v, step=step)
>>> t.metrics.get_best_value("val_accuracy"), t.metrics.get_best_step("val_accuracy")
(0.7, 1)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from neuroflow.tuner.hyperparameters import HyperParameters
from neuroflow.tuner.objective import infer_metric_direction
from neuroflow.utils.files import atomic_write_bytes

__all__ = ["MetricHistory", "MetricsTracker", "Trial", "TrialStatus"]


class TrialStatus:
    """The states of a trial (KerasTuner's names)."""

    RUNNING = "RUNNING"  # may run (or is running)
    IDLE = "IDLE"  # no trial now: the oracle waits for running trials to end
    INVALID = "INVALID"  # crashed, may be retried
    STOPPED = "STOPPED"  # no trial: the search is over
    COMPLETED = "COMPLETED"  # ended normally
    FAILED = "FAILED"  # crashed on every retry


def _mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


class MetricHistory:
    """One metric's values per step; several executions at a step are averaged."""

    def __init__(self, direction: str = "min"):
        if direction not in ("min", "max"):
            raise ValueError(
                f"Expected `direction` to be 'min' or 'max'. Received: direction={direction!r}"
            )
        self.direction = direction
        self._observations: dict[int, list[float]] = {}

    def update(self, value, step: int = 0) -> None:
        self._observations.setdefault(int(step), []).append(float(value))

    def _means(self) -> dict[int, float]:
        return {step: _mean(values) for step, values in sorted(self._observations.items())}

    def get_best_value(self):
        means = [v for v in self._means().values() if not math.isnan(v)]
        if not means:
            return math.nan if self._observations else None
        return max(means) if self.direction == "max" else min(means)

    def get_best_step(self):
        best = self.get_best_value()
        if best is None:
            return None
        return next((s for s, v in self._means().items() if v == best), None)

    def get_last_value(self):
        means = self._means()
        return means[max(means)] if means else None

    def get_history(self) -> list[tuple[int, float]]:
        """``[(step, mean value), ...]`` in step order."""
        return list(self._means().items())

    def get_config(self) -> dict:
        return {
            "direction": self.direction,
            "observations": [
                {"step": step, "value": list(values)}
                for step, values in sorted(self._observations.items())
            ],
        }

    @classmethod
    def from_config(cls, config: dict) -> MetricHistory:
        history = cls(config["direction"])
        for obs in config["observations"]:
            for value in obs["value"]:
                history.update(value, obs["step"])
        return history


class MetricsTracker:
    """The :class:`MetricHistory` of each metric of a trial."""

    def __init__(self):
        self.metrics: dict[str, MetricHistory] = {}

    def exists(self, name: str) -> bool:
        return name in self.metrics

    def register(self, name: str, direction=None) -> None:
        if self.exists(name):
            raise ValueError(f"Metric already exists: {name}")
        self.metrics[name] = MetricHistory(direction or infer_metric_direction(name) or "min")

    def update(self, name: str, value, step: int = 0) -> None:
        if not self.exists(name):
            self.register(name)
        self.metrics[name].update(value, step)

    def _get(self, name: str) -> MetricHistory:
        if name not in self.metrics:
            raise ValueError(f"Unknown metric: {name}. Known metrics: {sorted(self.metrics)}")
        return self.metrics[name]

    def get_best_value(self, name: str):
        return self._get(name).get_best_value()

    def get_best_step(self, name: str):
        return self._get(name).get_best_step()

    def get_last_value(self, name: str):
        return self._get(name).get_last_value()

    def get_history(self, name: str):
        return self._get(name).get_history()

    def get_direction(self, name: str) -> str:
        return self._get(name).direction

    def get_config(self) -> dict:
        return {"metrics": {name: h.get_config() for name, h in self.metrics.items()}}

    @classmethod
    def from_config(cls, config: dict) -> MetricsTracker:
        tracker = cls()
        tracker.metrics = {
            name: MetricHistory.from_config(h) for name, h in config["metrics"].items()
        }
        return tracker


class Trial:
    """One set of hyperparameter values and what running it gave.

    Attributes:
        trial_id: the trial's id (``"00"``, ``"01"``, ... zero-padded to ``max_trials``).
        hyperparameters: a :class:`HyperParameters` with this trial's ``values``.
        status: one of :class:`TrialStatus`.
        score: the objective's best value (``None`` until completed).
        best_step: the step (epoch) at which ``score`` was reached.
        metrics: a :class:`MetricsTracker`, each metric's history.
        message: the error text of a failed run.
    """

    def __init__(self, hyperparameters, trial_id=None, status=TrialStatus.RUNNING, message=None):
        self.hyperparameters = hyperparameters
        self.trial_id = trial_id
        self.metrics = MetricsTracker()
        self.score = None
        self.best_step = 0
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return (
            f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, score={self.score!r}, "
            f"values={self.hyperparameters.values!r})"
        )

    def summary(self) -> None:
        """Prints the trial as KerasTuner's ``Trial.summary`` does."""
        print(f"Trial {self.trial_id} summary")
        print("Hyperparameters:")
        self.display_hyperparameters()
        if self.score is not None:
            print(f"Score: {self.score}")
        if self.message is not None:
            print(self.message)

    def display_hyperparameters(self) -> None:
        if self.hyperparameters.values:
            for name, value in self.hyperparameters.values.items():
                print(f"{name}:", value)
        else:
            print("default configuration")

    def get_state(self) -> dict:
        return {
            "trial_id": self.trial_id,
            "hyperparameters": self.hyperparameters.get_config(),
            "metrics": self.metrics.get_config(),
            "score": self.score,
            "best_step": self.best_step,
            "status": self.status,
            "message": self.message,
        }

    def set_state(self, state: dict) -> None:
        self.trial_id = state["trial_id"]
        self.hyperparameters = HyperParameters.from_config(state["hyperparameters"])
        self.metrics = MetricsTracker.from_config(state["metrics"])
        self.score = state["score"]
        self.best_step = state["best_step"]
        self.status = state["status"]
        self.message = state["message"]

    @classmethod
    def from_state(cls, state: dict) -> Trial:
        trial = cls(hyperparameters=None)
        trial.set_state(state)
        return trial

    def save(self, path) -> None:
        """Writes ``trial.json`` atomically."""
        atomic_write_bytes(path, json.dumps(self.get_state(), indent=1).encode("utf-8"))

    @classmethod
    def load(cls, path) -> Trial:
        return cls.from_state(json.loads(Path(path).read_text(encoding="utf-8")))
