"""Differentiable primitives: each one class with ``forward`` and ``backward`` side by side.

The lowercase functions are the functional API (``ops.relu(x)``, ``ops.dense(x, w, b)``);
layers call them, and anything not listed here is composed from them. Modules: ``math``,
``activation``, ``nn`` (dense, dropout), ``normalization`` (batch and layer), ``loss``, ``conv``
and ``pool`` are the readable reference; ``conv_pool`` is the fused fast path of ``conv2d`` +
``max_pool2d`` that ``Sequential`` runs unless ``neuroflow.config.set_fusion(False)``.
TensorFlow's functions live in ``math``, ``compare``, ``array`` (cast, gather, where...),
``creation`` (zeros, range...) and ``random``; ``array.shape`` (``tf.shape``) is not listed
here, where ``ops.shape`` is the module of shape primitives.
"""

from neuroflow.ops import recurrent
from neuroflow.ops.activation import (
    elu,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    sigmoid,
    softmax,
    softplus,
    step,
    tanh,
)
from neuroflow.ops.array import (
    cast,
    clip_by_value,
    expand_dims,
    gather,
    one_hot,
    rank,
    size,
    squeeze,
    stack,
    tile,
    unstack,
    where,
)
from neuroflow.ops.compare import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)
from neuroflow.ops.conv import conv2d, conv_transpose2d
from neuroflow.ops.conv_pool import conv2d_max_pool
from neuroflow.ops.creation import (
    eye,
    fill,
    linspace,
    ones,
    ones_like,
    range,
    zeros,
    zeros_like,
)
from neuroflow.ops.loss import (
    absolute_error,
    binary_cross_entropy,
    categorical_cross_entropy,
    l2_loss,
    sigmoid_binary_cross_entropy,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy,
    sparse_softmax_cross_entropy_with_logits,
    squared_error,
)
from neuroflow.ops.math import (
    abs,
    add,
    argmax,
    argmin,
    as_tensor,
    concatenate,
    div,
    divide_no_nan,
    exp,
    floordiv,
    getitem,
    log,
    matmul,
    max,
    mean,
    min,
    mod,
    moments,
    mul,
    neg,
    pow,
    prod,
    reshape,
    round,
    sign,
    sqrt,
    square,
    squared_norm,
    std,
    sub,
    sum,
    transpose,
    unbroadcast,
    variance,
)
from neuroflow.ops.nn import dense, dropout
from neuroflow.ops.normalization import batch_normalization, layer_normalization
from neuroflow.ops.pool import (
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    sum_pool2d,
)
from neuroflow.ops.recurrent import gru, lstm, simple_rnn
from neuroflow.ops.shape import bmm, crop, maximum, minimum, pad, repeat, resample

__all__ = [
    "abs", "absolute_error", "add", "avg_pool2d", "batch_normalization", "binary_cross_entropy",
    "categorical_cross_entropy", "concatenate", "conv2d", "conv2d_max_pool", "dense", "div",
    "dropout", "elu", "exp", "getitem", "global_avg_pool2d", "global_max_pool2d",
    "layer_normalization", "leaky_relu",
    "log", "log_softmax", "matmul", "max",
    "max_pool2d", "mean", "mul", "neg", "pow", "relu", "reshape", "sigmoid",
    "sigmoid_binary_cross_entropy", "softmax", "softmax_cross_entropy", "softplus",
    "sparse_softmax_cross_entropy", "squared_norm", "squared_error", "step", "sub", "sum",
    "sum_pool2d", "tanh", "transpose", "unbroadcast",
    "bmm", "conv_transpose2d", "crop", "maximum", "minimum", "pad", "repeat", "resample",
    "argmax", "argmin", "as_tensor", "divide_no_nan", "floordiv", "min", "mod", "prod",
    "round", "sign", "sqrt", "square", "std", "variance",
    "equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_not",
    "logical_or", "logical_xor", "not_equal",
    "cast", "clip_by_value", "expand_dims", "gather", "one_hot", "rank", "size",
    "squeeze", "stack", "tile", "unstack", "where",
    "l2_loss", "moments", "relu6", "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits", "sparse_softmax_cross_entropy_with_logits",
    "eye", "fill", "linspace", "ones", "ones_like", "range", "zeros", "zeros_like",
    "gru", "lstm", "recurrent", "simple_rnn",
]  # fmt: skip
