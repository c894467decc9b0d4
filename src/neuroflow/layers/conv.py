"""Convolution layers: Conv2D, and Conv1D on the same primitive (a height-1 image); their
transposed forms Conv2DTranspose and Conv1DTranspose likewise.

``tuple_arg``, ``check_padding`` and ``check_input_rank`` validate the arguments that the
pooling layers share with these.
"""

from __future__ import annotations

from neuroflow import activations, constraints, initializers, ops, regularizers
from neuroflow.layers.base import (
    Layer,
    check_data_format,
    check_positive_int,
    from_channels_last,
    to_channels_last,
)
from neuroflow.ops import conv as conv_ops
from neuroflow.ops.conv import output_size, transpose_output_size

__all__ = [
    "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "check_input_rank",
    "check_padding", "tuple_arg",
]  # fmt: skip


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
    kernel_regularizer, bias_regularizer : Regularizer, optional
    kernel_constraint, bias_constraint : Constraint, optional
        Applied after each optimizer step (:mod:`neuroflow.constraints`); the kernel has
        the shape ``kernel_size + (channels, filters)``, so ``MaxNorm(axis=[0, 1, 2])``
        bounds each filter's norm.

    Examples
    --------
    >>> import numpy as np
    >>> Conv2D(32, 3, activation="relu")(np.zeros((1, 28, 28, 1))).shape
    TensorShape([1, 26, 26, 32])
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
        kernel_constraint=None,
        bias_constraint=None,
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
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

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
        self._add_kernel_and_bias(self.kernel_size + (channels, self.filters), self.filters)

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
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
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


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution (sometimes called deconvolution): the gradient of a
    Conv2D with respect to its input, used to upsample feature maps.

    Input shape: ``(batch, height, width, channels)``, or channels first with
    ``data_format="channels_first"``.
    Output shape: ``(batch, new_height, new_width, filters)``, with Keras's sizes:
    ``height * stride`` for ``"same"``, ``height * stride + max(kernel - stride, 0)`` for
    ``"valid"``, or ``(height - 1) * stride + kernel - 2 * pad + output_padding`` when
    ``output_padding`` is given (``pad`` is ``kernel // 2`` for ``"same"``, else 0).

    The kernel has Keras's layout ``(kernel_h, kernel_w, filters, channels)``, so weights
    from a Keras Conv2DTranspose load with ``set_weights``. Other parameters as
    :class:`Conv2D`, plus:

    Parameters
    ----------
    output_padding : int or (int, int), optional
        Extra rows/columns on one side of the output; each must be smaller than its stride.

    Examples
    --------
    >>> import numpy as np
    >>> Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((1, 7, 7, 4))).shape
    TensorShape([1, 14, 14, 8])
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):  # fmt: skip
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs
        )
        self.output_padding = None
        if output_padding is not None:
            values = (
                (output_padding,) * self.rank
                if isinstance(output_padding, int) and not isinstance(output_padding, bool)
                else output_padding
            )
            try:
                values = tuple(values)
            except TypeError:
                values = ()
            if len(values) != self.rank or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values
            ):
                raise ValueError(
                    f"Invalid value for argument `output_padding` of layer '{self.name}': "
                    f"expected a non-negative integer or a tuple of {self.rank} of them. "
                    f"Received: output_padding={output_padding!r}"
                )
            if any(p >= s for p, s in zip(values, self.strides)):
                raise ValueError(
                    f"Layer '{self.name}': each `output_padding` must be smaller than its "
                    f"stride. Received: output_padding={values}, strides={self.strides}"
                )
            self.output_padding = values

    def _spatial_output(self, spatial) -> tuple:
        pads = self.output_padding or (None,) * self.rank
        return tuple(
            None
            if size is None
            else transpose_output_size(
                size,
                self.kernel_size[i],
                self.strides[i],
                self.padding,
                pads[i],
                self.dilation_rate[i],
            )  # fmt: skip
            for i, size in enumerate(spatial)
        )

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)
        channels = to_channels_last(tuple(input_shape), self.data_format)[-1]
        self._add_kernel_and_bias(self.kernel_size + (self.filters, channels), self.filters)

    def _transpose(self, x, kernel, strides, output_padding, dilation):
        return ops.conv_transpose2d(
            x, kernel, self.bias, strides, self.padding, output_padding, dilation
        )

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        x = to_channels_last(inputs, self.data_format)
        out = self._transpose(x, self.kernel, self.strides, self.output_padding, self.dilation_rate)
        return from_channels_last(self.activation(out), self.data_format)

    def get_config(self):
        config = super().get_config()
        keys = list(config)
        config["output_padding"] = self.output_padding
        # Keras's order: output_padding follows padding
        order = keys[: keys.index("padding") + 1] + ["output_padding"]
        return {k: config[k] for k in order + keys[keys.index("padding") + 1 :]}


class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution, computed as a height-1 Conv2DTranspose.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``
    (both channels first with ``data_format="channels_first"``), with the sizes of
    :class:`Conv2DTranspose`. The kernel has Keras's shape ``(kernel_size, filters,
    channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> Conv1DTranspose(4, 3, strides=2)(np.zeros((2, 10, 6))).shape
    TensorShape([2, 21, 4])
    """

    rank = 1

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, 3)
        x = to_channels_last(inputs, self.data_format)
        x = ops.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        kernel = ops.reshape(self.kernel, (1,) + self.kernel.shape)
        pads = None if self.output_padding is None else (0,) + self.output_padding
        out = self._transpose(x, kernel, (1,) + self.strides, pads, (1,) + self.dilation_rate)
        out = ops.reshape(out, (out.shape[0],) + out.shape[2:])
        return from_channels_last(self.activation(out), self.data_format)
