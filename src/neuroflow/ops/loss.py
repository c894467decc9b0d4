"""Loss primitives. Each returns one value per sample (the last axis reduced).

Cross-entropy from logits is fused with its softmax or sigmoid: the forward uses a
stable log-sum-exp and the backward is the short ``p - target`` form.
"""

from __future__ import annotations

import numpy as np

from neuroflow.backend import epsilon
from neuroflow.errors import InvalidArgumentError
from neuroflow.ops.activation import log_softmax_array, sigmoid_array
from neuroflow.ops.math import _dims, as_tensor, floating, mul, squared_norm
from neuroflow.tensor import Function, Tensor, to_array


class SparseSoftmaxCrossEntropy(Function):
    """``-log softmax(logits)[label]`` with integer labels of shape ``logits.shape[:-1]``."""

    def forward(self, logits, labels):
        classes = logits.shape[-1]
        flat = logits.reshape(-1, classes)
        idx = np.asarray(labels).reshape(-1).astype(np.intp, copy=False)
        logp = log_softmax_array(flat)
        rows = np.arange(flat.shape[0])
        self.probs, self.rows, self.idx, self.shape = np.exp(logp), rows, idx, logits.shape
        return -logp[rows, idx].reshape(logits.shape[:-1])

    def backward(self, grad):
        # (p - onehot) * g, written into a fresh array: probs stays intact for another
        # backward over the same graph, at the cost of the one pass the scaling needs anyway
        g = grad.reshape(-1)
        d = self.probs * g[:, None]
        d[self.rows, self.idx] -= g
        return (d.reshape(self.shape), None)


class SoftmaxCrossEntropy(Function):
    """``-sum(target * log softmax(logits))`` with a distribution as target."""

    def forward(self, logits, target):
        logp = log_softmax_array(logits)
        self.probs, self.target = np.exp(logp), target
        return -(target * logp).sum(axis=-1)

    def backward(self, grad):
        t = self.target
        d = self.probs * t.sum(axis=-1, keepdims=True) - t
        return (d * grad[..., None], None)


class SoftmaxCrossEntropyWithLogits(Function):
    """TensorFlow's ``softmax_cross_entropy_with_logits``: ``-sum(labels * log_softmax(logits))``
    along ``axis``, differentiable in both. As TensorFlow's kernel, the logits' gradient is
    ``softmax - labels`` (exact when each row of labels sums to 1), the labels'
    ``-log_softmax(logits)``."""

    def forward(self, logits, labels, axis=-1):
        self.axis = axis
        self.logp = log_softmax_array(logits, axis)
        self.labels = labels
        return -(labels * self.logp).sum(axis=axis)

    def backward(self, grad):
        g = np.expand_dims(grad, self.axis)
        dlogits = (np.exp(self.logp) - self.labels) * g if self.needs_input_grad[0] else None
        dlabels = -self.logp * g if self.needs_input_grad[1] else None
        return dlogits, dlabels


class SigmoidCrossEntropyWithLogits(Function):
    """TensorFlow's ``sigmoid_cross_entropy_with_logits``, elementwise:
    ``max(x, 0) - x * z + log(1 + exp(-|x|))``; ``d/dx = sigmoid(x) - z``, ``d/dz = -x``."""

    def forward(self, logits, labels):
        self.logits, self.labels = logits, labels
        return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))

    def backward(self, grad):
        x = self.logits
        dx = (sigmoid_array(x) - self.labels) * grad if self.needs_input_grad[0] else None
        dz = -x * grad if self.needs_input_grad[1] else None
        return dx, dz


class CategoricalCrossEntropy(Function):
    """Keras's cross-entropy on probabilities: rescale to sum 1, clip, ``-sum(t log p)``."""

    def forward(self, probs, target):
        eps = epsilon()
        total = probs.sum(axis=-1, keepdims=True)
        p = probs / total
        clipped = np.clip(p, eps, 1 - eps)
        self.inside = (p >= eps) & (p <= 1 - eps)
        self.p, self.clipped, self.total, self.target = p, clipped, total, target
        return -(target * np.log(clipped)).sum(axis=-1)

    def backward(self, grad):
        # through clip, then through p = probs / sum(probs)
        dp = -self.target / self.clipped * self.inside * grad[..., None]
        dprobs = (dp - (dp * self.p).sum(axis=-1, keepdims=True)) / self.total
        return (dprobs, None)


class SigmoidBinaryCrossEntropy(Function):
    """Mean over the last axis of the logistic loss, from logits."""

    def forward(self, logits, target):
        self.logits, self.target = logits, target
        loss = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
        return loss.mean(axis=-1)

    def backward(self, grad):
        x = self.logits
        scale = grad[..., None] / x.shape[-1]
        return ((sigmoid_array(x) - self.target) * scale, None)


class BinaryCrossEntropy(Function):
    """Keras 3's binary cross-entropy on probabilities: clipped to ``[eps, 1 - eps]``, then
    ``-(t log p + (1 - t) log(1 - p))`` (tf.keras 2 also added ``eps`` inside the logs)."""

    def forward(self, probs, target):
        eps = epsilon()
        p = np.clip(probs, eps, 1 - eps)
        self.inside = (probs >= eps) & (probs <= 1 - eps)
        self.p, self.target = p, target
        loss = target * np.log(p) + (1 - target) * np.log(1 - p)
        return -loss.mean(axis=-1)

    def backward(self, grad):
        p, t = self.p, self.target
        dp = -(t / p - (1 - t) / (1 - p))
        return (dp * self.inside * (grad[..., None] / p.shape[-1]), None)


class SquaredError(Function):
    """``mean((pred - target) ** 2)`` over the last axis."""

    def forward(self, pred, target):
        self.diff = pred - target
        return (self.diff * self.diff).mean(axis=-1)

    def backward(self, grad):
        d = self.diff * (grad[..., None] * (2.0 / self.diff.shape[-1]))
        return (d, None)


class AbsoluteError(Function):
    """``mean(|pred - target|)`` over the last axis."""

    def forward(self, pred, target):
        diff = pred - target
        self.sign = np.sign(diff)
        return np.abs(diff).mean(axis=-1)

    def backward(self, grad):
        return (self.sign * (grad[..., None] / self.sign.shape[-1]), None)


def sparse_softmax_cross_entropy(logits, labels) -> Tensor:
    return SparseSoftmaxCrossEntropy.apply(logits, labels=labels)


def softmax_cross_entropy(logits, target) -> Tensor:
    return SoftmaxCrossEntropy.apply(logits, target=np.asarray(target, dtype=_dtype(logits)))


def categorical_cross_entropy(probs, target) -> Tensor:
    return CategoricalCrossEntropy.apply(probs, target=np.asarray(target, dtype=_dtype(probs)))


def sigmoid_binary_cross_entropy(logits, target) -> Tensor:
    return SigmoidBinaryCrossEntropy.apply(logits, target=np.asarray(target, dtype=_dtype(logits)))


def binary_cross_entropy(probs, target) -> Tensor:
    return BinaryCrossEntropy.apply(probs, target=np.asarray(target, dtype=_dtype(probs)))


def squared_error(pred, target) -> Tensor:
    return SquaredError.apply(pred, target=np.asarray(target, dtype=_dtype(pred)))


def absolute_error(pred, target) -> Tensor:
    return AbsoluteError.apply(pred, target=np.asarray(target, dtype=_dtype(pred)))


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None) -> Tensor:
    """Per-example ``-log softmax(logits)[label]`` (TensorFlow's
    ``tf.nn.sparse_softmax_cross_entropy_with_logits``): ``labels`` are class indices of shape
    ``logits.shape[:-1]``; the result has the labels' shape and a gradient for the logits.

    Raises
    ------
    ValueError
        When the shapes do not fit.
    InvalidArgumentError
        For labels that are not integers or lie outside ``[0, classes)``.

    Examples
    --------
    >>> loss = sparse_softmax_cross_entropy_with_logits([0], [[0.0, np.log(3.0)]])
    >>> loss.numpy().round(4)
    array([1.3863], dtype=float32)
    """
    op = "SparseSoftmaxCrossEntropyWithLogits"
    logits = floating(logits, op)
    idx = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if idx.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"Value for attr 'Tlabels' of {idx.dtype.name} is not in the list of allowed "
            f"values: int32, int64 [Op:{op}]: labels must be class indices."
        )
    if logits.ndim == 0 or idx.shape != logits.data.shape[:-1]:
        raise ValueError(
            "`labels.shape` must equal `logits.shape` except for the last dimension. "
            f"Received: labels.shape={idx.shape} and logits.shape={logits.data.shape}"
        )
    classes = logits.data.shape[-1]
    bad = (idx < 0) | (idx >= classes)
    if bad.any():
        raise InvalidArgumentError(
            f"Received a label value of {int(idx[bad].reshape(-1)[0])} which is outside the "
            f"valid range of [0, {classes}).  Label values: "
            f"{' '.join(str(int(v)) for v in idx.reshape(-1))} [Op:{op}]"
        )
    return SparseSoftmaxCrossEntropy.apply(logits, labels=idx)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None) -> Tensor:
    """Per-example ``-sum(labels * log_softmax(logits))`` along ``axis`` (TensorFlow's
    ``tf.nn.softmax_cross_entropy_with_logits``), differentiable with respect to the logits
    and the labels (TensorFlow's gradients).

    Examples
    --------
    >>> loss = softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, np.log(3.0)]])
    >>> loss.numpy().round(4)
    array([0.2877], dtype=float32)
    """
    op = "SoftmaxCrossEntropyWithLogits"
    logits = floating(logits, op)
    labels = labels if isinstance(labels, Tensor) else as_tensor(to_array(labels, logits.dtype))
    if labels.data.dtype.kind != "f":
        labels = Tensor._from_op(labels.data.astype(logits.data.dtype), None)
    if labels.data.shape != logits.data.shape:
        raise InvalidArgumentError(
            f"logits and labels must be broadcastable: logits_size={_dims(logits.data.shape)} "
            f"labels_size={_dims(labels.data.shape)} [Op:{op}]"
        )
    return SoftmaxCrossEntropyWithLogits.apply(logits, labels, axis=int(axis))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None) -> Tensor:
    """Elementwise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` of logits ``x``
    and labels ``z`` of the same shape (TensorFlow's
    ``tf.nn.sigmoid_cross_entropy_with_logits``), differentiable in both.

    Examples
    --------
    >>> sigmoid_cross_entropy_with_logits([1.0, 0.0], [0.0, 0.0]).numpy().round(4)
    array([0.6931, 0.6931], dtype=float32)
    """
    logits = floating(logits, "SigmoidCrossEntropyWithLogits")
    labels = labels if isinstance(labels, Tensor) else as_tensor(to_array(labels, logits.dtype))
    if labels.data.shape != logits.data.shape:
        raise ValueError(
            "`logits` and `labels` must have the same shape, received "
            f"({logits.data.shape} vs {labels.data.shape})."
        )
    if labels.data.dtype != logits.data.dtype:
        raise InvalidArgumentError(
            f"cannot compute Mul as input #1(zero-based) was expected to be a "
            f"{logits.dtype.name} tensor but is a {labels.dtype.name} tensor [Op:Mul]"
        )
    return SigmoidCrossEntropyWithLogits.apply(logits, labels)


def l2_loss(t, name=None) -> Tensor:
    """``sum(t ** 2) / 2`` of a float tensor (TensorFlow's ``tf.nn.l2_loss``).

    Examples
    --------
    >>> l2_loss(Tensor([1.0, 2.0])).numpy()
    np.float32(2.5)
    """
    t = floating(t, "L2Loss")
    return mul(squared_norm(t), 0.5)


def _dtype(x):
    return x.dtype if isinstance(x, (Tensor, np.ndarray)) else np.float32
