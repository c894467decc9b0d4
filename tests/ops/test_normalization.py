import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops import normalization as nf_norm
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.ops.harness import check_op, torch

R = np.random.default_rng(5)


def _slow_batch_norm(x, gamma, beta, axis, eps, mean=None, var=None):
    """Loops over the features: each one's values gathered and normalized on their own."""
    moved = np.moveaxis(x, axis, -1)
    out = np.empty_like(moved)
    for c in range(moved.shape[-1]):
        values = moved[..., c]
        m = values.mean() if mean is None else mean[c]
        v = ((values - values.mean()) ** 2).mean() if var is None else var[c]
        out[..., c] = gamma[c] * (values - m) / np.sqrt(v + eps) + beta[c]
    return np.moveaxis(out, -1, axis)


def _slow_layer_norm(x, gamma, beta, eps, rms=False):
    """Each sample (leading index) normalized over its last axis, one at a time."""
    flat = x.reshape(-1, x.shape[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        var = ((row - row.mean()) ** 2).mean()
        centered = row if rms else row - row.mean()
        out[i] = centered / np.sqrt(var + eps) * gamma + (0 if rms else beta)
    return out.reshape(x.shape)


@pytest.mark.parametrize(
    "shape,axis", [((6, 3), -1), ((2, 3, 3, 4), -1), ((3, 4, 2), 1)], ids=["2d", "nhwc", "axis1"]
)
def test_batch_normalization_training(shape, axis):
    x = R.normal(size=shape) * 2 + 1
    c = shape[axis]
    gamma, beta = R.normal(size=c), R.normal(size=c)
    check_op(
        lambda x, g, b: ops.batch_normalization(x, g, b, axis=axis, epsilon=1e-3),
        lambda x, g, b: _slow_batch_norm(x, g, b, axis, 1e-3),
        x,
        gamma,
        beta,
        torch_fn=lambda x, g, b: torch.movedim(
            torch.nn.functional.batch_norm(
                torch.movedim(x, axis, 1), None, None, g, b, training=True, eps=1e-3
            ),
            1,
            axis,
        ),
    )


@pytest.mark.parametrize("shape,axis", [((5, 3), -1), ((2, 3, 2, 4), -1)], ids=["2d", "nhwc"])
def test_batch_normalization_inference(shape, axis):
    x, c = R.normal(size=shape), shape[axis]
    gamma, beta = R.normal(size=c), R.normal(size=c)
    mean, var = R.normal(size=c), R.uniform(0.5, 2, size=c)
    check_op(
        lambda x, g, b: ops.batch_normalization(
            x, g, b, axis=axis, epsilon=1e-3, mean=mean, variance=var
        ),
        lambda x, g, b: _slow_batch_norm(x, g, b, axis, 1e-3, mean, var),
        x,
        gamma,
        beta,
        torch_fn=lambda x, g, b: torch.movedim(
            torch.nn.functional.batch_norm(
                torch.movedim(x, axis, 1),
                torch.tensor(mean),
                torch.tensor(var),
                g,
                b,
                training=False,
                eps=1e-3,
            ),
            1,
            axis,
        ),
    )


def test_batch_normalization_without_gamma_or_beta():
    x = R.normal(size=(7, 3))
    ones, zeros = np.ones(3), np.zeros(3)
    check_op(
        lambda x, b: ops.batch_normalization(x, None, b),
        lambda x, b: _slow_batch_norm(x, ones, b, -1, 1e-3),
        x,
        R.normal(size=3),
        torch_fn=lambda x, b: torch.nn.functional.batch_norm(
            x, None, None, None, b, training=True, eps=1e-3
        ),
    )
    check_op(
        lambda x, g: ops.batch_normalization(x, g),
        lambda x, g: _slow_batch_norm(x, g, zeros, -1, 1e-3),
        x,
        R.normal(size=3),
        torch_fn=lambda x, g: torch.nn.functional.batch_norm(
            x, None, None, g, None, training=True, eps=1e-3
        ),
    )


def test_batch_normalization_reports_the_batch_statistics():
    x = R.normal(size=(2, 3, 3, 4)).astype(np.float32)
    stats = {}
    ops.batch_normalization(Tensor(x), stats=stats)
    np.testing.assert_allclose(stats["mean"], x.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats["variance"], x.var(axis=(0, 1, 2)), rtol=1e-5)  # biased


def test_batch_normalization_matches_the_composed_reference():
    # the fused node and the same math as six ops.math nodes: values and gradients agree
    x = R.normal(size=(6, 4))
    g, b = R.normal(size=4), R.normal(size=4)

    def composed(x, g, b):
        # sums times a float64 1/n (ops.mean's Python-float 1/n would make a float32 node)
        n = np.array(1 / x.shape[0])
        centered = x - ops.sum(x, axis=0, keepdims=True) * n
        var = ops.sum(centered * centered, axis=0, keepdims=True) * n
        return centered / (var + np.array(1e-3)) ** 0.5 * g + b  # a float64 epsilon

    grads = []
    for fn in (composed, lambda x, g, b: ops.batch_normalization(x, g, b)):
        ts = [Tensor(a.copy(), requires_grad=True) for a in (x, g, b)]
        out = fn(*ts)
        out.backward(np.linspace(-1, 1, out.size).reshape(out.shape))
        grads.append([out.numpy()] + [t.grad for t in ts])
    for ours, ref in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)], ids=["2d", "3d"])
def test_layer_normalization(shape):
    x = R.normal(size=shape) * 3 - 1
    gamma, beta = R.normal(size=shape[-1]), R.normal(size=shape[-1])
    check_op(
        lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-3),
        lambda x, g, b: _slow_layer_norm(x, g, b, 1e-3),
        x,
        gamma,
        beta,
        # torch's default eps is 1e-5; Keras's (and ours) is 1e-3
        torch_fn=lambda x, g, b: torch.nn.functional.layer_norm(x, (shape[-1],), g, b, eps=1e-3),
    )


def test_layer_normalization_over_several_axes():
    x = R.normal(size=(2, 3, 4))
    gamma, beta = R.normal(size=(3, 4)), R.normal(size=(3, 4))
    check_op(
        lambda x, g, b: ops.layer_normalization(x, g, b, axis=[2, 1]),
        lambda x, g, b: _slow_layer_norm(x.reshape(2, 12), g.ravel(), b.ravel(), 1e-3).reshape(
            x.shape
        ),
        x,
        gamma,
        beta,
        torch_fn=lambda x, g, b: torch.nn.functional.layer_norm(x, (3, 4), g, b, eps=1e-3),
    )


def test_layer_normalization_rms_scaling():
    x = R.normal(size=(4, 5)) + 0.5
    gamma = R.normal(size=5)

    def torch_rms(x, g):
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return x * torch.rsqrt(var + 1e-3) * g

    check_op(
        lambda x, g: ops.layer_normalization(x, g, rms_scaling=True),
        lambda x, g: _slow_layer_norm(x, g, None, 1e-3, rms=True),
        x,
        gamma,
        torch_fn=torch_rms,
    )


class _BatchNormForgetsTheMeanPath(nf_norm.BatchNorm):
    def backward(self, grad):
        dx, *rest = super().backward(grad)
        # the bug: the term that flows through the batch mean is dropped
        g = grad * self.gamma
        return (dx + self.inv * g.mean(axis=self.stat_axes, keepdims=True), *rest)


class _LayerNormSumsGammaOverTheFeatures(nf_norm.LayerNorm):
    def backward(self, grad):
        dx, dg, db = super().backward(grad)
        return dx, np.full_like(dg, dg.sum()), db  # the bug: reduced over the wrong axes


@pytest.mark.parametrize(
    "fn,index",
    [
        (lambda x, g, b: _BatchNormForgetsTheMeanPath.apply(
            x, g, b, axis=-1, epsilon=1e-3, has_gamma=True, has_beta=True), "0"),
        (lambda x, g, b: _LayerNormSumsGammaOverTheFeatures.apply(
            x, g, b, axes=(-1,), epsilon=1e-3, has_gamma=True, has_beta=True), "1"),
    ],
    ids=["bn-mean-path-dropped", "ln-gamma-reduced-wrong"],
)  # fmt: skip
def test_gradcheck_catches_a_wrong_backward(fn, index):
    x, g, b = R.normal(size=(5, 3)), R.normal(size=3), R.normal(size=3)
    with pytest.raises(AssertionError, match=f"input {index}"):
        gradcheck(fn, x, g, b)
