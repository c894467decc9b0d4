"""``draw_graph``: the tape behind a small expression, drawn as micrograd draws it.

Each tensor is a record (its name, its value, its gradient) and each operation a small circle
between the tensors it read and the one it made. The tape needs no extra bookkeeping for
this: every tensor computed from one that needs a gradient keeps the operation that made it
(``tensor._ctx``), and the operation keeps its inputs (``ctx.parents``), so the picture walks
the same links that :meth:`Tensor.backward` walks (:func:`neuroflow.tensor.topological_order`).

``backward()`` keeps gradients on the leaves only; the gradient of every other tensor is
found again by walking the tape once more from the drawn tensor
(:mod:`neuroflow.gradient_tape`'s walk), which :class:`~neuroflow.tensor.Function`'s contract
allows: a backward never changes what its forward saved.
"""

from __future__ import annotations

import numpy as np

from neuroflow.viz._layout import (
    Cell,
    Edge,
    canvas,
    check_options,
    draw_routes,
    draw_table,
    layout,
    orient,
    table_size,
    text_size,
)

__all__ = ["draw_graph"]

_MAX_NODES = 400  # a picture of more tensors than this is unreadable anyway
_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Neg": "neg", "MatMul": "@",
            "Power": "**"}  # fmt: skip


def _op_symbol(ctx) -> str:
    name = type(ctx).__name__
    if name == "Pow" and hasattr(ctx, "exponent"):  # x ** p for a constant p, as micrograd
        return f"**{np.asarray(ctx.exponent).item():g}"
    return _SYMBOLS.get(name, name.lower())


def _number_text(array) -> str:
    """A value or gradient as a short text: the number, a few numbers, or a summary."""
    array = np.asarray(array)
    if array.size == 1:
        return f"{array.item():.4f}"
    if array.size <= 4:
        return np.array2string(array, precision=4, separator=", ", floatmode="fixed")
    return f"shape {tuple(array.shape)}, mean {array.mean():.4f}"


def _all_gradients(root, nodes: list) -> dict:
    """d(root)/d(node) for every node (by id), as ``root.backward()`` (a seed of ones)
    computes them on the way to the leaves."""
    from neuroflow.gradient_tape import _backprop

    seed = np.ones_like(root.data)
    return _backprop([root], [seed], nodes, 0, float("inf"), lambda leaf: True)


def draw_graph(
    tensor,
    *,
    labels: dict | None = None,
    grads="auto",
    rankdir: str = "LR",
    splines: str = "spline",
    ax=None,
    fig=None,
):
    """Draws the computation that produced ``tensor``: values, operations and gradients.

    One record per tensor (its label, ``data`` and ``grad``) and one circle per operation
    (``+``, ``*``, ``**2``, ``tanh``...), with arrows from the inputs of each operation to it
    and from it to its result, as Andrej Karpathy's micrograd draws a ``Value``. Constants
    that entered the computation are drawn with their value and no gradient.

    Parameters
    ----------
    tensor : Tensor
        The result of a small computation (a scalar loss, usually).
    labels : dict of str -> Tensor, optional
        Names to show, e.g. ``dict(a=a, b=b, L=L)``; a Variable shows its own name.
    grads : {"auto", True, False}, default "auto"
        Whether to show gradients. ``"auto"``: once ``backward()`` has run (a leaf holds a
        ``grad``). A leaf shows its ``grad``; any other tensor shows d(``tensor``)/d(it), the
        gradient that ``tensor.backward()`` passed through it (found by walking the tape
        again, with a seed of ones).
    rankdir : {"LR", "TB", "RL", "BT"}, default "LR"
    splines : {"spline", "curved", "ortho", "polyline", "line"}, default "spline"
    ax, fig : matplotlib Axes or Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from neuroflow.tensor import Tensor
    >>> a, b, c = (Tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0))
    >>> L = a * b + c
    >>> L.backward()
    >>> fig = draw_graph(L, labels=dict(a=a, b=b, c=c, L=L))
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['a', 'data 2.0000', 'grad -3.0000']
    """
    from neuroflow.tensor import Tensor, topological_order

    if not isinstance(tensor, Tensor):
        raise TypeError(
            "Expected `tensor` to be a neuroflow Tensor computed from tensors with "
            f"requires_grad=True. Received: tensor={tensor!r} (of type {type(tensor).__name__})"
        )
    if grads not in ("auto", True, False):
        raise ValueError(f'Expected `grads` to be "auto", True or False. Received: grads={grads!r}')
    check_options(rankdir, splines)
    names = {}
    for name, value in (labels or {}).items():
        if not isinstance(value, Tensor):
            raise TypeError(
                "Expected `labels` to map names to Tensors, e.g. dict(a=a, b=b). Received: "
                f"{name!r}: {value!r} (of type {type(value).__name__})"
            )
        names[id(value)] = str(name)

    # the tensors: those the tape walks through, and the constants their operations read
    values = []
    seen = set()
    for node in topological_order([tensor]):
        ctx = node._ctx
        if ctx is not None:
            for parent, needed in zip(ctx.parents, ctx.needs_input_grad):
                if not needed and id(parent) not in seen:
                    seen.add(id(parent))
                    values.append(parent)
        seen.add(id(node))
        values.append(node)
    n_ops = sum(v._ctx is not None for v in values)
    if len(values) + n_ops > _MAX_NODES:
        raise ValueError(
            f"draw_graph draws small expressions (at most {_MAX_NODES} tensors and operations); "
            f"the tape behind this tensor has {len(values) + n_ops}."
        )

    leaves = [v for v in values if v._ctx is None and v.requires_grad]
    show = grads is True or (grads == "auto" and any(v.grad is not None for v in leaves))
    gradient = {}
    if show and tensor.requires_grad:
        gradient = _all_gradients(tensor, [v for v in values if v.requires_grad])
        for leaf in leaves:
            if leaf.grad is not None:  # what backward left there (accumulated, maybe)
                gradient[id(leaf)] = leaf.grad

    rows, nodes, sizes, edges, symbols = {}, [], {}, [], {}
    for value in values:
        key = ("value", id(value))
        label = names.get(id(value)) or getattr(value, "name", None)
        cells = [Cell(label, weight="bold", fill="#eeeeee")] if label else []
        cells.append(Cell(f"data {_number_text(value.data)}"))
        if show and value.requires_grad:
            g = gradient.get(id(value))
            cells.append(Cell(f"grad {_number_text(g) if g is not None else 'None'}",
                              fill="#fff4d6"))  # fmt: skip
        rows[key] = [cells]
        ctx = value._ctx
        if ctx is not None:
            op = ("op", id(ctx))
            symbols[op] = _op_symbol(ctx)
            w, h = text_size(symbols[op], 10)
            diameter = max(24.0, w + 10, h + 10)
            sizes[op] = (diameter, diameter)
            nodes.append(op)
            drawn = set()
            for parent in ctx.parents:
                if id(parent) not in drawn:  # x * x: one arrow from x
                    drawn.add(id(parent))
                    edges.append(Edge(("value", id(parent)), op))
            edges.append(Edge(op, key))
        sizes[key] = table_size(rows[key])
        nodes.append(key)
    turned = rankdir in ("LR", "RL")
    placed = layout(nodes, sizes, edges, turned=turned, splines=splines, node_gap=12,
                    rank_gap=30, centred=set(symbols))  # fmt: skip
    placed = orient(placed, rankdir)

    fig, ax, scale = canvas(ax, fig, placed)
    draw_routes(ax, placed, scale, lambda e: "edge")
    from matplotlib.patches import Ellipse

    for key, (x, y, w, h) in placed.boxes.items():
        if key in symbols:
            ax.add_artist(Ellipse((x + w / 2, y + h / 2), w, h, facecolor="#dceeff",
                                 edgecolor="#1f5f9f", linewidth=1.0 * scale, zorder=2,
                                 gid=f"op:{symbols[key]}"))  # fmt: skip
            ax.text(x + w / 2, y + h / 2, symbols[key], ha="center", va="center_baseline",
                    fontsize=10 * scale, fontweight="bold", zorder=3)  # fmt: skip
        else:
            draw_table(ax, (x, y, w, h), rows[key], scale, gid="value")
    return fig
