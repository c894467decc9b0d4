"""tf.GradientTape's rules: what is recorded, what a gradient returns, and the errors; each
rule checked by hand and, where TensorFlow is installed, against its tape."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.gradient_tape import GradientTape, UnconnectedGradients, stop_gradient
from neuroflow.tensor import Tensor, Variable, constant
from tests.conftest import peer


def test_a_trainable_variable_is_watched_and_the_gradient_is_a_tensor():
    x = Variable(3.0)
    with GradientTape() as tape:
        y = x * x + 2 * x
    g = tape.gradient(y, x)
    assert isinstance(g, Tensor) and g.dtype == nf.float32
    assert float(g) == 8.0
    assert x.grad is None  # the tape does not touch the PyTorch-style .grad


def test_a_constant_needs_watch_and_stops_recording_after_the_block():
    x = constant([1.0, 2.0])
    with GradientTape() as tape:
        y0 = (x * x).sum()
    assert tape.gradient(y0, x) is None
    with GradientTape() as tape:
        tape.watch(x)
        y = (x * x * x).sum()
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 12.0])
    assert not x.requires_grad  # watched by that tape only
    assert (x * x)._ctx is None


def test_sources_keep_their_structure_and_unconnected_ones_are_none():
    a, b, c = Variable(1.0), Variable(2.0), Variable(5.0)
    with GradientTape(persistent=True) as tape:
        y = a * b
    grads = tape.gradient(y, {"first": a, "rest": [b, (c,)]})
    assert float(grads["first"]) == 2.0 and float(grads["rest"][0]) == 1.0
    assert grads["rest"][1] == (None,)
    zeros = tape.gradient(y, [c], unconnected_gradients=UnconnectedGradients.ZERO)
    assert float(zeros[0]) == 0.0
    assert tape.gradient(y, [c], unconnected_gradients="zero")[0].numpy() == 0.0


def test_a_non_persistent_tape_answers_once():
    x = Variable(2.0)
    with GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)


def test_a_persistent_tape_answers_for_several_targets():
    x = Variable(3.0)
    with GradientTape(persistent=True) as tape:
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 4 * 27.0
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, y)) == 18.0  # with respect to an intermediate tensor


def test_a_non_scalar_target_is_summed_unless_output_gradients_are_given():
    x = Variable([1.0, 2.0, 3.0])
    with GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    weighted = tape.gradient(y, x, output_gradients=np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(weighted.numpy(), [2.0, 0.0, 12.0])
    with pytest.raises(ValueError, match=r"output_gradients.*\(2,\).*\(3,\)"):
        tape.gradient(y, x, output_gradients=np.ones(2))
    # several targets add up
    np.testing.assert_array_equal(tape.gradient([y, x], x).numpy(), [3.0, 5.0, 7.0])


def test_what_ran_before_the_tape_opened_is_a_constant_to_it():
    x = Variable(3.0)
    y = x * x  # outside any tape
    with GradientTape(persistent=True) as tape:
        z = y * 2
    assert tape.gradient(z, x) is None
    assert float(tape.gradient(z, y)) == 2.0
    after = z * 10  # after the block: not recorded by the tape
    assert tape.gradient(after, x) is None


def test_stop_recording_and_stop_gradient():
    x = Variable(2.0)
    with GradientTape(persistent=True) as tape:
        with tape.stop_recording():
            hidden = x * x
        y = x * hidden
        z = x * stop_gradient(x * x)
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 4.0


def test_watch_accessed_variables_false_watches_only_what_is_named():
    a, b = Variable(2.0), Variable(3.0)
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 3.0 and gb is None
    assert tape.watched_variables() == (a,)


def test_a_frozen_variable_and_integer_tensors_get_no_gradient():
    frozen = Variable(2.0, trainable=False)
    counts = constant([1, 2])
    with GradientTape() as tape:
        with pytest.warns(UserWarning, match="must be floating"):
            tape.watch(counts)
        y = frozen * 3.0
    assert tape.gradient(y, frozen) is None
    assert Variable(1).requires_grad is False and Variable(1).dtype == nf.int32


def test_jacobian():
    x = Variable([1.0, 2.0])
    with GradientTape() as tape:
        y = x * x
    jac = tape.jacobian(y, x)
    np.testing.assert_array_equal(jac.numpy(), [[2.0, 0.0], [0.0, 4.0]])


def test_bad_use_is_a_clear_error():
    x = Variable(1.0)
    tape = GradientTape()
    with pytest.raises(ValueError, match="never entered"):
        tape.gradient(x, x)
    with GradientTape() as tape:
        y = x * 2
    with pytest.raises(TypeError, match=r"sources.*str"):
        tape.gradient(y, ["x"])
    with GradientTape() as tape:
        with pytest.raises(ValueError, match=r"object of type float, not tf.Tensor"):
            tape.watch([[1.0]])


def test_a_keras_model_trains_by_hand_like_fit():
    """The same Adam step from a tape and apply_gradients as from train_on_batch."""
    rng = np.random.default_rng(0)
    x = rng.random((16, 4), dtype=np.float32)
    y = rng.integers(0, 3, 16)

    def build():
        nf.utils.set_random_seed(1)
        model = nf.keras.Sequential(
            [
                nf.keras.Input((4,)),
                nf.keras.layers.Dense(5, activation="relu"),
                nf.keras.layers.Dense(3),
            ]  # fmt: skip
        )
        return model

    loss_fn = nf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    by_hand = build()
    optimizer = nf.keras.optimizers.Adam(0.01)
    for _ in range(3):
        with GradientTape() as tape:
            loss = loss_fn(y, by_hand(x, training=True))
        grads = tape.gradient(loss, by_hand.trainable_variables)
        optimizer.apply_gradients(zip(grads, by_hand.trainable_variables))
    by_fit = build()
    by_fit.compile(nf.keras.optimizers.Adam(0.01), loss_fn)
    for _ in range(3):
        by_fit.train_on_batch(x, y)
    for mine, theirs in zip(by_hand.get_weights(), by_fit.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)


def test_gradients_match_tensorflow_on_a_small_network():
    peer("keras")
    import tensorflow as tf

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4)).astype("float32")
    b0 = rng.standard_normal(4).astype("float32")
    x0 = rng.standard_normal((5, 3)).astype("float32")

    def run(lib, variable, tape_cls):
        w, b, x = variable(w0), variable(b0), lib.constant(x0)
        with tape_cls(persistent=True) as tape:
            tape.watch(x)
            h = x @ w + b
            y = (h * h).sum() if lib is nf else tf.reduce_sum(h * h)
            z = y * 3.0
        grads = tape.gradient(z, {"w": w, "b": b, "x": x})
        return {k: v.numpy() for k, v in grads.items()}, tape.gradient(y, h).numpy()

    ours, ours_h = run(nf, nf.Variable, GradientTape)
    theirs, theirs_h = run(tf, tf.Variable, tf.GradientTape)
    for key in ("w", "b", "x"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours_h, theirs_h, rtol=1e-5, atol=1e-5)
