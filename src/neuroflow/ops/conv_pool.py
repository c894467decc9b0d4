"""Convolution, optional ReLU and max pooling over disjoint windows, as one node: the fused
fast path of :func:`~neuroflow.ops.conv.conv2d` followed by :func:`~neuroflow.ops.pool.max_pool2d`.

Those two modules are the readable reference; this one is what runs by default, and tests
compare the two. ``neuroflow.config.set_fusion(False)`` (or ``NEUROFLOW_FUSION=0``) makes
``Sequential`` run the reference ops instead.

``conv2d_max_pool(x, kernel, bias, relu=True)`` equals
``max_pool2d(conv2d(x, kernel, bias, relu=True))`` and is what ``Sequential`` runs for a
``Conv2D`` followed by a ``MaxPooling2D`` (seed 002 and seed 003 are built of such pairs).
It does less work than the two nodes:

- Rows of the convolution are grouped by position inside the pooling window, so the
  product returns one contiguous block per position and pooling is a maximum over
  blocks. Output pixels that no window covers (the last row of an odd-sized map) are
  never computed.
- The bias is the same at every pixel of a window and ReLU is monotone, so both commute
  with the maximum (exactly, in floating point too: rounding is monotone) and are applied
  to the pooled output, a quarter of the size.
- The batch is processed in chunks of about ``_CHUNK_BYTES``, so each chunk's
  temporaries stay in the CPU cache between the product and the passes that follow.
- A 3x3 kernel at stride 1 with 2x2 pooling and 8 or more input channels uses Winograd's
  F(2x2, 3x3) algorithm (Lavin & Gray, 2016): each 2x2 output tile, which is exactly one
  pooling window, comes from a 4x4 input tile with 16 multiplications per channel pair
  instead of 36. The transforms are small constant matrices, so every step is a matrix
  product; the backward pass is the transpose of each step.

The gradient goes to the first maximum of each window, as in :class:`~neuroflow.ops.pool.MaxPool2D`.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from neuroflow import threads
from neuroflow.ops.conv import as_pair, check_padding, pad_input, padded_output_hw
from neuroflow.tensor import Function, Tensor, is_grad_enabled

# Temporaries per chunk of the batch: about L2-sized, measured best on seed 002.
_CHUNK_BYTES = 2 << 20


@functools.lru_cache(maxsize=4)
def _winograd_matrices(dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """F(2x2, 3x3) as three products over flattened tiles: input tile (16) -> V (16),
    kernel (9) -> U (16), and V * U (16) -> output tile (4), each a Kronecker square of
    Lavin & Gray's 1-D matrices."""
    bt = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    at = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])
    return tuple(np.kron(m, m).astype(dtype) for m in (bt, g, at))


def _pooled_fields(xp, kernel_hw, pool, out_hw, strides, dilation, writeable=False):
    """Receptive fields grouped by pooling window position: a view of shape
    ``(ph, pw, n, qh, qw, kh, kw, c)``, where ``[pa, pb, :, i, j]`` is the field of the
    convolution output pixel ``(i * ph + pa, j * pw + pb)``, the one at position
    ``(pa, pb)`` of pooling window ``(i, j)``. For a fixed tap ``(a, b)`` no two elements
    share memory, so a writeable view can accumulate one tap at a time."""
    (kh, kw), (ph, pw), (qh, qw) = kernel_hw, pool, out_hw
    (sh, sw), (dh, dw) = strides, dilation
    bn, bh, bw, bc = xp.strides
    return as_strided(
        xp,
        shape=(ph, pw, xp.shape[0], qh, qw, kh, kw, xp.shape[3]),
        strides=(sh * bh, sw * bw, bn, ph * sh * bh, pw * sw * bw, dh * bh, dw * bw, bc),
        writeable=writeable,
    )


def _pooled_cols(fields: np.ndarray) -> np.ndarray:
    """im2col rows from a :func:`_pooled_fields` view, ``(rows, kh * kw * c)``."""
    ph, pw, n, qh, qw, kh, kw, c = fields.shape
    rows, k = ph * pw * n * qh * qw, kh * kw * c
    if c >= 8:
        cols = np.empty((rows, k), dtype=fields.dtype)
        np.copyto(cols.reshape(fields.shape), fields)
        return cols
    # few channels: a C-ordered row would be a few floats long, so lay out the
    # transpose (each tap one contiguous row) and hand BLAS its transposed view
    cols = np.empty((k, rows), dtype=fields.dtype)
    np.copyto(cols.reshape(kh, kw, c, ph, pw, n, qh, qw), fields.transpose(5, 6, 7, 0, 1, 2, 3, 4))
    return cols.T


def _tiles(xp: np.ndarray, out_hw, size=4, offset=(0, 0), writeable=False) -> np.ndarray:
    """The 4x4 input tiles (stride 2) under each 2x2 output tile: a view of shape
    ``(4, 4, n, qh, qw, c)``. With ``size=2`` and an even ``offset``, one quarter of
    every tile: neighbouring tiles overlap, their quarters do not."""
    bn, bh, bw, bc = xp.strides
    return as_strided(
        xp[:, offset[0] :, offset[1] :],
        shape=(size, size, xp.shape[0]) + tuple(out_hw) + (xp.shape[3],),
        strides=(bh, bw, bn, 2 * bh, 2 * bw, bc),
        writeable=writeable,
    )


class Conv2DMaxPool(Function):
    """``max_pool2d(conv2d(x, kernel, bias, relu=relu), pool)`` for disjoint windows."""

    def forward(
        self, x, kernel, *bias, strides=(1, 1), padding="valid", dilation=(1, 1),
        pool=(2, 2), relu=False,
    ):  # fmt: skip
        kh, kw, c, f = kernel.shape
        xp, self.pads = pad_input(x, (kh, kw), strides, padding, dilation)
        n = xp.shape[0]
        oh, ow = padded_output_hw(xp, (kh, kw), strides, dilation)
        out_hw = (oh // pool[0], ow // pool[1])
        if min(out_hw) < 1:
            raise ValueError(
                f"pool_size={pool} is larger than the convolution's output, of spatial shape "
                f"{(oh, ow)}, for an input of shape {x.shape} and a kernel of shape "
                f"{kernel.shape}."
            )
        blocks = pool[0] * pool[1]
        self.winograd = c >= 8 and (kh, kw, *strides, *dilation, *pool) == (3, 3, 1, 1, 1, 1, 2, 2)
        self.geometry = (x.shape, xp.shape, pool, out_hw, strides, dilation)
        self.kernel = kernel
        if self.winograd:
            _, g, _ = _winograd_matrices(x.dtype)
            self.u = threads.matmul(g, kernel.reshape(9, c * f)).reshape(16, c, f)
            tiles = _tiles(xp, out_hw)
            per_image = 16 * out_hw[0] * out_hw[1] * max(c, f) * x.itemsize
        else:
            fields = _pooled_fields(xp, (kh, kw), pool, out_hw, strides, dilation)
            per_image = blocks * out_hw[0] * out_hw[1] * max(kh * kw * c, f) * x.itemsize
        self.step = step = max(1, min(n, _CHUNK_BYTES // per_image))
        out = np.empty((n,) + out_hw + (f,), dtype=x.dtype)
        track = is_grad_enabled() and any(self.needs_input_grad)
        self.winner = np.empty(out.shape, dtype=np.uint8) if track else None
        self.saved = []  # per chunk: im2col rows, or Winograd's transformed input tiles
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            if self.winograd:
                conv, saved = self._winograd_forward(tiles[:, :, lo:hi])
            else:
                saved = _pooled_cols(fields[:, :, lo:hi])
                conv = threads.matmul(saved, kernel.reshape(-1, f)).reshape(blocks, -1)
            best = out[lo:hi].reshape(-1)
            np.max(conv, axis=0, out=best)
            if track:
                # the block of the first maximum = the number of leading blocks below it
                below = np.not_equal(conv[0], best)
                won = self.winner[lo:hi].reshape(-1)
                np.copyto(won, below.view(np.uint8))
                for block in conv[1:-1]:
                    below &= np.not_equal(block, best)
                    won += below
                self.saved.append(saved)
        flat = out.reshape(-1, f)
        if bias:
            flat += bias[0]
        if relu:
            np.maximum(flat, 0, out=flat)
        self.relu_out = flat if relu else None
        return out

    def _winograd_forward(self, tiles):
        """One chunk of :func:`_tiles`: ``(4, rows * f)`` blocks of the convolution, and
        the transformed tiles V, which backward needs."""
        bt, _, at = _winograd_matrices(tiles.dtype)
        flat = np.empty((16, tiles[0, 0].size), dtype=tiles.dtype)
        np.copyto(flat.reshape(tiles.shape), tiles)
        v = threads.matmul(bt, flat).reshape(16, -1, tiles.shape[-1])
        return threads.matmul(at, threads.matmul(v, self.u).reshape(16, -1)), v

    def backward(self, grad):
        x_shape, xp_shape, pool, out_hw, strides, dilation = self.geometry
        kh, kw, c, f = self.kernel.shape
        g = grad.reshape(-1, f)
        if self.relu_out is not None:
            g = g * (self.relu_out > 0)
        g = g.reshape(grad.shape)
        needs = self.needs_input_grad
        blocks, n = pool[0] * pool[1], x_shape[0]
        # the kernel's gradient accumulates over chunks (in Winograd's domain, dU)
        dk = np.zeros((16, c, f) if self.winograd else (kh * kw * c, f), dtype=grad.dtype)
        dxp = np.zeros(xp_shape, dtype=grad.dtype) if needs[0] else None
        if needs[0] and self.winograd:
            # neighbouring 4x4 tiles overlap by two pixels: their gradients are added in
            # four 2x2 quarters, each a view whose elements are all distinct
            quarters = [_tiles(dxp, out_hw, 2, (u, w), True) for u in (0, 2) for w in (0, 2)]
        elif needs[0]:
            fields = _pooled_fields(dxp, (kh, kw), pool, out_hw, strides, dilation, True)
            kernel_t = self.kernel.reshape(-1, f).T
        for chunk, lo in enumerate(range(0, n, self.step)):
            hi = min(n, lo + self.step)
            gs, won = g[lo:hi].reshape(-1), self.winner[lo:hi].reshape(-1)
            dconv = np.empty((blocks, gs.size), dtype=grad.dtype)
            for p, block in enumerate(dconv):
                np.multiply(gs, won == p, out=block)
            saved = self.saved[chunk]
            if self.winograd:
                targets = [q[:, :, lo:hi] for q in quarters] if needs[0] else None
                self._winograd_backward(dconv, saved, dk if needs[1] else None, targets)
                continue
            dconv = dconv.reshape(-1, f)
            if needs[1]:
                dk += threads.matmul(saved.T, dconv)
            if needs[0]:
                dcols = threads.matmul(dconv, kernel_t)
                dcols = dcols.reshape(pool + (hi - lo,) + out_hw + (kh, kw, c))
                target = fields[:, :, lo:hi]
                for a in range(kh):
                    for b in range(kw):
                        tap = target[..., a, b, :]
                        np.add(tap, dcols[..., a, b, :], out=tap)
        if self.winograd:
            _, g_mat, _ = _winograd_matrices(grad.dtype)
            dk = threads.matmul(g_mat.T, dk.reshape(16, -1))
        dx = None
        if needs[0]:
            (top, _), (left, _) = self.pads
            dx = dxp[:, top : top + x_shape[1], left : left + x_shape[2]]
        dk = dk.reshape(self.kernel.shape) if needs[1] else None
        if len(needs) == 2:
            return dx, dk
        return dx, dk, (g.reshape(-1, f).sum(axis=0) if needs[2] else None)

    def _winograd_backward(self, dconv, v, du, quarters):
        """One chunk: adds into dU and the chunk's quarters of the input gradient's tiles
        (each when not None)."""
        bt, _, at = _winograd_matrices(dconv.dtype)
        dm = threads.matmul(at.T, dconv).reshape(16, -1, self.u.shape[2])
        if du is not None:
            du += threads.matmul(v.transpose(0, 2, 1), dm)
        if quarters is None:
            return
        dv = threads.matmul(dm, self.u.transpose(0, 2, 1))
        dtiles = threads.matmul(bt.T, dv.reshape(16, -1)).reshape((4, 4) + quarters[0].shape[2:])
        for quarter, (u, w) in zip(quarters, ((0, 0), (0, 2), (2, 0), (2, 2))):
            np.add(quarter, dtiles[u : u + 2, w : w + 2], out=quarter)


def conv2d_max_pool(
    x, kernel, bias=None, strides=1, padding="valid", dilation=1, relu=False, pool_size=2
) -> Tensor:
    """``max_pool2d(conv2d(x, kernel, bias, ..., relu=relu), pool_size)`` in one node, for
    pooling windows that do not overlap (strides equal to the pool size, valid padding)."""
    return Conv2DMaxPool.apply(
        *((x, kernel) if bias is None else (x, kernel, bias)),
        strides=as_pair(strides, "strides"),
        padding=check_padding(padding),
        dilation=as_pair(dilation, "dilation_rate"),
        pool=as_pair(pool_size, "pool_size"),
        relu=relu,
    )
