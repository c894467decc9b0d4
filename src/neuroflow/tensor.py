"""Tensor and the reverse-mode tape.

A :class:`Tensor` is a NumPy array plus an optional gradient. Every differentiable
operation is a :class:`Function` subclass in :mod:`neuroflow.ops` with ``forward`` and
``backward`` written side by side; applying one records the function on its output so
that :meth:`Tensor.backward` can walk the graph in reverse.
"""

from __future__ import annotations

import itertools
import threading
from typing import NamedTuple

import numpy as np

from neuroflow import dtypes

__all__ = [
    "ActivationSource", "Tensor", "TensorShape", "Variable", "Function", "constant",
    "convert_to_tensor", "no_grad", "enable_grad", "is_grad_enabled",
]  # fmt: skip

_state = threading.local()
_op_counter = itertools.count()  # numbers recorded ops, so a GradientTape knows its own


def peek_op_counter() -> int:
    """A number between those of the ops recorded before and after this call."""
    return next(_op_counter)


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


def to_array(value, dtype=None) -> np.ndarray:
    """``value`` as an array by TensorFlow's rules (what ``constant`` and ``Variable`` store).

    Python floats become float32 and Python integers int32 (int64 when they do not fit),
    as TensorFlow converts them; NumPy arrays and tensors keep their dtype. With ``dtype``
    the values are converted to it, and a Python float that would lose its fraction in an
    integer dtype is a ``TypeError``, as in TensorFlow.
    """
    if isinstance(value, Tensor):
        array = value.data
    elif isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
    else:
        array = np.asarray(value)
        if dtype is None and not _holds_arrays(value):  # a list of arrays keeps their dtype
            kind = array.dtype.kind
            if kind == "f":
                array = array.astype(np.float32)
            elif kind in "iu":
                fits = array.size == 0 or (array.min() >= -(2**31) and array.max() < 2**31)
                array = array.astype(np.int32 if fits else np.int64)
    if dtype is not None:
        target = dtypes.as_dtype(dtype)
        if (
            not isinstance(value, (Tensor, np.ndarray, np.generic))
            and array.dtype.kind == "f"
            and target.is_integer
            and not np.array_equal(array, np.trunc(array))
        ):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {target.name}")
        array = array.astype(target.dtype, copy=False)
    elif array.dtype not in dtypes._BY_NUMPY:
        raise TypeError(
            f"Cannot convert {value!r} to a tensor: its dtype {array.dtype} is not a "
            "supported element type (expected bool, integer or floating point values)."
        )
    return array


def _holds_arrays(value) -> bool:
    """Whether a list or tuple holds NumPy arrays or tensors (whose dtype TensorFlow keeps)."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (np.ndarray, np.generic, Tensor))


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """A tensor holding ``value`` (TensorFlow's ``tf.constant``).

    Parameters
    ----------
    value : array_like or Tensor
        The values; Python floats become float32 and integers int32, as in TensorFlow.
    dtype : DType or str, optional
        The element type to convert to.
    shape : tuple of int, optional
        The result's shape: a scalar ``value`` fills it, otherwise the values are reshaped.
    name : str, optional
        Accepted for TensorFlow's signature; unused.

    Examples
    --------
    >>> constant([1, 2, 3])
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>
    >>> print(constant(0.5, shape=(2,)))
    tf.Tensor([0.5 0.5], shape=(2,), dtype=float32)
    """
    array = to_array(value, dtype)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == int(np.prod(shape)):
            array = array.reshape(shape)
        else:
            raise TypeError(
                f"Eager execution of tf.constant with unsupported shape. Tensor {value!r} "
                f"(converted from {array.shape}) has {array.size} elements, but got `shape` "
                f"{shape} with {int(np.prod(shape))} elements)."
            )
    elif isinstance(value, Tensor):
        array = array.copy() if array is value.data else array
    return Tensor._from_op(array, None)


def is_tensor(x) -> bool:
    """Whether ``x`` is a tensor or variable (``tf.is_tensor`` / ``keras.ops.is_tensor``): a
    NumPy array or a number is not.

    >>> is_tensor(constant([1.0])), is_tensor(Variable(1.0)), is_tensor([1.0])
    (True, True, False)
    """
    return isinstance(x, Tensor)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """``value`` as a Tensor: a Tensor itself is returned unchanged (TensorFlow's rule).

    ``dtype_hint`` is used for Python values when ``dtype`` is not given; a Tensor of
    another dtype than ``dtype`` is a ``ValueError``, as in TensorFlow.
    """
    if isinstance(value, Tensor):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for Tensor "
                f"with dtype {value.dtype.name}: {value!r}"
            )
        return value
    if dtype is None and dtype_hint is not None and not isinstance(value, np.ndarray):
        dtype = dtype_hint
    return Tensor._from_op(to_array(value, dtype), None)


class TensorShape(tuple):
    """A tensor's shape: a tuple with TensorFlow's ``as_list()``, ``rank`` and
    ``num_elements()``; prints as the tuple, ``repr`` as TensorFlow's."""

    __slots__ = ()

    def as_list(self) -> list:
        return list(self)

    @property
    def rank(self) -> int:
        return len(self)

    ndims = rank

    @property
    def dims(self) -> list:
        return list(self)

    def num_elements(self):
        return None if None in self else int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self) -> bool:
        return None not in self

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return TensorShape(item) if isinstance(index, slice) else item

    def __repr__(self) -> str:
        return f"TensorShape({list(self)})"

    def __str__(self) -> str:
        return tuple.__repr__(self)


_COMPARABLE = (np.ndarray, np.generic, int, float, bool, list, tuple)  # and Tensor, below


def _numpy_repr(data) -> str:
    """The ``numpy=`` part of TensorFlow's repr: the array's repr, a scalar as its value."""
    data = np.asarray(data)
    if data.ndim == 0:
        return str(data[()])
    text = repr(data)
    return "\n" + text if "\n" in text else text  # TensorFlow starts a long array on a new line


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

    # ``_keras_mask``: Keras's mask of the timesteps (a bool array, batch x steps) that a
    # layer attached to its output (Embedding(mask_zero=True), Masking); None when there is
    # none. A slot, set in both constructors, so reading it is one attribute access.
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_keras_mask", "__weakref__")
    __array_priority__ = 1000  # makes ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Function | None = None
        self._keras_mask = None

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Function | None) -> Tensor:
        """Wraps an op's output without re-validating it (the hot path)."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = ctx is not None
        out._ctx = ctx
        out._keras_mask = None
        return out

    # ----------------------------------------------------------------- array protocol
    @property
    def shape(self) -> TensorShape:
        return TensorShape(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> dtypes.DType:
        """The element type: a :class:`~neuroflow.dtypes.DType`, which compares equal to the
        NumPy dtype and which NumPy accepts as one."""
        return dtypes.of(self.data)

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

    def numpy(self):
        """The values as a NumPy array (shared, not copied; a NumPy scalar for a scalar)."""
        data = self.data
        return data[()] if data.ndim == 0 else data

    def item(self) -> float:
        return self.data.item()

    def __float__(self) -> float:
        return float(self.data)

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        if self.data.ndim == 0:  # f"{loss:.4f}", as TensorFlow's scalars allow
            return format(self.data.item(), spec)
        return format(str(self), spec)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.ndim != 0:
            raise TypeError(
                f"Only integer scalar tensors can be used as an index. Received: a tensor of "
                f"shape {self.shape} and dtype {self.dtype.name}."
            )
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(len(self.data)):
            yield self[i]

    def __repr__(self) -> str:
        return (
            f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
            f"numpy={_numpy_repr(self.data)}>"
        )

    def __str__(self) -> str:
        text = str(self.data)
        sep = "\n" if "\n" in text else ""
        return f"tf.Tensor({sep}{text}, shape={self.shape}, dtype={self.dtype.name})"

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
        for node in reversed(topological_order([self])):
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

    def __abs__(self):
        return _ops.abs(self)

    def __rpow__(self, base):
        return _ops.pow(base, self)

    def __floordiv__(self, other):
        return _ops.floordiv(self, other)

    def __rfloordiv__(self, other):
        return _ops.floordiv(other, self)

    def __mod__(self, other):
        return _ops.mod(self, other)

    def __rmod__(self, other):
        return _ops.mod(other, self)

    # Elementwise, as TensorFlow 2's tensors; but a Variable compared with a tensor is
    # compared by identity, so variables stay usable as dict keys and in lists (optimizer
    # slots, ``v in model.trainable_variables``), where TensorFlow needs ``v.ref()``.
    def __eq__(self, other):
        if isinstance(other, Tensor) and (
            isinstance(self, Variable) or isinstance(other, Variable)
        ):
            return self is other
        if not isinstance(other, _COMPARABLE):
            return NotImplemented  # let the other side decide (pytest.approx, sentinels)
        return _ops.equal(self, other)

    def __ne__(self, other):
        if isinstance(other, Tensor) and (
            isinstance(self, Variable) or isinstance(other, Variable)
        ):
            return self is not other
        if not isinstance(other, _COMPARABLE):
            return NotImplemented
        return _ops.not_equal(self, other)

    __hash__ = object.__hash__

    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __invert__(self):
        return _ops.logical_not(self)

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
    """A value that changes in place: a layer's weight, or TensorFlow's ``tf.Variable``.

    Parameters
    ----------
    initial_value : array_like, Tensor or callable
        The starting value (a callable is called with no arguments), converted by
        TensorFlow's rules: Python floats become float32, integers int32.
    trainable : bool, default True
        Whether optimizers update it and a :class:`~neuroflow.GradientTape` watches it.
        Only floating-point variables can be trained.
    name : str, optional
        The name (``kernel``, ``bias``... for a layer's weights).
    dtype : DType or str, optional
        The element type to convert ``initial_value`` to.
    shape : tuple, optional
        With Keras 3's ``initializer=`` keyword: the shape to initialize.
    initializer : str or callable, optional
        Keras 3's spelling: an initializer name or object, called with ``shape``.
    constraint : callable, optional
        Applied as ``variable.assign(constraint(variable))`` after each optimizer step
        (see :mod:`neuroflow.constraints`); also settable later, as in Keras 3.

    Examples
    --------
    >>> v = Variable(1.0)
    >>> v.assign_add(2.0)
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>
    >>> v.numpy()
    np.float32(3.0)
    """

    __slots__ = ("name", "trainable", "_constraint")

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        name=None,
        dtype=None,
        shape=None,
        *,
        initializer=None,
        constraint=None,
        **kwargs,
    ):
        unknown = set(kwargs) - {
            "validate_shape", "caching_device", "variable_def", "import_scope",
            "synchronization", "aggregation", "autocast", "experimental_enable_variable_lifting",
        }  # fmt: skip
        if unknown:
            raise TypeError(f"Variable() got unexpected keyword argument(s): {sorted(unknown)}")
        if initializer is not None:
            if initial_value is not None:
                raise ValueError("Pass `initial_value` or `initializer`, not both.")
            if isinstance(initializer, str) or not callable(initializer):
                from neuroflow import initializers  # noqa: PLC0415  (initializers import tensor)

                initializer = initializers.get(initializer)
            initial_value = initializer(
                () if shape is None else tuple(shape), dtype=dtype or "float32"
            )
        elif initial_value is None:
            raise ValueError("A Variable needs an `initial_value` (or Keras's `initializer`).")
        elif callable(initial_value) and not isinstance(initial_value, Tensor):
            initial_value = initial_value()
        array = to_array(initial_value, dtype)
        if isinstance(initial_value, (Tensor, np.ndarray)) and array is not None:
            array = np.array(array, copy=True)  # the variable owns its values
        if shape is not None and initializer is None and tuple(array.shape) != tuple(shape):
            raise ValueError(
                f"The initial value's shape {array.shape} is not compatible with the given "
                f"`shape` {tuple(shape)}."
            )
        trainable = True if trainable is None else bool(trainable)
        super().__init__(array, requires_grad=trainable and array.dtype.kind == "f",
                         dtype=array.dtype)  # fmt: skip
        self.name = "Variable" if name is None else str(name)
        self.trainable = trainable
        self.constraint = constraint

    @property
    def constraint(self):
        """The projection optimizers apply after updating this variable, or None."""
        return self._constraint

    @constraint.setter
    def constraint(self, value) -> None:
        if value is not None and not callable(value):
            raise ValueError(
                "Invalid value for attribute `constraint`. Expected a callable (such as a "
                "`keras.constraints.Constraint` instance) or `None`. "
                f"Received: constraint={value!r}"
            )
        self._constraint = value

    def numpy(self):
        """A copy of the current values (a later ``assign`` does not change it)."""
        data = np.array(self.data)
        return data[()] if data.ndim == 0 else data

    def value(self) -> Tensor:
        """The current values as a Tensor (TensorFlow's ``read_value``)."""
        return Tensor._from_op(self.data.copy(), None)

    read_value = value

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Overwrites the values in place, keeping shape and dtype; returns the variable."""
        value = np.asarray(value.data if isinstance(value, Tensor) else value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign value to variable '{self.name}': shape mismatch. The variable "
                f"shape {self.data.shape}, and the assigned value shape {value.shape} are "
                "incompatible."
            )
        self.data[...] = value
        return self

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        """Adds ``delta`` in place (``variable.assign_add``); returns the variable."""
        delta = delta.data if isinstance(delta, Tensor) else delta
        return self.assign(self.data + np.asarray(delta, dtype=self.data.dtype))

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        """Subtracts ``delta`` in place (``variable.assign_sub``); returns the variable."""
        delta = delta.data if isinstance(delta, Tensor) else delta
        return self.assign(self.data - np.asarray(delta, dtype=self.data.dtype))

    def __repr__(self) -> str:
        return (
            f"<tf.Variable '{self.name}:0' shape={self.shape} dtype={self.dtype.name}, "
            f"numpy={_numpy_repr(self.data)}>"
        )

    def __str__(self) -> str:
        return repr(self)


_COMPARABLE = (Tensor, *_COMPARABLE)


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
    seq: int  # when it was recorded (a GradientTape keeps the ops recorded while it is open)

    @classmethod
    def apply(cls, *inputs, **constants) -> Tensor:
        # plain loops (no comprehension frames, no generators): this runs for every op of
        # every step, and its inputs are nearly always Tensors already
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
                break
        fn = cls()
        needs, arrays = [], []
        for t in tensors:
            needs.append(t.requires_grad)
            arrays.append(t.data)
        fn.needs_input_grad = needs = tuple(needs)
        out = fn.forward(*arrays, **constants)
        if True in needs and is_grad_enabled():
            fn.parents = tensors
            fn.seq = next(_op_counter)
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


def topological_order(roots, walks=None) -> list[Tensor]:
    """Nodes that need a gradient, reachable from ``roots``, parents before children, found
    without recursion. ``walks(ctx)`` says whether to go through an op to its inputs (every
    recorded op by default; a GradientTape only through its own)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
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
        if ctx is not None and (walks is None or walks(ctx)):
            # reversed so that the first parent is expanded first; an input that needed no
            # gradient when the op ran is not walked
            for parent, needed in zip(reversed(ctx.parents), reversed(ctx.needs_input_grad)):
                if needed and id(parent) not in visited:
                    stack.append((parent, False))
    return order


from neuroflow import ops as _ops  # noqa: E402  (ops needs Tensor and Function defined first)
