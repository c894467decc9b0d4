"""Convolution over channels-last images ``(batch, height, width, channels)``, and the
window geometry it shares with pooling (:mod:`neuroflow.ops.pool`) and the fused path.

This is the readable reference for convolution. ``Sequential`` runs a Conv2D followed by
a MaxPooling2D through the fused fast path :mod:`neuroflow.ops.conv_pool` instead, which
tests compare with this module (``neuroflow.config.set_fusion(False)`` runs this one).

Convolution is im2col + one matrix product: a strided view lists every receptive field,
one copy lays them out as rows, and a GEMM with the flattened kernel does the rest. The
backward pass runs the same product the other way and scatters the rows back with a loop
over the kernel's k*k positions (never over pixels or samples). Sizes and "same" padding
follow Keras/TensorFlow: ``same`` pads ``max((out - 1) * stride + extent - size, 0)`` in
total, the smaller half first.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from neuroflow import threads
from neuroflow.tensor import Function, Tensor

__all__ = [
    "as_pair", "check_padding", "conv2d", "output_size", "pad_input", "padded_output_hw",
    "same_padding", "window_view",
]  # fmt: skip


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


def check_padding(padding) -> str:
    """``padding`` as Keras reads it (case-insensitive ``"valid"`` or ``"same"``), lower-cased.

    Raises ValueError for anything else, instead of silently treating it as ``"valid"``.
    """
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in ("valid", "same"):
        raise ValueError(
            f"Expected `padding` to be 'valid' or 'same'. Received: padding={padding!r}"
        )
    return value


def as_pair(value, name: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ValueError naming ``name`` unless one or two positive ints."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0 for v in pair
    ):
        raise ValueError(
            f"Expected `{name}` to be a positive int or a pair of them. Received: {value!r}"
        )
    return int(pair[0]), int(pair[1])


def pad_input(x: np.ndarray, kernel, strides, padding, dilation, value=0.0):
    """Pads height and width for ``same``; returns the padded array and the pads."""
    if padding != "same":
        return x, ((0, 0), (0, 0))
    pads = tuple(same_padding(x.shape[1 + i], kernel[i], strides[i], dilation[i]) for i in range(2))
    if not any(p for pair in pads for p in pair):
        return x, pads
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value), pads


def padded_output_hw(xp: np.ndarray, window, strides, dilation=(1, 1)) -> tuple[int, int]:
    """Output (height, width) of a window sliding over an already padded batch ``xp``."""
    return tuple(
        output_size(xp.shape[1 + i], window[i], strides[i], "valid", dilation[i]) for i in range(2)
    )


def window_view(xp: np.ndarray, a: int, b: int, out_hw, strides, dilation) -> np.ndarray:
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
                fields[:, :, :, a, b] = window_view(xp, a, b, out_hw, strides, dilation)
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
        xp, self.pads = pad_input(x, (kh, kw), strides, padding, dilation)
        n = xp.shape[0]
        oh, ow = padded_output_hw(xp, (kh, kw), strides, dilation)
        cols = _im2col(xp, (kh, kw), (oh, ow), strides, dilation, ones=bool(bias))
        weights = kernel.reshape(kh * kw * c, f)
        if bias:
            weights = np.concatenate([weights, bias[0][None, :]])
        out = threads.matmul(cols, weights)
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
        # kernel rows, then the bias row
        dw = threads.matmul(self.cols.T, g2) if any(needs[1:]) else None
        dx = None
        if needs[0]:
            # one small product per kernel position, added straight into its window: the
            # blocks are contiguous, unlike slices of one big (rows, kh*kw*c) product
            kernel = self.weights[: kh * kw * c].reshape(kh, kw, c, f)
            dxp = np.zeros(xp_shape, dtype=grad.dtype)
            block = (x_shape[0],) + out_hw + (c,)
            for a in range(kh):
                for b in range(kw):
                    part = threads.matmul(g2, kernel[a, b].T).reshape(block)
                    window_view(dxp, a, b, out_hw, strides, dilation)[...] += part
            (top, _), (left, _) = self.pads
            dx = dxp[:, top : top + x_shape[1], left : left + x_shape[2]]
        dk = dw[: kh * kw * c].reshape(self.kernel_shape) if needs[1] else None
        if len(needs) == 2:
            return dx, dk
        return dx, dk, (dw[-1] if needs[2] else None)


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, relu=False) -> Tensor:
    """2-D cross-correlation of ``x (n, h, w, c)`` with ``kernel (kh, kw, c, filters)``;
    ``relu=True`` fuses a ReLU on the output."""
    args = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D.apply(
        *args,
        strides=as_pair(strides, "strides"),
        padding=check_padding(padding),
        dilation=as_pair(dilation, "dilation_rate"),
        relu=relu,
    )
