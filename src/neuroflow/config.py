"""Process-wide switches a user may set: the fused fast paths and the BLAS threads.

>>> import neuroflow as nf
>>> nf.config.fusion_enabled()
True
>>> with nf.config.fusion(False):
...     nf.config.fusion_enabled()
False
"""

from __future__ import annotations

import contextlib
import os

# ------------------------------------------------------------------ fused fast paths
_fusion = os.environ.get("NEUROFLOW_FUSION", "1") != "0"


def fusion_enabled() -> bool:
    """Whether models may run neighbouring layers as one fused node (e.g. Conv2D + MaxPooling2D).

    The fused paths give the same values and gradients as the layers run one by one (up to
    float rounding); turning fusion off runs exactly the readable reference ops, which is
    what a learner reading ``neuroflow/ops`` sees. ``NEUROFLOW_FUSION=0`` turns it off at
    startup.
    """
    return _fusion


def set_fusion(enabled: bool) -> None:
    """Turns the fused fast paths on or off for the whole process."""
    global _fusion
    if not isinstance(enabled, bool):
        raise TypeError(f"Expected `enabled` to be True or False. Received: enabled={enabled!r}")
    _fusion = enabled


@contextlib.contextmanager
def fusion(enabled: bool):
    """``with config.fusion(False): ...`` runs the block with fusion on or off."""
    previous = _fusion
    set_fusion(enabled)
    try:
        yield
    finally:
        set_fusion(previous)


# ------------------------------------------------------------------------ BLAS threads
def set_num_threads(n) -> None:
    """Fixes how many threads the matrix products run on; ``None`` or ``"auto"`` restores
    the automatic choice (see :mod:`neuroflow.threads`: small products on one thread,
    never more threads than free cores).

    ``NEUROFLOW_NUM_THREADS=n`` does the same from the environment. A training process
    started beside others of its kind (a parallel search's workers) should use 1.

    >>> import neuroflow as nf
    >>> nf.config.set_num_threads(1)
    >>> nf.config.get_num_threads()
    1
    >>> nf.config.set_num_threads(None)
    """
    from neuroflow import threads

    threads.set_num_threads(n)


def get_num_threads() -> int:
    """The thread count large products use now (fixed, or the automatic one in force)."""
    from neuroflow import threads

    return threads.get_num_threads()
