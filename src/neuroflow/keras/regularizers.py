"""Keras-compatible re-export of :mod:`neuroflow.regularizers` (no logic here)."""

import sys

from neuroflow import regularizers as _module

sys.modules[__name__] = _module
