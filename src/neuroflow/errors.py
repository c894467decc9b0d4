"""TensorFlow's error classes (``tf.errors``), raised where TensorFlow raises them.

Each also subclasses the built-in exception a Python user would catch for the same mistake
(``InvalidArgumentError`` is a ``ValueError``), so ``except ValueError`` and
``except tf.errors.InvalidArgumentError`` both work.

>>> from neuroflow import errors
>>> issubclass(errors.InvalidArgumentError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "InvalidArgumentError", "NotFoundError", "OpError", "OutOfRangeError",
    "ResourceExhaustedError", "UnimplementedError",
]  # fmt: skip


class OpError(Exception):
    """Base class of the errors an operation raises (TensorFlow's ``tf.errors.OpError``)."""

    def __init__(self, message: str = "", node_def=None, op=None, *args):
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op


class InvalidArgumentError(OpError, ValueError):
    """An operation received an invalid argument: shapes that do not match, a bad size."""


class NotFoundError(OpError, LookupError):
    """Something requested (a file, a name) does not exist."""


class OutOfRangeError(OpError, IndexError):
    """An iteration or index went past the end."""


class ResourceExhaustedError(OpError, MemoryError):
    """Memory or another resource ran out."""


class UnimplementedError(OpError, NotImplementedError):
    """The operation is not implemented for these arguments."""
