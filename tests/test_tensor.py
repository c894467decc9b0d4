import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor, Variable, no_grad


def test_reused_node_accumulates_gradient():
    x = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    y = x * x + x  # x used three times
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.numpy() + 1)


def test_grad_is_none_until_backward_and_accumulates_across_calls():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert x.grad is None
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_deep_chain_does_not_hit_recursion_limit():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


def test_backward_is_deterministic():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 50)).astype(np.float32)

    def grad():
        x = Tensor(a.copy(), requires_grad=True)
        h = ops.tanh(x @ x)
        (h * h + ops.sigmoid(h) @ x).sum().backward()
        return x.grad

    np.testing.assert_array_equal(grad(), grad())


def test_no_grad_records_nothing():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and y._ctx is None


def test_backward_errors_are_clear():
    with pytest.raises(ValueError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="only for a tensor with one element"):
        (x * 2).backward()


def test_dtypes_float32_by_default_float64_kept():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(3.5).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64
    # a Python scalar does not promote a float32 computation to float64
    assert (Tensor(np.ones(2, np.float32)) * Tensor(0.5)).dtype == np.float32
    with pytest.raises(TypeError, match="numeric"):
        Tensor(np.array(["a", "b"]))


def test_operators_and_numpy_interop():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    np.testing.assert_allclose((1 - x).numpy(), [0.0, -1.0])
    np.testing.assert_allclose((2 / x).numpy(), [2.0, 1.0])
    np.testing.assert_allclose(np.asarray(x**2), [1.0, 4.0])
    assert np.argmax(x) == 1
    assert "shape=(2,)" in str(x) and "Tensor" in repr(x)


def test_variable_assign_checks_shape():
    v = Variable(np.zeros((2, 2)), name="kernel")
    v.assign(np.ones((2, 2)))
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"'kernel'.*variable shape \(2, 2\).*value shape \(3,\)"):
        v.assign(np.ones(3))


def test_numpy_reads_a_reduced_scalar_tensor():
    from neuroflow import ops

    value = ops.mean(Tensor(np.ones((3, 2), np.float32)))
    array = np.asarray(value)
    assert isinstance(array, np.ndarray) and array.shape == () and float(array) == 1.0
    assert np.asarray(Tensor([1.0, 2.0]), dtype=np.float64).dtype == np.float64
