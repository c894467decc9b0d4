"""Pooling over channels-last images ``(batch, height, width, channels)``: max, average and
sum over sliding windows, and global pooling over the whole image.

This is the readable reference for pooling. ``Sequential`` runs a MaxPooling2D that follows
a Conv2D through the fused fast path :mod:`neuroflow.ops.conv_pool` instead, which tests
compare with ``max_pool2d(conv2d(...))`` (``neuroflow.config.set_fusion(False)`` runs this
module). Window pooling loops over the positions inside a window (never over pixels or
samples), with the geometry of :mod:`neuroflow.ops.conv`; global pooling is composed from
:func:`~neuroflow.ops.mean` and :func:`~neuroflow.ops.max` and needs no backward of its own.
"""

from __future__ import annotations

import numpy as np

from neuroflow.ops.conv import as_pair, check_padding, pad_input, padded_output_hw, window_view
from neuroflow.ops.math import max as _max
from neuroflow.ops.math import mean
from neuroflow.tensor import Function, Tensor

__all__ = [
    "avg_pool2d", "global_avg_pool2d", "global_max_pool2d", "max_pool2d", "sum_pool2d",
]  # fmt: skip


class MaxPool2D(Function):
    """Maximum over each window; the gradient goes to the first maximum, as in TF/PyTorch.

    The forward pass keeps, per output, which window position won (a uint8), so the
    backward pass is one masked write per position.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), padding="valid"):
        xp, self.pads = pad_input(x, pool, strides, padding, (1, 1), value=-np.inf)
        out_hw = padded_output_hw(xp, pool, strides)
        out = window_view(xp, 0, 0, out_hw, strides, (1, 1)).copy()
        winner = np.zeros(out.shape, dtype=np.uint8)
        better = np.empty(out.shape, dtype=bool)
        marked = np.empty(out.shape, dtype=np.uint8)
        positions = [(a, b) for a in range(pool[0]) for b in range(pool[1])]
        for k, (a, b) in enumerate(positions[1:], start=1):
            candidate = window_view(xp, a, b, out_hw, strides, (1, 1))
            np.greater(candidate, out, out=better)  # strict: ties keep the first maximum
            # k grows, so max(winner, better * k) records k exactly where k now wins
            # (np.copyto(..., where=) does the same 20x slower)
            np.multiply(better, k, out=marked, dtype=np.uint8)
            np.maximum(winner, marked, out=winner)
            np.maximum(out, candidate, out=out)
        self.winner, self.positions = winner, positions
        self.xp_shape, self.x_shape = xp.shape, x.shape
        self.geometry = (strides, out_hw, tuple(pool) == tuple(strides))
        return out

    def backward(self, grad):
        strides, out_hw, disjoint = self.geometry
        dxp = np.zeros(self.xp_shape, dtype=grad.dtype)
        for k, (a, b) in enumerate(self.positions):
            target = window_view(dxp, a, b, out_hw, strides, (1, 1))
            if disjoint:  # each input pixel is in one window: write, don't accumulate
                np.multiply(grad, self.winner == k, out=target)
            else:
                target += grad * (self.winner == k)
        (top, _), (left, _) = self.pads
        return (dxp[:, top : top + self.x_shape[1], left : left + self.x_shape[2]],)


class AvgPool2D(Function):
    """Mean (or, with ``divide=False``, sum) over each window.

    With ``same`` padding the mean counts only real pixels, as TensorFlow does.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), padding="valid", divide=True):
        xp, self.pads = pad_input(x, pool, strides, padding, (1, 1))
        out_hw = padded_output_hw(xp, pool, strides)
        out = np.zeros((x.shape[0],) + out_hw + (x.shape[3],), dtype=x.dtype)
        for a in range(pool[0]):
            for b in range(pool[1]):
                out += window_view(xp, a, b, out_hw, strides, (1, 1))
        self.scale = None
        if divide:
            ones, _ = pad_input(
                np.ones((1,) + x.shape[1:3] + (1,), x.dtype), pool, strides, padding, (1, 1)
            )
            count = np.zeros((1,) + out_hw + (1,), dtype=x.dtype)
            for a in range(pool[0]):
                for b in range(pool[1]):
                    count += window_view(ones, a, b, out_hw, strides, (1, 1))
            self.scale = 1.0 / count
            out *= self.scale
        self.xp_shape, self.x_shape = xp.shape, x.shape
        self.geometry = (pool, strides, out_hw)
        return out

    def backward(self, grad):
        pool, strides, out_hw = self.geometry
        g = grad * self.scale if self.scale is not None else grad
        dxp = np.zeros(self.xp_shape, dtype=grad.dtype)
        for a in range(pool[0]):
            for b in range(pool[1]):
                window_view(dxp, a, b, out_hw, strides, (1, 1))[...] += g
        (top, _), (left, _) = self.pads
        return (dxp[:, top : top + self.x_shape[1], left : left + self.x_shape[2]],)


def _pool_args(pool_size, strides, padding) -> dict:
    """The keyword arguments of the pooling primitives, validated (strides default to the pool)."""
    pool = as_pair(pool_size, "pool_size")
    strides = pool if strides is None else as_pair(strides, "strides")
    return {"pool": pool, "strides": strides, "padding": check_padding(padding)}


def max_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Maximum over each ``pool_size`` window of ``x (n, h, w, c)``; strides default to it.

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return MaxPool2D.apply(x, **_pool_args(pool_size, strides, padding))


def avg_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Mean over each ``pool_size`` window of ``x (n, h, w, c)``; strides default to it.

    With ``padding="same"`` a window that overhangs the image averages its real pixels only,
    as TensorFlow does:

    >>> import numpy as np
    >>> image = np.arange(9.0).reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]
    >>> avg_pool2d(image, 2, padding="same").numpy()[0, :, :, 0]
    array([[2. , 3.5],
           [6.5, 8. ]])
    """
    return AvgPool2D.apply(x, **_pool_args(pool_size, strides, padding))


def sum_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Sum over each window (seed 001's third kind of pooling; no Keras layer has it)."""
    return AvgPool2D.apply(x, **_pool_args(pool_size, strides, padding), divide=False)


def global_avg_pool2d(x, keepdims: bool = False) -> Tensor:
    """Mean over height and width: ``(n, h, w, c)`` -> ``(n, c)``, or ``(n, 1, 1, c)``."""
    return mean(x, axis=(1, 2), keepdims=keepdims)


def global_max_pool2d(x, keepdims: bool = False) -> Tensor:
    """Maximum over height and width: ``(n, h, w, c)`` -> ``(n, c)``, or ``(n, 1, 1, c)``."""
    return _max(x, axis=(1, 2), keepdims=keepdims)
