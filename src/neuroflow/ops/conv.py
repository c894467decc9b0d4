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
    "as_pair", "check_padding", "conv2d", "conv_transpose2d", "output_size", "pad_input",
    "padded_output_hw", "same_padding", "transpose_output_size", "window_view",
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


# ----------------------------------------------------------------- transposed convolution


def transpose_output_size(
    size: int, kernel: int, stride: int, padding: str, output_padding=None, dilation: int = 1
) -> int:
    """Output length along one axis of a transposed convolution, as Keras computes it."""
    extent = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(extent - stride, 0)
        return size * stride
    pad = extent // 2 if padding == "same" else 0
    return (size - 1) * stride + extent - 2 * pad + output_padding


def _transpose_crop(size: int, out: int, kernel: int, stride: int, padding: str, dilation: int):
    """Where the output starts in the full (uncropped) result: TensorFlow's padding of the
    convolution whose gradient this is, its smaller half first."""
    if padding != "same":
        return 0
    extent = (kernel - 1) * dilation + 1
    return max((size - 1) * stride + extent - out, 0) // 2


class ConvTranspose2D(Function):
    """The gradient of :class:`Conv2D` with respect to its input, as a layer's forward pass:
    ``full[n, i*s + a*d, j*s + b*d, f] += sum_c x[n, i, j, c] * kernel[a, b, f, c]``, then
    the output is the window of ``full`` that Keras's size formula and padding select
    (zeros where that window reaches past ``full``). The kernel has Keras's layout
    ``(kh, kw, filters, channels_in)``.

    Forward: one product per kernel position added into its strided window (col2im, a loop
    over the k*k positions only). Backward: im2col of the gradient and one GEMM, which is
    exactly a Conv2D of the gradient with this kernel.
    """

    def forward(
        self, x, kernel, *bias, strides=(1, 1), padding="valid", out_hw=None, dilation=(1, 1)
    ):
        kh, kw, f, c = kernel.shape
        n, h, w, _ = x.shape
        starts = tuple(
            _transpose_crop((h, w)[i], out_hw[i], (kh, kw)[i], strides[i], padding, dilation[i])
            for i in range(2)
        )
        full_hw = tuple(
            max((size - 1) * s + (k - 1) * d + 1, start + o)
            for size, s, k, d, start, o in zip((h, w), strides, (kh, kw), dilation, starts, out_hw)
        )
        full = np.zeros((n,) + full_hw + (f,), dtype=x.dtype)
        x2 = x.reshape(-1, c)
        for a in range(kh):
            for b in range(kw):
                part = threads.matmul(x2, kernel[a, b].T).reshape(n, h, w, f)
                window_view(full, a, b, (h, w), strides, dilation)[...] += part
        out = full[:, starts[0] : starts[0] + out_hw[0], starts[1] : starts[1] + out_hw[1]]
        if bias:
            out = out + bias[0]
        self.x2, self.kernel = x2, kernel
        self.geometry = (x.shape, full.shape, starts, strides, dilation)
        return np.ascontiguousarray(out)

    def backward(self, grad):
        x_shape, full_shape, starts, strides, dilation = self.geometry
        kh, kw, f, c = self.kernel.shape
        needs = self.needs_input_grad
        gfull = np.zeros(full_shape, dtype=grad.dtype)
        (t, l), (oh, ow) = starts, grad.shape[1:3]
        gfull[:, t : t + oh, l : l + ow] = grad
        cols = _im2col(gfull, (kh, kw), x_shape[1:3], strides, dilation, ones=False)
        dx = threads.matmul(cols, self.kernel.reshape(kh * kw * f, c)) if needs[0] else None
        dk = threads.matmul(cols.T, self.x2).reshape(self.kernel.shape) if needs[1] else None
        dx = None if dx is None else dx.reshape(x_shape)
        if len(needs) == 2:
            return dx, dk
        return dx, dk, (grad.sum(axis=(0, 1, 2)) if needs[2] else None)


def conv_transpose2d(
    x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation=1
) -> Tensor:
    """2-D transposed convolution of ``x (n, h, w, c)`` with ``kernel (kh, kw, filters, c)``
    (Keras's layout), with Keras's output size: ``h * stride`` for ``same``,
    ``h * stride + max(kh - stride, 0)`` for ``valid``, or the explicit formula when
    ``output_padding`` is given.

    Examples
    --------
    >>> conv_transpose2d(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), strides=2).shape
    TensorShape([1, 5, 5, 1])
    """
    strides = as_pair(strides, "strides")
    dilation = as_pair(dilation, "dilation_rate")
    padding = check_padding(padding)
    x = x if isinstance(x, Tensor) else Tensor(x)
    kernel = kernel if isinstance(kernel, Tensor) else Tensor(kernel)
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise ValueError(
            "conv_transpose2d expects x of shape (n, h, w, c) and a kernel of shape "
            f"(kh, kw, filters, c). Received shapes {x.shape} and {kernel.shape}."
        )
    if output_padding is not None:
        output_padding = tuple(
            int(v)
            for v in ((output_padding,) * 2 if np.isscalar(output_padding) else output_padding)
        )
    out_hw = tuple(
        transpose_output_size(
            x.shape[1 + i],
            kernel.shape[i],
            strides[i],
            padding,
            None if output_padding is None else output_padding[i],
            dilation[i],
        )
        for i in range(2)
    )
    args = (x, kernel) if bias is None else (x, kernel, bias)
    return ConvTranspose2D.apply(
        *args, strides=strides, padding=padding, out_hw=out_hw, dilation=dilation
    )
