"""The fused convolution + ReLU + max pooling node against the two nodes it replaces."""

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops import conv_pool
from neuroflow.tensor import Tensor, no_grad
from neuroflow.testing import gradcheck
from tests.ops.test_conv import slow_conv2d
from tests.ops.test_pool import slow_pool

R = np.random.default_rng(11)

# (input hw, channels, kernel, conv strides, padding, dilation, pool); the pool is also the
# pooling stride. Odd sizes leave conv outputs that no window covers.
CASES = [
    ((9, 8), 2, (3, 3), (1, 1), "valid", (1, 1), (2, 2)),
    ((11, 10), 3, (2, 3), (2, 1), "same", (1, 2), (2, 3)),
    ((10, 9), 1, (2, 2), (1, 1), "same", (1, 1), (2, 2)),  # seed 003's layer, small
    ((12, 12), 2, (3, 3), (1, 1), "valid", (1, 1), (3, 3)),
    ((13, 13), 8, (3, 3), (1, 1), "valid", (1, 1), (2, 2)),  # Winograd: seed 002's second
    ((12, 11), 9, (3, 3), (1, 1), "same", (1, 1), (2, 2)),  # Winograd, padded, odd width
]


def both_ways(x, k, b, conv_args, pool, relu):
    """(fused output, two-node output) for the same float64 inputs."""
    strides, padding, dilation = conv_args
    fused = conv_pool.conv2d_max_pool(x, k, b, strides, padding, dilation, relu, pool)
    plain = ops.max_pool2d(ops.conv2d(x, k, b, strides, padding, dilation, relu), pool)
    return fused, plain


def uses_winograd(c, kernel, strides, dilation, pool) -> bool:
    return c >= 8 and (kernel, strides, dilation, pool) == ((3, 3), (1, 1), (1, 1), (2, 2))


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("hw,c,kernel,strides,padding,dilation,pool", CASES)
def test_forward_matches_loops(hw, c, kernel, strides, padding, dilation, pool, relu):
    x, k, b = R.normal(size=(3,) + hw + (c,)), R.normal(size=kernel + (c, 4)), R.normal(size=4)
    args = (strides, padding, dilation, relu, pool)
    out = conv_pool.conv2d_max_pool(Tensor(x), Tensor(k, requires_grad=True), Tensor(b), *args)
    assert out._ctx.winograd == uses_winograd(c, kernel, strides, dilation, pool)
    ref = slow_pool(slow_conv2d(x, k, b, strides, padding, dilation), pool, pool, "valid", "max")
    ref = np.maximum(ref, 0) if relu else ref
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("hw,c,kernel,strides,padding,dilation,pool", CASES)
def test_gradients_match_the_two_nodes(hw, c, kernel, strides, padding, dilation, pool, relu):
    x = R.normal(size=(3,) + hw + (c,))
    x[0, :5, :5] = 0.25  # flat regions: ties inside windows, resolved to the first maximum
    k, b = R.normal(size=kernel + (c, 4)), R.normal(size=4)
    leaves = [[Tensor(a, requires_grad=True) for a in (x, k, b)] for _ in range(2)]
    fused, _ = both_ways(*leaves[0], (strides, padding, dilation), pool, relu)
    _, plain = both_ways(*leaves[1], (strides, padding, dilation), pool, relu)
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-12, atol=1e-12)
    weights = R.normal(size=fused.shape)
    fused.backward(weights)
    plain.backward(weights)
    for ours, theirs in zip(leaves[0], leaves[1]):
        np.testing.assert_allclose(ours.grad, theirs.grad, rtol=1e-10, atol=1e-10)


def test_ties_send_the_gradient_to_the_first_maximum():
    x = Tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)
    k = Tensor(np.ones((1, 1, 1, 1)), requires_grad=True)
    conv_pool.conv2d_max_pool(x, k, pool_size=2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], np.kron(np.ones((2, 2)), [[1, 0], [0, 0]]))


@pytest.mark.parametrize("hw,c,kernel,strides,padding,dilation,pool", CASES)
def test_gradcheck(hw, c, kernel, strides, padding, dilation, pool):
    x, k, b = R.normal(size=(2,) + hw + (c,)), R.normal(size=kernel + (c, 3)), R.normal(size=3)

    def with_bias_and_relu(x, k, b):
        return conv_pool.conv2d_max_pool(x, k, b, strides, padding, dilation, True, pool)

    def plain(x, k):
        return conv_pool.conv2d_max_pool(x, k, None, strides, padding, dilation, False, pool)

    assert gradcheck(with_bias_and_relu, x, k, b)
    assert gradcheck(plain, x, k)


@pytest.mark.parametrize("c", [2, 8])  # the im2col path and the Winograd path
def test_chunks_of_the_batch_give_the_same_result(monkeypatch, c):
    x = R.normal(size=(7, 9, 9, c)).astype(np.float32)
    k, b = R.normal(size=(3, 3, c, 5)).astype(np.float32), np.zeros(5, np.float32)
    g = R.normal(size=(7, 3, 3, 5)).astype(np.float32)

    def run():
        leaves = [Tensor(a, requires_grad=True) for a in (x, k, b)]
        out = conv_pool.conv2d_max_pool(*leaves, relu=True)
        out.backward(g)
        return out, [t.grad for t in leaves]

    whole, whole_grads = run()
    monkeypatch.setattr(conv_pool, "_CHUNK_BYTES", 1)  # one image per chunk
    chunked, chunked_grads = run()
    assert chunked._ctx.step == 1 and whole._ctx.step == 7
    np.testing.assert_allclose(chunked.numpy(), whole.numpy(), rtol=1e-6, atol=1e-6)
    for ours, theirs in zip(chunked_grads, whole_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_inference_keeps_nothing_for_backward():
    x, k = R.normal(size=(2, 8, 8, 8)), R.normal(size=(3, 3, 8, 4))
    with no_grad():
        out = conv_pool.Conv2DMaxPool.apply(Tensor(x), Tensor(k, requires_grad=True))
    assert out._ctx is None
    plain = ops.max_pool2d(ops.conv2d(Tensor(x), Tensor(k)), 2)
    np.testing.assert_allclose(out.numpy(), plain.numpy(), rtol=1e-10, atol=1e-10)


def test_winograd_in_float32_stays_close_to_float64():
    # seed 002's second layer, at the scale of its activations
    x = np.abs(R.normal(size=(16, 13, 13, 32)))
    k = R.uniform(-0.1, 0.1, size=(3, 3, 32, 64))
    exact = conv_pool.conv2d_max_pool(Tensor(x), Tensor(k)).numpy()
    single = conv_pool.conv2d_max_pool(Tensor(x.astype(np.float32)), Tensor(k.astype(np.float32)))
    assert single.dtype == np.float32
    np.testing.assert_allclose(single.numpy(), exact, rtol=1e-5, atol=1e-5 * np.abs(exact).max())


def test_a_pool_larger_than_the_convolution_output_is_refused():
    with pytest.raises(ValueError, match=r"pool_size=\(4, 4\) is larger than the convolution"):
        conv_pool.conv2d_max_pool(
            Tensor(np.zeros((1, 5, 5, 1))), Tensor(np.ones((3, 3, 1, 2))), pool_size=4
        )
