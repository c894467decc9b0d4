"""summary()'s arguments (tests/test_keras_parity.py compares the same tables with Keras's)."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import layers
from neuroflow.models import Sequential


def nested_model():
    nf.backend.clear_session()
    inner = Sequential([layers.Input((8,)), layers.Dense(4), layers.Dense(3)], name="inner")
    model = Sequential(
        [layers.Input((6,)), layers.Dense(8, name="first"), layers.Dropout(0.1), inner,
         layers.Dense(2, name="last")],
        name="outer",
    )  # fmt: skip
    model.layers[0].trainable = False
    return model


def rows(model, **kwargs):
    """The table's body rows, as lists of stripped cell texts."""
    lines = []
    model.summary(print_fn=lines.append, line_length=80, **kwargs)
    body = [ln for ln in lines[0].splitlines() if ln.startswith("│")]
    return [[cell.strip() for cell in ln.strip("│").split("│")] for ln in body]


def test_show_trainable_adds_a_column_of_y_n_and_dash():
    table = rows(nested_model(), show_trainable=True)
    assert [row[0] for row in table] == [
        "first (Dense)", "dropout (Dropout)", "inner (Sequential)", "last (Dense)",
    ]  # fmt: skip
    assert [row[-1] for row in table] == ["N", "-", "Y", "Y"]
    assert all(len(row) == 3 for row in rows(nested_model()))


def test_expand_nested_lists_inner_layers_under_their_model():
    table = rows(nested_model(), expand_nested=True)
    names = [row[0] for row in table]
    assert names[2:5] == ["inner (Sequential)", "└ dense (Dense)", "└ dense_1 (Dense)"]
    assert [row[1] for row in table[3:5]] == ["(None, 4)", "(None, 3)"]
    assert [row[2] for row in table[3:5]] == ["36", "15"]
    assert len(rows(nested_model())) == 4


def test_layer_range_picks_layers_by_name_or_regex():
    model = nested_model()
    assert [r[0] for r in rows(model, layer_range=("dropout", "inner"))] == [
        "dropout (Dropout)", "inner (Sequential)",
    ]  # fmt: skip
    assert [r[0] for r in rows(model, layer_range=["fi.*", "fi.*"])] == ["first (Dense)"]
    # reversed bounds: Keras shows the layers between them anyway
    assert len(rows(model, layer_range=("last", "first"))) == 4
    picked = rows(model, layer_range=("inner", "last"), expand_nested=True)
    assert [r[0] for r in picked] == [
        "inner (Sequential)", "└ dense (Dense)", "└ dense_1 (Dense)", "last (Dense)",
    ]  # fmt: skip
    assert picked[-1][1] == "(None, 2)"


@pytest.mark.parametrize(
    "layer_range,match",
    [
        (("first",), "layer_range=\\('first',\\)"),
        (("first", 3), "2 strings"),
        ("first", "layer_range='first'"),
        (("nothing", "last"), "do not match.*'first', 'dropout'"),
    ],
)
def test_bad_layer_range_is_a_clear_error(layer_range, match):
    with pytest.raises(ValueError, match=match):
        nested_model().summary(layer_range=layer_range, print_fn=lambda text: None)


def test_positions_set_the_column_ends():
    lines = []
    nested_model().summary(print_fn=lines.append, line_length=60, positions=[0.5, 0.75, 1.0])
    top = lines[0].splitlines()[1]
    assert len(top) == 60
    assert top.index("┳") == 30  # rich's layout of Keras's [30, 15, 15]-wide columns
    absolute, relative = [], []
    nested_model().summary(print_fn=absolute.append, line_length=60, positions=[30, 45, 60])
    nested_model().summary(print_fn=relative.append, line_length=60, positions=[0.5, 0.75, 1])
    assert absolute == relative  # tf.keras 2's positions in characters


@pytest.mark.parametrize(
    "positions,match",
    [
        ([0.5, 1.0], "3 column ends"),
        ([0.5, 0.6, 0.8, 1.0], "3 column ends"),
        ([0.01, 0.5, 1.0], "Insufficient console width"),
    ],
)
def test_bad_positions_are_a_clear_error(positions, match):
    with pytest.raises(ValueError, match=match):
        nested_model().summary(positions=positions, line_length=60, print_fn=lambda text: None)


def test_optimizer_params_are_listed_once_the_optimizer_has_state():
    model = nested_model()
    model.compile("adam", "mse")
    lines = []
    model.summary(print_fn=lines.append)
    assert "Optimizer params" not in lines[0]
    model.fit(np.zeros((4, 6), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    model.summary(print_fn=lines.append)
    trainable = sum(w.size for w in model.trainable_weights)
    # Adam's two slots per trainable weight, plus the step counter and the learning rate
    assert f" Optimizer params: {2 * trainable + 2:,} (" in lines[1]


def test_long_names_wrap_and_are_cut_with_an_ellipsis():
    model = Sequential([layers.Input((3,)), layers.Dense(2, name="a_very_long_layer_name")])
    lines = []
    model.summary(print_fn=lines.append, line_length=40)
    text = lines[0].splitlines()
    row = next(i for i, line in enumerate(text) if "a_very" in line)
    assert text[row].startswith("│ a_very_long_la… │") and text[row + 1].startswith("│ (Dense)")
    # a header cell that wraps sits at the bottom of its row, as rich draws it
    assert text[2:4] == [
        "┃                 ┃ Output     ┃ Param ┃",
        "┃ Layer (type)    ┃ Shape      ┃     # ┃",
    ]
