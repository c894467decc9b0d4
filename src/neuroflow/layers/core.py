"""Core layers: Input, Dense, Flatten, Reshape, Dropout, Activation."""

from __future__ import annotations

import math

import numpy as np

from neuroflow import activations, backend, constraints, initializers, ops, regularizers
from neuroflow.layers.base import (
    Layer,
    check_data_format,
    check_positive_int,
    shape_tuple,
    to_channels_last,
)
from neuroflow.layers.node import KerasTensor, Node, dtype_name
from neuroflow.tensor import Tensor


class InputLayer(Layer):
    """Declares the input shape of a model; passes data through unchanged.

    Input shape: ``(batch, *shape)``. Output shape: the same.
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        name=None,
        batch_shape=None,
        input_shape=None,
        **kwargs,
    ):
        shape = shape if shape is not None else input_shape
        if batch_shape is not None:
            full = shape_tuple(batch_shape, "batch_shape")
        elif shape is not None:
            full = (batch_size,) + shape_tuple(shape, "shape")
        else:
            raise ValueError("InputLayer needs `shape` (the shape of one sample, e.g. (784,)).")
        if batch_shape is not None and not full:
            raise ValueError(
                "Expected `batch_shape` to start with the batch axis, e.g. (None, 784). "
                f"Received: batch_shape={batch_shape!r}"
            )
        super().__init__(name=name or backend.unique_name("input_layer"), **kwargs)
        self.input_shape_hint = full
        self.dtype = "float32" if dtype is None else dtype_name(dtype)
        Node(self, [], KerasTensor(full, dtype=self.dtype, name=self.name))
        self.built = True

    def get_config(self):
        return {"name": self.name, "batch_shape": self.input_shape_hint, "dtype": self.dtype}


def Input(  # noqa: N802
    shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
    tensor=None, optional=False,
):  # fmt: skip
    """A symbolic model input of one sample's ``shape`` (``keras.Input``).

    Calling layers on it records a graph; ``keras.Model(inputs, outputs)`` turns the
    graph into a model.

    Examples
    --------
    >>> x = Input(shape=(28, 28, 1), name="image")
    >>> x.shape, x.name
    ((None, 28, 28, 1), 'image')
    """
    if sparse or tensor is not None or optional:
        raise NotImplementedError("Input(sparse=, tensor=, optional=) are not supported.")
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape
    )
    return layer.output


class Dense(Layer):
    """Fully connected layer: ``activation(inputs @ kernel + bias)`` over the last axis.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.

    Parameters
    ----------
    units : int
        Output dimension.
    activation : str or callable, optional
        Applied to the output; none (linear) by default.
    use_bias : bool, default True
    kernel_initializer, bias_initializer : str or Initializer
        ``"glorot_uniform"`` and ``"zeros"`` by default, as in Keras.
    kernel_regularizer, bias_regularizer : Regularizer, optional
        Penalties added to the loss.
    kernel_constraint, bias_constraint : Constraint, optional
        Projections applied to the weights after each optimizer step
        (:mod:`neuroflow.constraints`).

    Examples
    --------
    >>> layer = Dense(3, activation="relu")
    >>> layer(np.ones((2, 4))).shape
    TensorShape([2, 3])
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(
        self,
        units,
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
        self.units = check_positive_int(self.name, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"The last dimension of the input to Dense layer '{self.name}' must be known. "
                f"Received input_shape={input_shape}"
            )
        self._add_kernel_and_bias((in_dim, self.units), self.units)

    def call(self, inputs, training=False):
        expected = self.kernel.data.shape[0]
        shape = inputs.data.shape if type(inputs) is Tensor else np.shape(inputs)
        if len(shape) < 2 or shape[-1] != expected:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                f"-1 of input shape to have value {expected}, but received input with shape "
                f"{tuple(inputs.shape)}"
            )
        if self.activation is activations.relu:  # fused: one node, ReLU in place
            return ops.dense(inputs, self.kernel, self.bias, relu=True)
        return self.activation(ops.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Flatten(Layer):
    """Flattens every axis but the batch axis.

    Input shape: ``(batch, d1, d2, ...)``. Output shape: ``(batch, d1 * d2 * ...)``.
    With ``data_format="channels_first"`` the channels (``d1``) are moved last before
    flattening, as Keras does, so the order of features is that of channels-last data.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)

    def call(self, inputs, training=False):
        if inputs.ndim > 2:
            inputs = to_channels_last(inputs, self.data_format)
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    Input shape: ``(batch, ...)``. Output shape: ``(batch, *target_shape)``.
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            self.target_shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise TypeError(
                f"Expected `target_shape` to be a tuple of integers. Received: {target_shape!r}"
            ) from None
        if sum(d == -1 for d in self.target_shape) > 1 or any(
            d == 0 or d < -1 for d in self.target_shape
        ):
            raise ValueError(
                "Expected `target_shape` of positive integers with at most one -1. "
                f"Received: target_shape={self.target_shape}"
            )

    def _resolve(self, sample_shape) -> tuple:
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise self._mismatch(sample_shape)
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise self._mismatch(sample_shape)
        return self.target_shape

    def _mismatch(self, sample_shape):
        return ValueError(
            f"Layer '{self.name}' cannot reshape input of shape {(None,) + tuple(sample_shape)} "
            f"to target_shape={self.target_shape}: the number of elements differs."
        )

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Dropout(Layer):
    """Sets a ``rate`` fraction of inputs to 0 while training, scaling the rest by 1/(1-rate).

    At inference it passes inputs through unchanged. Input and output shapes are the same.

    Parameters
    ----------
    rate : float in [0, 1)
        Fraction of the inputs to drop.
    seed : int, optional
        Seed for this layer's own generator; the global one
        (:func:`neuroflow.utils.set_random_seed`) otherwise.
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"Invalid value received for argument `rate` of layer '{self.name}'. Expected a "
                f"float value between 0 and 1 (1 excluded). Received: rate={rate!r}"
            )
        if noise_shape is not None:
            raise NotImplementedError("Dropout(noise_shape=...) is not supported yet.")
        self.rate, self.seed = float(rate), seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return ops.dropout(inputs, self.rate, self._rng or backend.rng())

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Activation(Layer):
    """Applies an activation function. Input and output shapes are the same.

    Examples
    --------
    >>> Activation("relu")(np.array([[-1.0, 1.0]])).numpy()
    array([[0., 1.]], dtype=float32)
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
