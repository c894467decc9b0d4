"""The one process-wide side effect on memory: glibc's malloc keeps freed blocks for reuse.

A training step allocates the same large temporaries every time (activations, im2col
rows, gradients). By default glibc returns such blocks to the OS when they are freed
(they are above its mmap threshold), and the kernel must zero-fill fresh pages on the next
step: measured here, that was over half the time of a CNN training step (seed 002's CNN
before convolution and pooling were fused: 28 s/epoch without this, 13 s with it).
``Model.fit``, ``evaluate`` and ``predict`` call :func:`keep_freed_memory` once per
process; the cost is that the process keeps its peak memory reserved until it exits.
``NEUROFLOW_KEEP_FREED_MEMORY=0`` opts out. Away from glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_applied: bool | None = None  # None: not tried yet


def keep_freed_memory() -> bool:
    """Raises glibc's mmap and trim thresholds (once per process) so freed blocks are reused.

    Returns whether the setting is in force.
    """
    global _applied
    if _applied is None:
        _applied = os.environ.get("NEUROFLOW_KEEP_FREED_MEMORY") != "0" and _mallopt()
    return _applied


def _mallopt() -> bool:
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
