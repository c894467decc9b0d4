"""Seed 003: the four Fashion-MNIST models, each printed beside the accuracy the seed reports.

    python examples/seed003_fashion.py [--epochs 10] [--models 1 2 3 4]

The seed's code with ``tensorflow.keras`` replaced by ``neuroflow.keras``. One fix: the seed
writes ``x_train[:,:,:,:np.newaxis]``, which NumPy rejects for a 3-D array ("too many
indices"); ``x_train[..., np.newaxis]`` is what it means.
"""

import argparse

import numpy as np

from neuroflow.keras.datasets import fashion_mnist
from neuroflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from neuroflow.keras.models import Sequential
from neuroflow.keras.utils import set_random_seed, to_categorical

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--models", type=int, nargs="*", default=[1, 2, 3, 4])
args = parser.parse_args()
set_random_seed(0)

SEED_ACCURACY = {1: 0.7743, 2: 0.8325, 3: 0.8762, 4: 0.8984}

(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
flat_train = x_train.reshape(x_train.shape[0], -1) / 255.0
flat_test = x_test.reshape(x_test.shape[0], -1) / 255.0
img_train = x_train[..., np.newaxis] / 255.0
img_test = x_test[..., np.newaxis] / 255.0
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)


def model1():
    model = Sequential()
    model.add(Dense(10, input_dim=784, activation="sigmoid"))
    model.add(Dense(10, activation="sigmoid"))
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def model2():
    model = Sequential()
    model.add(Dense(50, input_dim=784, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def model3():
    model = Sequential()
    model.add(Dense(50, input_dim=784, activation="relu"))
    model.add(Dense(50, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def model4():
    model = Sequential()
    model.add(
        Conv2D(
            filters=64, kernel_size=2, padding="same", activation="relu", input_shape=(28, 28, 1)
        )
    )
    model.add(MaxPooling2D(pool_size=2))
    model.add(Flatten())
    model.add(Dense(10, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


results = {}
for number in args.models:
    model = {1: model1, 2: model2, 3: model3, 4: model4}[number]()
    x_fit, x_eval = (img_train, img_test) if number == 4 else (flat_train, flat_test)
    if number == 4:
        model.summary()
    model.fit(x_fit, y_train, epochs=args.epochs, validation_split=0.1, verbose=2)
    _, results[number] = model.evaluate(x_eval, y_test, verbose=0)
    print(
        f"model {number}: test accuracy {results[number]:.4f} "
        f"(the seed reports {SEED_ACCURACY[number]:.4f})"
    )

print()
for number, accuracy in results.items():
    print(f"model {number}: {accuracy:.4f}   seed: {SEED_ACCURACY[number]:.4f}")
