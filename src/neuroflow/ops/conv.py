"""Convolution and pooling over channels-last images ``(batch, height, width, channels)``.

Convolution is im2col + one matrix product: a strided view lists every receptive field,
one copy lays them out as rows, and a GEMM with the flattened kernel does the rest. The
backward pass runs the same product the other way and scatters the rows back with a loop
over the kernel's k*k positions (never over pixels or samples). Pooling loops over window
positions the same way. Sizes and "same" padding follow Keras/TensorFlow: ``same`` pads
``max((out - 1) * stride + extent - size, 0)`` in total, the smaller half first.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from neuroflow.tensor import Function, Tensor


def output_size(size: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Output length along one axis, as Keras computes it."""
    extent = (kernel - 1) * dilation + 1
    if padding == "same":
        return math.ceil(size / stride)
    return (size - extent) // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding that TensorFlow uses for ``padding="same"``."""
    extent = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kernel, strides, padding, dilation, value=0.0):
    """Pads height and width for ``same``; returns the padded array and the pads."""
    if padding != "same":
        return x, ((0, 0), (0, 0))
    pads = tuple(same_padding(x.shape[1 + i], kernel[i], strides[i], dilation[i]) for i in range(2))
    if not any(p for pair in pads for p in pair):
        return x, pads
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value), pads


def _window(xp: np.ndarray, a: int, b: int, out_hw, strides, dilation) -> np.ndarray:
    """The input pixels that kernel position (a, b) touches, for every output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return xp[:, a * dh : a * dh + sh * (oh - 1) + 1 : sh, b * dw : b * dw + sw * (ow - 1) + 1 : sw]


class Conv2D(Function):
    """``out[n, i, j, f] = sum_{a, b, c} x[n, i*s + a*d, j*s + b*d, c] * kernel[a, b, c, f]``
    (+ bias): cross-correlation, as in every deep-learning library."""

    def forward(self, x, kernel, *bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
        kh, kw, c, f = kernel.shape
        xp, self.pads = _pad(x, (kh, kw), strides, padding, dilation)
        n, hp, wp, _ = xp.shape
        oh = (hp - ((kh - 1) * dilation[0] + 1)) // strides[0] + 1
        ow = (wp - ((kw - 1) * dilation[1] + 1)) // strides[1] + 1
        sn, sh, sw, sc = xp.strides
        windows = as_strided(
            xp,
            shape=(n, oh, ow, kh, kw, c),
            strides=(sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc),
            writeable=False,
        )
        cols = windows.reshape(n * oh * ow, kh * kw * c)  # the one im2col copy
        out = cols @ kernel.reshape(kh * kw * c, f)
        if bias:
            out += bias[0]
        self.cols, self.kernel = cols, kernel
        self.geometry = (x.shape, xp.shape, (oh, ow), strides, dilation)
        return out.reshape(n, oh, ow, f)

    def backward(self, grad):
        x_shape, xp_shape, out_hw, strides, dilation = self.geometry
        kh, kw, c, f = self.kernel.shape
        g2 = grad.reshape(-1, f)
        needs = self.needs_input_grad
        dk = (self.cols.T @ g2).reshape(self.kernel.shape) if needs[1] else None
        dx = None
        if needs[0]:
            dcols = (g2 @ self.kernel.reshape(-1, f).T).reshape(
                (x_shape[0],) + out_hw + (kh, kw, c)
            )
            dxp = np.zeros(xp_shape, dtype=grad.dtype)
            for a in range(kh):
                for b in range(kw):
                    _window(dxp, a, b, out_hw, strides, dilation)[...] += dcols[:, :, :, a, b]
            (top, _), (left, _) = self.pads
            dx = dxp[:, top : top + x_shape[1], left : left + x_shape[2]]
        grads = (dx, dk)
        if len(needs) == 3:
            grads += (g2.sum(axis=0) if needs[2] else None,)
        return grads


class MaxPool2D(Function):
    """Maximum over each window; the gradient goes to the first maximum, as in TF/PyTorch."""

    def forward(self, x, pool=(2, 2), strides=(2, 2), padding="valid"):
        xp, self.pads = _pad(x, pool, strides, padding, (1, 1), value=-np.inf)
        out_hw = tuple((xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(2))
        out = _window(xp, 0, 0, out_hw, strides, (1, 1)).copy()
        for a in range(pool[0]):
            for b in range(pool[1]):
                if a or b:
                    np.maximum(out, _window(xp, a, b, out_hw, strides, (1, 1)), out=out)
        self.xp, self.out, self.x_shape = xp, out, x.shape
        self.geometry = (pool, strides, out_hw)
        return out

    def backward(self, grad):
        pool, strides, out_hw = self.geometry
        dxp = np.zeros(self.xp.shape, dtype=grad.dtype)
        taken = np.zeros(self.out.shape, dtype=bool)
        for a in range(pool[0]):
            for b in range(pool[1]):
                hit = _window(self.xp, a, b, out_hw, strides, (1, 1)) == self.out
                hit &= ~taken
                taken |= hit
                _window(dxp, a, b, out_hw, strides, (1, 1))[...] += grad * hit
        (top, _), (left, _) = self.pads
        return (dxp[:, top : top + self.x_shape[1], left : left + self.x_shape[2]],)


class AvgPool2D(Function):
    """Mean (or, with ``divide=False``, sum) over each window.

    With ``same`` padding the mean counts only real pixels, as TensorFlow does.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), padding="valid", divide=True):
        xp, self.pads = _pad(x, pool, strides, padding, (1, 1))
        out_hw = tuple((xp.shape[1 + i] - pool[i]) // strides[i] + 1 for i in range(2))
        out = np.zeros((x.shape[0],) + out_hw + (x.shape[3],), dtype=x.dtype)
        for a in range(pool[0]):
            for b in range(pool[1]):
                out += _window(xp, a, b, out_hw, strides, (1, 1))
        self.scale = None
        if divide:
            ones, _ = _pad(
                np.ones((1,) + x.shape[1:3] + (1,), x.dtype), pool, strides, padding, (1, 1)
            )
            count = np.zeros((1,) + out_hw + (1,), dtype=x.dtype)
            for a in range(pool[0]):
                for b in range(pool[1]):
                    count += _window(ones, a, b, out_hw, strides, (1, 1))
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
                _window(dxp, a, b, out_hw, strides, (1, 1))[...] += g
        (top, _), (left, _) = self.pads
        return (dxp[:, top : top + self.x_shape[1], left : left + self.x_shape[2]],)


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, (int, np.integer)) or v <= 0 for v in pair):
        raise ValueError(
            f"Expected `{name}` to be a positive int or a pair of them. Received: {value!r}"
        )
    return int(pair[0]), int(pair[1])


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1) -> Tensor:
    """2-D cross-correlation of ``x (n, h, w, c)`` with ``kernel (kh, kw, c, filters)``."""
    args = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D.apply(
        *args,
        strides=_pair(strides, "strides"),
        padding=padding,
        dilation=_pair(dilation, "dilation_rate"),
    )


def max_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    pool = _pair(pool_size, "pool_size")
    return MaxPool2D.apply(x, pool=pool, strides=_pair(strides or pool, "strides"), padding=padding)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    pool = _pair(pool_size, "pool_size")
    return AvgPool2D.apply(x, pool=pool, strides=_pair(strides or pool, "strides"), padding=padding)


def sum_pool2d(x, pool_size=2, strides=None, padding="valid") -> Tensor:
    """Sum over each window (seed 001's third kind of pooling; no Keras layer has it)."""
    pool = _pair(pool_size, "pool_size")
    return AvgPool2D.apply(
        x, pool=pool, strides=_pair(strides or pool, "strides"), padding=padding, divide=False
    )
