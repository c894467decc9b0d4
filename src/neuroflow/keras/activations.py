"""Keras-compatible re-export of :mod:`neuroflow.activations` (no logic here)."""

import sys

from neuroflow import activations as _module

sys.modules[__name__] = _module
