"""Seed 000: the TensorFlow beginner MLP on MNIST, with only the import changed.

python examples/mnist_seed000.py [--epochs 5]
"""

import argparse

import neuroflow as tf  # was: import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--dataset", choices=["mnist", "fashion_mnist"], default="mnist")
args = parser.parse_args()

tf.keras.utils.set_random_seed(0)
dataset = getattr(tf.keras.datasets, args.dataset)  # the seed: tf.keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = dataset.load_data()
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
model.summary()

model.fit(x_train, y_train, epochs=args.epochs)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)

probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
print(probability_model(x_test[:5]))
print(f"{args.dataset} test accuracy after {args.epochs} epochs: {test_acc:.4f}")
