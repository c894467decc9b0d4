"""Seed 004's notebook as a script: the Dense-512 MNIST model and its three pictures.

    python examples/seed004_inspect.py [--epochs 1] [--model FILE] [--save FILE] [--out DIR]

Trains seed 004's network (Dense 512 ReLU + Dense 10 softmax, RMSprop, batch 128) for
``--epochs`` epochs, or loads a saved one with ``--model`` (a ``.keras``, ``.h5`` or
``.neuroflow`` file, such as the seed's ``mnist_simple.h5``), then saves into ``--out``:

- ``seed004_weights.png``: the first layer's 512 kernels as 28x28 heatmaps;
- ``seed004_aggregated_weights.png``: the product of both kernels, one image per digit,
  with one colour bar (the seed's "aggregated weights of both layers");
- ``seed004_misclassified.png``: test digits the model gets wrong, titled
  "Predicted: 7, Label: 2".
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neuroflow.keras import layers, models
from neuroflow.keras.datasets import mnist
from neuroflow.keras.utils import set_random_seed, to_categorical
from neuroflow.utils.files import atomic_path
from neuroflow.viz import plot_aggregated_weights, plot_misclassified, plot_weights


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (the seed trains 5)")
    parser.add_argument("--model", type=Path, help="load this saved model instead of training")
    parser.add_argument("--save", type=Path, help="save the trained model to this file")
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"), help="folder of pictures")
    parser.add_argument("--misclassified", type=int, default=10, help="how many mistakes to show")
    args = parser.parse_args(argv)
    set_random_seed(0)

    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    train_images_reshape = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test_images_reshape = test_images.reshape((10000, 28 * 28)).astype("float32") / 255

    if args.model is not None:
        model = models.load_model(args.model)
        print(f"loaded {args.model}")
    else:
        model = models.Sequential()
        model.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
        model.add(layers.Dense(10, activation="softmax"))
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
        start = time.perf_counter()
        model.fit(
            train_images_reshape, to_categorical(train_labels), epochs=args.epochs, batch_size=128
        )
        print(f"trained {args.epochs} epoch(s) in {time.perf_counter() - start:.1f} s")
        if args.save is not None:
            model.save(args.save)
    model.summary()

    predicted = np.argmax(model.predict(test_images_reshape, verbose=0), axis=-1)
    misclassified = np.flatnonzero(predicted != test_labels)
    print(f"Test accuracy is {np.mean(predicted == test_labels) * 100:.2f}%")
    print(f"Out of 10000 testing images, {len(misclassified)} misclassified images.")

    pictures = {  # name: (picture, dots per inch; 72 keeps the 512 heatmaps under 1 MB)
        "seed004_weights.png": (lambda: plot_weights(model, shape=(28, 28)), 72),
        "seed004_aggregated_weights.png": (
            lambda: plot_aggregated_weights(model, shape=(28, 28)),
            100,
        ),
        "seed004_misclassified.png": (
            lambda: plot_misclassified(
                model, test_images_reshape, test_labels, n=args.misclassified
            ),
            100,
        ),
    }
    for name, (draw, dpi) in pictures.items():
        start = time.perf_counter()
        fig = draw()
        with atomic_path(args.out / name) as tmp:  # never a half-written picture
            fig.savefig(tmp, format="png", dpi=dpi)
        plt.close(fig)
        print(f"saved {args.out / name} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
