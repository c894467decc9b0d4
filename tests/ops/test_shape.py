"""Shape primitives (pad, crop, repeat, resample, maximum, minimum, bmm): forward against
NumPy written the obvious way, gradcheck, and PyTorch."""

import numpy as np
import pytest

from neuroflow.ops import shape as S
from neuroflow.tensor import Tensor
from tests.ops.harness import check_op, torch

R = np.random.default_rng(11)


def _slow_pad(x, widths):
    out = np.zeros(tuple(n + a + b for n, (a, b) in zip(x.shape, widths)))
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths))] = x
    return out


def _torch_pad(widths):
    flat = [v for pair in reversed(widths) for v in pair]  # torch lists the last axis first
    return lambda x: torch.nn.functional.pad(x, flat)


@pytest.mark.parametrize("widths", [((0, 0), (1, 2), (0, 3)), ((2, 0), (0, 0), (1, 1))])
def test_pad(widths):
    x = R.normal(size=(2, 3, 4))
    check_op(
        lambda x: S.pad(x, widths), lambda x: _slow_pad(x, widths), x, torch_fn=_torch_pad(widths)
    )


@pytest.mark.parametrize("crops", [((0, 0), (1, 2), (0, 3)), ((1, 0), (0, 0), (2, 1))])
def test_crop(crops):
    x = R.normal(size=(2, 5, 6))

    def slow(x):
        return x[tuple(slice(a, n - b) for n, (a, b) in zip(x.shape, crops))]

    # torch.narrow is the same slice: crop each axis in turn
    def with_torch(x):
        for axis, (a, b) in enumerate(crops):
            x = x.narrow(axis, a, x.shape[axis] - a - b)
        return x

    check_op(lambda x: S.crop(x, crops), slow, x, torch_fn=with_torch)


def test_pad_and_crop_refuse_bad_widths():
    with pytest.raises(ValueError, match=r"`pad_width`.*Received: pad_width=\(\(0, 1\),\)"):
        S.pad(np.zeros((2, 3)), ((0, 1),))
    with pytest.raises(ValueError, match=r"`crops`"):
        S.crop(np.zeros((2, 3)), ((0, -1), (0, 0)))
    with pytest.raises(ValueError, match=r"more than the axis holds"):
        S.crop(np.zeros((2, 3)), ((0, 0), (2, 2)))


@pytest.mark.parametrize("axis,repeats", [(1, 3), (-1, 2), (0, 1)])
def test_repeat(axis, repeats):
    x = R.normal(size=(2, 3, 4))
    check_op(
        lambda x: S.repeat(x, repeats, axis),
        lambda x: np.stack([x] * repeats, axis=axis % 3 + 1).reshape(
            tuple(n * repeats if i == axis % 3 else n for i, n in enumerate(x.shape))
        ),
        x,
        torch_fn=lambda x: torch.repeat_interleave(x, repeats, dim=axis),
    )


def test_repeat_refuses_a_bad_count():
    with pytest.raises(ValueError, match=r"`repeats`.*Received: repeats=0"):
        S.repeat(np.zeros((2, 3)), 0, 1)


@pytest.mark.parametrize("axis", [1, 2])
def test_resample(axis):
    x = R.normal(size=(2, 3, 4, 2))
    weights = R.normal(size=(5, x.shape[axis]))

    def slow(x):
        out = np.zeros(x.shape[:axis] + (5,) + x.shape[axis + 1 :])
        for i in range(5):
            for j in range(x.shape[axis]):
                index_out = (slice(None),) * axis + (i,)
                index_in = (slice(None),) * axis + (j,)
                out[index_out] += weights[i, j] * x[index_in]
        return out

    check_op(
        lambda x: S.resample(x, weights, axis),
        slow,
        x,
        torch_fn=lambda x: torch.movedim(
            torch.movedim(x, axis, -1) @ torch.tensor(weights).T, -1, axis
        ),
    )


def test_bilinear_weights_match_torch_half_pixel_interpolation():
    # torch's bilinear with align_corners=False is TensorFlow's half_pixel_centers resize
    x = R.normal(size=(1, 1, 3, 4))
    ours = np.einsum("ij,ncjk,lk->ncil", S.bilinear_weights(3, 2, np.float64), x,
                     S.bilinear_weights(4, 3, np.float64))  # fmt: skip
    ref = torch.nn.functional.interpolate(
        torch.tensor(x), scale_factor=(2, 3), mode="bilinear", align_corners=False
    )
    np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-12, atol=1e-12)


def _far_apart(shape_a, shape_b):
    """Inputs with no near-ties, where the max/min gradient is not defined."""
    while True:
        a, b = R.normal(size=shape_a), R.normal(size=shape_b)
        if np.abs(a - b).min() > 1e-3:
            return a, b


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((2, 3, 4), (4,))])
def test_maximum_and_minimum(shapes):
    a, b = _far_apart(*shapes)
    check_op(S.maximum, np.maximum, a, b, torch_fn=torch.maximum)
    check_op(S.minimum, np.minimum, a, b, torch_fn=torch.minimum)


def test_maximum_ties_send_the_gradient_to_the_first_input_like_tensorflow():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 3.0], requires_grad=True)
    S.maximum(a, b).backward(np.ones(2))
    np.testing.assert_array_equal(a.grad, [1, 0])
    np.testing.assert_array_equal(b.grad, [0, 1])
    a.grad = b.grad = None
    S.minimum(a, b).backward(np.ones(2))
    np.testing.assert_array_equal(a.grad, [1, 1])
    np.testing.assert_array_equal(b.grad, [0, 0])


def test_bmm():
    a, b = R.normal(size=(3, 2, 4)), R.normal(size=(3, 4, 5))

    def slow(a, b):
        return np.stack([a[n] @ b[n] for n in range(a.shape[0])])

    check_op(S.bmm, slow, a, b, torch_fn=torch.bmm)


def test_bmm_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(n, i, j\).*\(3, 2, 4\) and \(3, 5, 5\)"):
        S.bmm(np.zeros((3, 2, 4)), np.zeros((3, 5, 5)))
