"""Shape primitives the reshaping and merge layers are built from: zero padding and its
inverse, cropping; repetition along an axis (nearest-neighbour upsampling, RepeatVector);
a fixed linear map along one axis (bilinear upsampling); elementwise maximum and minimum;
and the batched matrix product (the Dot layer).

Padding and cropping are each other's backward; each op's backward sits beside its forward.
"""

from __future__ import annotations

import numpy as np

from neuroflow import threads
from neuroflow.ops.math import binary, unbroadcast
from neuroflow.tensor import Function, Tensor

__all__ = [
    "bilinear_weights", "bmm", "crop", "maximum", "minimum", "pad", "repeat", "resample",
]  # fmt: skip


def _check_widths(x_ndim: int, widths, name: str) -> tuple:
    """``widths`` as one (before, after) pair of non-negative ints per axis of ``x``."""
    try:
        pairs = tuple((int(a), int(b)) for a, b in widths)
    except (TypeError, ValueError):
        pairs = ()
    if len(pairs) != x_ndim or any(v < 0 for pair in pairs for v in pair):
        raise ValueError(
            f"Expected `{name}` to be one (before, after) pair of non-negative ints per axis "
            f"of the input ({x_ndim} axes). Received: {name}={widths!r}"
        )
    return pairs


def _slices(shape, pairs) -> tuple:
    return tuple(slice(a, n - b) for n, (a, b) in zip(shape, pairs))


class Pad(Function):
    """Zeros added before and after each axis; the backward pass crops them off."""

    def forward(self, x, pad_width):
        self.pad_width = pad_width
        return np.pad(x, pad_width)

    def backward(self, grad):
        return (grad[_slices(grad.shape, self.pad_width)],)


class Crop(Function):
    """Removes ``(before, after)`` elements from each axis; the backward pass pads zeros back."""

    def forward(self, x, crops):
        self.crops = crops
        return x[_slices(x.shape, crops)]

    def backward(self, grad):
        return (np.pad(grad, self.crops),)


class Repeat(Function):
    """Each element repeated ``repeats`` times along ``axis`` (``np.repeat``); the backward
    pass sums each run of copies."""

    def forward(self, x, repeats, axis):
        self.axis = axis % x.ndim
        self.repeats = repeats
        return np.repeat(x, repeats, axis=axis)

    def backward(self, grad):
        a = self.axis
        runs = grad.reshape(grad.shape[:a] + (-1, self.repeats) + grad.shape[a + 1 :])
        return (runs.sum(axis=a + 1),)


class Resample(Function):
    """``out[..., i, ...] = sum_j weights[i, j] * x[..., j, ...]`` along ``axis``: a fixed
    linear map (interpolation) of one axis; the backward pass applies its transpose."""

    def forward(self, x, weights, axis):
        self.axis, self.weights = axis % x.ndim, weights
        return self._apply(x, weights)

    def _apply(self, x, weights):
        moved = np.moveaxis(x, self.axis, -1)
        out = threads.matmul(moved.reshape(-1, moved.shape[-1]), weights.T)
        return np.moveaxis(out.reshape(moved.shape[:-1] + (weights.shape[0],)), -1, self.axis)

    def backward(self, grad):
        return (np.ascontiguousarray(self._apply(grad, self.weights.T)),)


class Maximum(Function):
    """Elementwise maximum; ties send the gradient to the first input, as TensorFlow does."""

    def forward(self, a, b):
        self.first = a >= b
        self.shapes = a.shape, b.shape
        return np.maximum(a, b)

    def backward(self, grad):
        return (
            unbroadcast(grad * self.first, self.shapes[0]),
            unbroadcast(grad * ~self.first, self.shapes[1]),
        )


class Minimum(Function):
    """Elementwise minimum; ties send the gradient to the first input, as TensorFlow does."""

    def forward(self, a, b):
        self.first = a <= b
        self.shapes = a.shape, b.shape
        return np.minimum(a, b)

    def backward(self, grad):
        return (
            unbroadcast(grad * self.first, self.shapes[0]),
            unbroadcast(grad * ~self.first, self.shapes[1]),
        )


class BatchMatMul(Function):
    """``(n, i, j) @ (n, j, k) -> (n, i, k)``: one matrix product per sample."""

    def forward(self, a, b):
        if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise ValueError(
                "bmm expects arrays of shapes (n, i, j) and (n, j, k). "
                f"Received shapes {a.shape} and {b.shape}."
            )
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, grad):
        needs = self.needs_input_grad
        da = np.matmul(grad, self.b.transpose(0, 2, 1)) if needs[0] else None
        db = np.matmul(self.a.transpose(0, 2, 1), grad) if needs[1] else None
        return da, db


# ------------------------------------------------------------------ functional forms


def pad(x, pad_width) -> Tensor:
    """Zero padding: ``pad_width`` holds one ``(before, after)`` pair per axis of ``x``.

    Examples
    --------
    >>> pad(Tensor([[1.0, 2.0]]), ((0, 0), (1, 2))).numpy()
    array([[0., 1., 2., 0., 0.]], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Pad.apply(x, pad_width=_check_widths(x.ndim, pad_width, "pad_width"))


def crop(x, crops) -> Tensor:
    """Removes ``(before, after)`` elements from each axis of ``x`` (one pair per axis).

    Examples
    --------
    >>> crop(Tensor([[1.0, 2.0, 3.0, 4.0]]), ((0, 0), (1, 2))).numpy()
    array([[2.]], dtype=float32)
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    pairs = _check_widths(x.ndim, crops, "crops")
    if any(a + b > n for n, (a, b) in zip(x.shape, pairs)):
        raise ValueError(
            f"Cannot crop {pairs} from an input of shape {x.shape}: more than the axis holds."
        )
    return Crop.apply(x, crops=pairs)


def repeat(x, repeats: int, axis: int) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis``, like ``np.repeat``."""
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"Expected `repeats` to be a positive int. Received: repeats={repeats!r}")
    return Repeat.apply(x, repeats=int(repeats), axis=int(axis))


def resample(x, weights: np.ndarray, axis: int) -> Tensor:
    """A fixed linear map ``weights`` (``(new_length, length)``) applied along ``axis``."""
    return Resample.apply(x, weights=np.asarray(weights), axis=int(axis))


def bilinear_weights(length: int, scale: int, dtype=np.float32) -> np.ndarray:
    """The ``(length * scale, length)`` map of linear interpolation with half-pixel centres,
    as TensorFlow's ``resize`` computes it (``antialias=False``): output ``i`` samples the
    input at ``(i + 0.5) / scale - 0.5``, clamped to the edges.

    Examples
    --------
    >>> bilinear_weights(2, 2)
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]], dtype=float32)
    """
    centres = (np.arange(length * scale) + 0.5) / scale - 0.5
    lower = np.floor(centres)
    frac = centres - lower
    lo = np.clip(lower, 0, length - 1).astype(int)
    hi = np.clip(lower + 1, 0, length - 1).astype(int)
    weights = np.zeros((length * scale, length), dtype=np.float64)
    rows = np.arange(length * scale)
    np.add.at(weights, (rows, lo), 1 - frac)
    np.add.at(weights, (rows, hi), frac)
    return weights.astype(dtype)


def maximum(x, y, name=None) -> Tensor:
    """Elementwise maximum of two tensors, broadcast (TensorFlow's ``tf.maximum``); a tie
    sends the gradient to ``x``.

    Examples
    --------
    >>> maximum(Tensor([1.0, 5.0]), 2.0).numpy()
    array([2., 5.], dtype=float32)
    """
    return binary(Maximum, x, y, "Maximum")


def minimum(x, y, name=None) -> Tensor:
    """Elementwise minimum of two tensors, broadcast (TensorFlow's ``tf.minimum``); a tie
    sends the gradient to ``x``."""
    return binary(Minimum, x, y, "Minimum")


def bmm(a, b) -> Tensor:
    """Batched matrix product ``(n, i, j) @ (n, j, k) -> (n, i, k)``, like ``torch.bmm``."""
    return BatchMatMul.apply(a, b)
