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


def _padded_output_hw(xp: np.ndarray, window, strides, dilation=(1, 1)) -> tuple[int, int]:
    """Output (height, width) of a window sliding over an already padded batch ``xp``."""
    return tuple(
        output_size(xp.shape[1 + i], window[i], strides[i], "valid", dilation[i]) for i in range(2)
    )


def _window(xp: np.ndarray, a: int, b: int, out_hw, strides, dilation) -> np.ndarray:
    """The input pixels that kernel position (a, b) touches, for every output pixel."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return xp[:, a * dh : a * dh + sh * (oh - 1) + 1 : sh, b * dw : b * dw + sw * (ow - 1) + 1 : sw]


def _im2col(xp: np.ndarray, kernel_hw, out_hw, strides, dilation, ones: bool) -> np.ndarray:
    """Every receptive field as a row: ``(n * oh * ow, kh * kw * c [+ 1])``.

    With ``ones`` the last column is 1, so a bias stored as the kernel's last row is added
    by the matrix product itself and its gradient comes out of the backward product: the
    "bias as an extra weight" of the Adaline rule, which saves two passes over the output.
    """
    (kh, kw), (oh, ow), n, c = kernel_hw, out_hw, xp.shape[0], xp.shape[3]
    k = kh * kw * c
    cols = np.empty((n * oh * ow, k + ones), dtype=xp.dtype)
    if ones:
        cols[:, k] = 1
    fields = cols[:, :k].reshape(n, oh, ow, kh, kw, c)  # a view into cols
    if c < 8:
        # few channels: one block copy per kernel position beats the element-wise copy
        # of the whole strided view (4-7x on MNIST's single channel)
        for a in range(kh):
            for b in range(kw):
                fields[:, :, :, a, b] = _window(xp, a, b, out_hw, strides, dilation)
        return cols
    sn, sh, sw, sc = xp.strides
    windows = as_strided(
        xp,
        shape=(n, oh, ow, kh, kw, c),
        strides=(sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc),
        writeable=False,
    )
    np.copyto(fields, windows)
    return cols


class Conv2D(Function):
    """``out[n, i, j, f] = sum_{a, b, c} x[n, i*s + a*d, j*s + b*d, c] * kernel[a, b, c, f]``
    (+ bias), optionally followed by ReLU (applied in place, as in the Dense primitive):
    cross-correlation, as in every deep-learning library."""

    def forward(
        self, x, kernel, *bias, strides=(1, 1), padding="valid", dilation=(1, 1), relu=False
    ):
        kh, kw, c, f = kernel.shape
        xp, self.pads = _pad(x, (kh, kw), strides, padding, dilation)
        n = xp.shape[0]
        oh, ow = _padded_output_hw(xp, (kh, kw), strides, dilation)
        cols = _im2col(xp, (kh, kw), (oh, ow), strides, dilation, ones=bool(bias))
        weights = kernel.reshape(kh * kw * c, f)
        if bias:
            weights = np.concatenate([weights, bias[0][None, :]])
        out = cols @ weights
        self.relu_out = None
        if relu:
            np.maximum(out, 0, out=out)
            self.relu_out = out
        self.cols, self.weights, self.kernel_shape = cols, weights, kernel.shape
        self.geometry = (x.shape, xp.shape, (oh, ow), strides, dilation)
        return out.reshape(n, oh, ow, f)

    def backward(self, grad):
        x_shape, xp_shape, out_hw, strides, dilation = self.geometry
        kh, kw, c, f = self.kernel_shape
        g2 = grad.reshape(-1, f)
        if self.relu_out is not None:
            g2 = g2 * (self.relu_out > 0)
        needs = self.needs_input_grad
        dw = self.cols.T @ g2 if any(needs[1:]) else None  # kernel rows, then the bias row
        dx = None
        if needs[0]:
            # one small product per kernel position, added straight into its window: the
            # blocks are contiguous, unlike slices of one big (rows, kh*kw*c) product
            kernel = self.weights[: kh * kw * c].reshape(kh, kw, c, f)
            dxp = np.zeros(xp_shape, dtype=grad.dtype)
            block = (x_shape[0],) + out_hw + (c,)
            for a in range(kh):
                for b in range(kw):
                    part = (g2 @ kernel[a, b].T).reshape(block)
                    _window(dxp, a, b, out_hw, strides, dilation)[...] += part
            (top, _), (left, _) = self.pads
            dx = dxp[:, top : top + x_shape[1], left : left + x_shape[2]]
        dk = dw[: kh * kw * c].reshape(self.kernel_shape) if needs[1] else None
        if len(needs) == 2:
            return dx, dk
        return dx, dk, (dw[-1] if needs[2] else None)


class MaxPool2D(Function):
    """Maximum over each window; the gradient goes to the first maximum, as in TF/PyTorch.

    The forward pass keeps, per output, which window position won (a uint8), so the
    backward pass is one masked write per position.
    """

    def forward(self, x, pool=(2, 2), strides=(2, 2), padding="valid"):
        xp, self.pads = _pad(x, pool, strides, padding, (1, 1), value=-np.inf)
        out_hw = _padded_output_hw(xp, pool, strides)
        out = _window(xp, 0, 0, out_hw, strides, (1, 1)).copy()
        winner = np.zeros(out.shape, dtype=np.uint8)
        better = np.empty(out.shape, dtype=bool)
        marked = np.empty(out.shape, dtype=np.uint8)
        positions = [(a, b) for a in range(pool[0]) for b in range(pool[1])]
        for k, (a, b) in enumerate(positions[1:], start=1):
            candidate = _window(xp, a, b, out_hw, strides, (1, 1))
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
            target = _window(dxp, a, b, out_hw, strides, (1, 1))
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
        xp, self.pads = _pad(x, pool, strides, padding, (1, 1))
        out_hw = _padded_output_hw(xp, pool, strides)
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


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, relu=False) -> Tensor:
    """2-D cross-correlation of ``x (n, h, w, c)`` with ``kernel (kh, kw, c, filters)``;
    ``relu=True`` fuses a ReLU on the output."""
    args = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D.apply(
        *args,
        strides=_pair(strides, "strides"),
        padding=padding,
        dilation=_pair(dilation, "dilation_rate"),
        relu=relu,
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
