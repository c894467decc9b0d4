"""The fusion switch: seed 002's CNN gives the same predictions, gradients and training
step with the fused Conv2D + MaxPooling2D node (the default) and with the readable
reference ops (``config.set_fusion(False)`` / ``NEUROFLOW_FUSION=0``)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import config, ops
from tests.test_conv_layers import seed002_model

R = np.random.default_rng(2)
X = R.random((8, 28, 28, 1), dtype=np.float32)
Y = R.integers(0, 10, 8)


def seed002_cnn():
    nf.utils.set_random_seed(2)
    model = seed002_model()
    model.compile(optimizer=nf.keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the calls of the fused primitive, so each test knows which path ran."""
    calls = []
    real = ops.conv2d_max_pool

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ops, "conv2d_max_pool", counting)
    return calls


def run(model, fusion, fn, fused_calls):
    """``fn(model)`` with fusion on or off, checking which path actually ran."""
    before = len(fused_calls)
    with config.fusion(fusion):
        result = fn(model)
    assert (len(fused_calls) > before) == fusion, "the switch did not choose the path"
    return result


def gradients(model):
    loss = nf.losses.SparseCategoricalCrossentropy()(Y, model(X, training=False))
    for w in model.trainable_weights:
        w.grad = None
    loss.backward()
    return [w.grad.copy() for w in model.trainable_weights]


def test_predictions_agree(fused_calls):
    model = seed002_cnn()
    fused = run(model, True, lambda m: m.predict(X, verbose=0), fused_calls)
    plain = run(model, False, lambda m: m.predict(X, verbose=0), fused_calls)
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-6)


def test_gradients_agree(fused_calls):
    model = seed002_cnn()
    fused = run(model, True, gradients, fused_calls)
    plain = run(model, False, gradients, fused_calls)
    assert len(fused) == 6
    for weight, f, p in zip(model.trainable_weights, fused, plain):
        scale = np.abs(p).max()
        assert scale > 0, f"{weight.name} received no gradient"
        np.testing.assert_allclose(f, p, rtol=1e-4, atol=1e-5 * scale, err_msg=weight.name)


def test_one_training_step_agrees(fused_calls):
    model = seed002_cnn()
    start = model.get_weights()

    def step(m):
        m.set_weights(start)
        nf.utils.set_random_seed(7)  # the same dropout mask on both paths
        m.train_on_batch(X, Y)
        return m.get_weights()

    fused = run(model, True, step, fused_calls)
    plain = run(model, False, step, fused_calls)
    for s, f, p in zip(start, fused, plain):
        assert not np.array_equal(f, s)  # the step moved every weight
        np.testing.assert_allclose(f, p, rtol=1e-5, atol=1e-6)


def test_switch_is_process_wide_and_restored():
    assert config.fusion_enabled()
    with config.fusion(False):
        assert not config.fusion_enabled()
    assert config.fusion_enabled()
    with pytest.raises(TypeError, match="enabled"):
        config.set_fusion("no")


def test_environment_variable_turns_fusion_off():
    code = "import neuroflow as nf; print(nf.config.fusion_enabled())"
    env = {**os.environ, "NEUROFLOW_FUSION": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
