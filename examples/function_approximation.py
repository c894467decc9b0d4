"""Seed 004's "anatomy of a neural network": a small network learns x^2, sin(x), |x| and
heaviside(x) from scattered points, and its answer is a weighted sum of the curves its last
hidden layer computes.

    python examples/function_approximation.py [--out docs/gallery] [--epochs 500] [--quick]

The network has one input, three hidden layers (32 and 32 ReLU units, then 3 ELU units whose
curves are drawn) and a linear output; it is fitted with Adam (learning rate 0.01, decayed
by 0.7 every 60 epochs) and batches of 32 on 200 points drawn uniformly from [-3, 3]. The
3-unit layer uses ELU rather than ReLU: with only three ReLU units, at least one was zero on
every point ("dead") in 6 of 8 trial fits (4 functions x 2 seeds), leaving fewer curves.

For each function the script prints the final MSE on those points and on a grid of 300
points against the true function, and saves ``function_fit_<name>.png``: the fit over the
data, and the three weighted hidden curves whose sum (plus a bias) is the fit. The curves
come from :func:`neuroflow.viz.hidden_features`, the public helper the picture uses too.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from neuroflow import keras, viz
from neuroflow.keras import layers

FUNCTIONS = {
    "x^2": np.square,
    "sin(x)": np.sin,
    "abs(x)": np.abs,
    "heaviside(x)": lambda x: np.heaviside(x, 0.5),
}
FILE_NAMES = {"x^2": "square", "sin(x)": "sin", "abs(x)": "abs", "heaviside(x)": "heaviside"}
LOW, HIGH, POINTS = -3.0, 3.0, 200


def build_model(features: int = 3) -> keras.Sequential:
    """1 input -> 32 ReLU -> 32 ReLU -> ``features`` ELU (the curves drawn) -> 1 linear."""
    return keras.Sequential(
        [
            keras.Input((1,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(features, activation="elu", name="features"),
            layers.Dense(1, name="output"),
        ]
    )


def fit(fn, *, seed: int = 0, epochs: int = 500, points: int = POINTS):
    """A model fitted to ``fn`` on ``points`` scattered points: (model, x, y, mse on them)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(LOW, HIGH, points)).astype(np.float32)
    y = fn(x).astype(np.float32)
    model = build_model()
    steps = -(-points // 32)  # batches per epoch
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 60 * steps, 0.7)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    history = model.fit(x[:, None], y, epochs=epochs, batch_size=32, verbose=0)
    return model, x, y, history.history["loss"][-1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/gallery", help="folder for the figures")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 epochs (a smoke test)")
    args = parser.parse_args(argv)
    epochs = 30 if args.quick else args.epochs
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(LOW, HIGH, 300)

    print("| function | MSE on the 200 points | MSE on a grid vs the true function | seconds |")
    print("|---|---|---|---|")
    for name, fn in FUNCTIONS.items():
        start = time.perf_counter()
        model, x, y, _ = fit(fn, seed=args.seed, epochs=epochs)
        seconds = time.perf_counter() - start
        mse = float(np.mean((model.predict(x[:, None], verbose=0)[:, 0] - y) ** 2))
        fitted = model.predict(grid[:, None].astype(np.float32), verbose=0)[:, 0]
        grid_mse = float(np.mean((fitted - fn(grid)) ** 2))
        parts = viz.hidden_features(model, grid[:, None], layer="features")
        gap = float(np.abs(parts.output[:, 0] - fitted).max())  # the sum is the fit
        assert gap < 1e-5, f"hidden curves do not sum to the fit ({gap})"
        print(f"| {name} | {mse:.2e} | {grid_mse:.2e} | {seconds:.1f} |")
        fig = viz.plot_function_fit(
            model, x, y, x_grid=grid, target=fn, layer="features", title=name
        )
        fig.savefig(out / f"function_fit_{FILE_NAMES[name]}.png", dpi=100)
        fig.clf()
    print(f"figures saved in {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
