"""One or more small models per layer class, shared by the native-format and ONNX tests.

``CASES`` maps each class name of :func:`neuroflow.layers.layer_classes` (aliases share
their class's entry) to ``(make_layer, input shapes)`` variants; a multi-input layer has
a list of shapes. A layer class added to the registry without an entry here fails
``test_every_layer_class_has_a_case``-style checks in both test files.
"""

import numpy as np

import neuroflow as nf
from neuroflow.keras import layers as L

ONE = (4,)
SEQ = (7, 3)
IMG = (6, 5, 2)
PAIR = [(3, 4), (3, 4)]

CASES = {
    "Activation": [(lambda: L.Activation("tanh"), ONE), (lambda: L.Activation("softmax"), ONE)],
    "Add": [(L.Add, PAIR), (L.Add, [(3, 4)] * 3)],
    "Average": [(L.Average, PAIR)],
    "AveragePooling1D": [
        (lambda: L.AveragePooling1D(2), SEQ),
        (lambda: L.AveragePooling1D(3, strides=2, padding="same"), SEQ),
    ],
    "AveragePooling2D": [(lambda: L.AveragePooling2D(2, padding="same"), IMG)],
    "BatchNormalization": [
        (L.BatchNormalization, ONE),
        (lambda: L.BatchNormalization(axis=1, center=False, epsilon=0.01), SEQ),
    ],
    "Bidirectional": [
        (lambda: L.Bidirectional(L.LSTM(3)), SEQ),
        (lambda: L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode="sum"), SEQ),
        (lambda: L.Bidirectional(L.SimpleRNN(2), merge_mode="mul"), SEQ),
        (lambda: L.Bidirectional(L.GRU(2, reset_after=False), merge_mode="ave"), SEQ),
    ],
    "Concatenate": [
        (L.Concatenate, [(3, 2), (3, 5)]),
        (lambda: L.Concatenate(1), [(2, 3), (4, 3)]),
    ],
    "Conv1D": [
        (lambda: L.Conv1D(3, 3, dilation_rate=2), SEQ),
        (lambda: L.Conv1D(2, 3, strides=2, padding="same", activation="relu"), SEQ),
    ],
    "Conv1DTranspose": [
        (lambda: L.Conv1DTranspose(3, 3, strides=2), SEQ),
        (lambda: L.Conv1DTranspose(2, 4, strides=2, padding="same"), SEQ),
        (lambda: L.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1), SEQ),
    ],
    "Conv2D": [(lambda: L.Conv2D(3, 3, padding="same", activation="elu"), IMG)],
    "Conv2DTranspose": [
        (lambda: L.Conv2DTranspose(3, (3, 2), strides=(2, 1)), IMG),
        (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same"), IMG),
        (lambda: L.Conv2DTranspose(2, 2, strides=3, activation="sigmoid"), IMG),
        (lambda: L.Conv2DTranspose(2, 3, dilation_rate=2, padding="same"), IMG),
        (lambda: L.Conv2DTranspose(2, 3, strides=2, output_padding=1), IMG),
    ],
    "Cropping1D": [(lambda: L.Cropping1D((1, 2)), SEQ)],
    "Cropping2D": [(lambda: L.Cropping2D(((1, 0), (2, 1))), IMG)],
    "Dense": [(lambda: L.Dense(3, activation="softplus"), ONE), (lambda: L.Dense(2), SEQ)],
    "Dot": [
        (lambda: L.Dot(axes=1), [(5,), (5,)]),
        (lambda: L.Dot(axes=(1, 2), normalize=True), [(4, 3), (2, 4)]),
        (lambda: L.Dot(axes=-1), [(3, 4), (2, 4)]),
    ],
    "Dropout": [(lambda: L.Dropout(0.5), ONE)],
    "ELU": [(lambda: L.ELU(0.5), ONE)],
    "Embedding": [
        (lambda: L.Embedding(10, 3), (5,)),
        (lambda: L.Embedding(10, 4, mask_zero=True), (5,)),
    ],
    "Flatten": [(L.Flatten, IMG)],
    "GRU": [
        (lambda: L.GRU(3), SEQ),
        (lambda: L.GRU(2, reset_after=False, return_sequences=True, go_backwards=True), SEQ),
        (lambda: L.GRU(3, use_bias=False, activation="relu"), SEQ),
    ],
    "GaussianDropout": [(lambda: L.GaussianDropout(0.3), ONE)],
    "GaussianNoise": [(lambda: L.GaussianNoise(0.2), SEQ)],
    "GlobalAveragePooling1D": [
        (L.GlobalAveragePooling1D, SEQ),
        (lambda: L.GlobalAveragePooling1D(keepdims=True), SEQ),
    ],
    "GlobalAveragePooling2D": [(L.GlobalAveragePooling2D, IMG)],
    "GlobalMaxPooling1D": [(L.GlobalMaxPooling1D, SEQ)],
    "GlobalMaxPooling2D": [(lambda: L.GlobalMaxPooling2D(keepdims=True), IMG)],
    "Identity": [(L.Identity, SEQ)],
    "LSTM": [
        (lambda: L.LSTM(3), SEQ),
        (lambda: L.LSTM(2, return_sequences=True, dropout=0.2), SEQ),
        (lambda: L.LSTM(2, go_backwards=True, unit_forget_bias=False, activation="sigmoid"), SEQ),
    ],
    "LayerNormalization": [
        (L.LayerNormalization, ONE),
        (lambda: L.LayerNormalization(axis=[1, 2], epsilon=0.1), SEQ),
        (lambda: L.LayerNormalization(rms_scaling=True, center=False), SEQ),
    ],
    "LeakyReLU": [(lambda: L.LeakyReLU(0.1), ONE)],
    "MaxPooling1D": [(lambda: L.MaxPooling1D(2, padding="same"), SEQ)],
    "MaxPooling2D": [(lambda: L.MaxPooling2D((2, 3), strides=1), IMG)],
    "Masking": [(L.Masking, SEQ), (lambda: L.Masking(mask_value=-1.0), SEQ)],
    "Maximum": [(L.Maximum, PAIR)],
    "Maxout": [(lambda: L.Maxout(2), ONE), (lambda: L.Maxout(3, axis=1), IMG)],
    "Minimum": [(L.Minimum, PAIR)],
    "Multiply": [(L.Multiply, PAIR)],
    "Normalization": [
        (L.Normalization, SEQ),  # adapt's statistics are weights: randomized below
        (lambda: L.Normalization(mean=[0.5, 1.0, -1.0], variance=[4.0, 0.25, 1.0]), SEQ),
        (lambda: L.Normalization(axis=None, mean=0.5, variance=2.0, invert=True), ONE),
    ],
    "Permute": [(lambda: L.Permute((2, 1)), SEQ), (lambda: L.Permute((3, 1, 2)), IMG)],
    "RNN": [
        (lambda: L.RNN(L.LSTMCell(3), return_sequences=True), SEQ),
        (lambda: L.RNN(L.GRUCell(2, reset_after=False), go_backwards=True), SEQ),
        (lambda: L.RNN(L.SimpleRNNCell(2), zero_output_for_mask=True), SEQ),
        (lambda: L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_sequences=True), SEQ),
    ],
    "ReLU": [(L.ReLU, ONE), (lambda: L.ReLU(negative_slope=0.3), ONE)],
    "RepeatVector": [(lambda: L.RepeatVector(3), ONE)],
    "CenterCrop": [(lambda: L.CenterCrop(3, 4), IMG), (lambda: L.CenterCrop(8, 3), IMG)],
    "RandomBrightness": [(lambda: L.RandomBrightness(0.2, seed=1), IMG)],
    "RandomContrast": [(lambda: L.RandomContrast(0.2, value_range=(0, 1)), IMG)],
    "RandomCrop": [(lambda: L.RandomCrop(3, 4, seed=2), IMG), (lambda: L.RandomCrop(7, 3), IMG)],
    "RandomFlip": [(lambda: L.RandomFlip("horizontal", seed=1), IMG)],
    "RandomRotation": [(lambda: L.RandomRotation(0.2, fill_mode="constant"), IMG)],
    "RandomTranslation": [(lambda: L.RandomTranslation(0.1, (-0.2, 0.3), seed=3), IMG)],
    "RandomZoom": [(lambda: L.RandomZoom(0.1, interpolation="nearest"), IMG)],
    "Resizing": [
        (lambda: L.Resizing(4, 7), IMG),
        (lambda: L.Resizing(9, 3, interpolation="nearest", crop_to_aspect_ratio=True), IMG),
        (lambda: L.Resizing(3, 3, interpolation="bicubic"), IMG),
        (lambda: L.Resizing(4, 8, pad_to_aspect_ratio=True, fill_value=0.5), IMG),
    ],
    "Rescaling": [
        (lambda: L.Rescaling(1 / 255.0, offset=-1.0), ONE),
        (lambda: L.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 2.0]), SEQ),
    ],
    "Reshape": [(lambda: L.Reshape((2, -1)), IMG)],
    "SimpleRNN": [
        (lambda: L.SimpleRNN(3), SEQ),
        (lambda: L.SimpleRNN(2, activation="relu", return_sequences=True), SEQ),
    ],
    "Softmax": [(lambda: L.Softmax(axis=1), SEQ)],
    "SpatialDropout1D": [(lambda: L.SpatialDropout1D(0.5), SEQ)],
    "SpatialDropout2D": [(lambda: L.SpatialDropout2D(0.5), IMG)],
    "Subtract": [(L.Subtract, PAIR)],
    "TimeDistributed": [
        (lambda: L.TimeDistributed(L.Dense(3)), SEQ),
        (lambda: L.TimeDistributed(L.Conv2D(2, 3)), (2, *IMG)),
    ],
    "UpSampling1D": [(lambda: L.UpSampling1D(3), SEQ)],
    "UpSampling2D": [
        (lambda: L.UpSampling2D((2, 3)), IMG),
        (lambda: L.UpSampling2D(2, interpolation="bilinear"), IMG),
        (lambda: L.UpSampling2D((3, 2), interpolation="bilinear"), IMG),
    ],
    "ZeroPadding1D": [(lambda: L.ZeroPadding1D((1, 2)), SEQ)],
    "ZeroPadding2D": [(lambda: L.ZeroPadding2D(((1, 0), (2, 1))), IMG)],
}
# cases whose inputs are not normal floats: (rng, sample shape) -> a batch of 3
INPUTS = {
    "Embedding": lambda rng, shape: rng.integers(0, 10, size=(3, *shape)).astype(np.float32),
}
# InputLayer is the Input of every case; a cell runs inside RNN (its cases cover each cell)
NOT_A_CASE = {"InputLayer", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"}
# lookup layers: no ONNX mapping; their save round trips are in tests/layers/test_lookup_layers.py
NOT_A_CASE |= {"CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup"}
NOT_A_CASE |= {"TextVectorization"}

PARAMS = [
    (name, i) for name in sorted(CASES) for i in range(len(CASES[name]))
]  # fmt: skip


def case_model(name: str, i: int, seed: int = 0):
    """A functional model around one layer of the case, with random weights (positive,
    so that variances are valid), and random inputs for it (a batch of 3)."""
    make, shapes = CASES[name][i]
    rng = np.random.default_rng(seed)
    multi = isinstance(shapes, list)
    inputs = [nf.keras.Input(s) for s in (shapes if multi else [shapes])]
    layer = make()
    outputs = layer(inputs if multi else inputs[0])
    model = nf.keras.Model(inputs if multi else inputs[0], outputs, name=f"case_{name}_{i}")
    for w in model.weights:
        w.assign(rng.uniform(0.2, 1.0, w.shape).astype(np.float32))
    draw = INPUTS.get(name, lambda rng, s: rng.normal(size=(3, *s)).astype(np.float32))
    x = [draw(rng, s) for s in (shapes if multi else [shapes])]
    return model, layer, (x if multi else x[0])
