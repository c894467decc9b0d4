"""Export of Sequential and functional models to ONNX (needs the ``onnx`` extra).

The model's graph is walked node by node (nested models inline, shared layers once per
call). The graph keeps the model's channels-last layout: convolutions and pooling, which
ONNX defines on NCHW, are wrapped in transposes, and TensorFlow's "same" padding becomes
the explicit (possibly asymmetric) pads it stands for. Layers that only act in training
(dropout, noise) are the identity, as at inference. SimpleRNN, LSTM and GRU become ONNX's
RNN, LSTM and GRU operators (gates reordered, timesteps first inside), Embedding a Gather.
Keras masks cannot travel in an ONNX graph: a layer that would use one is refused.
"""

from __future__ import annotations

import numpy as np

from neuroflow import activations, layers
from neuroflow.layers.base import _call_arguments
from neuroflow.layers.node import KerasTensor, flatten, map_structure
from neuroflow.models import Sequential
from neuroflow.models.functional import Functional
from neuroflow.ops.conv import same_padding
from neuroflow.ops.image import resize_weights
from neuroflow.utils.files import atomic_path

# model input dtypes -> ONNX's element types (integer inputs: Embedding's indices)
_INPUT_TYPES = {"float32": "FLOAT", "int32": "INT32", "int64": "INT64"}
OPSET = 17
IR_VERSION = 8  # the IR version of opset 17, so that older runtimes open the file too


class _Graph:
    """Collects nodes and initializers, handing out fresh tensor names."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}:{self.count}"  # a colon: never a Keras layer or Input name

    def const(self, hint: str, array) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs, hint: str | None = None, **attrs) -> str:
        return self.ops(op_type, inputs, 1, hint, **attrs)[0]

    def ops(self, op_type: str, inputs, count: int, hint: str | None = None, **attrs) -> list:
        """A node with ``count`` outputs (the recurrent operators' Y, Y_h, Y_c)."""
        outs = [self.name(hint or op_type.lower()) for _ in range(count)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs


def _activation(g: _Graph, fn, x: str, where: str) -> str:
    name = activations.serialize(fn)
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus"}
    if name == "linear":
        return x
    if name in simple:
        return g.op(simple[name], [x])
    if name == "softmax":
        return g.op("Softmax", [x], axis=-1)
    if name == "elu":
        return g.op("Elu", [x], alpha=1.0)
    if name == "leaky_relu":
        return g.op("LeakyRelu", [x], alpha=0.2)
    if name == "step":
        zero = g.const("zero", np.array(0, np.float32))
        return g.op("Cast", [g.op("GreaterOrEqual", [x, zero])], to=1)
    raise ValueError(f"Cannot export activation {name!r} of layer '{where}' to ONNX.")


def _channels_first(g: _Graph, x: str, rank: int, build) -> str:
    """Runs a channels-first-only ONNX op (Conv, pooling) on a channels-last tensor."""
    to_first = [0, rank - 1, *range(1, rank - 1)]
    to_last = [0, *range(2, rank), 1]
    return g.op("Transpose", [build(g.op("Transpose", [x], perm=to_first))], perm=to_last)


def _nchw(g: _Graph, x: str, build) -> str:
    return _channels_first(g, x, 4, build)


def _pads(layer, spatial, kernel, dilation=None) -> list[int]:
    """ONNX's pads (all starts, then all ends) for TensorFlow's padding of ``layer``."""
    n = len(kernel)
    if layer.padding != "same":
        return [0] * (2 * n)
    dilation = dilation or (1,) * n
    if any(size is None for size in spatial):
        raise ValueError(
            f"Cannot export layer '{layer.name}' with padding='same' on inputs of unknown "
            f"spatial size {tuple(spatial)}: give the model's Input a full shape."
        )
    pairs = [same_padding(spatial[i], kernel[i], layer.strides[i], dilation[i]) for i in range(n)]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _ints(g: _Graph, hint: str, values) -> str:
    return g.const(hint, np.array(list(values), np.int64))


# Each exporter adds the nodes of one layer class: (graph, layer, input name, input shape)
# -> output name (a multi-input layer gets lists of names and shapes). Looked up by exact
# class, so a subclass (Conv1D is a Conv2D) that is not listed is refused rather than
# exported as its parent.
def _model(g: _Graph, model, x, shape):
    """A nested model: its own graph, inlined on the names it is called on."""
    flat = model._flat_inputs(x) if isinstance(model, Functional) else [x]
    outputs = _run_graph(g, model._graph, flat)
    return outputs if len(outputs) > 1 else outputs[0]


def _dense(g: _Graph, layer, x: str, shape: tuple) -> str:
    y = g.op("MatMul", [x, g.const("kernel", layer.kernel.data)])
    if layer.bias is not None:
        y = g.op("Add", [y, g.const("bias", layer.bias.data)])
    return _activation(g, layer.activation, y, layer.name)


def _conv(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Conv1D and Conv2D: Keras's kernel (*k, c, f) is ONNX's (f, c, *k)."""
    rank = layer.rank
    kernel = np.transpose(layer.kernel.data, (rank + 1, rank, *range(rank)))
    inputs = [g.const("kernel", kernel)]
    if layer.bias is not None:
        inputs.append(g.const("bias", layer.bias.data))
    attrs = {
        "strides": list(layer.strides),
        "dilations": list(layer.dilation_rate),
        "pads": _pads(layer, shape[1:-1], layer.kernel_size, layer.dilation_rate),
        "kernel_shape": list(layer.kernel_size),
    }
    y = _channels_first(g, x, rank + 2, lambda t: g.op("Conv", [t, *inputs], **attrs))
    return _activation(g, layer.activation, y, layer.name)


def _conv_transpose(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Conv1D/2DTranspose as ONNX's ConvTranspose, cropped (pads) or extended
    (output_padding) to the size Keras computes, as TensorFlow's transposed convolution
    crops: half the excess at the start (rounded down), the rest at the end."""
    rank = layer.rank
    # Keras's kernel (*k, filters, channels) is ONNX's (channels, filters, *k)
    kernel = np.transpose(layer.kernel.data, (rank + 1, rank, *range(rank)))
    inputs = [g.const("kernel", kernel)]
    if layer.bias is not None:
        inputs.append(g.const("bias", layer.bias.data))
    spatial_in = shape[1:-1]
    spatial_out = layer.compute_output_shape(shape)[1:-1]
    if any(size is None for size in spatial_in):
        raise ValueError(
            f"Cannot export layer '{layer.name}' on inputs of unknown spatial size "
            f"{tuple(spatial_in)}: give the model's Input a full shape."
        )
    begins, ends, extra = [], [], []
    for size, out, k, s, d in zip(
        spatial_in, spatial_out, layer.kernel_size, layer.strides, layer.dilation_rate
    ):
        full = (size - 1) * s + (k - 1) * d + 1  # before any cropping
        begin = max(full - out, 0) // 2 if layer.padding == "same" else 0
        begins.append(begin)
        ends.append(max(full - out - begin, 0))
        extra.append(max(out - (full - begin), 0))
    attrs = {
        "strides": list(layer.strides),
        "dilations": list(layer.dilation_rate),
        "pads": begins + ends,
        "output_padding": extra,
        "kernel_shape": list(layer.kernel_size),
    }
    y = _channels_first(g, x, rank + 2, lambda t: g.op("ConvTranspose", [t, *inputs], **attrs))
    return _activation(g, layer.activation, y, layer.name)


def _pooling(op_type: str, **extra):
    def export(g: _Graph, layer, x: str, shape: tuple) -> str:
        attrs = {
            "kernel_shape": list(layer.pool_size),
            "strides": list(layer.strides),
            "pads": _pads(layer, shape[1:-1], layer.pool_size),
            **extra,
        }
        return _channels_first(g, x, len(shape), lambda t: g.op(op_type, [t], **attrs))

    return export


def _global_pooling(op_type: str):
    def export(g: _Graph, layer, x: str, shape: tuple) -> str:
        axes = list(range(1, len(shape) - 1))
        return g.op(op_type, [x], axes=axes, keepdims=int(layer.keepdims))

    return export


def _reshape(g: _Graph, layer, x: str, shape: tuple) -> str:
    target = g.const("shape", np.array([0, *layer.compute_output_shape(shape)[1:]], np.int64))
    return g.op("Reshape", [x, target])


def _relu(g: _Graph, layer, x: str, shape: tuple) -> str:
    if layer.negative_slope:
        return g.op("LeakyRelu", [x], alpha=layer.negative_slope)
    return g.op("Relu", [x])


def _maxout(g: _Graph, layer, x: str, shape: tuple) -> str:
    axis, k = layer._grouping(shape)  # features j, j + num_units, ... form unit j, as in call
    after = [-1 if d is None else d for d in shape[axis + 1 :]]
    target = g.const("shape", np.array([0] * axis + [k, layer.num_units, *after], np.int64))
    return g.op("ReduceMax", [g.op("Reshape", [x, target])], axes=[axis], keepdims=0)


def _broadcastable(values, rank: int, axes) -> np.ndarray:
    """Per-feature ``values`` shaped to broadcast against a rank-``rank`` input: their sizes
    on ``axes``, 1 elsewhere (the batch axis included)."""
    shape = [1] * rank
    for a, size in zip(axes, np.shape(values)):
        shape[a] = size
    return np.asarray(values, np.float32).reshape(shape)


def _batch_norm(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Inference: the moving statistics folded into one scale and one shift."""
    axis = layer.axis % len(shape)
    scale = 1.0 / np.sqrt(layer.moving_variance.data.astype(np.float64) + layer.epsilon)
    if layer.gamma is not None:
        scale = scale * layer.gamma.data
    shift = -layer.moving_mean.data * scale
    if layer.beta is not None:
        shift = shift + layer.beta.data
    y = g.op("Mul", [x, g.const("scale", _broadcastable(scale, len(shape), [axis]))])
    return g.op("Add", [y, g.const("shift", _broadcastable(shift, len(shape), [axis]))])


def _layer_norm(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Keras's LayerNormalization over any axes (rms_scaling: not centered before scaling)."""
    axes = sorted(a % len(shape) for a in layer.axis)
    mean = g.op("ReduceMean", [x], axes=axes, keepdims=1)
    centered = g.op("Sub", [x, mean])
    variance = g.op("ReduceMean", [g.op("Mul", [centered, centered])], axes=axes, keepdims=1)
    epsilon = g.const("epsilon", np.array(layer.epsilon, np.float32))
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, epsilon])])])
    y = g.op("Mul", [x if layer.rms_scaling else centered, inv])
    if layer.gamma is not None:
        y = g.op("Mul", [y, g.const("gamma", _broadcastable(layer.gamma.data, len(shape), axes))])
    if layer.beta is not None:
        y = g.op("Add", [y, g.const("beta", _broadcastable(layer.beta.data, len(shape), axes))])
    return y


def _normalization(g: _Graph, layer, x: str, shape: tuple) -> str:
    mean = layer.mean.data.astype(np.float32)
    std = np.maximum(np.sqrt(layer.variance.data), np.float32(1e-7)).astype(np.float32)
    if layer.invert:
        return g.op("Add", [g.op("Mul", [x, g.const("std", std)]), g.const("mean", mean)])
    return g.op("Div", [g.op("Sub", [x, g.const("mean", mean)]), g.const("std", std)])


def _rescaling(g: _Graph, layer, x: str, shape: tuple) -> str:
    y = g.op("Mul", [x, g.const("scale", np.asarray(layer.scale, np.float32))])
    return g.op("Add", [y, g.const("offset", np.asarray(layer.offset, np.float32))])


def _same_rank(g: _Graph, xs: list, shapes: list) -> list:
    """Merge inputs of lower rank get size-1 axes after the batch axis, as the layers do."""
    rank = max(len(s) for s in shapes)
    return [
        x
        if len(s) == rank
        else g.op("Unsqueeze", [x, _ints(g, "axes", range(1, rank - len(s) + 1))])
        for x, s in zip(xs, shapes)
    ]


def _chain(op_type: str, scale_by_count: bool = False):
    """Add, Multiply, Maximum, Minimum, Average: folded left to right, as the layers do."""

    def export(g: _Graph, layer, xs: list, shapes: list) -> str:
        xs = _same_rank(g, xs, shapes)
        y = xs[0]
        for x in xs[1:]:
            y = g.op(op_type, [y, x])
        if scale_by_count:
            y = g.op("Mul", [y, g.const("inverse_count", np.array(1.0 / len(xs), np.float32))])
        return y

    return export


def _subtract(g: _Graph, layer, xs: list, shapes: list) -> str:
    return g.op("Sub", _same_rank(g, xs, shapes))


def _concatenate(g: _Graph, layer, xs: list, shapes: list) -> str:
    rank = max(len(s) for s in shapes)
    return g.op("Concat", _same_rank(g, xs, shapes), axis=layer.axis % rank)


def _dot(g: _Graph, layer, xs: list, shapes: list) -> str:
    """Keras's batch_dot as one Einsum: the batch axis kept, the two given axes contracted."""
    (x, y), (sx, sy) = xs, shapes
    a1, a2 = layer._axes_for(len(sx), len(sy))
    if layer.normalize:  # x * min(rsqrt(sum(x^2)), 1e7), as the layer computes it
        cap = g.const("cap", np.array(1e7, np.float32))
        half = g.const("power", np.array(-0.5, np.float32))

        def l2(t, axis):
            sq = g.op("ReduceSum", [g.op("Mul", [t, t]), _ints(g, "axes", [axis])], keepdims=1)
            return g.op("Mul", [t, g.op("Min", [g.op("Pow", [sq, half]), cap])])

        x, y = l2(x, a1), l2(y, a2)
    letters = iter("bcdefghijklmnopqrstuvwxy")
    xl = ["a"] + [next(letters) for _ in sx[1:]]
    xl[a1] = "z"
    yl = ["a"] + [next(letters) for _ in sy[1:]]
    yl[a2] = "z"
    out = ["a"] + [c for c in xl[1:] if c != "z"] + [c for c in yl[1:] if c != "z"]
    z = g.op("Einsum", [x, y], equation=f"{''.join(xl)},{''.join(yl)}->{''.join(out)}")
    return z if len(out) > 1 else g.op("Unsqueeze", [z, _ints(g, "axes", [1])])


def _repeat_vector(g: _Graph, layer, x: str, shape: tuple) -> str:
    y = g.op("Unsqueeze", [x, _ints(g, "axes", [1])])
    return g.op("Tile", [y, _ints(g, "repeats", [1, layer.n, 1])])


def _cropping(g: _Graph, layer, x: str, shape: tuple) -> str:
    pairs = [layer.cropping] if np.ndim(layer.cropping) == 1 else list(layer.cropping)
    starts = [begin for begin, _ in pairs]
    ends = [-end if end else np.iinfo(np.int64).max for _, end in pairs]
    axes = list(range(1, len(pairs) + 1))
    return g.op(
        "Slice", [x, _ints(g, "starts", starts), _ints(g, "ends", ends), _ints(g, "axes", axes)]
    )


def _zero_padding(g: _Graph, layer, x: str, shape: tuple) -> str:
    pairs = [layer.padding] if np.ndim(layer.padding) == 1 else list(layer.padding)
    pads = [0, *(p[0] for p in pairs), 0, 0, *(p[1] for p in pairs), 0]
    return g.op("Pad", [x, _ints(g, "pads", pads)], mode="constant")


def _upsampling(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Nearest: each value repeated (ONNX's Resize, asymmetric and floored); bilinear:
    half-pixel centres as TensorFlow's resize (without antialiasing) samples."""
    sizes = (layer.size,) if isinstance(layer.size, int) else tuple(layer.size)
    if getattr(layer, "interpolation", "nearest") == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}  # fmt: skip
    else:
        attrs = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    scales = g.const("scales", np.array([1.0, 1.0, *sizes], np.float32))
    return _channels_first(g, x, len(shape), lambda t: g.op("Resize", [t, "", scales], **attrs))


def _identity(g: _Graph, layer, x, shape):
    return x


def _image_plan(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Resizing, CenterCrop and RandomCrop at inference: the crops, pads and resizes their
    ``inference_plan`` lists (the random augmentations are the identity there). A resize is
    the layer's own per-axis matrices (two MatMuls), exact for every interpolation, where
    ONNX Resize has no TensorFlow nearest mode and ONNX Runtime no bicubic downsampling."""

    def resize(t, height, width, interpolation):
        rows = resize_weights(shape_now[0], height, interpolation).T
        cols = resize_weights(shape_now[1], width, interpolation).T
        t = g.op("MatMul", [g.op("Transpose", [t], perm=[0, 3, 1, 2]), g.const("cols", cols)])
        t = g.op("MatMul", [g.op("Transpose", [t], perm=[0, 1, 3, 2]), g.const("rows", rows)])
        return g.op("Transpose", [t], perm=[0, 3, 2, 1])

    shape_now = (shape[1], shape[2])
    for kind, *args in layer.inference_plan(*shape_now):
        if kind == "crop":
            top, left, height, width = args
            ends = _ints(g, "ends", [top + height, left + width])
            x = g.op("Slice", [x, _ints(g, "starts", [top, left]), ends, _ints(g, "axes", [1, 2])])
        elif kind == "pad":
            top, left, fill = args
            pads, value = [0, top, left, 0, 0, top, left, 0], np.array(fill, np.float32)
            x = g.op("Pad", [x, _ints(g, "pads", pads), g.const("fill", value)], mode="constant")
        else:
            x = resize(x, *args)
        shape_now = _PLAN_SIZE[kind](shape_now, args)
    return x


_PLAN_SIZE = {  # the (height, width) after each kind of inference_plan step
    "crop": lambda hw, args: (args[2], args[3]),
    "pad": lambda hw, args: (hw[0] + 2 * args[0], hw[1] + 2 * args[1]),
    "resize": lambda hw, args: (args[0], args[1]),
}


# ------------------------------------------------------------------------- recurrent
# Keras activations as ONNX's recurrent operators name them, with their alpha and beta
# (Keras 3's hard_sigmoid is relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1))
_RNN_ACTIVATIONS = {
    "tanh": ("Tanh", (), ()),
    "sigmoid": ("Sigmoid", (), ()),
    "relu": ("Relu", (), ()),
    "linear": ("Affine", (1.0,), (0.0,)),
    "hard_sigmoid": ("HardSigmoid", (1.0 / 6.0,), (0.5,)),
    "softsign": ("Softsign", (), ()),
    "softplus": ("Softplus", (), ()),
    "elu": ("Elu", (1.0,), ()),
}


def _rnn_activations(cell, names: tuple, where: str) -> dict:
    """The ``activations``/``activation_alpha``/``activation_beta`` attributes for the
    cell's activation functions ``names`` (in ONNX's f, g, h order)."""
    kinds, alpha, beta = [], [], []
    for attribute in names:
        name = activations.serialize(getattr(cell, attribute))
        if name not in _RNN_ACTIVATIONS:
            raise ValueError(
                f"Cannot export layer '{where}' to ONNX: its {attribute}={name!r} is not one "
                f"ONNX's recurrent operators have (exportable: {sorted(_RNN_ACTIVATIONS)})."
            )
        kind, a, b = _RNN_ACTIVATIONS[name]
        kinds.append(kind)
        alpha.extend(a)
        beta.extend(b)
    attrs = {"activations": kinds}
    if alpha:
        attrs["activation_alpha"] = alpha
    if beta:
        attrs["activation_beta"] = beta
    return attrs


def _gates(matrix: np.ndarray, order) -> np.ndarray:
    """Keras's (in, gates * units) weight as ONNX's (gates * units, in), gates reordered."""
    blocks = np.split(np.asarray(matrix, np.float32).T, len(order))
    return np.concatenate([blocks[i] for i in order])


def _recurrent_cell(cell, where: str) -> tuple[str, list, dict]:
    """An RNN cell as ONNX's RNN/LSTM/GRU operator: its type, its W, R, B initializers
    (one direction) and its attributes. Keras's LSTM gates are i, f, c, o, ONNX's i, o, f,
    c; GRU's z, r, h in both, Keras's reset_after being ONNX's linear_before_reset."""
    units = cell.units
    if isinstance(cell, layers.LSTMCell):
        op_type, order, names = "LSTM", (0, 3, 1, 2), ("recurrent_activation", "activation",
                                                       "activation")  # fmt: skip
    elif isinstance(cell, layers.GRUCell):
        op_type, order, names = "GRU", (0, 1, 2), ("recurrent_activation", "activation")
    elif isinstance(cell, layers.SimpleRNNCell):
        op_type, order, names = "RNN", (0,), ("activation",)
    else:
        raise ValueError(
            f"Cannot export layer '{where}' to ONNX: its cell {type(cell).__name__} is not "
            "one of Keras's SimpleRNNCell, LSTMCell, GRUCell."
        )
    if type(cell) not in (layers.LSTMCell, layers.GRUCell, layers.SimpleRNNCell):
        raise ValueError(
            f"Cannot export layer '{where}' to ONNX: its cell is a subclass "
            f"({type(cell).__name__}) of {type(cell).__mro__[1].__name__}, whose call may differ."
        )
    size = len(order) * units
    w = _gates(cell.kernel.data, order)[None]
    r = _gates(cell.recurrent_kernel.data, order)[None]
    bias = np.zeros((2, size), np.float32)  # ONNX's Wb, Rb
    if cell.bias is not None:
        data = np.asarray(cell.bias.data, np.float32)
        if data.ndim == 2:  # GRU(reset_after=True): an input and a recurrent bias
            bias = data.copy()
        else:
            bias[0] = data
        bias = np.stack([_gates(b[None], order)[:, 0] for b in bias])
    attrs = {"hidden_size": units, **_rnn_activations(cell, names, where)}
    if op_type == "GRU":
        attrs["linear_before_reset"] = int(cell.reset_after)
    return op_type, [w, r, bias.reshape(1, -1)], attrs


def _reverse_time(g: _Graph, x: str) -> str:
    """``x`` (batch, timesteps, ...) with its timesteps in reverse order."""
    big = np.iinfo(np.int64).max
    return g.op(
        "Slice",
        [x, _ints(g, "starts", [-1]), _ints(g, "ends", [-big]), _ints(g, "axes", [1]),
         _ints(g, "steps", [-1])],
    )  # fmt: skip


def _recurrent(g: _Graph, layer, x: str, shape: tuple, initial_state=None):
    """SimpleRNN, LSTM, GRU (or RNN around one of their cells) as one ONNX operator.

    ONNX's operators take the timesteps first: the input is transposed in and the outputs
    out. ``go_backwards`` reverses the input, so that the outputs come in processing order
    as Keras returns them. Returns the output, and with ``return_state`` the final states.
    """
    _check_recurrent(layer)
    if layer.go_backwards:
        x = _reverse_time(g, x)
    x = g.op("Transpose", [x], perm=[1, 0, 2])  # (timesteps, batch, features)
    stacked = isinstance(layer.cell, layers.StackedRNNCells)
    cells = layer.cell.cells if stacked else [layer.cell]
    given = list(initial_state or [])
    states = []
    for cell in cells:  # a stack: each cell runs over the whole sequence of the one before
        op_type, (w, r, b), attrs = _recurrent_cell(cell, layer.name)
        count = 3 if op_type == "LSTM" else 2
        inputs = [x, g.const("W", w), g.const("R", r), g.const("B", b), ""]
        for state in given[: count - 1]:  # (batch, units) -> (1, batch, units)
            inputs.append(g.op("Unsqueeze", [state, _ints(g, "axes", [0])]))
        given = given[count - 1 :]
        y, *final = g.ops(op_type, inputs, count, op_type.lower(), **attrs)
        states += [g.op("Squeeze", [s, _ints(g, "axes", [0])]) for s in final]  # (batch, units)
        x = g.op("Squeeze", [y, _ints(g, "axes", [1])])  # (timesteps, batch, units)
    if layer.return_sequences:  # (batch, timesteps, units)
        output = g.op("Transpose", [x], perm=[1, 0, 2])
    else:
        output = states[-count + 1]  # the last cell's output: its h
    return [output, *states] if layer.return_state else output


def _check_recurrent(layer) -> None:
    if layer.stateful:
        raise ValueError(
            f"Cannot export layer '{layer.name}' to ONNX: it is stateful (its states carry "
            "over between calls, which an ONNX graph cannot keep)."
        )


def _one_operator(forward, backward) -> bool:
    """Whether ONNX's direction="bidirectional" computes the pair: one cell kind and size
    (and GRU variant), the backward layer the one that goes backwards."""
    f, b = forward.cell, backward.cell
    return (
        type(f) is type(b)
        and type(f) in (layers.LSTMCell, layers.GRUCell, layers.SimpleRNNCell)
        and f.units == b.units
        and getattr(f, "reset_after", None) == getattr(b, "reset_after", None)
        and not forward.go_backwards
        and backward.go_backwards
    )


def _bidirectional_operator(g: _Graph, layer, x: str, states: list):
    """Both directions as one operator (direction="bidirectional"): its backward outputs
    come in time order, as Keras's Bidirectional puts them. Returns the forward and the
    backward output and final states."""
    forward, backward = layer.forward_layer, layer.backward_layer
    for sub in (forward, backward):
        _check_recurrent(sub)
    op_type, (w_f, r_f, b_f), attrs = _recurrent_cell(forward.cell, forward.name)
    _, (w_b, r_b, b_b), back_attrs = _recurrent_cell(backward.cell, backward.name)
    for key in ("activations", "activation_alpha", "activation_beta"):  # per direction
        if key in attrs or key in back_attrs:
            attrs[key] = list(attrs.get(key, [])) + list(back_attrs.get(key, []))
    inputs = [
        g.op("Transpose", [x], perm=[1, 0, 2]),
        g.const("W", np.concatenate([w_f, w_b])),
        g.const("R", np.concatenate([r_f, r_b])),
        g.const("B", np.concatenate([b_f, b_b])),
        "",
    ]
    count = 3 if op_type == "LSTM" else 2
    half = len(states) // 2  # Keras: the forward layer's states, then the backward's
    for i in range(min(half, count - 1)):  # initial_h (and initial_c): (2, batch, units)
        pair = [
            g.op("Unsqueeze", [s, _ints(g, "axes", [0])]) for s in (states[i], states[half + i])
        ]
        inputs.append(g.op("Concat", pair, axis=0))
    y, *final = g.ops(op_type, inputs, count, op_type.lower(), direction="bidirectional", **attrs)

    def direction(t: str, i: int, axis: int) -> str:
        return g.op("Gather", [t, g.const("direction", np.array(i, np.int64))], axis=axis)

    outputs = []
    for i in (0, 1):
        if layer.return_sequences:  # Y: (timesteps, 2, batch, units)
            out = g.op("Transpose", [direction(y, i, 1)], perm=[1, 0, 2])
        else:
            out = direction(final[0], i, 0)
        outputs.append((out, [direction(s, i, 0) for s in final]))
    return outputs


def _bidirectional(g: _Graph, layer, x: str, shape: tuple, initial_state=None):
    """Bidirectional: one ONNX operator with direction="bidirectional" where it computes
    the pair, else the forward and the backward layer each as its operator (the backward
    outputs put back in time order, as Keras does); then merged."""
    forward, backward = layer.forward_layer, layer.backward_layer
    states = list(initial_state or [])
    if _one_operator(forward, backward):
        (y_f, s_f), (y_b, s_b) = _bidirectional_operator(g, layer, x, states)
    else:
        half = len(states) // 2
        y_f, *s_f = flatten(_recurrent(g, forward, x, shape, states[:half] or None))
        y_b, *s_b = flatten(_recurrent(g, backward, x, shape, states[half:] or None))
        if layer.return_sequences:
            y_b = _reverse_time(g, y_b)
    mode = layer.merge_mode
    if mode == "concat":
        out = [g.op("Concat", [y_f, y_b], axis=-1)]
    elif mode == "sum":
        out = [g.op("Add", [y_f, y_b])]
    elif mode == "mul":
        out = [g.op("Mul", [y_f, y_b])]
    elif mode == "ave":
        half_ = g.const("half", np.array(0.5, np.float32))
        out = [g.op("Mul", [g.op("Add", [y_f, y_b]), half_])]
    else:  # None: the two outputs
        out = [y_f, y_b]
    if layer.return_state:
        return [*out, *s_f, *s_b]
    return out if len(out) > 1 else out[0]


def _time_distributed(g: _Graph, layer, x: str, shape: tuple) -> str:
    """The inner layer on every timestep: a Dense acts on the last axis of the whole
    input; any other layer on the (batch * timesteps, ...) input, reshaped back."""
    inner = layer.layer
    if type(inner) is layers.Dense:
        return _dense(g, inner, x, shape)
    step_shape = (None, *shape[2:])
    if any(d is None for d in step_shape[1:]):
        raise ValueError(
            f"Cannot export layer '{layer.name}' on inputs of shape {tuple(shape)}: the "
            "dimensions after the timesteps must be known."
        )
    flat = g.op("Reshape", [x, _ints(g, "shape", [-1, *step_shape[1:]])])
    y = _layer(g, inner, flat, step_shape)
    out_shape = inner.compute_output_shape(step_shape)
    lead = g.op("Shape", [x], end=2)
    target = g.op("Concat", [lead, _ints(g, "shape", out_shape[1:])], axis=0)
    return g.op("Reshape", [y, target])


def _embedding(g: _Graph, layer, x: str, shape: tuple) -> str:
    """Gather on the table; float indices are truncated to integers first, as Keras does."""
    indices = g.op("Cast", [x], to=7)  # INT64 (a no-op for int64 inputs)
    return g.op("Gather", [g.const("embeddings", layer.embeddings.data), indices], axis=0)


def _masking(g: _Graph, layer, x: str, shape: tuple) -> str:
    """The input with the timesteps whose features all equal mask_value set to zero (the
    mask it passes on is handled where a layer uses it: see _masks)."""
    value = g.const("mask_value", np.array(layer.mask_value, np.float32))
    keep = g.op("Cast", [g.op("Not", [g.op("Equal", [x, value])])], to=1)
    return g.op("Mul", [x, g.op("ReduceMax", [keep], axes=[-1], keepdims=1)])


_EXPORTERS = {
    Sequential: _model,
    Functional: _model,
    layers.Dense: _dense,
    layers.Conv1D: _conv,
    layers.Conv2D: _conv,
    layers.Conv1DTranspose: _conv_transpose,
    layers.Conv2DTranspose: _conv_transpose,
    layers.MaxPooling1D: _pooling("MaxPool"),
    layers.MaxPooling2D: _pooling("MaxPool"),
    layers.AveragePooling1D: _pooling("AveragePool", count_include_pad=0),
    layers.AveragePooling2D: _pooling("AveragePool", count_include_pad=0),
    layers.GlobalAveragePooling1D: _global_pooling("ReduceMean"),
    layers.GlobalAveragePooling2D: _global_pooling("ReduceMean"),
    layers.GlobalMaxPooling1D: _global_pooling("ReduceMax"),
    layers.GlobalMaxPooling2D: _global_pooling("ReduceMax"),
    layers.Flatten: lambda g, layer, x, shape: g.op("Flatten", [x], axis=1),
    layers.Reshape: _reshape,
    layers.Permute: lambda g, layer, x, shape: g.op("Transpose", [x], perm=[0, *layer.dims]),
    layers.RepeatVector: _repeat_vector,
    layers.Cropping1D: _cropping,
    layers.Cropping2D: _cropping,
    layers.ZeroPadding1D: _zero_padding,
    layers.ZeroPadding2D: _zero_padding,
    layers.UpSampling1D: _upsampling,
    layers.UpSampling2D: _upsampling,
    layers.Activation: lambda g, layer, x, shape: _activation(g, layer.activation, x, layer.name),
    layers.Softmax: lambda g, layer, x, shape: g.op("Softmax", [x], axis=layer.axis),
    layers.LeakyReLU: lambda g, layer, x, shape: g.op("LeakyRelu", [x], alpha=layer.negative_slope),
    layers.ELU: lambda g, layer, x, shape: g.op("Elu", [x], alpha=layer.alpha),
    layers.ReLU: _relu,
    layers.Maxout: _maxout,
    layers.BatchNormalization: _batch_norm,
    layers.LayerNormalization: _layer_norm,
    layers.Normalization: _normalization,
    layers.Rescaling: _rescaling,
    layers.Add: _chain("Add"),
    layers.Multiply: _chain("Mul"),
    layers.Maximum: _chain("Max"),
    layers.Minimum: _chain("Min"),
    layers.Average: _chain("Add", scale_by_count=True),
    layers.Subtract: _subtract,
    layers.Concatenate: _concatenate,
    layers.Dot: _dot,
    # inference: the identity
    layers.Identity: _identity,
    layers.Dropout: _identity,
    layers.SpatialDropout1D: _identity,
    layers.SpatialDropout2D: _identity,
    layers.GaussianDropout: _identity,
    layers.GaussianNoise: _identity,
    layers.RandomFlip: _identity,
    layers.RandomRotation: _identity,
    layers.RandomZoom: _identity,
    layers.RandomTranslation: _identity,
    layers.RandomContrast: _identity,
    layers.RandomBrightness: _identity,
    layers.Resizing: _image_plan,
    layers.CenterCrop: _image_plan,
    layers.RandomCrop: _image_plan,
    layers.SimpleRNN: _recurrent,
    layers.LSTM: _recurrent,
    layers.GRU: _recurrent,
    layers.RNN: _recurrent,
    layers.Embedding: _embedding,
    layers.Masking: _masking,
    layers.Bidirectional: _bidirectional,
    layers.TimeDistributed: _time_distributed,
}
# the exporters that take a recurrent layer's initial_state= (names of its tensors)
_TAKE_STATES = {_recurrent, _bidirectional}


def exportable_layer_classes() -> set:
    """The layer (and model) classes :func:`export_onnx` has a mapping for."""
    return set(_EXPORTERS)


def _layer(g: _Graph, layer, x, shape, **kwargs):
    if getattr(layer, "data_format", "channels_last") != "channels_last":  # exporters assume NHWC
        raise ValueError(f"Cannot export layer '{layer.name}' with data_format='channels_first'.")
    export = _EXPORTERS.get(type(layer))
    if export is None:
        raise ValueError(
            f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX: it has no "
            f"ONNX mapping. Exportable classes: "
            f"{', '.join(sorted(c.__name__ for c in _EXPORTERS))}."
        )
    return export(g, layer, x, shape, **kwargs)


def _output_masks(layer, node, masked: bool) -> list:
    """Whether each output of ``node`` carries a Keras mask (static: from the layers'
    masking rules, since ONNX graphs carry no masks)."""
    count = len(node.output_tensors)
    if isinstance(layer, layers.Embedding):
        return [layer.mask_zero] * count
    if isinstance(layer, layers.Masking):
        return [True] * count
    if not masked or not layer.supports_masking:
        return [False] * count
    if getattr(layer, "return_sequences", None) is not None:  # RNN layers, Bidirectional
        # the output (two with merge_mode=None) carries the mask; the states do not
        outputs = 2 if getattr(layer, "merge_mode", "") is None else 1
        return [bool(layer.return_sequences)] * outputs + [False] * (count - outputs)
    if isinstance(layer, (layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D)):
        return [False] * count
    return [True] * count


def _check_unmasked(layer, node, masked: bool) -> None:
    """A layer whose call uses the mask on its input cannot export faithfully: ONNX's
    recurrent operators only skip steps at the end of a sequence (sequence_lens), Keras's
    masks may skip any."""
    if not masked:
        return
    inner = getattr(layer, "layer", None)  # TimeDistributed: what its inner layer does
    uses = _call_arguments(type(layer if inner is None else inner)).mask
    if uses and not isinstance(layer, (layers.Masking, layers.Embedding)):
        raise ValueError(
            f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX: its input "
            "carries a Keras mask (from Embedding(mask_zero=True) or Masking), which the layer "
            "uses and an ONNX graph cannot carry. Export a model without the mask, e.g. "
            "mask_zero=False, or without the Masking layer."
        )


def _run_graph(g: _Graph, graph, names: list) -> list:
    """Adds the nodes of a model's graph, fed the ONNX names of its flat inputs; returns
    the names of its flat outputs."""
    name_of = {id(t): n for t, n in zip(graph.input_tensors, names)}
    masked: set = set()  # ids of the tensors that carry a Keras mask
    for node in graph.nodes:
        layer = node.layer
        extra = {}
        kwargs = dict(node.kwargs)
        export = _EXPORTERS.get(type(layer))
        if export in _TAKE_STATES and kwargs.get("initial_state") is not None:
            states = flatten(kwargs.pop("initial_state"))
            extra["initial_state"] = [name_of[id(t)] for t in states]
        if node.args or any(
            isinstance(v, KerasTensor) or (k == "training" and v) for k, v in kwargs.items()
        ):
            raise ValueError(
                f"Cannot export the call of layer '{layer.name}' with extra arguments "
                f"{node.kwargs}: only inference calls on tensors export."
            )
        x = map_structure(lambda t: name_of[id(t)], node.inputs)
        shape = map_structure(lambda t: t.shape, node.inputs)
        if isinstance(x, tuple):
            x, shape = list(x), list(shape)
        has_mask = any(id(t) in masked for t in flatten(node.inputs))
        if not isinstance(layer, (Sequential, Functional)):
            _check_unmasked(layer, node, has_mask)
        outputs = flatten(_layer(g, layer, x, shape, **extra))
        for t, name in zip(node.output_tensors, outputs, strict=True):
            name_of[id(t)] = name
        if isinstance(layer, (Sequential, Functional)):
            if has_mask:  # the masks inside a nested model are its own layers' business
                raise ValueError(
                    f"Cannot export model '{layer.name}' called on a masked input to ONNX."
                )
            continue
        for t, is_masked in zip(node.output_tensors, _output_masks(layer, node, has_mask)):
            if is_masked:
                masked.add(id(t))
    return [name_of[id(t)] for t in graph.output_tensors]


def _io_names(model) -> tuple[list, list]:
    """The ONNX graph's input and output names: "input"/"output" for a Sequential model;
    the Input names and :attr:`output_names` for a functional one (numbered if repeated)."""
    graph = model._graph
    if isinstance(model, Sequential):
        return ["input"], ["output"]
    inputs = [t.name for t in graph.input_tensors]
    outputs = list(model.output_names)
    if len(set(outputs)) != len(graph.output_tensors) or set(outputs) & set(inputs):
        outputs = [f"output_{i}" for i in range(len(graph.output_tensors))]
    return inputs, outputs


def export_onnx(model, path) -> None:
    """Writes ``model`` as an ONNX graph (opset 17) with a dynamic batch axis, atomically.

    Takes Sequential and functional models (several inputs and outputs, shared layers,
    nested models). The ONNX inputs of a Sequential model are called ``"input"`` and
    ``"output"``; a functional model's are named after its ``keras.Input`` names and
    :attr:`output_names`. Every layer class of :func:`neuroflow.layers.layer_classes`
    exports (:func:`exportable_layer_classes`), channels-last; training-only layers
    (dropout, noise) are the identity. Anything else raises a ValueError naming the layer.

    Examples
    --------
    >>> import tempfile, os
    >>> from neuroflow import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="relu")])
    >>> export_onnx(model, os.path.join(tempfile.mkdtemp(), "m.onnx"))
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise ImportError("ONNX export needs onnx: pip install 'neuroflow[onnx]'.") from None
    if type(model) not in (Sequential, Functional) or not model.built:
        raise ValueError(
            "Only built Sequential and functional models can be exported to ONNX. "
            f"Received: {type(model).__name__} '{getattr(model, 'name', model)}'"
            f"{'' if getattr(model, 'built', False) else ' (not built)'}."
        )
    graph = model._graph
    for t in graph.input_tensors:
        if t.dtype not in _INPUT_TYPES:
            raise ValueError(
                f"Cannot export input '{t.name}' of dtype {t.dtype}: only "
                f"{', '.join(_INPUT_TYPES)} inputs export."
            )
    g = _Graph(helper, numpy_helper)
    input_names, output_names = _io_names(model)
    outputs = _run_graph(g, graph, input_names)
    for inner, name in zip(outputs, output_names):  # graph outputs under their own names
        g.nodes.append(helper.make_node("Identity", [inner], [name]))
    dims = lambda s: ["batch", *s[1:]]  # noqa: E731
    proto_graph = helper.make_graph(
        g.nodes,
        model.name,
        [
            helper.make_tensor_value_info(
                name, getattr(TensorProto, _INPUT_TYPES[t.dtype]), dims(t.shape)
            )
            for name, t in zip(input_names, graph.input_tensors)
        ],
        [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, dims(t.shape))
            for name, t in zip(output_names, graph.output_tensors)
        ],
        g.initializers,
    )
    proto = helper.make_model(
        proto_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="neuroflow",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(proto)
    with atomic_path(path) as tmp:
        onnx.save(proto, tmp)
