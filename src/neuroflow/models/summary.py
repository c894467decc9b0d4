"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts."""

from __future__ import annotations

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


def summary_text(model, line_length: int | None = None, box: dict | None = None) -> str:
    """The summary as a string (what :func:`print_summary` prints)."""
    box = box or _BOX
    if line_length is None:
        line_length = min(88, shutil.get_terminal_size().columns - 4)
    # Keras places columns at 45% and 80% of the line; borders take one character each.
    inner = line_length - 4
    widths = [int(0.45 * line_length) - 1, 0, line_length - int(0.80 * line_length) - 1]
    widths[1] = inner - widths[0] - widths[2]

    def line(kind: str) -> str:
        left, fill, mid, right = box[kind]
        return left + mid.join(fill * w for w in widths) + right

    def cells(kind: str, texts) -> str:
        sep = box[kind][0]
        parts = [
            " " + (t.rjust(w - 2) if i == 2 else t.ljust(w - 2)) + " "
            for i, (t, w) in enumerate(zip(texts, widths))
        ]
        return sep + sep.join(parts) + sep

    rows = []
    shape = model.input_shape
    for layer in model.layers:
        shape = layer.compute_output_shape(shape) if shape is not None else None
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append(
            (
                f"{layer.name} ({type(layer).__name__})",
                format_shape(shape) if shape is not None else "?",
                params,
            )
        )

    out = [
        f'Model: "{model.name}"',
        line("top"),
        cells("head", ("Layer (type)", "Output Shape", "Param #")),
        line("head_sep"),
    ]
    for i, row in enumerate(rows):
        if i:
            out.append(line("row_sep"))
        out.append(cells("row", row))
    out.append(line("bottom"))
    trainable = sum(v.size for v in model.trainable_weights)
    total = sum(v.size for v in model.weights)
    for label, count in (
        ("Total", total),
        ("Trainable", trainable),
        ("Non-trainable", total - trainable),
    ):
        out.append(f" {label} params: {count:,} ({readable_size(count * 4)})")
    return "\n".join(out)


def print_summary(model, line_length=None, print_fn=None) -> None:
    """Prints the summary, falling back to ASCII where the output cannot show box lines."""
    box = _BOX
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "┏━┃│└─".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        box = _ASCII
    text = summary_text(model, line_length, box)
    (print_fn or print)(text)
