"""Reshaping layers: Permute, RepeatVector, Cropping1D/2D, ZeroPadding1D/2D and
UpSampling1D/2D, as Keras defines them (arguments, shapes, config keys).

Each is a few lines over :mod:`neuroflow.ops.shape` (``pad``, ``crop``, ``repeat``,
``resample``) and ``transpose``/``reshape``; none needs a backward of its own.
"""

from __future__ import annotations

import numpy as np

from neuroflow import ops
from neuroflow.layers.base import Layer, check_data_format, from_channels_last, to_channels_last
from neuroflow.layers.conv import check_input_rank
from neuroflow.ops.shape import bilinear_weights

__all__ = [
    "Cropping1D", "Cropping2D", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D",
    "ZeroPadding1D", "ZeroPadding2D",
]  # fmt: skip


def _int_pair(value, name: str, allow_zero: bool = True) -> tuple[int, int]:
    """An int or a pair of ints (non-negative, or positive unless ``allow_zero``) as a pair."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    low = 0 if allow_zero else 1
    if len(pair) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low for v in pair
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"The `{name}` argument must be a {kind} int or a tuple of 2 {kind} ints. "
            f"Received: {name}={value!r}"
        )
    return int(pair[0]), int(pair[1])


def _pairs_2d(value, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's 2-D padding/cropping argument: an int, (sym_h, sym_w) or ((t, b), (l, r))."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return _int_pair(value, name), _int_pair(value, name)
    if not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(
            f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height, "
            f"symmetric_width), or a tuple of 2 tuples of 2 ints ((top, bottom), (left, "
            f"right)). Received: {name}={value!r}"
        )
    return _int_pair(value[0], f"1st entry of {name}"), _int_pair(value[1], f"2nd entry of {name}")


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` lists them 1-based in their new order.

    Input shape: ``(batch, d1, ..., dn)``. Output shape: ``(batch, d_dims[0], ...)``.

    Examples
    --------
    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 10, 64))).shape
    TensorShape([4, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            self.dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise TypeError(
                f"Expected `dims` to be a tuple of integers. Received: dims={dims!r}"
            ) from None
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims!r}"
            )

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, len(self.dims) + 1)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, len(self.dims) + 1)
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, len(self.dims) + 1)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each input vector ``n`` times.

    Input shape: ``(batch, features)``. Output shape: ``(batch, n, features)``.

    Examples
    --------
    >>> import numpy as np
    >>> RepeatVector(3)(np.zeros((2, 32))).shape
    TensorShape([2, 3, 32])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `n`. Received: n={n!r}")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = int(n)

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, 2)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, 2)
        column = ops.reshape(inputs, (inputs.shape[0], 1, inputs.shape[1]))
        return ops.repeat(column, self.n, axis=1)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, 2)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class _Spatial(Layer):
    """A layer acting on the spatial axes of channels-last (or channels-first) data."""

    rank = 2
    _has_data_format = True  # in the config, as Keras's (Cropping1D has none)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        self.compute_output_shape(inputs.shape)  # the layer's own errors, not the op's
        x = to_channels_last(inputs, self.data_format)
        return from_channels_last(self._compute(x), self.data_format)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        shape = to_channels_last(tuple(input_shape), self.data_format)
        spatial = tuple(
            None if size is None else self._spatial_size(i, size)
            for i, size in enumerate(shape[1:-1])
        )
        return from_channels_last((shape[0],) + spatial + (shape[-1],), self.data_format)

    def get_config(self):
        config = super().get_config()
        if self._has_data_format:
            config["data_format"] = self.data_format
        return config


class ZeroPadding2D(_Spatial):
    """Adds rows and columns of zeros around images.

    Input shape: ``(batch, height, width, channels)`` (channels first with
    ``data_format="channels_first"``). Output shape: ``(batch, padded_height, padded_width,
    channels)``.

    Parameters
    ----------
    padding : int, (int, int) or ((int, int), (int, int)), default (1, 1)
        The same on all sides; symmetric per axis; or ``((top, bottom), (left, right))``.

    Examples
    --------
    >>> import numpy as np
    >>> ZeroPadding2D(((1, 0), (2, 3)))(np.zeros((1, 4, 4, 3))).shape
    TensorShape([1, 5, 9, 3])
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.padding = _pairs_2d(padding, "padding")

    def _spatial_size(self, i, size):
        return size + sum(self.padding[i])

    def _compute(self, x):
        return ops.pad(x, ((0, 0), *self.padding, (0, 0)))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(ZeroPadding2D):
    """Adds zeros at the start and end of sequences.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, padded_steps,
    features)`` (channels first with ``data_format="channels_first"``).

    Parameters
    ----------
    padding : int or (int, int), default 1
        Zeros added at the start and at the end.

    Examples
    --------
    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.zeros((2, 5, 3))).shape
    TensorShape([2, 8, 3])
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        _Spatial.__init__(self, **kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.padding = _int_pair(padding, "padding")

    def _spatial_size(self, i, size):
        return size + sum(self.padding)

    def _compute(self, x):
        return ops.pad(x, ((0, 0), self.padding, (0, 0)))


class Cropping2D(_Spatial):
    """Removes rows and columns at the edges of images.

    Input shape: ``(batch, height, width, channels)`` (channels first with
    ``data_format="channels_first"``). Output shape: ``(batch, cropped_height,
    cropped_width, channels)``.

    Parameters
    ----------
    cropping : int, (int, int) or ((int, int), (int, int)), default ((0, 0), (0, 0))
        The same on all sides; symmetric per axis; or ``((top, bottom), (left, right))``.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping2D(((2, 2), (4, 4)))(np.zeros((2, 28, 28, 3))).shape
    TensorShape([2, 24, 20, 3])
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.cropping = _pairs_2d(cropping, "cropping")

    def _crops(self) -> tuple:
        return self.cropping

    def _spatial_size(self, i, size):
        crop = self._crops()[i]
        if sum(crop) >= size:
            raise ValueError(
                f"Values in `cropping` argument of layer '{self.name}' should be smaller than "
                f"the corresponding spatial dimension of the input. Received: spatial size "
                f"{size} on axis {i + 1} (channels last), cropping={self.cropping}"
            )
        return size - sum(crop)

    def _compute(self, x):
        return ops.crop(x, ((0, 0), *self._crops(), (0, 0)))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping1D(Cropping2D):
    """Removes steps at the start and end of sequences.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, cropped_steps,
    features)``.

    Parameters
    ----------
    cropping : int or (int, int), default (1, 1)
        Steps removed at the start and at the end.

    Examples
    --------
    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.zeros((2, 6, 3))).shape
    TensorShape([2, 3, 3])
    """

    rank = 1
    _has_data_format = False

    def __init__(self, cropping=(1, 1), **kwargs):
        _Spatial.__init__(self, **kwargs)
        self.data_format = "channels_last"  # Keras's Cropping1D has no data_format
        self.cropping = _int_pair(cropping, "cropping")

    def _crops(self) -> tuple:
        return (self.cropping,)


_INTERPOLATIONS = ("nearest", "bilinear")
_UNSUPPORTED = ("bicubic", "lanczos3", "lanczos5", "area")


class UpSampling2D(_Spatial):
    """Repeats rows and columns ``size`` times (``"nearest"``), or interpolates them
    (``"bilinear"``, with half-pixel centres as Keras/TensorFlow's resize).

    Input shape: ``(batch, height, width, channels)`` (channels first with
    ``data_format="channels_first"``). Output shape: ``(batch, height * size[0],
    width * size[1], channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> UpSampling2D()(np.arange(4.0).reshape(1, 2, 2, 1))[0, :, :, 0].numpy()
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.size = _int_pair(size, "size", allow_zero=False)
        value = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if value in _UNSUPPORTED:
            raise NotImplementedError(
                f"UpSampling2D(interpolation={interpolation!r}) is not supported; "
                f"supported: {_INTERPOLATIONS}."
            )
        if value not in _INTERPOLATIONS:
            raise ValueError(
                f"Invalid value for argument `interpolation` of layer '{self.name}': expected "
                f"one of {_INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        self.interpolation = value

    def _spatial_size(self, i, size):
        return size * self.size[i]

    def _compute(self, x):
        for axis, factor in zip((1, 2), self.size):
            if factor == 1:
                continue
            if self.interpolation == "nearest":
                x = ops.repeat(x, factor, axis=axis)
            else:
                weights = bilinear_weights(x.shape[axis], factor, x.dtype)
                x = ops.resample(x, weights, axis=axis)
        return x

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class UpSampling1D(Layer):
    """Repeats each step ``size`` times.

    Input shape: ``(batch, steps, features)``. Output shape: ``(batch, steps * size,
    features)``.

    Examples
    --------
    >>> import numpy as np
    >>> UpSampling1D(3)(np.zeros((2, 4, 5))).shape
    TensorShape([2, 12, 5])
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `size`. Received: size={size!r}")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = int(size)

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, 3)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, 3)
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, 3)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
