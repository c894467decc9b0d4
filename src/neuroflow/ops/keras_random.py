"""Keras 3's ``keras.random``: random tensors drawn with a ``seed`` that is an int, a
:class:`SeedGenerator` or None, as Keras takes it.

- ``seed=None`` draws from the library's generator (``neuroflow.utils.set_random_seed``
  fixes it);
- an int seed gives the same values at every call (Keras's stateless draw);
- a :class:`SeedGenerator` gives new values at every call, the same sequence for the same
  starting seed.

The values come from NumPy's generator, so they differ from TensorFlow's for the same seed;
their distributions, shapes and dtypes are Keras's. ``dropout`` and ``shuffle`` are recorded
on the tape (the mask and the permutation are constants).
"""

from __future__ import annotations

import numpy as np

from neuroflow import backend, dtypes
from neuroflow.ops import array as _arr
from neuroflow.ops import math as _m
from neuroflow.tensor import Tensor, Variable

__all__ = [
    "SeedGenerator", "dropout", "normal", "randint", "shuffle", "truncated_normal", "uniform",
]  # fmt: skip


class SeedGenerator:
    """A seed that changes at each draw (Keras's ``keras.random.SeedGenerator``).

    Parameters
    ----------
    seed : int, optional
        The starting seed; None picks one from the library's generator.
    name : str, optional
        Accepted for Keras's signature.

    Examples
    --------
    >>> gen = SeedGenerator(1337)
    >>> a, b = normal((2,), seed=gen), normal((2,), seed=gen)
    >>> bool((a.numpy() != b.numpy()).all())
    True
    >>> again = SeedGenerator(1337)
    >>> bool((normal((2,), seed=again).numpy() == a.numpy()).all())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(backend.rng().integers(2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(
                f"Argument `seed` must be an integer. Received: seed={seed!r} "
                f"(of type {type(seed).__name__})."
            )
        self.name = name or backend.unique_name("seed_generator")
        # Keras keeps [seed, counter] in a non-trainable uint32 variable
        self.state = Variable(np.array([int(seed) % 2**32, 0], np.uint32), trainable=False,
                              name="seed_generator_state")  # fmt: skip

    def next(self, ordered: bool = True) -> Tensor:
        """The seed for the next draw (``[seed, counter]``), advancing the counter."""
        current = self.state.value()
        self.state.assign(current.data + np.array([0, 1], np.uint32))
        return current

    def _generator(self) -> np.random.Generator:
        return np.random.default_rng(self.next().data.tolist())

    def get_config(self) -> dict:
        return {"seed": int(self.state.data[0])}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _generator(seed) -> np.random.Generator:
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed._generator()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed!r} (of type {type(seed).__name__})"
    )


def _shape(shape) -> tuple:
    if isinstance(shape, Tensor):
        shape = shape.data
    dims = np.atleast_1d(np.asarray(shape)) if not isinstance(shape, tuple) else shape
    try:
        out = tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        out = None
    if out is None or any(d < 0 for d in out):
        raise ValueError(
            f"Expected `shape` to be a tuple of non-negative ints. Received: shape={shape!r}"
        )
    return out


def _float_dtype(dtype) -> np.dtype:
    out = dtypes.as_dtype(dtype or backend.floatx()).dtype
    if out.kind != "f":
        raise ValueError(
            f"This random function supports only floating-point dtypes. Received: dtype={dtype!r}"
        )
    return out


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Values from a normal distribution (float32 by default).

    Examples
    --------
    >>> normal((2, 3), seed=1).shape
    TensorShape([2, 3])
    """
    out = _float_dtype(dtype)
    values = _generator(seed).standard_normal(_shape(shape)) * stddev + mean
    return Tensor._from_op(values.astype(out), None)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Normal values, those more than two standard deviations from the mean drawn again."""
    out = _float_dtype(dtype)
    values = backend.truncated_standard_normal(_generator(seed), _shape(shape))
    return Tensor._from_op((values * stddev + mean).astype(out), None)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Values uniform in ``[minval, maxval)`` (float32 by default; floats only).

    Examples
    --------
    >>> x = uniform((100,), minval=2.0, maxval=3.0, seed=0).numpy()
    >>> bool(((x >= 2.0) & (x < 3.0)).all())
    True
    """
    out = _float_dtype(dtype)
    values = _generator(seed).random(_shape(shape)) * (maxval - minval) + minval
    return Tensor._from_op(values.astype(out), None)


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers uniform in ``[minval, maxval)`` (int32 by default).

    Examples
    --------
    >>> randint((3,), 0, 10, seed=0).dtype
    tf.int32
    """
    out = dtypes.as_dtype(dtype).dtype
    if out.kind not in "iu":
        raise ValueError(f"randint needs an integer dtype. Received: dtype={dtype!r}")
    if int(maxval) <= int(minval):
        raise ValueError(
            f"randint needs minval < maxval. Received: minval={minval!r}, maxval={maxval!r}"
        )
    values = _generator(seed).integers(int(minval), int(maxval), _shape(shape))
    return Tensor._from_op(values.astype(out), None)


def shuffle(x, axis: int = 0, seed=None) -> Tensor:
    """``x`` with its slices along ``axis`` in a random order (a gather: gradients follow).

    Examples
    --------
    >>> sorted(shuffle([1, 2, 3], seed=0).numpy().tolist())
    [1, 2, 3]
    """
    x = _m.as_tensor(x)
    axis = int(axis) % max(x.ndim, 1)
    order = _generator(seed).permutation(x.data.shape[axis])
    return _arr.gather(x, order, axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """Each element zeroed with probability ``rate``, the others scaled by
    ``1 / (1 - rate)``; ``noise_shape`` (broadcast to the input's shape) shares one draw
    along its axes of length 1.

    Examples
    --------
    >>> y = dropout(np.ones((4, 50), "float32"), 0.5, seed=1).numpy()
    >>> sorted(set(y.ravel().tolist()))
    [0.0, 2.0]
    """
    x = _m.as_tensor(inputs)
    rate = float(rate)
    if not 0 <= rate < 1:
        raise ValueError(f"Invalid value for argument `rate`: expected 0 <= rate < 1. "
                         f"Received: rate={rate}")  # fmt: skip
    if x.data.dtype.kind != "f":
        raise ValueError(f"dropout needs a floating-point input. Received: {x.dtype.name}")
    shape = x.data.shape if noise_shape is None else tuple(
        d if n is None else int(n) for n, d in zip(noise_shape, x.data.shape))  # fmt: skip
    keep = _generator(seed).random(shape) >= rate
    mask = np.broadcast_to(keep / np.asarray(1 - rate, x.data.dtype), x.data.shape)
    return _m.mul(x, Tensor._from_op(mask.astype(x.data.dtype), None))
