"""Keras-compatible re-export of :mod:`neuroflow.initializers` (no logic here)."""

import sys

from neuroflow import initializers as _module

sys.modules[__name__] = _module
