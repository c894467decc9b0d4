"""Process-wide state: the random generator, layer-name counters, float type, epsilon."""

from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import os
import random as _pyrandom
import sys

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


_allocator_tuned = False


def keep_freed_memory() -> bool:
    """Asks glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates the same large temporaries every time (activations, im2col
    rows, gradients). By default glibc unmaps or trims such blocks when they are freed,
    and the kernel must zero-fill fresh pages on the next step: measured here, that was
    over half the time of a CNN training step. ``fit``, ``evaluate`` and ``predict`` call
    this once per process; the cost is that the process keeps its peak memory reserved
    until it exits. Set ``NEUROFLOW_KEEP_FREED_MEMORY=0`` to opt out. Returns whether the
    setting was applied (it is a no-op away from glibc).
    """
    global _allocator_tuned
    if _allocator_tuned or os.environ.get("NEUROFLOW_KEEP_FREED_MEMORY") == "0":
        return _allocator_tuned
    _allocator_tuned = True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    ok = mallopt(m_mmap_threshold, 256 << 20) == 1
    return mallopt(m_trim_threshold, 512 << 20) == 1 and ok
