import numpy as np
import pytest

from neuroflow import ops
from tests.ops.harness import check_op, torch

R = np.random.default_rng(3)
LOGITS = R.normal(size=(6, 4)) * 2
LABELS = np.array([0, 3, 1, 2, 3, 0])
ONEHOT = np.eye(4)[LABELS]
SOFT = R.dirichlet(np.ones(4), size=6)


def _log_softmax(x):
    return np.array([[v - np.log(sum(np.exp(r))) for v in r] for r in x])


def test_sparse_softmax_cross_entropy():
    check_op(
        lambda x: ops.sparse_softmax_cross_entropy(x, LABELS),
        lambda x: -_log_softmax(x)[np.arange(6), LABELS],
        LOGITS,
        torch_fn=lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(LABELS), reduction="none"
        ),
    )


def test_sparse_softmax_cross_entropy_on_sequences():
    x = R.normal(size=(2, 3, 4))
    labels = R.integers(0, 4, size=(2, 3))
    ref = lambda x: (
        -np.take_along_axis(  # noqa: E731
            _log_softmax(x.reshape(-1, 4)).reshape(2, 3, 4), labels[..., None], -1
        )[..., 0]
    )
    check_op(
        lambda t: ops.sparse_softmax_cross_entropy(t, labels),
        ref,
        x,
        # torch wants the classes on axis 1: (batch, classes, steps)
        torch_fn=lambda t: torch.nn.functional.cross_entropy(
            t.permute(0, 2, 1), torch.tensor(labels), reduction="none"
        ),
    )


@pytest.mark.parametrize("target", [ONEHOT, SOFT], ids=["onehot", "soft"])
def test_softmax_cross_entropy(target):
    check_op(
        lambda x: ops.softmax_cross_entropy(x, target),
        lambda x: -(target * _log_softmax(x)).sum(-1),
        LOGITS,
        torch_fn=lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(target), reduction="none"
        ),
    )


def test_categorical_cross_entropy_normalizes_then_clips_like_keras():
    probs = R.uniform(0.05, 1.0, size=(6, 4))  # unnormalized, as from a sigmoid layer

    def ref(p):
        p = p / p.sum(-1, keepdims=True)
        return -(ONEHOT * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1)

    def torch_ref(p):  # the same formula, differentiated by torch's autograd
        p = p / p.sum(-1, keepdim=True)
        return -(torch.tensor(ONEHOT) * torch.log(torch.clamp(p, 1e-7, 1 - 1e-7))).sum(-1)

    check_op(lambda p: ops.categorical_cross_entropy(p, ONEHOT), ref, probs, torch_fn=torch_ref)


def test_categorical_cross_entropy_is_finite_at_zero_probability():
    out = ops.categorical_cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(out.numpy(), [-np.log(1e-7)], rtol=1e-5)


def test_sigmoid_binary_cross_entropy():
    target = R.integers(0, 2, size=(6, 4)).astype(float)

    def torch_fn(x):
        return torch.nn.functional.binary_cross_entropy_with_logits(
            x, torch.tensor(target), reduction="none"
        ).mean(-1)

    ref = lambda x: (
        -(
            target * np.log(1 / (1 + np.exp(-x)))  # noqa: E731
            + (1 - target) * np.log(1 - 1 / (1 + np.exp(-x)))
        ).mean(-1)
    )
    check_op(lambda x: ops.sigmoid_binary_cross_entropy(x, target), ref, LOGITS, torch_fn=torch_fn)


def test_binary_cross_entropy_on_probabilities():
    # Keras 3: clip to [eps, 1 - eps], then plain logs (as torch's binary_cross_entropy)
    target = R.integers(0, 2, size=(6, 4)).astype(float)
    probs = R.uniform(0.05, 0.95, size=(6, 4))
    ref = lambda p: -(target * np.log(p) + (1 - target) * np.log(1 - p)).mean(-1)  # noqa: E731
    check_op(
        lambda p: ops.binary_cross_entropy(p, target),
        ref,
        probs,
        torch_fn=lambda p: torch.nn.functional.binary_cross_entropy(
            p, torch.tensor(target), reduction="none"
        ).mean(-1),
    )


def test_squared_and_absolute_error():
    target = R.normal(size=(6, 4))
    torch_sq = lambda x: ((x - torch.tensor(target)) ** 2).mean(-1)  # noqa: E731
    torch_abs = lambda x: (x - torch.tensor(target)).abs().mean(-1)  # noqa: E731
    check_op(
        lambda x: ops.squared_error(x, target),
        lambda x: ((x - target) ** 2).mean(-1),
        LOGITS,
        torch_fn=torch_sq,
    )
    check_op(
        lambda x: ops.absolute_error(x, target),
        lambda x: np.abs(x - target).mean(-1),
        LOGITS,
        torch_fn=torch_abs,
    )
