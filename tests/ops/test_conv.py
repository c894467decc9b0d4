"""Convolution and pooling against nested-loop references, gradcheck and PyTorch."""

import itertools

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops.conv import same_padding
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import requires_torch

R = np.random.default_rng(5)


def pad_like_tf(x, kh, kw, strides, dilation, padding, value=0.0):
    if padding == "valid":
        return x
    pads = [same_padding(x.shape[1 + i], (kh, kw)[i], strides[i], dilation[i]) for i in range(2)]
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def slow_conv2d(x, k, b, strides, padding, dilation):
    """Four nested loops over output pixels and kernel taps: the obvious definition."""
    kh, kw, c, f = k.shape
    xp = pad_like_tf(x, kh, kw, strides, dilation, padding)
    oh = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, f))
    for i, j in itertools.product(range(oh), range(ow)):
        for a, bb in itertools.product(range(kh), range(kw)):
            pix = xp[:, i * strides[0] + a * dilation[0], j * strides[1] + bb * dilation[1], :]
            out[:, i, j, :] += pix @ k[a, bb]
    return out + (0 if b is None else b)


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


CONV_CASES = [
    # (input hw, kernel, strides, padding, dilation)
    ((7, 7), (3, 3), (1, 1), "valid", (1, 1)),
    ((7, 6), (3, 2), (2, 1), "valid", (1, 1)),
    ((5, 5), (3, 3), (1, 1), "same", (1, 1)),
    ((6, 7), (2, 2), (1, 1), "same", (1, 1)),  # even kernel: asymmetric same padding
    ((7, 8), (3, 3), (2, 3), "same", (1, 1)),
    ((9, 9), (3, 3), (1, 1), "valid", (2, 2)),
    ((8, 7), (2, 3), (1, 1), "same", (2, 1)),
]


@pytest.mark.parametrize("hw,kernel,strides,padding,dilation", CONV_CASES)
def test_conv2d_forward_matches_loops(hw, kernel, strides, padding, dilation):
    x = R.normal(size=(2,) + hw + (3,))
    k = R.normal(size=kernel + (3, 4))
    b = R.normal(size=4)
    ours = ops.conv2d(Tensor(x), Tensor(k), Tensor(b), strides, padding, dilation).numpy()
    np.testing.assert_allclose(
        ours, slow_conv2d(x, k, b, strides, padding, dilation), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("hw,kernel,strides,padding,dilation", CONV_CASES)
def test_conv2d_gradcheck(hw, kernel, strides, padding, dilation):
    x = R.normal(size=(2,) + hw + (2,))
    k = R.normal(size=kernel + (2, 3))
    b = R.normal(size=3)
    assert gradcheck(lambda x, k, b: ops.conv2d(x, k, b, strides, padding, dilation), x, k, b)


def test_conv2d_matches_scipy_correlate():
    signal = pytest.importorskip("scipy.signal")
    x = R.normal(size=(1, 9, 8, 1))
    k = R.normal(size=(3, 2, 1, 1))
    ours = ops.conv2d(Tensor(x), Tensor(k)).numpy()[0, :, :, 0]
    np.testing.assert_allclose(
        ours, signal.correlate(x[0, :, :, 0], k[:, :, 0, 0], "valid"), rtol=1e-10
    )


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
@pytest.mark.parametrize("hw,kernel,strides,padding,dilation", CONV_CASES)
def test_conv2d_matches_torch(hw, kernel, strides, padding, dilation):
    import torch
    import torch.nn.functional as F

    x = R.normal(size=(2,) + hw + (3,))
    k = R.normal(size=kernel + (3, 4))
    xt = torch.tensor(pad_like_tf(x, *kernel, strides, dilation, padding)).permute(0, 3, 1, 2)
    xt.requires_grad_(True)
    kt = torch.tensor(k).permute(3, 2, 0, 1).requires_grad_(True)
    ref = F.conv2d(xt, kt, stride=strides, dilation=dilation).permute(0, 2, 3, 1)
    xn, kn = Tensor(x, requires_grad=True), Tensor(k, requires_grad=True)
    ours = ops.conv2d(xn, kn, None, strides, padding, dilation)
    np.testing.assert_allclose(ours.numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-9)
    w = R.normal(size=ours.shape)
    ours.backward(w)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(kn.grad, kt.grad.permute(2, 3, 1, 0).numpy(), rtol=1e-9)


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
