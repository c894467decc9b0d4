"""Resolves the string / class / instance / config identifiers that Keras accepts."""

from __future__ import annotations


def resolve(identifier, table: dict, kind: str, argument: str):
    """Looks ``identifier`` up in ``table`` (case-insensitive), raising a clear ValueError."""
    key = identifier.lower() if isinstance(identifier, str) else identifier
    if key in table:
        return table[key]
    names = ", ".join(sorted(k for k in table if isinstance(k, str)))
    raise ValueError(f"Unknown {kind}: {argument}={identifier!r}. Expected one of: {names}.")


def snake_case(name: str) -> str:
    """``MaxPooling2D`` -> ``max_pooling2d``, ``Dense`` -> ``dense`` (Keras's layer names)."""
    out = []
    for i, ch in enumerate(name):
        if (
            ch.isupper()
            and i
            and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower()))
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
