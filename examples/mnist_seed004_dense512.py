"""Seed 004: Dense 512 + softmax on MNIST with RMSprop, batch 128 (407,050 parameters).

    python examples/mnist_seed004_dense512.py [--epochs 5]

The seed's own code with ``keras`` replaced by ``neuroflow.keras``.
"""

import argparse

import numpy as np

from neuroflow.keras import layers, models
from neuroflow.keras.datasets import mnist
from neuroflow.keras.utils import set_random_seed, to_categorical

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
args = parser.parse_args()
set_random_seed(0)

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
print(f"training images:{train_images.shape}, test images:{test_images.shape}")

train_images_reshape = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
test_images_reshape = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
train_labels_cat = to_categorical(train_labels)
test_labels_cat = to_categorical(test_labels)

network = models.Sequential()
network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation="softmax"))
network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
network.summary()
network.fit(train_images_reshape, train_labels_cat, epochs=args.epochs, batch_size=128, verbose=1)

test_loss, test_acc = network.evaluate(test_images_reshape, test_labels_cat)
predicted = np.argmax(network.predict(test_images_reshape), axis=-1)
misclassified = np.where(predicted != test_labels)[0]
print(f"Test accuracy is {round(test_acc * 100, 2)}%")
print(f"Out of 10000 testing images, {misclassified.shape[0]} misclassified images.")

# the first layer's weights, viewed as 512 images of 28x28 (the seed's heatmaps)
weights = [layer.get_weights() for layer in network.layers]
weight = np.reshape(weights[0][0], (28, 28, 512))
aggregated = (weights[0][0] @ weights[1][0]).reshape(28, 28, -1)
print("first-layer filters:", weight.shape, "aggregated per digit:", aggregated.shape)
