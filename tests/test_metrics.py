import numpy as np
import pytest

from neuroflow import losses, metrics


def test_accuracy_resolution_follows_keras():
    sparse = metrics.get("accuracy", (4,), (4, 3), losses.SparseCategoricalCrossentropy())
    assert sparse.fn is metrics.sparse_categorical_accuracy
    cat = metrics.get("accuracy", (4, 3), (4, 3), losses.CategoricalCrossentropy())
    assert cat.fn is metrics.categorical_accuracy
    binary = metrics.get("acc", (4,), (4, 1), losses.BinaryCrossentropy())
    assert binary.fn is metrics.binary_accuracy and binary.name == "acc"


def test_running_mean_over_batches():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))  # 1 of 2
    m.update_state(np.array([1]), np.array([[0.1, 0.9]]))  # 1 of 1
    assert m.result() == pytest.approx(2 / 3)
    m.reset_state()
    assert m.result() == 0.0


def test_binary_accuracy_threshold():
    y = np.array([[1], [0], [1]])
    p = np.array([[0.6], [0.4], [0.4]])
    assert metrics.binary_accuracy(y, p).tolist() == [1.0, 1.0, 0.0]


def test_regression_metrics():
    y = np.array([1.0, 2.0])
    p = np.array([[2.0], [2.0]])
    assert metrics.get("mae")(y, p) == pytest.approx(0.5)
    assert metrics.get("mse")(y, p) == pytest.approx(0.5)


def test_unknown_metric():
    with pytest.raises(ValueError, match="Unknown metric: metrics='acuracy'"):
        metrics.get("acuracy")
