import numpy as np
import pytest

import neuroflow as nf
from neuroflow.keras import layers
from neuroflow.utils import teaching
from tests.test_models import summary_of


def seed002_model():
    return nf.keras.Sequential(
        [
            nf.keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def seed003_model4():
    model = nf.keras.Sequential()
    model.add(
        layers.Conv2D(
            filters=64, kernel_size=2, padding="same", activation="relu", input_shape=(28, 28, 1)
        )
    )
    model.add(layers.MaxPooling2D(pool_size=2))
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    return model


def test_seed002_summary():
    text = summary_of(seed002_model())
    for row in [
        "conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320",
        "max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0",
        "conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496",
        "max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0",
        "flatten (Flatten)               │ (None, 1600)           │             0",
        "dense (Dense)                   │ (None, 10)             │        16,010",
    ]:
        assert row in text, row
    assert "Total params: 34,826 (136.04 KB)" in text


def test_seed003_model4_summary():
    text = summary_of(seed003_model4())
    assert "(None, 28, 28, 64)" in text and "(None, 14, 14, 64)" in text
    assert "(None, 12544)" in text and "Total params: 125,770" in text


def test_conv1d_and_1d_pooling_shapes_and_values():
    x = np.random.default_rng(0).normal(size=(2, 10, 3)).astype(np.float32)
    conv = layers.Conv1D(4, 3, padding="same")
    out = conv(x).numpy()
    assert out.shape == (2, 10, 4) and conv.kernel.shape == (3, 3, 4)
    k, b = conv.get_weights()
    xp = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    ref = sum(xp[:, i : i + 10] @ k[i] for i in range(3)) + b
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layers.MaxPooling1D(2)(x).numpy(), x.reshape(2, 5, 2, 3).max(2))
    np.testing.assert_allclose(
        layers.AveragePooling1D(2)(x).numpy(), x.reshape(2, 5, 2, 3).mean(2), rtol=1e-6
    )


def test_global_pooling():
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        layers.GlobalAveragePooling2D()(x).numpy(), x.mean((1, 2)), rtol=1e-6
    )
    np.testing.assert_allclose(layers.GlobalMaxPooling2D()(x).numpy(), x.max((1, 2)))
    assert layers.GlobalMaxPooling2D(keepdims=True)(x).shape == (2, 1, 1, 3)


def test_cnn_trains_on_tiny_images():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].sum(axis=(1, 2, 3)) > x[:, 4:].sum(axis=(1, 2, 3))).astype(int)
    model = nf.keras.Sequential(
        [
            nf.keras.Input((8, 8, 1)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.AveragePooling2D(),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.compile(
        nf.optimizers.Adam(0.01),
        nf.losses.SparseCategoricalCrossentropy(from_logits=True),
        ["accuracy"],
    )
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"filters": 0, "kernel_size": 3}, "filters"),
        ({"filters": 8, "kernel_size": 0}, "kernel_size"),
        ({"filters": 8, "kernel_size": (3, -1)}, "kernel_size"),
        ({"filters": 8, "kernel_size": 3, "strides": 0}, "strides"),
        ({"filters": 8, "kernel_size": 3, "padding": "full"}, "padding"),
    ],
)
def test_conv2d_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2D(**kwargs)


def test_conv2d_rejects_3d_batch_naming_the_layer():
    with pytest.raises(ValueError, match=r'layer "conv2d".*expected ndim=4, found ndim=3'):
        layers.Conv2D(8, 3)(np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        nf.keras.Sequential([layers.Conv2D(8, 3, input_shape=(28, 28))])


def test_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"larger than the valid-padded input.*\(4, 4\)"):
        layers.Conv2D(8, 5)(np.zeros((1, 4, 4, 1)))
    assert layers.Conv2D(8, 5, padding="same")(np.zeros((1, 4, 4, 1))).shape == (1, 4, 4, 8)
    with pytest.raises(ValueError, match="pool_size"):
        layers.MaxPooling2D(5)(np.zeros((1, 4, 4, 1)))


def test_pool_strides_default_to_pool_size():
    layer = layers.MaxPooling2D(pool_size=3)
    assert layer.strides == (3, 3)
    assert layer(np.zeros((1, 9, 9, 2))).shape == (1, 3, 3, 2)


# the worked examples of seeds 001 and 002
SEED001_IMAGE = np.array([[100] * 5, [100, 100, 50, 50, 100], [100] * 5, [100] * 5, [100] * 5])
SEED001_KERNEL = np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]])
SEED002_MATRIX = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]])


def test_teaching_pooling_reproduces_seed002():
    np.testing.assert_array_equal(teaching.pool(SEED002_MATRIX, 2, "max"), [[20, 30], [112, 37]])
    avg = teaching.pool(SEED002_MATRIX, 2, "average")
    np.testing.assert_array_equal(avg, [[13, 8], [79, 19.5]])
    np.testing.assert_array_equal(np.round(avg), [[13, 8], [79, 20]])  # the slide rounds
    np.testing.assert_array_equal(teaching.pool(SEED002_MATRIX, 2, "sum"), [[52, 32], [316, 78]])


def test_teaching_kernel_reproduces_seed001():
    # the kernel picks the pixel above the centre: on the slide, the centre (2, 2) becomes 50
    assert teaching.kernel_at(SEED001_IMAGE, SEED001_KERNEL, 2, 2) == 50
    assert teaching.kernel_at(SEED001_IMAGE, SEED001_KERNEL, 2, 1) == 100
    slide = SEED001_IMAGE.astype(float)
    slide[2, 2] = teaching.kernel_at(SEED001_IMAGE, SEED001_KERNEL, 2, 2)
    np.testing.assert_array_equal(slide[2], [100, 100, 50, 100, 100])  # the slide's result
    valid = teaching.apply_kernel(SEED001_IMAGE, SEED001_KERNEL)
    np.testing.assert_array_equal(valid, SEED001_IMAGE[0:3, 1:4])  # every window's top middle


def layer_by_layer(model, x, training=False):
    for layer in model.layers:
        x = layer(x, training=training)
    return x


@pytest.mark.parametrize("build", [seed002_model, seed003_model4])
def test_sequential_fuses_conv_and_pool_without_changing_results(build):
    model = build()
    rng = np.random.default_rng(0)
    x = rng.random((5, 28, 28, 1), dtype=np.float32)
    # a weighted sum: the plain sum of a softmax is 1 per row, whose gradient is zero
    weights = nf.Tensor(rng.normal(size=(5, 10)).astype(np.float32))

    def grads_of(out):
        for w in model.trainable_weights:
            w.grad = None
        (out * weights).sum().backward()
        return [w.grad.copy() for w in model.trainable_weights]

    # inference mode in both, so Dropout is off and both runs see the same units
    fused = model(x, training=False)
    fused_grads = grads_of(fused)
    plain = layer_by_layer(model, x, training=False)
    plain_grads = grads_of(plain)
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-5, atol=1e-6)
    assert len(fused_grads) == len(plain_grads) == len(model.trainable_weights)
    for ours, theirs in zip(fused_grads, plain_grads):
        assert np.abs(theirs).max() > 0  # the comparison is not between two zero arrays
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


def test_fused_gradients_equal_the_two_layers():
    model = nf.keras.Sequential(
        [nf.keras.Input((12, 12, 2)), layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D()]
    )
    x = np.random.default_rng(1).normal(size=(4, 12, 12, 2))
    out = model(x)
    assert type(out._ctx).__name__ == "Conv2DMaxPool"
    out.sum().backward()
    fused = [w.grad for w in model.trainable_weights]
    for w in model.trainable_weights:
        w.grad = None
    plain = layer_by_layer(model, x)
    assert type(plain._ctx).__name__ == "MaxPool2D"
    plain.sum().backward()
    np.testing.assert_allclose(out.numpy(), plain.numpy(), rtol=1e-6, atol=1e-6)
    for ours, w in zip(fused, model.trainable_weights):
        np.testing.assert_allclose(ours, w.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "conv,pool",
    [
        ({"activation": "tanh"}, {}),  # not ReLU or linear
        ({}, {"strides": 1}),  # overlapping windows
        ({}, {"padding": "same"}),
    ],
)
def test_pairs_that_do_not_fuse_run_as_two_layers(conv, pool):
    model = nf.keras.Sequential(
        [nf.keras.Input((9, 9, 2)), layers.Conv2D(3, 3, **conv), layers.MaxPooling2D(2, **pool)]
    )
    x = np.random.default_rng(2).normal(size=(2, 9, 9, 2))
    out = model(x)
    assert type(out._ctx).__name__ != "Conv2DMaxPool"
    np.testing.assert_allclose(out.numpy(), layer_by_layer(model, x).numpy())


def test_fused_pair_reports_the_pooling_layers_error():
    conv, pool = layers.Conv2D(2, 3), layers.MaxPooling2D(4, name="pool")
    pool(conv(np.zeros((1, 6, 6, 1))))  # builds both; the conv output, 4x4, fits the pool
    small = nf.Tensor(np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="'pool'.*larger than the input") as plain:
        pool(conv(small))
    with pytest.raises(ValueError) as fused:
        pool.call_fused(conv, small)
    assert str(fused.value) == str(plain.value)
