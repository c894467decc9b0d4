"""Keras-compatible re-export of :mod:`neuroflow.layers` (no logic here)."""

from neuroflow.layers import *  # noqa: F403
from neuroflow.layers import __all__  # noqa: F401
