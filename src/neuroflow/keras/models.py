"""Keras-compatible re-export of :mod:`neuroflow.models` (no logic here)."""

from neuroflow.models import *  # noqa: F403
from neuroflow.models import __all__  # noqa: F401
