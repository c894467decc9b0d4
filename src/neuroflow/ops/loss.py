"""Loss primitives. Each returns one value per sample (the last axis reduced).

Cross-entropy from logits is fused with its softmax or sigmoid: the forward uses a
stable log-sum-exp and the backward is the short ``p - target`` form.
"""

from __future__ import annotations

import numpy as np

from neuroflow.backend import epsilon
from neuroflow.ops.activation import log_softmax_array, sigmoid_array
from neuroflow.tensor import Function, Tensor


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
    """Keras's binary cross-entropy on probabilities (clipped, epsilon inside the logs)."""

    def forward(self, probs, target):
        self.eps = eps = epsilon()
        p = np.clip(probs, eps, 1 - eps)
        self.inside = (probs >= eps) & (probs <= 1 - eps)
        self.p, self.target = p, target
        loss = target * np.log(p + eps) + (1 - target) * np.log(1 - p + eps)
        return -loss.mean(axis=-1)

    def backward(self, grad):
        p, t, eps = self.p, self.target, self.eps
        dp = -(t / (p + eps) - (1 - t) / (1 - p + eps))
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


def _dtype(x):
    return x.dtype if isinstance(x, (Tensor, np.ndarray)) else np.float32
