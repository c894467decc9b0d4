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
from neuroflow.backend import epsilon
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


def _paired(y_true, y_pred):
    """``y_pred`` as a Tensor and ``y_true`` as an array of its dtype and rank."""
    y_pred = _as_tensor(y_pred)
    return _match_rank(np.asarray(y_true, y_pred.dtype), y_pred), y_pred


def _const(value, like: Tensor) -> np.ndarray:
    # a 0-d array of the prediction's dtype, so float32 math stays float32
    return np.asarray(value, dtype=like.dtype)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))`` over the last axis, per sample.

    Examples
    --------
    >>> import numpy as np
    >>> float(mean_absolute_percentage_error(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]]))[0])
    37.5
    """
    y_true, y_pred = _paired(y_true, y_pred)
    scale = np.maximum(np.abs(y_true), epsilon()).astype(y_pred.dtype)
    return ops.mean(ops.abs((y_pred - y_true) / scale), axis=-1) * _const(100.0, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(1 + y_pred) - log(1 + y_true)) ** 2)`` over the last axis, per sample.

    Values below ``1e-7`` (zero and negatives) count as ``1e-7``, as in Keras.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[np.e - 1.0]])
    >>> round(float(mean_squared_logarithmic_error(y, np.array([[0.0]]))[0]), 4)
    1.0
    """
    y_true, y_pred = _paired(y_true, y_pred)
    target = np.log(np.maximum(y_true, epsilon()) + 1.0).astype(y_pred.dtype)
    first = ops.log(ops.maximum(y_pred, _const(epsilon(), y_pred)) + _const(1.0, y_pred))
    return ops.mean(ops.pow(first - target, 2), axis=-1)


def _l2_normalize(x, axis: int):
    """``x / max(||x||, 1e-7)`` along ``axis`` (Keras's ``ops.normalize``); zero stays zero."""
    squares = ops.sum(ops.pow(x, 2), axis=axis, keepdims=True)
    # clamping the squared norm keeps the gradient finite at a zero vector
    return x * ops.pow(ops.maximum(squares, _const(epsilon() ** 2, x)), -0.5)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Minus the cosine of the angle between ``y_true`` and ``y_pred`` along ``axis``.

    ``-1`` means the same direction, ``0`` orthogonal (or a zero vector), ``1`` opposite.

    Examples
    --------
    >>> import numpy as np
    >>> y_true, y_pred = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> np.round(np.asarray(cosine_similarity(y_true, y_pred)), 4).tolist()
    [-0.0, -1.0]
    """
    y_true, y_pred = _paired(y_true, y_pred)
    axis = _check_axis(axis, y_pred.ndim)
    return -ops.sum(_l2_normalize(Tensor(y_true), axis) * _l2_normalize(y_pred, axis), axis=axis)


def _check_delta(delta) -> float:
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"Expected `delta` to be a number. Received: delta={delta!r}")
    if not np.isfinite(delta) or delta <= 0:
        raise ValueError(f"Expected `delta` to be a positive number. Received: delta={delta!r}")
    return float(delta)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss over the last axis, per sample: ``0.5 * e ** 2`` where ``|e| <= delta``,
    ``delta * |e| - 0.5 * delta ** 2`` beyond, ``e = y_pred - y_true``.

    Examples
    --------
    >>> import numpy as np
    >>> np.asarray(huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))).tolist()
    [1.3125]
    """
    delta = _check_delta(delta)
    y_true, y_pred = _paired(y_true, y_pred)
    error = ops.abs(y_pred - y_true)
    # quadratic up to delta, linear past it: the same values and gradient as Keras's where()
    inner = ops.minimum(error, _const(delta, y_pred))
    outer = error - inner
    return ops.mean(ops.pow(inner, 2) * _const(0.5, y_pred) + outer * _const(delta, y_pred), -1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)))`` over the last axis, per sample, computed stably.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(log_cosh(np.array([[0.0]]), np.array([[1.0]]))[0]), 4)
    0.4338
    """
    y_true, y_pred = _paired(y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + softplus(-2x) - log(2), which never overflows
    value = x + ops.softplus(x * _const(-2.0, x)) - _const(np.log(2.0), x)
    return ops.mean(value, axis=-1)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, per sample, both clipped
    to ``[1e-7, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))[0]), 4)
    0.1438
    """
    y_true, y_pred = _paired(y_true, y_pred)
    target = np.clip(y_true, epsilon(), 1.0)
    pred = ops.minimum(ops.maximum(y_pred, _const(epsilon(), y_pred)), _const(1.0, y_pred))
    return ops.sum((np.log(target) - ops.log(pred)) * target, axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + 1e-7))`` over the last axis, per sample.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(poisson(np.array([[1.0]]), np.array([[np.e]]))[0]), 4)
    1.7183
    """
    y_true, y_pred = _paired(y_true, y_pred)
    return ops.mean(y_pred - ops.log(y_pred + _const(epsilon(), y_pred)) * y_true, axis=-1)


def _check_focal(alpha, gamma) -> tuple[float, float]:
    for arg, value in (("alpha", alpha), ("gamma", gamma)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"Expected `{arg}` to be a number. Received: {arg}={value!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Expected `alpha` to be in [0, 1]. Received: alpha={alpha!r}")
    if not gamma >= 0.0:
        raise ValueError(f"Expected `gamma` to be >= 0. Received: gamma={gamma!r}")
    return float(alpha), float(gamma)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy down-weighted by ``(1 - p_t) ** gamma`` on easy examples, averaged
    over ``axis``, per sample (Lin et al., 2017, as Keras computes it).

    Examples
    --------
    >>> import numpy as np
    >>> y_true, y_pred = np.array([[1.0, 0.0]]), np.array([[0.9, 0.4]])
    >>> round(float(binary_focal_crossentropy(y_true, y_pred, gamma=0.0)[0]), 4)
    0.3081
    """
    alpha, gamma = _check_focal(alpha, gamma)
    y_true, y_pred = _paired(y_true, y_pred)
    axis = _check_axis(axis, y_pred.ndim)
    target = _smooth(y_true, label_smoothing, binary=True)
    logits = y_pred if from_logits else _logits_behind(y_pred, axis)
    if logits is not None:  # the stable form, as Keras on TensorFlow uses for sigmoid outputs
        probs = ops.sigmoid(logits) if from_logits else y_pred
        bce = ops.softplus(logits) - logits * target
    else:
        probs = y_pred
        clipped = ops.minimum(
            ops.maximum(y_pred, _const(epsilon(), y_pred)), _const(1.0 - epsilon(), y_pred)
        )
        bce = -(ops.log(clipped) * target + ops.log(_const(1.0, y_pred) - clipped) * (1.0 - target))
    p_t = probs * target + (_const(1.0, y_pred) - probs) * (1.0 - target)
    focal = bce * ops.pow(_const(1.0, y_pred) - p_t, gamma) if gamma else bce
    if apply_class_balancing:
        focal = focal * (target * alpha + (1.0 - target) * (1.0 - alpha)).astype(y_pred.dtype)
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Categorical cross-entropy with each class's term weighted by
    ``alpha * (1 - p) ** gamma``, summed over ``axis``, per sample (Keras 3's
    ``categorical_focal_crossentropy``: probabilities rescaled to sum 1, then clipped).
    ``alpha`` is one number or one per class.

    Examples
    --------
    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = np.array([[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
    >>> [round(v, 6) for v in categorical_focal_crossentropy(y_true, y_pred).numpy().tolist()]
    [0.000263, 0.675912]
    """
    alpha = _check_class_alpha(alpha)
    _, gamma = _check_focal(0.25, gamma)
    y_true, y_pred = _paired(y_true, y_pred)
    axis = _check_axis(axis, y_pred.ndim)
    target = _smooth(y_true, label_smoothing, binary=False)
    probs = ops.softmax(y_pred, axis=axis) if from_logits else y_pred
    output = probs / ops.sum(probs, axis=axis, keepdims=True)
    output = ops.minimum(
        ops.maximum(output, _const(epsilon(), y_pred)), _const(1.0 - epsilon(), y_pred)
    )
    cce = -ops.log(output) * target
    weight = ops.pow(_const(1.0, y_pred) - output, gamma) * _const(alpha, y_pred)
    return ops.sum(weight * cce, axis=axis)


def _check_class_alpha(alpha):
    """``alpha`` of the categorical focal loss: a number in [0, 1], or a list of them (one per
    class)."""
    if isinstance(alpha, (list, tuple, np.ndarray)):
        values = [_check_focal(a, 2.0)[0] for a in np.asarray(alpha, dtype=object).ravel()]
        return np.asarray(values)
    return _check_focal(alpha, 2.0)[0]


def _hinge_labels(y_true: np.ndarray) -> np.ndarray:
    """0/1 labels as -1/1, as Keras converts them; other labels unchanged."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _hinge_margin(y_true, y_pred):
    y_true, y_pred = _paired(y_true, y_pred)
    labels = _hinge_labels(y_true).astype(y_pred.dtype)
    # maximum, not relu: at a zero margin the gradient flows, as through Keras's maximum
    return ops.maximum(_const(1.0, y_pred) - y_pred * labels, _const(0.0, y_pred))


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0))`` over the last axis, per sample.

    Labels are -1/1; 0/1 labels are converted to -1/1 first.

    Examples
    --------
    >>> import numpy as np
    >>> np.asarray(hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))).tolist()
    [1.0]
    """
    return ops.mean(_hinge_margin(y_true, y_pred), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0) ** 2)`` over the last axis, per sample.

    Labels are -1/1; 0/1 labels are converted to -1/1 first.

    Examples
    --------
    >>> import numpy as np
    >>> np.asarray(squared_hinge(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]))).tolist()
    [1.25]
    """
    return ops.mean(ops.pow(_hinge_margin(y_true, y_pred), 2), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)`` per sample, where ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the last axis (one-hot ``y_true``).

    Examples
    --------
    >>> import numpy as np
    >>> np.asarray(categorical_hinge(np.array([[0.0, 1.0]]), np.array([[0.5, 0.25]]))).tolist()
    [1.25]
    """
    y_true, y_pred = _paired(y_true, y_pred)
    pos = ops.sum(y_pred * y_true, axis=-1)
    neg = ops.max(y_pred * (1.0 - y_true), axis=-1)
    return ops.maximum(neg - pos + _const(1.0, y_pred), _const(0.0, y_pred))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence


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


class _PerSampleLoss(Loss):
    """A loss that is one of this module's per-sample functions, reduced (Keras's
    ``LossFunctionWrapper``): a subclass names the function and its default name."""

    fn = None
    default_name = None

    def __init__(self, reduction="sum_over_batch_size", name=None):
        super().__init__(name or self.default_name, reduction)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


class MeanSquaredError(_PerSampleLoss):
    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"


class MeanAbsoluteError(_PerSampleLoss):
    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"


class Huber(Loss):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond (see :func:`huber`).

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss turns from quadratic to linear; must be positive.
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "huber_loss"

    Examples
    --------
    >>> import numpy as np
    >>> float(Huber(delta=2.0)(np.zeros((1, 2)), np.array([[1.0, 4.0]])))
    3.25
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(name, reduction)
        self.delta = _check_delta(delta)

    def call(self, y_true, y_pred):
        return huber(y_true, y_pred, self.delta)

    def get_config(self):
        # Keras 3 leaves delta out of the config, losing it; keeping it makes a round trip exact
        return {**super().get_config(), "delta": self.delta}


class CosineSimilarity(Loss):
    """Minus the cosine similarity along ``axis`` (see :func:`cosine_similarity`).

    Parameters
    ----------
    axis : int, default -1
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "cosine_similarity"

    Examples
    --------
    >>> import numpy as np
    >>> y_true, y_pred = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(CosineSimilarity()(y_true, y_pred)), 4)
    -0.5
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(name, reduction)
        self.axis = _check_int_axis(axis)

    def call(self, y_true, y_pred):
        return cosine_similarity(y_true, y_pred, self.axis)

    def get_config(self):
        # Keras 3 leaves axis out of the config; keeping it makes a round trip exact
        return {**super().get_config(), "axis": self.axis}


class MeanAbsolutePercentageError(_PerSampleLoss):
    """Mean absolute percentage error (see :func:`mean_absolute_percentage_error`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "mean_absolute_percentage_error"

    Examples
    --------
    >>> import numpy as np
    >>> float(MeanAbsolutePercentageError()(np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]])))
    37.5
    """

    fn = staticmethod(mean_absolute_percentage_error)
    default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_PerSampleLoss):
    """Mean squared logarithmic error (see :func:`mean_squared_logarithmic_error`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "mean_squared_logarithmic_error"
    """

    fn = staticmethod(mean_squared_logarithmic_error)
    default_name = "mean_squared_logarithmic_error"


class LogCosh(_PerSampleLoss):
    """Logarithm of the hyperbolic cosine of the error (see :func:`log_cosh`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "log_cosh"
    """

    fn = staticmethod(log_cosh)
    default_name = "log_cosh"


class KLDivergence(_PerSampleLoss):
    """Kullback-Leibler divergence of ``y_pred`` from ``y_true`` (see :func:`kl_divergence`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "kl_divergence"

    Examples
    --------
    >>> import numpy as np
    >>> round(float(KLDivergence()(np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]))), 4)
    0.1438
    """

    fn = staticmethod(kl_divergence)
    default_name = "kl_divergence"


class Poisson(_PerSampleLoss):
    """Poisson loss, ``y_pred - y_true * log(y_pred)`` (see :func:`poisson`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "poisson"
    """

    fn = staticmethod(poisson)
    default_name = "poisson"


class BinaryFocalCrossentropy(Loss):
    """Binary focal cross-entropy (see :func:`binary_focal_crossentropy`).

    Parameters
    ----------
    apply_class_balancing : bool, default False
        Weigh positives by ``alpha`` and negatives by ``1 - alpha``.
    alpha : float in [0, 1], default 0.25
    gamma : float >= 0, default 2.0
        The focusing parameter; 0 gives the binary cross-entropy.
    from_logits : bool, default False
    label_smoothing : float, default 0
    axis : int, default -1
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "binary_focal_crossentropy"
    """

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
    ):
        super().__init__(name, reduction)
        self.alpha, self.gamma = _check_focal(alpha, gamma)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)
        self.axis = _check_int_axis(axis)

    def call(self, y_true, y_pred):
        return binary_focal_crossentropy(
            y_true,
            y_pred,
            self.apply_class_balancing,
            self.alpha,
            self.gamma,
            self.from_logits,
            self.label_smoothing,
            self.axis,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }


class CategoricalFocalCrossentropy(Loss):
    """Categorical focal cross-entropy (see :func:`categorical_focal_crossentropy`).

    Parameters
    ----------
    alpha : float in [0, 1] or a list of them (one per class), default 0.25
    gamma : float >= 0, default 2.0
        The focusing parameter; 0 (with ``alpha=1``) gives the categorical cross-entropy.
    from_logits : bool, default False
    label_smoothing : float, default 0
    axis : int, default -1
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "categorical_focal_crossentropy"
    """

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
    ):
        super().__init__(name, reduction)
        _check_class_alpha(alpha)
        self.alpha = alpha if isinstance(alpha, (list, tuple)) else float(alpha)
        self.gamma = _check_focal(0.25, gamma)[1]
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)
        self.axis = _check_int_axis(axis)

    def call(self, y_true, y_pred):
        return categorical_focal_crossentropy(
            y_true, y_pred, self.alpha, self.gamma, self.from_logits, self.label_smoothing,
            self.axis,
        )  # fmt: skip

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }


class Hinge(_PerSampleLoss):
    """Hinge loss for -1/1 (or 0/1) labels (see :func:`hinge`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "hinge"
    """

    fn = staticmethod(hinge)
    default_name = "hinge"


class SquaredHinge(_PerSampleLoss):
    """Squared hinge loss for -1/1 (or 0/1) labels (see :func:`squared_hinge`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "squared_hinge"
    """

    fn = staticmethod(squared_hinge)
    default_name = "squared_hinge"


class CategoricalHinge(_PerSampleLoss):
    """Categorical hinge loss for one-hot labels (see :func:`categorical_hinge`).

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "none"}
    name : str, default "categorical_hinge"
    """

    fn = staticmethod(categorical_hinge)
    default_name = "categorical_hinge"


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError,
    "huber": Huber,
    "huber_loss": Huber,
    "log_cosh": LogCosh,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "cosine_similarity": CosineSimilarity,
    "poisson": Poisson,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
}
_FUNCTIONS = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    huber: Huber,
    log_cosh: LogCosh,
    kl_divergence: KLDivergence,
    cosine_similarity: CosineSimilarity,
    poisson: Poisson,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
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
