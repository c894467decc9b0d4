"""Symbolic tensors and the nodes that connect layers into a graph (Keras's functional API).

Calling a layer on a :class:`KerasTensor` does no arithmetic: it builds the layer for the
symbolic shapes, works out the output shapes and records a :class:`Node` (this layer,
called on these tensors, produced those). ``keras.Model(inputs, outputs)`` later walks
the nodes back from its outputs to its inputs. Inputs and outputs may be nested: a
single tensor, a list or tuple of them, or a dict; the helpers here walk those nests.
"""

from __future__ import annotations

from itertools import count

import numpy as np

from neuroflow.nest import flatten, map_structure, pack_like

__all__ = [
    "KerasTensor", "Node", "flatten", "has_symbolic", "is_keras_tensor", "map_structure",
    "pack_like",
]  # fmt: skip

_ids = count(1)


def dtype_name(dtype) -> str:
    """A dtype's name; ``"string"`` (or ``tf.string``) for text, which NumPy has no dtype for."""
    return "string" if getattr(dtype, "name", dtype) == "string" else str(np.dtype(dtype))


class KerasTensor:
    """A symbolic tensor: the shape and dtype of a value a model will compute.

    ``keras.Input(shape)`` makes the first ones; calling a layer on KerasTensors returns
    new ones. They hold no values; ``_history`` is ``(layer, node_index, tensor_index)``,
    the layer call that produced this tensor (None for a tensor made directly).

    Examples
    --------
    >>> KerasTensor((None, 3)).shape
    (None, 3)
    """

    __array_priority__ = 1001  # arithmetic with an ndarray fails here, not inside NumPy

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = "float32" if dtype is None else dtype_name(dtype)
        self.name = name or f"keras_tensor_{next(_ids)}"
        self._history = history

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def node(self):
        return None if self._history is None else self._history[0]._inbound_nodes[self._history[1]]

    def __repr__(self) -> str:
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, name={self.name}>"
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor (from keras.Input or a layer called on one) has no values: "
            "it cannot be converted to a NumPy array. Use it to build a model with "
            f"keras.Model(inputs, outputs), then call the model on data. Received: {self!r}"
        )

    def __bool__(self):
        raise TypeError(f"A symbolic KerasTensor has no truth value. Received: {self!r}")

    def __len__(self):
        raise TypeError(
            "A symbolic KerasTensor has no length; use `.shape`. Received: " + repr(self)
        )

    def __iter__(self):
        raise TypeError(f"A symbolic KerasTensor cannot be iterated. Received: {self!r}")


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor (from ``keras.Input`` or a layer called on one),
    as ``keras.backend.is_keras_tensor``."""
    return isinstance(x, KerasTensor)


def has_symbolic(structure) -> bool:
    """Whether any leaf of ``structure`` is a :class:`KerasTensor`."""
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(has_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(has_symbolic(item) for item in structure.values())
    return False


class Node:
    """One call of ``layer`` in a graph: the symbolic ``inputs`` it was called on (a nest),
    any further positional and keyword arguments of that call (which may hold symbolic
    tensors too), and the ``outputs`` it produced."""

    __slots__ = ("layer", "inputs", "args", "kwargs", "outputs", "index")

    def __init__(self, layer, inputs, outputs, args=(), kwargs=None):
        self.layer, self.inputs, self.outputs = layer, inputs, outputs
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, tensor in enumerate(flatten(outputs)):
            tensor._history = (layer, self.index, i)

    @property
    def input_tensors(self) -> list:
        leaves = flatten(self.inputs) + flatten(list(self.args)) + flatten(self.kwargs)
        return [t for t in leaves if isinstance(t, KerasTensor)]

    @property
    def output_tensors(self) -> list:
        return flatten(self.outputs)
