"""Keras-compatible re-export of :mod:`neuroflow.utils` (no logic here)."""

from neuroflow.utils import *  # noqa: F403
from neuroflow.utils import __all__  # noqa: F401
