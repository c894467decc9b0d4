"""layers.Maxout: TensorFlow Addons' grouping, its gradient (gradchecked, ties shared as
tf.reduce_max shares them), shapes, summary, config and saving."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import layers
from neuroflow.io import load_model
from neuroflow.models import Sequential
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import peer

R = np.random.default_rng(0)


def tfa_maxout(x, num_units, axis=-1):
    """tfa.layers.Maxout's call written out in NumPy: the axis of C features becomes
    (C // num_units, num_units) and the max is over the first of the two."""
    axis = axis % x.ndim
    shape = list(x.shape)
    shape[axis : axis + 1] = [shape[axis] // num_units, num_units]
    return x.reshape(shape).max(axis=axis)


def test_unit_j_is_the_max_of_features_j_plus_multiples_of_num_units():
    x = np.array([[1.0, -2.0, 5.0, 3.0, 0.0, 4.0]], dtype=np.float32)
    out = layers.Maxout(2)(x).numpy()
    np.testing.assert_array_equal(out, [[max(1, 5, 0), max(-2, 3, 4)]])
    np.testing.assert_array_equal(layers.Maxout(3)(x).numpy(), [[3.0, 0.0, 5.0]])
    np.testing.assert_array_equal(layers.Maxout(6)(x).numpy(), x)  # one piece per unit


@pytest.mark.parametrize(("shape", "units", "axis"), [
    ((4, 12), 3, -1), ((2, 5, 8), 4, -1), ((2, 6, 5, 3), 2, 1), ((2, 6, 5, 3), 5, 2),
    ((2, 6, 5, 3), 3, -1), ((3, 9, 2), 3, -2),
])  # fmt: skip
def test_matches_the_tfa_reference_on_any_axis(shape, units, axis):
    x = R.normal(size=shape).astype(np.float32)
    layer = layers.Maxout(units, axis=axis)
    out = layer(x).numpy()
    np.testing.assert_array_equal(out, tfa_maxout(x, units, axis))
    expected = list(shape)
    expected[axis] = units
    assert out.shape == tuple(expected)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *expected[1:])


@pytest.mark.parametrize(("shape", "units", "axis"), [((3, 8), 2, -1), ((2, 4, 3, 2), 2, 1)])
def test_gradcheck(shape, units, axis):
    layer = layers.Maxout(units, axis=axis)
    x = R.permutation(np.prod(shape)).reshape(shape) * 0.1  # distinct values: no ties
    assert gradcheck(lambda t: layer(t), x)


def test_gradient_goes_to_the_max_and_ties_share_it():
    x = Tensor(np.array([[2.0, 7.0, 2.0, 1.0, 0.5, 7.0]]), requires_grad=True)
    out = layers.Maxout(3)(x)  # units: max(2, 1) max(7, 0.5) max(2, 7)
    np.testing.assert_array_equal(out.numpy(), [[2.0, 7.0, 7.0]])
    out.backward(np.array([[1.0, 10.0, 100.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 10.0, 0.0, 0.0, 0.0, 100.0]])
    tie = Tensor(np.array([[3.0, 3.0, -1.0, 3.0]]), requires_grad=True)
    layers.Maxout(1)(tie).backward(np.array([[6.0]]))
    np.testing.assert_array_equal(tie.grad, [[2.0, 2.0, 0.0, 2.0]])  # split three ways


def test_matches_torch_forward_and_gradient_with_ties():
    torch = peer("torch")
    x = np.round(R.normal(size=(5, 12)), 0)  # rounded: many ties
    units = 4
    t = torch.tensor(x, requires_grad=True)
    want = t.reshape(5, 3, units).amax(dim=1)  # amax splits tied gradients evenly
    g = R.normal(size=(5, units))
    want.backward(torch.tensor(g))
    ours = Tensor(x, requires_grad=True)
    out = layers.Maxout(units)(ours)
    out.backward(g)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy())
    np.testing.assert_allclose(ours.grad, t.grad.numpy(), rtol=1e-12)


def test_after_dense_in_a_model_summary_shapes_and_params():
    model = Sequential([layers.Input((3,)), layers.Dense(8), layers.Maxout(2, name="maxout")])
    lines = []
    model.summary(print_fn=lines.append, line_length=80)
    row = next(ln for ln in lines[0].splitlines() if "maxout (Maxout)" in ln)
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells == ["maxout (Maxout)", "(None, 2)", "0"]
    assert model.count_params() == 3 * 8 + 8
    x = R.normal(size=(4, 3)).astype(np.float32)
    k, b = model.layers[0].get_weights()
    np.testing.assert_allclose(model.predict(x, verbose=0), tfa_maxout(x @ k + b, 2), rtol=1e-6)


def test_trains_through_the_max():
    nf.utils.set_random_seed(0)
    x = np.linspace(-2, 2, 64, dtype=np.float32)[:, None]
    y = np.abs(x)  # max(x, -x): two linear pieces are enough
    model = Sequential([layers.Input((1,)), layers.Dense(2), layers.Maxout(1)])
    model.compile(optimizer=nf.keras.optimizers.Adam(0.05), loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < min(1e-3, first / 100)


def test_config_round_trip_and_native_save(tmp_path):
    layer = layers.Maxout(3, axis=1, name="mx")
    config = layer.get_config()
    assert config["num_units"] == 3 and config["axis"] == 1 and config["name"] == "mx"
    twin = layers.Maxout.from_config(config)
    assert twin.get_config() == config
    assert isinstance(layers.deserialize({"class_name": "Maxout", "config": config}), layers.Maxout)
    model = Sequential([layers.Input((6, 4)), layers.Dense(4), layers.Maxout(3, axis=1)])
    path = tmp_path / "maxout.nf"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded.layers[-1]) is layers.Maxout and loaded.layers[-1].axis == 1
    x = R.normal(size=(2, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_file_refused_with_the_reason(tmp_path):
    model = Sequential([layers.Input((4,)), layers.Dense(4), layers.Maxout(2)])
    with pytest.raises(ValueError, match="Keras has no Maxout layer"):
        model.save(tmp_path / "m.keras")


def test_in_the_keras_namespace():
    from neuroflow.keras import layers as keras_layers

    assert keras_layers.Maxout is layers.Maxout


def test_features_not_a_multiple_of_num_units():
    with pytest.raises(ValueError, match=r"number of features \(5\).*multiple of num_units \(2\)"):
        layers.Maxout(2)(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"features \(5\)"):
        Sequential([layers.Input((5,)), layers.Maxout(2)])


@pytest.mark.parametrize("units", [0, -1, 2.0, None, True])
def test_num_units_must_be_a_positive_int(units):
    with pytest.raises(ValueError, match=f"num_units={units!r}"):
        layers.Maxout(units)


def test_bad_axis():
    with pytest.raises(TypeError, match="axis=1.5"):
        layers.Maxout(2, axis=1.5)
    with pytest.raises(ValueError, match="batch axis"):
        layers.Maxout(2, axis=0)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="axis 3"):
        layers.Maxout(2, axis=3)(np.zeros((2, 4)))
