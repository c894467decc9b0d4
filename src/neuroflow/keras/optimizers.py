"""Keras-compatible re-export of :mod:`neuroflow.optimizers` (no logic here)."""

import sys

from neuroflow import optimizers as _module

sys.modules[__name__] = _module
