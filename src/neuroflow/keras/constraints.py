"""Keras-compatible re-export of :mod:`neuroflow.constraints` (no logic here)."""

import sys

from neuroflow import constraints as _module

sys.modules[__name__] = _module
