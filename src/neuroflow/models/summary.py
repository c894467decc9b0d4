"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

Keras draws the table with the ``rich`` library; this module reproduces what rich prints
for it (the column widths included) without depending on rich.
"""

from __future__ import annotations

import re
import shutil
import sys

_BOX = {
    "top": "┏━┳┓", "head": "┃┃┃", "head_sep": "┡━╇┩", "row": "│││", "row_sep": "├─┼┤",
    "bottom": "└─┴┘",
}  # fmt: skip
_ASCII = {
    "top": "+=++", "head": "|||", "head_sep": "+=++", "row": "|||", "row_sep": "+-++",
    "bottom": "+-++",
}  # fmt: skip
_DEFAULT_POSITIONS = (0.45, 0.80, 1.0)
_HEADER = ("Layer (type)", "Output Shape", "Param #")


def readable_size(num_bytes: float) -> str:
    """``407040 -> '397.50 KB'`` (powers of 1024, as Keras prints memory)."""
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return ""  # unreachable


def format_shape(shape) -> str:
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + (",)" if len(shape) == 1 else ")")
    )


# ------------------------------------------------------------------ the columns
def _column_widths(line_length: int, positions, columns: int) -> list[int]:
    """Widths of the cells (padding included, borders excluded), as rich lays them out.

    Keras asks rich for columns of ``int(p * line_length)`` minus the previous one, in a
    table ``line_length`` wide; rich then adds one space of padding on each side and
    shares the excess (or the shortfall) out between the columns.
    """
    if len(positions) != columns:
        raise ValueError(
            f"Expected `positions` to hold {columns} column ends (one per column). "
            f"Received: positions={list(positions)!r}"
        )
    absolute = positions[-1] > 1  # tf.keras 2 also took positions in characters
    ends = [int(p) if absolute else int(p * line_length) for p in positions]
    widths, current = [], 0
    for end in ends:
        if end - current < 4:
            raise ValueError(
                "Insufficient console width to print summary: the columns of "
                f"positions={list(positions)!r} with line_length={line_length} are "
                f"{[e - s for s, e in zip([0] + ends, ends)]} characters wide (at least 4 "
                "each needed)."
            )
        widths.append(end - current)
        current = end
    widths = [w + 2 for w in widths]
    room = line_length - (columns + 1)
    if sum(widths) > room:
        return _reduce_evenly(sum(widths) - room, widths)
    return [w + extra for w, extra in zip(widths, _share(room - sum(widths), widths))]


def _reduce_evenly(excess: int, widths: list[int]) -> list[int]:
    # rich's ratio_reduce with equal ratios; round() is Python's, half to even, as rich's
    out, left = [], len(widths)
    for w in widths:
        cut = min(w, round(excess / left))
        out.append(w - cut)
        excess, left = excess - cut, left - 1
    return out


def _share(total: int, weights: list[int]) -> list[int]:
    # rich's ratio_distribute: shares proportional to the widths, rounded up
    out, left = [], sum(weights)
    for w in weights:
        part = -(-w * total // left) if left else total
        out.append(part)
        total, left = total - part, left - w
    return out


def _wrap(text: str, width: int) -> list[str]:
    """rich's layout of a cell: words wrapped onto lines ``width`` wide, and a word that
    cannot fit cut short with an ellipsis."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def _align(text: str, width: int, how: str) -> str:
    inner = width - 2
    if how == "right":
        text = text.rjust(inner)
    elif how == "center":
        pad = inner - len(text)
        text = " " * (pad // 2) + text + " " * (pad - pad // 2)
    else:
        text = text.ljust(inner)
    return " " + text + " "


# --------------------------------------------------------------------- the rows
def _layer_range(layers: list, layer_range) -> tuple[int, int]:
    """Keras's rule: from the first layer whose name matches ``layer_range[0]`` (a regex)
    to the last one matching ``layer_range[1]``, both included."""
    if layer_range is None:
        return 0, len(layers)
    if (
        not isinstance(layer_range, (list, tuple))
        or len(layer_range) != 2
        or not all(isinstance(p, str) for p in layer_range)
    ):
        raise ValueError(
            "Expected `layer_range` to be a list or tuple of 2 strings (layer names or "
            f"regular expressions). Received: layer_range={layer_range!r}"
        )
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            "Passed layer_names do not match the layer names in the model. "
            f"Received: layer_range={layer_range!r}; the layers are "
            f"{[layer.name for layer in layers]}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _rows(layers, shape, expand_nested: bool, show_trainable: bool, level: int = 0):
    """``(cells, output shape)`` for each layer, and for nested ones when expanded."""
    rows = []
    prefix = "   " * level + "└ " if level else ""
    for layer in layers:
        inner_shape = shape
        shape = layer.compute_output_shape(shape) if shape is not None else None
        cells = [
            f"{prefix}{layer.name} ({type(layer).__name__})",
            format_shape(shape) if shape is not None else "?",
            f"{layer.count_params():,}" if layer.built else "0 (unbuilt)",
        ]
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(cells)
        nested = getattr(layer, "layers", None)
        if expand_nested and nested:
            rows.extend(_rows(nested, inner_shape, True, show_trainable, level + 1))
    return rows


def _sequential_like(graph) -> bool:
    """Keras's test: one node per depth, each reading one tensor, and no layer called twice."""
    nodes = list(graph.nodes) + [t.node for t in graph.input_tensors if t._history]
    if any(len(node.input_tensors) > 1 for node in nodes):
        return False
    depths = {}
    for node in graph.nodes:
        parent = node.input_tensors[0]
        depths[id(node)] = depths.get(id(parent.node), 0) + 1 if parent._history else 1
    if len(graph.input_tensors) > 1 or len(set(depths.values())) != len(depths):
        return False
    return len({id(node.layer) for node in nodes}) == len(nodes)


def _graph_rows(model, graph, show_trainable: bool):
    """Keras's functional rows: each layer's output shape (from its latest call) and, for
    a graph that is not a chain, the tensors each call read ("Connected to")."""
    chain = _sequential_like(graph)
    in_graph = {id(n) for n in graph.nodes}
    rows = []
    for layer in model.layers:
        outputs = layer._inbound_nodes[-1].output_tensors if layer._inbound_nodes else []
        shapes = [format_shape(t.shape) for t in outputs]
        cells = [
            f"{layer.name} ({type(layer).__name__})",
            "?" if not shapes else shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]",
            f"{layer.count_params():,}" if layer.built else "0 (unbuilt)",
        ]
        if not chain:
            links = []
            for node in layer._inbound_nodes:
                if id(node) not in in_graph:
                    continue
                for t in node.input_tensors:
                    source, node_index, tensor_index = t._history
                    links.append(f"{source.name}[{node_index}][{tensor_index}]")
            cells.append(", ".join(links) or "-")
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(cells)
    return rows, chain


def _param_lines(model) -> list[str]:
    trainable = sum(v.size for v in model.trainable_weights)
    total = sum(v.size for v in model.weights)
    counts = [("Total", total), ("Trainable", trainable), ("Non-trainable", total - trainable)]
    optimizer = getattr(model, "optimizer", None)
    sizes = {label: count * 4 for label, count in counts}  # float32 weights
    if getattr(model, "compiled", False) and optimizer is not None and optimizer.built:
        # Keras counts the step counter (int64) and the learning rate (float32) too, and the
        # slots of every variable the optimizer was built for (also those frozen since)
        slot_count = sum(
            arr.size
            for per_var in optimizer._slots.values()
            for name, arr in per_var.items()
            if name != "_scratch"
        )
        counts[0] = ("Total", total + slot_count + 2)
        sizes["Total"] += slot_count * 4 + 12
        counts.append(("Optimizer", slot_count + 2))
        sizes["Optimizer"] = slot_count * 4 + 12
    return [
        f" {label} params: {count:,} ({readable_size(sizes[label])})" for label, count in counts
    ]


def summary_text(
    model,
    line_length: int | None = None,
    box: dict | None = None,
    positions=None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range=None,
) -> str:
    """The summary as a string (what :func:`print_summary` prints)."""
    box = box or _BOX
    header, align = list(_HEADER), ["left", "left", "right"]
    default_length, positions_given = 88, positions
    positions = list(positions or _DEFAULT_POSITIONS)
    graph_rows = None
    if type(model).__name__ == "Functional":
        graph_rows, chain = _graph_rows(model, model._graph, show_trainable)
        if not chain:
            header.append("Connected to")
            align.append("left")
            default_length = 108
            positions = list(positions_given or (0.3, 0.56, 0.74, 1.0))
    if show_trainable:  # Keras narrows the given columns by 10% to make room
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if line_length is None:
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length, positions, len(header))

    def line(kind: str) -> str:
        left, fill, mid, right = box[kind]
        return left + mid.join(fill * w for w in widths) + right

    def cells(kind: str, texts) -> str:
        sep = box[kind][0]
        wrapped = [_wrap(t, w - 2) for t, w in zip(texts, widths)]
        height = max(len(lines) for lines in wrapped)
        if kind == "head":  # rich sets header cells at the bottom of their row
            wrapped = [[""] * (height - len(lines)) + lines for lines in wrapped]
        return "\n".join(
            sep + sep.join(
                _align(lines[i] if i < len(lines) else "", w, a)
                for lines, w, a in zip(wrapped, widths, align)
            ) + sep
            for i in range(height)
        )  # fmt: skip

    lo, hi = _layer_range(model.layers, layer_range)
    if graph_rows is not None:
        rows = graph_rows[lo:hi]
    else:
        shape = model.input_shape
        for layer in model.layers[:lo]:  # the input shape of the first layer shown
            shape = layer.compute_output_shape(shape) if shape is not None else None
        rows = _rows(model.layers[lo:hi], shape, expand_nested, show_trainable)
    out = [f'Model: "{model.name}"', line("top"), cells("head", header), line("head_sep")]
    for i, row in enumerate(rows):
        if i:
            out.append(line("row_sep"))
        out.append(cells("row", row))
    out.append(line("bottom"))
    out.extend(_param_lines(model))
    return "\n".join(out)


def print_summary(model, line_length=None, print_fn=None, **options) -> None:
    """Prints the summary, falling back to ASCII where the output cannot show box lines.

    ``options`` are :func:`summary_text`'s: ``positions``, ``expand_nested``,
    ``show_trainable`` and ``layer_range``.
    """
    box = _BOX
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "┏━┃│└─".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        box = _ASCII
    text = summary_text(model, line_length, box, **options)
    (print_fn or print)(text)
