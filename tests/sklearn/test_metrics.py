"""``neuroflow.sklearn.classification_report``: every figure is scikit-learn's."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

import sklearn.metrics as skm  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import neuroflow as nf  # noqa: E402
from neuroflow.sklearn import MLPClassifier, Perceptron, classification_report  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_binary_report_is_sklearn_metrics_of_the_predictions():
    X, y = make_blobs(2_000, centers=2, cluster_std=3.0, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = Perceptron().fit(X_train, y_train)
    report = classification_report(clf, X_test, y_test)
    predicted = clf.predict(X_test)
    assert report["accuracy"] == skm.accuracy_score(y_test, predicted) < 1.0
    assert report["precision"] == skm.precision_score(y_test, predicted)
    assert report["recall"] == skm.recall_score(y_test, predicted)
    assert report["f1"] == skm.f1_score(y_test, predicted)
    np.testing.assert_array_equal(
        report["confusion_matrix"], skm.confusion_matrix(y_test, predicted)
    )
    scores = clf.decision_function(X_test)
    assert report["roc_auc"] == skm.roc_auc_score(y_test, scores) > 0.95
    fpr, tpr, thresholds = report["roc"][1]
    np.testing.assert_array_equal(fpr, skm.roc_curve(y_test, scores)[0])
    assert report["labels"].tolist() == [0, 1]


def test_multiclass_report_averages_over_classes():
    X, y = make_blobs(300, centers=3, cluster_std=2.5, random_state=0)
    clf = MLPClassifier((8,), learning_rate_init=0.01, random_state=0).fit(X, y)
    predicted, proba = clf.predict(X), clf.predict_proba(X)
    report = classification_report(clf, X, y, average="weighted")
    assert report["f1"] == skm.f1_score(y, predicted, average="weighted")
    assert report["confusion_matrix"].shape == (3, 3)
    assert report["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert sorted(report["roc"]) == [0, 1, 2]


def test_a_neuroflow_model_is_read_as_one_score_per_class():
    X, y = make_blobs(300, centers=3, random_state=0)
    model = nf.keras.Sequential(
        [nf.keras.layers.Input((2,)), nf.keras.layers.Dense(3, activation="softmax")]
    )
    model.compile(nf.keras.optimizers.Adam(0.05), "categorical_crossentropy")
    model.fit(X, nf.keras.utils.to_categorical(y, 3), epochs=30, verbose=0)
    report = classification_report(model, X, nf.keras.utils.to_categorical(y, 3))
    predicted = model.predict(X, verbose=0).argmax(axis=1)
    assert report["accuracy"] == skm.accuracy_score(y, predicted) > 0.8
    assert report["labels"].tolist() == [0, 1, 2]


def test_the_training_metrics_module_neither_holds_it_nor_imports_sklearn():
    # neuroflow.metrics is also neuroflow.keras.metrics: Keras's names, NumPy only
    code = (
        "import sys, neuroflow.keras.metrics as m; "
        "print(hasattr(m, 'classification_report'), 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
