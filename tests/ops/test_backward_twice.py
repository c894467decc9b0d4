"""Backward never modifies what forward saved: a second backward over the same graph
gives the same gradients as the first (for every family of primitives)."""

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor

R = np.random.default_rng(9)
LABELS = np.array([2, 0, 1, 2])


def _x(*shape):
    return R.normal(size=shape)


# (name, function of Tensors, input arrays); each output is reduced by fixed weights
CASES = [
    ("add", lambda a, b: a + b, [_x(4, 3), _x(3)]),
    ("sub", lambda a, b: a - b, [_x(4, 3), _x(4, 3)]),
    ("mul", lambda a, b: a * b, [_x(4, 3), _x(4, 3)]),
    ("div", lambda a, b: a / b, [_x(4, 3), _x(4, 3) + 5]),
    ("neg", lambda a: -a, [_x(4, 3)]),
    ("pow", lambda a: a**3, [_x(4, 3)]),
    ("exp", ops.exp, [_x(4, 3)]),
    ("log", ops.log, [np.abs(_x(4, 3)) + 0.5]),
    ("abs", ops.abs, [_x(4, 3)]),
    ("squared_norm", ops.squared_norm, [_x(4, 3)]),
    ("matmul", ops.matmul, [_x(4, 3), _x(3, 2)]),
    ("sum", lambda a: ops.sum(a, axis=1), [_x(4, 3)]),
    ("max", lambda a: ops.max(a, axis=0), [_x(4, 3)]),
    ("reshape", lambda a: ops.reshape(a, (3, 4)), [_x(4, 3)]),
    ("transpose", ops.transpose, [_x(4, 3)]),
    ("getitem", lambda a: a[np.array([0, 0, 2])], [_x(4, 3)]),
    ("concatenate", lambda a, b: ops.concatenate([a, b], axis=0), [_x(4, 3), _x(2, 3)]),
    ("relu", ops.relu, [_x(4, 3)]),
    ("leaky_relu", ops.leaky_relu, [_x(4, 3)]),
    ("elu", ops.elu, [_x(4, 3)]),
    ("sigmoid", ops.sigmoid, [_x(4, 3)]),
    ("tanh", ops.tanh, [_x(4, 3)]),
    ("softplus", ops.softplus, [_x(4, 3)]),
    ("softmax", ops.softmax, [_x(4, 3)]),
    ("log_softmax", ops.log_softmax, [_x(4, 3)]),
    ("step", ops.step, [_x(4, 3)]),
    ("dense", ops.dense, [_x(4, 3), _x(3, 2), _x(2)]),
    ("dense_relu", lambda x, k, b: ops.dense(x, k, b, relu=True), [_x(4, 3), _x(3, 2), _x(2)]),
    ("dropout", lambda a: ops.dropout(a, 0.5, np.random.default_rng(0)), [_x(4, 3)]),
    ("sparse_softmax_ce", lambda z: ops.sparse_softmax_cross_entropy(z, LABELS), [_x(4, 3)]),
    ("softmax_ce", lambda z: ops.softmax_cross_entropy(z, np.eye(3)[LABELS]), [_x(4, 3)]),
    (
        "categorical_ce",
        lambda p: ops.categorical_cross_entropy(p, np.eye(3)[LABELS]),
        [R.uniform(0.1, 1, (4, 3))],
    ),
    ("sigmoid_bce", lambda z: ops.sigmoid_binary_cross_entropy(z, np.eye(3)[LABELS]), [_x(4, 3)]),
    (
        "binary_ce",
        lambda p: ops.binary_cross_entropy(p, np.eye(3)[LABELS]),
        [R.uniform(0.1, 0.9, (4, 3))],
    ),
    ("squared_error", lambda p: ops.squared_error(p, np.ones((4, 3))), [_x(4, 3)]),
    ("absolute_error", lambda p: ops.absolute_error(p, np.ones((4, 3))), [_x(4, 3)]),
    ("conv2d", ops.conv2d, [_x(2, 5, 5, 2), _x(3, 3, 2, 3), _x(3)]),
    (
        "conv2d_relu",
        lambda x, k, b: ops.conv2d(x, k, b, padding="same", relu=True),
        [_x(2, 5, 5, 2), _x(3, 3, 2, 3), _x(3)],
    ),
    ("max_pool2d", lambda x: ops.max_pool2d(x, 2), [_x(2, 4, 4, 2)]),
    ("max_pool2d_overlap", lambda x: ops.max_pool2d(x, 3, 1), [_x(2, 5, 5, 2)]),
    ("avg_pool2d", lambda x: ops.avg_pool2d(x, 2, padding="same"), [_x(2, 5, 5, 2)]),
    ("sum_pool2d", lambda x: ops.sum_pool2d(x, 2), [_x(2, 4, 4, 2)]),
    (
        "conv2d_max_pool",
        lambda x, k, b: ops.conv2d_max_pool(x, k, b, relu=True),
        [_x(2, 6, 6, 2), _x(3, 3, 2, 3), _x(3)],
    ),
    (
        "conv2d_max_pool_winograd",
        lambda x, k, b: ops.conv2d_max_pool(x, k, b, relu=True),
        [_x(2, 6, 6, 8), _x(3, 3, 8, 3), _x(3)],
    ),
]


@pytest.mark.parametrize("fn,arrays", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_second_backward_gives_the_same_gradients(fn, arrays):
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = R.normal(size=out.shape)
    ctx = out._ctx
    first = [None if g is None else g.copy() for g in ctx.backward(weights.copy())]
    second = ctx.backward(weights.copy())
    for i, (g1, g2) in enumerate(zip(first, second)):
        if g1 is not None:
            np.testing.assert_array_equal(g2, g1, err_msg=f"input {i} after a second backward")
    # and through the tape: the leaves' gradients double when backward runs twice
    out.backward(weights)
    once = [t.grad.copy() for t in inputs]
    out.backward(weights)
    for t, g in zip(inputs, once):
        np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-12, atol=1e-12)


def test_sparse_softmax_cross_entropy_gradient_is_p_minus_onehot_both_times():
    # the bug this file was written for: backward subtracted 1 from its saved probabilities
    logits = Tensor(R.normal(size=(4, 3)), requires_grad=True)
    loss = ops.sum(ops.sparse_softmax_cross_entropy(logits, LABELS))
    p = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True)
    expected = p - np.eye(3)[LABELS]
    loss.backward()
    np.testing.assert_allclose(logits.grad, expected, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(logits.grad, 2 * expected, rtol=1e-12)
