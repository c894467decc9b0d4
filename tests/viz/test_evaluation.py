"""Confusion matrix and ROC on scikit-learn's displays, decision boundaries, and scikit-learn's
own ``*.from_estimator`` on neuroflow's estimators."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

from sklearn.datasets import load_digits, make_blobs  # noqa: E402
from sklearn.inspection import DecisionBoundaryDisplay  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay  # noqa: E402

from neuroflow.keras import layers, models  # noqa: E402
from neuroflow.keras.utils import to_categorical  # noqa: E402
from neuroflow.sklearn import MLPClassifier, Perceptron  # noqa: E402
from neuroflow.viz import (  # noqa: E402
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_roc,
)
from sklearn import metrics  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Stochastic Optimizer")


@pytest.fixture(scope="module")
def digits_model():
    """A 10-class softmax model on scikit-learn's 8x8 digits, one epoch: mostly right."""
    data = load_digits()
    x, y = (data.data / 16.0).astype("float32"), data.target
    model = models.Sequential([layers.Input((64,)), layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:1000], y[:1000], epochs=1, verbose=0)
    return model, x[1000:1500], y[1000:1500]


@pytest.fixture(scope="module")
def blobs():
    """Seed 001's two blobs, overlapping a little so that both kinds of mistake happen."""
    return make_blobs(400, centers=2, cluster_std=2.2, random_state=0)


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return {
        "perceptron": Perceptron().fit(X, y),
        "mlp": MLPClassifier((16,), learning_rate_init=0.01, max_iter=150, random_state=0).fit(
            X, y
        ),
    }


def _curve_area(line):
    fpr, tpr = line.get_xdata(), line.get_ydata()
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


# --- confusion matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("one_hot", [False, True])
def test_confusion_matrix_of_a_keras_model(digits_model, one_hot, save_png):
    model, x, y = digits_model
    fig = plot_confusion_matrix(model, x, to_categorical(y, 10) if one_hot else y)
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    expected = metrics.confusion_matrix(y, predicted, labels=np.arange(10))
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), expected)
    assert ax.get_title() == f"Confusion matrix (accuracy {np.mean(predicted == y):.3f})"
    assert ax.get_ylabel() == "True label" and ax.get_xlabel() == "Predicted label"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k in range(10)]
    save_png(fig, "confusion")


@pytest.mark.parametrize("name", ["perceptron", "mlp"])
def test_confusion_matrix_of_an_estimator(fitted, blobs, name):
    X, y = blobs
    estimator = fitted[name]
    fig = plot_confusion_matrix(estimator, X, y, display_labels=["left", "right"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(
        ax.images[0].get_array(), metrics.confusion_matrix(y, estimator.predict(X))
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["left", "right"]


def test_confusion_matrix_from_predictions_normalized():
    y_true, y_pred = [0, 0, 1, 1, 2, 2, 2, 2], [0, 1, 1, 1, 2, 2, 0, 2]
    fig = plot_confusion_matrix(y_true, y_pred, normalize="true", title="mine")
    matrix = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(matrix, metrics.confusion_matrix(y_true, y_pred, normalize="true"))
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    assert fig.axes[0].get_title() == "mine"


def test_confusion_matrix_bad_input(digits_model):
    model, x, y = digits_model
    with pytest.raises(TypeError, match=r"Expected `x` and `y` after a model.*y=None"):
        plot_confusion_matrix(model, x)
    with pytest.raises(TypeError, match=r"Expected either \(model, x, y\) or \(y_true, y_pred\)"):
        plot_confusion_matrix([0, 1])
    with pytest.raises(TypeError, match="no third argument"):
        plot_confusion_matrix([0, 1], [0, 1], [1, 1])
    with pytest.raises(ValueError, match=r"one label per sample of `x` \(500\). Received: 3"):
        plot_confusion_matrix(model, x, y[:3])
    with pytest.raises(ValueError, match=r"one label per true label \(2\). Received: 3"):
        plot_confusion_matrix([0, 1], [0, 1, 1])


# --- ROC ---------------------------------------------------------------------------------------


def test_roc_of_a_ten_class_model_one_vs_rest(digits_model, save_png):
    model, x, y = digits_model
    fig = plot_roc(model, x, y)
    ax = fig.axes[0]
    proba = model.predict(x, verbose=0).astype(np.float64)
    curves = [line for line in ax.lines if "vs rest" in line.get_label()]
    assert len(curves) == 10
    for k, line in enumerate(curves):
        auc = metrics.roc_auc_score(y == k, proba[:, k])
        assert line.get_label() == f"class {k} vs rest (AUC = {auc:.3f})"
        assert _curve_area(line) == pytest.approx(auc, abs=1e-9)
    macro = metrics.roc_auc_score(y, proba, multi_class="ovr")
    assert ax.get_title() == f"ROC curves, each class vs the rest (macro AUC {macro:.3f})"
    assert sum("Chance level" in line.get_label() for line in ax.lines) == 1
    if macro > 0.99:  # crowded curves: the top-left corner magnified in an inset
        (inset,) = fig.axes[1:]
        assert len(inset.lines) == 10 and inset.get_xlim() == (0.0, 0.1)
    else:
        assert len(fig.axes) == 1
    save_png(fig, "roc")


@pytest.mark.parametrize("activation", ["sigmoid", None])
def test_roc_of_one_output_sigmoid_or_logit(blobs, activation):
    X, y = blobs
    model = models.Sequential([layers.Input((2,)), layers.Dense(1, activation=activation)])
    model.compile("adam", "binary_crossentropy" if activation else "mse")
    scores = model.predict(X.astype("float32"), verbose=0).ravel()
    fig = plot_roc(model, X.astype("float32"), y)
    (curve,) = [line for line in fig.axes[0].lines if line.get_label().startswith("class 1")]
    fpr, tpr, _ = metrics.roc_curve(y, scores)
    np.testing.assert_allclose(curve.get_xdata(), fpr)
    np.testing.assert_allclose(curve.get_ydata(), tpr)
    auc = metrics.roc_auc_score(y, scores)
    assert fig.axes[0].get_title() == f"ROC curve of class 1 (AUC {auc:.3f})"
    # the predicted class of one output: probability > 0.5, or logit > 0
    cm = plot_confusion_matrix(model, X.astype("float32"), y).axes[0].images[0].get_array()
    threshold = 0.5 if activation else 0.0
    np.testing.assert_array_equal(cm, metrics.confusion_matrix(y, scores > threshold))


@pytest.mark.parametrize("name", ["perceptron", "mlp"])
def test_roc_of_an_estimator(fitted, blobs, name):
    X, y = blobs
    estimator = fitted[name]
    fig = plot_roc(estimator, X, y, class_names=["left", "right"])
    if name == "mlp":
        scores = estimator.predict_proba(X)[:, 1]
    else:
        scores = estimator.decision_function(X)
    auc = metrics.roc_auc_score(y, scores)
    (curve,) = [line for line in fig.axes[0].lines if line.get_label().startswith("class")]
    assert curve.get_label() == f"class right (AUC = {auc:.2f})"
    assert _curve_area(curve) == pytest.approx(auc, abs=1e-9)


def test_roc_from_scores_and_bad_input():
    fig = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert fig.axes[0].get_title() == "ROC curve of class 1 (AUC 0.750)"
    fig = plot_roc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], pos_label=0)
    assert fig.axes[0].get_title() == "ROC curve of class 0 (AUC 0.250)"
    with pytest.raises(ValueError, match=r"one score column per class \(3 classes"):
        plot_roc([0, 1, 2], np.ones((3, 4)) / 4)
    with pytest.raises(ValueError, match=r"one score per sample \(4\). Received: 3"):
        plot_roc([0, 0, 1, 1], [0.1, 0.2, 0.3])


# --- scikit-learn's own displays on neuroflow's estimators ------------------------------------


@pytest.mark.parametrize("name", ["perceptron", "mlp"])
def test_sklearn_displays_from_estimator(fitted, blobs, name):
    X, y = blobs
    estimator = fitted[name]
    cm = ConfusionMatrixDisplay.from_estimator(estimator, X, y)
    np.testing.assert_array_equal(
        cm.confusion_matrix, metrics.confusion_matrix(y, estimator.predict(X))
    )
    roc = RocCurveDisplay.from_estimator(estimator, X, y)
    scores = estimator.predict_proba(X)[:, 1] if name == "mlp" else estimator.decision_function(X)
    assert roc.roc_auc == pytest.approx(metrics.roc_auc_score(y, scores))
    assert roc.roc_auc > 0.8  # overlapping blobs: the perceptron rule does not settle
    boundary = DecisionBoundaryDisplay.from_estimator(
        estimator, X, response_method="predict", grid_resolution=30
    )
    grid = np.c_[boundary.xx0.ravel(), boundary.xx1.ravel()]
    np.testing.assert_array_equal(boundary.response.ravel(), estimator.predict(grid))


def test_sklearn_decision_boundary_of_a_multiclass_mlp():
    X, y = make_blobs(300, centers=3, random_state=0)
    mlp = MLPClassifier((16,), learning_rate_init=0.01, max_iter=100, random_state=0).fit(X, y)
    boundary = DecisionBoundaryDisplay.from_estimator(mlp, X, grid_resolution=20)
    grid = np.c_[boundary.xx0.ravel(), boundary.xx1.ravel()]
    assert boundary.response.shape == (20, 20, 3)  # one probability surface per class
    np.testing.assert_allclose(
        boundary.response.reshape(-1, 3), mlp.predict_proba(grid), rtol=1e-5, atol=1e-7
    )


# --- plot_decision_boundary -------------------------------------------------------------------


def test_perceptron_boundary_is_its_line(fitted, blobs, save_png):
    X, y = blobs
    perceptron = fitted["perceptron"]
    fig = plot_decision_boundary(perceptron, X, y, resolution=120)
    ax = fig.axes[0]
    assert ax.get_title() == f"Perceptron: accuracy {perceptron.score(X, y):.3f}"
    # the black line drawn between the two regions lies on w.x + b = 0, to a grid step
    (boundary,) = [c for c in ax.collections if hasattr(c, "allsegs") and not c.filled]
    points = np.concatenate(boundary.allsegs[0])
    w, b = perceptron.coef_[0], perceptron.intercept_[0]
    step = np.ptp(X, axis=0).max() * 1.16 / 119
    assert np.all(np.abs(points @ w + b) / np.linalg.norm(w) < step)
    labels = ax.get_legend_handles_labels()[1]
    wrong = int(np.sum(perceptron.predict(X) != y))
    assert labels == ["class 0", "class 1", f"misclassified ({wrong})"]
    save_png(fig, "boundary")


def test_side_by_side_and_a_keras_model():
    import matplotlib.pyplot as plt

    X, y = make_blobs(200, centers=3, random_state=1)
    X = X.astype("float32")
    model = models.Sequential([layers.Input((2,)), layers.Dense(16, activation="relu"),
                               layers.Dense(3, activation="softmax")])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=30, batch_size=32, verbose=0)
    perceptron = Perceptron().fit(X, y)
    fig, axes = plt.subplots(1, 2)
    assert plot_decision_boundary(perceptron, X, y, ax=axes[0], resolution=40) is fig
    assert plot_decision_boundary(model, X, to_categorical(y, 3), ax=axes[1], resolution=40) is fig
    accuracy = np.mean(np.argmax(model.predict(X, verbose=0), axis=1) == y)
    assert axes[1].get_title() == f"Sequential: accuracy {accuracy:.3f}"
    filled = [c for c in axes[1].collections if getattr(c, "filled", False)]
    assert len(filled[0].levels) == 4  # three regions, one per class


def test_decision_boundary_bad_input(fitted, blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\).*Received: X of shape \(4, 3\)"):
        plot_decision_boundary(fitted["perceptron"], np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"Received: X of shape \(2, 2, 2\)"):
        plot_decision_boundary(fitted["perceptron"], np.zeros((2, 2, 2)), [0, 1])
    with pytest.raises(ValueError, match=r"one label per row of `X` \(400\). Received: 2"):
        plot_decision_boundary(fitted["perceptron"], X, [0, 1])
    with pytest.raises(TypeError, match="with a `predict` method"):
        plot_decision_boundary(object(), X, y)


def test_roc_of_sigmoid_outputs_per_class_uses_them_unchanged():
    x = np.random.default_rng(4).normal(size=(90, 3)).astype("float32")
    y = np.argmax(x + np.random.default_rng(5).normal(size=(90, 3)), axis=1)
    model = models.Sequential([layers.Input((3,)), layers.Dense(3, activation="sigmoid")])
    out = model.predict(x, verbose=0).astype(np.float64)
    fig = plot_roc(model, x, y)
    curves = [line for line in fig.axes[0].lines if "vs rest" in line.get_label()]
    for k, line in enumerate(curves):
        fpr, tpr, _ = metrics.roc_curve(y == k, out[:, k])
        np.testing.assert_allclose(line.get_xdata(), fpr)
        np.testing.assert_allclose(line.get_ydata(), tpr)
    macro = metrics.roc_auc_score(y, out / out.sum(axis=1, keepdims=True), multi_class="ovr")
    assert fig.axes[0].get_title().endswith(f"(macro AUC {macro:.3f})")
