"""Layers that wrap another layer: ``Bidirectional`` (a recurrent layer run both ways)
and ``TimeDistributed`` (a layer applied to every timestep), as Keras 3 has them."""

from __future__ import annotations

import numpy as np

from neuroflow import ops
from neuroflow.layers.base import Layer
from neuroflow.layers.recurrent import RNN, StackedRNNCells, _BuiltinRNN, _deserialize
from neuroflow.tensor import Tensor, no_grad

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _spec(layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _clone_cell(cell):
    if isinstance(cell, StackedRNNCells):
        config = cell.get_config()
        config.pop("cells")
        return StackedRNNCells([_clone_cell(c) for c in cell.cells], **config)
    return type(cell).from_config(cell.get_config())


def _copy(layer: Layer, **changes) -> Layer:
    """A new, unbuilt layer with ``layer``'s config and ``changes`` (Keras rebuilds the
    wrapped layer from its config); a generic RNN's cell is copied by its own class, so a
    user-written cell copies too."""
    config = {**layer.get_config(), **changes}
    if isinstance(layer, RNN) and not isinstance(layer, _BuiltinRNN):
        config["cell"] = _clone_cell(layer.cell)
    return type(layer).from_config(config)


def _removeprefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Input shape: ``(batch, timesteps, features)``. Output shape: the wrapped layer's, with
    the last axis doubled for ``merge_mode="concat"``; a tuple ``(forward, backward)`` for
    ``merge_mode=None``; with ``return_state``, the forward layer's final states then the
    backward layer's follow the output(s). The weights are the forward layer's then the
    backward layer's (Keras's order).

    Parameters
    ----------
    layer : RNN
        The forward layer (``LSTM``, ``GRU``, ``SimpleRNN`` or ``RNN``). As in Keras, the
        wrapper builds two new layers from its config, named ``forward_<name>`` and
        ``backward_<name>`` (the latter with ``go_backwards=True``).
    merge_mode : {"concat", "sum", "mul", "ave", None}, default "concat"
        How the two outputs combine; None returns both.
    weights : list of arrays, optional
        Initial weights: the first half for the forward layer, the rest for the backward.
    backward_layer : RNN, optional
        The backward layer to use instead of a copy; it must process the sequence the
        other way and agree on ``return_sequences``, ``return_state`` and ``stateful``.

    Examples
    --------
    >>> from neuroflow.layers import LSTM
    >>> layer = Bidirectional(LSTM(8, return_sequences=True))
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    TensorShape([2, 5, 16])
    >>> [w.name for w in layer.weights][:3], layer.forward_layer.name
    (['kernel', 'recurrent_kernel', 'bias'], 'forward_lstm')
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                f"{backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: merge_mode={merge_mode!r}. Merge mode should be "
                'one of {"sum", "mul", "ave", "concat", None}'
            )
        for attribute in ("go_backwards", "return_sequences", "return_state", "stateful"):
            if not hasattr(layer, attribute):
                raise ValueError(
                    "`Bidirectional` wraps a recurrent layer (RNN, LSTM, GRU, SimpleRNN). "
                    f"Received: layer={layer!r}, which has no `{attribute}`."
                )
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, name=f"forward_{_removeprefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy(
                layer, go_backwards=True, name=f"backward_{_removeprefix(layer.name, 'backward_')}"
            )
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for rnn in (self.forward_layer, self.backward_layer):
            if isinstance(rnn, RNN):  # masked steps output zeros, as Keras forces
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def _verify_layer_config(self) -> None:
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            a, b = getattr(forward, attribute), getattr(backward, attribute)
            if a != b:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{attribute}", got "{a}" for forward layer and "{b}" for '
                    "backward layer"
                )

    # ------------------------------------------------------------------ build, shapes
    def build(self, sequences_shape, initial_state_shape=None):
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer.build_for(tuple(sequences_shape))
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None

    def _symbolic_call(self, inputs, args, kwargs):
        shape = getattr(inputs, "shape", None)
        if self.stateful and shape is not None and len(shape) and shape[0] is None:
            self.forward_layer._symbolic_call(inputs, (), {})  # raises Keras's error
        return super()._symbolic_call(inputs, args, kwargs)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        elif self.merge_mode is None:
            output_shape = (output_shape, output_shape)
        if not self.return_state:
            return output_shape
        outputs = output_shape if self.merge_mode is None else (output_shape,)
        return (*outputs, *state_shapes, *state_shapes)

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = mask if self.merge_mode else (mask, mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state and self.states is not None:
            state_mask = (None,) * len(self.states)
            if isinstance(output_mask, tuple):
                return output_mask + state_mask
            return (output_mask, *state_mask)
        return output_mask

    # ----------------------------------------------------------------------- call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                               training=training)  # fmt: skip
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                    training=training)  # fmt: skip
        states = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:  # the backward outputs back in time order
            y_rev = y_rev[:, ::-1]
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2.0
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if not self.return_state:
            return output
        return (*output, *states) if self.merge_mode is None else (output, *states)

    # --------------------------------------------------------------------- states
    @property
    def states(self):
        """The forward then the backward layer's states (stateful layers), else None."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return tuple(forward) + tuple(backward) if forward and backward else None

    def reset_states(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' must be stateful (stateful=True).")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    # --------------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": _spec(self.forward_layer),
            "backward_layer": _spec(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep of its input, with the same weights.

    Input shape: ``(batch, timesteps, *step)``. Output shape: ``(batch, timesteps,
    *layer_output)``. The steps run as one batch of ``batch * timesteps`` samples (one call
    of ``layer``), then split back. A mask passes through unchanged.

    Parameters
    ----------
    layer : Layer
        Applied to each ``(batch, *step)`` slice.

    Examples
    --------
    >>> from neuroflow.layers import Dense
    >>> TimeDistributed(Dense(8))(np.ones((2, 10, 16), "float32")).shape
    TensorShape([2, 10, 8])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_shape(self, input_shape) -> tuple:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape} (layer '{self.name}')"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build_for(self._child_shape(input_shape))

    def compute_output_shape(self, input_shape):
        child = self._child_shape(input_shape)
        if type(self.layer).compute_output_shape is not Layer.compute_output_shape:
            out = self.layer.compute_output_shape(child)
        else:  # a custom layer: its output shape is what its call computes
            zeros = Tensor(np.zeros([1 if d is None else d for d in child], np.float32))
            with no_grad():
                out = (child[0], *self.layer(zeros).shape[1:])
        return (out[0], input_shape[1], *out[1:])

    def call(self, inputs, training=False, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        flat = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        kwargs = {"training": training}
        if mask is not None:
            mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if mask.shape[:2] != (batch, steps):
                raise ValueError(
                    f"The `mask` passed to the `TimeDistributed` layer has a shape {mask.shape} "
                    f"that is incompatible with the input shape {tuple(inputs.shape)}. The first "
                    "two dimensions of the mask should match the batch size and timesteps."
                )
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        out = self.layer(flat, **kwargs)
        return ops.reshape(out, (batch, steps, *out.shape[1:]))

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": _spec(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(_deserialize(config.pop("layer")), **config)
