"""Keras-compatible re-export of :mod:`neuroflow.losses` (no logic here)."""

import sys

from neuroflow import losses as _module

sys.modules[__name__] = _module
