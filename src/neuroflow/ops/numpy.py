"""Keras 3's ``keras.ops``: NumPy-style functions with Keras's dtype rules, on neuroflow's ops.

``keras.ops`` differs from TensorFlow's functions in ways user code sees: operands of
different dtypes are promoted (``int32 + float32`` is float32, where TensorFlow refuses),
``mean``, ``sqrt``, ``exp`` and ``divide`` of integers give float32, ``sum`` of booleans
gives int32, ``argmax`` returns int32 and flattens when ``axis`` is None, ``concatenate``
joins along axis 0 by default. Each function here converts its inputs (NumPy arrays,
Python numbers and lists, Tensors) by those rules and calls the differentiable primitives
of :mod:`neuroflow.ops`, so a custom layer or loss written with them trains. A few
primitives TensorFlow has and neuroflow lacked are here with their backward beside the
forward: ``Log1p``, ``Erf`` and ``CumSum``.
"""

from __future__ import annotations

import builtins
import functools
import math as _pymath

import numpy as np

from neuroflow import backend, dtypes
from neuroflow.errors import InvalidArgumentError
from neuroflow.ops import activation as _act
from neuroflow.ops import array as _arr
from neuroflow.ops import compare as _cmp
from neuroflow.ops import loss as _loss
from neuroflow.ops import math as _m
from neuroflow.ops import shape as _shape_ops
from neuroflow.tensor import Function, Tensor, to_array

__all__ = [
    "abs", "absolute", "add", "all", "any", "arange", "argmax", "argmin", "argsort",
    "binary_crossentropy", "cast", "categorical_crossentropy", "ceil", "clip", "concatenate",
    "convert_to_numpy", "convert_to_tensor", "cumsum", "divide", "dot", "dtype", "elu", "equal",
    "erf",
    "exp", "expand_dims", "eye", "flip", "floor", "full", "full_like", "gelu", "greater",
    "greater_equal", "identity", "isfinite", "isnan", "leaky_relu", "less", "less_equal",
    "linspace", "log", "log1p", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "moveaxis", "multiply",
    "ndim", "negative", "norm", "not_equal", "one_hot", "ones", "ones_like", "outer", "power",
    "prod", "relu", "relu6", "repeat", "reshape", "round", "selu", "shape",
    "sigmoid", "sign", "silu", "size", "softmax", "softplus", "sort",
    "sparse_categorical_crossentropy", "split", "sqrt", "square", "squeeze", "stack", "std",
    "stop_gradient", "subtract", "sum", "swapaxes", "swish", "take", "take_along_axis", "tanh",
    "tensordot", "tile", "transpose", "true_divide", "var", "where", "zeros", "zeros_like",
]  # fmt: skip

# ------------------------------------------------------------------ Keras's dtype promotion

# Keras 3's type-promotion lattice (keras.backend.result_type, after JAX): each dtype and its
# next wider ones. "int" and "float" are the weak types of Python numbers: they take the
# other operand's dtype instead of widening it.
_LATTICE = {
    "bool": ("int",), "int": ("uint8", "int8"), "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"), "uint32": ("int64", "uint64"), "uint64": ("float",),
    "int8": ("int16",), "int16": ("int32",), "int32": ("int64",), "int64": ("float",),
    "float": ("float16",), "float16": ("float32",), "float32": ("float64",), "float64": (),
}  # fmt: skip


def _upper_bounds() -> dict:
    bounds = {node: {node} for node in _LATTICE}
    for node in _LATTICE:
        while True:
            wider = set().union(*(_LATTICE[b] for b in bounds[node]))
            if wider <= bounds[node]:
                break
            bounds[node] |= wider
    return bounds


_BOUNDS = _upper_bounds()


@functools.lru_cache(256)
def _least_upper_bound(*nodes: str) -> str:
    common = set.intersection(*(_BOUNDS[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _BOUNDS[c]}
    return least.pop()


def _dtype_name(value) -> str | type:
    """What :func:`result_type` takes: a dtype name, or ``int``/``float`` for a Python number."""
    if isinstance(value, Tensor):
        return value.data.dtype.name
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.name
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return type(value)
    if isinstance(value, (dtypes.DType, np.dtype, str)):
        return dtypes.as_dtype(value).name
    return to_array(value).dtype.name


def result_type(*values) -> str:
    """The dtype Keras 3 gives an operation on ``values`` (dtypes, tensors, arrays or Python
    numbers), by its promotion lattice: Python numbers are weak (``int32`` tensor with ``2.5``
    gives float32, with ``2`` stays int32), integers with floats give the float, int64 with
    float32 gives float32 (Keras's ``keras.backend.result_type``).

    Examples
    --------
    >>> result_type("int32", "float32"), result_type("int8", "uint8"), result_type("int32", 2.5)
    ('float32', 'int16', 'float32')
    """
    if not values:
        return backend.floatx()
    return _result_type(*(v if v is int or v is float else _dtype_name(v) for v in values))


@functools.lru_cache(512)
def _result_type(*names) -> str:
    weak = [n in (int, float) for n in names]
    if len(names) == 1 or (len(set(names)) == 1 and not builtins.all(weak)):
        out, out_weak = names[0], weak[0]
    elif builtins.all(weak):
        out = _least_upper_bound(*{"float32" if n is float else "int64" for n in names})
        out_weak = True
    else:
        nodes = {("float" if n is float else "int") if w else n for n, w in zip(names, weak)}
        out = _least_upper_bound(*nodes)
        out_weak = out in ("int", "float")
    if out in (int, float):
        out = "float" if out is float else "int"
    if out_weak and out != "bool":
        kind = "float" if out.startswith("float") else "uint" if out.startswith("u") else "int"
        out = f"{kind}32"
    return "uint32" if out == "uint64" else out


# ------------------------------------------------------------------------ conversions


def _t(x, name: str = "x") -> Tensor:
    """``x`` as a Tensor: Tensors unchanged, Python floats float32, ints int32, arrays their
    own dtype (Keras's ``convert_to_tensor``); anything else is a TypeError naming ``name``."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor._from_op(to_array(x), None)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"Expected `{name}` to be a tensor, an array or a number. Received: {name}={x!r} ({e})"
        ) from None


def _as(x, dtype: str, name: str = "x") -> Tensor:
    """``x`` as a Tensor of ``dtype`` (a cast that stays on the tape between floats)."""
    if isinstance(x, Tensor):
        return x if x.data.dtype.name == dtype else _arr.cast(x, dtype)
    if isinstance(x, (bool, int, float, np.generic, np.ndarray)):
        return Tensor._from_op(np.asarray(x, dtype=dtype), None)
    return _as(_t(x, name), dtype)


def _promote(x1, x2, *extra) -> tuple:
    if (
        isinstance(x1, Tensor)
        and isinstance(x2, Tensor)
        and x1.data.dtype is x2.data.dtype
        and (not extra or x1.data.dtype.kind == "f")
    ):
        return x1, x2  # the common case in a layer's call: nothing to promote
    if type(x2) in (int, float) and isinstance(x1, Tensor) and x1.data.dtype.kind == "f":
        return x1, x2  # a Python number takes a float tensor's dtype (neuroflow.ops converts it)
    if type(x1) in (int, float) and isinstance(x2, Tensor) and x2.data.dtype.kind == "f":
        return x1, x2
    dtype = result_type(x1 if isinstance(x1, (int, float)) else _t(x1, "x1"),
                        x2 if isinstance(x2, (int, float)) else _t(x2, "x2"), *extra)  # fmt: skip
    return _as(x1, dtype, "x1"), _as(x2, dtype, "x2")


def _float(x, name: str = "x") -> Tensor:
    """``x`` as a float Tensor: integers and booleans become float32 (Keras's rule for sqrt,
    exp, log, mean...)."""
    x = _t(x, name)
    return x if x.data.dtype.kind == "f" else _arr.cast(x, backend.floatx())


def _floats_only(x, op: str) -> Tensor:
    """``x``, which must hold floats (sigmoid, softmax... of integers are an error with
    Keras's TensorFlow backend)."""
    return _m.floating(_t(x), op)


def _no_bool(x: Tensor, op: str) -> Tensor:
    if x.data.dtype.kind == "b":
        raise InvalidArgumentError(
            f"{op} is not defined for booleans. Received: x of dtype bool (cast it first, "
            "e.g. keras.ops.cast(x, 'int32'))."
        )
    return x


def _quiet():
    """No NumPy warnings for the infinities and NaNs that TensorFlow returns silently
    (``log(0)``, ``1 / 0``, ``sqrt(-1)``)."""
    return np.errstate(divide="ignore", invalid="ignore")


def _const(array, dtype=None) -> Tensor:
    array = np.asarray(array)
    return Tensor._from_op(array if dtype is None else array.astype(dtype, copy=False), None)


def _axis_tuple(axis, ndim: int) -> tuple:
    axes = range(ndim) if axis is None else np.atleast_1d(_m._axis(axis)).tolist()
    return tuple(sorted(int(a) % builtins.max(ndim, 1) for a in axes))


# ------------------------------------------------------- primitives TensorFlow has


class Log1p(Function):
    """``log(1 + x)``, accurate for small ``x``; ``d/dx = 1 / (1 + x)``."""

    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, grad):
        return (grad / (1 + self.x),)


_erf = np.vectorize(_pymath.erf, otypes=[np.float64])


class Erf(Function):
    """The error function; ``d/dx = 2 / sqrt(pi) * exp(-x**2)``."""

    def forward(self, x):
        self.x = x
        return _erf(x).astype(x.dtype, copy=False)

    def backward(self, grad):
        x = self.x
        return (grad * (2 / np.sqrt(np.pi)) * np.exp(-x * x),)


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the running sum of ``grad`` taken from
    the other end."""

    def forward(self, x, axis):
        self.axis = axis
        return np.cumsum(x, axis=axis, dtype=x.dtype)

    def backward(self, grad):
        a = self.axis
        return (np.flip(np.cumsum(np.flip(grad, a), axis=a), a),)


# ------------------------------------------------------------------------- reductions


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (None: all). Unlike ``tf.reduce_mean``, integers and booleans give
    a float32 mean.

    Examples
    --------
    >>> mean([1, 2])
    <tf.Tensor: shape=(), dtype=float32, numpy=1.5>
    """
    return _m.mean(_float(x), axis=axis, keepdims=keepdims)


def _sum_dtype(x: Tensor) -> Tensor:
    name = x.data.dtype.name
    if name in ("bool", "int8", "int16"):
        return _arr.cast(x, "int32")
    if name in ("uint8", "uint16"):
        return _arr.cast(x, "uint32")
    return x


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001  (Keras's name)
    """Sum over ``axis``; booleans and small integers are summed as int32 (uint32).

    Examples
    --------
    >>> sum([True, True, False])
    <tf.Tensor: shape=(), dtype=int32, numpy=2>
    """
    return _m.sum(_sum_dtype(_t(x)), axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Tensor:
    """Product over ``axis``; booleans and small integers as int32 (uint32)."""
    x = _t(x) if dtype is None else _as(x, dtypes.as_dtype(dtype).name)
    return _m.prod(_sum_dtype(x), axis=axis, keepdims=keepdims)


def _extremum(reduce, pick, x, axis, keepdims, initial) -> Tensor:
    x = _t(x)
    if x.data.dtype.kind == "b":
        out = _const(np.all(x.data, axis=_m._axis(axis), keepdims=keepdims)
                     if reduce is _m.min else
                     np.any(x.data, axis=_m._axis(axis), keepdims=keepdims))  # fmt: skip
    elif x.data.size == 0 and initial is not None:
        full_axes = _axis_tuple(axis, x.ndim)
        shape = tuple(1 if i in full_axes else d for i, d in enumerate(x.data.shape))
        if not keepdims:
            shape = tuple(d for i, d in enumerate(x.data.shape) if i not in full_axes)
        return _const(np.full(shape, initial, x.data.dtype))
    else:
        if x.data.size == 0:
            raise InvalidArgumentError(
                f"Cannot compute the {reduce.__name__} of an empty tensor without `initial`. "
                f"Received: x of shape {tuple(x.data.shape)}."
            )
        out = reduce(x, axis=axis, keepdims=keepdims)
    return out if initial is None else pick(out, initial)


def max(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """Largest value over ``axis`` (ties share the gradient), at least ``initial`` if given.

    Examples
    --------
    >>> max([[1.0, 5.0], [3.0, 2.0]], axis=0).numpy()
    array([3., 5.], dtype=float32)
    """
    return _extremum(_m.max, maximum, x, axis, keepdims, initial)


def min(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001
    """Smallest value over ``axis``, at most ``initial`` if given."""
    return _extremum(_m.min, minimum, x, axis, keepdims, initial)


def var(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population variance over ``axis``; integers give float32."""
    return _m.variance(_float(x), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over ``axis``; integers give float32.

    Examples
    --------
    >>> std([1, 2, 3, 4]).numpy()
    np.float32(1.118034)
    """
    return _m.std(_float(x), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether any element over ``axis`` is non-zero (a bool tensor)."""
    return _const(np.any(_t(x).data, axis=_m._axis(axis), keepdims=keepdims))


def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether every element over ``axis`` is non-zero (a bool tensor)."""
    return _const(np.all(_t(x).data, axis=_m._axis(axis), keepdims=keepdims))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed after subtracting the maximum (whose
    gradient cancels, so it is taken as a constant); the gradient is the softmax.

    Examples
    --------
    >>> logsumexp([0.0, 0.0]).numpy()
    np.float32(0.6931472)
    """
    x = _floats_only(x, "logsumexp")
    axis = _m._axis(axis)
    shift = np.max(x.data, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0).astype(x.data.dtype)
    total = _m.sum(_m.exp(x - _const(shift)), axis=axis, keepdims=True)
    out = _m.log(total) + _const(shift)
    if keepdims:
        return out
    return reshape(out, tuple(d for i, d in enumerate(out.data.shape)
                              if i not in _axis_tuple(axis, x.ndim)))  # fmt: skip


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Running sum along ``axis`` (None: over the flattened tensor); booleans as int32.

    Examples
    --------
    >>> cumsum([[1, 2], [3, 4]])
    <tf.Tensor: shape=(4,), dtype=int32, numpy=array([ 1,  3,  6, 10], dtype=int32)>
    """
    x = _t(x) if dtype is None else _as(x, dtypes.as_dtype(dtype).name)
    if x.data.dtype.kind == "b":
        x = _arr.cast(x, "int32")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _arr._check_axis(_arr._int_axis(axis), builtins.max(x.ndim, 1), "cumsum")
    return CumSum.apply(x, axis=axis)


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002  (Keras's)
    """Vector or matrix norm (``keras.ops.norm``, NumPy's ``linalg.norm``): the 2-norm of all
    elements by default; ``ord`` 1, 2, inf, -inf, 0 or p for vectors (an int ``axis``),
    ``"fro"``, 1, -1, inf, -inf for matrices (two axes). Integers give float32.

    Examples
    --------
    >>> norm([[3.0, 4.0]]).numpy()
    np.float32(5.0)
    >>> norm([[3.0, -4.0]], ord=1, axis=1).numpy()
    array([7.], dtype=float32)
    """
    x = _float(x)
    if axis is None and ord is not None and x.ndim in (1, 2):
        axis = tuple(range(x.ndim))
    axes = _axis_tuple(axis, x.ndim)
    if axis is None or (len(axes) == 2 and ord in (None, "fro")):
        return sqrt(sum(square(x), axis=axis, keepdims=keepdims))
    if len(axes) == 1:
        a = axes[0]
        if ord is None or ord == 2:
            return sqrt(sum(square(x), axis=a, keepdims=keepdims))
        if ord == np.inf:
            return max(abs(x), axis=a, keepdims=keepdims)
        if ord == -np.inf:
            return min(abs(x), axis=a, keepdims=keepdims)
        if ord == 0:
            return _const(np.sum(x.data != 0, axis=a, keepdims=keepdims), x.data.dtype)
        if ord == 1:
            return sum(abs(x), axis=a, keepdims=keepdims)
        if isinstance(ord, (int, float)) and not isinstance(ord, bool):
            powered = sum(power(abs(x), float(ord)), axis=a, keepdims=keepdims)
            return power(powered, 1.0 / ord)
    elif len(axes) == 2 and ord in (1, -1, np.inf, -np.inf):
        rows, cols = axes if ord in (1, -1) else axes[::-1]
        sums = sum(abs(x), axis=rows, keepdims=True)
        pick = max if ord in (1, np.inf) else min
        out = pick(sums, axis=cols, keepdims=True)
        return out if keepdims else squeeze(out, axis=axes)
    raise ValueError(
        f"Invalid `ord` for a norm over axis={axis!r}: expected None, 1, 2, inf, -inf, 0 or a "
        f"number for a vector norm, or None, 'fro', 1, -1, inf, -inf for a matrix norm. "
        f"Received: ord={ord!r}"
    )


# ----------------------------------------------------------------- elementwise math


def add(x1, x2) -> Tensor:
    """``x1 + x2``, broadcast, in the promoted dtype (``int32 + float32`` is float32).

    Examples
    --------
    >>> add(np.array([1, 2], "int32"), np.array([0.5, 0.5], "float32")).numpy()
    array([1.5, 2.5], dtype=float32)
    """
    return _m.add(*_promote(x1, x2))


def subtract(x1, x2) -> Tensor:
    """``x1 - x2``, broadcast, in the promoted dtype."""
    return _m.sub(*_promote(x1, x2))


def multiply(x1, x2) -> Tensor:
    """``x1 * x2``, broadcast, in the promoted dtype."""
    return _m.mul(*_promote(x1, x2))


def divide(x1, x2) -> Tensor:
    """``x1 / x2``, broadcast; integers give float32 (Keras's true division).

    Examples
    --------
    >>> divide([1, 2], 2)
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.5, 1. ], dtype=float32)>
    """
    x1, x2 = _promote(x1, x2, float)
    with _quiet():
        return _m.div(x1, x2)


true_divide = divide


def power(x1, x2) -> Tensor:
    """``x1 ** x2``, broadcast, in the promoted dtype; differentiable in both."""
    x1, x2 = _promote(x1, x2)
    with _quiet():
        return _m.pow(x1, x2)


def maximum(x1, x2) -> Tensor:
    """Elementwise maximum, broadcast, in the promoted dtype."""
    return _shape_ops.maximum(*_promote(x1, x2))


def minimum(x1, x2) -> Tensor:
    """Elementwise minimum, broadcast, in the promoted dtype."""
    return _shape_ops.minimum(*_promote(x1, x2))


def negative(x) -> Tensor:
    """``-x``."""
    return _m.neg(_no_bool(_t(x), "negative"))


def abs(x) -> Tensor:  # noqa: A001
    """``|x|`` (booleans unchanged)."""
    x = _t(x)
    return x if x.data.dtype.kind == "b" else _m.abs(x)


absolute = abs


def sign(x) -> Tensor:
    """-1, 0 or 1 by the sign of each element; the gradient is zeros."""
    return _m.sign(_no_bool(_t(x), "sign"))


def square(x) -> Tensor:
    """``x * x``; booleans as int32."""
    x = _t(x)
    return _m.square(_arr.cast(x, "int32") if x.data.dtype.kind == "b" else x)


def sqrt(x) -> Tensor:
    """Square root; integers give float32.

    Examples
    --------
    >>> sqrt([4, 9])
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 3.], dtype=float32)>
    """
    with _quiet():
        return _m.sqrt(_float(x))


def exp(x) -> Tensor:
    """``e ** x``; integers give float32."""
    return _m.exp(_float(x))


def log(x) -> Tensor:
    """Natural logarithm; integers give float32 (log 0 is -inf, of a negative NaN)."""
    with _quiet():
        return _m.log(_float(x))


def log1p(x) -> Tensor:
    """``log(1 + x)``, accurate for small ``x``; integers give float32.

    Examples
    --------
    >>> float(log1p(1e-10))
    1.000000013351432e-10
    """
    with _quiet():
        return Log1p.apply(_float(x))


def erf(x) -> Tensor:
    """The error function ``2/sqrt(pi) * integral from 0 to x of exp(-t**2) dt``.

    Examples
    --------
    >>> erf([0.0, 1.0]).numpy()
    array([0.       , 0.8427008], dtype=float32)
    """
    return Erf.apply(_floats_only(x, "Erf"))


def floor(x) -> Tensor:
    """Largest integer not above ``x``, as floats (integers give float32); no gradient."""
    x = _float(x)
    return _const(np.floor(x.data))


def ceil(x) -> Tensor:
    """Smallest integer not below ``x``, as floats (integers give float32); no gradient."""
    x = _float(x)
    return _const(np.ceil(x.data))


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001
    """Rounds half to even to ``decimals`` places (negative: tens, hundreds...); no gradient.

    Examples
    --------
    >>> round([0.5, 1.5, 2.567], decimals=0).numpy()
    array([0., 2., 3.], dtype=float32)
    """
    x = _no_bool(_t(x), "round")
    data, decimals = x.data, int(decimals)
    if data.dtype.kind in "iu":
        if decimals >= 0:
            return x
        factor = np.float32(10.0**-decimals)
        return _const(np.round(data / factor) * factor, data.dtype)
    if decimals == 0:
        return _const(np.round(data))
    factor = np.asarray(10.0**decimals, data.dtype)
    return _const(np.round(data * factor) / factor)


def clip(x, x_min, x_max) -> Tensor:
    """``x`` limited to ``[x_min, x_max]`` (booleans as int32); the gradient flows where
    ``x`` is inside, bounds included.

    Examples
    --------
    >>> clip([-2.0, 0.5, 3.0], -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    x = _t(x)
    if x.data.dtype.kind == "b":
        x = _arr.cast(x, "int32")
    return _arr.clip_by_value(x, x_min, x_max)


def isnan(x) -> Tensor:
    """Whether each element is NaN (never, for integers)."""
    data = _t(x).data
    return _const(np.isnan(data) if data.dtype.kind == "f" else np.zeros(data.shape, bool))


def isfinite(x) -> Tensor:
    """Whether each element is finite (always, for integers)."""
    data = _t(x).data
    return _const(np.isfinite(data) if data.dtype.kind == "f" else np.ones(data.shape, bool))


# ---------------------------------------------------------------- comparisons, logic


def _compare(fn, x1, x2) -> Tensor:
    return fn(*_promote(x1, x2))


def equal(x1, x2) -> Tensor:
    """``x1 == x2`` after promotion (``int 2 == 2.5`` is compared as floats)."""
    return _compare(_cmp.equal, x1, x2)


def not_equal(x1, x2) -> Tensor:
    """``x1 != x2`` after promotion."""
    return _compare(_cmp.not_equal, x1, x2)


def less(x1, x2) -> Tensor:
    """``x1 < x2`` after promotion."""
    return _compare(_cmp.less, x1, x2)


def less_equal(x1, x2) -> Tensor:
    """``x1 <= x2`` after promotion."""
    return _compare(_cmp.less_equal, x1, x2)


def greater(x1, x2) -> Tensor:
    """``x1 > x2`` after promotion."""
    return _compare(_cmp.greater, x1, x2)


def greater_equal(x1, x2) -> Tensor:
    """``x1 >= x2`` after promotion."""
    return _compare(_cmp.greater_equal, x1, x2)


def logical_and(x1, x2) -> Tensor:
    """Elementwise AND of the truth values (non-zero is true)."""
    return _cmp.logical_and(_as(x1, "bool", "x1"), _as(x2, "bool", "x2"))


def logical_or(x1, x2) -> Tensor:
    """Elementwise OR of the truth values."""
    return _cmp.logical_or(_as(x1, "bool", "x1"), _as(x2, "bool", "x2"))


def logical_not(x) -> Tensor:
    """Elementwise NOT of the truth values."""
    return _cmp.logical_not(_as(x, "bool"))


# ------------------------------------------------------------------- linear algebra


def matmul(x1, x2) -> Tensor:
    """Matrix product with NumPy's rules: a 1-D operand is a vector (its axis removed from
    the result), more axes are batches; operands are promoted (int8 products as int32).

    Examples
    --------
    >>> matmul([[1.0, 2.0]], [3.0, 4.0]).numpy()
    array([11.], dtype=float32)
    """
    x1, x2 = _t(x1, "x1"), _t(x2, "x2")
    if x1.data.dtype is not x2.data.dtype or x1.data.dtype.kind != "f":
        dtype = result_type(x1, x2)
        if dtype in ("bool", "int8", "int16", "uint8", "uint16"):
            dtype = "int32"
        x1, x2 = _as(x1, dtype), _as(x2, dtype)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(
            f"matmul needs operands with at least one axis. Received: x1 of shape "
            f"{tuple(x1.data.shape)} and x2 of shape {tuple(x2.data.shape)}."
        )
    vec1, vec2 = x1.ndim == 1, x2.ndim == 1
    a = reshape(x1, (1, -1)) if vec1 else x1
    b = reshape(x2, (-1, 1)) if vec2 else x2
    out = _m.matmul(a, b)
    if vec1 or vec2:
        shape = out.data.shape
        keep = shape[:-2] + (() if vec1 else shape[-2:-1]) + (() if vec2 else shape[-1:])
        out = reshape(out, keep)
    return out


def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum of products over ``axes``: an int (the last ``axes`` of ``x1`` with the first of
    ``x2``) or a pair of axis lists (NumPy's ``tensordot``); a transpose, a reshape and one
    matmul.

    Examples
    --------
    >>> tensordot(np.ones((2, 3), "float32"), np.ones((3, 4), "float32"), axes=1).shape
    TensorShape([2, 4])
    """
    x1, x2 = _promote(x1, x2)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        a1, a2 = list(range(x1.ndim - n, x1.ndim)), list(range(n))
    else:
        a1, a2 = ([int(a) for a in np.atleast_1d(ax)] for ax in axes)
    a1 = [a % x1.ndim for a in a1]
    a2 = [a % x2.ndim for a in a2]
    s1, s2 = x1.data.shape, x2.data.shape
    if len(a1) != len(a2) or _mismatch(s1, s2, a1, a2):
        raise ValueError(
            f"tensordot: the summed axes must have equal lengths. Received: x1 of shape {s1} "
            f"with axes {a1}, x2 of shape {s2} with axes {a2}."
        )
    free1 = [a for a in range(x1.ndim) if a not in a1]
    free2 = [a for a in range(x2.ndim) if a not in a2]
    k = int(np.prod([s1[a] for a in a1]))
    left = reshape(transpose(x1, free1 + a1), (-1, k))
    right = reshape(transpose(x2, a2 + free2), (k, -1))
    out = _m.matmul(left, right)
    return reshape(out, tuple(s1[a] for a in free1) + tuple(s2[a] for a in free2))


def _mismatch(s1, s2, a1, a2) -> bool:
    """Whether some paired axes of the two shapes differ in length."""
    return builtins.any(s1[i] != s2[j] for i, j in zip(a1, a2))


def dot(x1, x2) -> Tensor:
    """NumPy's ``dot``: scalars multiply, vectors give their inner product, matrices their
    product, and otherwise the last axis of ``x1`` meets the second-to-last of ``x2``.

    Examples
    --------
    >>> dot([1.0, 2.0], [3.0, 4.0]).numpy()
    np.float32(11.0)
    """
    x1, x2 = _t(x1, "x1"), _t(x2, "x2")
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    if x2.ndim == 1:
        return tensordot(x1, x2, axes=([-1], [0]))
    if x1.ndim <= 2 and x2.ndim == 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2]))


# ------------------------------------------------------------------------ shapes


def shape(x) -> tuple:
    """The shape as a tuple of ints (Keras's ``ops.shape``; TensorFlow's ``tf.shape`` is a
    tensor); a symbolic tensor's unknown sizes are None."""
    if not isinstance(x, (Tensor, np.ndarray)) and hasattr(x, "shape") and hasattr(x, "ndim"):
        return tuple(x.shape)  # a symbolic KerasTensor
    return tuple(int(d) for d in _t(x).data.shape)


def ndim(x) -> int:
    """The number of axes."""
    if not isinstance(x, (Tensor, np.ndarray)) and hasattr(x, "shape") and hasattr(x, "ndim"):
        return int(x.ndim)
    return _t(x).ndim


def size(x) -> Tensor:
    """The number of elements, as an int32 scalar tensor."""
    return _const(np.asarray(_t(x).data.size, np.int32))


def reshape(x, newshape) -> Tensor:
    """The same values in ``newshape`` (one entry may be -1)."""
    if isinstance(newshape, (int, np.integer)):
        newshape = (int(newshape),)
    return _m.reshape(_t(x), tuple(int(d) for d in newshape))


def transpose(x, axes=None) -> Tensor:
    """The axes permuted by ``axes`` (reversed when None)."""
    return _m.transpose(_t(x), axes)


def expand_dims(x, axis) -> Tensor:
    """``x`` with new axes of length 1 at ``axis`` (an int or a tuple of positions in the
    result)."""
    x = _t(x)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    rank = x.ndim + len(axes)
    positions = set()
    for a in axes:
        if not -rank <= int(a) < rank:
            raise ValueError(
                f"Invalid `axis` for expand_dims of a tensor with {x.ndim} axes: expected "
                f"values in [{-rank}, {rank}). Received: axis={axis!r}"
            )
        positions.add(int(a) % rank)
    dims = iter(x.data.shape)
    return reshape(x, tuple(1 if i in positions else next(dims) for i in range(rank)))


def squeeze(x, axis=None) -> Tensor:
    """``x`` without its axes of length 1 (only those in ``axis`` when given).

    Raises
    ------
    ValueError
        When an axis in ``axis`` does not have length 1.
    """
    x = _t(x)
    data_shape = x.data.shape
    if axis is None:
        drop = {i for i, d in enumerate(data_shape) if d == 1}
    else:
        drop = set(_axis_tuple(axis, x.ndim))
        for a in sorted(drop):
            if data_shape[a] != 1:
                raise ValueError(
                    f"Cannot squeeze axis={a}, because the dimension is not 1. Received: x "
                    f"of shape {tuple(data_shape)}, axis={axis!r}."
                )
    return reshape(x, tuple(d for i, d in enumerate(data_shape) if i not in drop))


def moveaxis(x, source, destination) -> Tensor:
    """``x`` with the axes ``source`` moved to the positions ``destination`` (a transpose)."""
    x = _t(x)
    src = [int(a) % builtins.max(x.ndim, 1) for a in np.atleast_1d(source)]
    dst = [int(a) % builtins.max(x.ndim, 1) for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` must name as many axes. Received: "
            f"source={source!r}, destination={destination!r}"
        )
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def swapaxes(x, axis1, axis2) -> Tensor:
    """``x`` with two axes exchanged (a transpose)."""
    x = _t(x)
    order = list(range(x.ndim))
    a, b = int(axis1) % builtins.max(x.ndim, 1), int(axis2) % builtins.max(x.ndim, 1)
    order[a], order[b] = order[b], order[a]
    return transpose(x, order)


def flip(x, axis=None) -> Tensor:
    """``x`` reversed along ``axis`` (every axis when None); the gradient is reversed back.

    Examples
    --------
    >>> flip([[1, 2], [3, 4]], axis=1).numpy()
    array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = _t(x)
    axes = set(_axis_tuple(axis, x.ndim))
    return _m.getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None)
                               for i in range(x.ndim)))  # fmt: skip


def outer(x1, x2) -> Tensor:
    """Every element of ``x1`` (flattened) times every element of ``x2``, promoted."""
    x1, x2 = _promote(_t(x1, "x1"), _t(x2, "x2"))
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def _promote_all(xs, name: str) -> list:
    if isinstance(xs, Tensor) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"Expected `{name}` to be a list of tensors. Received: {name}={xs!r}")
    tensors = [_t(x, name) for x in xs]
    if not tensors:
        raise ValueError(f"Expected `{name}` to hold at least one tensor. Received: {name}=[]")
    dtype = result_type(*tensors)
    return [_as(t, dtype) for t in tensors]


def concatenate(xs, axis: int = 0) -> Tensor:
    """Tensors joined along an existing ``axis`` (0 by default, as NumPy), promoted to one
    dtype.

    Examples
    --------
    >>> concatenate([np.ones((1, 2), "int32"), np.zeros((1, 2), "float32")]).numpy()
    array([[1., 1.],
           [0., 0.]], dtype=float32)
    """
    return _m.concatenate(_promote_all(xs, "xs"), axis=axis)


def stack(x, axis: int = 0) -> Tensor:
    """Tensors of one shape joined along a new ``axis``, promoted to one dtype."""
    return _arr.stack(_promote_all(x, "x"), axis=axis)


def split(x, indices_or_sections, axis: int = 0) -> list:
    """``x`` cut along ``axis`` into equal sections (an int) or at the given indices.

    Examples
    --------
    >>> [t.shape for t in split(np.zeros((4, 2)), [1], axis=0)]
    [TensorShape([1, 2]), TensorShape([3, 2])]
    """
    x = _t(x)
    axis = int(axis) % builtins.max(x.ndim, 1)
    n = x.data.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(
                f"split: axis {axis} of length {n} does not divide into equal sections. "
                f"Received: indices_or_sections={indices_or_sections!r}"
            )
        cuts = [n // sections * i for i in range(1, sections)]
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0, *cuts, n]
    lead = (slice(None),) * axis
    return [_m.getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds, bounds[1:])]


def tile(x, repeats) -> Tensor:
    """``x`` repeated ``repeats[i]`` times along each axis (NumPy's ``tile``: a shorter
    ``repeats`` is padded with ones in front, a longer one adds leading axes)."""
    x = _t(x)
    reps = [int(r) for r in np.atleast_1d(repeats.data if isinstance(repeats, Tensor)
                                          else repeats)]  # fmt: skip
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.data.shape))
    reps = [1] * (x.ndim - len(reps)) + reps
    return _arr.tile(x, reps)


def repeat(x, repeats, axis=None) -> Tensor:
    """Each element (each slice along ``axis``) repeated ``repeats`` times; ``axis=None``
    repeats the flattened elements.

    Examples
    --------
    >>> repeat([1, 2], 2).numpy()
    array([1, 1, 2, 2], dtype=int32)
    """
    x = _t(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = int(axis) % builtins.max(x.ndim, 1)
    counts = repeats.data if isinstance(repeats, Tensor) else repeats
    index = np.repeat(np.arange(x.data.shape[axis]), counts)
    return _arr.gather(x, index, axis=axis)


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (promoted to one dtype); with
    ``condition`` alone, the indices of its non-zero elements, one int32 tensor per axis.

    Examples
    --------
    >>> where([True, False], 1.0, 0).numpy()
    array([1., 0.], dtype=float32)
    """
    cond = _as(condition, "bool", "condition")
    if x1 is None and x2 is None:
        return [_const(i, np.int32) for i in np.nonzero(cond.data)]
    if x1 is None or x2 is None:
        raise ValueError(
            "`x1` and `x2` either both should be `None` or both should have non-None value. "
            f"Received: x1={x1!r}, x2={x2!r}"
        )
    x1, x2 = _promote(x1, x2)
    return _arr.where(cond, x1, x2)


def _indices(indices, name: str = "indices") -> np.ndarray:
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"Expected `{name}` to hold integers. Received: {name} of dtype {idx.dtype.name}."
        )
    return idx


def take(x, indices, axis=None) -> Tensor:
    """The elements (slices along ``axis``) at ``indices``; negative indices count from the
    end; ``axis=None`` indexes the flattened tensor.

    Examples
    --------
    >>> take([[1.0, 2.0], [3.0, 4.0]], [-1, 0], axis=1).numpy()
    array([[2., 1.],
           [4., 3.]], dtype=float32)
    """
    x = _t(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = int(axis) % builtins.max(x.ndim, 1)
    idx = _indices(indices)
    n = x.data.shape[axis]
    idx = np.where(idx < 0, idx + n, idx)
    return _arr.gather(x, idx, axis=axis)


def take_along_axis(x, indices, axis=None) -> Tensor:
    """Elements picked along ``axis`` by ``indices`` of the same rank (NumPy's
    ``take_along_axis``; ``axis=None`` works on the flattened tensor): one gather on the
    flattened values, so the gradient flows back to each picked element."""
    x = _t(x)
    idx = _indices(indices)
    if axis is None:
        x, axis, idx = reshape(x, (-1,)), 0, idx.reshape(-1)
    axis = int(axis) % builtins.max(x.ndim, 1)
    n = x.data.shape[axis]
    idx = np.where(idx < 0, idx + n, idx)
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: `indices` must have the rank of `x` ({x.ndim}). Received: "
            f"indices of shape {idx.shape}."
        )
    shape = np.broadcast_shapes(
        tuple(1 if i == axis else d for i, d in enumerate(x.data.shape)),
        tuple(1 if i == axis else d for i, d in enumerate(idx.shape)),
    )
    x_shape = shape[:axis] + (n,) + shape[axis + 1 :]
    idx_shape = shape[:axis] + (idx.shape[axis],) + shape[axis + 1 :]
    if x_shape != x.data.shape:
        x = _arr.tile(x, [t // s for t, s in zip(x_shape, x.data.shape)])
    idx = np.broadcast_to(idx, idx_shape)
    grid = list(np.indices(idx_shape, sparse=True))
    grid[axis] = idx
    flat = np.ravel_multi_index(tuple(grid), x_shape, mode="raise")
    return reshape(_arr.gather(reshape(x, (-1,)), flat.reshape(-1)), idx_shape)


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the largest value along ``axis`` (of the flattened tensor when None), int32.

    Examples
    --------
    >>> argmax([[1.0, 5.0], [7.0, 2.0]])
    <tf.Tensor: shape=(), dtype=int32, numpy=2>
    """
    data = _t(x).data
    return _const(np.argmax(data, axis=_arr._int_axis(axis) if axis is not None else None,
                            keepdims=keepdims), np.int32)  # fmt: skip


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value along ``axis`` (of the flattened tensor when None), int32."""
    data = _t(x).data
    return _const(np.argmin(data, axis=_arr._int_axis(axis) if axis is not None else None,
                            keepdims=keepdims), np.int32)  # fmt: skip


def argsort(x, axis: int = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable), int32."""
    data = _t(x).data
    if axis is None:
        data, axis = data.reshape(-1), 0
    return _const(np.argsort(data, axis=int(axis), kind="stable"), np.int32)


def sort(x, axis: int = -1) -> Tensor:
    """``x`` sorted along ``axis``; the gradient goes back to each element's old place."""
    x = _t(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if x.ndim == 0:
        return x
    order = np.argsort(x.data, axis=int(axis), kind="stable")
    return take_along_axis(x, order, axis=int(axis))


def one_hot(x, num_classes, axis: int = -1, dtype=None, sparse: bool = False) -> Tensor:
    """One-hot rows of length ``num_classes`` along a new ``axis`` (float32 by default);
    an index outside ``[0, num_classes)`` gives a row of zeros."""
    if sparse:
        raise ValueError("Sparse tensors are not supported: pass sparse=False.")
    return _arr.one_hot(_indices(x, "x"), num_classes, axis=axis,
                        dtype=dtype or backend.floatx())  # fmt: skip


# ---------------------------------------------------------------- dtypes, creation


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return _arr.cast(_t(x), dtype)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """``x`` as a Tensor (Python floats become float32, ints int32); with ``dtype``, cast
    to it (Keras casts a tensor of another dtype, where ``tf.convert_to_tensor`` refuses)."""
    if dtype is None:
        return _t(x)
    name = dtypes.as_dtype(dtype).name
    if isinstance(x, Tensor):
        return _as(x, name)
    return Tensor._from_op(to_array(x, name), None)


def dtype(x) -> str:
    """The dtype name of ``x`` as Keras 3 gives it, after its conversion rules (Python
    floats float32, ints int32).

    >>> dtype(ones((2,), dtype="int32")), dtype(1.5), dtype(np.zeros(2))
    ('int32', 'float32', 'float64')
    """
    return _t(x).data.dtype.name


def convert_to_numpy(x) -> np.ndarray:
    """The values as a NumPy array (a copy).

    Examples
    --------
    >>> convert_to_numpy(ones((2,)))
    array([1., 1.], dtype=float32)
    """
    return np.array(_t(x).data)


def stop_gradient(variable) -> Tensor:
    """The same values, seen as a constant by every tape."""
    return Tensor._from_op(_t(variable, "variable").data, None)


def _shape_arg(value) -> tuple:
    if isinstance(value, Tensor):
        value = value.data
    try:
        dims = tuple(int(d) for d in np.atleast_1d(np.asarray(value, dtype=object)).tolist())
    except (TypeError, ValueError):
        dims = None
    if dims is None or builtins.any(d < 0 for d in dims):
        raise ValueError(
            f"Expected `shape` to be an int or a tuple of non-negative ints. Received: "
            f"shape={value!r}"
        )
    return dims


def _dtype_or_floatx(dtype) -> np.dtype:
    return dtypes.as_dtype(dtype or backend.floatx()).dtype


def zeros(shape, dtype=None) -> Tensor:
    """Zeros of ``shape`` (float32 by default)."""
    return _const(np.zeros(_shape_arg(shape), _dtype_or_floatx(dtype)))


def ones(shape, dtype=None) -> Tensor:
    """Ones of ``shape`` (float32 by default).

    Examples
    --------
    >>> ones((2, 2)).shape
    TensorShape([2, 2])
    """
    return _const(np.ones(_shape_arg(shape), _dtype_or_floatx(dtype)))


def full(shape, fill_value, dtype=None) -> Tensor:
    """``fill_value`` repeated over ``shape``; float32 unless ``dtype`` says otherwise."""
    value = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return _const(np.full(_shape_arg(shape), value, _dtype_or_floatx(dtype)))


def _like(x, value, dtype) -> Tensor:
    data = _t(x).data
    out = data.dtype if dtype is None else dtypes.as_dtype(dtype).dtype
    return _const(np.full(data.shape, value, out))


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros of ``x``'s shape and dtype (or ``dtype``)."""
    return _like(x, 0, dtype)


def ones_like(x, dtype=None) -> Tensor:
    """Ones of ``x``'s shape and dtype (or ``dtype``)."""
    return _like(x, 1, dtype)


def full_like(x, fill_value, dtype=None) -> Tensor:
    """``fill_value`` over ``x``'s shape, in ``x``'s dtype (or ``dtype``): a float value in an
    integer tensor is truncated."""
    value = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return _like(x, value, dtype)


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` with one argument); int32
    from integers, float32 when any bound or the step is a float.

    Examples
    --------
    >>> arange(3)
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([0, 1, 2], dtype=int32)>
    >>> arange(0, 1, 0.5).numpy()
    array([0. , 0.5], dtype=float32)
    """
    parts = [start, step] if stop is None else [start, stop, step]
    values = [p.data if isinstance(p, Tensor) else p for p in parts]
    if dtype is None:
        dtype = result_type(*values)
    if step == 0:
        raise ValueError("arange: `step` must not be 0. Received: step=0")
    lo, hi = (0, start) if stop is None else (start, stop)
    lo, hi, st = (v.data if isinstance(v, Tensor) else v for v in (lo, hi, step))
    return _const(np.arange(lo, hi, st).astype(dtypes.as_dtype(dtype).dtype))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):  # fmt: skip
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless
    ``endpoint=False``), float32 by default; with ``retstep``, also the spacing.

    Examples
    --------
    >>> linspace(0, 1, 5).numpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    start = start.data if isinstance(start, Tensor) else start
    stop = stop.data if isinstance(stop, Tensor) else stop
    if dtype is None:
        dtype = result_type(start, stop, float)
    out = dtypes.as_dtype(dtype).dtype
    values, spacing = np.linspace(start, stop, int(num), endpoint=endpoint, retstep=True,
                                  axis=axis)  # fmt: skip
    values = _const(values, out)  # to integers by truncation, as TensorFlow's cast
    if retstep:
        return values, _const(np.asarray(spacing, np.float32 if out.kind != "f" else out))
    return values


def eye(N, M=None, k: int = 0, dtype=None) -> Tensor:  # noqa: N803  (Keras's names)
    """An ``N x M`` matrix with ones on the ``k``-th diagonal (float32 by default)."""
    return _const(np.eye(int(N), None if M is None else int(M), int(k), _dtype_or_floatx(dtype)))


def identity(n, dtype=None) -> Tensor:
    """The ``n x n`` identity matrix (float32 by default)."""
    return eye(n, dtype=dtype)


# ----------------------------------------------------------------------- activations


def relu(x) -> Tensor:
    """``max(x, 0)``; integers stay integers."""
    return _act.relu(_no_bool(_t(x), "relu"))


def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``; integers stay integers."""
    return _act.relu6(_no_bool(_t(x), "relu6"))


def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))`` of a float tensor."""
    return _act.sigmoid(_floats_only(x, "Sigmoid"))


def tanh(x) -> Tensor:
    """Hyperbolic tangent; integers give float32."""
    return _act.tanh(_float(x))


def softplus(x) -> Tensor:
    """``log(1 + exp(x))`` of a float tensor, without overflow."""
    return _act.softplus(_floats_only(x, "Softplus"))


def _over_axis(fn, x, axis, op: str) -> Tensor:
    x = _floats_only(x, op)
    if axis is None:
        return reshape(fn(reshape(x, (-1,)), axis=-1), tuple(x.data.shape))
    if isinstance(axis, (tuple, list)):
        raise ValueError(f"{op} takes one axis or None. Received: axis={axis!r}")
    return fn(x, axis=int(axis))


def softmax(x, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (over all elements when None).

    Examples
    --------
    >>> softmax([0.0, 0.0]).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    return _over_axis(_act.softmax, x, axis, "Softmax")


def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis`` (over all elements when None)."""
    return _over_axis(_act.log_softmax, x, axis, "LogSoftmax")


def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return _act.elu(_floats_only(x, "Elu"), alpha=alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x) -> Tensor:
    """``scale * elu(x, alpha)`` with SELU's fixed constants (Klambauer et al., 2017)."""
    x = _floats_only(x, "Selu")
    return _act.elu(x, alpha=_SELU_ALPHA) * _SELU_SCALE


def silu(x) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    x = _floats_only(x, "Silu")
    return x * _act.sigmoid(x)


swish = silu


def gelu(x, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)``, with Phi the normal CDF, or its tanh
    approximation (the default, as in Keras).

    Examples
    --------
    >>> gelu([1.0]).numpy()
    array([0.841192], dtype=float32)
    """
    x = _t(x)
    if x.data.dtype.kind != "f":
        raise ValueError(
            f"gelu needs a floating-point tensor. Received: x of dtype {x.dtype.name}."
        )
    if approximate:
        inner = (x + x * x * x * 0.044715) * np.sqrt(2 / np.pi)
        return x * (_act.tanh(inner) + 1.0) * 0.5
    return x * (Erf.apply(x * (1 / np.sqrt(2))) + 1.0) * 0.5


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise; integers give float32."""
    return _act.leaky_relu(_float(_no_bool(_t(x), "leaky_relu")), negative_slope=negative_slope)


# -------------------------------------------------------------------- cross-entropies


def _same_shape(target: Tensor, output: Tensor) -> None:
    if target.data.shape != output.data.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(target.data.shape)}, output.shape={tuple(output.data.shape)}"
        )


def _logits_of(output: Tensor, name: str):
    """The logits behind ``output`` if a softmax or sigmoid produced it (Keras takes them:
    a stable loss and the short gradient), else None."""
    source = output.activation_source()
    return source if source is not None and source.name == name else None


def categorical_crossentropy(target, output, from_logits: bool = False, axis: int = -1):
    """``-sum(target * log(p))`` along ``axis`` per sample. ``output`` is probabilities
    (rescaled to sum 1 and clipped to ``[eps, 1 - eps]``, as Keras does) or, with
    ``from_logits=True``, logits; a softmax's output is traced back to its logits.

    Examples
    --------
    >>> categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    output = _float(output, "output")
    target = _as(target, output.data.dtype.name, "target")
    if output.ndim < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: {output!r}")
    _same_shape(target, output)
    source = _logits_of(output, "softmax")
    if source is not None and source.axis % output.ndim == axis % output.ndim:
        output, from_logits = source.logits, True
    last = axis in (-1, output.ndim - 1)
    if from_logits:
        if last:
            return _loss.softmax_cross_entropy(output, target.data)
        return negative(sum(target * _act.log_softmax(output, axis=axis), axis=axis))
    if last:
        return _loss.categorical_cross_entropy(output, target.data)
    eps = backend.epsilon()
    probs = output / sum(output, axis=axis, keepdims=True)
    return negative(sum(target * log(_arr.clip_by_value(probs, eps, 1 - eps)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits: bool = False, axis: int = -1):
    """Cross-entropy with integer class labels ``target`` (shape ``output.shape[:-1]``, or
    with a last axis of 1); ``output`` probabilities (clipped) or logits.

    Examples
    --------
    >>> sparse_categorical_crossentropy([1], [[0.0, 0.0]], from_logits=True).numpy()
    array([0.6931472], dtype=float32)
    """
    output = _float(output, "output")
    if axis not in (-1, output.ndim - 1):
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    labels = _t(target, "target").data
    if labels.ndim == output.ndim and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    if labels.shape != output.data.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last "
            f"dimension: target.shape={labels.shape}, output.shape={tuple(output.data.shape)}"
        )
    classes = output.data.shape[-1]
    labels = labels.astype(np.int64)
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        raise InvalidArgumentError(
            f"Received a label value of {int(labels[bad][0])} which is outside the valid range "
            f"of [0, {classes}). Label values: {labels.reshape(-1).tolist()}"
        )
    source = _logits_of(output, "softmax")
    if source is not None and source.axis in (-1, output.ndim - 1):
        output, from_logits = source.logits, True
    if not from_logits:
        eps = backend.epsilon()
        output = log(_arr.clip_by_value(output, eps, 1 - eps))
    return _loss.sparse_softmax_cross_entropy(output, labels)


def binary_crossentropy(target, output, from_logits: bool = False) -> Tensor:
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``, with ``p`` clipped to
    ``[eps, 1 - eps]``, or from logits ``max(x, 0) - x t + log(1 + exp(-|x|))``; a sigmoid's
    output is traced back to its logits. No mean is taken (``keras.losses`` takes it).

    Examples
    --------
    >>> binary_crossentropy([1.0, 0.0], [0.5, 0.5]).numpy()
    array([0.6931472, 0.6931472], dtype=float32)
    """
    output = _float(output, "output")
    target = _as(target, output.data.dtype.name, "target")
    _same_shape(target, output)
    source = _logits_of(output, "sigmoid")
    if source is not None:
        output, from_logits = source.logits, True
    if from_logits:
        return _act.relu(output) - output * target + Log1p.apply(_m.exp(-_m.abs(output)))
    eps = backend.epsilon()
    p = _arr.clip_by_value(output, eps, 1 - eps)
    return -(target * _m.log(p) + (1 - target) * _m.log(1 - p))
