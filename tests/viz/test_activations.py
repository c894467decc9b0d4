"""plot_activations: seed 002's gallery, each function with the derivative autograd gives."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow import ops  # noqa: E402
from neuroflow.viz import plot_activations  # noqa: E402

REFERENCE = {  # the functions written out in NumPy
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(0, x),
    "leaky_relu": lambda x: np.maximum(0.1 * x, x),
    "maxout": lambda x: np.max([-x - 1, 0.25 * x, 1.5 * x - 2], axis=0),
    "elu": lambda x: np.where(x >= 0, x, np.expm1(x)),
}


def line(axis, gid):
    (found,) = [ln for ln in axis.lines if ln.get_gid() == gid]
    return np.asarray(found.get_xdata(), float), np.asarray(found.get_ydata(), float)


def test_the_seed_gallery_six_panels_titled_with_their_formulas(save_png):
    fig = plot_activations()
    assert len(fig.axes) == 6
    titles = [a.get_title() for a in fig.axes]
    for title, word in zip(
        titles, ["sigmoid", "tanh", "ReLU", "Leaky ReLU", "Maxout", "ELU"], strict=True
    ):
        assert title.startswith(word)
    assert "0.1x" in titles[3]  # the seed's slope
    assert r"\max(-x - 1,\ 0.25x,\ 1.5x - 2)" in titles[4]  # the pieces are named
    for axis in fig.axes:
        assert axis.get_xlabel() == "x" and axis.get_legend() is not None
    save_png(fig, "activations")


def test_plotted_functions_equal_their_definitions():
    fig = plot_activations()
    for axis, name in zip(fig.axes, REFERENCE, strict=True):
        x, y = line(axis, "function")
        np.testing.assert_array_equal(x, np.linspace(-5, 5, 401))
        np.testing.assert_allclose(y, REFERENCE[name](x), rtol=1e-12, atol=1e-12)


def test_plotted_derivatives_match_finite_differences():
    fig = plot_activations()
    h = 1e-6
    for axis, name in zip(fig.axes, REFERENCE, strict=True):
        x, slope = line(axis, "derivative")
        kept = ~np.isnan(slope)  # NaN only where the line is broken at a jump
        assert kept.sum() == 401
        x, slope = x[kept], slope[kept]
        f = REFERENCE[name]
        numeric = (f(x + h) - f(x - h)) / (2 * h)
        smooth = np.ones_like(x, bool)
        for kink in {"relu": [0], "leaky_relu": [0], "maxout": [-0.8, 1.6]}.get(name, []):
            smooth &= np.abs(x - kink) > 1e-3  # central differences straddle a kink there
        np.testing.assert_allclose(slope[smooth], numeric[smooth], atol=1e-6)
    leaky = line(fig.axes[3], "derivative")[1]
    assert leaky[0] == pytest.approx(0.1) and leaky[-1] == 1.0


def test_derivative_breaks_at_jumps_not_drawn_as_walls():
    x, slope = line(plot_activations("relu").axes[0], "derivative")
    gap = int(np.flatnonzero(np.isnan(slope))[0])
    assert np.isnan(slope).sum() == 1 and x[gap - 1] <= 0 < x[gap + 1]  # relu'(0) = 0


def test_maxout_pieces_drawn_and_configurable():
    pieces = ((1.0, 0.0), (-2.0, 3.0))
    fig = plot_activations(["maxout"], maxout_pieces=pieces, x=np.linspace(-2, 2, 9))
    (axis,) = fig.axes
    assert r"\max(x,\ -2x + 3)" in axis.get_title()
    x, y = line(axis, "function")
    np.testing.assert_allclose(y, np.maximum(x, -2 * x + 3))
    drawn = [ln for ln in axis.lines if ln.get_gid() == "piece"]
    assert len(drawn) == 2
    np.testing.assert_allclose(drawn[1].get_ydata(), -2 * x + 3)


def test_without_derivatives_and_with_a_callable():
    def swish(x):
        return x * ops.sigmoid(x)

    fig = plot_activations([swish, "tanh"], derivatives=False)
    assert [a.get_title().split(":")[0] for a in fig.axes] == ["swish", "tanh"]
    assert all(ln.get_gid() != "derivative" for a in fig.axes for ln in a.lines)
    fig = plot_activations(swish)
    x, slope = line(fig.axes[0], "derivative")
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(slope, s + x * s * (1 - s), atol=1e-12)


def test_draws_into_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    assert plot_activations(["relu", "elu"], ax=axes) is fig
    assert axes[1].get_title().startswith("ELU")


def test_layout_drops_unused_cells():
    fig = plot_activations(["relu", "tanh", "elu", "sigmoid"], ncols=3)
    assert len(fig.axes) == 4


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown activation 'swishy'.*'elu'.*'maxout'"):
        plot_activations(["relu", "swishy"])
    with pytest.raises(ValueError, match="at least one"):
        plot_activations([])


def test_bad_callables_and_points():
    with pytest.raises(TypeError, match="return a neuroflow Tensor"):
        plot_activations(lambda x: np.tanh(np.asarray(x)))
    with pytest.raises(ValueError, match="elementwise"):
        plot_activations(lambda x: ops.sum(x))
    with pytest.raises(ValueError, match="1-D array"):
        plot_activations("relu", x=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        plot_activations("maxout", maxout_pieces=[(1, 0)])
