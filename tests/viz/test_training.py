"""plot_history: one panel per quantity, training beside validation, epochs from 1."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow.keras import layers, models  # noqa: E402
from neuroflow.viz import plot_history  # noqa: E402


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    model = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.Dense(2, activation="softmax")])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)


def test_history_object_one_panel_per_quantity_with_its_values(history, save_png):
    fig = plot_history(history)
    assert [axis.get_title() for axis in fig.axes] == ["loss", "accuracy"]
    for axis, name in zip(fig.axes, ["loss", "accuracy"]):
        training, validation = axis.lines[0], axis.lines[1]
        assert training.get_label() == "training" and validation.get_label() == "validation"
        np.testing.assert_array_equal(training.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_allclose(training.get_ydata(), history.history[name])
        np.testing.assert_allclose(validation.get_ydata(), history.history[f"val_{name}"])
        assert axis.get_xlabel() == "epoch"
        assert axis.get_legend() is not None
    save_png(fig, "history")


def test_best_validation_epoch_is_marked(history):
    fig = plot_history(history.history, metrics=["loss"])
    (axis,) = fig.axes
    star = axis.lines[2]
    best = int(np.argmin(history.history["val_loss"]))
    assert star.get_xdata()[0] == best + 1
    assert star.get_ydata()[0] == pytest.approx(history.history["val_loss"][best])
    assert star.get_label() == f"best validation (epoch {best + 1})"


def test_dict_without_validation_and_metric_selection():
    logs = {"loss": [3.0, 2.0, 1.5], "mae": [1.0, 0.8, 0.7]}
    fig = plot_history(logs, metrics="mae")
    (axis,) = fig.axes
    assert axis.get_title() == "mae" and len(axis.lines) == 1
    np.testing.assert_allclose(axis.lines[0].get_xydata(), [[1, 1.0], [2, 0.8], [3, 0.7]])


def test_draws_into_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    assert plot_history({"loss": [1.0, 0.5], "acc": [0.5, 0.7]}, ax=axes) is fig
    assert axes[1].get_title() == "acc" and axes[1].get_ylabel() == "accuracy"
    with pytest.raises(ValueError, match=r"Expected `ax` to hold 2 axes"):
        plot_history({"loss": [1.0, 0.5], "acc": [0.5, 0.7]}, ax=axes[0])


def test_bad_input():
    with pytest.raises(ValueError, match="empty history"):
        plot_history({})
    with pytest.raises(ValueError, match="empty history"):
        plot_history({"loss": []})
    with pytest.raises(ValueError, match=r"among the quantities in the history: \['loss'\]"):
        plot_history({"loss": [1.0]}, metrics=["accuracy"])
    with pytest.raises(TypeError, match="Received: list"):
        plot_history([1.0, 0.5])
