"""Keras layers built from :mod:`neuroflow.ops`."""

from neuroflow.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from neuroflow.layers.base import Layer
from neuroflow.layers.conv import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose
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
from neuroflow.layers.embedding import Embedding, Masking
from neuroflow.layers.image_preprocessing import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from neuroflow.layers.lambda_layer import Identity, Lambda
from neuroflow.layers.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from neuroflow.layers.maxout import Maxout
from neuroflow.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from neuroflow.layers.noise import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from neuroflow.layers.normalization import BatchNormalization, LayerNormalization
from neuroflow.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from neuroflow.layers.preprocessing import Normalization, Rescaling
from neuroflow.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from neuroflow.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from neuroflow.layers.text import TextVectorization
from neuroflow.layers.wrappers import Bidirectional, TimeDistributed

Convolution1D, Convolution2D = Conv1D, Conv2D  # Keras's aliases
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose

__all__ = [
    "ELU", "Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
    "Conv1D", "Conv2D", "Convolution1D", "Convolution2D", "Dense", "Dropout", "Flatten",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Input", "InputLayer", "KerasTensor",
    "Layer", "LeakyReLU", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D", "ReLU",
    "Reshape", "Softmax",
    "BatchNormalization", "LayerNormalization", "Normalization", "Rescaling",
    "Add", "Average", "Concatenate", "Conv1DTranspose", "Conv2DTranspose",
    "Convolution1DTranspose", "Convolution2DTranspose", "Cropping1D", "Cropping2D", "Dot",
    "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D", "Identity",
    "Lambda", "Maximum", "Minimum", "Multiply", "Permute", "RepeatVector", "SpatialDropout1D",
    "SpatialDropout2D", "Subtract", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
    "ZeroPadding2D",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
    "Embedding", "Masking",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell", "StackedRNNCells",
    "Bidirectional", "TimeDistributed",
    "Maxout",
    "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
    "RandomRotation", "RandomTranslation", "RandomZoom", "Resizing",
    "CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup", "TextVectorization",
]  # fmt: skip


def layer_classes() -> dict:
    """Every layer class by name: the registry that deserialization looks names up in.

    Lambda is left out: its config describes code, which is never rebuilt from a file.
    """
    names = [
        n
        for n in __all__
        if n[0].isupper() and n not in ("Input", "KerasTensor", "Layer", "Lambda")
    ]
    return {n: globals()[n] for n in names}


def deserialize(spec: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}`` (what ``get_config`` describes).

    Only this library's layer classes are looked up; nothing is imported by name.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Expected {{'class_name': str, 'config': dict}}. Received: {spec!r}")
    classes = layer_classes()
    name = spec["class_name"]
    if name not in classes:
        raise ValueError(f"Unknown layer class '{name}' (known: {', '.join(sorted(classes))}).")
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"The config of a {name} layer must be a dict. Received: {config!r}")
    return classes[name].from_config(dict(config))
