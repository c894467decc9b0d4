"""Keras-compatible re-export of :mod:`neuroflow.optimizers` (no logic here)."""

import sys

from neuroflow import optimizers as _module
from neuroflow import schedules as _schedules

sys.modules[f"{__name__}.schedules"] = _schedules  # keras.optimizers.schedules.X imports
sys.modules[__name__] = _module
