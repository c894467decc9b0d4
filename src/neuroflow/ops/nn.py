"""Fused layer primitives: the affine map of a Dense layer and dropout.

``dense`` is one node for what :func:`~neuroflow.ops.matmul`, :func:`~neuroflow.ops.add`
and :func:`~neuroflow.ops.relu` compute as three nodes (its readable reference); tests
compare it with that math in NumPy and PyTorch. Every Dense layer runs it.
"""

from __future__ import annotations

import numpy as np

from neuroflow import threads
from neuroflow.tensor import Function, Tensor


class Dense(Function):
    """``x @ kernel + bias`` over the last axis of ``x`` (any leading shape), optionally
    followed by ReLU.

    One node instead of matmul + add (+ relu), the ReLU applied in place on the fresh
    product, and no gradient is computed for an input that does not need one (the data
    fed to the first layer).
    """

    def forward(self, x, kernel, *bias, relu=False):
        self.in_shape = x.shape
        x2 = x.reshape(-1, x.shape[-1])
        out = threads.matmul(x2, kernel)
        if bias:
            out += bias[0]
        self.relu_out = None
        if relu:
            np.maximum(out, 0, out=out)
            self.relu_out = out  # its sign is the mask; computed only if backward runs
        self.x2, self.kernel = x2, kernel
        return out.reshape(x.shape[:-1] + (kernel.shape[1],))

    def backward(self, grad):
        g2 = grad.reshape(-1, grad.shape[-1])
        if self.relu_out is not None:
            g2 = g2 * (self.relu_out > 0)
        needs = self.needs_input_grad
        dx = threads.matmul(g2, self.kernel.T).reshape(self.in_shape) if needs[0] else None
        dk = threads.matmul(self.x2.T, g2) if needs[1] else None
        if len(needs) == 2:
            return dx, dk
        return dx, dk, (g2.sum(axis=0) if needs[2] else None)


class Dropout(Function):
    """Zeroes each element with probability ``rate`` and scales the rest by 1/(1-rate)."""

    def forward(self, x, rate, rng):
        keep = rng.random(x.shape, dtype=np.float32) >= rate
        self.mask = np.multiply(keep, np.float32(1.0 / (1.0 - rate)), dtype=x.dtype)
        return x * self.mask

    def backward(self, grad):
        return (grad * self.mask,)


def dense(x, kernel, bias=None, relu: bool = False) -> Tensor:
    """Functional form of the Dense layer's math (like ``torch.nn.functional.linear``);
    ``relu=True`` fuses a ReLU on the output."""
    if bias is None:
        return Dense.apply(x, kernel, relu=relu)
    return Dense.apply(x, kernel, bias, relu=relu)


def dropout(x, rate: float, rng: np.random.Generator) -> Tensor:
    return Dropout.apply(x, rate=rate, rng=rng)
