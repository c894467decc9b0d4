"""Random tensors in TensorFlow's spelling: normal, truncated_normal, uniform, shuffle and
set_seed, drawn from the library's generator (:func:`neuroflow.backend.rng`).

Seeds follow TensorFlow's rules: :func:`set_seed` fixes the global seed (the same as
:func:`neuroflow.backend.set_random_seed`, so it also fixes initial weights, dropout and
shuffles); an op's ``seed=`` selects its own sequence, derived from the global seed and the
op seed, so repeated calls with one op seed give different values, and the whole series
repeats after the next ``set_seed``. None of these functions records on the tape.
"""

from __future__ import annotations

import numpy as np

from neuroflow import backend, dtypes
from neuroflow.errors import InvalidArgumentError
from neuroflow.ops.creation import _shape
from neuroflow.tensor import Tensor, to_array

__all__ = ["normal", "set_seed", "shuffle", "truncated_normal", "uniform"]

_op_generators: dict = {}  # (id of the global generator, op seed) -> (global, op generator)


def set_seed(seed) -> None:
    """Sets the global random seed (TensorFlow's ``tf.random.set_seed``): every random op,
    weight initializer, dropout mask and shuffle repeats from here.

    Examples
    --------
    >>> set_seed(3); a = uniform((2,))
    >>> set_seed(3); b = uniform((2,))
    >>> bool((a.numpy() == b.numpy()).all())
    True
    """
    backend.set_random_seed(seed)


def _generator(seed) -> np.random.Generator:
    base = backend.rng()
    if seed is None:
        return base
    key = (id(base), int(seed))
    found = _op_generators.get(key)
    if found is None:
        seed_seq = getattr(base.bit_generator, "seed_seq", None)
        entropy = getattr(seed_seq, "entropy", None) or 0
        # the global generator is kept in the entry, so its id is not reused while stored
        found = _op_generators[key] = (base, np.random.default_rng([int(seed), int(entropy)]))
    return found[1]


_FLOATS = ("float16", "float32", "float64")


def _dtype(dtype, allowed, op: str) -> np.dtype:
    dt = dtypes.as_dtype(dtype)
    if dt.name not in allowed:
        # TensorFlow: a TypeError for normal's integer dtypes, a ValueError otherwise
        error = TypeError if op != "uniform" and dt.is_integer else ValueError
        raise error(
            f"Argument `dtype` got invalid value {dt}. Accepted dtypes are "
            f"({', '.join('tf.' + a for a in allowed)}) for {op}."
        )
    return dt.dtype


def _scalar(value, dtype):
    return to_array(value.data if isinstance(value, Tensor) else value, dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None) -> Tensor:
    """Samples of a normal distribution (TensorFlow's ``tf.random.normal``).

    Examples
    --------
    >>> normal((2, 3), stddev=0.1).shape
    TensorShape([2, 3])
    """
    dt = _dtype(dtype, _FLOATS, "normal")
    mean, stddev = _scalar(mean, dt), _scalar(stddev, dt)
    draw = _generator(seed).standard_normal(_shape(shape), dtype=np.float64)
    return Tensor._from_op((draw * stddev + mean).astype(dt), None)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    """Normal samples redrawn until within two standard deviations of the mean
    (TensorFlow's ``tf.random.truncated_normal``)."""
    dt = _dtype(dtype, _FLOATS, "truncated_normal")
    mean, stddev = _scalar(mean, dt), _scalar(stddev, dt)
    draw = backend.truncated_standard_normal(_generator(seed), _shape(shape))
    return Tensor._from_op((draw * stddev + mean).astype(dt), None)


def uniform(shape, minval=0, maxval=None, dtype="float32", seed=None, name=None) -> Tensor:
    """Samples of a uniform distribution on ``[minval, maxval)`` (TensorFlow's
    ``tf.random.uniform``): floats on ``[0, 1)`` by default; for an integer ``dtype``,
    ``maxval`` is required.

    Examples
    --------
    >>> x = uniform((4,), minval=2, maxval=5, dtype="int32")
    >>> x.dtype, bool(((x.numpy() >= 2) & (x.numpy() < 5)).all())
    (tf.int32, True)
    """
    dt = _dtype(dtype, _FLOATS + ("int32", "int64"), "uniform")
    shape = _shape(shape)
    gen = _generator(seed)
    if dt.kind == "f":
        low, high = _scalar(minval, dt), _scalar(1 if maxval is None else maxval, dt)
        draw = gen.random(shape) * (high.astype(np.float64) - low) + low
        return Tensor._from_op(draw.astype(dt), None)
    if maxval is None:
        raise ValueError(f"Must specify maxval for integer dtype {dtypes.as_dtype(dt)!r}")
    low, high = _scalar(minval, dt), _scalar(maxval, dt)
    if np.any(low >= high):
        raise InvalidArgumentError(
            f"Need minval < maxval, got {low} >= {high} [Op:RandomUniformInt]"
        )
    return Tensor._from_op(gen.integers(low, high, size=shape, dtype=dt), None)


def shuffle(value, seed=None, name=None) -> Tensor:
    """``value`` with its first axis in a random order (TensorFlow's ``tf.random.shuffle``).

    Examples
    --------
    >>> sorted(shuffle([1, 2, 3]).numpy().tolist())
    [1, 2, 3]
    """
    data = value.data if isinstance(value, Tensor) else to_array(value)
    if data.ndim == 0:
        return Tensor._from_op(data.copy(), None)
    return Tensor._from_op(data[_generator(seed).permutation(len(data))], None)
