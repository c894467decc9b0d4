"""Keras-compatible re-export of :mod:`neuroflow.backend` (no logic here)."""

from neuroflow.backend import (  # noqa: F401
    clear_session,
    count_params,
    epsilon,
    floatx,
    get_value,
    image_data_format,
    int_shape,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    set_random_seed,
    set_value,
)
from neuroflow.layers.node import is_keras_tensor  # noqa: F401
