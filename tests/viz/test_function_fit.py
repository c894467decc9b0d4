"""hidden_features and plot_function_fit: the network's curve is the weighted sum of its hidden
units' curves, in the numbers returned and in the lines drawn; the example reproduces seed
004's experiment."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow import keras, layers  # noqa: E402
from neuroflow.viz import hidden_features, plot_function_fit  # noqa: E402
from neuroflow.viz.function_fit import HiddenFeatures  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "function_approximation.py"


def mlp(units=3, output_activation=None):
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((1,)),
            layers.Dense(8, activation="relu", name="h1"),
            layers.Dense(units, activation="tanh", name="h2"),
            layers.Dense(1, activation=output_activation, name="out"),
        ]
    )


def test_features_weights_and_bias_rebuild_the_prediction():
    model = mlp()
    x = np.linspace(-2, 2, 41)[:, None]
    hf = hidden_features(model, x)
    assert isinstance(hf, HiddenFeatures)
    assert (hf.layer, hf.output_layer, hf.activation) == ("h2", "out", "linear")
    h1 = np.maximum(x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1], 0)
    k2, b2 = model.layers[1].get_weights()
    np.testing.assert_allclose(hf.features, np.tanh(h1 @ k2 + b2), atol=1e-6)
    k3, b3 = model.layers[2].get_weights()
    np.testing.assert_array_equal(hf.weights, k3)
    np.testing.assert_array_equal(hf.bias, b3)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(hf.features @ hf.weights + hf.bias, predicted, atol=1e-6)
    assert hf.contributions.shape == (41, 3, 1)
    np.testing.assert_allclose(hf.contributions.sum(axis=1) + hf.bias, predicted, atol=1e-6)


def test_other_layers_by_name_index_and_functional_models():
    model = mlp()
    x = np.linspace(-1, 1, 7)[:, None]
    hf = hidden_features(model, x, layer="h1")
    assert (hf.layer, hf.output_layer, hf.features.shape, hf.weights.shape) == (
        "h1", "h2", (7, 8), (8, 3),
    )  # fmt: skip
    np.testing.assert_allclose(np.tanh(hf.output), hidden_features(model, x).features, atol=1e-6)
    assert hidden_features(model, x, layer=0).layer == "h1"
    inputs = keras.Input((2,))
    hidden = layers.Dense(4, activation="elu", name="hidden")(inputs)
    out = layers.Dense(2, activation="softmax", name="probs")(hidden)
    functional = keras.Model(inputs, out)
    z = np.random.default_rng(0).normal(size=(5, 2))
    hf = hidden_features(functional, z, layer="hidden")
    assert hf.activation == "softmax"
    logits = hf.output
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, functional.predict(z, verbose=0), atol=1e-6)


def test_hidden_features_bad_input():
    model = mlp()
    x = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"'h1 \(Dense\)'.*layer='nope'"):
        hidden_features(model, x, layer="nope")
    with pytest.raises(ValueError, match=r"layer=7"):
        hidden_features(model, x, layer=7)
    with pytest.raises(ValueError, match=r"'out' to feed a Dense layer.*no layer"):
        hidden_features(model, x, layer=-1)
    dropout = keras.Sequential([keras.Input((1,)), layers.Dense(3, name="d"),
                                layers.Dropout(0.1, name="drop"), layers.Dense(1)])  # fmt: skip
    with pytest.raises(ValueError, match=r"'d' to feed a Dense layer.*drop \(Dropout\)"):
        hidden_features(dropout, x, layer="d")
    with pytest.raises(TypeError, match="Keras-style model"):
        hidden_features(object(), x)


def test_plotted_weighted_curves_sum_to_the_model_output(save_png):
    model = mlp()
    x = np.linspace(-2, 2, 30)
    y = np.sin(x)
    fig = plot_function_fit(model, x, y, target=np.sin, title="sin(x)")
    left, right = fig.axes
    grid = np.linspace(-2, 2, 300)
    predicted = model.predict(grid[:, None], verbose=0)[:, 0]
    units = [ln for ln in right.lines if ln.get_gid().startswith("unit")]
    (bias,) = [ln for ln in right.lines if ln.get_gid() == "bias"]
    (total,) = [ln for ln in right.lines if ln.get_gid() == "sum"]
    assert len(units) == 3
    drawn = sum(np.asarray(ln.get_ydata()) for ln in units) + np.asarray(bias.get_ydata())
    np.testing.assert_allclose(drawn, predicted, atol=1e-5)
    np.testing.assert_allclose(total.get_ydata(), predicted, atol=1e-5)
    (fit,) = [ln for ln in left.lines if ln.get_gid() == "fit"]
    np.testing.assert_allclose(fit.get_xdata(), grid)
    np.testing.assert_allclose(fit.get_ydata(), predicted, rtol=1e-6)
    (target,) = [ln for ln in left.lines if ln.get_gid() == "target"]
    np.testing.assert_allclose(target.get_ydata(), np.sin(grid))
    np.testing.assert_allclose(left.collections[0].get_offsets(), np.c_[x, y])  # the data
    # the labels carry the weights and the bias, the title the MSE on the data
    k, b = model.layers[-1].get_weights()
    assert [ln.get_label() for ln in units] == [
        f"{w:+.3g} * h{j}(x)" for j, w in enumerate(k[:, 0])
    ]
    assert bias.get_label() == f"bias b = {b[0]:+.3g}"
    mse = np.mean((model.predict(x[:, None], verbose=0)[:, 0] - y) ** 2)
    assert left.get_title() == f"sin(x): fit, MSE on the data {mse:.3g}"
    assert "3 curves" in right.get_title() and "'h2'" in right.get_title()
    save_png(fig, "function_fit")


def test_output_activation_is_named_and_grid_is_used():
    model = mlp(output_activation="sigmoid")
    fig = plot_function_fit(model, np.linspace(0, 1, 5), np.ones(5), x_grid=np.linspace(-1, 2, 7))
    (total,) = [ln for ln in fig.axes[1].lines if ln.get_gid() == "sum"]
    assert total.get_label() == "sum = network (before sigmoid)"
    logits = np.log(model.predict(np.linspace(-1, 2, 7)[:, None], verbose=0)[:, 0])
    logits -= np.log1p(-np.exp(logits))
    np.testing.assert_allclose(total.get_ydata(), logits, atol=1e-4)


def test_plot_function_fit_bad_input():
    model = mlp()
    with pytest.raises(ValueError, match="same length"):
        plot_function_fit(model, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"`x` to hold one number per sample.*\(3, 2\)"):
        plot_function_fit(model, np.zeros((3, 2)), np.zeros(3))
    two = keras.Sequential([keras.Input((1,)), layers.Dense(3), layers.Dense(2, name="two")])
    with pytest.raises(ValueError, match="one output; layer 'two' has 2"):
        plot_function_fit(two, np.zeros(3), np.zeros(3))


def load_example():
    spec = importlib.util.spec_from_file_location("function_approximation", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_quick_run_saves_a_figure_per_function(tmp_path, capsys):
    example = load_example()
    assert example.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and ("e-" in ln or "e+" in ln)]
    assert [r.split("|")[1].strip() for r in rows] == list(example.FUNCTIONS)
    for name in example.FILE_NAMES.values():
        assert (tmp_path / f"function_fit_{name}.png").stat().st_size > 10_000


@pytest.mark.slow
def test_example_fits_each_function_closely():
    example = load_example()
    for fn in example.FUNCTIONS.values():
        model, x, y, loss = example.fit(fn)
        assert loss < 1e-3
        grid = np.linspace(-3, 3, 300)[:, None]
        hf = hidden_features(model, grid, layer="features")
        np.testing.assert_allclose(hf.output, model.predict(grid, verbose=0), atol=1e-5)
