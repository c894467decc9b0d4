"""Keras-compatible re-export of :mod:`neuroflow.layers` (no logic here), with Keras 3's
``keras.layers.serialize`` / ``deserialize`` (:mod:`neuroflow.io.custom_objects`)."""

from neuroflow.io.custom_objects import deserialize_keras_object as deserialize
from neuroflow.io.custom_objects import serialize_keras_object as serialize
from neuroflow.layers import *  # noqa: F403
from neuroflow.layers import __all__ as _layers_all

__all__ = [*_layers_all, "deserialize", "serialize"]
