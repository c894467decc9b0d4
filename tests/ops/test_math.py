import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor
from tests.ops.harness import check_op, torch

R = np.random.default_rng(0)
A, B = R.normal(size=(3, 4)), R.normal(size=(3, 4))
ROW = R.normal(size=(1, 4))
COL = R.normal(size=(3, 1))


@pytest.mark.parametrize("b", [B, ROW, COL, R.normal(size=(4,))], ids=["same", "row", "col", "1d"])
def test_add_broadcasts(b):
    check_op(ops.add, np.add, A, b, torch_fn=lambda x, y: x + y)


@pytest.mark.parametrize("b", [B, ROW, COL], ids=["same", "row", "col"])
def test_sub(b):
    check_op(ops.sub, np.subtract, A, b, torch_fn=lambda x, y: x - y)


@pytest.mark.parametrize("b", [B, ROW, COL], ids=["same", "row", "col"])
def test_mul(b):
    check_op(ops.mul, np.multiply, A, b, torch_fn=lambda x, y: x * y)


def test_div():
    denom = np.abs(B) + 0.5
    check_op(ops.div, np.divide, A, denom, torch_fn=lambda x, y: x / y)


def test_neg_exp_log_abs():
    check_op(ops.neg, np.negative, A, torch_fn=lambda x: -x)
    check_op(ops.exp, np.exp, A, torch_fn=lambda x: x.exp())
    check_op(ops.log, np.log, np.abs(A) + 0.1, torch_fn=lambda x: x.log())
    check_op(ops.abs, np.abs, A + 0.05, torch_fn=lambda x: x.abs())


def test_pow():
    check_op(lambda x: ops.pow(x, 3), lambda x: x**3, A, torch_fn=lambda x: x**3)


def test_squared_norm():
    check_op(ops.squared_norm, lambda x: np.sum(x * x), A, torch_fn=lambda x: (x * x).sum())


def test_matmul():
    b = R.normal(size=(4, 5))
    check_op(
        ops.matmul, lambda x, y: np.einsum("ij,jk->ik", x, y), A, b, torch_fn=lambda x, y: x @ y
    )


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_sum_and_mean(axis, keepdims):
    dim = () if axis is None else axis  # torch reduces over every axis for dim=()
    check_op(
        lambda x: ops.sum(x, axis, keepdims),
        lambda x: np.sum(x, axis, keepdims=keepdims),
        A,
        torch_fn=lambda x: x.sum(dim=dim, keepdim=keepdims),
    )
    check_op(
        lambda x: ops.mean(x, axis, keepdims),
        lambda x: np.mean(x, axis, keepdims=keepdims),
        A,
        torch_fn=lambda x: x.mean(dim=dim, keepdim=keepdims),
    )


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_max(axis):
    check_op(
        lambda x: ops.max(x, axis),
        lambda x: np.max(x, axis),
        A,
        torch_fn=lambda x: x.amax(dim=() if axis is None else axis),
    )


def test_max_splits_ties_evenly():
    x = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    ops.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5]])


def test_reshape_transpose_getitem_concatenate():
    check_op(
        lambda x: ops.reshape(x, (4, 3)),
        lambda x: x.reshape(4, 3),
        A,
        torch_fn=lambda x: x.reshape(4, 3),
    )
    check_op(lambda x: ops.transpose(x), lambda x: x.T, A, torch_fn=lambda x: x.T)
    x3 = R.normal(size=(2, 3, 4))
    check_op(
        lambda x: ops.transpose(x, (2, 0, 1)),
        lambda x: x.transpose(2, 0, 1),
        x3,
        torch_fn=lambda x: x.permute(2, 0, 1),
    )
    check_op(
        lambda x: ops.getitem(x, (slice(1, 3), [0, 0, 2])),
        lambda x: x[1:3, [0, 0, 2]],
        A,
        torch_fn=lambda x: x[1:3, [0, 0, 2]],  # the repeated index must add its gradient twice
    )
    check_op(
        lambda a, b: ops.concatenate([a, b], axis=0),
        lambda a, b: np.concatenate([a, b]),
        A,
        B,
        torch_fn=lambda a, b: torch.cat([a, b], dim=0),
    )


def test_unbroadcast_sums_stretched_and_added_axes():
    g = np.ones((2, 3, 4))
    np.testing.assert_array_equal(ops.unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(ops.unbroadcast(g, (4,)), np.full((4,), 6.0))
    assert ops.unbroadcast(g, (2, 3, 4)) is g
