"""Tuning seed 000's MNIST MLP: RandomSearch, Hyperband and EvolutionarySearch.

    python examples/tune_mnist.py [--tuners random hyperband evolution] [--trials 6]
        [--epochs 3] [--population 6] [--generations 3] [--elitism 1]
        [--evolution-space build|mlp] [--n-jobs 1] [--directory DIR] [--quick]

Seed 000's model is Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10) with Adam
(learning rate 1e-3). The search tunes the hidden units, the dropout rate and the learning
rate of the same architecture. The last 10,000 training images are the validation set the
tuners select on; the test set is used once, at the end, for the best model of each tuner
and for seed 000's model trained for the same number of epochs as one trial.

Budget, in epochs over the 50,000 training images: RandomSearch ``trials x epochs``;
Hyperband (``max_epochs=epochs``, ``factor=3``) the sum of each trial's epochs (printed);
EvolutionarySearch ``(population + (generations - 1) * (population - elitism)) x epochs``
(the elites pass to the next generation without training again): 16 models of 3 epochs
by default.

EvolutionarySearch evolves the same ``build(hp)`` space as the other two by default, so
the three differ only in how they pick the values (a fair comparison of the searches; its
default budget is larger, so compare at an equal one with ``--trials 16`` for RandomSearch);
``--evolution-space mlp`` evolves the network's shape instead, with
:class:`~neuroflow.tuner.MLPHyperModel` (1 to 3 hidden layers, each its own width, the
activation, dropout and learning rate). ``--tuners`` picks which searches run (default
all); seed 000's model is always trained, as the reference row.
``--quick`` runs a tiny version (a 6,000-image subset, 2 trials of 1 epoch; a population
of 3 over 2 generations) for tests.
"""

import argparse
import tempfile
import time

import neuroflow.tuner as kt
from neuroflow import keras

TUNERS = ("random", "hyperband", "evolution")

parser = argparse.ArgumentParser()
parser.add_argument(
    "--tuners", nargs="+", choices=TUNERS, default=list(TUNERS), help="searches to run"
)
parser.add_argument("--trials", type=int, default=6, help="RandomSearch's trials")
parser.add_argument("--epochs", type=int, default=3, help="epochs per trial")
parser.add_argument("--population", type=int, default=6, help="EvolutionarySearch")
parser.add_argument("--generations", type=int, default=3, help="EvolutionarySearch")
parser.add_argument("--elitism", type=int, default=1, help="EvolutionarySearch")
parser.add_argument(
    "--evolution-space",
    choices=("build", "mlp"),
    default="build",
    help="EvolutionarySearch's space: build(hp) as the other tuners, or the MLP shape space",
)
parser.add_argument("--n-jobs", type=int, default=1)
parser.add_argument("--directory", default=None, help="project folder (default: a temp one)")
parser.add_argument("--quick", action="store_true", help="tiny run (for tests)")
args = parser.parse_args()
if args.quick:
    args.trials, args.epochs, args.population, args.generations = 2, 1, 3, 2

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
x_val, y_val = x_train[-10000:], y_train[-10000:]
x_train, y_train = x_train[:-10000], y_train[:-10000]
if args.quick:
    x_train, y_train, x_val, y_val = x_train[:5000], y_train[:5000], x_val[:1000], y_val[:1000]
    x_test, y_test = x_test[:2000], y_test[:2000]


def build(hp):
    """Seed 000's MLP with its width, dropout and learning rate as hyperparameters."""
    model = keras.Sequential(
        [
            keras.layers.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(hp.Int("units", 32, 512, step=32, default=128), activation="relu"),
            keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2)),
            keras.layers.Dense(10),
        ]
    )
    lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def seed000_model():
    hp = kt.HyperParameters()  # the defaults are seed 000's values: 128 units, 0.2, 1e-3
    return build(hp)


directory = args.directory or tempfile.mkdtemp(prefix="tune_mnist_")
fit = {"validation_data": (x_val, y_val), "batch_size": 32, "verbose": 0}
results = {}

keras.utils.set_random_seed(0)
start = time.perf_counter()
baseline = seed000_model()
baseline.fit(x_train, y_train, epochs=args.epochs, **fit)
_, val_acc = baseline.evaluate(x_val, y_val, verbose=0)
_, test_acc = baseline.evaluate(x_test, y_test, verbose=0)
results["seed 000 (128, 0.2, 1e-3)"] = (val_acc, test_acc, args.epochs, time.perf_counter() - start)

tuners = {}
if "random" in args.tuners:
    tuners["RandomSearch"] = kt.RandomSearch(
        build,
        objective="val_accuracy",
        max_trials=args.trials,
        seed=1,
        directory=directory,
        project_name="random",
        overwrite=True,
        n_jobs=args.n_jobs,
    )
if "hyperband" in args.tuners:
    tuners["Hyperband"] = kt.Hyperband(
        build,
        objective="val_accuracy",
        max_epochs=args.epochs,
        factor=3,
        seed=1,
        directory=directory,
        project_name="hyperband",
        overwrite=True,
        n_jobs=args.n_jobs,
    )
if "evolution" in args.tuners:
    shape_space = args.evolution_space == "mlp"
    tuners["EvolutionarySearch"] = kt.EvolutionarySearch(
        None if shape_space else build,  # None: the default MLP space over input_shape
        input_shape=(28, 28) if shape_space else None,
        num_classes=10 if shape_space else None,
        objective="val_accuracy",
        population_size=args.population,
        generations=args.generations,
        elitism=args.elitism,
        seed=1,
        directory=directory,
        project_name="evolution",
        overwrite=True,
        n_jobs=args.n_jobs,
    )


def describe(values: dict) -> str:
    """A trial's values as the table shows them: (units, dropout, learning rate), with the
    hidden layers' widths and the activation for the MLP shape space."""
    if "num_layers" in values:
        widths = "-".join(str(values[f"units_{i}"]) for i in range(values["num_layers"]))
        return (
            f"({widths} {values['activation']}, {values['dropout']:.1f}, "
            f"{values['learning_rate']:.2g})"
        )
    return f"({values['units']}, {values['dropout']:.1f}, {values['learning_rate']:.2g})"


for name, tuner in tuners.items():
    start = time.perf_counter()
    tuner.search(x_train, y_train, epochs=args.epochs, **fit)
    seconds = time.perf_counter() - start
    trials = list(tuner.oracle.trials.values())
    epochs = sum(
        t.hyperparameters.values.get("tuner/epochs", args.epochs)
        - t.hyperparameters.values.get("tuner/initial_epoch", 0)
        for t in trials
    )
    best = tuner.get_best_models(1)[0]
    _, val_acc = best.evaluate(x_val, y_val, verbose=0)
    _, test_acc = best.evaluate(x_test, y_test, verbose=0)
    values = tuner.get_best_hyperparameters(1)[0].values
    label = f"{name} best {describe(values)}, {len(trials)} trials"
    if name == "EvolutionarySearch":
        oracle = tuner.oracle
        label += f" ({oracle.population_size}x{len(oracle.generations)} gen.)"
        bests = ", ".join(f"{score:.4f}" for score in oracle.best_scores() if score is not None)
        print(f"EvolutionarySearch: best val accuracy of each generation: {bests}")
    results[label] = (val_acc, test_acc, epochs, seconds)

print(f"\nMNIST MLP, {len(x_train)} training images, budget in epochs over them")
width = max(58, *(len(label) + 2 for label in results))
print(
    f"{'model (units, dropout, learning rate)':<{width}}{'val acc':>8}{'test acc':>9}"
    f"{'epochs':>7}{'seconds':>9}"
)
for label, (val_acc, test_acc, epochs, seconds) in results.items():
    print(f"{label:<{width}}{val_acc:>8.4f}{test_acc:>9.4f}{epochs:>7}{seconds:>9.1f}")
seed_val = results["seed 000 (128, 0.2, 1e-3)"][0]
for label, (val_acc, *_rest) in results.items():
    if not label.startswith("seed"):
        verdict = "at least as accurate as" if val_acc >= seed_val else "less accurate than"
        print(f"{label.split(' best')[0]}: {verdict} seed 000's model on the validation set")
