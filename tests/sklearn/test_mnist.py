"""Slow tier: neuroflow's MLPClassifier against scikit-learn's on the real MNIST."""

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402

from neuroflow.sklearn import MLPClassifier  # noqa: E402
from tests.conftest import load_real  # noqa: E402

pytestmark = pytest.mark.slow


def test_mlp128_matches_sklearn_accuracy_on_mnist():
    (x_train, y_train), (x_test, y_test) = load_real("mnist")
    X_train = x_train.reshape(60000, -1) / 255.0
    X_test = x_test.reshape(10000, -1) / 255.0
    scores = []
    for cls in (MLPClassifier, SkMLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = cls(hidden_layer_sizes=(128,), max_iter=3, random_state=0).fit(X_train, y_train)
        scores.append(clf.score(X_test, y_test))
    print("neuroflow, scikit-learn test accuracy after 3 epochs:", scores)
    assert scores[0] > 0.95
    assert abs(scores[0] - scores[1]) < 0.01  # the benchmark's 6-epoch run: 0.17 points
    assert np.isfinite(scores).all()
