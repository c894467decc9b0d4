"""Merge layers: combine a list of inputs into one tensor, as Keras's merging layers do.

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum`` work
elementwise and broadcast like Keras (dimensions equal, or one of them 1; inputs of lower
rank get axes of size 1 inserted after the batch axis); ``Concatenate`` joins along an axis;
``Dot`` takes per-sample dot products. Each has a lowercase function (``add([a, b])``) that
builds the layer and calls it, as ``keras.layers.add`` does. Every layer's ``build`` and
``compute_output_shape`` receive a list of shapes, and ``call`` a list of tensors.
"""

from __future__ import annotations

import numpy as np

from neuroflow import ops
from neuroflow.layers.base import Layer
from neuroflow.tensor import Tensor

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]  # fmt: skip


def _is_shape_list(value) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(s, (list, tuple)) for s in value)


def _expand_to_rank(x: Tensor, rank: int) -> Tensor:
    """``x`` with axes of size 1 inserted after the batch axis until it has ``rank`` axes."""
    if x.ndim >= rank:
        return x
    return ops.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])


class _Merge(Layer):
    """Elementwise merge of a list of inputs; subclasses define ``_merge_function``."""

    _min_inputs = 1
    _max_inputs = None

    def _check_shapes(self, input_shape) -> list:
        label = type(self).__name__
        if not _is_shape_list(input_shape) or not input_shape:
            raise ValueError(
                f"A `{label}` layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape!r} (not a list of shapes)"
            )
        shapes = [tuple(s) for s in input_shape]
        count = len(shapes)
        if count < self._min_inputs or (self._max_inputs and count > self._max_inputs):
            expected = (
                f"exactly {self._min_inputs}"
                if self._min_inputs == self._max_inputs
                else f"at least {self._min_inputs}"
            )
            raise ValueError(
                f"A `{label}` layer should be called on {expected} inputs. "
                f"Received: {count} inputs with input_shape={shapes}"
            )
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes in layer '{self.name}'. "
                f"Received tensors with shapes {shapes}"
            )
        return shapes

    def _elementwise_shape(self, shape1: tuple, shape2: tuple) -> tuple:
        """Keras's broadcasting of two sample shapes; ValueError naming both if incompatible."""
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1:
                out.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(
                    f"Inputs of layer '{self.name}' have incompatible shapes. "
                    f"Received shapes {shape1} and {shape2}"
                )
            else:
                out.append(i)
        return tuple(out)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        shapes = self._check_shapes(input_shape)
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._elementwise_shape(out, shape[1:])
        batch_sizes = {s[0] for s in shapes} - {None}
        return (batch_sizes.pop() if len(batch_sizes) == 1 else None,) + out

    def _as_tensors(self, inputs) -> list:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A `{type(self).__name__}` layer should be called on a list of inputs. "
                f"Received: inputs={inputs!r} (not a list of tensors)"
            )
        return [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]

    def call(self, inputs, training=False):
        inputs = self._as_tensors(inputs)
        self.compute_output_shape([x.shape for x in inputs])  # a clear error, not NumPy's
        rank = max(x.ndim for x in inputs)
        return self._merge_function([_expand_to_rank(x, rank) for x in inputs])

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, previous_mask=None):
        """Keras 3's merge mask: a step is kept where any input keeps it; no mask unless
        every input has one."""
        if previous_mask is None or any(m is None for m in previous_mask):
            return None
        return np.logical_or.reduce([np.asarray(m, bool) for m in previous_mask])


class Add(_Merge):
    """Adds a list of inputs elementwise: ``add([a, b])`` is ``a + b``.

    Input shape: a list of tensors of broadcast-compatible shapes. Output shape: their
    broadcast shape.

    Examples
    --------
    >>> import numpy as np
    >>> Add()([np.ones((2, 3)), np.full((2, 3), 2.0)]).numpy()
    array([[3., 3., 3.],
           [3., 3., 3.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


class Subtract(_Merge):
    """Subtracts two inputs elementwise: ``subtract([a, b])`` is ``a - b``.

    Input shape: a list of exactly two tensors of broadcast-compatible shapes.

    Examples
    --------
    >>> import numpy as np
    >>> Subtract()([np.ones((1, 2)), np.full((1, 2), 3.0)]).numpy()
    array([[-2., -2.]], dtype=float32)
    """

    _min_inputs = _max_inputs = 2

    def _merge_function(self, inputs):
        return ops.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise.

    Examples
    --------
    >>> import numpy as np
    >>> Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).numpy()
    array([[6., 6.]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.mul(out, x)
        return out


class Average(_Merge):
    """The elementwise mean of a list of inputs.

    Examples
    --------
    >>> import numpy as np
    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 3.0)]).numpy()
    array([[1.5, 1.5]], dtype=float32)
    """

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.mul(out, 1.0 / len(inputs))


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs.

    Examples
    --------
    >>> import numpy as np
    >>> Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    # Keras 3 also masks the values here (masked steps take the other input's); not yet
    # done, so the mask stops here with Keras's warning rather than pass on silently
    _supports_masking = False

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs.

    Examples
    --------
    >>> import numpy as np
    >>> Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).numpy()
    array([[1., 2.]], dtype=float32)
    """

    # Keras 3 also masks the values here (masked steps take the other input's); not yet
    # done, so the mask stops here with Keras's warning rather than pass on silently
    _supports_masking = False

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Joins a list of inputs along ``axis``; every other axis must match.

    Input shape: a list of tensors of one rank. Output shape: theirs, with the sizes along
    ``axis`` added up.

    Parameters
    ----------
    axis : int, default -1
        The axis to join along (the batch axis is 0).

    Examples
    --------
    >>> import numpy as np
    >>> Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
    TensorShape([2, 4])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Expected `axis` to be an int. Received: axis={axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._check_shapes(input_shape)
        ranks = {len(s) for s in shapes}
        rank = len(shapes[0])
        mismatch = (
            f"A `Concatenate` layer ('{self.name}') requires inputs with matching shapes except "
            f"for the concatenation axis (axis={self.axis}). Received: input_shape={shapes}"
        )
        if len(ranks) > 1:
            raise ValueError(mismatch)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer '{self.name}': axis={self.axis} is out of range for inputs of rank "
                f"{rank}. Received: input_shape={shapes}"
            )
        axis = self.axis % rank
        out = list(shapes[0])
        for i in range(rank):
            known = {s[i] for s in shapes} - {None}
            if i == axis:
                sizes = [s[i] for s in shapes]
                out[i] = None if None in sizes else sum(sizes)
            elif len(known) > 1:
                raise ValueError(mismatch)
            else:
                out[i] = known.pop() if known else None
        return tuple(out)

    def call(self, inputs, training=False):
        inputs = self._as_tensors(inputs)
        self.compute_output_shape([x.shape for x in inputs])
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, previous_mask=None):
        """Keras 3's: each input's mask (all True where it has none) broadcast to its
        shape, concatenated along ``axis``, then ``any`` over the last axis."""
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, m in zip(inputs, previous_mask):
            shape = np.shape(x)
            if m is None:
                m = np.ones(shape, bool)
            elif np.ndim(m) < len(shape):
                m = np.broadcast_to(np.expand_dims(np.asarray(m, bool), -1), shape)
            masks.append(m)
        return np.concatenate(masks, axis=self.axis).any(axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Per-sample dot products of two inputs along ``axes``.

    With inputs ``(batch, n)`` and ``(batch, n)`` and ``axes=1`` the output is
    ``(batch, 1)``; in general the output shape is the first input's shape without its
    ``axes[0]`` axis, followed by the second's without its batch axis and ``axes[1]`` axis
    (Keras's ``batch_dot``).

    Parameters
    ----------
    axes : int or (int, int)
        The axis of each input to contract (never 0, the batch axis).
    normalize : bool, default False
        L2-normalize both inputs along ``axes`` first, so the output is the cosine
        similarity.

    Examples
    --------
    >>> import numpy as np
    >>> Dot(axes=1)([np.ones((2, 3)), np.full((2, 3), 2.0)]).numpy()
    array([[6.],
           [6.]], dtype=float32)
    """

    _min_inputs = _max_inputs = 2

    def compute_mask(self, inputs, previous_mask=None):
        return None  # as Keras 3: the contracted axes take the steps away

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes!r}"
                )
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes!r}"
                )
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(
                "Invalid type for argument `axes`: it should be a list or an int. "
                f"Received: axes={axes!r}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, rank1: int, rank2: int) -> tuple[int, int]:
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        axes = (
            axes[0] % rank1 if axes[0] < 0 else axes[0],
            axes[1] % rank2 if axes[1] < 0 else axes[1],
        )
        if 0 in axes or axes[0] >= rank1 or axes[1] >= rank2:
            raise ValueError(
                f"Layer '{self.name}': axes={self.axes} must name a non-batch axis of each "
                f"input (ranks {rank1} and {rank2})."
            )
        return axes

    def compute_output_shape(self, input_shape):
        shape1, shape2 = self._check_shapes(input_shape)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"Cannot do batch_dot on inputs with rank < 2 in layer '{self.name}'. "
                f"Received inputs with shapes {shape1} and {shape2}."
            )
        a1, a2 = self._axes_for(len(shape1), len(shape2))
        d1, d2 = shape1[a1], shape2[a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Incompatible input shapes for layer '{self.name}': axis values {d1} "
                f"(at axis {a1}) != {d2} (at axis {a2}). Full input shapes: {shape1}, {shape2}"
            )
        out = [d for i, d in enumerate(shape1) if i != a1]
        out += [d for i, d in enumerate(shape2) if i not in (0, a2)]
        return tuple(out) if len(out) > 1 else tuple(out) + (1,)

    def call(self, inputs, training=False):
        inputs = self._as_tensors(inputs)
        self.compute_output_shape([x.shape for x in inputs])
        x, y = inputs
        a1, a2 = self._axes_for(x.ndim, y.ndim)
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        return _batch_dot(x, y, a1, a2)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """``x / max(||x||, 1e-7)`` along ``axis``, computed as Keras does (``x * rsqrt``)."""
    inv_norm = ops.pow(ops.sum(ops.mul(x, x), axis=axis, keepdims=True), -0.5)
    return ops.mul(x, ops.minimum(inv_norm, 1e7))


def _batch_dot(x: Tensor, y: Tensor, a1: int, a2: int) -> Tensor:
    """Keras's ``batch_dot``: the contracted axis moved last in ``x`` and second in ``y``,
    the other axes flattened, one batched matrix product, then the shape restored."""
    x_rest = [i for i in range(1, x.ndim) if i != a1]
    y_rest = [i for i in range(1, y.ndim) if i != a2]
    n, k = x.shape[0], x.shape[a1]
    x_mid = tuple(x.shape[i] for i in x_rest)
    y_mid = tuple(y.shape[i] for i in y_rest)
    x3 = ops.reshape(ops.transpose(x, [0, *x_rest, a1]), (n, -1, k))
    y3 = ops.reshape(ops.transpose(y, [0, a2, *y_rest]), (n, k, -1))
    out_shape = (n,) + x_mid + y_mid
    return ops.reshape(ops.bmm(x3, y3), out_shape if len(out_shape) > 1 else (n, 1))


# ---------------------------------------------------------------- functional interface


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of inputs."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of inputs."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of inputs."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of a list of inputs."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of a list of inputs."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: a list of inputs joined along ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> concatenate([np.zeros((2, 3)), np.ones((2, 2))]).shape
    TensorShape([2, 5])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``: per-sample dot products of two inputs."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
