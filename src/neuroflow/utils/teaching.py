"""Small worked examples for the classroom: one kernel on one image, one pooling on one matrix.

>>> import numpy as np
>>> m = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]])
>>> pool(m, 2, "max")
array([[ 20.,  30.],
       [112.,  37.]])
>>> pool(m, 2, "average")
array([[13. ,  8. ],
       [79. , 19.5]])
"""

from __future__ import annotations

import numpy as np

from neuroflow import ops
from neuroflow.tensor import Tensor, no_grad


def _as_image(matrix, name: str) -> np.ndarray:
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"Expected `{name}` to be a 2-D matrix. Received shape {array.shape}.")
    return array


def apply_kernel(image, kernel, padding: str = "valid", stride: int = 1) -> np.ndarray:
    """Slides ``kernel`` over ``image`` (cross-correlation, as a Conv2D layer computes it).

    Each output value is the sum of the kernel times the pixels under it.
    """
    img, ker = _as_image(image, "image"), _as_image(kernel, "kernel")
    with no_grad():
        out = ops.conv2d(
            Tensor(img[None, :, :, None]),
            Tensor(ker[:, :, None, None]),
            strides=stride,
            padding=padding,
        )
    return out.numpy()[0, :, :, 0]


def kernel_at(image, kernel, row: int, col: int) -> float:
    """The kernel's response with its centre on pixel (row, col): one step of the slide."""
    img, ker = _as_image(image, "image"), _as_image(kernel, "kernel")
    kh, kw = ker.shape
    top, left = row - kh // 2, col - kw // 2
    if top < 0 or left < 0 or top + kh > img.shape[0] or left + kw > img.shape[1]:
        raise ValueError(f"A {kh}x{kw} kernel centred on ({row}, {col}) leaves the image.")
    return float((img[top : top + kh, left : left + kw] * ker).sum())


def pool(matrix, size: int = 2, mode: str = "max", stride: int | None = None) -> np.ndarray:
    """Max, average or sum pooling of a matrix over ``size x size`` windows."""
    fns = {
        "max": ops.max_pool2d,
        "average": ops.avg_pool2d,
        "avg": ops.avg_pool2d,
        "sum": ops.sum_pool2d,
    }
    if mode not in fns:
        raise ValueError(f"Expected `mode` in max, average, sum. Received: mode={mode!r}")
    with no_grad():
        out = fns[mode](Tensor(_as_image(matrix, "matrix")[None, :, :, None]), size, stride)
    return out.numpy()[0, :, :, 0]
