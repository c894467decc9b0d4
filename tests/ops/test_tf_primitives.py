"""The primitives added for TensorFlow's functions (min, prod, square, sqrt, sign, pow with a
tensor exponent, floor modulo, divide_no_nan, batched matmul, cast, stack, gather, tile,
where): forward against NumPy written the obvious way, float64 gradcheck, and PyTorch."""

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops import array as A
from tests.ops.harness import check_op, torch

R = np.random.default_rng(5)
X = R.normal(size=(3, 4))


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_min(axis):
    check_op(
        lambda x: ops.min(x, axis=axis),
        lambda x: np.min(x, axis=axis),
        X,
        torch_fn=lambda x: torch.amin(x, dim=axis if axis is not None else (0, 1)),
    )


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_prod(axis, keepdims):
    x = R.uniform(0.5, 1.5, size=(2, 3, 4)) * np.where(R.random((2, 3, 4)) < 0.5, 1, -1)
    dims = axis if axis is not None else (0, 1, 2)
    check_op(
        lambda x: ops.prod(x, axis=axis, keepdims=keepdims),
        lambda x: np.prod(x, axis=axis, keepdims=keepdims),
        x,
        torch_fn=lambda x: _torch_prod(x, dims, keepdims),
    )


def _torch_prod(x, dims, keepdims):
    for d in sorted(np.atleast_1d(dims) % x.ndim, reverse=True):
        x = torch.prod(x, dim=int(d), keepdim=keepdims)
    return x


def test_prod_gradient_with_zeros_needs_no_division():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0]])
    t = ops.as_tensor(x)
    t.requires_grad = True
    ops.prod(t, axis=1).backward(np.ones(2))
    np.testing.assert_array_equal(t.grad, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_square_sqrt_sign():
    check_op(ops.square, np.square, X, torch_fn=torch.square)
    check_op(ops.sqrt, np.sqrt, np.abs(X) + 0.1, torch_fn=torch.sqrt)
    check_op(ops.sign, np.sign, X, torch_fn=torch.sign)


def test_pow_with_a_tensor_exponent():
    base = np.abs(X) + 0.2
    check_op(ops.pow, np.power, base, R.normal(size=(4,)), torch_fn=torch.pow)
    check_op(lambda y: ops.pow(2.0, y), lambda y: 2.0**y, X, torch_fn=lambda y: 2.0**y)


def test_mod():
    y = R.uniform(0.5, 2.0, size=(4,))
    check_op(ops.mod, np.mod, X * 3, y, torch_fn=torch.remainder)


def test_divide_no_nan():
    y = R.normal(size=(3, 4))
    y[0, :2] = 0.0
    # torch has no divide_no_nan; its where() form is the same function
    check_op(
        ops.divide_no_nan,
        lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b)),
        X,
        y,
        wrt=[0],  # central differences in y jump across y == 0
        torch_fn=lambda a, b: torch.where(b == 0, 0.0, a / torch.where(b == 0, 1.0, b)),
    )
    nonzero = np.abs(y) + 0.5
    check_op(ops.divide_no_nan, np.divide, X, nonzero, torch_fn=lambda a, b: a / b)


@pytest.mark.parametrize("a,b", [((2, 1, 3, 4), (5, 4, 2)), ((3, 2, 4), (4, 3))])
def test_batched_matmul(a, b):
    check_op(ops.matmul, np.matmul, R.normal(size=a), R.normal(size=b), torch_fn=torch.matmul)


def test_matmul_transposes():
    a, b = R.normal(size=(4, 3)), R.normal(size=(2, 4))
    check_op(
        lambda x, y: ops.matmul(x, y, transpose_a=True, transpose_b=True),
        lambda x, y: x.T @ y.T,
        a,
        b,
        torch_fn=lambda x, y: x.T @ y.T,
    )


def test_cast_between_floats_casts_the_gradient_back():
    # a float32 round trip is too coarse for central differences: the backward is checked
    # directly (it is the identity, cast to the input's dtype)
    x = ops.as_tensor(X)
    x.requires_grad = True
    y = A.cast(x, "float32")
    assert y.dtype == "float32"
    (y * ops.as_tensor(np.float32(3.0))).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, np.full(X.shape, 3.0))


def test_cast_to_integers_is_not_differentiable():
    x = ops.as_tensor(X)
    x.requires_grad = True
    assert not A.cast(x, "int32").requires_grad


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack(axis):
    check_op(
        lambda x, y: A.stack([x, y], axis=axis),
        lambda x, y: np.stack([x, y], axis=axis),
        X,
        X * 2,
        torch_fn=lambda x, y: torch.stack([x, y], dim=axis),
    )


@pytest.mark.parametrize("axis", [0, 1])
def test_gather_accumulates_repeated_indices(axis):
    idx = np.array([[2, 0], [2, 2]])
    check_op(
        lambda x: A.gather(x, idx, axis=axis),
        lambda x: np.take(x, idx, axis=axis),
        X,
        torch_fn=lambda x: x[torch.as_tensor(idx)] if axis == 0 else x[:, torch.as_tensor(idx)],
    )


def test_tile():
    check_op(
        lambda x: A.tile(x, [2, 3]),
        lambda x: np.tile(x, (2, 3)),
        X,
        torch_fn=lambda x: x.repeat(2, 3),
    )


def test_where_select():
    cond = R.random((3, 4)) < 0.5
    check_op(
        lambda x, y: A.where(cond, x, y),
        lambda x, y: np.where(cond, x, y),
        X,
        R.normal(size=(4,)),
        torch_fn=lambda x, y: torch.where(torch.as_tensor(cond), x, y),
    )


def test_relu6():
    x = R.uniform(-3, 9, size=(3, 4))
    check_op(ops.relu6, lambda x: np.clip(x, 0, 6), x, torch_fn=torch.nn.functional.relu6)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_cross_entropy_with_logits(axis):
    logits = R.normal(size=(3, 4))
    labels = np.exp(R.normal(size=(3, 4)))
    labels /= labels.sum(axis=axis, keepdims=True)  # TensorFlow's logits gradient assumes it

    def slow(z, y):
        shifted = z - z.max(axis=axis, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return -(y * logp).sum(axis=axis)

    check_op(
        lambda z, y: ops.softmax_cross_entropy_with_logits(y, z, axis=axis),
        slow,
        logits,
        labels,
        wrt=[0],  # moving the labels off a distribution leaves TensorFlow's formula
        torch_fn=lambda z, y: torch.nn.functional.cross_entropy(
            z.movedim(axis, -1), y.movedim(axis, -1), reduction="none"
        ),
    )


def test_softmax_cross_entropy_labels_gradient():
    logits, labels = R.normal(size=(3, 4)), R.uniform(size=(3, 4))
    check_op(
        lambda y: ops.softmax_cross_entropy_with_logits(y, ops.as_tensor(logits)),
        lambda y: -(y * (logits - np.log(np.exp(logits).sum(-1, keepdims=True)))).sum(-1),
        labels,
        torch_fn=lambda y: -(y * torch.log_softmax(torch.as_tensor(logits), -1)).sum(-1),
    )


def test_sigmoid_cross_entropy_with_logits():
    check_op(
        lambda x, z: ops.sigmoid_cross_entropy_with_logits(z, x),
        lambda x, z: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x))),
        R.normal(size=(3, 4)) * 3,
        R.uniform(size=(3, 4)),
        torch_fn=lambda x, z: torch.nn.functional.binary_cross_entropy_with_logits(
            x, z, reduction="none"
        ),
    )
