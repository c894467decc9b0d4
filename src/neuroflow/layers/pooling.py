"""Pooling layers: max and average, 1-D and 2-D, and their global forms."""

from __future__ import annotations

from neuroflow import activations, ops
from neuroflow.layers.base import Layer
from neuroflow.layers.conv import Conv2D, check_input_rank, check_padding, tuple_arg
from neuroflow.ops.conv import output_size


class _Pooling2D(Layer):
    rank = 2
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Layer '{self.name}' supports channels_last data only.")
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
        check_input_rank(self.name, input_shape, self.rank + 2)
        self._spatial_output(input_shape[1:-1])

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        self._spatial_output(inputs.shape[1:-1])
        x = inputs
        if self.rank == 1:
            x = ops.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        pool = (1,) * (2 - self.rank) + self.pool_size
        strides = (1,) * (2 - self.rank) + self.strides
        out = type(self)._op(x, pool, strides, self.padding)
        if self.rank == 1:
            out = ops.reshape(out, (out.shape[0],) + out.shape[2:])
        return out

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        return (input_shape[0],) + self._spatial_output(input_shape[1:-1]) + (input_shape[-1],)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
        }


class MaxPooling2D(_Pooling2D):
    """Maximum over ``pool_size`` windows (strides default to the pool size).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.

    After a ``Conv2D`` with ReLU or no activation, with windows that do not overlap and
    valid padding, ``Sequential`` runs the pair as one node (``ops.conv2d_max_pool``):
    the same values and gradients, without materialising the convolution's full output.
    """

    _op = staticmethod(ops.max_pool2d)

    def fuses_after(self, previous) -> bool:
        return (
            type(previous) is Conv2D
            and previous.activation in (activations.relu, activations.linear)
            and self.padding == "valid"
            and self.strides == self.pool_size
        )

    def call_fused(self, previous, inputs, training=False):
        conv = previous
        check_input_rank(conv.name, inputs.shape, 4)
        self._spatial_output(conv._spatial_output(inputs.shape[1:3]))  # the unfused errors
        return ops.conv2d_max_pool(
            inputs,
            conv.kernel,
            conv.bias,
            conv.strides,
            conv.padding,
            conv.dilation_rate,
            relu=conv.activation is activations.relu,
            pool_size=self.pool_size,
        )


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows; with ``same`` padding only real pixels count.

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, pooled_height, pooled_width, channels)``.
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
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, 4)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, 4)
        if self.keepdims:
            return (input_shape[0], 1, 1, input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    def call(self, inputs, training=False):
        return ops.mean(inputs, axis=(1, 2), keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Maximum over height and width: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    def call(self, inputs, training=False):
        return ops.max(inputs, axis=(1, 2), keepdims=self.keepdims)


# Keras's aliases
MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
