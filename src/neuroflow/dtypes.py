"""Element types in TensorFlow's spelling: ``neuroflow.float32``, ``int32``, ``bool``...

A :class:`DType` wraps a NumPy dtype. It compares equal to that dtype, to its NumPy scalar
type and to its name (``x.dtype == np.float32``, ``x.dtype == "float32"``), and NumPy
accepts it wherever it takes a dtype (``np.zeros(3, dtype=tf.int32)``), so TensorFlow code
and NumPy code can hand dtypes to each other.

>>> from neuroflow import dtypes
>>> dtypes.float32
tf.float32
>>> print(dtypes.as_dtype("int64"))
<dtype: 'int64'>
>>> dtypes.int32.is_integer, dtypes.int32.max
(True, 2147483647)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DType", "as_dtype", "bool", "double", "float16", "float32", "float64", "half", "int16",
    "int32", "int64", "int8", "uint16", "uint32", "uint64", "uint8", "string",
]  # fmt: skip

_NAMES = (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool",
)  # fmt: skip


class DType:
    """One element type (TensorFlow's ``tf.DType``), backed by a NumPy dtype."""

    __slots__ = ("_np",)

    def __init__(self, np_dtype):
        self._np = np.dtype(np_dtype)

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (NumPy reads this attribute when given a DType)."""
        return self._np

    @property
    def name(self) -> str:
        return self._np.name

    @property
    def as_numpy_dtype(self) -> type:
        return self._np.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> bool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self._np.kind == "b"

    @property
    def size(self) -> int:
        """Bytes per element."""
        return self._np.itemsize

    @property
    def min(self):
        info = np.finfo(self._np) if self.is_floating else np.iinfo(self._np)
        return False if self.is_bool else info.min.item() if self.is_floating else info.min

    @property
    def max(self):
        info = np.finfo(self._np) if self.is_floating else np.iinfo(self._np)
        return True if self.is_bool else info.max.item() if self.is_floating else info.max

    def __getattr__(self, attr):  # kind, itemsize, type, char...: what NumPy code reads
        return getattr(self._np, attr)

    def __eq__(self, other) -> bool:
        try:
            return self._np == as_dtype(other)._np
        except TypeError:
            return False

    def __hash__(self) -> int:
        return hash(self._np)

    def __reduce__(self):
        return as_dtype, (self.name,)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"


_BY_NUMPY: dict[np.dtype, DType] = {np.dtype(n): DType(n) for n in _NAMES}
_BY_NAME: dict = {dt.name: dt for dt in _BY_NUMPY.values()}
_BY_NAME.update(half=_BY_NAME["float16"], double=_BY_NAME["float64"])
_PYTHON = {float: _BY_NAME["float32"], int: _BY_NAME["int32"], bool: _BY_NAME["bool"]}


def as_dtype(type_value) -> DType:
    """The :class:`DType` for a DType, NumPy dtype or type, name, or Python type.

    Raises
    ------
    TypeError
        For anything that is not one of the supported element types (TensorFlow's error).
    """
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        found = _BY_NAME.get(type_value)
    elif isinstance(type_value, type) and type_value in _PYTHON:
        found = _PYTHON[type_value]
    else:
        try:
            found = _BY_NUMPY.get(np.dtype(type_value))
        except (TypeError, ValueError):
            found = None
    if found is None:
        raise TypeError(
            f"Cannot convert the argument `type_value`: {type_value!r} to a TensorFlow DType. "
            f"Expected one of: {', '.join(_NAMES)}."
        )
    return found


class _StringDType(DType):
    """TensorFlow's ``tf.string``: text (for the lookup layers) held as a NumPy str array."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return "string"


string = _StringDType(np.str_)


def of(array: np.ndarray) -> DType:
    """The DType of a NumPy array (a dictionary lookup: this runs on every ``.dtype``)."""
    found = _BY_NUMPY.get(array.dtype)
    if found is None and array.dtype.kind in "US":
        return string
    return found if found is not None else as_dtype(array.dtype)


float16 = half = _BY_NAME["float16"]
float32 = _BY_NAME["float32"]
float64 = double = _BY_NAME["float64"]
int8, int16, int32, int64 = (_BY_NAME[n] for n in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (_BY_NAME[n] for n in ("uint8", "uint16", "uint32", "uint64"))
bool = _BY_NAME["bool"]  # noqa: A001  (TensorFlow's name)
