"""Keras-compatible re-export of :mod:`neuroflow.callbacks` (no logic here)."""

from neuroflow.callbacks import *  # noqa: F403
from neuroflow.callbacks import __all__  # noqa: F401
