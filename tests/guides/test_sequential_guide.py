"""Keras guide "The Sequential model" (keras.io/guides/sequential_model), section by section.

Written afresh for neuroflow with only the imports changed (``keras.ops.ones`` becomes
``np.ones``: keras.ops belongs to the TensorFlow-basics issue). Summaries are compared line
by line with real Keras 3 building the same model.
"""

import numpy as np

from neuroflow import keras
from neuroflow.keras import layers
from tests.guides.conftest import build_both, summary_lines

RNG = np.random.default_rng(0)


def ones(shape):
    return np.ones(shape, "float32")


def test_when_to_use_a_sequential_model():
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    x = ones((3, 3))
    y = model(x)
    assert tuple(y.shape) == (3, 4)

    # ... is equivalent to this function of three layers (given the same weights)
    layer1 = layers.Dense(2, activation="relu", name="layer1")
    layer2 = layers.Dense(3, activation="relu", name="layer2")
    layer3 = layers.Dense(4, name="layer3")
    x = RNG.normal(size=(3, 3)).astype("float32")
    y = layer3(layer2(layer1(x)))
    for layer, twin in zip(model.layers, (layer1, layer2, layer3)):
        layer.set_weights(twin.get_weights())
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(y), rtol=1e-6)


def test_creating_a_sequential_model():
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    popped = model.layers[-1]
    model.pop()
    assert len(model.layers) == 2
    assert popped not in model.layers

    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert model.name == "my_sequential"
    assert [layer.name for layer in model.layers] == ["layer1", "layer2", "layer3"]


def input_first(keras, layers):
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    return model


def test_specifying_the_input_shape_in_advance(real_keras):
    layer = layers.Dense(3)
    assert layer.weights == []
    y = layer(ones((1, 4)))
    assert [tuple(w.shape) for w in layer.weights] == [(4, 3), (3,)]
    assert tuple(y.shape) == (1, 3)

    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu"),
            layers.Dense(3, activation="relu"),
            layers.Dense(4),
        ]
    )  # no weights at this stage
    assert not model.built
    assert model.weights == []  # Keras 3 answers an empty list too
    y = model(ones((1, 4)))
    assert len(model.weights) == 6
    assert model.built
    assert model.count_params() == 10 + 9 + 16

    model, k_model = build_both(input_first, real_keras)
    assert model.built and len(model.weights) == 2  # weights before seeing any data
    assert model.output_shape == (None, 2)
    assert summary_lines(model) == summary_lines(k_model)
    # the Input is not a layer of the model
    assert [layer.name for layer in model.layers] == ["dense"]

    # build(input_shape) instead of an Input: built, and its summary can be shown
    model = keras.Sequential([layers.Dense(2), layers.Dense(1)])
    model.build((None, 4))
    assert model.built and model.count_params() == 13
    assert "Total params: 13" in "\n".join(summary_lines(model))


def downsampling_stack(keras, layers, stage):
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))  # 250x250 RGB images
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    if stage == 1:
        return model
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    return model


def test_add_and_summary_debugging_workflow(real_keras):
    model, k_model = build_both(lambda k, l: downsampling_stack(k, l, 1), real_keras)
    assert model.output_shape == (None, 40, 40, 32)  # "The answer was: (40, 40, 32)"
    assert summary_lines(model) == summary_lines(k_model)

    model, k_model = build_both(lambda k, l: downsampling_stack(k, l, 2), real_keras)
    assert model.output_shape == (None, 4, 4, 32)  # "4x4 feature maps"
    assert summary_lines(model) == summary_lines(k_model)
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    assert model.output_shape == (None, 10)
    assert model.count_params() == 2432 + 5 * 9248 + 330


def test_feature_extraction_with_a_sequential_model():
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=[layer.output for layer in initial_model.layers],
    )
    x = RNG.random((1, 250, 250, 3)).astype("float32")
    features = feature_extractor(x)
    assert [tuple(f.shape) for f in features] == [
        (1, 123, 123, 32),
        (1, 121, 121, 32),
        (1, 119, 119, 32),
    ]
    np.testing.assert_allclose(np.asarray(features[-1]), np.asarray(initial_model(x)), rtol=1e-5)
    # the extractor shares the model's layers (and so its weights)
    assert feature_extractor.layers[1:] == initial_model.layers

    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    features = feature_extractor(x)
    assert tuple(features.shape) == (1, 121, 121, 32)
    first_two = initial_model.layers[1](initial_model.layers[0](x))
    np.testing.assert_allclose(np.asarray(features), np.asarray(first_two), rtol=1e-5)


def test_transfer_learning_freeze_all_but_the_last_layer():
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10),
        ]
    )
    for layer in model.layers[:-1]:
        layer.trainable = False
    assert model.trainable_weights == model.layers[-1].weights
    frozen = [w.copy() for layer in model.layers[:-1] for w in layer.get_weights()]
    last = [w.copy() for w in model.layers[-1].get_weights()]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = RNG.random((64, 784)).astype("float32")
    y = RNG.integers(0, 10, 64)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    after = [w for layer in model.layers[:-1] for w in layer.get_weights()]
    for before, now in zip(frozen, after):
        np.testing.assert_array_equal(before, now)
    assert not np.allclose(last[0], model.layers[-1].get_weights()[0])


def frozen_base_with_head(keras, layers):
    # keras.applications.Xception (ImageNet weights, a download) replaced by a small
    # convolutional base built the same way, include_top=False and pooling="avg"
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    base_model = keras.Model(inputs, layers.GlobalAveragePooling2D()(x), name="xception")
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(1000)])
    return base_model, model


def test_transfer_learning_pretrained_base_and_new_classifier(real_keras):
    (base_model, model), (_, k_model) = build_both(frozen_base_with_head, real_keras)
    assert summary_lines(model) == summary_lines(k_model)  # frozen params non-trainable
    assert model.trainable_weights == model.layers[-1].weights
    base_before = [w.copy() for w in base_model.get_weights()]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = RNG.random((16, 32, 32, 3)).astype("float32")
    model.fit(x, RNG.integers(0, 1000, 16), epochs=1, batch_size=8, verbose=0)
    for before, now in zip(base_before, base_model.get_weights()):
        np.testing.assert_array_equal(before, now)
