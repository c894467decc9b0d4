"""What a search optimizes: a metric's name and whether to minimize or maximize it.

>>> from neuroflow.tuner import Objective
>>> from neuroflow.tuner.objective import create_objective
>>> print(create_objective("val_accuracy"))
Objective(name="val_accuracy", direction="max")
>>> create_objective("loss").direction
'min'
>>> Objective("val_f1", direction="max").better_than(0.9, 0.8)
True
"""

from __future__ import annotations

__all__ = ["Objective", "create_objective", "infer_metric_direction"]

# KerasTuner's metrics to maximize (classes and functions); every other known metric or loss
# is minimized
_MAX_METRICS = {
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TruePositives",
    "TrueNegatives",
    "Precision",
    "Recall",
    "AUC",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "accuracy",
    "categorical_accuracy",
    "binary_accuracy",
    "sparse_categorical_accuracy",
    # the snake-case names Keras's logs use for the classes above
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "true_positives",
    "true_negatives",
    "precision",
    "recall",
    "auc",
}
_MIN_ALIASES = {"mse", "mae", "mape", "msle", "kld", "logcosh", "huber", "hinge"}


def infer_metric_direction(metric: str):
    """``"min"``, ``"max"`` or ``None`` (unknown) for a metric name as ``fit`` logs it."""
    name = metric
    if name.startswith("val_"):
        name = name[len("val_") :]
    if name.startswith("weighted_"):
        name = name[len("weighted_") :]
    if name in {"loss", "crossentropy", "ce"} or name in _MIN_ALIASES:
        return "min"
    if name == "acc" or name in _MAX_METRICS:
        return "max"
    from neuroflow import losses, metrics

    if hasattr(metrics, name) or hasattr(losses, name):
        return "min"
    return None


class Objective:
    """The metric ``name`` to optimize in ``direction`` (``"min"`` or ``"max"``).

    Args:
        name: a key of the logs ``fit`` writes, e.g. ``"val_accuracy"``.
        direction: ``"min"`` or ``"max"``.
    """

    def __init__(self, name: str, direction: str):
        if direction not in ("min", "max"):
            raise ValueError(
                f"Expected `direction` to be 'min' or 'max'. Received: direction={direction!r}"
            )
        self.name = name
        self.direction = direction

    def has_value(self, logs) -> bool:
        return self.name in (logs or {})

    def get_value(self, logs):
        return logs[self.name]

    def better_than(self, a, b) -> bool:
        """Whether objective value ``a`` is better than ``b``."""
        return (a > b) if self.direction == "max" else (a < b)

    def __eq__(self, other) -> bool:
        return isinstance(other, Objective) and (self.name, self.direction) == (
            other.name,
            other.direction,
        )

    def __hash__(self):
        return hash((self.name, self.direction))

    def __str__(self) -> str:
        return f'Objective(name="{self.name}", direction="{self.direction}")'

    __repr__ = __str__

    def get_config(self) -> dict:
        return {"name": self.name, "direction": self.direction}


class DefaultObjective(Objective):
    """The objective when none is given: the float ``HyperModel.fit`` returns, minimized."""

    def __init__(self):
        super().__init__("default_objective", "min")


def create_objective(objective) -> Objective:
    """An :class:`Objective` from a name (direction inferred), an Objective, or ``None``."""
    if objective is None:
        return DefaultObjective()
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, (list, tuple)):
        raise TypeError(
            "neuroflow.tuner optimizes one objective; a list of objectives is not supported. "
            f"Received: objective={objective!r}"
        )
    if not isinstance(objective, str):
        raise TypeError(
            "Expected `objective` to be a metric name (str) or a `neuroflow.tuner.Objective`. "
            f"Received: objective={objective!r} of type {type(objective).__name__}"
        )
    direction = infer_metric_direction(objective)
    if direction is None:
        raise ValueError(
            'Could not infer optimization direction ("min" or "max") for unknown metric '
            f'"{objective}". Please specify the objective as a `neuroflow.tuner.Objective`, '
            f'for example `kt.Objective("{objective}", direction="min")`.'
        )
    return Objective(objective, direction)
