"""Resolves the string / class / instance / config identifiers that Keras accepts."""

from __future__ import annotations

import re


def resolve(identifier, table: dict, kind: str, argument: str):
    """Looks ``identifier`` up in ``table`` (case-insensitive), raising a clear ValueError."""
    key = identifier.lower() if isinstance(identifier, str) else identifier
    if key in table:
        return table[key]
    names = ", ".join(sorted(k for k in table if isinstance(k, str)))
    raise ValueError(f"Unknown {kind}: {argument}={identifier!r}. Expected one of: {names}.")


def snake_case(name: str) -> str:
    """Keras's naming rule: ``MaxPooling2D`` -> ``max_pooling2d``, ``ReLU`` -> ``re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
