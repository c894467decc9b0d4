"""Nests of lists, tuples and dicts: what a model's inputs and outputs and a tape's sources
may be. Leaves are listed with dicts in sorted-key order, as ``tf.nest`` does.

>>> flatten({"b": [1, 2], "a": 3})
[3, 1, 2]
>>> pack_like({"b": [0, 0], "a": 0}, ["x", "y", "z"])
{'b': ['y', 'z'], 'a': 'x'}
"""

from __future__ import annotations

__all__ = ["flatten", "map_structure", "pack_like"]


def flatten(structure) -> list:
    """The leaves of a nest of lists, tuples and dicts (dicts in sorted-key order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with ``fn`` applied to each leaf; lists, tuples and dicts kept."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_like(structure, leaves):
    """The inverse of :func:`flatten`: ``leaves`` laid out as ``structure``."""
    it = iter(leaves)

    def pack(s):
        if isinstance(s, (list, tuple)):
            items = [pack(item) for item in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        if isinstance(s, dict):
            packed = {key: pack(s[key]) for key in sorted(s)}  # flatten's order
            return {key: packed[key] for key in s}
        return next(it)

    return pack(structure)
