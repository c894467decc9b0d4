"""Seed 004's "FNN vs RNN": a task that needs memory, which only the recurrent network has.

    python examples/rnn_vs_dense.py [--delay 3] [--epochs 30] [--quick]

The task is a delayed echo: a stream of random bits arrives one per timestep, and at each
step t the network must output the bit it saw ``--delay`` steps earlier, x[t - delay].

- A feedforward network (FNN) reads one timestep at a time: ``Dense`` layers applied to a
  ``(batch, timesteps, 1)`` input act on each step separately, exactly like a Dense network
  given the single current bit. Information flows in one direction only; nothing is kept
  from the steps before, so the best it can do is guess (about 50% accuracy).
- A recurrent network (RNN) reads the same steps in order, but its connections form a cycle:
  the state it carries from step to step is a memory of the earlier inputs, from which it
  can read the bit ``delay`` steps back (close to 100%).

Both see exactly the same inputs, in the same shape, with the same optimizer and loss.
Accuracy counts the steps t >= delay (before them there is nothing to echo).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from neuroflow import keras  # as in Keras: only this import differs


def echo_data(n, timesteps, delay, rng):
    """Random bits (n, timesteps, 1) and their echo ``delay`` steps later (zeros before)."""
    x = rng.integers(0, 2, size=(n, timesteps, 1)).astype("float32")
    y = np.zeros_like(x)
    y[:, delay:] = x[:, :-delay]
    return x, y


def build(kind: str, timesteps: int, units: int):
    layers = keras.layers
    if kind == "Dense (FNN)":
        hidden = [layers.Dense(units, activation="relu"), layers.Dense(units, activation="relu")]
    elif kind == "SimpleRNN":
        hidden = [layers.SimpleRNN(units, return_sequences=True)]
    else:
        hidden = [layers.LSTM(units, return_sequences=True)]
    return keras.Sequential(
        [keras.Input((timesteps, 1))] + hidden + [layers.Dense(1, activation="sigmoid")]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=int, default=3, help="how many steps back to echo")
    parser.add_argument("--timesteps", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    args = parser.parse_args(argv)
    if not 0 < args.delay < args.timesteps:
        parser.error(
            f"--delay: expected 0 < delay < timesteps ({args.timesteps}), got {args.delay}"
        )
    n_train, n_test = (256, 64) if args.quick else (2000, 500)
    epochs = 2 if args.quick else args.epochs

    rng = np.random.default_rng(args.seed)
    x_train, y_train = echo_data(n_train, args.timesteps, args.delay, rng)
    x_test, y_test = echo_data(n_test, args.timesteps, args.delay, rng)
    print(
        f"Delayed echo: {n_train} training sequences of {args.timesteps} random bits; "
        f"target at step t is the bit of step t - {args.delay}"
    )
    results = {}
    for kind in ("Dense (FNN)", "SimpleRNN", "LSTM"):
        keras.utils.set_random_seed(args.seed)
        model = build(kind, args.timesteps, args.units)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-2),
            loss="binary_crossentropy",
        )
        model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
        predicted = model.predict(x_test, verbose=0) > 0.5
        correct = predicted[:, args.delay :] == (y_test[:, args.delay :] > 0.5)
        results[kind] = float(correct.mean())
        print(f"  {kind:12s} test accuracy {results[kind]:.3f}", flush=True)

    print(f"\n| model | memory | test accuracy (echo of step t - {args.delay}) |")
    print("|---|---|---|")
    for kind, accuracy in results.items():
        memory = "none: one timestep at a time" if kind.startswith("Dense") else "recurrent state"
        print(f"| {kind} | {memory} | {accuracy:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
