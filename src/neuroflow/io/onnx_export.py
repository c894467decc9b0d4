"""Export of Sequential models to ONNX (needs the ``onnx`` extra).

The graph keeps the model's channels-last layout: convolutions and pooling, which ONNX
defines on NCHW, are wrapped in transposes, and TensorFlow's "same" padding becomes the
explicit (possibly asymmetric) pads it stands for.
"""

from __future__ import annotations

import numpy as np

from neuroflow import activations, layers
from neuroflow.models import Sequential
from neuroflow.ops.conv import same_padding
from neuroflow.utils.files import atomic_path

OPSET = 17
IR_VERSION = 8  # the IR version of opset 17, so that older runtimes open the file too


class _Graph:
    """Collects nodes and initializers, handing out fresh tensor names."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers, self.count = [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint: str, array) -> str:
        name = self.name(hint)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs, hint: str | None = None, **attrs) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out


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


def _nchw(g: _Graph, x: str, build) -> str:
    """Runs an NCHW-only ONNX op on a channels-last tensor."""
    return g.op("Transpose", [build(g.op("Transpose", [x], perm=[0, 3, 1, 2]))], perm=[0, 2, 3, 1])


def _pads(layer, spatial, kernel, dilation=(1, 1)) -> list[int]:
    if layer.padding != "same":
        return [0, 0, 0, 0]
    (top, bottom), (left, right) = (
        same_padding(spatial[i], kernel[i], layer.strides[i], dilation[i]) for i in range(2)
    )
    return [top, left, bottom, right]


# Each exporter adds the nodes of one layer class: (graph, layer, input name, input shape)
# -> output name. Looked up by exact class, so a subclass (Conv1D is a Conv2D) that is not
# listed is refused rather than exported as its parent.
def _sequential(g: _Graph, model, x: str, shape: tuple) -> str:
    for sub in model.layers:
        x, shape = _layer(g, sub, x, shape), sub.compute_output_shape(shape)
    return x


def _dense(g: _Graph, layer, x: str, shape: tuple) -> str:
    y = g.op("MatMul", [x, g.const("kernel", layer.kernel.data)])
    if layer.bias is not None:
        y = g.op("Add", [y, g.const("bias", layer.bias.data)])
    return _activation(g, layer.activation, y, layer.name)


def _conv2d(g: _Graph, layer, x: str, shape: tuple) -> str:
    kernel = np.transpose(layer.kernel.data, (3, 2, 0, 1))  # (kh, kw, c, f) -> (f, c, kh, kw)
    inputs = [g.const("kernel", kernel)]
    if layer.bias is not None:
        inputs.append(g.const("bias", layer.bias.data))
    attrs = {
        "strides": list(layer.strides),
        "dilations": list(layer.dilation_rate),
        "pads": _pads(layer, shape[1:3], layer.kernel_size, layer.dilation_rate),
        "kernel_shape": list(layer.kernel_size),
    }
    y = _nchw(g, x, lambda t: g.op("Conv", [t, *inputs], **attrs))
    return _activation(g, layer.activation, y, layer.name)


def _pooling2d(op_type: str, **extra):
    def export(g: _Graph, layer, x: str, shape: tuple) -> str:
        attrs = {
            "kernel_shape": list(layer.pool_size),
            "strides": list(layer.strides),
            "pads": _pads(layer, shape[1:3], layer.pool_size),
            **extra,
        }
        return _nchw(g, x, lambda t: g.op(op_type, [t], **attrs))

    return export


def _global_pooling2d(op_type: str):
    def export(g: _Graph, layer, x: str, shape: tuple) -> str:
        return g.op(op_type, [x], axes=[1, 2], keepdims=int(layer.keepdims))

    return export


def _reshape(g: _Graph, layer, x: str, shape: tuple) -> str:
    target = g.const("shape", np.array([0, *layer.compute_output_shape(shape)[1:]], np.int64))
    return g.op("Reshape", [x, target])


def _relu(g: _Graph, layer, x: str, shape: tuple) -> str:
    if layer.negative_slope:
        return g.op("LeakyRelu", [x], alpha=layer.negative_slope)
    return g.op("Relu", [x])


_EXPORTERS = {
    Sequential: _sequential,
    layers.Dense: _dense,
    layers.Conv2D: _conv2d,
    layers.MaxPooling2D: _pooling2d("MaxPool"),
    layers.AveragePooling2D: _pooling2d("AveragePool", count_include_pad=0),
    layers.GlobalAveragePooling2D: _global_pooling2d("ReduceMean"),
    layers.GlobalMaxPooling2D: _global_pooling2d("ReduceMax"),
    layers.Flatten: lambda g, layer, x, shape: g.op("Flatten", [x], axis=1),
    layers.Reshape: _reshape,
    layers.Dropout: lambda g, layer, x, shape: x,  # inference: the identity
    layers.Activation: lambda g, layer, x, shape: _activation(g, layer.activation, x, layer.name),
    layers.Softmax: lambda g, layer, x, shape: g.op("Softmax", [x], axis=layer.axis),
    layers.LeakyReLU: lambda g, layer, x, shape: g.op("LeakyRelu", [x], alpha=layer.negative_slope),
    layers.ELU: lambda g, layer, x, shape: g.op("Elu", [x], alpha=layer.alpha),
    layers.ReLU: _relu,
}


def _layer(g: _Graph, layer, x: str, shape: tuple) -> str:
    if getattr(layer, "data_format", "channels_last") != "channels_last":  # exporters assume NHWC
        raise ValueError(f"Cannot export layer '{layer.name}' with data_format='channels_first'.")
    export = _EXPORTERS.get(type(layer))
    if export is None:
        raise ValueError(f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX.")
    return export(g, layer, x, shape)


def export_onnx(model: Sequential, path) -> None:
    """Writes ``model`` as an ONNX graph (opset 17) with a dynamic batch axis, atomically.

    Supports the seeds' layers: Dense, activations, Dropout (the identity), Flatten,
    Reshape, Conv2D, max/average pooling (also global), Softmax, ReLU, LeakyReLU, ELU.

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
    if not isinstance(model, Sequential) or not model.built:
        raise ValueError("Only built Sequential models can be exported to ONNX.")
    g = _Graph(helper, numpy_helper)
    shape = model.input_shape
    out = _layer(g, model, "input", shape)
    out_shape = model.output_shape
    dims = lambda s: ["batch", *s[1:]]  # noqa: E731
    graph = helper.make_graph(
        g.nodes,
        model.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, dims(shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, dims(out_shape))],
        g.initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="neuroflow",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(proto)
    with atomic_path(path) as tmp:
        onnx.save(proto, tmp)
