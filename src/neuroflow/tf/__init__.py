"""TensorFlow's namespace: ``import neuroflow as tf`` (re-exports only, no logic here).

What courses use before and under ``fit``: tensors and their dtypes, variables, the
``GradientTape``, the math, ``tf.nn``, ``tf.random`` and ``tf.data``. ``neuroflow`` itself
re-exports everything listed here, so ``import neuroflow as tf`` and
``from neuroflow import tf`` give the same names.
"""

from neuroflow import config, data, errors, keras
from neuroflow._version import __version__  # noqa: F401  (print(tf.__version__))
from neuroflow.data.structure import TensorSpec
from neuroflow.dtypes import (
    DType,
    as_dtype,
    bool,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from neuroflow.gradient_tape import GradientTape, UnconnectedGradients, function, stop_gradient
from neuroflow.module import Module
from neuroflow.ops.array import (
    cast,
    clip_by_value,
    expand_dims,
    gather,
    one_hot,
    rank,
    shape,
    size,
    squeeze,
    stack,
    tile,
    unstack,
    where,
)
from neuroflow.ops.creation import eye, fill, linspace, ones, ones_like, range, zeros, zeros_like
from neuroflow.ops.math import concatenate as concat
from neuroflow.ops.math import matmul, reshape, transpose
from neuroflow.tensor import (
    Tensor,
    TensorShape,
    Variable,
    constant,
    convert_to_tensor,
    is_tensor,
)
from neuroflow.tf import dtypes, math, nn, random, version  # noqa: F401  (tf.dtypes)
from neuroflow.tf.math import (
    abs,
    add,
    argmax,
    argmin,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    round,
    sigmoid,
    sign,
    sqrt,
    square,
    subtract,
    tanh,
    truediv,
)

__all__ = [
    "DType", "GradientTape", "Module", "Tensor", "TensorShape", "UnconnectedGradients",
    "Variable",
    "as_dtype", "bool", "config", "constant", "convert_to_tensor", "data", "double",
    "errors", "float16", "float32", "float64", "function", "half", "int16", "int32", "int64",
    "is_tensor",
    "int8", "keras", "math", "nn", "random", "stop_gradient", "uint16", "uint32", "uint64",
    "uint8", "version", "string",
    # tf.data's element description
    "TensorSpec",
    # tensors, shapes and math (neuroflow.ops)
    "abs", "add", "argmax", "argmin", "cast", "clip_by_value", "concat", "divide", "equal",
    "exp", "expand_dims", "eye", "fill", "gather", "greater", "greater_equal", "less",
    "less_equal", "linspace", "logical_and", "logical_not", "logical_or", "matmul", "maximum",
    "minimum", "multiply", "negative", "not_equal", "one_hot", "ones", "ones_like", "pow",
    "range", "rank", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum",
    "reshape", "round", "shape", "sigmoid", "sign", "size", "sqrt", "square", "squeeze",
    "stack", "subtract", "tanh", "tile", "transpose", "truediv", "unstack", "where", "zeros",
    "zeros_like",
]  # fmt: skip
