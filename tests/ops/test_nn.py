import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor
from tests.ops.harness import check_op

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
    from neuroflow.testing import gradcheck

    # a fresh generator with the same seed inside fn gives the same mask every evaluation
    assert gradcheck(lambda t: ops.dropout(t, 0.5, np.random.default_rng(3)), x)
