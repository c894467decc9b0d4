"""Keras layers built from :mod:`neuroflow.ops`."""

from neuroflow.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from neuroflow.layers.base import Layer
from neuroflow.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    KerasTensor,
    Reshape,
)

__all__ = [
    "ELU", "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "KerasTensor",
    "Layer", "LeakyReLU", "ReLU", "Reshape", "Softmax",
]  # fmt: skip
