"""Keras-compatible re-export of :mod:`neuroflow.datasets` (no logic here)."""

from neuroflow.datasets import fashion_mnist, mnist  # noqa: F401
