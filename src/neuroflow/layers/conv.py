"""Convolution layers: Conv2D, and Conv1D on the same primitive (a height-1 image).

``tuple_arg``, ``check_padding`` and ``check_input_rank`` validate the arguments that the
pooling layers share with these.
"""

from __future__ import annotations

from neuroflow import activations, initializers, ops, regularizers
from neuroflow.layers.base import (
    Layer,
    check_data_format,
    check_positive_int,
    from_channels_last,
    to_channels_last,
)
from neuroflow.ops import conv as conv_ops
from neuroflow.ops.conv import output_size

__all__ = ["Conv1D", "Conv2D", "check_input_rank", "check_padding", "tuple_arg"]


def tuple_arg(layer: str, name: str, value, rank: int) -> tuple:
    """``3`` -> ``(3, 3)``; validates positive ints, naming the layer and argument."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != rank or any(
        isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values
    ):
        raise ValueError(
            f"Invalid value for argument `{name}` of layer '{layer}': expected a positive "
            f"integer or a tuple of {rank} positive integers. Received: {name}={value!r}"
        )
    return values


def check_padding(layer: str, padding) -> str:
    """``padding`` lower-cased, as Keras reads it; ValueError naming the layer otherwise."""
    try:
        return conv_ops.check_padding(padding)
    except ValueError:
        raise ValueError(
            f"Invalid value for argument `padding` of layer '{layer}': expected 'valid' or "
            f"'same'. Received: padding={padding!r}"
        ) from None


def check_input_rank(layer: str, input_shape, rank: int) -> None:
    """ValueError naming the layer unless ``input_shape`` has ``rank`` axes (batch included)."""
    if len(input_shape) != rank:
        raise ValueError(
            f'Input 0 of layer "{layer}" is incompatible with the layer: expected ndim={rank}, '
            f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}"
        )


class Conv2D(Layer):
    """2-D convolution over images.

    Input shape: ``(batch, height, width, channels)``, or ``(batch, channels, height, width)``
    with ``data_format="channels_first"``.
    Output shape: ``(batch, new_height, new_width, filters)``, or channels first likewise.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
    padding : {"valid", "same"}
        "same" pads so that ``new_height = ceil(height / stride)``, as Keras does.
    data_format : {"channels_last", "channels_first"}, optional
        Where the channels are; None means channels-last, Keras's default. Channels-first
        data is transposed to channels-last at the layer's boundary.
    dilation_rate : int or (int, int), default 1
    activation : str or callable, optional
    use_bias : bool, default True
    kernel_initializer, bias_initializer : default "glorot_uniform" and "zeros"

    Examples
    --------
    >>> import numpy as np
    >>> Conv2D(32, 3, activation="relu")(np.zeros((1, 28, 28, 1))).shape
    (1, 26, 26, 32)
    """

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.filters = check_positive_int(self.name, "filters", filters)
        self.kernel_size = tuple_arg(self.name, "kernel_size", kernel_size, self.rank)
        self.strides = tuple_arg(self.name, "strides", strides, self.rank)
        self.dilation_rate = tuple_arg(self.name, "dilation_rate", dilation_rate, self.rank)
        self.padding = check_padding(self.name, padding)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _spatial_output(self, spatial) -> tuple:
        out = []
        for i, size in enumerate(spatial):
            n = (
                None
                if size is None
                else output_size(
                    size, self.kernel_size[i], self.strides[i], self.padding, self.dilation_rate[i]
                )
            )
            if n is not None and n <= 0:
                extent = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1
                raise ValueError(
                    f"Layer '{self.name}': the kernel (extent {extent} with "
                    f"kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}) is "
                    f"larger than the {self.padding}-padded input of spatial shape "
                    f"{tuple(spatial)}."
                )
            out.append(n)
        return tuple(out)

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        input_shape = to_channels_last(tuple(input_shape), self.data_format)
        self._spatial_output(input_shape[1:-1])  # validates sizes early
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            self.kernel_size + (channels, self.filters),
            self.kernel_initializer,
            "kernel",
            regularizer=self.kernel_regularizer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (self.filters,), self.bias_initializer, "bias", regularizer=self.bias_regularizer
            )

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, 4)
        x = to_channels_last(inputs, self.data_format)
        self._spatial_output(x.shape[1:3])
        fuse = self.activation is activations.relu  # one node, ReLU in place
        out = ops.conv2d(
            x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, fuse
        )
        return from_channels_last(out if fuse else self.activation(out), self.data_format)

    def compute_output_shape(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        shape = to_channels_last(tuple(input_shape), self.data_format)
        out = (shape[0],) + self._spatial_output(shape[1:-1]) + (self.filters,)
        return from_channels_last(out, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
        }


class Conv1D(Conv2D):
    """1-D convolution over sequences, computed as a height-1 Conv2D.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``
    (both channels first with ``data_format="channels_first"``).
    The kernel has Keras's shape ``(kernel_size, channels, filters)``.
    """

    rank = 1

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, 3)
        inputs = to_channels_last(inputs, self.data_format)
        self._spatial_output(inputs.shape[1:2])
        x = ops.reshape(inputs, (inputs.shape[0], 1) + tuple(inputs.shape[1:]))
        kernel = ops.reshape(self.kernel, (1,) + self.kernel.shape)
        out = ops.conv2d(
            x, kernel, self.bias, (1,) + self.strides, self.padding, (1,) + self.dilation_rate
        )
        out = ops.reshape(out, (out.shape[0],) + out.shape[2:])
        return from_channels_last(self.activation(out), self.data_format)
