"""Keras-compatible ``keras.saving`` (re-exports only)."""

from neuroflow.io.custom_objects import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from neuroflow.io.saving import load_model, load_weights, save_model, save_weights  # noqa: F401

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object",
]  # fmt: skip
