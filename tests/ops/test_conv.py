"""Convolution against nested-loop references, gradcheck and PyTorch."""

import itertools

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops.conv import same_padding, transpose_output_size
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import requires_torch
from tests.ops.harness import check_op, torch

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


@pytest.mark.parametrize("padding", ["SAME", "Valid"])
def test_padding_is_read_case_insensitively_like_keras(padding):
    x, k = R.normal(size=(1, 5, 5, 2)), R.normal(size=(3, 3, 2, 1))
    ours = ops.conv2d(Tensor(x), Tensor(k), padding=padding).numpy()
    expected = slow_conv2d(x, k, None, (1, 1), padding.lower(), (1, 1))
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


@pytest.mark.parametrize("padding", ["full", "causal", "", None, 1])
def test_unknown_padding_is_refused_naming_the_argument(padding):
    x, k = np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 2, 1))
    with pytest.raises(ValueError, match=r"`padding`.*'valid' or 'same'.*Received: padding="):
        ops.conv2d(x, k, padding=padding)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("strides", {"strides": 0}),
        ("dilation_rate", {"dilation": (1, 2, 3)}),
        ("strides", {"strides": True}),
    ],
)
def test_bad_strides_or_dilation_are_refused(name, kwargs):
    with pytest.raises(ValueError, match=f"`{name}`"):
        ops.conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 2, 1)), **kwargs)


# ----------------------------------------------------------------- transposed convolution
TRANSPOSE_CASES = [
    # (input hw, kernel, strides, padding, output_padding, dilation)
    ((3, 4), (3, 3), (2, 2), "valid", None, (1, 1)),
    ((3, 4), (3, 2), (2, 3), "same", None, (1, 1)),
    ((3, 3), (2, 2), (3, 3), "valid", None, (1, 1)),  # kernel smaller than stride: zero rows
    ((3, 4), (4, 4), (2, 2), "same", None, (1, 1)),
    ((3, 4), (3, 3), (2, 2), "same", (1, 1), (1, 1)),
    ((3, 4), (3, 3), (3, 2), "valid", (2, 1), (1, 1)),
    ((4, 3), (3, 2), (1, 1), "valid", None, (2, 3)),
]


def slow_conv_transpose2d(x, k, b, strides, padding, output_padding, dilation):
    """Every input pixel spreads kernel * value into the full output, which is then cut to
    Keras's size (the obvious definition, loops over pixels and taps)."""
    kh, kw, f, _ = k.shape
    n, h, w, _ = x.shape
    full = np.zeros((n, (h - 1) * strides[0] + (kh - 1) * dilation[0] + 1 + 8,
                     (w - 1) * strides[1] + (kw - 1) * dilation[1] + 1 + 8, f))  # fmt: skip
    for i, j, a, bb in itertools.product(range(h), range(w), range(kh), range(kw)):
        full[:, i * strides[0] + a * dilation[0], j * strides[1] + bb * dilation[1]] += (
            x[:, i, j] @ k[a, bb].T
        )
    out_hw, starts = [], []
    for axis, (size, kern) in enumerate(zip((h, w), (kh, kw))):
        op = None if output_padding is None else output_padding[axis]
        o = transpose_output_size(size, kern, strides[axis], padding, op, dilation[axis])
        extent = (kern - 1) * dilation[axis] + 1
        total = max((size - 1) * strides[axis] + extent - o, 0)
        out_hw.append(o)
        starts.append(total // 2 if padding == "same" else 0)
    out = full[:, starts[0] : starts[0] + out_hw[0], starts[1] : starts[1] + out_hw[1]]
    return out + (0 if b is None else b)


@pytest.mark.parametrize("hw,kernel,strides,padding,output_padding,dilation", TRANSPOSE_CASES)
def test_conv_transpose2d_against_loops_gradcheck_and_torch(
    hw, kernel, strides, padding, output_padding, dilation
):
    x = R.normal(size=(2,) + hw + (3,))
    k = R.normal(size=kernel + (4, 3))
    b = R.normal(size=4)
    args = (strides, padding, output_padding, dilation)

    def ours(x, k, b):
        return ops.conv_transpose2d(x, k, b, *args)

    def with_torch(x, k, b):
        # torch gives the full result; Keras's output is a window of it, padded with zeros
        full = torch.nn.functional.conv_transpose2d(
            x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), stride=strides, dilation=dilation
        )
        ref = slow_conv_transpose2d(np.zeros(x.shape), np.zeros(k.shape), None, *args)
        top, left = _transpose_starts(hw, kernel, *args)
        full = torch.nn.functional.pad(full, (0, 8, 0, 8))
        out = full[:, :, top : top + ref.shape[1], left : left + ref.shape[2]]
        return out.permute(0, 2, 3, 1) + b

    check_op(
        ours,
        lambda x, k, b: slow_conv_transpose2d(x, k, b, *args),
        x,
        k,
        b,
        torch_fn=with_torch,
        atol=1e-10,
    )


def _transpose_starts(hw, kernel, strides, padding, output_padding, dilation):
    starts = []
    for axis in range(2):
        op = None if output_padding is None else output_padding[axis]
        o = transpose_output_size(
            hw[axis], kernel[axis], strides[axis], padding, op, dilation[axis]
        )
        extent = (kernel[axis] - 1) * dilation[axis] + 1
        total = max((hw[axis] - 1) * strides[axis] + extent - o, 0)
        starts.append(total // 2 if padding == "same" else 0)
    return starts


def test_conv_transpose2d_many_channels_takes_the_strided_im2col_path():
    # >= 8 output filters: the backward im2col uses the as_strided copy instead of blocks
    x, k = R.normal(size=(2, 3, 3, 2)), R.normal(size=(3, 3, 9, 2))
    assert gradcheck(lambda x, k: ops.conv_transpose2d(x, k, strides=2, padding="same"), x, k)


def test_conv_transpose2d_refuses_a_kernel_of_the_wrong_layout():
    with pytest.raises(ValueError, match=r"\(kh, kw, filters, c\).*\(3, 3, 3, 4\)"):
        ops.conv_transpose2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 4)))
