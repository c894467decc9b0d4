"""Maxout (Goodfellow et al., 2013, "Maxout Networks"): the maximum over groups of features.

The layer is TensorFlow Addons' ``tfa.layers.Maxout`` (same arguments, grouping and config
keys). It has no weights: the linear pieces come from the layer before it, typically
``Dense(k * num_units)``, and Maxout keeps the largest of each unit's ``k`` pieces.
"""

from __future__ import annotations

from neuroflow import ops
from neuroflow.layers.base import Layer, check_positive_int

__all__ = ["Maxout"]


class Maxout(Layer):
    """The maximum over ``num_units`` groups of the ``axis`` dimension.

    The ``axis`` dimension of size ``C`` (``C`` a multiple of ``num_units``) is split into
    ``num_units`` groups of ``k = C // num_units`` features, and each group is reduced to its
    maximum. As in TensorFlow Addons, the input is reshaped to ``(..., k, num_units)`` at
    ``axis``: unit ``j`` is the maximum of features ``j, j + num_units, j + 2 * num_units, ...``.

    The gradient flows to the feature that was the maximum; where several features of a group
    tie for it, they share the gradient equally (the rule of ``tf.reduce_max``, which
    ``tfa.layers.Maxout`` uses, and of :func:`neuroflow.ops.max`).

    Input shape: any, with ``C`` features along ``axis``. Output shape: the same with
    ``num_units`` features along ``axis``.

    Parameters
    ----------
    num_units : int
        The number of outputs (groups) along ``axis``.
    axis : int, default -1
        The axis holding the features to group.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, -2.0, 5.0, 3.0, 0.0, 4.0]])
    >>> Maxout(2)(x).numpy()  # unit 0: max(1, 5, 0); unit 1: max(-2, 3, 4)
    array([[5., 4.]], dtype=float32)
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.num_units = check_positive_int(self.name, "num_units", num_units)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Expected `axis` to be an int. Received: axis={axis!r}")
        self.axis = axis

    def _grouping(self, shape) -> tuple[int, int]:
        """(the non-negative axis, the number of pieces per unit) for an input ``shape``."""
        rank = len(shape)
        if not -rank <= self.axis < rank or rank < 2:
            raise ValueError(
                f"Layer '{self.name}' cannot take the maximum over axis {self.axis} of an input "
                f"of shape {tuple(shape)}: expected an axis of an input of rank >= 2 "
                f"(batch, ..., features)."
            )
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(
                f"Layer '{self.name}' cannot group the batch axis. Received: axis={self.axis}"
            )
        channels = shape[axis]
        if channels is not None and channels % self.num_units:
            raise ValueError(
                f"The number of features ({channels}) along axis {self.axis} of the input of "
                f"layer '{self.name}' is not a multiple of num_units ({self.num_units}). "
                f"Received input of shape {tuple(shape)}."
            )
        return axis, (None if channels is None else channels // self.num_units)

    def build(self, input_shape):
        self._grouping(input_shape)

    def call(self, inputs, training=False):
        shape = tuple(inputs.shape)
        axis, k = self._grouping(shape)
        grouped = shape[:axis] + (k, self.num_units) + shape[axis + 1 :]
        return ops.max(ops.reshape(inputs, grouped), axis=axis)

    def compute_output_shape(self, input_shape):
        axis, _ = self._grouping(input_shape)
        shape = list(input_shape)
        shape[axis] = self.num_units
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}
