"""Image sampling primitives for the image preprocessing layers, in TensorFlow's conventions
(what Keras 3's TensorFlow backend computes):

- :func:`resize_weights` / :func:`resize`: ``tf.image.resize`` (half-pixel centres) for
  ``"bilinear"``, ``"nearest"`` and ``"bicubic"``, as one fixed linear map per spatial axis
  (:func:`~neuroflow.ops.resample`, whose backward is the map's transpose);
- :func:`affine_transform`: ``ImageProjectiveTransformV3`` (Keras's
  ``keras.ops.image.affine_transform``): each output pixel ``(x, y)`` reads the input at
  ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``, with the
  fill modes ``reflect``, ``wrap``, ``nearest`` and ``constant``;
- :class:`SampleImages`, the primitive under both the affine transform and the flips: every
  output pixel a weighted sum of a few input pixels of the same image, gathered for the whole
  batch at once; its backward scatters the gradient back with one ``np.bincount``.

Coordinates are computed in float32, as TensorFlow's kernels compute them, so that pixels on
a rounding boundary land where TensorFlow puts them. Images are channels-last
``(batch, height, width, channels)`` here; the layers move channels-first data.
"""

from __future__ import annotations

import numpy as np

from neuroflow.ops.shape import resample
from neuroflow.tensor import Function, Tensor

__all__ = [
    "FILL_MODES", "SampleImages", "affine_transform", "resize", "resize_weights",
]  # fmt: skip

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_F32 = np.float32


# ----------------------------------------------------------------------------- resizing
def _keys_cubic_table(a: float = -0.5, size: int = 1024) -> np.ndarray:
    """TensorFlow's ``InitCoeffsTable``: the Keys cubic kernel sampled at ``size`` steps."""
    x = np.arange(size + 1, dtype=np.float64) / size
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    return np.stack([near, far], axis=1).astype(_F32)


def resize_weights(in_size: int, out_size: int, interpolation: str = "bilinear") -> np.ndarray:
    """The ``(out_size, in_size)`` matrix that ``tf.image.resize`` applies along one axis
    (half-pixel centres, no antialiasing).

    >>> resize_weights(2, 4)
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]], dtype=float32)
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"Expected `interpolation` to be one of {RESIZE_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    scale = _F32(in_size) / _F32(out_size)
    out = np.arange(out_size, dtype=_F32)
    weights = np.zeros((out_size, in_size), _F32)
    rows = np.arange(out_size)
    if interpolation == "nearest":  # TF's HalfPixelScalerForNN, then floor
        src = np.floor((out + _F32(0.5)) * scale).astype(np.int64)
        weights[rows, np.clip(src, 0, in_size - 1)] = 1.0
        return weights
    src = (out + _F32(0.5)) * scale - _F32(0.5)
    floor = np.floor(src)
    if interpolation == "bilinear":
        lerp = src - floor
        lower = np.clip(floor.astype(np.int64), 0, in_size - 1)
        upper = np.clip(np.ceil(src).astype(np.int64), 0, in_size - 1)
        np.add.at(weights, (rows, lower), 1 - lerp)
        np.add.at(weights, (rows, upper), lerp)
        return weights
    # bicubic: TF's ResizeBicubic with half-pixel centres (Keys kernel, a = -0.5, read from a
    # 1024-step table; taps outside the image get no weight and the rest are renormalized)
    table = _keys_cubic_table()
    offset = np.rint((src - floor) * 1024).astype(np.int64)
    taps = np.stack([table[offset, 1], table[offset, 0], table[1024 - offset, 0],
                     table[1024 - offset, 1]], axis=1)  # fmt: skip
    index = floor.astype(np.int64)[:, None] + np.arange(-1, 3)
    taps = np.where((index >= 0) & (index < in_size), taps, 0).astype(_F32)
    total = taps.sum(axis=1, keepdims=True)
    taps = np.where(np.abs(total) >= 1000 * np.finfo(_F32).tiny, taps / total, taps)
    np.add.at(weights, (np.repeat(rows, 4), np.clip(index, 0, in_size - 1).ravel()), taps.ravel())
    return weights


def resize(images, size, interpolation: str = "bilinear") -> Tensor:
    """Channels-last ``images`` (rank 4) resized to ``size = (height, width)``.

    >>> resize(np.arange(4.0).reshape(1, 2, 2, 1), (1, 1)).numpy().ravel()
    array([1.5], dtype=float32)
    """
    images = images if isinstance(images, Tensor) else Tensor(np.asarray(images, _F32))
    height, width = images.shape[1], images.shape[2]
    out = images
    # an axis kept at its length is the identity in every mode (the kernels sample at 0)
    if size[0] != height:
        out = resample(out, resize_weights(height, size[0], interpolation).astype(out.dtype), 1)
    if size[1] != width:
        out = resample(out, resize_weights(width, size[1], interpolation).astype(out.dtype), 2)
    return out


# --------------------------------------------------------------------- pixel sampling
class SampleImages(Function):
    """``out[n, p, c] = sum_k weights[n, k, p] * x[n, index[n, k, p], c] + bias[n, p]`` over
    the flattened pixels ``p`` of each image: one gather for the batch. The backward pass
    adds each output gradient, times its weight, to the pixels it was read from."""

    def forward(self, x, index, weights, bias):
        n, h, w, c = x.shape
        self.shape, self.weights = x.shape, weights
        # one row gather over the whole batch (np.take on rows is ~4x take_along_axis)
        self.rows = (index + (np.arange(n) * (h * w))[:, None, None]).ravel()
        gathered = np.take(x.reshape(n * h * w, c), self.rows, axis=0)
        gathered = gathered.reshape(*index.shape, c)
        out = gathered[:, 0] * weights[:, 0, :, None]
        for k in range(1, index.shape[1]):
            out += gathered[:, k] * weights[:, k, :, None]
        if bias is not None:
            out += bias[:, :, None]
        return out.reshape(n, h, w, c).astype(x.dtype, copy=False)

    def backward(self, grad):
        n, h, w, c = self.shape
        g = grad.reshape(n, 1, -1, c) * self.weights[..., None]  # (n, k, p, c)
        target = (self.rows[:, None] * c + np.arange(c)).ravel()
        dx = np.bincount(target, weights=g.ravel(), minlength=n * h * w * c)
        return (dx.reshape(self.shape).astype(grad.dtype, copy=False),)


def sample_images(images: Tensor, index, weights, bias=None) -> Tensor:
    """:class:`SampleImages` with constant ``index`` ``(n, k, h*w)``, ``weights`` and ``bias``."""
    weights = np.asarray(weights, images.dtype)
    bias = None if bias is None else np.asarray(bias, images.dtype)
    return SampleImages.apply(images, index=np.asarray(index, np.int64), weights=weights,
                              bias=bias)  # fmt: skip


def _map_coordinate(coord: np.ndarray, length: int, fill_mode: str) -> np.ndarray:
    """TensorFlow's ``MapCoordinate``: where a coordinate outside ``[0, length - 1]`` reads."""
    if fill_mode == "constant":
        return coord
    top = _F32(length - 1)
    if fill_mode == "nearest" or length <= 1:
        return np.clip(coord, _F32(0), top) if length > 1 else np.zeros_like(coord)
    if fill_mode == "reflect":  # [abcd] -> [dcba|abcd|dcba]
        sz2 = _F32(2 * length)
        low = np.trunc(-coord / sz2) * sz2 + coord
        low = np.where(low < -length, low + sz2, -low - _F32(1))
        high = coord - np.trunc(coord / sz2) * sz2
        high = np.where(high >= length, sz2 - high - _F32(1), high)
    else:  # wrap: [abcd] -> [abcd|abcd|abcd], in TensorFlow's arithmetic
        sz = _F32(length - 1)
        low = coord + _F32(length) * (np.trunc(-coord / sz) + _F32(1))
        high = coord - _F32(length) * np.trunc(coord / sz)
    mapped = np.where(coord < 0, low, np.where(coord > top, high, coord))
    return np.clip(mapped, _F32(0), top).astype(_F32)


def affine_transform(images, transforms, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0) -> Tensor:  # fmt: skip
    """Channels-last ``images`` (rank 4) transformed by one 8-vector per image (or one for
    all), as ``keras.ops.image.affine_transform`` with TensorFlow: output pixel ``(x, y)``
    reads the input at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`` with
    ``k = c0 x + c1 y + 1``.

    >>> shift = [1, 0, -1, 0, 1, 0, 0, 0]  # read one pixel to the left: move right by one
    >>> affine_transform(np.arange(3.0).reshape(1, 1, 3, 1), shift).numpy().ravel()
    array([0., 0., 1.], dtype=float32)
    """
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(
            "Expected `interpolation` to be 'nearest' or 'bilinear'. "
            f"Received: interpolation={interpolation!r}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Expected `fill_mode` to be one of {FILL_MODES}. Received: fill_mode={fill_mode!r}"
        )
    images = images if isinstance(images, Tensor) else Tensor(np.asarray(images, _F32))
    n, h, w, _ = images.shape
    t = np.asarray(transforms, _F32).reshape(-1, 8)
    if t.shape[0] not in (1, n):
        raise ValueError(
            f"Expected one transform or one per image ({n}). Received {t.shape[0]} transforms."
        )
    t = np.broadcast_to(t, (n, 8))[:, :, None]
    ys, xs = np.meshgrid(np.arange(h, dtype=_F32), np.arange(w, dtype=_F32), indexing="ij")
    xs, ys = xs.ravel()[None], ys.ravel()[None]
    k = t[:, 6] * xs + t[:, 7] * ys + _F32(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_in = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
        y_in = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    x_in = _map_coordinate(x_in, w, fill_mode)
    y_in = _map_coordinate(y_in, h, fill_mode)
    # other modes map every coordinate into the image (unless a projection is zero somewhere)
    constant = fill_mode == "constant" or not np.all(k != 0)
    if interpolation == "nearest":  # std::round: halves away from zero
        rows = [np.sign(y_in) * np.floor(np.abs(y_in) + _F32(0.5))]
        cols = [np.sign(x_in) * np.floor(np.abs(x_in) + _F32(0.5))]
        parts = [(0, 0, np.ones_like(x_in))]
    else:
        y0, x0 = np.floor(y_in), np.floor(x_in)
        rows, cols = [y0, y0 + 1], [x0, x0 + 1]
        wy, wx = [y0 + 1 - y_in, y_in - y0], [x0 + 1 - x_in, x_in - x0]
        parts = [(i, j, wy[i] * wx[j]) for i in (0, 1) for j in (0, 1)]
    index, weights = [], []
    bias = np.zeros((n, h * w), _F32) if constant else None
    for i, j, weight in parts:
        r, c = rows[i], cols[j]
        if not constant:  # only a zero-weight neighbour past the last pixel can fall outside
            index.append(np.minimum(r, h - 1).astype(np.int64) * w + np.minimum(c, w - 1))
            weights.append(weight)
            continue
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w) & (k != 0)
        weight = np.where(np.isfinite(weight), weight, 0)
        bias += np.where(inside, 0, weight * _F32(fill_value))
        index.append(np.where(inside, r * w + c, 0).astype(np.int64))
        weights.append(np.where(inside, weight, 0))
    if constant:
        bias = np.where(k == 0, _F32(fill_value), bias)  # TF: a zero projection reads fill
    return sample_images(images, np.stack(index, 1), np.stack(weights, 1), bias)
