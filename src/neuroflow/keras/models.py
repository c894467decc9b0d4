"""Keras-compatible re-export of :mod:`neuroflow.models` and ``load_model`` (no logic here)."""

from neuroflow.io import load_model  # noqa: F401
from neuroflow.models import *  # noqa: F403
from neuroflow.models import __all__ as _models_all

__all__ = [*_models_all, "load_model"]
