"""Batch and layer normalization: each one node, forward and backward side by side.

Both compute ``xhat = (x - mean) / sqrt(variance + epsilon)`` and ``gamma * xhat + beta``;
they differ only in the axes the statistics are taken over (every axis but the features for
batch normalization, the features for layer normalization). Their readable reference is the
same math composed from :mod:`neuroflow.ops.math` (``sub``, ``mean``, ``pow``, ``div``...),
six or more nodes whose backward the tape would chain; tests compare the two, and PyTorch.

The backward of the statistics is the classic closed form (Ioffe and Szegedy, 2015, section
3): with ``g = gamma * dy`` and ``n`` the number of values each statistic is taken over,
``dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(variance + epsilon)``.
"""

from __future__ import annotations

import numpy as np

from neuroflow.tensor import Function, Tensor


def _broadcast_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with every axis not in ``axes`` set to 1 (how gamma and beta broadcast)."""
    return tuple(n if i in axes else 1 for i, n in enumerate(shape))


def _normalize_backward(grad, xhat, inv, gamma, stat_axes, n):
    """d loss / d x through ``gamma * (x - mean) * inv`` where mean and inv depend on x."""
    g = grad if gamma is None else grad * gamma
    mean_g = g.sum(axis=stat_axes, keepdims=True) / n
    mean_gx = (g * xhat).sum(axis=stat_axes, keepdims=True) / n
    return inv * (g - mean_g - xhat * mean_gx)


def _param_grads(fn, grad, xhat, param_shape, sum_axes):
    """The gradients of gamma and beta (those that were given), reduced to their shape."""
    out = []
    needs = fn.needs_input_grad[1:]
    i = 0
    if fn.has_gamma:
        out.append((grad * xhat).sum(axis=sum_axes).reshape(param_shape) if needs[i] else None)
        i += 1
    if fn.has_beta:
        out.append(grad.sum(axis=sum_axes).reshape(param_shape) if needs[i] else None)
    return out


class BatchNorm(Function):
    """Normalizes each feature (index along ``axis``) over every other axis.

    With ``mean`` and ``variance`` left None the statistics are those of the batch (the
    biased variance, as Keras and PyTorch use to normalize) and the gradient flows through
    them; given, they are constants (inference with the moving statistics). ``stats``, a
    dict, receives the batch ``mean`` and ``variance`` (shape ``(features,)``), for the
    layer's moving averages.
    """

    def forward(
        self, x, *params, axis, epsilon, has_gamma, has_beta, mean=None, variance=None, stats=None
    ):
        axis = axis % x.ndim
        self.has_gamma, self.has_beta = has_gamma, has_beta
        self.stat_axes = tuple(i for i in range(x.ndim) if i != axis)
        self.param_shape = (x.shape[axis],)
        bshape = _broadcast_shape(x.shape, (axis,))
        self.training = mean is None
        if self.training:
            self.n = x.size // x.shape[axis]
            mu = x.mean(axis=self.stat_axes, keepdims=True)
            xc = x - mu
            var = np.mean(xc * xc, axis=self.stat_axes, keepdims=True)
            if stats is not None:
                stats["mean"], stats["variance"] = mu.reshape(-1), var.reshape(-1)
        else:
            xc = x - np.asarray(mean, dtype=x.dtype).reshape(bshape)
            var = np.asarray(variance, dtype=x.dtype).reshape(bshape)
        self.inv = 1.0 / np.sqrt(var + epsilon)
        self.xhat = xc * self.inv
        self.gamma = params[0].reshape(bshape) if has_gamma else None
        out = self.xhat if self.gamma is None else self.xhat * self.gamma
        if has_beta:
            out = out + params[-1].reshape(bshape)
        return out

    def backward(self, grad):
        dx = None
        if self.needs_input_grad[0]:
            if self.training:
                dx = _normalize_backward(
                    grad, self.xhat, self.inv, self.gamma, self.stat_axes, self.n
                )
            else:
                dx = grad * self.inv if self.gamma is None else grad * (self.gamma * self.inv)
        params = _param_grads(self, grad, self.xhat, self.param_shape, self.stat_axes)
        return (dx, *params)


class LayerNorm(Function):
    """Normalizes each sample over ``axes`` (the features); gamma and beta span those axes.

    ``rms_scaling`` is Keras's deprecated variant: ``x / sqrt(variance + epsilon) * gamma``,
    dividing by the standard deviation without subtracting the mean, and no beta.
    """

    def forward(self, x, *params, axes, epsilon, has_gamma, has_beta, rms_scaling=False):
        axes = tuple(sorted(a % x.ndim for a in axes))
        self.has_gamma, self.has_beta, self.rms = has_gamma, has_beta, rms_scaling
        self.stat_axes = axes
        self.sum_axes = tuple(i for i in range(x.ndim) if i not in axes)
        self.param_shape = tuple(x.shape[a] for a in axes)
        self.n = int(np.prod(self.param_shape))
        bshape = _broadcast_shape(x.shape, axes)
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        self.inv = 1.0 / np.sqrt(var + epsilon)
        if rms_scaling:
            self.x, self.xc = x, xc
        self.xhat = (x if rms_scaling else xc) * self.inv
        self.gamma = params[0].reshape(bshape) if has_gamma else None
        out = self.xhat if self.gamma is None else self.xhat * self.gamma
        if has_beta:
            out = out + params[-1].reshape(bshape)
        return out

    def backward(self, grad):
        dx = None
        if self.needs_input_grad[0]:
            if self.rms:
                # x * inv: the mean is not subtracted, but inv still depends on x through
                # the (centered) variance: d inv / d x = -inv**3 * (x - mean) / n
                g = grad if self.gamma is None else grad * self.gamma
                sum_gx = (g * self.x).sum(axis=self.stat_axes, keepdims=True)
                dx = self.inv * g - self.inv**3 * self.xc * (sum_gx / self.n)
            else:
                dx = _normalize_backward(
                    grad, self.xhat, self.inv, self.gamma, self.stat_axes, self.n
                )
        params = _param_grads(self, grad, self.xhat, self.param_shape, self.sum_axes)
        return (dx, *params)


def batch_normalization(
    x, gamma=None, beta=None, *, axis: int = -1, epsilon: float = 1e-3, mean=None,
    variance=None, stats: dict | None = None,
) -> Tensor:  # fmt: skip
    """``gamma * (x - mean) / sqrt(variance + epsilon) + beta``, per feature along ``axis``.

    Without ``mean``/``variance`` the batch's statistics over every other axis are used (and
    written into ``stats`` when a dict is given); with them, those fixed values.

    Examples
    --------
    >>> x = Tensor([[0.0, 1.0], [2.0, 5.0]])
    >>> batch_normalization(x, epsilon=0.0).numpy()
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    """
    params = [p for p in (gamma, beta) if p is not None]
    return BatchNorm.apply(
        x, *params, axis=axis, epsilon=epsilon, has_gamma=gamma is not None,
        has_beta=beta is not None, mean=mean, variance=variance, stats=stats,
    )  # fmt: skip


def layer_normalization(
    x, gamma=None, beta=None, *, axis=-1, epsilon: float = 1e-3, rms_scaling: bool = False
) -> Tensor:
    """``gamma * (x - mean) / sqrt(variance + epsilon) + beta`` with each sample's statistics
    over ``axis`` (an int or a sequence of ints).

    Examples
    --------
    >>> x = Tensor([[0.0, 2.0], [1.0, 5.0]])
    >>> layer_normalization(x, epsilon=0.0).numpy()
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    params = [p for p in (gamma, beta) if p is not None]
    return LayerNorm.apply(
        x, *params, axes=axes, epsilon=epsilon, has_gamma=gamma is not None,
        has_beta=beta is not None, rms_scaling=rms_scaling,
    )  # fmt: skip
