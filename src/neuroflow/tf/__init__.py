"""TensorFlow's namespace: ``import neuroflow as tf`` (re-exports only, no logic here).

What courses use before and under ``fit``: tensors and their dtypes, variables, the
``GradientTape``, the math, ``tf.nn``, ``tf.random`` and ``tf.data``. ``neuroflow`` itself
re-exports everything listed here, so ``import neuroflow as tf`` and
``from neuroflow import tf`` give the same names.
"""

from neuroflow import config, data, errors, keras
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
    uint8,
    uint16,
    uint32,
    uint64,
)
from neuroflow.gradient_tape import GradientTape, UnconnectedGradients, function, stop_gradient
from neuroflow.tensor import Tensor, TensorShape, Variable, constant, convert_to_tensor
from neuroflow.tf import dtypes, math, nn, random, version  # noqa: F401  (tf.dtypes)

__all__ = [
    "DType", "GradientTape", "Tensor", "TensorShape", "UnconnectedGradients", "Variable",
    "as_dtype", "bool", "config", "constant", "convert_to_tensor", "data", "double",
    "errors", "float16", "float32", "float64", "function", "half", "int16", "int32", "int64",
    "int8", "keras", "math", "nn", "random", "stop_gradient", "uint16", "uint32", "uint64",
    "uint8", "version",
]  # fmt: skip
