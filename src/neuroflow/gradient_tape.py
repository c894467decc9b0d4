"""TensorFlow's ``GradientTape`` over neuroflow's tape.

Every op that touches a tensor needing a gradient is recorded on its output (see
:mod:`neuroflow.tensor`), each with a sequence number. A :class:`GradientTape` remembers the
numbers of the ops run while it was open and, asked for a gradient, walks back from the
target through those ops only, as TensorFlow's tape sees only what ran inside it. Trainable
variables are watched by being trainable; other float tensors by :meth:`GradientTape.watch`.

>>> from neuroflow.tensor import Variable
>>> x = Variable(3.0)
>>> with GradientTape() as tape:
...     y = x * x
>>> print(tape.gradient(y, x))
tf.Tensor(6.0, shape=(), dtype=float32)
"""

from __future__ import annotations

import enum
import functools
import threading
import warnings

import numpy as np

from neuroflow import tensor as _tensor
from neuroflow.nest import flatten, pack_like
from neuroflow.tensor import Tensor, Variable, no_grad

__all__ = ["GradientTape", "UnconnectedGradients", "function", "stop_gradient"]

_active = threading.local()  # the tapes open in this thread, innermost last


def _open_tapes() -> list:
    tapes = getattr(_active, "tapes", None)
    if tapes is None:
        tapes = _active.tapes = []
    return tapes


class UnconnectedGradients(enum.Enum):
    """What :meth:`GradientTape.gradient` returns for a source the target does not depend
    on: ``NONE`` (TensorFlow's default) or ``ZERO``."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations for automatic differentiation (TensorFlow's ``tf.GradientTape``).

    Parameters
    ----------
    persistent : bool, default False
        Whether :meth:`gradient` may be called more than once.
    watch_accessed_variables : bool, default True
        Whether trainable variables used inside the block are watched automatically;
        when False only what :meth:`watch` names gets a gradient.

    Examples
    --------
    >>> from neuroflow.tensor import constant
    >>> x = constant([1.0, 2.0])
    >>> with GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = (x * x).sum()
    >>> tape.gradient(y, x).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._start: int | None = None
        self._end: int | None = None
        self._watched: dict[int, Tensor] = {}
        self._flipped: list[Tensor] = []  # tensors this tape made record, reset on exit
        self._used = False

    # ------------------------------------------------------------------- recording
    def __enter__(self) -> GradientTape:
        if self._start is not None and self._end is None:
            raise ValueError("This GradientTape is already recording (it was entered twice).")
        self._start = _tensor.peek_op_counter()
        self._end = None
        _open_tapes().append(self)
        return self

    def __exit__(self, *exc) -> None:
        self._end = _tensor.peek_op_counter()
        tapes = _open_tapes()
        if self in tapes:
            tapes.remove(self)
        still_watched = {id(t) for tape in tapes for t in tape._flipped}
        for t in self._flipped:
            if id(t) not in still_watched:
                t.requires_grad = False
        self._flipped = []

    def watch(self, tensor) -> None:
        """Makes the tape record the operations on ``tensor`` (a tensor, or a list or
        nested structure of them) from now on."""
        for t in flatten(tensor):
            if not isinstance(t, Tensor):
                raise ValueError(
                    "Passed in object of type "
                    f"{type(t).__name__}, not tf.Tensor or tf.Variable: `tape.watch` expects "
                    "tensors or variables."
                )
            if t.data.dtype.kind != "f":
                warnings.warn(
                    f"The dtype of the watched tensor must be floating (e.g. tf.float32), got "
                    f"{t.dtype!r}",
                    stacklevel=2,
                )
                continue
            self._watched[id(t)] = t
            if not t.requires_grad:
                t.requires_grad = True
                if self._end is None and self._start is not None:
                    self._flipped.append(t)

    def watched_variables(self) -> tuple:
        """The variables this tape has watched explicitly."""
        return tuple(t for t in self._watched.values() if isinstance(t, Variable))

    def stop_recording(self):
        """A context in which operations are not recorded (by any tape)."""
        if self._start is None or self._end is not None:
            raise ValueError("Cannot stop recording: the tape is not recording.")
        return no_grad()

    def reset(self) -> None:
        """Forgets everything recorded so far; recording continues if the tape is open."""
        self._start = _tensor.peek_op_counter()
        self._watched.clear()
        self._used = False

    # -------------------------------------------------------------------- gradients
    def gradient(
        self,
        target,
        sources,
        output_gradients=None,
        unconnected_gradients=UnconnectedGradients.NONE,
    ):
        """The gradient of ``target`` with respect to each of ``sources``.

        Parameters
        ----------
        target : Tensor or list of Tensors
            What to differentiate. A non-scalar target is summed, as in TensorFlow; several
            targets add up.
        sources : Tensor, Variable, or a list, tuple, dict or nesting of them
            What to differentiate with respect to; the result has the same structure.
        output_gradients : array_like or list, optional
            The gradient flowing into each target (ones by default).
        unconnected_gradients : UnconnectedGradients or str, default "none"
            None (TensorFlow's default) or zeros for a source the target does not depend on.

        Returns
        -------
        Tensor, None, or the structure of ``sources`` holding them.

        Raises
        ------
        RuntimeError
            When a non-persistent tape is asked a second time.
        """
        if self._start is None:
            raise ValueError("The GradientTape was never entered: use `with tf.GradientTape():`.")
        if self._used and not self._persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians). Create the tape with `persistent=True` to call "
                "`gradient` more than once."
            )
        self._used = True
        unconnected = UnconnectedGradients(
            unconnected_gradients.value
            if isinstance(unconnected_gradients, UnconnectedGradients)
            else unconnected_gradients
        )
        targets = flatten(target)
        seeds = self._seeds(targets, output_gradients)
        leaves = flatten(sources)
        for s in leaves:
            if not isinstance(s, Tensor):
                raise TypeError(
                    "Expected `sources` to hold tensors or variables. Received: an element of "
                    f"type {type(s).__name__}."
                )
        end = self._end if self._end is not None else _tensor.peek_op_counter()
        found = _backprop(targets, seeds, leaves, self._start, end, self._allows)
        results = []
        for s in leaves:
            g = found.get(id(s))
            if g is None:
                zero = unconnected is UnconnectedGradients.ZERO and s.data.dtype.kind == "f"
                results.append(Tensor._from_op(np.zeros_like(s.data), None) if zero else None)
            else:
                results.append(Tensor._from_op(np.asarray(g, dtype=s.data.dtype), None))
        if isinstance(sources, Tensor):
            return results[0]
        return pack_like(sources, results)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE):
        """d(target[i...]) / d(source): the target's shape followed by each source's."""
        if not isinstance(target, Tensor):
            raise TypeError(f"Expected `target` to be a Tensor. Received: {type(target).__name__}")
        persistent, self._persistent = self._persistent, True
        try:
            rows = []
            for i in range(target.data.size):
                seed = np.zeros(target.data.size, dtype=target.data.dtype)
                seed[i] = 1
                self._used = False
                rows.append(
                    flatten(
                        self.gradient(
                            target, sources, seed.reshape(target.data.shape), unconnected_gradients
                        )  # fmt: skip
                    )
                )
        finally:
            self._persistent = persistent
            self._used = True
        leaves = flatten(sources)
        out = []
        for j, s in enumerate(leaves):
            column = [row[j] for row in rows]
            if any(g is None for g in column):
                out.append(None)
                continue
            stacked = np.stack([g.data for g in column]) if column else np.zeros((0,) + s.shape)
            out.append(Tensor._from_op(stacked.reshape(target.data.shape + s.data.shape), None))
        return out[0] if isinstance(sources, Tensor) else pack_like(sources, out)

    def _seeds(self, targets: list, output_gradients) -> list:
        if output_gradients is None:
            grads = [None] * len(targets)
        else:
            grads = flatten(output_gradients) if len(targets) > 1 else [output_gradients]
            if len(grads) != len(targets):
                raise ValueError(
                    f"Got {len(grads)} output gradients for {len(targets)} targets; expected one "
                    "each."
                )
        seeds = []
        for t, g in zip(targets, grads):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"Expected `target` to be a Tensor or a list of Tensors. Received: an "
                    f"element of type {type(t).__name__}."
                )
            if g is None:
                seeds.append(np.ones_like(t.data))  # a non-scalar target is summed
                continue
            g = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=t.data.dtype)
            if g.shape != t.data.shape:
                raise ValueError(
                    f"`output_gradients` of shape {g.shape} do not match the target's shape "
                    f"{t.data.shape}."
                )
            seeds.append(g)
        return seeds

    def _allows(self, leaf: Tensor) -> bool:
        """Whether the walk may deliver a gradient to this leaf tensor."""
        if self._watch_accessed or id(leaf) in self._watched:
            return True
        return not isinstance(leaf, Variable)


def _backprop(targets, seeds, sources, start: int, end: int, allows) -> dict:
    """The gradients reaching each of ``sources`` from ``targets``, through the ops recorded
    with a sequence number in ``[start, end)``; returns ``{id(source): ndarray}``."""
    wanted = {id(s) for s in sources}
    order = _tensor.topological_order(targets, lambda ctx: start <= ctx.seq < end)
    grads: dict[int, np.ndarray] = {}
    for t, seed in zip(targets, seeds):
        key = id(t)
        grads[key] = seed if key not in grads else grads[key] + seed
    found = {}
    for node in reversed(order):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if id(node) in wanted:
            found[id(node)] = g
        ctx = node._ctx
        if ctx is None or not start <= ctx.seq < end:
            continue  # a leaf, or made before the tape opened: a constant to this tape
        parent_grads = ctx.backward(g)
        if not isinstance(parent_grads, tuple):
            parent_grads = (parent_grads,)
        for parent, pg, needed in zip(ctx.parents, parent_grads, ctx.needs_input_grad):
            if needed and pg is not None and (parent._ctx is not None or allows(parent)):
                key = id(parent)
                grads[key] = pg if key not in grads else grads[key] + pg
    return found


def stop_gradient(input, name=None) -> Tensor:  # noqa: A002  (TensorFlow's argument name)
    """The same values, seen as a constant by every tape (``tf.stop_gradient``)."""
    value = input if isinstance(input, Tensor) else _tensor.convert_to_tensor(input)
    return Tensor._from_op(value.data, None)


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_compile=None, **kwargs):  # fmt: skip
    """TensorFlow's ``@tf.function``: accepted, and the function runs eagerly as written.

    neuroflow has no graph compiler; the decorated function is the plain Python function
    (``jit_compile`` and the other options have no effect). Works bare (``@tf.function``)
    and with arguments (``@tf.function(jit_compile=True)``).
    """

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kw):
            return f(*args, **kw)

        wrapper.python_function = f
        return wrapper

    return decorate if func is None else decorate(func)
