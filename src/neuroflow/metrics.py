"""Training metrics with Keras's names: stateful classes and per-sample functions.

Metrics run on NumPy arrays (they never need gradients). ``"accuracy"`` is resolved to
binary, categorical or sparse-categorical accuracy from the loss and the shapes, as
Keras does.

Examples
--------
>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> m.result()
0.5
"""

from __future__ import annotations

import numpy as np

from neuroflow._registry import resolve, snake_case


def _squeeze_labels(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where ``argmax(y_pred)`` equals the integer label, per sample."""
    y_pred = np.asarray(y_pred)
    y_true = _squeeze_labels(np.asarray(y_true), y_pred)
    return (y_pred.argmax(axis=-1) == y_true).astype(np.float32)


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where ``argmax(y_pred)`` equals ``argmax(y_true)``, per sample."""
    return (np.asarray(y_pred).argmax(axis=-1) == np.asarray(y_true).argmax(axis=-1)).astype(
        np.float32
    )


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Mean over the last axis of ``(y_pred > threshold) == y_true``."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return ((y_pred > threshold) == (y_true > 0.5)).mean(axis=-1, dtype=np.float32)


def accuracy(y_true, y_pred) -> np.ndarray:
    """Exact equality of values, per sample (Keras's plain ``Accuracy``)."""
    return (
        (np.asarray(y_true) == np.asarray(y_pred))
        .astype(np.float32)
        .reshape(len(y_true), -1)
        .mean(-1)
    )


def mean_squared_error(y_true, y_pred) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    d = y_pred - np.asarray(y_true).reshape(y_pred.shape)
    return (d * d).reshape(len(d), -1).mean(axis=-1)


def mean_absolute_error(y_true, y_pred) -> np.ndarray:
    y_pred = np.asarray(y_pred)
    d = y_pred - np.asarray(y_true).reshape(y_pred.shape)
    return np.abs(d).reshape(len(d), -1).mean(axis=-1)


class Metric:
    """Base class: ``update_state`` accumulates, ``result`` reads, ``reset_state`` clears."""

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def __call__(self, *args, **kwargs) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}


class Mean(Metric):
    """The (weighted) running mean of the values given."""

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            w = np.broadcast_to(np.asarray(sample_weight, np.float64), values.shape)
            self.total += float((values * w).sum())
            self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Averages ``fn(y_true, y_pred)`` over all samples seen."""

    def __init__(self, fn, name: str | None = None, dtype=None, **fn_kwargs):
        self.fn, self.fn_kwargs = fn, fn_kwargs
        super().__init__(name or fn.__name__, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


_METRICS = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_FUNCTIONS = {
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
}


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None) -> Metric:
    """A Metric from a name, class, instance or function.

    ``"accuracy"``/``"acc"`` becomes binary accuracy for one output or a binary loss,
    sparse categorical accuracy for integer labels, categorical accuracy otherwise.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc"):
            loss_name = getattr(loss, "name", "")
            binary = "binary" in loss_name or (y_pred_shape is not None and y_pred_shape[-1] == 1)
            sparse = "sparse" in loss_name or (
                y_true_shape is not None
                and y_pred_shape is not None
                and (
                    len(y_true_shape) < len(y_pred_shape)
                    or (y_true_shape[-1] == 1 and y_pred_shape[-1] > 1)
                )
            )
            fn = (
                binary_accuracy
                if binary
                else (sparse_categorical_accuracy if sparse else categorical_accuracy)
            )
            return MeanMetricWrapper(fn, name=identifier)
        metric = resolve(identifier, _METRICS, "metric", "metrics")()
        metric.name = identifier
        return metric
    if callable(identifier):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]()
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"Could not interpret metric: {identifier!r}. Expected a string, a Metric or a function."
    )
