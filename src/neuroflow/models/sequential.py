"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from neuroflow import config
from neuroflow.layers import deserialize
from neuroflow.layers.base import Layer, as_input_tensor
from neuroflow.layers.core import Input, InputLayer, KerasTensor
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
        if layers is not None and not isinstance(layers, (list, tuple)):
            layers = [layers]
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Appends ``layer`` (or sets the input shape, for ``keras.Input``)."""
        if isinstance(layer, (KerasTensor, InputLayer)):
            if self._sublayers:
                raise ValueError(
                    "An Input can only be the first element of a Sequential model. "
                    f"Model '{self.name}' already has {len(self._sublayers)} layer(s)."
                )
            shape = layer.shape if isinstance(layer, KerasTensor) else layer.input_shape_hint
            self.input_shape_hint = (None,) + tuple(shape[1:])
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
            if layer.input_shape_hint is not None:
                self.input_shape_hint = (None,) + tuple(layer.input_shape_hint[1:])
            elif isinstance(layer, Model) and layer.input_shape is not None:
                self.input_shape_hint = layer.input_shape
        self._sublayers.append(layer)
        self.built = False
        if self.input_shape_hint is not None:
            self.build_for(self.input_shape_hint)

    def pop(self) -> Layer:
        """Removes and returns the last layer."""
        if not self._sublayers:
            raise IndexError("There are no layers in the model to pop.")
        layer = self._sublayers.pop()
        return layer

    def build(self, input_shape) -> None:
        """Builds every layer for ``input_shape`` (batch axis first), as Keras's ``build``."""
        shape = tuple(input_shape)
        for layer in self._sublayers:
            layer.build_for(shape)
            shape = layer.compute_output_shape(shape)
        self.built, self._build_shape = True, tuple(input_shape)  # also when called directly

    def call(self, inputs, training=False):
        # neighbouring layers that have a fused fast path (Conv2D + MaxPooling2D) run as one
        # node, unless config.set_fusion(False) asks for the readable reference ops
        x, layers, i = inputs, self._sublayers, 0
        fuse = config.fusion_enabled()
        while i < len(layers):
            layer, following = layers[i], layers[i + 1] if i + 1 < len(layers) else None
            if fuse and following is not None and layer.built and following.built:
                if following.fuses_after(layer):  # e.g. Conv2D + MaxPooling2D
                    x = following.call_fused(layer, as_input_tensor(x), training=training)
                    i += 2
                    continue
            x = layer(x, training=training)
            i += 1
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._sublayers:
            shape = layer.compute_output_shape(shape)
        return shape

    @classmethod
    def from_config(cls, config: dict):
        """Rebuilds a Sequential model (nested ones included) from :meth:`get_config`."""
        config = dict(config)
        specs = config.pop("layers", [])
        shape = config.pop("batch_input_shape", None)
        if not isinstance(specs, list):
            raise ValueError(f"Expected 'layers' to be a list. Received: {specs!r}")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if shape is not None:
            model.add(Input(batch_shape=tuple(shape)))
        for spec in specs:
            nested = isinstance(spec, dict) and spec.get("class_name") == "Sequential"
            model.add(cls.from_config(spec.get("config", {})) if nested else deserialize(spec))
        return model

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "batch_input_shape": self.input_shape,
            "layers": [
                {"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self._sublayers
            ],
        }
