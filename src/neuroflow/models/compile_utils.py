"""``compile``'s losses, loss weights and metrics matched to a model's outputs, as Keras 3.

Each of ``loss``, ``loss_weights``, ``metrics`` and ``weighted_metrics`` may be one value (the
same for every output), a list in output order, or a dict keyed by output name
(``model.output_names``): dicts are matched by name, never by order, and a key that names no
output is an error. The total loss is ``sum(loss_weight_i * loss_i)``; each output's loss is
logged unweighted as ``"<output>_loss"`` (when more than one output has a loss) and each metric
as ``"<output>_<metric>"``, the names Keras 3 logs.
"""

from __future__ import annotations

import numpy as np

from neuroflow import losses
from neuroflow import metrics as metrics_module

__all__ = ["OutputLosses", "per_output", "structure_names"]


def _is_structure(value) -> bool:
    return isinstance(value, (list, tuple, dict))


def per_output(value, names: list[str], argument: str, nested: bool = False) -> list:
    """``value`` spread over the outputs ``names``: one entry per output, in their order.

    ``nested=True`` (metrics) reads a list of lists as one list per output and a flat list
    as the metrics of a single output.
    """
    n = len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"The `{argument}` dict has key {unknown[0]!r}, which matches no output of the "
                f"model. Expected keys among the output names {names}. "
                f"Received: {argument}={value!r}"
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        if nested and n == 1 and not any(isinstance(v, (list, tuple, dict)) for v in value):
            return [list(value)]
        if len(value) != n:
            raise ValueError(
                f"Expected `{argument}` to have one entry per output ({n}: {names}) when given "
                f"as a list. Received {len(value)} entries: {argument}={value!r}"
            )
        return list(value)
    return [value] * n


def structure_names(model) -> list[str] | None:
    """The model's output names when the model knows them before seeing data."""
    try:
        names = model.output_names
    except (AttributeError, ValueError):
        return None
    return list(names) if names else None


def _metric_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class OutputLosses:
    """The resolved per-output losses, weights and metrics of a multi-output model."""

    def __init__(self, names, loss, loss_weights, metrics, weighted_metrics, dict_outputs=False):
        self.names = list(names)
        n = len(self.names)
        raw = per_output(loss, self.names, "loss")
        self.losses = [None if v is None else losses.get(v) for v in raw]
        if all(v is None for v in self.losses):
            raise ValueError(f"Expected a loss for at least one output of {self.names}.")
        if loss_weights is None:
            self.weights = [1.0] * n
        else:
            weights = per_output(loss_weights, self.names, "loss_weights")
            self.weights = [1.0 if w is None else float(w) for w in weights]
        self.metric_ids = [_metric_list(v) for v in per_output(metrics, self.names, "metrics",
                                                                 nested=True)]  # fmt: skip
        self.weighted_ids = [
            _metric_list(v)
            for v in per_output(weighted_metrics, self.names, "weighted_metrics", nested=True)
        ]
        self.with_loss = [i for i, v in enumerate(self.losses) if v is not None]
        order = list(self.with_loss)
        if dict_outputs and isinstance(loss, dict):  # Keras then follows the loss dict's order
            order.sort(key=lambda i: list(loss).index(self.names[i]))
        # Keras logs each output's loss only when there is more than one
        self.loss_names = [f"{self.names[i]}_loss" for i in order] if len(order) > 1 else []
        self.trackers = [metrics_module.Mean(name) for name in self.loss_names]
        self.tracker_of = dict(zip(order, self.trackers))
        self.metrics: list = []  # (output index, metric, weighted), made on the first data
        self.built = False

    def build(self, y_true: list, y_pred: list) -> None:
        """Makes the metric objects, which depend on the targets' and outputs' shapes."""
        self.metrics = []
        for i, name in enumerate(self.names):
            plain_names = set()
            for ids, weighted in ((self.metric_ids[i], False), (self.weighted_ids[i], True)):
                for identifier in ids:
                    metric = metrics_module.get(
                        identifier, np.shape(y_true[i]), np.shape(y_pred[i]), self.losses[i]
                    )
                    base = metric.name
                    if weighted and base in plain_names:
                        base = f"weighted_{base}"
                    plain_names.add(metric.name)
                    metric.name = f"{name}_{base}"
                    self.metrics.append((i, metric, weighted))
        self.built = True

    def check_targets(self, y_true: list, pred_shapes: list) -> None:
        for i in self.with_loss:
            if y_true[i] is None:
                raise ValueError(
                    f"Output '{self.names[i]}' has a loss but no targets were given for it."
                )
            self.losses[i].check_targets(np.asarray(y_true[i]), pred_shapes[i])
