"""Pooling (max, average, sum, global) against nested-loop references, gradcheck and PyTorch."""

import itertools

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import requires_torch
from tests.ops.test_conv import pad_like_tf

R = np.random.default_rng(6)


def slow_pool(x, pool, strides, padding, mode):
    fill = -np.inf if mode == "max" else 0.0
    xp = pad_like_tf(x, pool[0], pool[1], strides, (1, 1), padding, fill)
    ones = pad_like_tf(np.ones_like(x), pool[0], pool[1], strides, (1, 1), padding)
    oh = (xp.shape[1] - pool[0]) // strides[0] + 1
    ow = (xp.shape[2] - pool[1]) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i, j in itertools.product(range(oh), range(ow)):
        rows = slice(i * strides[0], i * strides[0] + pool[0])
        cols = slice(j * strides[1], j * strides[1] + pool[1])
        win = xp[:, rows, cols, :]
        if mode == "max":
            out[:, i, j] = win.max(axis=(1, 2))
        elif mode == "sum":
            out[:, i, j] = win.sum(axis=(1, 2))
        else:
            out[:, i, j] = win.sum(axis=(1, 2)) / ones[:, rows, cols, :].sum(axis=(1, 2))
    return out


POOL_CASES = [
    ((6, 6), (2, 2), (2, 2), "valid"),
    ((7, 5), (2, 2), (2, 2), "valid"),  # odd sizes: the last row/column is dropped
    ((7, 7), (3, 3), (2, 2), "valid"),  # overlapping windows
    ((5, 7), (2, 3), (2, 2), "same"),
    ((5, 5), (3, 3), (1, 1), "same"),
]


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
@pytest.mark.parametrize("hw,pool,strides,padding", POOL_CASES)
def test_pooling_forward_and_gradcheck(mode, hw, pool, strides, padding):
    fn = {"max": ops.max_pool2d, "avg": ops.avg_pool2d, "sum": ops.sum_pool2d}[mode]
    x = R.normal(size=(2,) + hw + (3,))
    ours = fn(Tensor(x), pool, strides, padding).numpy()
    np.testing.assert_allclose(ours, slow_pool(x, pool, strides, padding, mode), rtol=1e-10)
    assert gradcheck(lambda t: fn(t, pool, strides, padding), x)


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = Tensor(np.zeros((1, 2, 2, 1)), requires_grad=True)  # all tied, as after a ReLU
    ops.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])


@requires_torch
def test_pooling_matches_torch():
    import torch
    import torch.nn.functional as F

    x = R.normal(size=(2, 7, 7, 3))
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    for ours_fn, ref_fn in ((ops.max_pool2d, F.max_pool2d), (ops.avg_pool2d, F.avg_pool2d)):
        ours = ours_fn(Tensor(x), 3, 2).numpy()
        ref = ref_fn(xt, 3, 2).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-10)


@pytest.mark.parametrize("fn", [ops.max_pool2d, ops.avg_pool2d, ops.sum_pool2d])
def test_padding_is_read_case_insensitively_like_keras(fn):
    x = R.normal(size=(1, 5, 5, 2))
    np.testing.assert_array_equal(
        fn(x, 2, padding="SAME").numpy(), fn(x, 2, padding="same").numpy()
    )
    assert fn(x, 2, padding="SAME").shape == (1, 3, 3, 2)  # valid padding would give 2x2


@pytest.mark.parametrize("fn", [ops.max_pool2d, ops.avg_pool2d, ops.sum_pool2d])
@pytest.mark.parametrize("padding", ["full", "causal", None])
def test_unknown_padding_is_refused(fn, padding):
    with pytest.raises(ValueError, match=r"`padding`.*Received: padding="):
        fn(np.zeros((1, 4, 4, 1)), 2, padding=padding)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"pool_size": 0}, "pool_size"),
        ({"strides": 0}, "strides"),
        ({"pool_size": (2, 2, 2)}, "pool_size"),
    ],
)
def test_bad_pool_size_or_strides_are_refused(kwargs, name):
    # strides=0 used to fall back silently to the pool size
    with pytest.raises(ValueError, match=f"`{name}`"):
        ops.max_pool2d(np.zeros((1, 4, 4, 1)), **kwargs)


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_reduces_height_and_width(keepdims):
    x = R.normal(size=(2, 3, 4, 5))
    for fn, ref in ((ops.global_avg_pool2d, np.mean), (ops.global_max_pool2d, np.max)):
        out = fn(Tensor(x), keepdims=keepdims).numpy()
        np.testing.assert_allclose(out, ref(x, axis=(1, 2), keepdims=keepdims), atol=1e-12)
        assert gradcheck(lambda t, fn=fn: fn(t, keepdims=keepdims), x)
