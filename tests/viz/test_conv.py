"""plot_kernels and plot_feature_maps: the filters and the per-layer outputs they claim."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow import keras, layers  # noqa: E402
from neuroflow.viz import plot_feature_maps, plot_kernels  # noqa: E402

R = np.random.default_rng(0)


def convnet():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((10, 10, 2)),
            layers.Conv2D(3, 3, name="conv", activation="relu"),
            layers.MaxPooling2D(name="max"),
            layers.Conv2D(5, 2, name="conv2"),
            layers.ReLU(name="relu"),
            layers.AveragePooling2D(name="avg"),
            layers.Flatten(name="flat"),
            layers.Dense(4, name="dense"),
        ]
    )


def images(fig):
    """The image panels, in order (the colour bar's axes hold no AxesImage)."""
    return [a for a in fig.axes if a.images]


def test_kernels_one_panel_per_filter_showing_kernel_slices(save_png):
    model = convnet()
    kernel = model.layers[0].get_weights()[0]
    fig = plot_kernels(model, channel=1)
    panels = images(fig)
    assert len(panels) == 3
    for k, a in enumerate(panels):
        np.testing.assert_array_equal(a.images[0].get_array(), kernel[:, :, 1, k])
        assert a.get_title() == f"filter {k}"
    vmax = np.abs(kernel[:, :, 1, :]).max()
    assert panels[0].images[0].get_clim() == pytest.approx((-vmax, vmax))  # shared, centred
    assert "conv: 3x3 kernels of 3 filters, input channel 1" in fig._suptitle.get_text()
    assert len(fig.axes) == 3 + 1  # and a colour bar
    save_png(fig, "kernels")


def test_kernels_every_channel_one_row_each_and_max_filters():
    layer = convnet().layers[2]  # conv2: 2x2 kernels, 3 channels in, 5 filters
    kernel = layer.get_weights()[0]
    fig = plot_kernels(layer, channel=None, max_filters=4)
    panels = images(fig)
    assert len(panels) == 3 * 4
    for c in range(3):
        for k in range(4):
            np.testing.assert_array_equal(panels[4 * c + k].images[0].get_array(),
                                          kernel[:, :, c, k])  # fmt: skip
        assert panels[4 * c].get_ylabel() == f"input\nchannel {c}"
    assert "first 4 of 5" in fig._suptitle.get_text()


def test_kernels_grid_wraps_after_ncols():
    layer = layers.Conv2D(10, 3)
    layer(np.zeros((1, 6, 6, 1)))
    fig = plot_kernels(layer, ncols=4)
    assert len(images(fig)) == 10
    assert len(fig.axes) == 12 + 1  # 3 rows of 4, the 2 spare cells blank, and a colour bar


def test_kernels_bad_input():
    dense_only = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d")])
    with pytest.raises(ValueError, match=r"Conv2D.*\['d \(Dense\)'\]"):
        plot_kernels(dense_only)
    with pytest.raises(ValueError, match="not built"):
        plot_kernels(layers.Conv2D(2, 3, name="c"))
    with pytest.raises(ValueError, match=r"channel.*\[0, 2\).*channel=2"):
        plot_kernels(convnet(), channel=2)
    with pytest.raises(TypeError, match="channel"):
        plot_kernels(convnet(), channel="red")


def test_feature_maps_one_row_per_image_layer_with_its_outputs(save_png):
    model = convnet()
    image = R.random((10, 10, 2)).astype(np.float32)
    fig = plot_feature_maps(model, image, max_maps=4)
    grid = np.array(fig.axes).reshape(6, 4)  # input, conv, max, conv2, relu, avg
    names = ["input", "conv", "max", "conv2", "relu", "avg"]
    assert [row[0].get_ylabel().split("\n")[0] for row in grid] == names
    assert grid[2, 0].get_ylabel().split("\n")[1:3] == ["MaxPooling2D", "4x4x3"]
    assert fig._suptitle.get_text().endswith("(the first 4 channels of each)")  # conv2 has 5
    x = image[None]
    expected = {"input": x}
    h = x
    for layer in model.layers[:5]:
        h = layer(h).numpy()
        expected[layer.name] = h
    for row, name in zip(grid, names, strict=True):
        maps = expected[name][0]
        for c, a in enumerate(row):
            if c < maps.shape[-1]:
                np.testing.assert_allclose(a.images[0].get_array(), maps[..., c], rtol=1e-5,
                                           atol=1e-6)  # fmt: skip
                assert a.get_title() == f"channel {c}"
            else:
                assert not a.images and not a.axison  # a blank cell
        shown = maps[..., : row.size]
        low, high = row[0].images[0].get_clim()
        assert (low, high) == pytest.approx((shown.min(), shown.max()), rel=1e-5)
    # max pooling: each output pixel is the max of its 2x2 window of the conv's output
    conv = expected["conv"][0]
    pooled = conv[:8, :8].reshape(4, 2, 4, 2, 3).max(axis=(1, 3))
    np.testing.assert_allclose(grid[2, 1].images[0].get_array(), pooled[..., 1], rtol=1e-6)
    save_png(fig, "feature_maps")


def test_feature_maps_chosen_layers_by_name_index_or_object():
    model = convnet()
    image = R.random((1, 10, 10, 2)).astype(np.float32)  # a batch of one is accepted
    fig = plot_feature_maps(model, image, layers=["max", 3, model.layers[0]], show_input=False)
    labels = [a.get_ylabel().split("\n")[0] for a in fig.axes if a.get_ylabel()]
    assert labels == ["max", "relu", "conv"]
    assert len(fig.axes) == 3 * 5  # as many columns as the widest row (5 channels)


def test_feature_maps_grey_image_for_one_channel_and_unbuilt_model():
    model = keras.Sequential([layers.Conv2D(2, 3, name="c"), layers.MaxPooling2D(name="p")])
    model.build((None, 6, 6, 1))
    fig = plot_feature_maps(model, np.ones((6, 6)))
    assert fig.axes[0].images[0].get_array().shape == (6, 6)
    assert fig.axes[-1].get_title() == "channel 1"


def test_feature_maps_bad_input():
    model = convnet()
    with pytest.raises(ValueError, match=r"Received: 'nope'.*'conv \(Conv2D\)'.*'avg"):
        plot_feature_maps(model, np.zeros((10, 10, 2)), layers=["nope"])
    with pytest.raises(ValueError, match=r"Received: 'dense'"):  # not an image output
        plot_feature_maps(model, np.zeros((10, 10, 2)), layers=["dense"])
    with pytest.raises(ValueError, match=r"one image of shape \(10, 10, 2\).*\(3, 10, 10, 2\)"):
        plot_feature_maps(model, np.zeros((3, 10, 10, 2)))
    dense = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d")])
    with pytest.raises(ValueError, match=r"output images.*\['d \(Dense\)'\]"):
        plot_feature_maps(dense, np.zeros(4))
    with pytest.raises(ValueError, match="max_maps"):
        plot_feature_maps(model, np.zeros((10, 10, 2)), max_maps=0)


def test_seed002_worked_pooling_example_annotated(save_png):
    """Seed 002's 4x4 example: 2x2 max pooling gives [[20, 30], [112, 37]] and average
    pooling [[13, 8], [79, 19.5]] (the seed rounds the last to 20); each number is written
    on its pixel."""
    seed = np.array([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]])
    inputs = keras.Input((4, 4, 1))
    pooled = [layers.MaxPooling2D(name="max")(inputs), layers.AveragePooling2D(name="avg")(inputs)]
    model = keras.Model(inputs, layers.Concatenate()(pooled))
    fig = plot_feature_maps(model, seed[..., None], layers=["max", "avg"], annotate=True)
    image, maxed, averaged = (a for a in fig.axes if a.images)
    np.testing.assert_array_equal(image.images[0].get_array(), seed)
    np.testing.assert_array_equal(maxed.images[0].get_array(), [[20, 30], [112, 37]])
    np.testing.assert_allclose(averaged.images[0].get_array(), [[13, 8], [79, 19.5]])
    assert [t.get_text() for t in maxed.texts] == ["20", "30", "112", "37"]
    assert [t.get_text() for t in averaged.texts] == ["13", "8", "79", "19.5"]
    assert len(image.texts) == 16
    save_png(fig, "pooling")
