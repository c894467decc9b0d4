"""The Layer contract: ``__init__`` (validate, store config) -> ``build`` -> ``call``.

Weights and sub-layers are found by tracking attribute assignment, never by hand-kept
lists: ``self.kernel = self.add_weight(...)`` is all a layer writes. The helpers below
validate the arguments many layers share (positive ints, ``data_format``) and move
channels-first data to the channels-last layout every op computes in.
"""

from __future__ import annotations

import numpy as np

from neuroflow import backend, initializers, ops, regularizers
from neuroflow._registry import snake_case
from neuroflow.tensor import Tensor, Variable

__all__ = [
    "Layer", "as_input_tensor", "check_data_format", "check_positive_int", "from_channels_last",
    "shape_tuple", "to_channels_last",
]  # fmt: skip


def as_input_tensor(x, name: str = "inputs") -> Tensor:
    """NumPy data (or a Tensor) as a float32 Tensor; non-numeric input is a TypeError."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected `{name}` to hold numbers. Received an array of dtype {array.dtype}."
        )
    return Tensor(array if array.dtype == np.float32 else array.astype(np.float32))


def shape_tuple(shape, argument: str) -> tuple:
    """Validates a shape argument given as an int or a sequence of positive ints/None."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"Expected `{argument}` to be a tuple of integers. Received: {argument}={shape!r}"
        ) from None
    if any(d is not None and d <= 0 for d in shape):
        raise ValueError(
            f"Expected `{argument}` to hold positive integers. Received: {argument}={shape}"
        )
    return shape


def check_positive_int(layer: str, name: str, value) -> int:
    """``value`` as an int; ValueError naming the layer and argument unless a positive int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{name}` of layer '{layer}', expected a positive "
            f"integer. Received: {name}={value!r}"
        )
    return int(value)


def check_data_format(layer: str, data_format) -> str:
    """``data_format`` as Keras reads it (None is ``"channels_last"``, case does not matter)."""
    value = "channels_last" if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Invalid value for argument `data_format` of layer '{layer}': expected "
            f"'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return value


def to_channels_last(x, data_format: str):
    """A Tensor (or a shape tuple) in ``data_format``, as channels-last: for channels-first,
    ``(batch, channels, *spatial)`` becomes ``(batch, *spatial, channels)``."""
    if data_format == "channels_last":
        return x
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, *range(2, x.ndim), 1))  # a view, and so is its backward
    return (x[0], *x[2:], x[1])


def from_channels_last(x, data_format: str):
    """The inverse of :func:`to_channels_last`: channels-last back to ``data_format``."""
    if data_format == "channels_last":
        return x
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))
    return (x[0], x[-1], *x[1:-1])


class Layer:
    """Base class of every layer (and of models).

    Parameters
    ----------
    name : str, optional
        Unique name; Keras-style ``dense``, ``dense_1``... when omitted.
    trainable : bool, default True
        Whether optimizers update this layer's weights.
    input_shape : tuple, optional
        Shape of one sample, so a Sequential model can build at once.
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    """

    def __init__(
        self,
        name=None,
        trainable=True,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}."
            )
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_sublayers", [])
        self._regularized: list = []
        self.name = name or backend.unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.built = False
        self.input_shape_hint = None  # the batch input shape given at construction, if any
        if batch_input_shape is not None:
            self.input_shape_hint = shape_tuple(batch_input_shape, "batch_input_shape")
        elif input_shape is not None:
            self.input_shape_hint = (batch_size,) + shape_tuple(input_shape, "input_shape")
        elif input_dim is not None:
            self.input_shape_hint = (batch_size,) + shape_tuple(input_dim, "input_dim")
        self._build_shape = None

    def __setattr__(self, name, value):
        if isinstance(value, Variable):
            if not any(v is value for v in self._variables):
                self._variables.append(value)
        elif isinstance(value, Layer) and name not in ("_outer",):
            if not any(layer is value for layer in self._sublayers):
                self._sublayers.append(value)
        object.__setattr__(self, name, value)

    # --------------------------------------------------------------------- weights
    def add_weight(
        self,
        shape,
        initializer="glorot_uniform",
        name=None,
        trainable=True,
        regularizer=None,
        dtype="float32",
    ) -> Variable:
        """Creates a tracked weight of ``shape`` filled by ``initializer``."""
        init = initializers.get(initializer)
        var = Variable(
            init(tuple(shape), dtype=dtype), name=name or "variable", trainable=trainable
        )
        self._variables.append(var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularized.append((var, reg))
        return var

    def _all_layers(self):
        """This layer's sub-layers, depth first, each once."""
        seen, order, stack = set(), [], list(reversed(self._sublayers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            order.append(layer)
            stack.extend(reversed(layer._sublayers))
        return order

    @property
    def weights(self) -> list[Variable]:
        out = list(self._variables)
        for layer in self._all_layers():
            out.extend(layer._variables)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        out = [v for v in self._variables if v.trainable]
        for layer in self._sublayers:
            out.extend(layer.trainable_weights)
        return out

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    trainable_variables = trainable_weights
    variables = weights

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer and its sub-layers (fresh tensors)."""
        out = [reg(var) for var, reg in self._regularized]
        for layer in self._sublayers:
            out.extend(layer.losses)
        return out

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weight values, in Keras's order (kernel, then bias)."""
        return [v.data.copy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Sets every weight from a list of arrays of matching shapes."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays, but received "
                f"{len(weights)}."
            )
        for var, value in zip(own, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{var.name}' has shape {var.shape}, but the "
                    f"value given has shape {value.shape}."
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalar weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it first by calling it on data or giving an input shape."
            )
        return int(sum(v.size for v in self.weights))

    # -------------------------------------------------------------------- calling
    def build(self, input_shape) -> None:
        """Creates the weights, once the input shape is known."""
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """The layer's math."""
        return inputs

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(input_shape)

    def build_for(self, input_shape) -> None:
        """Builds with ``input_shape`` (batch axis included) if not built yet."""
        if not self.built:
            self.build(tuple(input_shape))
            self.built = True
            self._build_shape = tuple(input_shape)

    def __call__(self, inputs, training: bool = False) -> Tensor:
        x = as_input_tensor(inputs)
        if not self.built:
            self.build_for((None,) + tuple(x.shape[1:]))
        return self.call(x, training=training)

    def fuses_after(self, previous: Layer) -> bool:
        """Whether ``self(previous(x))`` can run as one node, :meth:`call_fused`.

        Containers (``Sequential``) ask this of each pair of built neighbours; a layer
        that says yes computes exactly what the two calls would, with less work.
        """
        return False

    def call_fused(self, previous: Layer, inputs, training: bool = False) -> Tensor:
        """``self(previous(inputs))`` in one node; only where :meth:`fuses_after` holds."""
        raise NotImplementedError(f"{type(self).__name__} fuses with no layer before it.")

    # --------------------------------------------------------------------- config
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": "float32"}
        if self.input_shape_hint is not None:
            config["batch_input_shape"] = self.input_shape_hint
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
