"""``keras.ops`` (re-exports only, no logic here): Keras 3's backend-agnostic functions, from
:mod:`neuroflow.ops.numpy`, where Keras's dtype rules are applied over neuroflow's ops."""

from neuroflow.ops import numpy as _numpy
from neuroflow.ops.numpy import *  # noqa: F403
from neuroflow.tensor import is_tensor

__all__ = [*_numpy.__all__, "is_tensor"]
