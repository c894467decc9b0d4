"""Renders every picture of ``neuroflow.viz`` into ``docs/gallery/<name>.png``.

Each picture is drawn from a small real model trained here, seeded so that two runs draw the
same pictures: an MLP on an MNIST subset (history, weights, mistakes, confusion matrix, ROC),
a tiny CNN (kernels, feature maps, plot_model), blobs for a decision boundary, a one-input
network fitted to sin(x) (function fit, hidden features) and a tanh neuron's tape
(draw_graph). About a minute on one core; ``--quick`` trains on tiny data for a few epochs
(for the tests).

    python scripts/gallery.py                   # all pictures into docs/gallery/
    python scripts/gallery.py --out /tmp/g --only plot_model,draw_graph
    python scripts/gallery.py --quick --out /tmp/g

A picture whose function does not exist yet (or fails) is reported and skipped; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from functools import cached_property
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # no display needed
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run from a checkout without installing

import numpy as np  # noqa: E402

import neuroflow as nf  # noqa: E402
from neuroflow import viz  # noqa: E402

SEED = 0
DPI = 100


class Context:
    """The data and models the pictures share, each made (and trained) on first use."""

    def __init__(self, quick: bool):
        self.quick = quick

    def _seed(self):
        nf.utils.set_random_seed(SEED)

    @cached_property
    def mnist(self):
        """(x_train, y_train, x_test, y_test): pixels in [0, 1], images (n, 28, 28)."""
        (x, y), (xt, yt) = nf.datasets.mnist.load_data()
        n, nt = (600, 300) if self.quick else (6000, 2000)
        return x[:n] / 255.0, y[:n], xt[:nt] / 255.0, yt[:nt]

    @cached_property
    def mlp(self):
        """Seed 004's MLP (smaller: 64 hidden units) and its training history."""
        from neuroflow import keras, layers

        self._seed()
        x, y, _, _ = self.mnist
        model = keras.Sequential(
            [keras.Input((784,)), layers.Dense(64, activation="relu", name="hidden"),
             layers.Dense(10, activation="softmax", name="digits")],
            name="mlp",
        )  # fmt: skip
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        history = model.fit(x.reshape(len(x), -1), y, epochs=2 if self.quick else 8,
                            batch_size=64, validation_split=0.2, verbose=0)  # fmt: skip
        return model, history

    @cached_property
    def cnn(self):
        from neuroflow import keras, layers

        self._seed()
        x, y, _, _ = self.mnist
        model = keras.Sequential(
            [keras.Input((28, 28, 1)),
             layers.Conv2D(8, 3, activation="relu", name="conv1"),
             layers.MaxPooling2D(2, name="pool1"),
             layers.Conv2D(16, 3, activation="relu", name="conv2"),
             layers.MaxPooling2D(2, name="pool2"),
             layers.Flatten(name="flatten"),
             layers.Dropout(0.25, name="dropout"),
             layers.Dense(10, activation="softmax", name="digits")],
            name="tiny_cnn",
        )  # fmt: skip
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        n = 300 if self.quick else 3000
        model.fit(x[:n, :, :, None], y[:n], epochs=1 if self.quick else 3, batch_size=64,
                  verbose=0)  # fmt: skip
        return model

    @cached_property
    def fit_1d(self):
        """A 1-8-1 tanh network fitted to sin(x) from scattered points (seed 004)."""
        from neuroflow import keras, layers

        self._seed()
        rng = np.random.default_rng(SEED)
        x = np.sort(rng.uniform(-3, 3, 120)).astype("float32")
        y = np.sin(x) + rng.normal(0, 0.05, x.shape).astype("float32")
        model = keras.Sequential(
            [keras.Input((1,)), layers.Dense(8, activation="tanh", name="hidden"),
             layers.Dense(1, name="output")],
            name="sine",
        )  # fmt: skip
        model.compile(optimizer=keras.optimizers.Adam(0.03), loss="mse")
        model.fit(x[:, None], y[:, None], epochs=30 if self.quick else 400, batch_size=120,
                  verbose=0)  # fmt: skip
        return model, x, y

    @cached_property
    def blobs(self):
        from sklearn.datasets import make_blobs

        from neuroflow.sklearn import MLPClassifier

        X, y = make_blobs(n_samples=300, centers=3, cluster_std=1.6, random_state=SEED)
        clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=30 if self.quick else 300,
                            random_state=SEED)  # fmt: skip
        return clf.fit(X, y), X, y


# ----------------------------------------------------------------------- the pictures
def plot_history(ctx):
    return viz.plot_history(ctx.mlp[1])


def plot_weights(ctx):
    return viz.plot_weights(ctx.mlp[0], shape=(28, 28), max_units=16 if ctx.quick else None)


def plot_aggregated_weights(ctx):
    return viz.plot_aggregated_weights(ctx.mlp[0], shape=(28, 28))


def plot_images(ctx):
    x, y, _, _ = ctx.mnist
    return viz.plot_images(x[:16], labels=y[:16])


def plot_misclassified(ctx):
    _, _, xt, yt = ctx.mnist
    return viz.plot_misclassified(ctx.mlp[0], xt.reshape(len(xt), -1), yt, n=9, shape=(28, 28))


def plot_confusion_matrix(ctx):
    _, _, xt, yt = ctx.mnist
    return viz.plot_confusion_matrix(ctx.mlp[0], xt.reshape(len(xt), -1), yt)


def plot_roc(ctx):
    _, _, xt, yt = ctx.mnist
    return viz.plot_roc(ctx.mlp[0], xt.reshape(len(xt), -1), yt)


def plot_decision_boundary(ctx):
    clf, X, y = ctx.blobs
    return viz.plot_decision_boundary(clf, X, y, title="MLPClassifier(16) on three blobs")


def plot_activations(ctx):
    return viz.plot_activations()


def plot_kernels(ctx):
    return viz.plot_kernels(ctx.cnn)


def plot_feature_maps(ctx):
    _, _, xt, _ = ctx.mnist
    return viz.plot_feature_maps(ctx.cnn, xt[0][:, :, None])


def plot_function_fit(ctx):
    model, x, y = ctx.fit_1d
    return viz.plot_function_fit(model, x, y, target=np.sin, title="sin(x)")


def hidden_features(ctx):
    """The curves the hidden units compute, h_j(x), and the model's output as their
    weighted sum (what :func:`neuroflow.viz.hidden_features` returns)."""
    from neuroflow.viz._mpl import figure_and_axes

    model, x, y = ctx.fit_1d
    grid = np.linspace(x.min(), x.max(), 200)
    hf = viz.hidden_features(model, grid[:, None])
    fig, (left, right) = figure_and_axes(ncols=2, figsize=(10, 4.2))
    for j in range(hf.features.shape[1]):
        left.plot(grid, hf.features[:, j], label=f"$h_{{{j}}}$ (w={hf.weights[j, 0]:+.2f})")
    left.set_title(f"hidden_features(model, x): the {hf.features.shape[1]} units of '{hf.layer}'")
    left.set_xlabel("x")
    left.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    right.scatter(x, y, s=8, color="0.6", label="data")
    right.plot(grid, hf.output[:, 0], color="C3", lw=2, label=r"$\sum_j w_j h_j(x) + b$")
    right.plot(grid, model.predict(grid[:, None], verbose=0)[:, 0], "k:", lw=2,
               label="model.predict(x)")  # fmt: skip
    right.set_title("the weighted sum is the model's output")
    right.set_xlabel("x")
    right.legend(fontsize=8)
    return fig


def plot_model(ctx):
    return viz.plot_model(ctx.cnn, to_file=None, show_shapes=True, show_layer_names=True,
                          show_layer_activations=True)  # fmt: skip


def draw_graph(ctx):
    """Karpathy's micrograd neuron: o = tanh(x1*w1 + x2*w2 + b), after o.backward()."""
    from neuroflow import ops
    from neuroflow.tensor import Tensor

    values = dict(x1=2.0, w1=-3.0, x2=0.0, w2=1.0, b=6.8813735870195432)
    t = {k: Tensor(np.float64(v), requires_grad=True) for k, v in values.items()}
    x1w1, x2w2 = t["x1"] * t["w1"], t["x2"] * t["w2"]
    total = x1w1 + x2w2
    n = total + t["b"]
    o = ops.tanh(n)
    o.backward()
    names = {"x1*w1": x1w1, "x2*w2": x2w2, "x1*w1 + x2*w2": total, "n": n, "o": o}
    return viz.draw_graph(o, labels={**t, **names})


PICTURES = {name: globals()[name] for name in viz._WHERE}


def render(names, out: Path, quick: bool) -> int:
    """Draws ``names`` into ``out``; returns the number that could not be drawn."""
    import matplotlib.pyplot as plt

    from neuroflow.utils.files import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    ctx, failed = Context(quick), 0
    for name in names:
        start = time.perf_counter()
        try:
            getattr(viz, name)
        except (ImportError, AttributeError) as e:
            module = f"neuroflow.viz.{viz._WHERE[name]}"
            print(f"  {name:24s} SKIPPED: {module}.{name} does not exist yet ({e})")
            failed += 1
            continue
        try:
            fig = PICTURES[name](ctx)
            with atomic_path(out / f"{name}.png") as tmp:
                fig.savefig(tmp, format="png", dpi=DPI)
            plt.close(fig)
        except Exception:  # noqa: BLE001  (report and go on to the next picture)
            print(f"  {name:24s} FAILED:")
            traceback.print_exc()
            failed += 1
            continue
        print(f"  {name:24s} {time.perf_counter() - start:5.1f} s  -> {out / (name + '.png')}")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery",
                        help="folder for the PNG files (default: docs/gallery)")  # fmt: skip
    parser.add_argument("--only", default="",
                        help="comma-separated picture names (default: all)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="tiny data and few epochs (for tests)")  # fmt: skip
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(PICTURES)
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        parser.error(f"unknown picture(s) {unknown}; the pictures are {sorted(PICTURES)}")
    start = time.perf_counter()
    failed = render(names, args.out, args.quick)
    total = time.perf_counter() - start
    print(f"{len(names) - failed}/{len(names)} pictures in {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
