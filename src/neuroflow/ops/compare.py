"""Comparisons and logical operations: boolean results, no gradients (TensorFlow gives None
for them too). Operands follow the binary ops' dtype rules (:func:`neuroflow.ops.math.operands`):
a Python number takes the tensor's dtype, an integer and a float tensor do not mix.
"""

from __future__ import annotations

import numpy as np

from neuroflow.errors import InvalidArgumentError
from neuroflow.ops.math import as_tensor, incompatible, operands
from neuroflow.tensor import Tensor

__all__ = [
    "equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_not",
    "logical_or", "logical_xor", "not_equal",
]  # fmt: skip


def _compare(ufunc, x, y, op: str) -> Tensor:
    x, y = operands(x, y, op)
    try:
        return Tensor._from_op(np.asarray(ufunc(x.data, y.data)), None)
    except ValueError as e:
        raise incompatible(x, y, op, e) from None


def equal(x, y, name=None) -> Tensor:
    """``x == y`` elementwise, as a bool tensor (TensorFlow's ``tf.equal``).

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> equal(constant([1, 2]), 2)
    <tf.Tensor: shape=(2,), dtype=bool, numpy=array([False,  True])>
    """
    return _compare(np.equal, x, y, "Equal")


def not_equal(x, y, name=None) -> Tensor:
    """``x != y`` elementwise, as a bool tensor."""
    return _compare(np.not_equal, x, y, "NotEqual")


def less(x, y, name=None) -> Tensor:
    """``x < y`` elementwise, as a bool tensor."""
    return _compare(np.less, x, y, "Less")


def less_equal(x, y, name=None) -> Tensor:
    """``x <= y`` elementwise, as a bool tensor."""
    return _compare(np.less_equal, x, y, "LessEqual")


def greater(x, y, name=None) -> Tensor:
    """``x > y`` elementwise, as a bool tensor.

    Examples
    --------
    >>> greater(Tensor([1.0, 3.0]), 2.0).numpy()
    array([False,  True])
    """
    return _compare(np.greater, x, y, "Greater")


def greater_equal(x, y, name=None) -> Tensor:
    """``x >= y`` elementwise, as a bool tensor."""
    return _compare(np.greater_equal, x, y, "GreaterEqual")


def _boolean(x, index: int, op: str) -> Tensor:
    x = as_tensor(x)
    if x.data.dtype.kind != "b":
        raise InvalidArgumentError(
            f"cannot compute {op} as input #{index}(zero-based) was expected to be a bool "
            f"tensor but is a {x.dtype.name} tensor [Op:{op}]"
        )
    return x


def _logical(ufunc, x, y, op: str) -> Tensor:
    return _compare(ufunc, _boolean(x, 0, op), _boolean(y, 1, op), op)


def logical_and(x, y, name=None) -> Tensor:
    """Elementwise AND of two bool tensors (``x & y``).

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> logical_and(constant([True, True]), constant([True, False])).numpy()
    array([ True, False])
    """
    return _logical(np.logical_and, x, y, "LogicalAnd")


def logical_or(x, y, name=None) -> Tensor:
    """Elementwise OR of two bool tensors (``x | y``)."""
    return _logical(np.logical_or, x, y, "LogicalOr")


def logical_xor(x, y, name=None) -> Tensor:
    """Elementwise exclusive OR of two bool tensors."""
    return _logical(np.logical_xor, x, y, "LogicalXor")


def logical_not(x, name=None) -> Tensor:
    """Elementwise NOT of a bool tensor (``~x``)."""
    x = _boolean(x, 0, "LogicalNot")
    return Tensor._from_op(np.logical_not(x.data), None)
