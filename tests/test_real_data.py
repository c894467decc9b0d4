"""The slow tier: the seed models train on the real MNIST and Fashion-MNIST.

Fewer epochs than the seeds, so the thresholds are lower than the README's full runs.
"""

import numpy as np
import pytest

import neuroflow as tf
from tests.conftest import load_real

pytestmark = pytest.mark.slow


def test_seed000_mnist_one_epoch():
    (x_train, y_train), (x_test, y_test) = load_real("mnist")
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(10),
        ]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=1, verbose=0)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc >= 0.95, acc
    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    probs = np.asarray(probability_model(x_test[:5]))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (probs.argmax(1) == y_test[:5]).mean() >= 0.8


def test_seed004_mnist_one_epoch():
    from neuroflow.keras import layers, models
    from neuroflow.keras.utils import to_categorical

    (train_images, train_labels), (test_images, test_labels) = load_real("mnist")
    train = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    network.fit(train, to_categorical(train_labels), epochs=1, batch_size=128, verbose=0)
    test_loss, test_acc = network.evaluate(test, to_categorical(test_labels), verbose=0)
    assert test_acc >= 0.95, test_acc
    predicted = np.argmax(network.predict(test, verbose=0), axis=-1)
    assert (predicted == test_labels).mean() == pytest.approx(test_acc, abs=1e-6)


def test_seed000_fashion_mnist_one_epoch():
    (x_train, y_train), (x_test, y_test) = load_real("fashion_mnist")
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, epochs=1, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.82


def test_seed002_convnet_mnist():
    from neuroflow import keras
    from neuroflow.keras import layers

    (x_train, y_train), (x_test, y_test) = load_real("mnist")
    x_train = np.expand_dims(x_train[:24000].astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train = keras.utils.to_categorical(y_train[:24000], 10)
    y_test = keras.utils.to_categorical(y_test, 10)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=1, validation_split=0.1, verbose=0)
    assert history.history["val_accuracy"][0] > 0.9
    test_acc = model.evaluate(x_test, y_test, verbose=0)[1]
    print("seed002 test accuracy after 170 steps:", test_acc)
    assert test_acc >= 0.94  # 40% of an epoch (170 steps); measured 0.9504


def test_seed003_model4_fashion():
    from neuroflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from neuroflow.keras.models import Sequential
    from neuroflow.keras.utils import to_categorical

    (x_train, y_train), (x_test, y_test) = load_real("fashion_mnist")
    x_train = x_train[:20000, :, :, np.newaxis] / 255.0
    x_test = x_test[:, :, :, np.newaxis] / 255.0
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
    model.fit(x_train, to_categorical(y_train[:20000]), epochs=1, verbose=0)
    test_acc = model.evaluate(x_test, to_categorical(y_test), verbose=0)[1]
    print("seed003 model 4 test accuracy after 625 steps:", test_acc)
    assert test_acc >= 0.82  # measured 0.8358
