"""Merge layers (Add ... Dot and their lowercase functions) against Keras 3 and by hand."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.keras import layers
from tests.conftest import requires_keras
from tests.layer_peer import compare_with_keras, config_round_trip, keras_config_matches

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

R = np.random.default_rng(3)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _data(*shapes):
    return [R.normal(size=s).astype(np.float32) for s in shapes]


ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


@requires_keras
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize(
    "shapes",
    [((4, 3), (4, 3)), ((4, 2, 3), (4, 1, 3)), ((4, 2, 3), (4, 3))],
    ids=["same", "broadcast", "lower-rank"],
)
def test_elementwise_merges_match_keras(keras, name, shapes):
    compare_with_keras(
        keras, getattr(layers, name)(), getattr(keras.layers, name)(), _data(*shapes)
    )


@requires_keras
@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_three_inputs_match_keras(keras, name):
    data = _data((3, 4), (3, 4), (3, 4))
    compare_with_keras(keras, getattr(layers, name)(), getattr(keras.layers, name)(), data)


@requires_keras
@pytest.mark.parametrize(
    "axis,shapes",
    [(-1, ((2, 3), (2, 5))), (1, ((2, 3, 4), (2, 1, 4))), (2, ((2, 3, 1), (2, 3, 2)))],
)
def test_concatenate_matches_keras(keras, axis, shapes):
    compare_with_keras(
        keras, layers.Concatenate(axis=axis), keras.layers.Concatenate(axis=axis), _data(*shapes)
    )


@requires_keras
@pytest.mark.parametrize(
    "axes,normalize,shapes",
    [
        (1, False, ((4, 3), (4, 3))),
        (-1, True, ((4, 3), (4, 3))),
        ((1, 2), False, ((2, 3, 5), (2, 4, 3))),
        ((2, 1), True, ((2, 3, 5), (2, 5, 4))),
        (2, False, ((2, 3, 4, 5), (2, 6, 4))),
        ((1, 1), False, ((2, 3), (2, 3, 4))),
    ],
)
def test_dot_matches_keras(keras, axes, normalize, shapes):
    compare_with_keras(
        keras,
        layers.Dot(axes, normalize=normalize),
        keras.layers.Dot(axes, normalize=normalize),
        _data(*shapes),
    )


@requires_keras
def test_configs_match_keras_and_round_trip(keras):
    pairs = [
        (layers.Concatenate(axis=1), keras.layers.Concatenate(axis=1), ["axis"]),
        (layers.Dot((1, 2), normalize=True), keras.layers.Dot((1, 2), normalize=True),
         ["axes", "normalize"]),
        (layers.Add(), keras.layers.Add(), ["trainable"]),
    ]  # fmt: skip
    for ours, theirs, keys in pairs:
        keras_config_matches(ours, theirs, keys)
        config_round_trip(ours)


def test_lowercase_functions_build_the_layer_and_call_it():
    a, b = np.full((2, 3), 2.0), np.full((2, 3), 5.0)
    assert layers.add([a, b]).numpy().tolist() == [[7.0] * 3] * 2
    assert layers.subtract([a, b]).numpy().tolist() == [[-3.0] * 3] * 2
    assert layers.multiply([a, b]).numpy().tolist() == [[10.0] * 3] * 2
    assert layers.average([a, b]).numpy().tolist() == [[3.5] * 3] * 2
    assert layers.maximum([a, b]).numpy().tolist() == [[5.0] * 3] * 2
    assert layers.minimum([a, b]).numpy().tolist() == [[2.0] * 3] * 2
    assert layers.concatenate([a, b], axis=0).shape == (4, 3)
    assert layers.dot([a, b], axes=1).numpy().tolist() == [[30.0], [30.0]]
    assert layers.add([a, b], name="total") is not None


def test_merges_record_graph_nodes_on_symbolic_inputs():
    a, b = nf.keras.Input((3,)), nf.keras.Input((5,))
    out = layers.concatenate([layers.Dense(5)(a), b])
    assert out.shape == (None, 10)
    added = layers.add([layers.Dense(10)(out), out])
    model = nf.keras.Model([a, b], layers.Dense(2)(added))
    x = [np.ones((2, 3), np.float32), np.ones((2, 5), np.float32)]
    assert model(x).shape == (2, 2)


@pytest.mark.parametrize(
    "layer,shapes,pattern",
    [
        (
            layers.Concatenate(),
            [(None, 3, 4), (None, 2, 4)],
            r"matching shapes except for the concatenation axis.*\(None, 3, 4\), \(None, 2, 4\)",
        ),
        (layers.Concatenate(), [(None, 3), (None, 2, 4)], r"matching shapes"),
        (layers.Concatenate(axis=3), [(None, 3), (None, 2)], r"axis=3 is out of range"),
        (
            layers.Add(),
            [(None, 3), (None, 4)],
            r"incompatible shapes. Received shapes \(3,\) and \(4,\)",
        ),
        (layers.Subtract(), [(None, 3), (None, 3), (None, 3)], r"exactly 2 inputs"),
        (layers.Add(), (None, 3), r"should be called on a list of inputs"),
        (layers.Add(), [(2, 3), (4, 3)], r"different batch sizes"),
        (layers.Dot(1), [(None, 3), (None, 4)], r"axis values 3 \(at axis 1\) != 4 \(at axis 1\)"),
        (layers.Dot(1), [(None, 3)], r"exactly 2 inputs"),
    ],  # fmt: skip
)
def test_incompatible_shapes_are_refused_naming_them(layer, shapes, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer.compute_output_shape(shapes)
    if isinstance(shapes, list):
        data = [np.zeros([1 if d is None else d for d in s], np.float32) for s in shapes]
        with pytest.raises(ValueError, match=pattern):
            type(layer)(**{k: v for k, v in layer.get_config().items() if k != "name"})(data)


def test_symbolic_concatenate_with_mismatched_shapes_fails_at_graph_construction():
    a, b = nf.keras.Input((3, 4)), nf.keras.Input((2, 5))
    with pytest.raises(ValueError, match=r"\(None, 3, 4\).*\(None, 2, 5\)"):
        layers.Concatenate()([a, b])


def test_dot_refuses_bad_axes():
    with pytest.raises(TypeError, match=r"`axes`.*Received: axes='x'"):
        layers.Dot("x")
    with pytest.raises(ValueError, match=r"two elements.*Received: axes=\(1, 2, 3\)"):
        layers.Dot((1, 2, 3))
    with pytest.raises(ValueError, match=r"non-batch axis"):
        layers.Dot(0)([np.ones((2, 3)), np.ones((2, 3))])


def test_maximum_gradient_goes_to_the_larger_input():
    a = nf.tensor.Tensor([[1.0, 4.0]], requires_grad=True)
    b = nf.tensor.Tensor([[3.0, 2.0]], requires_grad=True)
    layers.Maximum()([a, b]).sum().backward()
    assert a.grad.tolist() == [[0.0, 1.0]] and b.grad.tolist() == [[1.0, 0.0]]
