"""``tf.math`` (re-exports only, no logic here): the functions live in :mod:`neuroflow.ops`,
under NumPy's names where they differ (``reduce_sum`` is ``ops.sum``)."""

from neuroflow.ops.activation import sigmoid, softplus, tanh
from neuroflow.ops.array import confusion_matrix
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
from neuroflow.ops.math import (
    abs,
    add,
    argmax,
    argmin,
    divide_no_nan,
    exp,
    floordiv,
    log,
    pow,
    round,
    sign,
    sqrt,
    square,
)
from neuroflow.ops.math import div as divide
from neuroflow.ops.math import div as truediv
from neuroflow.ops.math import max as reduce_max
from neuroflow.ops.math import mean as reduce_mean
from neuroflow.ops.math import min as reduce_min
from neuroflow.ops.math import mod as floormod
from neuroflow.ops.math import mod as mod
from neuroflow.ops.math import mul as multiply
from neuroflow.ops.math import neg as negative
from neuroflow.ops.math import prod as reduce_prod
from neuroflow.ops.math import std as reduce_std
from neuroflow.ops.math import sub as subtract
from neuroflow.ops.math import sum as reduce_sum
from neuroflow.ops.math import variance as reduce_variance
from neuroflow.ops.shape import maximum, minimum

__all__ = [
    "abs", "add", "argmax", "argmin", "confusion_matrix", "divide", "divide_no_nan", "equal",
    "exp", "floordiv", "floormod", "greater", "greater_equal", "less", "less_equal", "log",
    "logical_and", "logical_not", "logical_or", "logical_xor", "maximum", "minimum", "mod",
    "multiply",
    "negative", "not_equal", "pow", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod",
    "reduce_std", "reduce_sum", "reduce_variance", "round", "sigmoid", "sign", "softplus",
    "sqrt", "square", "subtract", "tanh", "truediv",
]  # fmt: skip
