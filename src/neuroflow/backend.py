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


def floatx() -> str:
    """The default float type, as in Keras."""
    return "float32"


def epsilon() -> float:
    """The fuzz factor used to clip probabilities, as in Keras."""
    return 1e-7


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
