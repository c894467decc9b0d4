import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor
from tests.ops.harness import NO_TORCH_PEER, check_op, torch

R = np.random.default_rng(1)
# keep values away from the kinks at 0 where central differences are undefined
X = R.normal(size=(4, 5))
X[np.abs(X) < 0.05] += 0.2


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_relu():
    check_op(ops.relu, lambda x: np.where(x > 0, x, 0), X, torch_fn=lambda x: x.relu())


@pytest.mark.parametrize("slope", [0.1, 0.2, 0.3])
def test_leaky_relu(slope):
    check_op(
        lambda x: ops.leaky_relu(x, slope),
        lambda x: np.where(x > 0, x, slope * x),
        X,
        torch_fn=lambda x: torch.nn.functional.leaky_relu(x, slope),
    )


def test_elu():
    check_op(
        lambda x: ops.elu(x, 1.5),
        lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1)),
        X,
        torch_fn=lambda x: torch.nn.functional.elu(x, 1.5),
    )


def test_sigmoid_tanh_softplus():
    check_op(ops.sigmoid, _sigmoid, X, torch_fn=lambda x: x.sigmoid())
    check_op(ops.tanh, np.tanh, X, torch_fn=lambda x: x.tanh())
    check_op(
        ops.softplus,
        lambda x: np.log(1 + np.exp(x)),
        X,
        torch_fn=lambda x: torch.nn.functional.softplus(x),
    )


def test_sigmoid_and_softplus_do_not_overflow():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    np.testing.assert_allclose(ops.sigmoid(x).numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(ops.softplus(x).numpy(), [0.0, np.log(2), 1000.0], rtol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax(axis):
    def ref(x):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    check_op(lambda x: ops.softmax(x, axis), ref, X, torch_fn=lambda x: x.softmax(axis))
    check_op(
        lambda x: ops.log_softmax(x, axis),
        lambda x: np.log(ref(x)),
        X,
        torch_fn=lambda x: x.log_softmax(axis),
    )


def test_softmax_is_stable_for_large_logits():
    out = ops.softmax(Tensor(np.array([[1000.0, 1000.0, -1000.0]], dtype=np.float32)))
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.5, 0.0]])


def test_step_outputs_zero_one_and_has_zero_gradient():
    # torch's heaviside has no backward to compare with; the zero gradient is checked below
    check_op(ops.step, lambda x: (x >= 0).astype(float), X, torch_fn=NO_TORCH_PEER)
    x = Tensor(X.copy(), requires_grad=True)
    ops.step(x).sum().backward()
    assert np.all(x.grad == 0)
