"""Tensor and the reverse-mode tape.

A :class:`Tensor` is a NumPy array plus an optional gradient. Every differentiable
operation is a :class:`Function` subclass in :mod:`neuroflow.ops` with ``forward`` and
``backward`` written side by side; applying one records the function on its output so
that :meth:`Tensor.backward` can walk the graph in reverse.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

__all__ = [
    "ActivationSource", "Tensor", "Variable", "Function", "no_grad", "enable_grad",
    "is_grad_enabled",
]  # fmt: skip

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether operations currently record themselves on the tape."""
    return getattr(_state, "grad_enabled", True)


class _grad_mode:
    """Sets whether ops record themselves for the ``with`` block (a class, not a generator:
    ``predict`` enters one per call, and this is its cheapest form)."""

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.previous = getattr(_state, "grad_enabled", True)
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self.previous


def no_grad():
    """Context manager that stops recording (inference, optimizer updates)."""
    return _grad_mode(False)


def enable_grad():
    """Context manager that turns recording back on inside :func:`no_grad`."""
    return _grad_mode(True)


def _as_array(data, dtype) -> np.ndarray:
    """Converts input to an ndarray: float32, unless it is already a float ndarray."""
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, np.ndarray) and data.dtype.kind == "f":
        return data  # an explicit float array keeps its precision (float64 for gradcheck)
    array = np.asarray(data)
    if array.dtype.kind in "biuf":
        return array.astype(np.float32)  # Python numbers and integer data become float32
    raise TypeError(
        f"Tensor data must be numeric. Received: an array of dtype {array.dtype} "
        "(expected bool, integer or floating point values)."
    )


class ActivationSource(NamedTuple):
    """What :meth:`Tensor.activation_source` reports: the activation that produced a tensor.

    ``name`` is ``"softmax"`` or ``"sigmoid"``, ``logits`` the Tensor the activation was
    applied to, and ``axis`` the softmax's axis (None for the elementwise sigmoid).
    """

    name: str
    logits: Tensor
    axis: int | None


class Tensor:
    """A NumPy array that can carry a gradient.

    Parameters
    ----------
    data : array_like
        The values. Integers and booleans become float32; float arrays keep their dtype.
    requires_grad : bool, default False
        Whether :meth:`backward` should compute ``grad`` for this tensor.
    dtype : dtype, optional
        Explicit dtype for the stored array.

    Examples
    --------
    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # makes ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Function | None) -> Tensor:
        """Wraps an op's output without re-validating it (the hot path)."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = ctx is not None
        out._ctx = ctx
        return out

    # ----------------------------------------------------------------- array protocol
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def __array__(self, dtype=None, copy=None):
        # a reduction can leave a NumPy scalar in `data`; NumPy needs an ndarray back
        data = self.data if type(self.data) is np.ndarray else np.asarray(self.data)
        if dtype is None:
            return data.copy() if copy else data
        return data.astype(dtype, copy=bool(copy))

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        return self.data.item()

    def __float__(self) -> float:
        return float(self.data)

    def __repr__(self) -> str:
        return f"<Tensor: shape={self.shape}, dtype={self.dtype}, numpy={self.data!r}>"

    def __str__(self) -> str:
        return f"Tensor(\n{self.data}, shape={self.shape}, dtype={self.dtype})"

    def detach(self) -> Tensor:
        """The same values, cut off from the tape."""
        return Tensor._from_op(self.data, None)

    def activation_source(self) -> ActivationSource | None:
        """The softmax or sigmoid that produced this tensor, and the logits it was given.

        Cross-entropy losses use it to work from the logits (a stable loss and the short
        ``p - y`` gradient), as Keras 3 does with the ``_keras_logits`` it keeps on an
        activation's output. None when the tensor came from anything else, or was computed
        without recording (under :func:`no_grad`, or from inputs that need no gradient).

        Examples
        --------
        >>> from neuroflow import ops
        >>> z = Tensor([[1.0, 2.0]], requires_grad=True)
        >>> source = ops.softmax(z).activation_source()
        >>> source.name, source.logits is z, source.axis
        ('softmax', True, -1)
        >>> (z * 2).activation_source() is None
        True
        """
        ctx = self._ctx
        return None if ctx is None else ctx.activation_source()

    # ------------------------------------------------------------------------ autograd
    def backward(self, grad=None) -> None:
        """Accumulates d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires it.

        The graph is walked once in reverse topological order, found with an explicit
        stack (no recursion limit) and visiting parents in argument order, so the order
        of accumulation, and therefore every float, is the same on every run.
        """
        if not self.requires_grad:
            raise ValueError(
                "backward() was called on a tensor that does not require grad: no input "
                "of the computation had requires_grad=True."
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    "grad can be omitted only for a tensor with one element. "
                    f"Received: a tensor of shape {self.shape}."
                )
            grad = np.ones_like(self.data)
        else:
            grad = np.asarray(grad, dtype=self.dtype).reshape(self.shape)

        grads = {id(self): grad}
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None:  # a leaf: accumulate, never in place (g may be shared)
                node.grad = g if node.grad is None else node.grad + g
                continue
            parent_grads = ctx.backward(g)
            if not isinstance(parent_grads, tuple):
                parent_grads = (parent_grads,)
            for parent, pg, needed in zip(ctx.parents, parent_grads, ctx.needs_input_grad):
                if needed and pg is not None:
                    key = id(parent)
                    grads[key] = pg if key not in grads else grads[key] + pg

    # --------------------------------------------------------------- operator sugar
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pow__(self, exponent):
        return _ops.pow(self, exponent)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes):
        return _ops.transpose(self, axes or None)

    @property
    def T(self):
        return _ops.transpose(self, None)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)


class Variable(Tensor):
    """A trainable (or frozen) parameter owned by a layer.

    Parameters
    ----------
    value : array_like
        Initial value, stored as float32 unless a float dtype is given.
    name : str
        The name Keras would give it (``kernel``, ``bias``...).
    trainable : bool, default True
        Whether optimizers update it.
    """

    __slots__ = ("name", "trainable")

    def __init__(self, value, name: str = "variable", trainable: bool = True, dtype=None):
        super().__init__(value, requires_grad=trainable, dtype=dtype)
        self.name = name
        self.trainable = bool(trainable)

    def assign(self, value) -> None:
        """Overwrites the values in place, keeping shape and dtype."""
        value = np.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable '{self.name}' "
                f"of shape {self.data.shape}."
            )
        self.data[...] = value

    def assign_add(self, delta) -> None:
        """Adds ``delta`` in place (Keras's ``variable.assign_add``)."""
        self.assign(self.data + np.asarray(delta))

    def assign_sub(self, delta) -> None:
        """Subtracts ``delta`` in place (Keras's ``variable.assign_sub``)."""
        self.assign(self.data - np.asarray(delta))

    def __repr__(self) -> str:
        return f"<Variable path={self.name}, shape={self.shape}, dtype={self.dtype}>"


class Function:
    """One differentiable primitive.

    Subclasses write ``forward(self, *arrays, **constants) -> ndarray`` and
    ``backward(self, grad) -> tuple`` (one gradient per tensor argument, or ``None``
    where it is not needed) next to each other, saving on ``self`` only what backward
    reads. Positional arguments are tensors; keyword arguments are constants
    (labels, axes, rates) that receive no gradient. ``backward`` never modifies what
    ``forward`` saved, so the same graph can be walked backward more than once.
    """

    parents: tuple
    needs_input_grad: tuple

    @classmethod
    def apply(cls, *inputs, **constants) -> Tensor:
        # list comprehensions, not generators: this runs for every op of every step
        tensors = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
        fn = cls()
        needs = tuple([t.requires_grad for t in tensors])
        fn.needs_input_grad = needs
        out = fn.forward(*[t.data for t in tensors], **constants)
        if True in needs and is_grad_enabled():
            fn.parents = tensors
            return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)

    def forward(self, *arrays, **constants) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray):
        raise NotImplementedError

    def activation_source(self) -> ActivationSource | None:
        """What :meth:`Tensor.activation_source` reports for this function's output (None
        unless the function is an activation that losses can see through)."""
        return None


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes that need a gradient, parents before children, found without recursion."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            # reversed so that the first parent is expanded first
            for parent in reversed(ctx.parents):
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


from neuroflow import ops as _ops  # noqa: E402  (ops needs Tensor and Function defined first)
