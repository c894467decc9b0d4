"""Each optimizer against a step worked out by hand from its formula."""

import math

import numpy as np
import pytest

from neuroflow import optimizers
from neuroflow.tensor import Variable
from tests.conftest import peer, requires_keras, requires_torch

W0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
G1 = np.array([0.1, -0.2, 0.3], dtype=np.float32)
G2 = np.array([-0.4, 0.1, 0.2], dtype=np.float32)


def run(opt, grads):
    w = Variable(W0.copy())
    for g in grads:
        opt.apply([g], [w])
    return w.numpy().astype(np.float64)


def test_sgd_plain():
    np.testing.assert_allclose(run(optimizers.SGD(0.1), [G1]), W0 - 0.1 * G1, rtol=1e-6)


def test_sgd_momentum_two_steps():
    lr, mu = 0.1, 0.9
    v1 = -lr * G1
    v2 = mu * v1 - lr * G2
    np.testing.assert_allclose(
        run(optimizers.SGD(lr, momentum=mu), [G1, G2]), W0 + v1 + v2, rtol=1e-6
    )


def test_sgd_nesterov_two_steps():
    lr, mu = 0.1, 0.9
    v1 = -lr * G1
    w1 = W0 + mu * v1 - lr * G1
    v2 = mu * v1 - lr * G2
    w2 = w1 + mu * v2 - lr * G2
    out = run(optimizers.SGD(lr, momentum=mu, nesterov=True), [G1, G2])
    np.testing.assert_allclose(out, w2, rtol=1e-6)


def test_rmsprop_two_steps():
    lr, rho, eps = 0.01, 0.9, 1e-7
    v1 = (1 - rho) * G1**2
    w1 = W0 - lr * G1 / np.sqrt(v1 + eps)
    v2 = rho * v1 + (1 - rho) * G2**2
    w2 = w1 - lr * G2 / np.sqrt(v2 + eps)
    np.testing.assert_allclose(run(optimizers.RMSprop(lr), [G1, G2]), w2, rtol=1e-5)


GRADS = [G1, G2, np.array([0.3, 0.05, -0.1], np.float32), np.array([0.2, -0.3, 0.1], np.float32)]


def rmsprop_by_hand(grads, lr, rho, eps, momentum, centered):
    """Keras's RMSprop.update_step, step by step in float64."""
    w = W0.astype(np.float64)
    v = np.zeros(3)  # mean of squares
    avg = np.zeros(3)  # mean of gradients (centered only)
    m = np.zeros(3)  # momentum buffer
    for g in grads:
        v = rho * v + (1 - rho) * g**2
        avg = rho * avg + (1 - rho) * g
        denominator = v - avg**2 + eps if centered else v + eps
        m = momentum * m + lr * g / np.sqrt(denominator)
        w = w - m
    return w


def test_rmsprop_centered_with_momentum_over_four_steps():
    # momentum has no effect on the first step (its buffer starts at zero): take four
    lr, rho, eps, mu = 0.01, 0.9, 1e-7, 0.5
    out = run(optimizers.RMSprop(lr, rho=rho, momentum=mu, centered=True), GRADS)
    expected = rmsprop_by_hand(GRADS, lr, rho, eps, mu, centered=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    # the check can tell momentum and centering apart: dropping either moves the result
    for wrong in (
        rmsprop_by_hand(GRADS, lr, rho, eps, 0.0, centered=True),
        rmsprop_by_hand(GRADS, lr, rho, eps, mu, centered=False),
    ):
        assert np.abs(wrong - expected).max() > 100 * 1e-5 * np.abs(expected).max()


@requires_keras
@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_with_momentum_matches_keras_over_steps(centered):
    keras = peer("keras")
    kwargs = {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.7, "centered": centered}
    ours = run(optimizers.RMSprop(**kwargs), GRADS)
    opt = keras.optimizers.RMSprop(**kwargs)
    w = keras.Variable(W0.copy())
    for g in GRADS:
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), w)])
    np.testing.assert_allclose(ours, np.asarray(w.numpy()), rtol=1e-5, atol=1e-7)


def test_adam_two_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    m = np.zeros(3)
    v = np.zeros(3)
    w = W0.astype(np.float64)
    for t, g in enumerate([G1, G2], start=1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(run(optimizers.Adam(lr), [G1, G2]), w, rtol=1e-5)


def test_adam_first_step_moves_each_weight_by_about_lr():
    out = run(optimizers.Adam(0.01), [G1])
    np.testing.assert_allclose(np.abs(out - W0), 0.01, rtol=1e-4)


def test_adagrad_two_steps():
    lr, eps = 0.1, 1e-7
    acc = 0.1 + G1**2
    w1 = W0 - lr * G1 / np.sqrt(acc + eps)
    acc = acc + G2**2
    w2 = w1 - lr * G2 / np.sqrt(acc + eps)
    np.testing.assert_allclose(run(optimizers.Adagrad(lr), [G1, G2]), w2, rtol=1e-5)


def test_defaults_match_keras():
    # the float32 variable's value, as Keras 3 writes it
    assert optimizers.get("adam").get_config()["learning_rate"] == float(np.float32(0.001))
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-7)
    rms = optimizers.get("rmsprop")
    assert (rms.learning_rate, rms.rho, rms.epsilon) == (0.001, 0.9, 1e-7)
    assert optimizers.get("sgd").learning_rate == 0.01
    assert optimizers.SGD(lr=0.5).learning_rate == 0.5  # tf.keras 2 spelling


def test_clipnorm_and_clipvalue():
    g = np.array([3.0, 4.0], dtype=np.float32)
    w = Variable(np.zeros(2, dtype=np.float32))
    optimizers.SGD(1.0, clipnorm=1.0).apply([g], [w])
    np.testing.assert_allclose(w.numpy(), [-0.6, -0.8], rtol=1e-6)
    w = Variable(np.zeros(2, dtype=np.float32))
    optimizers.SGD(1.0, clipvalue=3.5).apply([g], [w])
    np.testing.assert_allclose(w.numpy(), [-3.0, -3.5])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"learning_rate": 0}, "learning_rate"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"momentum": 1.5}, "momentum"),
    ],
)
def test_invalid_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.SGD(**kwargs)


def test_unknown_optimizer_and_kwargs():
    with pytest.raises(ValueError, match="Unknown optimizer: optimizer='adamw2'.*adam"):
        optimizers.get("adamw2")
    with pytest.raises(TypeError, match="unexpected keyword argument.*betas"):
        optimizers.Adam(betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Adam(beta_1=1.0)


@requires_torch
def test_sgd_momentum_matches_torch_over_steps():
    import torch

    rng = np.random.default_rng(0)
    grads = [rng.normal(size=3).astype(np.float32) for _ in range(5)]
    ours = run(optimizers.SGD(0.05, momentum=0.9), grads)
    p = torch.nn.Parameter(torch.tensor(W0))
    opt = torch.optim.SGD([p], lr=0.05, momentum=0.9)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    # torch keeps v = mu v + g and steps lr * v: the same trajectory as Keras's form
    np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-5)
