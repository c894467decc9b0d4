import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops import nn as nf_ops_nn
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.ops.harness import check_op, torch

R = np.random.default_rng(2)


def _slow_dense(x, w, b=None):
    """The obvious triple loop."""
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    out = np.zeros((flat.shape[0], w.shape[1]))
    for n in range(flat.shape[0]):
        for j in range(w.shape[1]):
            out[n, j] = sum(flat[n, i] * w[i, j] for i in range(w.shape[0]))
            if b is not None:
                out[n, j] += b[j]
    return out.reshape(lead + (w.shape[1],))


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_dense(x_shape):
    x, w, b = R.normal(size=x_shape), R.normal(size=(4, 3)), R.normal(size=(3,))
    check_op(ops.dense, _slow_dense, x, w, b, torch_fn=lambda x, w, b: x @ w + b)
    check_op(lambda x, w: ops.dense(x, w), _slow_dense, x, w, torch_fn=lambda x, w: x @ w)


def _away_from_the_relu_kink(x_shape, seed=4):
    """x, w, b whose pre-activations are all at least 0.05 from zero (central differences are
    undefined at the kink) and of both signs (so the mask matters)."""
    rng = np.random.default_rng(seed)
    while True:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=(4, 3)), rng.normal(size=(3,))
        pre = _slow_dense(x, w, b)
        if np.abs(pre).min() > 0.05 and (pre < 0).mean() > 0.2 and (pre > 0).mean() > 0.2:
            return x, w, b


@pytest.mark.parametrize("x_shape", [(6, 4), (2, 3, 4)], ids=["2d", "3d"])
def test_dense_fused_relu(x_shape):
    # the path of every Dense(activation="relu"): the ReLU is applied in place on the product
    x, w, b = _away_from_the_relu_kink(x_shape)
    check_op(
        lambda x, w, b: ops.dense(x, w, b, relu=True),
        lambda x, w, b: np.maximum(_slow_dense(x, w, b), 0),
        x,
        w,
        b,
        torch_fn=lambda x, w, b: torch.relu(x @ w + b),
    )
    check_op(
        lambda x, w: ops.dense(x, w, relu=True),
        lambda x, w: np.maximum(_slow_dense(x, w), 0),
        x,
        w,
        torch_fn=lambda x, w: torch.relu(x @ w),
    )


class _DenseForgetsTheReluMask(nf_ops_nn.Dense):
    def backward(self, grad):
        self.relu_out = None  # the bug: gradient flows through the units the ReLU zeroed
        return super().backward(grad)


class _DenseAveragesTheBiasGradient(nf_ops_nn.Dense):
    def backward(self, grad):
        dx, dk, db = super().backward(grad)
        return dx, dk, db / grad.reshape(-1, grad.shape[-1]).shape[0]  # the bug: mean, not sum


@pytest.mark.parametrize(
    "wrong,input_index",
    [(_DenseForgetsTheReluMask, "[012]"), (_DenseAveragesTheBiasGradient, "2")],
    ids=["relu-mask-forgotten", "bias-grad-averaged"],
)
def test_gradcheck_catches_a_wrong_backward(wrong, input_index):
    x, w, b = _away_from_the_relu_kink((6, 4))
    with pytest.raises(AssertionError, match=f"Gradient of input {input_index} is wrong"):
        gradcheck(lambda x, w, b: wrong.apply(x, w, b, relu=True), x, w, b)
    # the same inputs pass with the real backward: the failure is the bug's, not the point's
    assert gradcheck(lambda x, w, b: ops.dense(x, w, b, relu=True), x, w, b)


def test_dense_skips_gradient_of_inputs_that_need_none():
    x = Tensor(R.normal(size=(5, 4)))
    w = Tensor(R.normal(size=(4, 3)), requires_grad=True)
    ops.dense(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3)


def test_dropout_scales_kept_units_and_drops_about_rate():
    x = Tensor(np.ones((200, 100), dtype=np.float32), requires_grad=True)
    y = ops.dropout(x, 0.25, np.random.default_rng(0))
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((y.numpy() == 0).mean() - 0.25) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # same mask, same scale


def test_dropout_gradcheck_with_fixed_mask():
    x = R.normal(size=(3, 4))
    # a fresh generator with the same seed inside fn gives the same mask every evaluation
    assert gradcheck(lambda t: ops.dropout(t, 0.5, np.random.default_rng(3)), x)
