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


def serialize(obj, table: dict, kind: str, key=str.lower, module: str | None = None) -> dict:
    """Keras's ``{"class_name": ..., "config": ...}`` for ``obj``, whose class must be the one
    ``table`` holds under ``key(class name)`` (only those can be rebuilt by name); with
    ``module``, Keras 3's ``{"module", "class_name", "config", "registered_name"}``."""
    cls = type(obj)
    if table.get(key(cls.__name__)) is not cls:
        known = ", ".join(sorted({c.__name__ for c in table.values() if isinstance(c, type)}))
        raise ValueError(
            f"Cannot serialize the {kind} {obj!r}: only the library's own {kind} classes can "
            f"be ({known})."
        )
    if module is None:
        return {"class_name": cls.__name__, "config": obj.get_config()}
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None,
    }


def deserialize(spec, table: dict, kind: str, key=str.lower):
    """The object ``{"class_name": ..., "config": ...}`` describes, its class looked up in
    ``table`` under ``key(class_name)`` only: nothing is imported by name."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise TypeError(
            f"Expected a {kind} config {{'class_name': str, 'config': dict}}. Received: {spec!r}"
        )
    name = spec["class_name"]
    cls = table.get(key(name))
    if not isinstance(cls, type):
        known = ", ".join(sorted({c.__name__ for c in table.values() if isinstance(c, type)}))
        raise ValueError(f"Unknown {kind} class: class_name={name!r}. Expected one of: {known}.")
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise TypeError(f"Expected the {kind}'s 'config' to be a dict. Received: {config!r}")
    return cls.from_config(dict(config))
