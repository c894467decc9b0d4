"""Loss functions and classes with Keras's names, defaults and numerics.

The functions return one loss per sample; the classes average them over the batch
(Keras's ``sum_over_batch_size``). When probabilities come straight out of a softmax or
sigmoid activation, every cross-entropy reads the logits behind them, as Keras 3 does
on TensorFlow, so the gradient is the stable ``p - y``. Note the consequence Keras 3
has too: a sigmoid output layer trained with categorical cross-entropy is trained on
the softmax of its logits (tf.keras 2 instead rescaled the sigmoid outputs to sum 1;
plain probability arrays still get that rescaling here).

Examples
--------
>>> import numpy as np
>>> loss = SparseCategoricalCrossentropy(from_logits=True)
>>> round(float(loss(np.array([0]), np.array([[2.0, 0.0]]))), 4)
0.1269
"""

from __future__ import annotations

import numpy as np

from neuroflow import _registry, ops
from neuroflow._registry import resolve, snake_case
from neuroflow.tensor import Tensor


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))


def _check_int_axis(axis) -> int:
    """``axis`` as an int; TypeError for anything else (a bool included)."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"Expected `axis` to be an int. Received: axis={axis!r}")
    return int(axis)


def _check_axis(axis, ndim: int) -> int:
    """``axis`` as a non-negative index into ``ndim`` axes; ValueError/TypeError otherwise."""
    axis = _check_int_axis(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"Expected `axis` to be in [{-ndim}, {ndim - 1}] for predictions with {ndim} "
            f"dimensions. Received: axis={axis}"
        )
    return axis % ndim


def _logits_behind(y_pred: Tensor, axis: int):
    """The input of the softmax/sigmoid that produced ``y_pred``, if that is how it was made.

    Keras 3 (TensorFlow) keeps these logits on the output of either activation and every
    cross-entropy uses them, whichever activation it was: we do the same, except for a
    softmax taken over another axis than the loss's (its logits would give another loss).
    """
    source = y_pred.activation_source()
    if source is None:
        return None
    if source.name == "softmax" and _check_axis(source.axis, y_pred.ndim) != axis:
        return None
    return source.logits


def _class_axis_last(y_pred: Tensor, target, axis: int):
    """``y_pred`` (a Tensor) and ``target`` (an ndarray) with ``axis`` moved to the end,
    where the loss primitives reduce."""
    last = y_pred.ndim - 1
    if axis == last:
        return y_pred, target
    order = tuple(i for i in range(y_pred.ndim) if i != axis) + (axis,)
    return ops.transpose(y_pred, order), np.moveaxis(target, axis, -1)


def _match_rank(y_true: np.ndarray, y_pred: Tensor) -> np.ndarray:
    """``(n,)`` targets against ``(n, 1)`` predictions (or the reverse), like Keras."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def _smooth(y_true: np.ndarray, label_smoothing: float, binary: bool) -> np.ndarray:
    if not label_smoothing:
        return y_true
    # Keras counts the classes along the last axis of y_true, whatever the loss's axis
    classes = 2 if binary else y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes


# -------------------------------------------------------------------------- functions


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy between integer labels and predicted class scores, per sample.

    The classes must lie along the last axis (``axis=-1``), as in Keras 3 on TensorFlow.
    """
    y_pred = _as_tensor(y_pred)
    if _check_axis(axis, y_pred.ndim) != y_pred.ndim - 1:
        raise ValueError(
            "sparse_categorical_crossentropy supports only the last axis as the class axis "
            f"(axis=-1), as Keras does. Received: axis={axis} for predictions of shape "
            f"{y_pred.shape}."
        )
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if not from_logits:
        logits = _logits_behind(y_pred, y_pred.ndim - 1)
        if logits is None:  # plain probabilities: normalize, clip and take -log
            onehot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
            np.put_along_axis(onehot, labels.astype(np.intp)[..., None], 1, axis=-1)
            return ops.categorical_cross_entropy(y_pred, onehot)
        y_pred = logits
    return ops.sparse_softmax_cross_entropy(y_pred, labels)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predictions, per sample.

    ``axis`` is the class axis; the result has every other axis of ``y_pred``, in order.
    """
    y_pred = _as_tensor(y_pred)
    axis = _check_axis(axis, y_pred.ndim)
    target = _smooth(np.asarray(y_true, dtype=y_pred.dtype), label_smoothing, binary=False)
    if not from_logits:
        logits = _logits_behind(y_pred, axis)
        if logits is None:
            return ops.categorical_cross_entropy(*_class_axis_last(y_pred, target, axis))
        y_pred = logits
    return ops.softmax_cross_entropy(*_class_axis_last(y_pred, target, axis))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Logistic loss averaged over ``axis`` (the last by default), per sample."""
    y_pred = _as_tensor(y_pred)
    axis = _check_axis(axis, y_pred.ndim)
    target = _match_rank(np.asarray(y_true, dtype=y_pred.dtype), y_pred)
    target = _smooth(target, label_smoothing, binary=True)
    if not from_logits:
        logits = _logits_behind(y_pred, axis)
        if logits is None:
            return ops.binary_cross_entropy(*_class_axis_last(y_pred, target, axis))
        y_pred = logits
    return ops.sigmoid_binary_cross_entropy(*_class_axis_last(y_pred, target, axis))


def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred) ** 2)`` over the last axis, per sample."""
    y_pred = _as_tensor(y_pred)
    return ops.squared_error(y_pred, _match_rank(np.asarray(y_true, y_pred.dtype), y_pred))


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|)`` over the last axis, per sample."""
    y_pred = _as_tensor(y_pred)
    return ops.absolute_error(y_pred, _match_rank(np.asarray(y_true, y_pred.dtype), y_pred))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


# ---------------------------------------------------------------------------- classes


class Loss:
    """Base class: ``loss(y_true, y_pred)`` is the batch mean of ``call``'s per-sample values."""

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size"):
        if reduction not in ("sum_over_batch_size", "sum", "none", None):
            raise ValueError(
                "Expected `reduction` to be 'sum_over_batch_size', 'sum' or 'none'. "
                f"Received: reduction={reduction!r}"
            )
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_tensor(y_pred)
        self.check_targets(np.asarray(y_true), y_pred.shape)
        return self.reduce(self.call(y_true, y_pred), sample_weight)

    def reduce(self, values: Tensor, sample_weight=None) -> Tensor:
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, values.dtype).reshape(values.shape)
        if self.reduction in ("none", None):
            return values
        if self.reduction == "sum":
            return ops.sum(values)
        return ops.mean(values)

    def call(self, y_true, y_pred) -> Tensor:
        raise NotImplementedError

    def check_targets(self, y_true: np.ndarray, pred_shape: tuple) -> None:
        """Raises ValueError when targets cannot go with predictions of ``pred_shape``."""
        if y_true.dtype.kind not in "biuf":
            raise TypeError(f"Targets must be numeric. Received an array of dtype {y_true.dtype}.")
        if len(y_true) != pred_shape[0]:
            raise ValueError(
                f"{self.name}: targets have {len(y_true)} samples but predictions have "
                f"{pred_shape[0]}."
            )

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer class labels ``y_true`` of shape ``(batch,)``.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds raw scores (True) or probabilities (False).
    """

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
    ):
        super().__init__(name, reduction)
        if ignore_class is not None:
            raise NotImplementedError("ignore_class is not supported yet.")
        self.from_logits = bool(from_logits)
        self.axis = _check_int_axis(axis)

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits, self.axis)

    def check_targets(self, y_true, pred_shape):
        super().check_targets(y_true, pred_shape)
        classes = pred_shape[-1]
        if y_true.size and (y_true.dtype.kind == "f" and np.any(y_true != np.round(y_true))):
            raise ValueError(
                f"{self.name} expects integer class labels. Received fractional values "
                "(for one-hot targets use categorical_crossentropy)."
            )
        if y_true.size and (y_true.min() < 0 or y_true.max() >= classes):
            raise ValueError(
                f"{self.name}: received a label value of "
                f"{y_true.max() if y_true.max() >= classes else y_true.min()}, which is outside "
                f"the valid range [0, {classes - 1}] for a model with {classes} outputs."
            )

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "axis": self.axis}


class _SmoothedCrossentropy(Loss):
    """What the categorical and binary cross-entropies share: ``from_logits``,
    ``label_smoothing`` and the class ``axis``, passed to the function ``_fn``."""

    _fn = None

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name=None,
    ):
        super().__init__(name, reduction)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)
        self.axis = _check_int_axis(axis)

    def call(self, y_true, y_pred):
        fn = type(self)._fn
        return fn(y_true, y_pred, self.from_logits, self.label_smoothing, self.axis)

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Cross-entropy for one-hot targets of shape ``(batch, classes)``.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds raw scores (True) or probabilities (False).
    label_smoothing : float, default 0
        Moves the targets toward ``1 / classes`` by this fraction.
    axis : int, default -1
        The class axis.
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "categorical_crossentropy"
    """

    _fn = staticmethod(categorical_crossentropy)

    def check_targets(self, y_true, pred_shape):
        super().check_targets(y_true, pred_shape)
        if y_true.shape[1:] != tuple(pred_shape[1:]):
            hint = (
                (
                    " Integer labels need sparse_categorical_crossentropy, or one-hot encode "
                    "them with to_categorical."
                )
                if y_true.ndim == len(pred_shape) - 1
                else ""
            )
            raise ValueError(
                f"{self.name}: targets of shape {y_true.shape} do not match predictions of "
                f"shape {tuple(pred_shape)}.{hint}"
            )


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Logistic loss for 0/1 targets, averaged over ``axis`` (the last by default).

    Parameters as :class:`CategoricalCrossentropy` (smoothing moves targets toward 0.5);
    the default name is ``"binary_crossentropy"``.
    """

    _fn = staticmethod(binary_crossentropy)


class MeanSquaredError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(name, reduction)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


class MeanAbsoluteError(Loss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(name, reduction)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_FUNCTIONS = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
}


class _FunctionLoss(Loss):
    """Wraps a user's ``fn(y_true, y_pred) -> per-sample tensor``."""

    def __init__(self, fn):
        super().__init__(getattr(fn, "__name__", "loss"))
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def get(identifier) -> Loss:
    """A Loss from a name (``"mse"``), a class, an instance, or a function."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        return resolve(identifier, _LOSSES, "loss", "loss")()
    if callable(identifier):
        return _FUNCTIONS[identifier]() if identifier in _FUNCTIONS else _FunctionLoss(identifier)
    raise TypeError(
        "Expected `loss` to be a string, a Loss or a callable. "
        f"Received: loss={identifier!r} of type {type(identifier).__name__}."
    )


def serialize(loss: Loss) -> dict:
    """``{"class_name": ..., "config": ...}`` describing ``loss``, for :func:`deserialize`.

    Only this module's own loss classes can be serialized, since only they can be rebuilt
    from a name (a loss made from a user's function cannot).

    Examples
    --------
    >>> spec = serialize(CategoricalCrossentropy(from_logits=True))
    >>> spec["class_name"], spec["config"]["from_logits"]
    ('CategoricalCrossentropy', True)
    """
    return _registry.serialize(loss, _LOSSES, "loss", key=snake_case)


def deserialize(config: dict) -> Loss:
    """The loss that ``{"class_name": ..., "config": ...}`` describes, as in Keras.

    The class is looked up only among this module's losses; nothing is imported by name.

    Examples
    --------
    >>> loss = deserialize({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    >>> type(loss).__name__, loss.from_logits
    ('BinaryCrossentropy', True)
    """
    return _registry.deserialize(config, _LOSSES, "loss", key=snake_case)
