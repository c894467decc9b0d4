"""``plot_model``: Keras's picture of a model's layers and connections, drawn with matplotlib.

Keras draws it with pydot and the Graphviz program; this draws the same boxes (a black
header with the layer's class, or its name and class; rows for the activation, the input and
output shapes, the dtype and whether it trains) and the same edges with matplotlib alone, laid
out in ranks as Graphviz's ``dot`` does (:mod:`neuroflow.viz._layout`).
"""

from __future__ import annotations

import os

from neuroflow.viz._layout import (
    Cell,
    Cluster,
    Edge,
    canvas,
    check_options,
    draw_clusters,
    draw_routes,
    draw_table,
    layout,
    orient,
    table_size,
)

__all__ = ["plot_model"]

_HEADER = {"size": 10.0, "weight": "bold", "color": "white", "fill": "black"}
_ROW = {"size": 9.0}


def _kind(model) -> str | None:
    """'sequential' or 'functional' for the models Keras draws layer by layer, else None."""
    from neuroflow.models.functional import Functional
    from neuroflow.models.sequential import Sequential

    if isinstance(model, Sequential):
        return "sequential"
    if isinstance(model, Functional):
        return "functional"
    return None


def _structure(value, leaf):
    """Keras's text for a nest of tensors: one tuple, a list, or ``key: value`` pairs."""
    from neuroflow.nest import map_structure

    mapped = map_structure(leaf, value)
    if isinstance(mapped, dict):
        return ", ".join(f"{k}: {v}" for k, v in mapped.items())
    return str(mapped)


def _tensors(layer, attribute: str):
    try:
        return getattr(layer, attribute)
    except (AttributeError, ValueError, IndexError):
        return None


def _activation_name(activation) -> str:
    if hasattr(activation, "name"):
        return str(activation.name)
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _rows(layer, options: dict) -> list[list[Cell]]:
    """The table Keras's ``make_layer_label`` builds for ``layer``."""
    name = type(layer).__name__
    header = f"{layer.name} ({name})" if options["show_layer_names"] else name
    rows = [[Cell(header, **_HEADER)]]
    activation = getattr(layer, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        rows.append([Cell(f"Activation: {_activation_name(activation)}", **_ROW)])
    cells = []
    if options["show_shapes"]:
        inputs, outputs = _tensors(layer, "input"), _tensors(layer, "output")
        if name != "InputLayer":
            shape = "?" if inputs is None else _structure(inputs, lambda t: t.shape)
            cells.append(Cell(f"Input shape: {shape}", **_ROW))
        shape = "?" if outputs is None else _structure(outputs, lambda t: t.shape)
        cells.append(Cell(f"Output shape: {shape}", **_ROW))
    if options["show_dtype"]:
        outputs = _tensors(layer, "output")
        dtype = "?" if outputs is None else _structure(outputs, lambda t: t.dtype)
        cells.append(Cell(f"Output dtype: {dtype}", **_ROW))
    if options["show_trainable"] and layer.weights:
        trainable = bool(getattr(layer, "trainable", True))
        cells.append(
            Cell(
                "Trainable" if trainable else "Non-trainable",
                size=_ROW["size"],
                weight="bold",
                color="white",
                fill="forestgreen" if trainable else "firebrick",
            )
        )
    if options["stacked"]:  # left to right, one row each keeps the boxes narrow
        rows.extend([cell] for cell in cells)
    elif cells:
        rows.append(cells)
    return rows


class _Drawing:
    """The boxes (one table per layer) and edges of a model, nested models included."""

    def __init__(self, options: dict, expand_nested: bool, turned: bool, splines: str):
        self.options, self.expand, self.turned, self.splines = (
            options, expand_nested, turned, splines,
        )  # fmt: skip
        self.rows: dict = {}  # box key -> the table drawn in it
        self.names: dict = {}  # box key -> layer name

    def lay_out(self, model, nested: bool = False):
        """``(placed, entry, exit)`` for ``model``: ``entry(i)``/``exit(j)`` name the box that
        its ``i``-th input enters, its ``j``-th output leaves."""
        kind = _kind(model)
        items = list(model.layers) if kind else [model]
        sizes, clusters, entries, exits = {}, {}, {}, {}
        for item in items:
            key = id(item)
            if self.expand and _kind(item) and item.layers:
                inner, entry, exit_ = self.lay_out(item, nested=True)
                clusters[key] = Cluster(inner, item.name)
                entries[key], exits[key] = entry, exit_
            else:
                self.rows[key] = _rows(item, self.options)
                self.names[key] = item.name
                sizes[key] = table_size(self.rows[key])

        def entry_of(item, i):
            return entries[id(item)](i) if id(item) in entries else id(item)

        def exit_of(item, j):
            return exits[id(item)](j) if id(item) in exits else id(item)

        keys = {id(item) for item in items}
        edges, seen = [], set()

        def connect(source, target, tensor_index, input_index):
            if id(source) not in keys or id(target) not in keys:
                return  # a tensor from outside this model (Keras draws no edge either)
            edge = Edge(id(source), id(target), exit_of(source, tensor_index),
                        entry_of(target, input_index))  # fmt: skip
            if (edge.tail, edge.head) not in seen:  # Keras draws a repeated edge once
                seen.add((edge.tail, edge.head))
                edges.append(edge)

        if kind == "sequential":
            for a, b in zip(items, items[1:]):
                connect(a, b, 0, 0)
        elif kind == "functional":
            for node in model._graph.nodes:  # the graph's own walk: its nodes, in order
                for input_index, tensor in enumerate(node.input_tensors):
                    if tensor._history is not None:
                        source, _, tensor_index = tensor._history
                        connect(source, node.layer, tensor_index, input_index)
        placed = layout(
            [id(item) for item in items],
            sizes,
            edges,
            turned=self.turned,
            splines=self.splines,
            clusters=clusters,
            pull_sources=not nested,
            sinks_last=nested,
        )

        if kind == "functional":
            graph = model._graph

            def entry(i):
                tensor = graph.input_tensors[min(i, len(graph.input_tensors) - 1)]
                first = tensor._history[0] if tensor._history else items[0]
                return entry_of(first, 0)

            def exit_(j):
                tensor = graph.output_tensors[min(j, len(graph.output_tensors) - 1)]
                source, _, tensor_index = tensor._history
                return exit_of(source, tensor_index)
        else:

            def entry(i):
                return entry_of(items[0], i)

            def exit_(j):
                return exit_of(items[-1], j)

        return placed, entry, exit_


def plot_model(
    model,
    to_file="model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    *,
    ax=None,
    fig=None,
    **kwargs,
):
    """Draws the layers of ``model`` and their connections, as ``keras.utils.plot_model``.

    The same arguments and boxes as Keras 3, drawn with matplotlib: no pydot or Graphviz is
    needed. Each layer is a box with its class (``show_layer_names``: its name and class);
    ``show_layer_activations``, ``show_shapes`` (input and output shapes), ``show_dtype`` and
    ``show_trainable`` add rows. An arrow goes from each layer to each layer that reads its
    output. A Sequential model shows its layers in a chain; a functional model shows its
    ``InputLayer`` boxes too, and its branches and merges; a model nested in another is one
    box, or with ``expand_nested`` a dashed frame around its own layers; a subclassed model
    is one box.

    Parameters
    ----------
    model : Model
        A built model: Sequential, functional, or subclassed.
    to_file : str or path-like or None, default "model.png"
        Where to save the picture (written atomically), in the format its extension names
        (``.png``, ``.pdf``, ``.svg``, ...; none: PNG, as Keras). None saves nothing.
    show_shapes, show_dtype, show_layer_names : bool, default False
    rankdir : {"TB", "LR", "BT", "RL"}, default "TB"
        Top to bottom, left to right (or reversed).
    expand_nested : bool, default False
    dpi : float, default 200
        Resolution of the saved file.
    show_layer_activations, show_trainable : bool, default False
    splines : {"ortho", "spline", "curved", "polyline", "line"}, default "ortho"
        Right-angled edges (Keras's default), curves, or straight segments.
    ax, fig : matplotlib Axes or Figure, optional
        Draw into these (the drawing is scaled to fit) instead of a new figure sized to it.

    Returns
    -------
    matplotlib.figure.Figure
        (Keras returns an IPython ``Image`` of the file; a Figure shows in a notebook too.)

    Examples
    --------
    >>> from neuroflow import keras
    >>> from neuroflow.keras import layers
    >>> inputs = keras.Input((8,), name="features")
    >>> hidden = layers.Dense(16, activation="relu", name="hidden")(inputs)
    >>> model = keras.Model(inputs, layers.Dense(1, name="score")(hidden))
    >>> fig = plot_model(model, to_file=None, show_shapes=True, show_layer_names=True)
    >>> sorted(p.get_gid() for p in fig.axes[0].patches if str(p.get_gid()).startswith("edge"))
    ['edge:features->hidden', 'edge:hidden->score']
    """
    from neuroflow.models.model import Model

    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not isinstance(model, Model):
        raise TypeError(
            "Expected `model` to be a model (keras.Sequential, keras.Model(inputs, outputs) or "
            f"a subclassed keras.Model). Received: model={model!r} (of type "
            f"{type(model).__name__})"
        )
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )
    check_options(rankdir, splines)
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"Expected `dpi` to be a positive number. Received: dpi={dpi!r}")
    extension = None
    if to_file is not None:
        to_file = os.fspath(to_file)
        extension = os.path.splitext(to_file)[1][1:].lower() or "png"

    options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
        "stacked": rankdir in ("LR", "RL"),
    }
    drawing = _Drawing(options, expand_nested, rankdir in ("LR", "RL"), splines)
    placed, _, _ = drawing.lay_out(model)
    placed = orient(placed, rankdir)

    fig, ax, scale = canvas(ax, fig, placed)
    if extension is not None:
        supported = fig.canvas.get_supported_filetypes()
        if extension not in supported:
            raise ValueError(
                f"Expected `to_file` to end in one of the formats matplotlib writes "
                f"({', '.join('.' + e for e in sorted(supported))}). Received: to_file={to_file!r}"
            )
    draw_clusters(ax, placed, scale)
    names = drawing.names
    draw_routes(ax, placed, scale, lambda e: f"edge:{names[e.tail]}->{names[e.head]}")
    for key, box in placed.boxes.items():
        draw_table(ax, box, drawing.rows[key], scale, gid=f"layer:{names[key]}")
    if to_file is not None:
        from neuroflow.utils.files import atomic_path

        with atomic_path(to_file) as tmp:
            fig.savefig(tmp, format=extension, dpi=dpi)
    return fig
