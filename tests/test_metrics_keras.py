"""Keras's stateful metric classes: hand-worked cases, and the same batches fed to real Keras 3
(the ``requires_keras`` tests: skipped without TensorFlow locally, failed in CI)."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import metrics
from neuroflow.keras import layers
from neuroflow.tensor import Tensor
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


# ------------------------------------------------------------------ data of each kind


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def batch(kind, n, rng):
    """``(y_true, y_pred)`` of one kind of problem, ``n`` samples."""
    if kind == "binary":  # (n, 1), some predictions exactly on a threshold
        p = rng.random((n, 1)).astype(np.float32)
        p[: n // 4] = rng.choice([0.0, 0.5, 1.0], size=(n // 4, 1))
        return rng.integers(0, 2, (n, 1)).astype(np.float32), p
    if kind == "flat":  # rank-1 targets and predictions
        return rng.integers(0, 2, n).astype(np.float32), rng.random(n).astype(np.float32)
    if kind == "multilabel":
        return rng.integers(0, 2, (n, 4)).astype(np.float32), rng.random((n, 4)).astype(np.float32)
    if kind == "categorical":
        labels = rng.integers(0, 6, n)
        return np.eye(6, dtype=np.float32)[labels], _softmax(rng.normal(size=(n, 6)))
    if kind == "sparse":
        return rng.integers(0, 6, (n, 1)), _softmax(rng.normal(size=(n, 6)))
    if kind == "logits":  # one-hot targets, unbounded scores
        labels = rng.integers(0, 6, n)
        return np.eye(6, dtype=np.float32)[labels], rng.normal(0, 3, (n, 6)).astype(np.float32)
    if kind == "sparse_logits":
        return rng.integers(0, 6, n), rng.normal(0, 3, (n, 6)).astype(np.float32)
    if kind == "regression":
        return rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 3)).astype(
            np.float32
        )
    raise AssertionError(kind)


# (class name, constructor kwargs, kind of data): each runs in neuroflow and in Keras
CASES = [
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.0, 0.3, 0.5, 0.9]}, "binary"),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),  # Keras's evenly-spaced path
    ("Precision", {"top_k": 2}, "multilabel"),
    ("Precision", {"class_id": 2}, "multilabel"),
    ("Precision", {"top_k": 2, "class_id": 1, "thresholds": 0.3}, "multilabel"),
    ("Recall", {}, "flat"),
    ("Recall", {"thresholds": [0.2, 0.7]}, "multilabel"),
    ("Recall", {"top_k": 1}, "categorical"),
    ("Recall", {"class_id": 3}, "multilabel"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 7}, "multilabel"),
    ("AUC", {"multi_label": True}, "multilabel"),
    (
        "AUC",
        {"multi_label": True, "curve": "PR", "label_weights": [1.0, 0.0, 2.0, 0.5]},
        "multilabel",
    ),
    ("AUC", {"label_weights": [1.0, 0.0, 2.0, 0.5]}, "multilabel"),
    ("AUC", {"thresholds": [0.1, 0.35, 0.8]}, "binary"),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "flat"),  # evenly spaced once 0 and 1 added
    ("AUC", {"from_logits": True}, "regression"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.15, 0.5, 0.85]}, "multilabel"),
    ("TrueNegatives", {"thresholds": 0.3}, "flat"),
    ("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "binary"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.8}, "multilabel"),
    ("TopKCategoricalAccuracy", {}, "categorical"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, "sparse"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "binary"),
    ("RootMeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "binary"),
    ("MeanAbsoluteError", {}, "regression"),
    ("F1Score", {}, "categorical"),
    ("F1Score", {"average": "micro", "threshold": 0.4}, "multilabel"),
    ("F1Score", {"average": "macro"}, "categorical"),
    ("F1Score", {"average": "weighted", "threshold": 0.5}, "multilabel"),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.3}, "multilabel"),
    ("FBetaScore", {"beta": 0.5}, "multilabel"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "multilabel"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "multilabel"),
    ("BinaryCrossentropy", {"from_logits": True}, "logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SensitivityAtSpecificity", {"specificity": 0.6}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.3, "num_thresholds": 11}, "flat"),
    ("PrecisionAtRecall", {"recall": 0.5, "class_id": 1}, "multilabel"),
    ("RecallAtPrecision", {"precision": 0.4}, "multilabel"),
]


def _ids(case):
    name, kwargs, kind = case
    return f"{name}-{kind}-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _assert_same(ours, theirs, what):
    # result() is a float32 tensor of Keras's shape, as Keras 3's
    theirs = np.asarray(theirs)
    assert isinstance(ours, Tensor), f"{what}: {type(ours)} is not a Tensor"
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, what
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=2e-5, atol=2e-6, err_msg=what)


@requires_keras
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras_over_several_batches(keras, case, weighted):
    name, kwargs, kind = case
    keras.backend.clear_session()  # the default names count up within a session
    ours, theirs = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    assert ours.name == theirs.name
    rng = np.random.default_rng(len(name) + 10 * weighted)
    for step, n in enumerate((16, 5, 33)):
        y_true, y_pred = batch(kind, n, rng)
        weight = rng.random(n).astype(np.float32) * 2 if weighted else None
        if weighted and step == 1:
            weight[:2] = 0.0  # zero weights mask samples out
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        _assert_same(ours.result(), theirs.result(), f"{name} after batch {step}")
    ours.reset_state()
    theirs.reset_state()
    y_true, y_pred = batch(kind, 9, rng)
    ours.update_state(y_true, y_pred)
    theirs.update_state(y_true, y_pred)
    _assert_same(ours.result(), theirs.result(), f"{name} after reset_state")


@requires_keras
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_config_matches_keras_and_round_trips(keras, case):
    name, kwargs, _ = case
    ours = getattr(metrics, name)(name="m", **kwargs)
    theirs = getattr(keras.metrics, name)(name="m", **kwargs).get_config()
    if theirs.get("label_weights") is not None:
        theirs["label_weights"] = np.asarray(theirs["label_weights"]).tolist()
    assert ours.get_config() == theirs
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config() and rebuilt.name == "m"
    assert metrics.deserialize(metrics.serialize(ours)).get_config() == ours.get_config()


@requires_keras
def test_large_batch_auc_is_vectorized_and_equal(keras):
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, 200_000).astype(np.float32)
    y_pred = np.clip(y_true * 0.3 + rng.random(200_000) * 0.7, 0, 1).astype(np.float32)
    for curve in ("ROC", "PR"):
        ours, theirs = metrics.AUC(curve=curve), keras.metrics.AUC(curve=curve)
        ours.update_state(y_true, y_pred)
        theirs.update_state(y_true, y_pred)
        _assert_same(ours.result(), theirs.result(), curve)


# keras 3's string names, checked against keras.metrics.get: (string, class)
NAMES = [
    ("precision", "Precision"),
    ("Precision", "Precision"),
    ("recall", "Recall"),
    ("auc", "AUC"),
    ("AUC", "AUC"),
    ("true_positives", "TruePositives"),
    ("FalseNegatives", "FalseNegatives"),
    ("binary_accuracy", "BinaryAccuracy"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
    ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
    ("mse", "MeanSquaredError"),
    ("mean_squared_error", "MeanSquaredError"),
    ("mae", "MeanAbsoluteError"),
    ("root_mean_squared_error", "RootMeanSquaredError"),
    ("f1_score", "F1Score"),
    ("f_beta_score", "FBetaScore"),
    ("bce", "BinaryCrossentropy"),
    ("msle", "MeanSquaredLogarithmicError"),
]


@requires_keras
@pytest.mark.parametrize("string, cls", NAMES)
def test_string_names_are_keras_names(keras, string, cls):
    assert type(keras.metrics.get(string)).__name__ == cls  # Keras accepts it too
    metric = metrics.get(string)
    assert type(metric) is getattr(metrics, cls) and metric.name == string


@requires_keras
def test_default_names_are_unique_in_a_session_as_in_keras(keras):
    keras.backend.clear_session()
    theirs = [keras.metrics.Precision().name, keras.metrics.Precision().name]
    theirs += [keras.metrics.AUC().name, keras.metrics.F1Score().name, keras.metrics.F1Score().name]
    ours = [metrics.Precision().name, metrics.Precision().name]
    ours += [metrics.AUC().name, metrics.F1Score().name, metrics.F1Score().name]
    assert ours == theirs == ["precision", "precision_1", "auc", "f1_score", "f1_score"]
    nf.backend.clear_session()
    assert metrics.Precision().name == "precision"


def test_rmse_is_not_a_keras_name():
    # Keras 3 has no "rmse" alias, so neither do we: the error lists the names there are
    with pytest.raises(ValueError, match="Unknown metric: metrics='rmse'.*root_mean_squared_error"):
        metrics.get("rmse")


# ------------------------------------------------------------------ hand-worked cases


def test_precision_recall_by_hand():
    y_true, y_pred = [0, 1, 1, 1], [1, 0, 1, 1]  # tp 2, fp 1, fn 1
    assert metrics.Precision()(y_true, y_pred) == pytest.approx(2 / 3)
    assert metrics.Recall()(y_true, y_pred) == pytest.approx(2 / 3)
    # weights [1, 0, 3, 1]: tp 4, fp 1, fn 0
    weighted = metrics.Precision()
    weighted.update_state(y_true, y_pred, sample_weight=[1, 0, 3, 1])
    assert weighted.result() == pytest.approx(4 / 5)
    recall = metrics.Recall()
    recall.update_state(y_true, y_pred, sample_weight=[1, 0, 3, 1])
    assert recall.result() == 1.0
    # several thresholds: one value each, an array
    scores = [0.1, 0.4, 0.6, 0.9]
    by_threshold = metrics.Precision(thresholds=[0.0, 0.5, 0.95])(y_true, scores)
    np.testing.assert_allclose(by_threshold, [3 / 4, 1.0, 0.0])
    # nothing predicted positive: 0, not NaN
    assert metrics.Precision()([1, 0], [0.1, 0.2]) == 0.0


def test_precision_top_k_and_class_id_by_hand():
    y_true = np.array([[0, 0, 1, 1], [1, 0, 0, 0]])
    y_pred = np.array([[0.9, 0.1, 0.8, 0.2], [0.3, 0.7, 0.1, 0.0]])
    # top 2 per row: row 0 picks classes 0, 2 (one right); row 1 picks 1, 0 (one right)
    assert metrics.Precision(top_k=2)(y_true, y_pred) == pytest.approx(2 / 4)
    assert metrics.Recall(top_k=2)(y_true, y_pred) == pytest.approx(2 / 3)
    # class 0 alone: predictions 0.9 (label 0) and 0.3 (label 1) at threshold 0.5
    assert metrics.Precision(class_id=0)(y_true, y_pred) == 0.0
    assert metrics.Recall(class_id=0, thresholds=0.2)(y_true, y_pred) == 1.0


def test_confusion_counts_by_hand():
    y_true, y_pred = [0, 1, 1, 0, 1], [0.2, 0.6, 0.5, 0.7, 0.9]
    # at 0.5 (strictly above is positive): tp 2 (0.6, 0.9), fp 1 (0.7), fn 1 (0.5), tn 1
    assert metrics.TruePositives()(y_true, y_pred) == 2.0
    assert metrics.FalsePositives()(y_true, y_pred) == 1.0
    assert metrics.FalseNegatives()(y_true, y_pred) == 1.0
    assert metrics.TrueNegatives()(y_true, y_pred) == 1.0
    counts = metrics.TruePositives(thresholds=[0.0, 0.55, 0.95])(y_true, y_pred)
    assert counts.dtype == np.float32 and counts.numpy().tolist() == [3.0, 2.0, 0.0]
    tn = metrics.TrueNegatives()
    tn.update_state(y_true, y_pred, sample_weight=[2.5, 1, 1, 1, 1])
    tn.update_state([0], [0.1])
    assert tn.result() == 3.5


def test_auc_by_hand():
    # 4 thresholds: -eps, 1/3, 2/3, 1+eps
    y_true, y_pred = [0, 0, 1, 1], [0.1, 0.5, 0.4, 0.8]
    # (fpr, tpr) points: (1, 1), (0.5, 1), (0, 0.5), (0, 0); trapezoids 0.5 + 0.375 + 0
    assert metrics.AUC(num_thresholds=4)(y_true, y_pred) == pytest.approx(0.875)
    # lower and upper Riemann sums: 0.5 * 1 + 0.5 * 0.5 and 0.5 * 1 + 0.5 * 1
    low = metrics.AUC(num_thresholds=4, summation_method="minoring")
    high = metrics.AUC(num_thresholds=4, summation_method="majoring")
    assert low(y_true, y_pred) == pytest.approx(0.75)
    assert high(y_true, y_pred) == pytest.approx(1.0)
    # a perfect ranking gives 1 on both curves
    perfect = ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert metrics.AUC()(*perfect) == pytest.approx(1.0)
    assert metrics.AUC(curve="PR")(*perfect) == pytest.approx(1.0)
    # a zero weight removes the sample that spoils the ranking
    masked = metrics.AUC()
    masked.update_state(y_true, y_pred, sample_weight=[1, 0, 1, 1])
    assert masked.result() == pytest.approx(1.0)


def test_auc_multi_label_averages_the_label_curves():
    y_true = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    y_pred = np.array([[0.1, 0.9], [0.8, 0.7], [0.9, 0.2], [0.2, 0.4]])
    per_label = [metrics.AUC()(y_true[:, j], y_pred[:, j]) for j in range(2)]
    multi = metrics.AUC(multi_label=True)(y_true, y_pred)
    assert per_label == pytest.approx([1.0, 0.5]) and multi == pytest.approx(0.75)
    weighted = metrics.AUC(multi_label=True, label_weights=[3.0, 1.0])(y_true, y_pred)
    assert weighted == pytest.approx((3 * 1.0 + 0.5) / 4)


def test_f1_score_by_hand():
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    # argmax predictions 0, 1, 0, 2: class 0 P=1/2 R=1, class 1 P=1 R=1/2, class 2 P=R=1
    per_class = metrics.F1Score()(y_true, y_pred)
    np.testing.assert_allclose(per_class, [2 / 3, 2 / 3, 1.0], rtol=1e-5)
    assert metrics.F1Score(average="macro")(y_true, y_pred) == pytest.approx(7 / 9, rel=1e-5)
    # weighted by positives per class: 1, 2, 1
    expected = (2 / 3 * 1 + 2 / 3 * 2 + 1.0) / 4
    assert metrics.F1Score(average="weighted")(y_true, y_pred) == pytest.approx(expected, 1e-5)
    # micro: tp 3, fp 1, fn 1 over all classes
    assert metrics.F1Score(average="micro")(y_true, y_pred) == pytest.approx(0.75, rel=1e-5)
    # beta=2 weighs recall: class 0 (P=1/2, R=1) gives 5 * 0.5 / (4 * 0.5 + 1) = 5/6
    f2 = metrics.FBetaScore(beta=2.0)(y_true, y_pred)
    assert f2[0] == pytest.approx(5 / 6, rel=1e-5)


def test_top_k_and_regression_by_hand():
    y_pred = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]])
    labels = np.array([2, 1, 0])
    # ranks of the label's score: 2nd, 3rd, tied 2nd (a tie at the boundary is in, as in TF)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(labels, y_pred, k=2), [1.0, 0.0, 1.0]
    )
    np.testing.assert_array_equal(
        metrics.top_k_categorical_accuracy(np.eye(3)[labels], y_pred, k=1), [0.0, 0.0, 0.0]
    )
    top2 = metrics.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state(labels, y_pred, sample_weight=[1, 3, 0])
    assert top2.result() == pytest.approx(1 / 4)
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state([[0.0], [0.0]], [[3.0], [4.0]])  # mean square 12.5
    assert rmse.result() == pytest.approx(12.5**0.5)
    rmse.update_state([[0.0]], [[1.0]], sample_weight=[2.0])  # (9 + 16 + 2) / 4
    assert rmse.result() == pytest.approx((27 / 4) ** 0.5)
    mae = metrics.MeanAbsoluteError()
    mae.update_state([[1.0, 2.0], [0.0, 0.0]], [[2.0, 2.0], [0.0, 4.0]], sample_weight=[3, 1])
    assert mae.result() == pytest.approx((3 * 0.5 + 1 * 2.0) / 4)


@requires_keras
def test_sum_and_mean_match_keras(keras):
    rng = np.random.default_rng(5)
    for name in ("Sum", "Mean"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        for shape, weight_shape in [((6,), (6,)), ((4, 3), (4,)), ((5, 2), None), ((3, 2), (3, 2))]:
            values = rng.normal(size=shape)
            weight = None if weight_shape is None else rng.random(weight_shape)
            ours.update_state(values, sample_weight=weight)
            theirs.update_state(values, sample_weight=weight)
            _assert_same(ours.result(), theirs.result(), f"{name} {shape} {weight_shape}")


def test_binary_accuracy_threshold_in_config():
    m = metrics.BinaryAccuracy(threshold=0.7)
    assert m.get_config() == {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}
    m.update_state([[1], [1], [0], [0]], [[0.98], [0.6], [0.2], [0.8]])
    assert m.result() == 0.5
    assert metrics.BinaryAccuracy.from_config(m.get_config()).threshold == 0.7


# ------------------------------------------------------------------ through a model


def test_string_names_and_objects_name_the_history_keys():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0).astype(np.float32)
    model = nf.keras.Sequential([nf.keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(
        "adam",
        "binary_crossentropy",
        metrics=[
            "accuracy",
            "precision",
            "AUC",
            "mse",
            metrics.Recall(name="rec"),
            metrics.AUC(curve="PR", name="pr_auc"),
            metrics.FalseNegatives(),
        ],
    )
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    names = ["accuracy", "precision", "AUC", "mse", "rec", "pr_auc", "false_negatives"]
    assert set(history.history) == {"loss", *names, "val_loss", *(f"val_{n}" for n in names)}
    # the logged values are the metrics over the whole epoch's data
    results = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    auc = metrics.AUC()
    auc.update_state(y, p)
    assert results["AUC"] == pytest.approx(float(auc.result()), abs=1e-6)
    fn = float(((p <= 0.5) & (y == 1)).sum())
    assert results["false_negatives"] == fn
    assert all(isinstance(v, float) for v in results.values())


def test_top_k_by_name_in_a_classifier():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = rng.integers(0, 4, 40)
    model = nf.keras.Sequential([nf.keras.Input((5,)), layers.Dense(4, activation="softmax")])
    model.compile(
        "sgd",
        "sparse_categorical_crossentropy",
        metrics=[
            "sparse_top_k_categorical_accuracy",
            metrics.SparseTopKCategoricalAccuracy(k=1, name="top1"),
        ],
    )
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert logs["sparse_top_k_categorical_accuracy"] == 1.0  # k=5 >= 4 classes: always in
    hits = model.predict(x, verbose=0).argmax(-1) == y
    assert logs["top1"] == pytest.approx(hits.mean())


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: metrics.Precision(thresholds=1.5), "thresholds"),
        (lambda: metrics.Recall(thresholds=[0.2, -0.1]), "thresholds"),
        (lambda: metrics.TruePositives(thresholds=[]), "thresholds"),
        (lambda: metrics.AUC(thresholds=[0.5, 2.0]), "thresholds"),
        (lambda: metrics.Precision(top_k=0), "top_k"),
        (lambda: metrics.Recall(class_id=1.5), "class_id"),
        (lambda: metrics.TopKCategoricalAccuracy(k=0), "k"),
        (lambda: metrics.SparseTopKCategoricalAccuracy(k=-2), "k"),
        (lambda: metrics.AUC(num_thresholds=1), "num_thresholds"),
        (lambda: metrics.AUC(curve="roc_curve"), "curve"),
        (lambda: metrics.AUC(summation_method="trapezoid"), "summation_method"),
        (lambda: metrics.F1Score(average="samples"), "average"),
        (lambda: metrics.F1Score(threshold=0.0), "threshold"),
        (lambda: metrics.FBetaScore(beta=0.0), "beta"),
        (lambda: metrics.BinaryAccuracy(threshold="0.5"), "threshold"),
        (lambda: metrics.PrecisionAtRecall(recall=1.2), "recall"),
        (lambda: metrics.SensitivityAtSpecificity(0.5, num_thresholds=0), "num_thresholds"),
    ],
)
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"`{argument}`.*Received: {argument}="):
        make()


def test_bad_shapes_are_clear():
    with pytest.raises(ValueError, match=r"`y_true` and `y_pred` must have the same shape"):
        metrics.Precision().update_state(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"class_id.*Received: class_id=5"):
        metrics.Recall(class_id=5).update_state(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"rank 2 when `multi_label=True`.*\(4,\)"):
        metrics.AUC(multi_label=True).update_state(np.zeros(4), np.zeros(4))
    auc = metrics.AUC(multi_label=True, num_labels=3)
    with pytest.raises(ValueError, match=r"counts 3 labels.*y_pred.shape=\(2, 4\)"):
        auc.update_state(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"F1Score expects 2D inputs"):
        metrics.F1Score().update_state(np.zeros(4), np.zeros(4))
