"""Preprocessing layers: Normalization (with ``adapt``) and Rescaling."""

from __future__ import annotations

import itertools
import math

import numpy as np

from neuroflow import ops
from neuroflow.layers.base import Layer, is_shape
from neuroflow.tensor import Tensor

__all__ = ["Normalization", "Rescaling"]

_EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


def _first_of(batch):
    """The inputs of a batch that may be ``(x, y[, sample_weight])``, as an array."""
    if isinstance(batch, (tuple, list)) and batch and not np.isscalar(batch[0]):
        batch = batch[0]
    return np.asarray(batch)


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance: ``(x - mean) / sqrt(var)``.

    The statistics are given (``mean`` and ``variance``) or learned from data with
    :meth:`adapt`, separately for each index along ``axis`` (one statistic overall with
    ``axis=None``). ``invert=True`` maps normalized values back: ``mean + x * sqrt(var)``.
    The standard deviation is floored at 1e-7, as in Keras.

    Input shape: any. Output shape: the same.

    Parameters
    ----------
    axis : int, tuple of int or None, default -1
        The axes that keep their own statistics.
    mean, variance : float or array_like, optional
        Fixed statistics (both or neither); otherwise call :meth:`adapt`.
    invert : bool, default False

    Examples
    --------
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> layer(np.array([[1.0, 20.0]])).numpy()
    array([[0., 0.]], dtype=float32)
    >>> Normalization(mean=2.0, variance=4.0)(np.array([[4.0]])).numpy()
    array([[1.]], dtype=float32)
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
        ):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(
                f"Expected `axis` of layer '{self.name}' to be an int, a tuple of ints or None. "
                f"Received: axis={axis!r}"
            )
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same "
                    f"shape. Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}"
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}"
                )
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self._given = None  # the given statistics, broadcast to the input's rank, once built

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[d] is None for d in self._keep):
            raise ValueError(
                f"All `axis` values to be kept must have a known shape. Received "
                f"axis={self.axis}, inputs.shape={tuple(input_shape)}"
            )
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._broadcast = tuple(input_shape[d] if d in self._keep else 1 for d in range(ndim))
        self._stats_shape = tuple(input_shape[d] for d in self._keep)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(self._stats_shape, "zeros", "mean", trainable=False)
            self.adapt_variance = self.add_weight(
                self._stats_shape, "ones", "variance", trainable=False
            )
            # Keras 3 keeps an int64 count that adapt never updates; float32 here, since the
            # native format holds float arrays, and 0 as in Keras
            self.count = self.add_weight((), "zeros", "count", trainable=False)
            return
        # given statistics align with the last kept axes, as Keras broadcasts them
        mean = np.asarray(self.input_mean, dtype=np.float32)
        variance = np.asarray(self.input_variance, dtype=np.float32)
        expanded = [1] * ndim
        for i in range(1, mean.ndim + 1):
            expanded[self._keep[-i]] = mean.shape[-i]
        try:
            self._given = (
                np.broadcast_to(mean.reshape(expanded), self._broadcast),
                np.broadcast_to(variance.reshape(expanded), self._broadcast),
            )
        except ValueError:
            raise ValueError(
                f"The `mean` and `variance` of layer '{self.name}' (shape {mean.shape}) do not "
                f"broadcast to the kept axes {self.axis} of input shape {tuple(input_shape)}."
            ) from None

    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Computes the mean and variance of ``data`` over every axis not in ``axis``.

        Parameters
        ----------
        data : array_like or iterable of batches
            An array (or Tensor), or an iterable of batches such as a list of arrays, a
            generator or a ``PyDataset`` (a batch ``(x, y)`` contributes ``x``). Batches are
            merged exactly as Keras does.
        batch_size : int, optional
            tf.keras 2's argument: with ``steps``, only the first ``steps * batch_size``
            samples of an array are used (32 by default). The result does not depend on it.
        steps : int, optional
            tf.keras 2's argument: the number of batches to draw (all by default).
        """
        for name, value in (("batch_size", batch_size), ("steps", steps)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0
            ):
                raise ValueError(
                    f"Expected `{name}` to be a positive integer or None. Received: "
                    f"{name}={value!r}"
                )
        if isinstance(data, (np.ndarray, Tensor)) or (
            hasattr(data, "__array__") and not isinstance(data, (list, tuple))
        ):  # arrays, and what converts to one whole (a pandas DataFrame or Series)
            array = np.asarray(data)
            if steps is not None:
                array = array[: steps * (batch_size or 32)]
            batches, first = None, array
        elif (
            hasattr(data, "__getitem__")
            and hasattr(data, "__len__")
            and not isinstance(data, (list, tuple))
        ):  # a PyDataset or Sequence: batches by index
            count = len(data) if steps is None else min(steps, len(data))
            batches = (_first_of(data[i]) for i in range(count))
            first = None
        elif hasattr(data, "__iter__"):
            batches = (_first_of(b) for b in data)
            if steps is not None:
                batches = itertools.islice(batches, steps)
            first = None
        else:
            raise TypeError(
                f"Unsupported data type: {type(data).__name__}. `adapt` supports NumPy arrays "
                "and iterables of batches (a list of arrays, a generator, a PyDataset)."
            )
        if batches is not None:
            first = next(batches, None)
            if first is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one "
                    "batch, e.g. layer.adapt([x])."
                )
            batches = itertools.chain([first], batches)
        if first.dtype.kind not in "biuf":
            raise TypeError(
                f"Expected `data` to hold numbers. Received an array of dtype {first.dtype}."
            )
        self._build_for_adapt(first.shape)
        if batches is None:
            total_mean = np.mean(first, axis=self._reduce)
            total_var = np.var(first, axis=self._reduce)
        else:
            total_mean, total_var = self._merge(batches)
        self.adapt_mean.assign(total_mean)
        self.adapt_variance.assign(total_var)

    def _check_built_for(self, shapes) -> None:
        """Only the kept axes must have the sizes the statistics have: with ``axis=None`` a
        layer adapted on a 1-D array normalizes a model's ``(batch, 1)`` inputs, as in the
        regression tutorial (``Normalization(input_shape=[1], axis=None)``)."""
        built = self._build_input_shape
        if not self._keep or not is_shape(shapes) or len(shapes) != len(built):
            if self._keep and is_shape(shapes):
                super()._check_built_for(shapes)
            return
        for d in self._keep:
            if shapes[d] is not None and shapes[d] != built[d]:
                raise ValueError(
                    f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                    f"axis {d} of input shape to have value {built[d]}, but received input "
                    f"with shape {tuple(shapes)} (the layer was built for {built})."
                )

    def _build_for_adapt(self, shape):
        """Builds for data of ``shape``, or checks it against the shape built for."""
        if self.input_mean is not None:
            raise ValueError(
                f"Layer '{self.name}' was given `mean` and `variance`; adapt() cannot change "
                "them. Create it without them to learn the statistics from data."
            )
        if not self.built:
            self.build_for(shape)
            return
        for d in self._keep:
            if len(shape) != len(self._build_input_shape) or shape[d] != self._build_input_shape[d]:
                raise ValueError(
                    f"The layer was built with input_shape={self._build_input_shape}, but "
                    f"adapt() is being called with data with an incompatible shape, "
                    f"data.shape={tuple(shape)}"
                )

    def _merge(self, batches):
        """Mean and variance of all batches, merged one batch at a time (Keras's formula)."""
        total_mean = np.zeros(self._stats_shape, np.float32)
        total_var = np.zeros(self._stats_shape, np.float32)
        total_count = 0
        for batch in batches:
            batch = batch.astype(np.float32)
            if batch.ndim != len(self._build_input_shape) or any(
                batch.shape[d] != self._build_input_shape[d] for d in self._keep
            ):
                raise ValueError(
                    f"adapt() yielded a batch with incompatible shape. Expected "
                    f"{self._build_input_shape}, got {batch.shape}."
                )
            batch_mean = np.mean(batch, axis=self._reduce)
            batch_var = np.var(batch, axis=self._reduce)
            batch_count = math.prod(batch.shape[d] for d in self._reduce)
            total_count += batch_count
            batch_weight = batch_count / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * batch_weight
            total_mean = new_mean
        return total_mean, total_var

    @property
    def mean(self):
        """The mean subtracted, shaped to broadcast against the input (None until built).

        A Tensor, as Keras's is (``layer.mean.numpy()``)."""
        if not self.built:
            return None
        if self._given is not None:
            return Tensor(self._given[0])
        return Tensor(self.adapt_mean.data.reshape(self._broadcast))

    @property
    def variance(self):
        """The variance divided by (its square root), shaped like :attr:`mean`."""
        if not self.built:
            return None
        if self._given is not None:
            return Tensor(self._given[1])
        return Tensor(self.adapt_variance.data.reshape(self._broadcast))

    def call(self, inputs, training=False):
        mean, variance = self.mean.data, self.variance.data
        std = np.maximum(np.sqrt(variance), np.float32(_EPSILON))
        if self.invert:
            return ops.add(ops.mul(inputs, Tensor(std)), Tensor(mean))
        return ops.div(ops.sub(inputs, Tensor(mean)), Tensor(std))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``: ``x * scale + offset``.

    ``Rescaling(1 / 255)`` maps pixels to [0, 1]; ``Rescaling(1 / 127.5, offset=-1)`` to
    [-1, 1]. Either may be a per-channel sequence that broadcasts against the input.

    Input shape: any. Output shape: the same.

    Examples
    --------
    >>> Rescaling(0.5, offset=-1.0)(np.array([[0.0, 2.0, 4.0]])).numpy()
    array([[-1.,  0.,  1.]], dtype=float32)
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                raise TypeError(
                    f"Expected `{name}` of layer '{self.name}' to be a number or an array of "
                    f"numbers. Received: {name}={value!r}"
                )
        self.scale = scale.tolist() if isinstance(scale, np.ndarray) else scale
        self.offset = offset.tolist() if isinstance(offset, np.ndarray) else offset

    def call(self, inputs, training=False):
        scaled = ops.mul(inputs, Tensor(np.asarray(self.scale, dtype=np.float32)))
        return ops.add(scaled, Tensor(np.asarray(self.offset, dtype=np.float32)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
