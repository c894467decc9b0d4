"""draw_graph: one record per tensor, one circle per operation, values and gradients as computed."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.tensor import Tensor, Variable
from neuroflow.viz import draw_graph


def _records(fig) -> list[list[str]]:
    """The texts of each value record, in drawing order (cells left to right)."""
    ax = fig.axes[0]
    frames = [p for p in ax.patches if p.get_gid() == "value"]
    out = []
    for frame in frames:
        x, y = frame.get_xy()
        w, h = frame.get_width(), frame.get_height()
        inside = [
            t
            for t in ax.texts
            if x <= t.get_position()[0] <= x + w and y <= t.get_position()[1] <= y + h
        ]
        out.append([t.get_text() for t in sorted(inside, key=lambda t: t.get_position()[0])])
    return out


def _by_label(fig) -> dict:
    return {cells[0]: cells[1:] for cells in _records(fig) if not cells[0].startswith("data")}


def _ops(fig) -> list[str]:
    return sorted(
        p.get_gid()[3:] for p in fig.axes[0].patches if str(p.get_gid()).startswith("op:")
    )


def _edge_count(fig) -> int:
    return sum(p.get_gid() == "edge" for p in fig.axes[0].patches)


def _expression():
    a, b, c = (Tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0))
    e = a * b
    L = e + c
    return dict(a=a, b=b, c=c, e=e, L=L)


def test_nodes_and_edges_of_a_times_b_plus_c(save_png):
    t = _expression()
    fig = draw_graph(t["L"], labels=t)
    assert len(_records(fig)) == 5  # a, b, c, e, L
    assert _ops(fig) == ["*", "+"]
    assert _edge_count(fig) == 6  # a->*, b->*, *->e, e->+, c->+, +->L
    save_png(fig)


def test_values_before_backward_and_no_gradients():
    t = _expression()
    fig = draw_graph(t["L"], labels=t)
    records = _by_label(fig)
    assert records == {
        "a": ["data 2.0000"], "b": ["data -3.0000"], "c": ["data 10.0000"],
        "e": ["data -6.0000"], "L": ["data 4.0000"],
    }  # fmt: skip
    assert t["a"].grad is None


def test_gradients_after_backward_equal_the_chain_rule():
    t = _expression()
    f = Tensor(-2.0, requires_grad=True)
    loss = t["L"] * f
    loss.backward()
    fig = draw_graph(loss, labels={**t, "f": f, "loss": loss})
    records = _by_label(fig)
    # dloss/dL = f = -2, dloss/de = dloss/dc = -2, dloss/da = -2 * b = 6, dloss/db = -2 * a = -4
    expected = {"a": 6.0, "b": -4.0, "c": -2.0, "e": -2.0, "L": -2.0, "f": 4.0, "loss": 1.0}
    for name, grad in expected.items():
        assert records[name][1] == f"grad {grad:.4f}", name
    for name in ("a", "b", "c", "f"):  # the leaves show what backward left on them
        assert records[name][1] == f"grad {t.get(name, f).grad.item():.4f}"
    assert records["loss"][0] == "data -8.0000"


def test_grads_true_before_backward_leaves_the_tensors_untouched():
    t = _expression()
    fig = draw_graph(t["L"], labels=t, grads=True)
    assert _by_label(fig)["a"] == ["data 2.0000", "grad -3.0000"]
    assert t["a"].grad is None and t["b"].grad is None  # drawing ran no backward() into them
    t["L"].backward()
    assert t["a"].grad.item() == -3.0  # and backward still gives the right gradient once
    fig = draw_graph(t["L"], labels=t, grads=False)
    assert all(len(cells) == 2 for cells in _records(fig))


def test_constants_shapes_and_names():
    x = Variable(3.0, name="x")
    y = (x**2) * 0.5
    fig = draw_graph(y)
    records = _records(fig)
    assert ["x", "data 3.0000", "grad None"] not in records  # no backward yet: no grads
    assert ["x", "data 3.0000"] in records  # a Variable shows its own name
    assert ["data 0.5000"] in records  # the constant, with no gradient cell
    assert _ops(fig) == ["*", "**2"]
    y.backward()
    records = _records(draw_graph(y))
    assert ["x", "data 3.0000", "grad 3.0000"] in records
    assert ["data 0.5000"] in records
    v = Tensor([1.0, 2.0], requires_grad=True)
    s = (v * v).sum()
    s.backward()
    fig = draw_graph(s, labels=dict(v=v, s=s))
    assert _by_label(fig)["v"] == ["data [1.0000, 2.0000]", "grad [2.0000, 4.0000]"]
    assert _edge_count(fig) == 4  # v->* once (x * x reads v twice), *->vv, vv->sum, sum->s
    big = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    fig = draw_graph(big.sum(), labels=dict(big=big))
    assert _by_label(fig)["big"] == ["data shape (3, 4), mean 5.5000"]


def test_neuron_values_and_gradients_match_torch():
    from tests.conftest import peer

    torch = peer("torch")
    values = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
    ours = {k: Tensor(np.float64(v), requires_grad=True) for k, v in values.items()}
    n = ours["x1"] * ours["w1"] + ours["x2"] * ours["w2"] + ours["b"]
    o = ops.tanh(n)
    o.backward()
    fig = draw_graph(o, labels={**ours, "n": n, "o": o})
    records = _by_label(fig)
    theirs = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()
    }
    tn = theirs["x1"] * theirs["w1"] + theirs["x2"] * theirs["w2"] + theirs["b"]
    tn.retain_grad()
    to = torch.tanh(tn)
    to.retain_grad()
    to.backward()
    for name, tensor in {**theirs, "n": tn, "o": to}.items():
        assert records[name] == [f"data {tensor.item():.4f}", f"grad {tensor.grad.item():.4f}"], (
            name
        )
    assert _ops(fig) == ["*", "*", "+", "+", "tanh"]


def test_layout_directions_and_given_axes():
    import matplotlib.pyplot as plt

    t = _expression()

    def centre(fig, label):
        for frame in (p for p in fig.axes[0].patches if p.get_gid() == "value"):
            x, y = frame.get_xy()
            texts = [tx.get_text() for tx in fig.axes[0].texts
                     if x <= tx.get_position()[0] <= x + frame.get_width()
                     and y <= tx.get_position()[1] <= y + frame.get_height()]  # fmt: skip
            if label in texts:
                return x + frame.get_width() / 2, y + frame.get_height() / 2
        raise AssertionError(label)

    lr = draw_graph(t["L"], labels=t)
    assert centre(lr, "a")[0] < centre(lr, "e")[0] < centre(lr, "L")[0]
    tb = draw_graph(t["L"], labels=t, rankdir="TB")
    assert centre(tb, "a")[1] < centre(tb, "e")[1] < centre(tb, "L")[1]
    fig, ax = plt.subplots()
    assert draw_graph(t["L"], labels=t, ax=ax) is fig and len(_records(fig)) == 5


def test_bad_input():
    t = _expression()
    with pytest.raises(TypeError, match="Received: tensor="):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="labels"):
        draw_graph(t["L"], labels={"a": 2.0})
    with pytest.raises(ValueError, match="grads='yes'"):
        draw_graph(t["L"], grads="yes")
    with pytest.raises(ValueError, match="rankdir='UP'"):
        draw_graph(t["L"], rankdir="UP")
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(300):
        y = y * 1.0
    with pytest.raises(ValueError, match="small expressions"):
        draw_graph(y)
