"""Seed 001's exercises with neuroflow's scikit-learn estimators.

    python examples/seed001_sklearn.py [--part blobs|mnist|alpha|svm|all] [--mnist-samples N]

1. blobs: the perceptron (and the Adaline rule) on 10,000 linearly separable 2-D samples:
   in-sample and out-of-sample scores, confusion matrix, ROC/AUC.
2. mnist: an MLP with hidden layers (3, 3), then a few other architectures, with
   accuracy, precision, recall and F1.
3. alpha: the grid 10.0 ** -np.arange(1, 7) with StandardScaler in a Pipeline + GridSearchCV.
4. svm: the same digits classified by scikit-learn's SVC, for comparison.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from neuroflow.datasets import mnist
from neuroflow.sklearn import MLPClassifier, Perceptron, classification_report

parser = argparse.ArgumentParser()
parser.add_argument("--part", default="all", choices=["blobs", "mnist", "alpha", "svm", "all"])
parser.add_argument("--mnist-samples", type=int, default=60000)
args = parser.parse_args()
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def show(name, report):
    print(
        f"{name}: accuracy {report['accuracy']:.4f}, precision {report['precision']:.4f}, "
        f"recall {report['recall']:.4f}, F1 {report['f1']:.4f}"
        + (f", ROC AUC {report['roc_auc']:.4f}" if report["roc_auc"] is not None else "")
    )


def blobs():
    X, y = make_blobs(n_samples=10_000, centers=2, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    for rule, eta0, scale in (("perceptron", 1.0, False), ("adaline", 1e-3, True)):
        clf = Perceptron(rule=rule, eta0=eta0)
        model = Pipeline([("scale", StandardScaler()), ("clf", clf)]) if scale else clf
        model.fit(X_train, y_train)
        print(
            f"\n{rule} rule: in-sample score {model.score(X_train, y_train):.4f}, "
            f"out-of-sample score {model.score(X_test, y_test):.4f}"
        )
        report = classification_report(model, X_test, y_test)
        print("confusion matrix:\n", report["confusion_matrix"])
        fpr, tpr, _ = report["roc"][1]
        print(f"ROC: {len(fpr)} points, AUC {report['roc_auc']:.4f}")


def load_mnist(n):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return (
        x_train[:n].reshape(len(x_train[:n]), -1) / 255.0,
        y_train[:n],
        x_test.reshape(len(x_test), -1) / 255.0,
        y_test,
    )


def mnist_mlps(n):
    X_train, y_train, X_test, y_test = load_mnist(n)
    for hidden in [(3, 3), (2, 3, 2), (32,), (128,), (128, 64)]:
        start = time.perf_counter()
        clf = MLPClassifier(hidden_layer_sizes=hidden, max_iter=20, random_state=0)
        clf.fit(X_train, y_train)
        show(
            f"MLP {hidden} ({clf.n_iter_} epochs, {time.perf_counter() - start:.1f}s)",
            classification_report(clf, X_test, y_test),
        )


def alpha_grid(n):
    X_train, y_train, X_test, y_test = load_mnist(min(n, 10_000))
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", MLPClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=0)),
        ]
    )
    grid = GridSearchCV(pipe, {"mlp__alpha": 10.0 ** -np.arange(1, 7)}, cv=3, n_jobs=1)
    grid.fit(X_train, y_train)
    for alpha, score in zip(
        grid.cv_results_["param_mlp__alpha"], grid.cv_results_["mean_test_score"]
    ):
        print(f"alpha {alpha:.0e}: cross-validated accuracy {score:.4f}")
    print(
        f"best alpha {grid.best_params_['mlp__alpha']:.0e}: "
        f"test accuracy {grid.score(X_test, y_test):.4f}"
    )


def svm(n):
    X_train, y_train, X_test, y_test = load_mnist(min(n, 10_000))
    start = time.perf_counter()
    svc = SVC().fit(X_train, y_train)
    show(
        f"SVC (rbf, {time.perf_counter() - start:.1f}s)", classification_report(svc, X_test, y_test)
    )
    start = time.perf_counter()
    mlp = MLPClassifier(hidden_layer_sizes=(128,), max_iter=20, random_state=0)
    mlp.fit(X_train, y_train)
    show(
        f"MLP (128,) ({time.perf_counter() - start:.1f}s)",
        classification_report(mlp, X_test, y_test),
    )


parts = {"blobs": blobs, "mnist": mnist_mlps, "alpha": alpha_grid, "svm": svm}
for name, fn in parts.items():
    if args.part in (name, "all"):
        print(f"\n=== {name} ===")
        fn(args.mnist_samples) if name != "blobs" else fn()
