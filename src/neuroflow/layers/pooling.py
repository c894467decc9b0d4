"""Pooling layers: max and average, 1-D and 2-D, and their global forms.

Channels-first data (``data_format="channels_first"``) is transposed to channels-last at
the layer's boundary; the ops in :mod:`neuroflow.ops.pool` compute channels-last.
"""

from __future__ import annotations

import numpy as np

from neuroflow import activations, ops
from neuroflow.layers.base import Layer, check_data_format, from_channels_last, to_channels_last
from neuroflow.layers.conv import Conv2D, check_input_rank, check_padding, tuple_arg
from neuroflow.ops.conv import output_size
from neuroflow.tensor import Tensor


class _Pooling2D(Layer):
    rank = 2
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.pool_size = tuple_arg(self.name, "pool_size", pool_size, self.rank)
        self.strides = (
            self.pool_size
            if strides is None
            else tuple_arg(self.name, "strides", strides, self.rank)
        )
        self.padding = check_padding(self.name, padding)

    def _spatial_output(self, spatial) -> tuple:
        out = tuple(
            None if s is None else output_size(s, p, st, self.padding)
            for s, p, st in zip(spatial, self.pool_size, self.strides)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"Layer '{self.name}': pool_size={self.pool_size} is larger than the input of "
                f"spatial shape {tuple(spatial)} with padding='{self.padding}'."
            )
        return out

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # validates the rank and sizes early

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        x = to_channels_last(inputs, self.data_format)
        self._spatial_output(x.shape[1:-1])
        if self.rank == 1:
            x = ops.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        pool = (1,) * (2 - self.rank) + self.pool_size
        strides = (1,) * (2 - self.rank) + self.strides
        out = type(self)._op(x, pool, strides, self.padding)
        if self.rank == 1:
            out = ops.reshape(out, (out.shape[0],) + out.shape[2:])
        return from_channels_last(out, self.data_format)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        shape = to_channels_last(tuple(input_shape), self.data_format)
        out = (shape[0],) + self._spatial_output(shape[1:-1]) + (shape[-1],)
        return from_channels_last(out, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling2D(_Pooling2D):
    """Maximum over ``pool_size`` windows (strides default to the pool size).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.

    Channels first with ``data_format="channels_first"``.

    After a ``Conv2D`` with ReLU or no activation, with windows that do not overlap and
    valid padding, ``Sequential`` runs the pair as one node (``ops.conv2d_max_pool``):
    the same values and gradients, without materialising the convolution's full output.
    ``neuroflow.config.set_fusion(False)`` (or ``NEUROFLOW_FUSION=0``) turns that off.
    """

    _op = staticmethod(ops.max_pool2d)

    def fuses_after(self, previous) -> bool:
        """Whether ``previous`` followed by this layer can run as one ``conv2d_max_pool``."""
        return (
            type(previous) is Conv2D
            and previous.activation in (activations.relu, activations.linear)
            and previous.data_format == self.data_format
            and self.padding == "valid"
            and self.strides == self.pool_size
        )

    def call_fused(self, previous, inputs, training=False):
        """``self(previous(inputs))`` as one node: the same values and gradients."""
        conv = previous
        check_input_rank(conv.name, inputs.shape, 4)
        x = to_channels_last(inputs, self.data_format)
        self._spatial_output(conv._spatial_output(x.shape[1:3]))  # the unfused errors
        out = ops.conv2d_max_pool(
            x,
            conv.kernel,
            conv.bias,
            conv.strides,
            conv.padding,
            conv.dilation_rate,
            relu=conv.activation is activations.relu,
            pool_size=self.pool_size,
        )
        return from_channels_last(out, self.data_format)


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows; with ``same`` padding only real pixels count.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.
    Channels first with ``data_format="channels_first"``.
    """

    _op = staticmethod(ops.avg_pool2d)


class MaxPooling1D(_Pooling2D):
    """Maximum over windows of ``pool_size`` steps. ``(batch, steps, channels)`` in and out."""

    rank = 1
    _op = staticmethod(ops.max_pool2d)


class AveragePooling1D(_Pooling2D):
    """Mean over windows of ``pool_size`` steps. ``(batch, steps, channels)`` in and out."""

    rank = 1
    _op = staticmethod(ops.avg_pool2d)


class _GlobalPooling2D(Layer):
    _op = None
    rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        out = type(self)._op(to_channels_last(inputs, self.data_format), self.keepdims)
        return from_channels_last(out, self.data_format) if self.keepdims else out

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        batch, *_, channels = to_channels_last(tuple(input_shape), self.data_format)
        if self.keepdims:
            return from_channels_last((batch,) + (1,) * self.rank + (channels,), self.data_format)
        return (batch, channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``.

    With ``keepdims=True`` the output is ``(batch, 1, 1, c)``; with
    ``data_format="channels_first"`` the input is ``(batch, c, h, w)`` (and the kept output
    ``(batch, c, 1, 1)``).
    """

    _op = staticmethod(ops.global_avg_pool2d)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Maximum over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``.

    ``keepdims`` and ``data_format`` as in :class:`GlobalAveragePooling2D`.
    """

    _op = staticmethod(ops.global_max_pool2d)


class GlobalAveragePooling1D(_GlobalPooling2D):
    """Mean over the steps: ``(batch, steps, features)`` -> ``(batch, features)``.

    With ``keepdims=True`` the output is ``(batch, 1, features)``; with
    ``data_format="channels_first"`` the input is ``(batch, features, steps)``.

    Examples
    --------
    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.arange(6.0).reshape(1, 3, 2)).numpy()
    array([[2., 3.]], dtype=float32)
    """

    rank = 1

    @staticmethod
    def _op(x, keepdims):
        return ops.mean(x, axis=1, keepdims=keepdims)

    def call(self, inputs, training=False, mask=None):
        """With a ``(batch, steps)`` mask, the mean over the unmasked steps only (Keras's
        ``sum(where(mask, x, 0)) / sum(mask)``; NaN for a sample with every step masked)."""
        if mask is None:
            return super().call(inputs, training)
        check_input_rank(self.name, inputs.shape, 3)
        x = to_channels_last(inputs, self.data_format)
        weights = np.asarray(mask, dtype=x.data.dtype)[:, :, None]
        count = weights.sum(axis=1, keepdims=self.keepdims)
        inverse = np.divide(1.0, count, out=np.full_like(count, np.nan), where=count > 0)
        out = ops.sum(x * Tensor(weights), axis=1, keepdims=self.keepdims) * Tensor(inverse)
        return from_channels_last(out, self.data_format) if self.keepdims else out

    def compute_mask(self, inputs, previous_mask=None):
        return None  # the steps are pooled away, and their mask with them


class GlobalMaxPooling1D(_GlobalPooling2D):
    """Maximum over the steps: ``(batch, steps, features)`` -> ``(batch, features)``.

    ``keepdims`` and ``data_format`` as in :class:`GlobalAveragePooling1D`.
    """

    rank = 1

    @staticmethod
    def _op(x, keepdims):
        return ops.max(x, axis=1, keepdims=keepdims)


# Keras's aliases
MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
