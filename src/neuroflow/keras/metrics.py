"""Keras-compatible re-export of :mod:`neuroflow.metrics` (no logic here)."""

import sys

from neuroflow import metrics as _module

sys.modules[__name__] = _module
