"""plot_model: Keras 3's boxes and edges drawn with matplotlib (counts, texts, layout, files)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

from neuroflow import keras
from neuroflow.keras import layers
from neuroflow.viz import plot_model


def _patches(fig, prefix: str) -> dict:
    """gid -> patch for the drawn patches whose gid starts with ``prefix``."""
    return {p.get_gid(): p for p in fig.axes[0].patches if str(p.get_gid()).startswith(prefix)}


def _boxes(fig) -> dict:
    """layer name -> (x0, y0, x1, y1) of its box, in the axes' data units (y grows down)."""
    out = {}
    for gid, p in _patches(fig, "layer:").items():
        x, y = p.get_xy()
        out[gid[len("layer:") :]] = (x, y, x + p.get_width(), y + p.get_height())
    return out


def _edges(fig) -> set:
    return {tuple(gid[len("edge:") :].split("->")) for gid in _patches(fig, "edge:")}


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def _cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="cnn")  # fmt: skip


def _branching():
    """Two inputs merged, a fan-out into three branches, a skip connection, a late input."""
    x, y, aux = (
        keras.Input((8,), name="x"),
        keras.Input((4,), name="y"),
        keras.Input((3,), name="aux"),
    )
    a = layers.Dense(16, activation="relu", name="a")(x)
    b = layers.Dense(16, name="b")(y)
    cat = layers.Concatenate(name="cat")([a, b])
    sub = keras.Sequential(
        [
            keras.Input((32,)),
            layers.Dense(8, activation="tanh", name="s1"),
            layers.Dense(4, name="s2"),
        ],
        name="sub",
    )
    e = layers.Dense(4, name="e")(sub(cat))
    added = layers.Add(name="add")([e, layers.Dense(4, name="skip")(cat)])
    out1 = layers.Dense(1, name="o1")(layers.Concatenate(name="cat2")([added, aux]))
    out2 = layers.Dense(2, name="o2")(cat)
    return keras.Model([x, y, aux], [out1, out2], name="branchy")


BRANCH_EDGES = {
    ("x", "a"), ("y", "b"), ("a", "cat"), ("b", "cat"), ("cat", "sub"), ("sub", "e"),
    ("cat", "skip"), ("e", "add"), ("skip", "add"), ("add", "cat2"), ("aux", "cat2"),
    ("cat2", "o1"), ("cat", "o2"),
}  # fmt: skip


def _disjoint(boxes: dict) -> None:
    items = list(boxes.items())
    for i, (n1, (a0, b0, a1, b1)) in enumerate(items):
        for n2, (c0, d0, c1, d1) in items[i + 1 :]:
            overlap = min(a1, c1) - max(a0, c0) > 0 and min(b1, d1) - max(b0, d0) > 0
            assert not overlap, f"boxes of {n1} and {n2} overlap"


def test_keras_signature_and_defaults():
    ours = inspect.signature(plot_model).parameters
    expected = {
        "to_file": "model.png", "show_shapes": False, "show_dtype": False,
        "show_layer_names": False, "rankdir": "TB", "expand_nested": False, "dpi": 200,
        "show_layer_activations": False, "show_trainable": False, "splines": "ortho",
    }  # fmt: skip
    assert list(ours)[: len(expected) + 1] == ["model", *expected]
    assert {k: ours[k].default for k in expected} == expected


def test_keras_signature_matches_installed_keras():
    from tests.conftest import peer

    peer("keras")
    from keras.src.utils.model_visualization import plot_model as keras_plot_model

    theirs = inspect.signature(keras_plot_model).parameters
    ours = inspect.signature(plot_model).parameters
    for name, parameter in theirs.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        assert name in ours and ours[name].default == parameter.default, name


def test_sequential_cnn_one_box_per_layer_and_a_chain_of_edges(tmp_path):
    model = _cnn()
    fig = plot_model(model, tmp_path / "cnn.png", show_shapes=True, show_layer_names=True)
    names = [layer.name for layer in model.layers]
    assert sorted(_boxes(fig)) == sorted(names)  # Keras draws no InputLayer for Sequential
    assert _edges(fig) == set(zip(names, names[1:]))
    texts = _texts(fig)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in texts
        assert f"Input shape: {layer.input.shape}" in texts
        assert f"Output shape: {layer.output.shape}" in texts
    assert "Output shape: (None, 26, 26, 8)" in texts
    boxes = _boxes(fig)
    _disjoint(boxes)
    tops = [boxes[n][1] for n in names]
    assert tops == sorted(tops)  # top to bottom, in layer order
    centres = [(boxes[n][0] + boxes[n][2]) / 2 for n in names]
    assert np.ptp(centres) < 1e-6  # a chain stands in one column
    data = (tmp_path / "cnn.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_texts_fit_inside_their_boxes():
    model = _cnn()
    fig = plot_model(model, None, show_shapes=True, show_layer_names=True,
                     show_layer_activations=True, show_dtype=True, show_trainable=True)  # fmt: skip
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frames = [p.get_window_extent(renderer) for p in _patches(fig, "layer:").values()]
    for text in fig.axes[0].texts:
        bbox = text.get_window_extent(renderer)
        inside = [
            f for f in frames
            if f.x0 - 1 <= bbox.x0 and bbox.x1 <= f.x1 + 1 and f.y0 - 1 <= bbox.y0
            and bbox.y1 <= f.y1 + 1
        ]  # fmt: skip
        assert inside, f"text {text.get_text()!r} sticks out of its box"


def test_functional_branches_merges_and_inputs():
    model = _branching()
    fig = plot_model(model, None, show_shapes=True, show_layer_names=True)
    boxes = _boxes(fig)
    assert sorted(boxes) == sorted(layer.name for layer in model.layers)  # InputLayers too
    assert len(boxes) == 13
    assert _edges(fig) == BRANCH_EDGES
    _disjoint(boxes)
    texts = _texts(fig)
    assert "Input shape: [(None, 16), (None, 16)]" in texts  # the merge reads a list
    assert "Output shape: (None, 8)" in texts  # InputLayer 'x' has no input shape row
    assert sum(t.startswith("Input shape") for t in texts) == 13 - 3
    # every edge points down: its target starts below where its source ends
    for source, target in BRANCH_EDGES:
        assert boxes[target][1] > boxes[source][3]
    # the late input sits on the rank just above the layer that reads it (as Graphviz puts it)
    assert boxes["aux"][1] > boxes["add"][1] - 1


def test_header_rows_follow_the_show_options():
    model = _branching()
    model.get_layer("b").trainable = False
    fig = plot_model(model, None)
    assert "Dense" in _texts(fig) and "a (Dense)" not in _texts(fig)
    assert not any(t.startswith(("Input shape", "Activation", "Output dtype")) for t in _texts(fig))
    fig = plot_model(model, None, show_layer_names=True, show_layer_activations=True,
                     show_dtype=True, show_trainable=True)  # fmt: skip
    texts = _texts(fig)
    assert "a (Dense)" in texts and "x (InputLayer)" in texts
    assert texts.count("Activation: relu") == 1 and texts.count("Activation: linear") == 5
    assert "Activation: tanh" not in texts  # inside 'sub', which is one box here
    assert texts.count("Output dtype: float32") == 13
    assert texts.count("Non-trainable") == 1  # b
    assert texts.count("Trainable") == 6  # a, e, skip, o1, o2, sub; merges have no weights


def test_rankdir_turns_the_layout():
    model = _cnn()
    names = [layer.name for layer in model.layers]

    def centres(fig):
        boxes = _boxes(fig)
        return np.array([((boxes[n][0] + boxes[n][2]) / 2, (boxes[n][1] + boxes[n][3]) / 2)
                         for n in names])  # fmt: skip

    tb, lr = centres(plot_model(model, None)), centres(plot_model(model, None, rankdir="LR"))
    bt, rl = (
        centres(plot_model(model, None, rankdir="BT")),
        centres(plot_model(model, None, rankdir="RL")),
    )
    assert np.all(np.diff(tb[:, 1]) > 0) and np.ptp(tb[:, 0]) < 1e-6
    assert np.all(np.diff(lr[:, 0]) > 0) and np.ptp(lr[:, 1]) < 1e-6
    assert np.all(np.diff(bt[:, 1]) < 0) and np.all(np.diff(rl[:, 0]) < 0)
    fig = plot_model(_branching(), None, rankdir="LR", show_shapes=True)
    boxes = _boxes(fig)
    _disjoint(boxes)
    for source, target in BRANCH_EDGES:
        assert boxes[target][0] > boxes[source][2]  # left to right


def test_expand_nested_draws_the_inner_layers_in_a_frame():
    model = _branching()
    fig = plot_model(model, None, show_layer_names=True, expand_nested=True, show_shapes=True)
    boxes = _boxes(fig)
    assert "sub" not in boxes and {"s1", "s2"} <= set(boxes)
    assert len(boxes) == 14
    edges = BRANCH_EDGES - {("cat", "sub"), ("sub", "e")} | {
        ("cat", "s1"),
        ("s1", "s2"),
        ("s2", "e"),
    }
    assert _edges(fig) == edges
    _disjoint(boxes)
    (frame,) = _patches(fig, "cluster:").values()
    assert frame.get_gid() == "cluster:sub"
    x, y = frame.get_xy()
    for name in ("s1", "s2"):  # the frame holds the nested layers and nothing else
        x0, y0, x1, y1 = boxes[name]
        assert x <= x0 and x1 <= x + frame.get_width() and y <= y0 and y1 <= y + frame.get_height()
    for name, (x0, y0, x1, y1) in boxes.items():
        if name not in ("s1", "s2"):
            outside = (
                x1 <= x or x0 >= x + frame.get_width() or y1 <= y or y0 >= y + frame.get_height()
            )
            assert outside, name


def test_expand_nested_functional_enters_at_its_input_layers():
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner")
    outer_in = keras.Input((4,), name="outer_in")
    model = keras.Model(outer_in, layers.Dense(1, name="head")(inner(outer_in)))
    assert _edges(plot_model(model, None, show_layer_names=True)) == {
        ("outer_in", "inner"), ("inner", "head")}  # fmt: skip
    fig = plot_model(model, None, show_layer_names=True, expand_nested=True)
    assert _edges(fig) == {("outer_in", "inner_in"), ("inner_in", "inner_dense"),
                           ("inner_dense", "head")}  # fmt: skip


def test_shared_layer_is_one_box_and_repeated_edges_are_drawn_once():
    x = keras.Input((4,), name="x")
    shared = layers.Dense(4, name="shared")
    twice = shared(shared(x))
    model = keras.Model(x, layers.Add(name="add")([twice, twice]))
    fig = plot_model(model, None, show_layer_names=True)
    assert sorted(_boxes(fig)) == ["add", "shared", "x"]
    # Keras's edges: one per (source, target) pair, a loop for the layer fed its own output
    assert _edges(fig) == {("x", "shared"), ("shared", "shared"), ("shared", "add")}
    _, y0, x1, y1 = _boxes(fig)["shared"]
    (loop,) = [p for gid, p in _patches(fig, "edge:").items() if gid == "edge:shared->shared"]
    xs, ys = loop._path_original.vertices.T  # the route given (get_path() adds the head)
    assert xs.max() > x1 and y0 < ys.min() and ys.max() < y1  # beside the box, at its height


def test_subclassed_model_is_one_box():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model(np.zeros((1, 3), "float32"))
    fig = plot_model(model, None, show_layer_names=True, show_shapes=True)
    assert list(_boxes(fig)) == ["tiny"] and not _edges(fig)
    assert "tiny (Tiny)" in _texts(fig)


def test_files_by_extension_and_default_name(tmp_path, monkeypatch):
    model = _cnn()
    monkeypatch.chdir(tmp_path)
    plot_model(model)  # Keras's default: model.png in the working folder
    assert (tmp_path / "model.png").read_bytes()[:4] == b"\x89PNG"
    plot_model(model, "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"
    plot_model(model, tmp_path / "m.svg")
    assert b"<svg" in (tmp_path / "m.svg").read_bytes()[:2000]
    plot_model(model, "noext")  # no extension: PNG, at exactly that name (as Keras)
    assert (tmp_path / "noext").read_bytes()[:4] == b"\x89PNG"
    before = sorted(p.name for p in tmp_path.iterdir())
    plot_model(model, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing saved
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_dpi_sets_the_saved_resolution(tmp_path):
    import matplotlib.image as mpimg

    model = _cnn()
    plot_model(model, tmp_path / "a.png", dpi=50)
    plot_model(model, tmp_path / "b.png", dpi=100)
    small, large = mpimg.imread(tmp_path / "a.png"), mpimg.imread(tmp_path / "b.png")
    assert abs(large.shape[0] / small.shape[0] - 2) < 0.05


def test_draws_into_a_given_axes(save_png):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
    out = plot_model(_branching(), None, ax=right, show_layer_names=True)
    assert out is fig
    assert len(_patches_of(right, "layer:")) == 13 and not _patches_of(left, "layer:")
    save_png(fig)
    given = plt.figure(figsize=(3, 5))
    assert plot_model(_cnn(), None, fig=given) is given and len(given.axes) == 1
    save_png(given)


def _patches_of(ax, prefix):
    return [p for p in ax.patches if str(p.get_gid()).startswith(prefix)]


def test_bad_input():
    with pytest.raises(ValueError, match="not yet been built"):
        plot_model(keras.Sequential([layers.Dense(2)]), None)
    with pytest.raises(TypeError, match="Received: model="):
        plot_model(layers.Dense(2), None)
    model = _cnn()
    with pytest.raises(ValueError, match="rankdir='XY'"):
        plot_model(model, None, rankdir="XY")
    with pytest.raises(ValueError, match="splines='zigzag'"):
        plot_model(model, None, splines="zigzag")
    with pytest.raises(ValueError, match="dpi=0"):
        plot_model(model, None, dpi=0)
    with pytest.raises(ValueError, match="layer_range"):
        plot_model(model, None, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        plot_model(model, None, show_colours=True)
    with pytest.raises(ValueError, match=r"to_file='model\.xyz'"):
        plot_model(model, "model.xyz")


def test_keras_utils_reexport_does_not_import_matplotlib():
    code = (
        "import sys\n"
        "from neuroflow import keras\n"
        "from neuroflow.keras.utils import plot_model\n"
        "from neuroflow.viz import plot_model as viz_plot_model\n"
        "assert keras.utils.plot_model is plot_model is viz_plot_model\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
