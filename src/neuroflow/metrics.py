"""Training metrics with Keras's names: stateful classes and per-sample functions.

Metrics run on NumPy arrays (they never need gradients). ``"accuracy"`` is resolved to
binary, categorical or sparse-categorical accuracy from the loss and the shapes, as
Keras does. The arithmetic is Keras 3's: a weighted mean divides by the sum of the
weights, and the confusion-matrix metrics (``Precision``, ``Recall``, ``AUC``, the four
counts) accumulate weighted counts at each threshold, ``y_pred > threshold`` being a
positive.

Examples
--------
>>> import numpy as np
>>> m = SparseCategoricalAccuracy()
>>> m.update_state(np.array([1, 0]), np.array([[0.2, 0.8], [0.3, 0.7]]))
>>> float(m.result())
0.5
>>> p = Precision()
>>> p.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(float(p.result()), 4)
0.6667
"""

from __future__ import annotations

import numpy as np

from neuroflow import backend, initializers
from neuroflow._registry import deserialize as _deserialize
from neuroflow._registry import resolve, snake_case
from neuroflow._registry import serialize as _serialize
from neuroflow.tensor import Tensor, Variable

EPSILON = 1e-7  # Keras's backend.epsilon(): the AUC end thresholds and F-score guards
NEG_INF = -1e10  # what Keras gives the predictions outside the top k


# ---------------------------------------------------------------------------- helpers


def _same_rank(x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True):
    """Keras's ``squeeze_or_expand_to_same_rank``: fixes a trailing axis of size 1."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def _divide_no_nan(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras's ``ops.divide_no_nan``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)


def _pythonify(value):
    """A scalar as a Python float, a vector as a float32 array (what Keras's tensors hold)."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value.astype(np.float32)


def _bad_arg(name, value, expected="a positive integer"):
    raise ValueError(f"Argument `{name}` must be {expected}. Received: {name}={value!r}")


def _check_k(k, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"Argument `{name}` must be a positive integer. Received: {name}={k!r}")
    return int(k)


def _parse_thresholds(thresholds, default: float) -> list[float]:
    """Keras's ``parse_init_thresholds``: a list of thresholds, each in [0, 1]."""
    if thresholds is None:
        return [default]
    listed = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in listed if t is None or isinstance(t, bool) or not 0 <= t <= 1]
    if not listed or bad:
        raise ValueError(
            "Argument `thresholds` must be a number or a non-empty list of numbers in [0, 1]. "
            f"Received: thresholds={thresholds!r}"
        )
    return [float(t) for t in listed]


def _evenly_distributed(thresholds) -> bool:
    """Keras's ``is_evenly_distributed_thresholds``: 0, 1/(n-1), ..., 1 with n >= 3."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x: np.ndarray, k: int) -> np.ndarray:
    """Keeps the ``k`` largest values of the last axis, the rest set to ``NEG_INF``."""
    # a stable sort keeps the lower index first among ties, as tf.math.top_k does
    top = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(mask, top, 1.0, axis=-1)
    return x * mask + np.float32(NEG_INF) * (1 - mask)


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight=None,
    multi_label: bool = False,
    label_weights=None,
    evenly: bool | None = None,
) -> dict:
    """Weighted true/false positive/negative counts at each threshold.

    A prediction is positive at threshold ``t`` when ``y_pred > t``. The counts have shape
    ``(len(thresholds),)``, or ``(len(thresholds), num_labels)`` with ``multi_label``.
    Vectorized: sorting the predictions into threshold buckets costs O(N + T) (evenly
    spaced thresholds, Keras's bucket arithmetic) or O(N log T) (any others).

    Examples
    --------
    >>> c = confusion_counts([0, 1, 1], [0.2, 0.7, 0.4], [0.3, 0.5])
    >>> c["tp"].tolist(), c["fp"].tolist(), c["fn"].tolist()
    ([2.0, 1.0], [0.0, 0.0], [0.0, 1.0])
    """
    y_true = np.asarray(y_true, np.float32)
    y_pred = np.asarray(y_pred, np.float32)
    thresholds = np.asarray(thresholds, np.float64)
    if evenly is None:
        evenly = _evenly_distributed(thresholds)
    y_pred, y_true = _same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, np.float32)[..., None]
        _, sample_weight = _same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes). Received: y_pred.shape={y_pred.shape}"
            )
        if not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise ValueError(
                f"Argument `class_id` must be a class index below {y_pred.shape[-1]}. "
                f"Received: class_id={class_id}"
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]

    weights = np.ones(y_pred.shape, np.float64)
    if sample_weight is not None:
        weights = weights * np.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * np.broadcast_to(np.asarray(label_weights, np.float64), y_pred.shape)
    positive = (y_true != 0).astype(np.float64)
    if multi_label:  # one column per label: (samples, labels)
        y_pred, positive, weights = (a.reshape(len(a), -1) for a in (y_pred, positive, weights))
    else:
        y_pred, positive, weights = (a.reshape(-1, 1) for a in (y_pred, positive, weights))
    true_w, false_w = positive * weights, (1 - positive) * weights
    n_thresh, n_labels = len(thresholds), y_pred.shape[1]

    if evenly:
        # Keras's bucket arithmetic, in float32 like its variables: a prediction p lands
        # in bucket ceil(p * (T - 1)) - 1, i.e. above every threshold up to that one
        p = np.clip(y_pred, 0.0, 1.0)
        bucket = np.ceil(p * np.float32(n_thresh - 1)) - 1
        if thresholds[0] < 0 or thresholds[-1] > 1:  # the AUC's end thresholds +-epsilon
            bucket = np.maximum(bucket, 0)
        bucket = bucket.astype(np.int64)
    else:
        # how many (sorted) thresholds lie strictly below each prediction, minus one
        order = np.argsort(thresholds, kind="stable")
        sorted_t = thresholds[order].astype(np.float32)
        bucket = np.searchsorted(sorted_t, y_pred, side="left").astype(np.int64) - 1
    keep = bucket >= 0  # below every threshold: negative at all of them
    index = (bucket + n_thresh * np.arange(n_labels))[keep]
    size = n_thresh * n_labels

    def above(w):  # weighted count of predictions above each threshold: (T, labels)
        per_bucket = np.bincount(index, weights=w[keep], minlength=size)
        per_bucket = per_bucket.reshape(n_labels, n_thresh).T
        return np.cumsum(per_bucket[::-1], axis=0)[::-1]

    tp, fp = above(true_w), above(false_w)
    if not evenly:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(n_thresh)
        tp, fp = tp[inverse], fp[inverse]
    fn, tn = true_w.sum(axis=0) - tp, false_w.sum(axis=0) - fp
    counts = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    if not multi_label:
        counts = {k: v[:, 0] for k, v in counts.items()}
    return counts


# ---------------------------------------------------------------------------- functions


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


def _in_top_k(labels: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``tf.math.in_top_k``: fewer than ``k`` classes score strictly above the label's.

    Ties at the boundary count as in the top k, as TensorFlow counts them.
    """
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1).astype(np.int64)
    valid = (labels >= 0) & (labels < y_pred.shape[-1])
    target = np.take_along_axis(y_pred, np.where(valid, labels, 0)[:, None], axis=-1)
    above = (y_pred > target).sum(axis=-1)
    return valid & np.isfinite(target[:, 0]) & (above < k)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """1.0 where the one-hot target's class is among the ``k`` highest scores, per sample.

    Examples
    --------
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.5, 0.4], [0.6, 0.1, 0.3]], k=2)
    array([1., 0.], dtype=float32)
    """
    k = _check_k(k)
    y_true = np.asarray(y_true).argmax(axis=-1)
    hits = _in_top_k(y_true, np.asarray(y_pred, np.float32), k)
    return hits.astype(np.float32).reshape(y_true.shape)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """1.0 where the integer label is among the ``k`` highest scores, per sample.

    Examples
    --------
    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.5, 0.4], [0.6, 0.1, 0.3]], k=2)
    array([1., 0.], dtype=float32)
    """
    k = _check_k(k)
    y_true = np.asarray(y_true)
    hits = _in_top_k(y_true, np.asarray(y_pred, np.float32), k)
    return hits.astype(np.float32).reshape(y_true.shape)


def mean_squared_error(y_true, y_pred) -> np.ndarray:
    """``mean((y_true - y_pred) ** 2)`` over the last axis (Keras's loss function)."""
    y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
    d = y_pred - y_true
    return (d * d).mean(axis=-1)


def mean_absolute_error(y_true, y_pred) -> np.ndarray:
    """``mean(|y_true - y_pred|)`` over the last axis (Keras's loss function)."""
    y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
    return np.abs(y_pred - y_true).mean(axis=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> np.ndarray:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps))`` over the last axis."""
    y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
    return 100 * (np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)).mean(axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> np.ndarray:
    """``mean((log(1 + y_true) - log(1 + y_pred)) ** 2)`` over the last axis."""
    y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
    d = np.log(np.maximum(y_pred, EPSILON) + 1) - np.log(np.maximum(y_true, EPSILON) + 1)
    return (d * d).mean(axis=-1)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0) -> np.ndarray:
    """Binary cross-entropy averaged over the last axis; probabilities are clipped to
    ``[eps, 1 - eps]`` as Keras clips them.

    Examples
    --------
    >>> binary_crossentropy([[0, 1]], [[0.4, 0.6]]).round(4)
    array([0.5108], dtype=float32)
    """
    y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:  # max(x, 0) - x z + log(1 + exp(-|x|)), stable for any x
        loss = np.maximum(y_pred, 0) - y_pred * y_true + np.log1p(np.exp(-np.abs(y_pred)))
    else:
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        loss = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return loss.mean(axis=-1)


def categorical_crossentropy(
    y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1
) -> np.ndarray:
    """Cross-entropy of one-hot (or soft) targets; probabilities are rescaled to sum 1 and
    clipped, as Keras does."""
    y_true, y_pred = np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        log_p = _log_softmax(y_pred, axis)
    else:
        p = y_pred / y_pred.sum(axis=axis, keepdims=True)
        log_p = np.log(np.clip(p, EPSILON, 1 - EPSILON))
    return -(y_true * log_p).sum(axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1) -> np.ndarray:
    """Cross-entropy of integer labels; probabilities are clipped, as Keras does."""
    y_pred = np.asarray(y_pred, np.float32)
    labels = _squeeze_labels(np.asarray(y_true), y_pred).astype(np.int64)
    logits = y_pred if from_logits else np.log(np.clip(y_pred, EPSILON, 1 - EPSILON))
    log_p = _log_softmax(logits, axis)
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


# ---------------------------------------------------------------------------- classes


class Metric:
    """Base class: ``update_state`` accumulates, ``result`` reads, ``reset_state`` clears.

    Subclasses keep their state in plain attributes set by ``reset_state`` (called by
    ``__init__``), so a subclass's own arguments must be stored before ``super().__init__``.
    A metric given no name is named after its class and made unique in the session, as
    Keras names them (``precision``, ``precision_1``...).
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or backend.unique_name(snake_case(type(self).__name__))
        self.dtype = "float32" if dtype is None else np.dtype(dtype).name
        self._state_variables: list[tuple[Variable, np.ndarray]] = []
        if type(self).reset_state is not Metric.reset_state:
            try:
                self.reset_state()
            except AttributeError:
                # a metric written as Keras 3 writes them creates its state with
                # add_variable after super().__init__(): its reset_state cannot run yet
                pass

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None) -> Variable:  # fmt: skip
        """A state variable (not trained), as Keras 3's ``Metric.add_variable``.

        The base :meth:`reset_state` puts every such variable back to its initial value.

        Examples
        --------
        >>> class Count(Metric):
        ...     def __init__(self, name="count"):
        ...         super().__init__(name=name)
        ...         self.n = self.add_variable(shape=(), name="n", initializer="zeros")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.n.assign_add(len(values))
        ...     def result(self):
        ...         return self.n.value()
        >>> m = Count()
        >>> m.update_state([1, 2, 3]); float(m.result())
        3.0
        >>> m.reset_state(); float(m.result())
        0.0
        """
        dtype = self.dtype if dtype is None else np.dtype(dtype).name
        shape = tuple(shape) if isinstance(shape, (list, tuple)) else (int(shape),)
        value = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        variable = Variable(value, name=name or "variable", trainable=False, dtype=dtype)
        self._state_variables.append((variable, value.copy()))
        return variable

    add_weight = add_variable  # tf.keras 2's spelling

    @property
    def variables(self) -> list[Variable]:
        """The state variables :meth:`add_variable` made."""
        return [v for v, _ in getattr(self, "_state_variables", [])]

    def reset_state(self) -> None:
        states = getattr(self, "_state_variables", [])
        if not states:
            raise NotImplementedError(
                f"{type(self).__name__} must define reset_state() or create its state with "
                "add_variable()."
            )
        for variable, initial in states:
            variable.assign(initial)

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def result(self):
        """The metric's value as a Tensor (a scalar, or one value per class or threshold), as
        Keras 3 returns a backend tensor: ``float(m.result())`` and ``m.result().numpy()``
        both work. Subclasses define :meth:`_value`, or override this method."""
        value = self._value()
        return Tensor._from_op(np.asarray(value, dtype=np.float32), None)

    def _value(self):
        raise NotImplementedError(f"{type(self).__name__} must define result().")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) running mean of the values given.

    Values are first averaged per sample (over every axis but the first); with
    ``sample_weight`` the mean is ``sum(w * v) / sum(w)``, as in Keras.

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state([1.0, 3.0, 5.0], sample_weight=[1.0, 1.0, 0.0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name, dtype)

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is not None:  # Keras's reduce_to_samplewise_values
            weight = np.asarray(sample_weight, np.float64)
            values, weight = _same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
            weight = np.broadcast_to(weight, values.shape)
            values = values * weight
            if weight.ndim > 1:
                weight = weight.mean(axis=tuple(range(1, weight.ndim)))
        if values.ndim > 1:
            values = values.mean(axis=tuple(range(1, values.ndim)))
        self.total += float(values.sum())
        if sample_weight is not None:
            self.count += float(weight.sum())
        else:
            self.count += values.shape[0] if values.ndim else 1

    def _value(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Averages ``fn(y_true, y_pred, **kwargs)`` over all samples seen."""

    def __init__(self, fn, name: str | None = None, dtype=None, **fn_kwargs):
        self.fn, self.fn_kwargs = fn, fn_kwargs
        # a Loss object (``metrics=[keras.losses.BinaryCrossentropy(name=...)]``) goes by its name
        name = name or getattr(fn, "__name__", None) or getattr(fn, "name", None)
        super().__init__(name or snake_case(type(fn).__name__), dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    """How often the predictions equal the labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the binary label.

    Examples
    --------
    >>> m = BinaryAccuracy(threshold=0.7)
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [0.6], [0.2], [0.8]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ValueError(
                f"Argument `threshold` must be a number. Received: threshold={threshold!r}"
            )
        self.threshold = threshold
        super().__init__(binary_accuracy, name, dtype, threshold=threshold)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the highest score is the one-hot target's class."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the highest score is the integer label's class."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the ``k`` highest scores.

    Examples
    --------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = _check_k(k)
        super().__init__(top_k_categorical_accuracy, name, dtype, k=self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores.

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        self.k = _check_k(k)
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred) ** 2``."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean of ``(y_true - y_pred) ** 2``.

    Examples
    --------
    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(np.asarray(y_true, np.float32), np.asarray(y_pred, np.float32))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def _value(self):
        return float(np.sqrt(super()._value()))


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of ``100 * |y_true - y_pred| / |y_true|``."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of ``(log(1 + y_true) - log(1 + y_pred)) ** 2``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy (a metric: no gradient, probabilities clipped).

    Examples
    --------
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.8149
    """

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        self.from_logits, self.label_smoothing = from_logits, label_smoothing
        super().__init__(
            binary_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy of one-hot targets."""

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis
        super().__init__(
            categorical_crossentropy,
            name,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean cross-entropy of integer labels (``ignore_class`` is not supported)."""

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        if ignore_class is not None:
            raise NotImplementedError(
                f"SparseCategoricalCrossentropy(ignore_class={ignore_class!r}) is not supported."
            )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis
        super().__init__(
            sparse_categorical_crossentropy, name, dtype, from_logits=from_logits, axis=axis
        )

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }


class Sum(Metric):
    """The (weighted) running sum of the values given.

    Examples
    --------
    >>> m = Sum()
    >>> m.update_state([1.0, 3.0, 5.0], sample_weight=[1.0, 1.0, 0.0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name, dtype)

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, np.float64)
        if sample_weight is not None:
            weight = np.asarray(sample_weight, np.float64)
            values, weight = _same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = values.sum(axis=tuple(range(weight.ndim, values.ndim)))
            values = values * np.broadcast_to(weight, values.shape)
        self.total += float(values.sum())

    def _value(self):
        return self.total


class _ConfusionMatrixConditionCount(Metric):
    """One weighted confusion-matrix count at each threshold (default 0.5)."""

    _condition = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default=0.5)
        self._evenly = _evenly_distributed(self.thresholds)
        super().__init__(name, dtype)

    def reset_state(self):
        self.accumulator = np.zeros(len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight=sample_weight, evenly=self._evenly
        )
        self.accumulator += counts[self._condition]

    def _value(self):
        return _pythonify(self.accumulator[0] if len(self.thresholds) == 1 else self.accumulator)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positives predicted positive: ``y_pred > threshold``.

    ``thresholds`` is one number (``result`` is a float) or a list (an array, one count
    each).

    Examples
    --------
    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _condition = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negatives predicted positive.

    Examples
    --------
    >>> m = FalsePositives(thresholds=[0.3, 0.8])
    >>> m.update_state([0, 0, 1], [0.5, 0.9, 0.2])
    >>> m.result().numpy()
    array([2., 1.], dtype=float32)
    """

    _condition = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negatives predicted negative.

    Examples
    --------
    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0], sample_weight=[0, 0, 2, 1])
    >>> float(m.result())
    3.0
    """

    _condition = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positives predicted negative.

    Examples
    --------
    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _condition = "fn"


class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: true positives and one error count."""

    _error = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        if top_k is not None:
            top_k = _check_k(top_k, "top_k")
        if class_id is not None and (
            isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer))
        ):
            _bad_arg("class_id", class_id, "an integer class index")
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        # with top_k every kept prediction counts as positive, as in Keras
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        super().__init__(name, dtype)

    def reset_state(self):
        self.true_positives = np.zeros(len(self.thresholds))
        setattr(self, self._error_name, np.zeros(len(self.thresholds)))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
            evenly=self._evenly,
        )
        self.true_positives += counts["tp"]
        setattr(self, self._error_name, getattr(self, self._error_name) + counts[self._error])

    def _value(self):
        tp = self.true_positives
        value = _divide_no_nan(tp, tp + getattr(self, self._error_name))
        return _pythonify(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)``: how many predicted positives are positive.

    Parameters
    ----------
    thresholds : float or list of float, optional
        In [0, 1]; ``y_pred > threshold`` is a positive. Default 0.5 (with ``top_k``,
        every prediction in the top k). A list gives one precision per threshold.
    top_k : int, optional
        Only the ``k`` highest scores of each sample count as predicted positive.
    class_id : int, optional
        Only this class (column) is scored, as a binary problem.
    name, dtype : optional
        Default name ``"precision"``.

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    >>> m = Precision(top_k=2)
    >>> m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    >>> float(m.result())
    0.0
    """

    _error, _error_name = "fp", "false_positives"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)``: how many positives are predicted positive.

    Takes the same arguments as :class:`Precision`; default name ``"recall"``.

    Examples
    --------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _error, _error_name = "fn", "false_negatives"


class _SensitivitySpecificityBase(Metric):
    """Counts at ``num_thresholds`` evenly spaced thresholds; the best value of one rate
    where another rate reaches a target."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if (
            isinstance(num_thresholds, bool)
            or not isinstance(num_thresholds, (int, np.integer))
            or num_thresholds <= 0
        ):
            _bad_arg("num_thresholds", num_thresholds, "an integer > 0")
        self.value, self.num_thresholds, self.class_id = value, int(num_thresholds), class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0, *inner, 1.0], True
        super().__init__(name, dtype)

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            class_id=self.class_id,
            sample_weight=sample_weight,
            evenly=self._evenly,
        )
        self.true_positives = self.true_positives + counts["tp"]
        self.false_positives = self.false_positives + counts["fp"]
        self.true_negatives = self.true_negatives + counts["tn"]
        self.false_negatives = self.false_negatives + counts["fn"]

    def _rates(self):
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        return {
            "recall": _divide_no_nan(tp, tp + fn),
            "precision": _divide_no_nan(tp, tp + fp),
            "specificity": _divide_no_nan(tn, tn + fp),
        }

    def _best(self, constrained: str, dependent: str) -> float:
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return float(np.max(np.where(feasible, rates[dependent], 0), initial=0))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}


def _check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        _bad_arg(name, value, "in the range [0, 1]")
    return value


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) at a threshold whose specificity is >= ``specificity``.

    Examples
    --------
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.specificity = _check_rate("specificity", specificity)
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def _value(self):
        return self._best("specificity", "recall")

    def get_config(self):
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "specificity": self.specificity,
        }


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity at a threshold whose sensitivity is >= ``sensitivity``."""

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.sensitivity = _check_rate("sensitivity", sensitivity)
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def _value(self):
        return self._best("recall", "specificity")

    def get_config(self):
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "sensitivity": self.sensitivity,
        }


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision at a threshold whose recall is >= ``recall``."""

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.recall = _check_rate("recall", recall)
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def _value(self):
        return self._best("recall", "precision")

    def get_config(self):
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "recall": self.recall,
        }


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall at a threshold whose precision is >= ``precision``."""

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        self.precision = _check_rate("precision", precision)
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def _value(self):
        return self._best("precision", "recall")

    def get_config(self):
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "precision": self.precision,
        }


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at ``num_thresholds``.

    Parameters
    ----------
    num_thresholds : int
        Thresholds evenly spaced in [0, 1] (the ends moved out by 1e-7), more than 1.
    curve : {"ROC", "PR"}
        The ROC curve (recall against false-positive rate) or precision against recall.
    summation_method : {"interpolation", "minoring", "majoring"}
        Trapezoids (ROC) or Davis & Goadrich's interpolation (PR); or the lower or upper
        Riemann sum.
    thresholds : list of float, optional
        Thresholds to use instead of ``num_thresholds`` evenly spaced ones.
    multi_label : bool
        One curve per label column (``y_pred`` of rank 2), averaged (weighted by
        ``label_weights``); otherwise every value is one binary decision.
    num_labels, label_weights, from_logits, name, dtype : optional
        As in Keras; ``from_logits`` applies a sigmoid to ``y_pred``. Default name ``"auc"``.

    Examples
    --------
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        curves = {"roc": "ROC", "pr": "PR"}
        if not isinstance(curve, str) or curve.lower() not in curves:
            raise ValueError(
                f"Invalid `curve` argument value. Expected one of: ['ROC', 'PR']. "
                f"Received: curve={curve!r}"
            )
        methods = ("interpolation", "majoring", "minoring")
        if not isinstance(summation_method, str) or summation_method.lower() not in methods:
            raise ValueError(
                f"Invalid `summation_method` argument value. Expected one of: {list(methods)}. "
                f"Received: summation_method={summation_method!r}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed([0.0, *inner, 1.0])
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, (int, np.integer))
                or num_thresholds <= 1
            ):
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds!r}"
                )
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        self.curve = curves[curve.lower()]
        self.summation_method = summation_method.lower()
        if num_labels is not None and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = (
            None if label_weights is None else np.asarray(label_weights, np.float64)
        )
        if self.label_weights is not None and (self.label_weights < 0).any():
            _bad_arg("label_weights", label_weights, "non-negative")
        self.from_logits = bool(from_logits)
        super().__init__(name, dtype)

    @property
    def thresholds(self) -> list[float]:
        return self._thresholds.tolist()

    def reset_state(self):
        # the multi-label counts get their label axis from the first batch, or num_labels
        shape = (self.num_thresholds,)
        if self.multi_label:
            shape = (self.num_thresholds, self.num_labels) if self.num_labels else None
        self._zero_counts(shape)

    def _zero_counts(self, shape):
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, None if shape is None else np.zeros(shape))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, np.float32)
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(
                "`y_pred` must have rank 2 when `multi_label=True`. "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        if self.from_logits:  # the sigmoid, written so that no exp overflows
            y_pred = 0.5 * (1 + np.tanh(0.5 * y_pred))
        counts = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            evenly=self._evenly,
        )
        if self.true_positives is None:
            self._zero_counts(counts["tp"].shape)
        if counts["tp"].shape != self.true_positives.shape:
            raise ValueError(
                f"AUC(multi_label=True) counts {self.true_positives.shape[1]} labels, but "
                f"received y_pred.shape={y_pred.shape}."
            )
        self.true_positives += counts["tp"]
        self.false_positives += counts["fp"]
        self.true_negatives += counts["tn"]
        self.false_negatives += counts["fn"]

    def _average(self, by_label):
        if not self.multi_label:
            return by_label.sum()
        per_label = by_label.sum(axis=0)
        if self.label_weights is None:
            return per_label.mean()
        return _divide_no_nan((per_label * self.label_weights).sum(), self.label_weights.sum())

    def _interpolate_pr_auc(self):
        # Davis & Goadrich (2006): interpolate the counts, not the precision, between
        # thresholds; written as Keras writes it, so the numbers agree
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = _divide_no_nan(
            slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average(increments)

    def _value(self):
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return float(self._interpolate_pr_auc())
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(self._average((x[:-1] - x[1:]) * heights))

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:  # the inner ones: the ends are added back on load
            config["thresholds"] = self.thresholds[1:-1]
        return config


class FBetaScore(Metric):
    """The F-beta score per class, ``(1 + b^2) P R / (b^2 P + R)``, or an average of it.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
        None: one score per class (``result`` is an array); "micro": from the counts summed
        over classes; "macro": the mean of the class scores; "weighted": their mean weighted
        by each class's (weighted) number of positives.
    beta : float
        Weight of recall against precision, > 0.
    threshold : float, optional
        In (0, 1]: ``y_pred > threshold`` is positive. None: the highest score of each
        sample is the predicted class.
    name, dtype : optional
        Default name ``"fbeta_score"``.

    Inputs are ``(batch, classes)``: one-hot or multi-label targets.

    Examples
    --------
    >>> m = FBetaScore(beta=2.0, average="micro", threshold=0.5)
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.8], [0.2, 0.7]])
    >>> round(float(m.result()), 4)
    0.9091
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            _bad_arg("beta", beta, "a number > 0")
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not 0 < threshold <= 1
        ):
            _bad_arg("threshold", threshold, "a number with 0 < threshold <= 1, or None")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name, dtype)

    def reset_state(self):
        self.true_positives = self.false_positives = None
        self.false_negatives = self.intermediate_weights = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = np.asarray(y_true, np.float32)
        y_pred = np.asarray(y_pred, np.float32)
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred.shape} and "
                f"y_true.shape={y_true.shape}."
            )
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        y_true = y_true.astype(np.float64)
        weight = 1.0
        if sample_weight is not None:
            weight = np.asarray(sample_weight, np.float64).reshape(-1, 1)
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            return (values * weight).sum(axis=axis)

        sums = (
            weighted_sum(predicted * y_true),
            weighted_sum(predicted * (1 - y_true)),
            weighted_sum((1 - predicted) * y_true),
            weighted_sum(y_true),
        )
        if self.true_positives is None:
            self.true_positives, self.false_positives = sums[0], sums[1]
            self.false_negatives, self.intermediate_weights = sums[2], sums[3]
        else:
            self.true_positives = self.true_positives + sums[0]
            self.false_positives = self.false_positives + sums[1]
            self.false_negatives = self.false_negatives + sums[2]
            self.intermediate_weights = self.intermediate_weights + sums[3]

    def _value(self):
        if self.true_positives is None:
            return 0.0 if self.average is not None else np.zeros(0, np.float32)
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights
            score = (score * (w / (w.sum() + EPSILON))).sum()
        elif self.average is not None:
            score = np.mean(score)
        return _pythonify(score)

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall: :class:`FBetaScore` with
    ``beta=1``. Default name ``"f1_score"``.

    Examples
    --------
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().numpy().round(4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# ---------------------------------------------------------------------------- lookup

_CLASSES = (
    Mean,
    Sum,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    PrecisionAtRecall,
    RecallAtPrecision,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    Precision,
    Recall,
    AUC,
    FBetaScore,
    F1Score,
)
# Keras 3's string names: each class's name and its snake_case form, plus a few aliases
# (lookups here ignore case)
_METRICS = {
    **{cls.__name__.lower(): cls for cls in _CLASSES},
    **{snake_case(cls.__name__): cls for cls in _CLASSES},
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "bce": BinaryCrossentropy,
}
_FUNCTIONS = {
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    top_k_categorical_accuracy: TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}


def serialize(metric: Metric) -> dict:
    """Keras's ``{"class_name": ..., "config": ...}`` for a built-in metric."""
    return _serialize(metric, _METRICS, "metric")


def deserialize(config: dict) -> Metric:
    """The built-in metric a :func:`serialize` dict describes."""
    return _deserialize(config, _METRICS, "metric")


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None) -> Metric:
    """A Metric from a name, class, instance, config dict or function.

    ``"accuracy"``/``"acc"`` becomes binary accuracy for one output or a binary loss,
    sparse categorical accuracy for integer labels, categorical accuracy otherwise.
    Other names are Keras's: a class name (``"AUC"``, ``"Precision"``), its snake_case
    form (``"auc"``, ``"root_mean_squared_error"``) or ``"mse"``/``"mae"``; the metric is
    named by the string given, as in Keras.

    Examples
    --------
    >>> get("auc").name, type(get("mse")).__name__
    ('auc', 'MeanSquaredError')
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
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
