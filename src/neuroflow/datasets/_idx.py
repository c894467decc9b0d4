"""Reading the IDX files that MNIST and Fashion-MNIST ship as."""

from __future__ import annotations

import gzip

import numpy as np

_DIMS = {0x0801: 1, 0x0803: 3}  # unsigned-byte labels, unsigned-byte images


def decode_idx(raw: bytes, source: str) -> np.ndarray:
    """Parses IDX bytes (header: magic, then one big-endian uint32 per dimension)."""
    if len(raw) < 8:
        raise ValueError(f"{source} is not an IDX file: only {len(raw)} bytes.")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _DIMS:
        raise ValueError(f"{source} is not an unsigned-byte IDX file (magic number {magic:#x}).")
    ndim = _DIMS[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(
            f"{source} is truncated or corrupted: {len(raw)} bytes, expected {expected} for "
            f"shape {shape}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_bytes(path) -> bytes:
    """File contents, decompressed when the name ends in ``.gz``."""
    path = str(path)
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()
