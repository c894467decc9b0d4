"""plot_weights and plot_aggregated_weights: the images drawn are the kernels' columns."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow.keras import layers, models  # noqa: E402
from neuroflow.viz import plot_aggregated_weights, plot_weights  # noqa: E402


def _image_axes(fig):
    return [axis for axis in fig.axes if axis.images and axis.get_label() != "<colorbar>"]


def _colorbars(fig):
    return [axis for axis in fig.axes if axis.get_label() == "<colorbar>"]


@pytest.fixture
def mlp():
    model = models.Sequential([layers.Input((20,)), layers.Dense(6, activation="relu"),
                               layers.Dense(5, activation="relu"), layers.Dense(3)])  # fmt: skip
    model(np.zeros((1, 20), "float32"))
    return model


def test_each_unit_image_is_its_kernel_column(mlp, save_png):
    fig = plot_weights(mlp, shape=(4, 5))
    kernel = mlp.layers[0].get_weights()[0]
    axes = _image_axes(fig)
    assert len(axes) == 6
    for j, axis in enumerate(axes):
        np.testing.assert_array_equal(axis.images[0].get_array(), kernel[:, j].reshape(4, 5))
        assert axis.get_title() == f"unit {j}"
    save_png(fig, "weights")


def test_one_symmetric_diverging_colour_scale(mlp):
    fig = plot_weights(mlp, shape=(4, 5))
    limit = np.abs(mlp.layers[0].get_weights()[0]).max()
    for axis in _image_axes(fig):
        low, high = axis.images[0].get_clim()
        assert low == pytest.approx(-limit) and high == pytest.approx(limit)
        assert axis.images[0].get_cmap().name == "RdBu_r"
    assert len(_colorbars(fig)) == 1


def test_layer_nested_model_estimator_and_array(mlp):
    kernel = mlp.layers[0].get_weights()[0]
    fig = plot_weights(mlp.layers[0], shape=(20,))  # a layer; 1-D shape draws rows
    np.testing.assert_array_equal(_image_axes(fig)[2].images[0].get_array(), kernel[None, :, 2])

    inputs = layers.Input((20,))
    outer = models.Model(inputs, layers.Dense(2)(mlp(inputs)))  # the Sequential nested inside
    fig = plot_weights(outer, shape=(4, 5), max_units=2)
    assert len(_image_axes(fig)) == 2
    np.testing.assert_array_equal(_image_axes(fig)[1].images[0].get_array(),
                                  kernel[:, 1].reshape(4, 5))  # fmt: skip

    coefs = [np.arange(12.0).reshape(4, 3), np.ones((3, 2))]
    estimator = type("FittedMLP", (), {"coefs_": coefs})()  # scikit-learn's MLPs are read so
    fig = plot_weights(estimator, shape=(2, 2))
    np.testing.assert_array_equal(_image_axes(fig)[1].images[0].get_array(), [[1, 4], [7, 10]])


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_neuroflow_sklearn_mlp():
    pytest.importorskip("sklearn")
    from neuroflow.sklearn import MLPClassifier

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 9)), rng.integers(0, 2, 40)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(x, y)
    fig = plot_weights(clf, shape=(3, 3))
    np.testing.assert_allclose(_image_axes(fig)[3].images[0].get_array(),
                               clf.coefs_[0][:, 3].reshape(3, 3))  # fmt: skip


def test_large_layer_grid_is_twice_as_wide_as_tall():
    kernel = np.random.default_rng(0).normal(size=(16, 128))
    fig = plot_weights(kernel, shape=(4, 4))
    axes = _image_axes(fig)
    assert len(axes) == 128 and axes[0].get_title() == ""  # no titles over so many images
    assert axes[0].get_subplotspec().get_geometry()[:2] == (8, 16)
    np.testing.assert_array_equal(axes[127].images[0].get_array(), kernel[:, 127].reshape(4, 4))
    fig = plot_weights(kernel, shape=(4, 4), max_units=10, ncols=5)
    assert _image_axes(fig)[0].get_subplotspec().get_geometry()[:2] == (2, 5)


def test_aggregated_weights_are_the_product_of_the_kernels(mlp, save_png):
    names = ["cat", "dog", "fish"]
    fig = plot_aggregated_weights(mlp, shape=(4, 5), class_names=names)
    w1, w2, w3 = (layer.get_weights()[0] for layer in mlp.layers)
    product = w1.astype(np.float64) @ w2 @ w3
    axes = _image_axes(fig)
    assert [axis.get_title() for axis in axes] == names
    limits = set()
    for k, axis in enumerate(axes):
        np.testing.assert_allclose(axis.images[0].get_array(), product[:, k].reshape(4, 5),
                                   rtol=1e-6)  # fmt: skip
        limits.add(axis.images[0].get_clim())
    assert limits == {(-np.abs(product).max(), np.abs(product).max())}  # one shared scale
    assert len(_colorbars(fig)) == 1
    assert "W(dense) @ W(dense_1) @ W(dense_2)" in fig.get_suptitle()
    save_png(fig, "aggregated")


def test_aggregated_weights_default_titles_and_given_axes(mlp):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    assert plot_aggregated_weights(mlp, shape=(4, 5), ax=axes) is fig
    assert [axis.get_title() for axis in axes] == ["class 0", "class 1", "class 2"]


def test_model_without_dense_layer_names_its_layers():
    model = models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Flatten()])
    with pytest.raises(ValueError, match=r"Received a model with layers: conv2d \(Conv2D\), "
                                         r"flatten \(Flatten\).*plot_kernels"):  # fmt: skip
        plot_weights(model)
    with pytest.raises(ValueError, match=r"Received the layer conv2d \(Conv2D\)"):
        plot_weights(model.layers[0])
    with pytest.raises(TypeError, match="Received: str"):
        plot_weights("dense")


def test_shape_must_match_the_kernel_rows(mlp):
    with pytest.raises(ValueError, match=r"input rows \(20\). Received: shape=\(28, 28\)"):
        plot_weights(mlp)
    with pytest.raises(ValueError, match=r"input rows \(20\).*shape=\(3, 3\) \(9 pixels\)"):
        plot_aggregated_weights(mlp, shape=(3, 3))


def test_unbuilt_layer_and_bad_arguments(mlp):
    with pytest.raises(ValueError, match="'late' has no weights yet"):
        plot_weights(layers.Dense(3, name="late"), shape=(2,))
    with pytest.raises(ValueError, match="max_units=0"):
        plot_weights(mlp, shape=(4, 5), max_units=0)
    with pytest.raises(ValueError, match=r"one class name per output \(3\)"):
        plot_aggregated_weights(mlp, shape=(4, 5), class_names=["a"])


def test_kernels_that_do_not_chain():
    model = models.Sequential([layers.Input((6,)), layers.Dense(6), layers.Reshape((2, 3)),
                               layers.Dense(4)])  # fmt: skip
    with pytest.raises(ValueError, match=r"'dense_1' has 3 input rows but .* 6 units"):
        plot_aggregated_weights(model, shape=(6,))


@pytest.mark.slow
def test_seed004_example_saves_its_three_pictures(tmp_path, capsys):
    from tests.conftest import load_real

    (_, _), (x_test, y_test) = load_real("mnist")
    model = models.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"),
                               layers.Dense(10, activation="softmax")])  # fmt: skip
    model.save(tmp_path / "seed004.keras")
    path = Path(__file__).resolve().parents[2] / "examples" / "seed004_inspect.py"
    spec = importlib.util.spec_from_file_location("seed004_inspect", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out_dir = tmp_path / "gallery"
    args = ["--model", str(tmp_path / "seed004.keras"), "--out", str(out_dir)]
    assert example.main([*args, "--misclassified", "4"]) == 0
    predicted = np.argmax(
        model.predict(x_test.reshape(-1, 784).astype("float32") / 255, verbose=0), axis=1
    )
    wrong = int(np.sum(predicted != y_test))
    assert f"Out of 10000 testing images, {wrong} misclassified images." in capsys.readouterr().out
    for name in ("weights", "aggregated_weights", "misclassified"):
        png = (out_dir / f"seed004_{name}.png").read_bytes()
        assert png[:4] == b"\x89PNG" and len(png) > 10_000
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "seed004_aggregated_weights.png", "seed004_misclassified.png", "seed004_weights.png"
    ]  # fmt: skip
