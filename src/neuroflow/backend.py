"""Process-wide state: the random generator, layer-name counters, float type, epsilon.

The allocator setting lives in :mod:`neuroflow.allocator`, the BLAS threads in
:mod:`neuroflow.threads`, the user's switches in :mod:`neuroflow.config`.
"""

from __future__ import annotations

import collections
import contextlib
import random as _pyrandom

import numpy as np

_name_counts: collections.Counter = collections.Counter()
_rng = np.random.default_rng()
_epsilon = 1e-7
_image_data_format = "channels_last"


def floatx() -> str:
    """The default float type, as in Keras."""
    return "float32"


def set_floatx(value) -> None:
    """Keras's ``set_floatx``: neuroflow computes in float32, so that is the one value taken
    (anything else is a ValueError rather than a silent float32)."""
    name = getattr(value, "name", value)
    if str(name) != "float32":
        raise ValueError(
            "neuroflow computes in float32 only; `set_floatx` accepts 'float32'. "
            f"Received: value={value!r}"
        )


def epsilon() -> float:
    """The fuzz factor used to clip probabilities, as in Keras (1e-7 unless
    :func:`set_epsilon` changed it)."""
    return _epsilon


def set_epsilon(value) -> None:
    """Sets the fuzz factor :func:`epsilon` returns, as Keras's ``set_epsilon``.

    Examples
    --------
    >>> set_epsilon(1e-5); epsilon()
    1e-05
    >>> set_epsilon(1e-7)
    """
    global _epsilon
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not np.isfinite(number) or number <= 0:
        raise ValueError(f"Expected `value` to be a positive number. Received: value={value!r}")
    _epsilon = number


def image_data_format() -> str:
    """The ``data_format`` layers take when given none: ``"channels_last"`` unless
    :func:`set_image_data_format` changed it, as in Keras."""
    return _image_data_format


def set_image_data_format(data_format) -> None:
    """Sets the default ``data_format`` of the layers made afterwards, as Keras's
    ``set_image_data_format``."""
    global _image_data_format
    value = str(data_format).lower() if isinstance(data_format, str) else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    _image_data_format = value


# ------------------------------------------------- tf.keras 2's backend functions (legacy)
def get_value(x):
    """The value of a variable or tensor as a NumPy array (a number stays a number), as
    ``tf.keras.backend.get_value``."""
    if hasattr(x, "numpy"):
        return x.numpy()
    return x


def set_value(x, value) -> None:
    """Assigns ``value`` to the variable ``x``, as ``tf.keras.backend.set_value``
    (``set_value(model.optimizer.learning_rate, 1e-4)``: the rate is a variable)."""
    if not hasattr(x, "assign"):
        raise TypeError(
            "Expected `x` to be a variable (something with `assign`). Received: "
            f"x={x!r} of type {type(x).__name__}."
        )
    x.assign(value)


def int_shape(x):
    """The shape of ``x`` as a tuple of ints (None for an unknown axis), or None when ``x``
    has no shape, as ``tf.keras.backend.int_shape``."""
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(shape)


def count_params(x) -> int:
    """The number of elements of the variable ``x``, as ``tf.keras.backend.count_params``."""
    return int(np.prod(int_shape(x)))


def rng() -> np.random.Generator:
    """The generator behind initializers, dropout and shuffling."""
    return _rng


def truncated_standard_normal(generator: np.random.Generator, shape) -> np.ndarray:
    """Standard normal float64 samples, those beyond two standard deviations drawn again
    (what truncated-normal initializers and ``random.truncated_normal`` scale)."""
    values = generator.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values


def set_random_seed(seed: int) -> None:
    """Seeds every source of randomness the library uses (and Python's and NumPy's globals).

    The same seed gives the same initial weights, dropout masks and shuffles, bit for bit.
    """
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Expected `seed` to be a non-negative integer. Received: seed={seed!r}")
    _rng = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002 (user code may use the legacy global)
    _pyrandom.seed(int(seed))


@contextlib.contextmanager
def using_rng(generator: np.random.Generator):
    """Makes ``generator`` the source of randomness inside the ``with`` block.

    Estimators with a ``random_state`` build and train inside it, so they are
    reproducible without touching the global seed.
    """
    global _rng
    previous, _rng = _rng, generator
    try:
        yield generator
    finally:
        _rng = previous


def unique_name(base: str) -> str:
    """``dense``, ``dense_1``, ``dense_2``... as Keras names layers and models."""
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Resets the layer-name counters (Keras's ``clear_session``)."""
    _name_counts.clear()
