"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from neuroflow.layers.base import Layer
from neuroflow.layers.core import Input, InputLayer
from neuroflow.layers.node import KerasTensor
from neuroflow.models.functional import _get_layer, deserialize_any, serialize_layer
from neuroflow.models.graph import Graph
from neuroflow.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Parameters
    ----------
    layers : list of Layer, optional
        The layers in order; a ``keras.Input(shape)`` may come first.
    name : str, optional

    Examples
    --------
    >>> from neuroflow import layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
    ...                     layers.Dense(1)])
    >>> model.count_params()
    49
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = None
        self._input_tensor = None  # from a keras.Input given first, kept across rebuilds
        if layers is not None and not isinstance(layers, (list, tuple)):
            layers = [layers]
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self.input_shape_hint is not None and self._sublayers:
            self.build_for(self.input_shape_hint)

    def add(self, layer, rebuild: bool = True) -> None:
        """Appends ``layer`` (or sets the input shape, for ``keras.Input``)."""
        if isinstance(layer, (KerasTensor, InputLayer)):
            if self._sublayers:
                raise ValueError(
                    "An Input can only be the first element of a Sequential model. "
                    f"Model '{self.name}' already has {len(self._sublayers)} layer(s)."
                )
            tensor = layer if isinstance(layer, KerasTensor) else layer.output
            self.input_shape_hint = (None,) + tuple(tensor.shape[1:])
            if tensor.shape[0] is not None:
                self.input_shape_hint = tuple(tensor.shape)
            self._input_tensor = tensor
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                "Only instances of `Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        if any(existing.name == layer.name for existing in self._sublayers):
            raise ValueError(
                "All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model."
            )
        if not self._sublayers and self.input_shape_hint is None:
            if layer.input_shape_hint is not None:  # with its batch size, as tf.keras 2's
                self.input_shape_hint = tuple(layer.input_shape_hint)  # (stateful RNNs)
            elif isinstance(layer, Model) and layer.input_shape is not None:
                self.input_shape_hint = layer.input_shape
        self._sublayers.append(layer)
        self.built, self._graph = False, None
        if rebuild and self.input_shape_hint is not None:
            self.build_for(self.input_shape_hint)

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the last layer."""
        if not self._sublayers:
            raise IndexError("There are no layers in the model to pop.")
        layer = self._sublayers.pop()
        self.built, self._graph = False, None
        if rebuild and self._sublayers and self.input_shape_hint is not None:
            self.build_for(self.input_shape_hint)
        return layer

    def build(self, input_shape=None) -> None:
        """Builds every layer for ``input_shape`` (batch axis first), as Keras's ``build``:
        the layers are called on a ``keras.Input`` of that shape, which records the graph
        the model then runs."""
        if input_shape is None:
            input_shape = self.input_shape_hint
        if input_shape is None:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built without an input shape: pass "
                "`input_shape` (batch axis included), or start the model with keras.Input."
            )
        shape = tuple(input_shape)
        tensor = self._input_tensor
        if tensor is None or tuple(tensor.shape[1:]) != shape[1:]:
            tensor = Input(batch_shape=shape)
            self._input_tensor = tensor
        x = tensor
        for layer in self._sublayers:
            x = layer(x)
        self._graph = Graph(tensor, x)
        self.input_shape_hint = self.input_shape_hint or (None,) + shape[1:]
        self.built, self._build_shape = True, (None,) + shape[1:]  # also when called directly

    def call(self, inputs, training=False, mask=None):
        if self._graph is None:
            self.build((None,) + tuple(inputs.shape[1:]))
        return self._graph.run([inputs], training=training)[0]

    # ----------------------------------------------------------- graph access
    def _require_graph(self, what: str) -> Graph:
        if self._graph is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no {what} yet: it is not built. Give it an "
                "input shape (keras.Input first) or call it on data."
            )
        return self._graph

    @property
    def inputs(self) -> list:
        return list(self._require_graph("inputs").input_tensors)

    @property
    def outputs(self) -> list:
        return list(self._require_graph("outputs").output_tensors)

    @property
    def input(self):
        return self._require_graph("input").inputs

    @property
    def output(self):
        return self._require_graph("output").outputs

    @property
    def output_names(self) -> list[str]:
        return [self._sublayers[-1].name] if self._sublayers else []

    def get_layer(self, name=None, index=None) -> Layer:
        return _get_layer(self, name, index)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._sublayers:
            shape = layer.compute_output_shape(shape)
        return shape

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds a Sequential model (nested ones included) from :meth:`get_config`: Keras
        3's form (an ``InputLayer`` entry first, ``build_input_shape``) or tf.keras 2's
        (``batch_input_shape``)."""
        config = dict(config)
        specs = config.pop("layers", [])
        shape = config.pop("batch_input_shape", None) or config.pop("build_input_shape", None)
        if not isinstance(specs, list):
            raise ValueError(f"Expected 'layers' to be a list. Received: {specs!r}")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        starts_with_input = bool(specs) and _class_name(specs[0]) == "InputLayer"
        if shape is not None and not starts_with_input:
            model.add(Input(batch_shape=tuple(shape)))
        for spec in specs:
            model.add(deserialize_any(spec, custom_objects))
        return model

    def get_config(self) -> dict:
        """Keras 3's config: the ``InputLayer`` first when the input is known, each layer as
        ``{module, class_name, config, registered_name}``, and ``build_input_shape``."""
        layers = [serialize_layer(layer) for layer in self._sublayers]
        tensor = self._input_tensor
        if tensor is not None and tensor._history:
            layers.insert(0, serialize_layer(tensor._history[0]))
        config = {"name": self.name, "trainable": self.trainable, "dtype": "float32"}
        config["layers"] = layers
        if self.input_shape_hint is not None:
            config["build_input_shape"] = tuple(self.input_shape_hint)
        return config


def _class_name(spec) -> str | None:
    return spec.get("class_name") if isinstance(spec, dict) else None
