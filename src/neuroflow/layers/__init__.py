"""Keras layers built from :mod:`neuroflow.ops`."""

from neuroflow.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from neuroflow.layers.base import Layer
from neuroflow.layers.conv import Conv1D, Conv2D
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
from neuroflow.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)

Convolution1D, Convolution2D = Conv1D, Conv2D  # Keras's aliases

__all__ = [
    "ELU", "Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
    "Conv1D", "Conv2D", "Convolution1D", "Convolution2D", "Dense", "Dropout", "Flatten",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Input", "InputLayer", "KerasTensor",
    "Layer", "LeakyReLU", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D", "ReLU",
    "Reshape", "Softmax",
]  # fmt: skip
