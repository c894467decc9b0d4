"""The structure of dataset elements (TensorFlow's ``tf.nest`` rules) and ``TensorSpec``.

An element is a leaf (one array) or a nest of tuples and dicts holding leaves, as in
``tf.data``: Python lists are values (converted to one array), not structure. Dicts
flatten in sorted key order and are rebuilt in their own key order, as ``tf.nest`` does.
"""

from __future__ import annotations

import numpy as np

from neuroflow import dtypes
from neuroflow.tensor import Tensor, TensorShape, to_array

__all__ = ["TensorSpec", "flatten", "is_nested", "map_structure", "pack_as"]


class TensorSpec:
    """What one component of a dataset element is: its shape and dtype (``tf.TensorSpec``).

    Parameters
    ----------
    shape : tuple of int or None, or None
        The shape; ``None`` for a dimension that varies (the batch dimension of
        ``batch()`` without ``drop_remainder``), or ``None`` for an unknown rank.
    dtype : DType or str, default tf.float32
        The element type.
    name : str, optional
        A name, kept for TensorFlow's signature.

    Examples
    --------
    >>> TensorSpec((None, 28, 28), "uint8")
    TensorSpec(shape=(None, 28, 28), dtype=tf.uint8, name=None)
    >>> TensorSpec((None, 2)).is_compatible_with(TensorSpec((32, 2)))
    True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = None if shape is None else TensorShape(_dim(d) for d in shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor, name=None) -> TensorSpec:
        """The spec of ``tensor`` (a Tensor or an array)."""
        array = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
        return cls(array.shape, dtypes.of(array), name)

    @property
    def shape(self):
        """The shape: a ``TensorShape`` (``None`` entries unknown), or None for unknown rank."""
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self):
        return self._name

    def is_compatible_with(self, spec_or_value) -> bool:
        """Whether a value (or spec) of this dtype and shape could stand where this one is
        expected: equal dtypes, and equal dimensions wherever both are known."""
        other = spec_or_value
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_tensor(other)
        return self._dtype == other._dtype and _merge_shapes(self._shape, other._shape, True)

    def _most_specific_common(self, other: TensorSpec) -> TensorSpec:
        """The spec both fit (``concatenate``'s result): dimensions that differ are None."""
        return TensorSpec(_merge_shapes(self._shape, other._shape, False), self._dtype)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, TensorSpec)
            and self._shape == other._shape
            and self._dtype == other._dtype
            and self._name == other._name
        )

    def __hash__(self) -> int:
        return hash((self._shape, self._dtype.name, self._name))

    def __repr__(self) -> str:
        shape = "<unknown>" if self._shape is None else str(self._shape)
        return f"TensorSpec(shape={shape}, dtype=tf.{self._dtype.name}, name={self._name!r})"


def _dim(d):
    return None if d is None else int(d)


def _merge_shapes(a, b, check: bool):
    """``check``: whether shapes ``a`` and ``b`` are compatible; else their common shape."""
    if a is None or b is None or len(a) != len(b):
        return (a is None or b is None) if check else None
    if check:
        return all(x is None or y is None or x == y for x, y in zip(a, b))
    return tuple(x if x == y else None for x, y in zip(a, b))


# --------------------------------------------------------------------- nests
def is_nested(value) -> bool:
    """Whether ``value`` is structure (a tuple or dict) rather than a leaf."""
    return isinstance(value, (tuple, dict))


def flatten(structure) -> list:
    """The leaves of ``structure`` in ``tf.nest`` order (dicts by sorted key)."""
    if isinstance(structure, tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def pack_as(structure, leaves):
    """``leaves`` (a flat sequence) arranged as ``structure``."""
    it = iter(leaves)
    packed = _pack(structure, it)
    return packed


def _pack(structure, it):
    if isinstance(structure, tuple):
        items = [_pack(item, it) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    if isinstance(structure, dict):
        by_key = {key: _pack(structure[key], it) for key in sorted(structure)}
        return type(structure)((key, by_key[key]) for key in structure)
    return next(it)


def map_structure(fn, structure):
    """``fn`` applied to every leaf of ``structure``, the structure kept."""
    if isinstance(structure, tuple):
        items = [map_structure(fn, item) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    if isinstance(structure, dict):
        return type(structure)((key, map_structure(fn, v)) for key, v in structure.items())
    return fn(structure)


def same_structure(a, b) -> bool:
    """Whether ``a`` and ``b`` nest the same way (same tuple lengths, same dict keys)."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(same_structure(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and sorted(a) == sorted(b)
            and all(same_structure(a[k], b[k]) for k in a)
        )
    return True


# ------------------------------------------------------------------ leaves
def leaf_array(value) -> np.ndarray:
    """One component as an array by TensorFlow's conversion rules.

    Tensors and NumPy arrays keep their dtype, as do array-likes such as pandas columns
    (``np.asarray``); Python numbers and lists follow ``tf.constant`` (float32, int32).
    """
    if isinstance(value, Tensor):
        return np.asarray(value.data)
    if isinstance(value, str) or (isinstance(value, list) and value and isinstance(value[0], str)):
        return np.asarray(value)  # text (tf.string), for the lookup layers
    if isinstance(value, np.ndarray) and value.dtype.kind in "US":
        return value
    if isinstance(value, (np.ndarray, np.generic)) or (
        hasattr(value, "__array__") and not isinstance(value, (list, tuple))
    ):
        return to_array(np.asarray(value))  # checks the dtype is a supported one
    first = value[0] if isinstance(value, list) and value else None
    if isinstance(first, (np.ndarray, Tensor, np.floating)):
        # TensorFlow converts a list in the dtype of its first item when that is an array
        # (or a NumPy float): [x32, x64] stacks as float32, [x64, x64] as float64
        items = [v.data if isinstance(v, Tensor) else v for v in value]
        return to_array(np.asarray(items, dtype=np.asarray(items[0]).dtype))
    try:
        return to_array(value)
    except ValueError as error:  # NumPy's complaint about a ragged nested list
        raise ValueError(
            f"Can't convert non-rectangular Python sequence to Tensor. Received: {value!r}"
        ) from error


def spec_of(element):
    """The ``TensorSpec`` structure of an element (a nest of arrays)."""
    return map_structure(lambda a: TensorSpec(np.shape(a), dtypes.of(np.asarray(a))), element)
