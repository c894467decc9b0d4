"""Recurrent layers as Keras 3 has them: the cells, the generic ``RNN(cell)`` and the
``SimpleRNN``, ``LSTM`` and ``GRU`` layers.

A cell computes one timestep: ``cell(inputs, states) -> (output, new_states)``. ``RNN``
runs any cell over the timesteps of ``(batch, timesteps, features)`` data, step by step:
that loop is the readable reference. ``SimpleRNN``, ``LSTM`` and ``GRU`` hold their
weights in a cell too (``layer.cell.kernel``), with Keras's names, shapes and gate order,
and run the whole sequence as one fused op (``ops.simple_rnn``, ``ops.lstm``,
``ops.gru``: one node on the tape, its own backward-through-time) whenever their
activations are among ``ops.recurrent.FAST_ACTIVATIONS``; with
``neuroflow.config.fusion(False)`` they run the cell loop instead, which computes the same.
"""

from __future__ import annotations

import numpy as np

from neuroflow import activations, backend, config, constraints, initializers, ops, regularizers
from neuroflow.layers.base import Layer, as_input_tensor, check_positive_int
from neuroflow.nest import flatten, map_structure, pack_like
from neuroflow.tensor import Tensor, Variable

__all__ = [
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells",
]  # fmt: skip


# ------------------------------------------------------------------------------ cells
class DropoutRNNCell:
    """The dropout masks of a cell, as Keras 3 makes them: drawn once per sequence (at the
    first timestep of a training call, scaled by ``1 / (1 - rate)``), the same at every
    timestep, and dropped when the ``RNN`` call ends."""

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _draw_mask(self, shape, rate: float) -> np.ndarray:
        rng = self._seed_rng or backend.rng()
        keep = rng.random(shape) >= rate
        return (keep / np.float32(1.0 - rate)).astype(np.float32)

    def get_dropout_mask(self, step_input):
        """The input mask ``(batch, features)``, or None without input dropout."""
        if self._dropout_mask is None and 0.0 < self.dropout < 1.0:
            self._dropout_mask = self._draw_mask(np.shape(step_input), self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, state):
        """The mask ``(batch, units)`` of the previous state where it enters the recurrent
        product, or None without recurrent dropout."""
        if self._recurrent_dropout_mask is None and 0.0 < self.recurrent_dropout < 1.0:
            self._recurrent_dropout_mask = self._draw_mask(np.shape(state), self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._recurrent_dropout_mask = None


def _rate(value) -> float:
    return min(1.0, max(0.0, float(value)))  # Keras clips the rates silently


class _Cell(DropoutRNNCell, Layer):
    """What the three built-in cells share: units, initializers, regularizers, constraints,
    dropout."""

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # tf.keras 2's choice of kernel; one here
        super().__init__(**kwargs)
        self.units = check_positive_int(self.name, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout)
        self.recurrent_dropout = _rate(recurrent_dropout)
        self.seed = seed
        self._seed_rng = None if seed is None else np.random.default_rng(seed)
        self.output_size = self.units

    def _add_weights(self, input_dim, gates: int, bias_shape, bias_initializer=None) -> None:
        self.kernel = self.add_weight(
            (input_dim, gates * self.units), self.kernel_initializer, "kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )  # fmt: skip
        self.recurrent_kernel = self.add_weight(
            (self.units, gates * self.units), self.recurrent_initializer, "recurrent_kernel",
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )  # fmt: skip
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                bias_shape, bias_initializer or self.bias_initializer, "bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )  # fmt: skip

    def _check_input_dim(self, input_shape) -> int:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension (features) of the input to {type(self).__name__} "
                f"'{self.name}' must be known. Received: input_shape={tuple(input_shape)}"
            )
        return input_dim

    def _masked(self, inputs, h_tm1, training):
        """The step input and previous state with this sequence's dropout masks applied."""
        if training:
            mask = self.get_dropout_mask(inputs)
            if mask is not None:
                inputs = inputs * mask
            mask = self.get_recurrent_dropout_mask(h_tm1)
            if mask is not None:
                h_tm1 = h_tm1 * mask
        return inputs, h_tm1

    def get_initial_state(self, batch_size=None) -> list:
        """Zeros for each state, ``(batch_size, size)``."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(np.zeros((batch_size, size), np.float32)) for size in sizes]

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
        }
        if hasattr(self, "recurrent_activation"):
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["use_bias"] = self.use_bias
        if hasattr(self, "unit_forget_bias"):
            config["unit_forget_bias"] = self.unit_forget_bias
        config.update(
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            recurrent_constraint=constraints.serialize(self.recurrent_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
        )
        if hasattr(self, "reset_after"):
            config["reset_after"] = self.reset_after
        config["seed"] = self.seed
        return config


def _first_state(states):
    return states[0] if isinstance(states, (list, tuple)) else states


class SimpleRNNCell(_Cell):
    """One step of a fully-connected RNN: ``h = activation(x @ kernel + h_prev @
    recurrent_kernel + bias)``; the output is the new state.

    Input shape: ``(batch, features)`` and one state ``(batch, units)``. Output shape:
    ``(batch, units)``. Arguments as :class:`SimpleRNN`'s that concern one step.

    Examples
    --------
    >>> cell = SimpleRNNCell(4)
    >>> out, states = cell(np.ones((2, 3), "float32"), [np.zeros((2, 4), "float32")])
    >>> out.shape, len(states)
    (TensorShape([2, 4]), 1)
    """

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._add_weights(self._check_input_dim(input_shape), 1, (self.units,))

    def call(self, inputs, states, training=False):
        h_tm1 = as_input_tensor(_first_state(states), "states")
        inputs, h_rec = self._masked(inputs, h_tm1, training)
        h = ops.dense(inputs, self.kernel, self.bias) + ops.matmul(h_rec, self.recurrent_kernel)
        output = self.activation(h)
        return output, [output] if isinstance(states, (list, tuple)) else output


class LSTMCell(_Cell):
    """One step of a Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    With ``z = x @ kernel + h_prev @ recurrent_kernel + bias`` split into the gates
    ``i, f, c, o`` (Keras's order): ``c = f * c_prev + i * activation(c~)`` and
    ``h = o * activation(c)``, the gates ``i, f, o`` through ``recurrent_activation``.
    Two states ``[h, c]``, each ``(batch, units)``; the output is ``h``.

    Parameters
    ----------
    unit_forget_bias : bool, default True
        Starts the forget gate's bias at one (Jozefowicz et al., 2015), as Keras does.

    Examples
    --------
    >>> cell = LSTMCell(4)
    >>> h, (h_again, c) = cell(np.ones((2, 3), "float32"), cell.get_initial_state(2))
    >>> cell.kernel.shape, cell.bias.shape
    (TensorShape([3, 16]), TensorShape([16]))
    """

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True,
        **kwargs,
    ):  # fmt: skip
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            base, units = self.bias_initializer, self.units

            def bias_initializer(shape, dtype="float32"):
                ones = np.ones((units,), dtype)
                return np.concatenate(
                    [base((units,), dtype), ones, base((2 * units,), dtype)]
                ).astype(dtype)

        self._add_weights(
            self._check_input_dim(input_shape), 4, (4 * self.units,), bias_initializer
        )

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = (as_input_tensor(s, "states") for s in states[:2])
        inputs, h_rec = self._masked(inputs, h_tm1, training)
        z = ops.dense(inputs, self.kernel, self.bias) + ops.matmul(h_rec, self.recurrent_kernel)
        u = self.units
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u : 2 * u])
        c = f * c_tm1 + i * self.activation(z[:, 2 * u : 3 * u])
        o = self.recurrent_activation(z[:, 3 * u :])
        h = o * self.activation(c)
        return h, [h, c]


class GRUCell(_Cell):
    """One step of a Gated Recurrent Unit (Cho et al., 2014), Keras's gate order ``z, r, h``.

    ``z`` and ``r`` are the update and reset gates (``recurrent_activation``), ``hh`` the
    candidate (``activation``); ``h = z * h_prev + (1 - z) * hh``. With ``reset_after``
    (Keras 3's default, cuDNN's form) the reset gate multiplies the recurrent product,
    which has its own bias: the bias is ``(2, 3 * units)``; without it, ``r`` multiplies
    ``h_prev`` before the product and the bias is ``(3 * units,)``.

    Examples
    --------
    >>> cell = GRUCell(4)
    >>> out, _ = cell(np.ones((2, 3), "float32"), cell.get_initial_state(2))
    >>> out.shape, cell.bias.shape
    (TensorShape([2, 4]), TensorShape([2, 12]))
    """

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True,
        **kwargs,
    ):  # fmt: skip
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.state_size = self.units

    def build(self, input_shape):
        u = self.units
        bias_shape = (2, 3 * u) if self.reset_after else (3 * u,)
        self._add_weights(self._check_input_dim(input_shape), 3, bias_shape)

    def call(self, inputs, states, training=False):
        h_tm1 = as_input_tensor(_first_state(states), "states")
        inputs, h_rec = self._masked(inputs, h_tm1, training)
        u, bias = self.units, self.bias
        input_bias = bias if not self.reset_after or bias is None else bias[0]
        x = ops.dense(inputs, self.kernel, input_bias)
        if self.reset_after:
            rec = ops.dense(h_rec, self.recurrent_kernel, None if bias is None else bias[1])
        else:
            rec = ops.matmul(h_rec, self.recurrent_kernel[:, : 2 * u])
        z = self.recurrent_activation(x[:, :u] + rec[:, :u])
        r = self.recurrent_activation(x[:, u : 2 * u] + rec[:, u : 2 * u])
        if self.reset_after:
            candidate = r * rec[:, 2 * u :]
        else:
            candidate = ops.matmul(r * h_rec, self.recurrent_kernel[:, 2 * u :])
        hh = self.activation(x[:, 2 * u :] + candidate)
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h


def _cell_output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size


def _check_cell(cell, what: str) -> None:
    if "call" not in dir(cell):
        raise ValueError(f"{what} should have a `call` method. Received: cell={cell!r}")
    if "state_size" not in dir(cell):
        raise ValueError(
            f"{what} should have a `state_size` attribute (single integer or list of integers, "
            f"one integer per RNN state). Received: cell={cell!r}"
        )


def _call_cell(cell, inputs, states, training):
    if isinstance(cell, Layer):
        return cell(inputs, states, training=training)
    return cell.call(inputs, states)


def _zeros_states(cell, batch_size) -> list:
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [Tensor(np.zeros((batch_size, size), np.float32)) for size in sizes]


class StackedRNNCells(Layer):
    """Several cells run one after the other at each timestep, as one cell: what
    ``RNN([cell1, cell2])`` makes. Its state is the list of each cell's states.

    Examples
    --------
    >>> cells = StackedRNNCells([LSTMCell(4), GRUCell(2)])
    >>> cells.state_size, cells.output_size
    ([[4, 4], 2], 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            _check_cell(cell, "Each cell of StackedRNNCells")
        self.cells = list(cells)

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None) -> list:
        out = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            states = fn(batch_size=batch_size) if fn else _zeros_states(cell, batch_size)
            out.append(states)
        return out

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build_for(tuple(input_shape))
            input_shape = (input_shape[0], _cell_output_size(cell))

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            inputs, cell_states = _call_cell(
                cell, inputs, list(cell_states) if is_list else [cell_states], training
            )
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(cell_states[0] if len(cell_states) == 1 and not is_list else
                              list(cell_states))  # fmt: skip
        return inputs, new_states

    def get_config(self):
        cells = [{"class_name": type(c).__name__, "config": c.get_config()} for c in self.cells]
        return {**super().get_config(), "cells": cells}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        cells = [_deserialize(spec) for spec in config.pop("cells")]
        return cls(cells, **config)


def _deserialize(spec):
    from neuroflow.layers import deserialize  # the registry holds this module's classes

    return spec if isinstance(spec, Layer) else deserialize(spec)


# ------------------------------------------------------------------------- the layer
def _as_bool_mask(mask, batch: int, timesteps: int, name: str):
    """``mask`` (a Tensor, array or nested list of them) as a bool array (batch, timesteps)."""
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)) and mask and not np.isscalar(mask[0]):
        if isinstance(mask[0], (Tensor, np.ndarray)) or mask[0] is None:
            mask = mask[0]
            if mask is None:
                return None
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
    if array.shape != (batch, timesteps):
        raise ValueError(
            f"The mask of layer '{name}' must have shape (batch, timesteps) = "
            f"{(batch, timesteps)}. Received: mask.shape={array.shape}"
        )
    return array


class RNN(Layer):
    """Runs a recurrent ``cell`` over the timesteps of its input (Keras's ``RNN``).

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``; with ``return_state`` a tuple
    ``(output, *final_states)`` as Keras 3 returns it.

    Parameters
    ----------
    cell : Layer or list of Layers
        A cell: anything with ``state_size`` (an int, or a list of ints, one per state)
        and ``call(inputs, states) -> (output, new_states)``, optionally ``output_size``
        and ``get_initial_state(batch_size)``. A list of cells runs as
        :class:`StackedRNNCells`.
    return_sequences : bool, default False
        Return every timestep's output rather than the last one.
    return_state : bool, default False
        Also return the final states.
    go_backwards : bool, default False
        Process the sequence last step first; the outputs come in processing order.
    stateful : bool, default False
        Carry the final states of one call over as the initial states of the next (the
        batch size must be fixed: ``keras.Input(batch_shape=...)``); ``reset_states()``
        sets them back to zeros.
    unroll : bool, default False
        Accepted for Keras compatibility; it changes nothing here.
    zero_output_for_mask : bool, default False
        At a masked timestep, output zeros rather than the previous output.

    ``call(sequences, initial_state=None, mask=None, training=False)``: ``mask`` is a bool
    ``(batch, timesteps)``; at a masked step the states carry over unchanged.

    Examples
    --------
    >>> layer = RNN(LSTMCell(4), return_sequences=True)
    >>> layer(np.ones((2, 5, 3), "float32")).shape
    TensorShape([2, 5, 4])
    """

    _input_ndim = None  # the built-in layers require 3-D input, as Keras's input spec

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        activity_regularizer=None,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell, "Argument `cell`")
        state_size = cell.state_size
        if not isinstance(state_size, (list, tuple, int, np.integer)):
            raise ValueError(
                "state_size must be an integer, or a list/tuple of integers (one for each "
                f"state tensor). Received: state_size={state_size!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = True
        self._states = None  # the stateful layer's state Variables (not weights, as in Keras)
        self._expected_batch_size = None

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    @property
    def states(self):
        """A stateful layer's current states (Variables), None before its first call."""
        return self._states

    # ---------------------------------------------------------------- shapes and build
    def _check_ndim(self, shape) -> None:
        ndim = len(shape)
        if ndim < 3 or (self._input_ndim is not None and ndim != self._input_ndim):
            expected = f"ndim={self._input_ndim}" if self._input_ndim else "min_ndim=3"
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"{expected}, found ndim={ndim}. Full shape received: {tuple(shape)} (a "
                "recurrent layer reads (batch, timesteps, features))"
            )

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            return  # call() raises, with the shape received (build sees no batch size)
        step_shape = (sequences_shape[0],) + tuple(sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build_for(step_shape)
        if self.stateful and sequences_shape[0] is not None and self._states is None:
            self._create_states(sequences_shape[0])

    def _symbolic_call(self, inputs, args, kwargs):
        shape = getattr(inputs, "shape", None)
        if shape is not None:
            self._check_ndim(shape)
        if self.stateful and shape is not None and len(shape) and shape[0] is None:
            raise ValueError(
                f"When using `stateful=True` in a RNN, the batch size must be static. Found "
                f"dynamic batch size: sequence.shape={tuple(shape)} (layer '{self.name}'). Give "
                "the batch size: keras.Input(batch_shape=(batch, timesteps, features)), "
                "`batch_size=` or `batch_input_shape=`."
            )
        return super()._symbolic_call(inputs, args, kwargs)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        units = _cell_output_size(self.cell)
        output = (batch, length, units) if self.return_sequences else (batch, units)
        if not self.return_state:
            return output
        states = [
            [(batch, s) for s in size] if isinstance(size, (list, tuple)) else (batch, size)
            for size in self.state_size
        ]
        return (output, *states)

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ------------------------------------------------------------------ states
    def get_initial_state(self, batch_size) -> list:
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            return _zeros_states(self.cell, batch_size)
        states = fn(batch_size=batch_size)
        return list(states) if isinstance(states, (list, tuple)) else [states]

    def _create_states(self, batch_size: int) -> None:
        initial = self.get_initial_state(batch_size)
        self._states = map_structure(
            lambda t: Variable(np.zeros(np.shape(t), np.float32), name="rnn_state",
                               trainable=False),
            initial,
        )  # fmt: skip
        self._expected_batch_size = batch_size

    def reset_states(self) -> None:
        """Sets a stateful layer's states back to zeros (tf.keras 2's name)."""
        self.reset_state()

    def reset_state(self) -> None:
        """Sets a stateful layer's states back to zeros."""
        for v in flatten(self._states or []):
            v.assign(np.zeros(v.shape, np.float32))

    def _initial_states(self, sequences, initial_state) -> list:
        batch = sequences.shape[0]
        if self.stateful:
            if self._states is None:
                self._create_states(batch)
            elif batch != self._expected_batch_size:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the "
                    f"same as the batch size of the initial state (layer '{self.name}').\n"
                    f"- Expected batch size: {self._expected_batch_size}\n"
                    f"- Received batch size: {batch}"
                )
        if initial_state is None:
            if self.stateful:
                return map_structure(lambda v: Tensor(v.data.copy()), self._states)
            return self.get_initial_state(batch)
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        initial_state = map_structure(lambda s: as_input_tensor(s, "initial_state"),
                                      list(initial_state))  # fmt: skip
        expected = flatten(self.state_size)
        given = flatten(initial_state)
        if len(given) != len(expected):
            raise ValueError(
                f"Layer '{self.name}' expects {len(expected)} initial state(s) of sizes "
                f"{expected}, but it received {len(given)} initial state(s) with shapes "
                f"{[tuple(s.shape) for s in given]}."
            )
        for size, state in zip(expected, given):
            if tuple(state.shape) != (batch, size):
                raise ValueError(
                    f"An initial state of layer '{self.name}' must have shape (batch, size) = "
                    f"{(batch, size)}. Received: shapes {[tuple(s.shape) for s in given]}"
                )
        if len(self.state_size) != len(initial_state):  # a flat list for a stacked cell
            initial_state = pack_like(self.get_initial_state(batch), given)
        return initial_state

    # ---------------------------------------------------------------------- call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_ndim(sequences.shape)
        built = getattr(self.cell, "kernel", None)
        if built is not None and sequences.shape[-1] != built.shape[0]:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                f"-1 of input shape to have value {built.shape[0]}, but received input with "
                f"shape {tuple(sequences.shape)}"
            )
        batch, timesteps = sequences.shape[0], sequences.shape[1]
        states = self._initial_states(sequences, initial_state)
        mask = _as_bool_mask(mask, batch, timesteps, self.name)
        cells = self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]
        try:
            if training:  # the masks of this sequence, drawn once as Keras does
                self._draw_masks(cells, sequences, states)
            last, outputs, new_states = self._run(sequences, states, mask, training)
        finally:
            for cell in cells:
                if isinstance(cell, DropoutRNNCell):
                    cell.reset_dropout_mask()
                    cell.reset_recurrent_dropout_mask()
        if self.stateful:
            for var, state in zip(flatten(self._states), flatten(new_states)):
                var.assign(state.data)
        output = outputs if self.return_sequences else last
        result = (output, *new_states) if self.return_state else output
        if self.activity_regularizer is not None:  # per sample, as Keras 3 normalizes it
            for out in flatten(result):
                self.add_loss(self.activity_regularizer(out) / float(out.shape[0]))
        return result

    def _draw_masks(self, cells, sequences, states) -> None:
        batch, width = sequences.shape[0], sequences.shape[-1]
        stacked = isinstance(self.cell, StackedRNNCells)
        for cell, cell_states in zip(cells, states if stacked else [states]):
            if isinstance(cell, DropoutRNNCell):
                cell.get_dropout_mask(np.empty((batch, width), np.float32))
                state = flatten(cell_states)[0]
                cell.get_recurrent_dropout_mask(np.empty(tuple(state.shape), np.float32))
            width = _cell_output_size(cell)

    def _run(self, sequences, states, mask, training):
        """``(last_output, outputs, final_states)``: the cell run step by step."""
        return self._cell_loop(sequences, states, mask, training)

    def _cell_loop(self, sequences, states, mask, training):
        timesteps = sequences.shape[1]
        order = range(timesteps - 1, -1, -1) if self.go_backwards else range(timesteps)
        outputs, previous = [], None
        for t in order:
            output, new_states = _call_cell(self.cell, sequences[:, t], states, training)
            if not isinstance(new_states, (list, tuple)):
                new_states = [new_states]
            if mask is not None:
                keep = mask[:, t : t + 1]
                if previous is None or self.zero_output_for_mask:
                    previous = Tensor(np.zeros(tuple(output.shape), np.float32))
                output = ops.where(keep, output, previous)
                new_states = pack_like(
                    states,
                    [ops.where(keep, new, old)
                     for new, old in zip(flatten(new_states), flatten(states))],
                )  # fmt: skip
            outputs.append(output)
            previous, states = output, list(new_states)
        return outputs[-1], ops.stack(outputs, axis=1), states

    # -------------------------------------------------------------------- config
    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": {"class_name": type(self.cell).__name__, "config": self.cell.get_config()},
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(_deserialize(config.pop("cell")), **config)


# --------------------------------------------------------------- the built-in layers
def _fast(fn) -> bool:
    """Whether activation ``fn`` is one the fused ops compute themselves."""
    name = activations.serialize(fn)
    try:
        return name in ops.recurrent.FAST_ACTIVATIONS and activations.get(name) is fn
    except (ValueError, TypeError):
        return False


_CELL_ARGUMENTS = frozenset(
    "units activation recurrent_activation use_bias unit_forget_bias reset_after "
    "kernel_initializer recurrent_initializer bias_initializer kernel_regularizer "
    "recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint "
    "bias_constraint dropout recurrent_dropout".split()
)


class _BuiltinRNN(RNN):
    """SimpleRNN, LSTM and GRU: a cell made from the layer's arguments, whose weights and
    arguments the layer shows as its own, and the fused op of the cell's kind."""

    _input_ndim = 3
    _op_name = ""

    def __init__(self, cell, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Invalid value received for argument `use_cudnn`. Expected one of "
                f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
            )
        super().__init__(cell, **kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name):
        # the cell's arguments read as the layer's (layer.units, layer.dropout...), as Keras
        cell = self.__dict__.get("cell")
        if name not in _CELL_ARGUMENTS or not hasattr(cell, name):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return getattr(cell, name)

    def _fused_op(self):
        """The fused op for this layer, or None where the cell loop must run."""
        if not config.fusion_enabled():
            return None
        cell = self.cell
        if not _fast(cell.activation):
            return None
        if hasattr(cell, "recurrent_activation") and not _fast(cell.recurrent_activation):
            return None
        return getattr(ops.recurrent, self._op_name)

    def _run(self, sequences, states, mask, training):
        op = self._fused_op()
        if op is None:
            return self._cell_loop(sequences, states, mask, training)
        cell = self.cell
        if cell._dropout_mask is not None:
            sequences = sequences * cell._dropout_mask[:, None, :]
        outputs, *final = op(
            sequences, cell.kernel, cell.recurrent_kernel, cell.bias, *states,
            mask=mask, go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
            recurrent_mask=cell._recurrent_dropout_mask, **self._op_arguments(),
        )  # fmt: skip
        last = outputs[:, -1] if self.zero_output_for_mask and mask is not None else final[0]
        return last, outputs, list(final)

    def _op_arguments(self) -> dict:
        """The fused op's keyword arguments from the cell: its activations (and GRU's
        ``reset_after``)."""
        cell = self.cell
        arguments = {"activation": activations.serialize(cell.activation)}
        if hasattr(cell, "recurrent_activation"):
            arguments["recurrent_activation"] = activations.serialize(cell.recurrent_activation)
        if hasattr(cell, "reset_after"):
            arguments["reset_after"] = cell.reset_after
        return arguments

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(key, None)
        seed = cell_config.pop("seed")
        reset_after = cell_config.pop("reset_after", None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        order = list(config)  # Keras's order: activity_regularizer after bias_regularizer
        order.remove("activity_regularizer")
        order.insert(order.index("bias_regularizer") + 1, "activity_regularizer")
        if "unit_forget_bias" in order:  # LSTM's config has it after the initializers
            order.remove("unit_forget_bias")
            order.insert(order.index("bias_initializer") + 1, "unit_forget_bias")
        config = {key: config[key] for key in order}
        if reset_after is not None:
            config["reset_after"] = reset_after
        if self._config_has_seed:
            config["seed"] = seed
        return config

    _config_has_seed = True

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_kwargs(kwargs: dict) -> dict:
    """The keyword arguments the layer hands its cell (Keras passes dtype and trainable)."""
    return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True),
            "implementation": kwargs.pop("implementation", None)}  # fmt: skip


class SimpleRNN(_BuiltinRNN):
    """Fully-connected RNN where the output is fed back as the next input (Keras's
    ``SimpleRNN``): ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``; with ``return_state`` a tuple
    ``(output, h)``. Weights (in ``layer.cell``): ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)``.

    Parameters
    ----------
    units : int
    activation : str or callable, default "tanh"
    use_bias : bool, default True
    kernel_initializer, recurrent_initializer, bias_initializer
        ``"glorot_uniform"``, ``"orthogonal"`` and ``"zeros"`` by default, as in Keras.
    kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer
    dropout, recurrent_dropout : float, default 0
        Fractions of the inputs and of the recurrent state dropped in training, with one
        mask per sequence.
    seed : int, optional
        Seed of the dropout masks.
    return_sequences, return_state, go_backwards, stateful, unroll
        As :class:`RNN`'s.

    Examples
    --------
    >>> layer = SimpleRNN(32)
    >>> layer(np.ones((4, 10, 1), "float32")).shape, layer.count_params()
    (TensorShape([4, 32]), 1088)
    """

    _op_name = "simple_rnn"
    _config_has_seed = False  # Keras 3's SimpleRNN leaves its seed out of get_config

    def __init__(
        self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
        recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
        recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
        go_backwards=False, stateful=False, unroll=False, **kwargs,
    ):  # fmt: skip
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, name="simple_rnn_cell", **_cell_kwargs(kwargs),
        )  # fmt: skip
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip


class LSTM(_BuiltinRNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997), as Keras's ``LSTM``.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``; with ``return_state`` a tuple
    ``(output, h, c)``. Weights (in ``layer.cell``), gates in Keras's order ``i, f, c, o``:
    ``kernel (features, 4 * units)``, ``recurrent_kernel (units, 4 * units)``,
    ``bias (4 * units,)``.

    Parameters
    ----------
    units : int
    activation : str or callable, default "tanh"
    recurrent_activation : str or callable, default "sigmoid"
    unit_forget_bias : bool, default True
        Adds one to the forget gate's initial bias.
    dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
    stateful, unroll, and the initializers and regularizers
        As :class:`SimpleRNN`'s; ``use_cudnn`` is accepted (no GPU here).

    Examples
    --------
    >>> layer = LSTM(32, return_state=True)
    >>> output, h, c = layer(np.ones((4, 10, 1), "float32"))
    >>> output.shape, c.shape, layer.count_params()
    (TensorShape([4, 32]), TensorShape([4, 32]), 4352)
    """

    _op_name = "lstm"

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
        kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
        bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
        recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
        kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
        recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
        go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs,
    ):  # fmt: skip
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, name="lstm_cell", **_cell_kwargs(kwargs),
        )  # fmt: skip
        super().__init__(
            cell, use_cudnn=use_cudnn, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful,
            unroll=unroll, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip


class GRU(_BuiltinRNN):
    """Gated Recurrent Unit (Cho et al., 2014), as Keras's ``GRU``.

    Input shape: ``(batch, timesteps, features)``. Output shape: ``(batch, units)``, or
    ``(batch, timesteps, units)`` with ``return_sequences``; with ``return_state`` a tuple
    ``(output, h)``. Weights (in ``layer.cell``), gates in Keras's order ``z, r, h``:
    ``kernel (features, 3 * units)``, ``recurrent_kernel (units, 3 * units)``, ``bias``
    ``(2, 3 * units)`` with ``reset_after`` (the default), else ``(3 * units,)``.

    Parameters
    ----------
    units : int
    activation : str or callable, default "tanh"
    recurrent_activation : str or callable, default "sigmoid"
    reset_after : bool, default True
        Apply the reset gate after the recurrent product (Keras 3's and cuDNN's form).
    dropout, recurrent_dropout, seed, return_sequences, return_state, go_backwards,
    stateful, unroll, and the initializers and regularizers
        As :class:`SimpleRNN`'s; ``use_cudnn`` is accepted (no GPU here).

    Examples
    --------
    >>> layer = GRU(32)
    >>> layer(np.ones((4, 10, 1), "float32")).shape, layer.count_params()
    (TensorShape([4, 32]), 3360)
    >>> layer = GRU(32, reset_after=False)
    >>> layer(np.ones((4, 10, 1), "float32")).shape, layer.count_params()
    (TensorShape([4, 32]), 3264)
    """

    _op_name = "gru"

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
        kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
        bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
        bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
        recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
        seed=None, return_sequences=False, return_state=False, go_backwards=False,
        stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs,
    ):  # fmt: skip
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, name="gru_cell", **_cell_kwargs(kwargs),
        )  # fmt: skip
        super().__init__(
            cell, use_cudnn=use_cudnn, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful,
            unroll=unroll, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
