"""Runs one layer in neuroflow and in Keras 3 with the same weights and inputs, and compares
outputs, output shapes, parameter counts and the gradients of one training step."""

from __future__ import annotations

import numpy as np

import neuroflow as nf
from neuroflow.tensor import Tensor


def compare_with_keras(
    keras, ours, theirs, inputs, *, atol=1e-5, training=False, check_grads=True
) -> None:
    """``ours`` and ``theirs`` (a neuroflow and a Keras layer made with the same arguments)
    applied to ``inputs`` (one array, or a list of arrays for a multi-input layer)."""
    import tensorflow as tf

    multi = isinstance(inputs, list)
    arrays = [np.asarray(x, np.float32) for x in (inputs if multi else [inputs])]
    k_vars = [tf.Variable(a) for a in arrays]
    k_args = k_vars if multi else k_vars[0]
    theirs(k_args)  # builds, so that the weights exist to copy
    n_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ours(n_in if multi else n_in[0])
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])

    with tf.GradientTape() as tape:
        k_out = theirs(k_args, training=training)
        weights = np.linspace(0.5, 1.5, int(np.prod(k_out.shape))).reshape(k_out.shape)
        loss = tf.reduce_sum(k_out * tf.constant(weights, tf.float32))
    n_out = ours(n_in if multi else n_in[0], training=training)
    np.testing.assert_allclose(n_out.numpy(), np.asarray(k_out), atol=atol, rtol=1e-5)

    shapes = [(None,) + a.shape[1:] for a in arrays]
    expected = tuple(theirs.compute_output_shape(shapes if multi else shapes[0]))
    assert tuple(ours.compute_output_shape(shapes if multi else shapes[0])) == expected
    assert ours.count_params() == theirs.count_params()
    if not check_grads:
        return
    k_grads = tape.gradient(loss, k_vars + list(theirs.trainable_weights))
    n_out.backward(weights.astype(np.float32))
    n_grads = [t.grad for t in n_in] + [v.grad for v in ours.trainable_weights]
    assert len(n_grads) == len(k_grads)
    for n_grad, k_grad in zip(n_grads, k_grads):
        k_grad = np.zeros_like(n_grad) if k_grad is None else np.asarray(k_grad)
        np.testing.assert_allclose(n_grad, k_grad, atol=atol, rtol=1e-4)


def config_round_trip(layer) -> dict:
    """``layer``'s config after a trip through ``neuroflow.layers.deserialize`` (which must
    rebuild a layer of the same class with the same config)."""
    config = layer.get_config()
    rebuilt = nf.layers.deserialize({"class_name": type(layer).__name__, "config": config})
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config
    return config


def keras_config_matches(ours, theirs, keys) -> None:
    """The values Keras's config holds under ``keys`` equal ours (tuples and lists alike)."""
    mine, their_config = ours.get_config(), theirs.get_config()

    def plain(value):
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    for key in keys:
        assert key in mine, key
        assert plain(mine[key]) == plain(their_config[key]), (key, mine[key], their_config[key])
