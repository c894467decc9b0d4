"""keras.utils.timeseries_dataset_from_array: Keras's windows and targets exactly (its
docstring's examples and random arguments, against Keras 3 where installed), shuffling,
use by fit/evaluate/predict, and the bad input the issue lists."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras as nk
from neuroflow.utils import timeseries_dataset_from_array as windows
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _batches(dataset):
    """Every batch as NumPy arrays (a tuple (x, y), or x alone), ours or Keras's."""
    out = []
    for batch in dataset:
        if isinstance(batch, tuple):
            out.append(tuple(np.asarray(b) for b in batch))
        else:
            out.append(np.asarray(batch))
    return out


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


# ----------------------------------------------------------- Keras's docstring examples
def test_docstring_example_1_indices():
    ds = windows(np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3)
    rows = np.concatenate(_batches(ds))
    np.testing.assert_array_equal(rows[0], np.arange(0, 19, 2))
    np.testing.assert_array_equal(rows[1], np.arange(3, 22, 2))
    np.testing.assert_array_equal(rows[2], np.arange(6, 25, 2))
    np.testing.assert_array_equal(rows[-1], np.arange(78, 97, 2))
    assert len(rows) == 27


def test_docstring_example_2_temporal_regression():
    data = np.random.default_rng(0).normal(size=200)
    inputs, targets = next(iter(windows(data[:-10], data[10:], sequence_length=10)))
    np.testing.assert_array_equal(inputs.numpy()[0], data[:10])
    assert targets.numpy()[0] == data[10]
    assert inputs.shape == (128, 10) and targets.shape == (128,)


def test_docstring_example_3_many_to_many():
    x, y = np.arange(100), np.arange(100) * 2
    xs = windows(x, None, sequence_length=20, sequence_stride=20)
    ys = windows(y, None, sequence_length=20, sequence_stride=20)
    for inputs, targets in zip(xs, ys):
        np.testing.assert_array_equal(inputs.numpy()[0], x[:20])
        np.testing.assert_array_equal(targets.numpy()[1], y[20:40])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence_length": 10, "sampling_rate": 2, "sequence_stride": 3},
        {"sequence_length": 10},
        {"sequence_length": 20, "sequence_stride": 20},
    ],
)
def test_docstring_examples_equal_keras(kwargs):
    keras = peer("keras")
    data = np.arange(99)
    targets = np.arange(99) * 2.0
    for t in (None, targets):
        _assert_same(
            _batches(windows(data, t, **kwargs)),
            _batches(keras.utils.timeseries_dataset_from_array(data, t, **kwargs)),
        )


# ---------------------------------------------------------------- random arguments
def _random_cases(count=30, seed=7):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        n = int(rng.integers(12, 60))
        feature_shape = [(), (3,), (2, 2)][int(rng.integers(3))]
        kwargs = {
            "sequence_length": int(rng.integers(1, 9)),
            "sequence_stride": int(rng.integers(1, 5)),
            "sampling_rate": int(rng.integers(1, 4)),
            "batch_size": [1, 3, 7, 128, None][int(rng.integers(5))],
        }
        if rng.random() < 0.4:
            kwargs["start_index"] = int(rng.integers(0, n // 3))
        if rng.random() < 0.4:
            kwargs["end_index"] = int(rng.integers(n // 2, n))
        start, end = kwargs.get("start_index") or 0, kwargs.get("end_index") or n
        span = (kwargs["sequence_length"] - 1) * kwargs["sampling_rate"] + 1
        if end - start < span:
            continue  # Keras gives an empty dataset there; ours raises (tested below)
        targets = rng.random() < 0.7
        target_length = n if rng.random() < 0.8 else n - int(rng.integers(0, start + 1))
        cases.append((n, feature_shape, kwargs, targets, target_length, int(rng.integers(1e6))))
    return cases


@pytest.mark.parametrize(("n", "feature_shape", "kwargs", "targets", "target_length", "seed"),
                         _random_cases())  # fmt: skip
def test_random_arguments_equal_keras(n, feature_shape, kwargs, targets, target_length, seed):
    keras = peer("keras")
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(n, *feature_shape)).astype(np.float32)
    t = rng.integers(0, 100, size=target_length) if targets else None
    ours = windows(data, t, **kwargs)
    theirs = keras.utils.timeseries_dataset_from_array(data, t, **kwargs)
    _assert_same(_batches(ours), _batches(theirs))


# -------------------------------------------------------------------------- shuffling
def _rows(dataset):
    """Each (window, target) pair as one hashable row."""
    rows = []
    for x, y in dataset:
        for a, b in zip(np.asarray(x), np.asarray(y)):
            rows.append(tuple(a.ravel().tolist()) + (float(b),))
    return rows


@pytest.mark.parametrize("seed", [0, 5])
def test_shuffle_gives_keras_windows_in_a_seeded_order(seed):
    keras = peer("keras")
    data = np.arange(200, dtype=np.float32).reshape(100, 2)
    targets = np.arange(100) * 10
    kwargs = {"sequence_length": 6, "sequence_stride": 2, "sampling_rate": 3, "batch_size": 4}
    ours = windows(data, targets, shuffle=True, seed=seed, **kwargs)
    theirs = keras.utils.timeseries_dataset_from_array(
        data, targets, shuffle=True, seed=seed, **kwargs
    )
    plain = _rows(windows(data, targets, **kwargs))
    first_epoch, second_epoch = _rows(ours), _rows(ours)
    assert sorted(first_epoch) == sorted(_rows(theirs)) == sorted(plain)
    assert first_epoch != plain
    assert second_epoch != first_epoch  # each epoch reshuffles, as tf.data's shuffle
    again = windows(data, targets, shuffle=True, seed=seed, **kwargs)
    assert _rows(again) == first_epoch and _rows(again) == second_epoch  # seeded epochs
    other = windows(data, targets, shuffle=True, seed=seed + 1, **kwargs)
    assert _rows(other) != first_epoch


def test_shuffle_without_seed_follows_set_random_seed():
    data = np.arange(50.0)
    nf.utils.set_random_seed(3)
    first = _batches(windows(data, None, sequence_length=4, shuffle=True, batch_size=None))
    nf.utils.set_random_seed(3)
    second = _batches(windows(data, None, sequence_length=4, shuffle=True, batch_size=None))
    np.testing.assert_array_equal(np.stack(first), np.stack(second))


# ------------------------------------------------------------------- with the models
def test_fit_evaluate_predict_take_the_dataset():
    rng = np.random.default_rng(1)
    series = np.sin(np.arange(300) / 8.0).astype(np.float32)[:, None] + rng.normal(
        scale=0.05, size=(300, 1)
    ).astype(np.float32)
    train = windows(series[:-12], series[12:, 0], sequence_length=12, batch_size=32, end_index=200)
    test = windows(series[:-12], series[12:, 0], sequence_length=12, start_index=200)
    model = nk.Sequential([nk.Input((12, 1)), nk.layers.Flatten(), nk.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(train, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    loss = model.evaluate(test, verbose=0)
    assert np.isfinite(loss)
    x_only = windows(series, None, sequence_length=12, batch_size=50)
    assert model.predict(x_only, verbose=0).shape == (289, 1)


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sequence_length": 0}, r"sequence_length.*Received: sequence_length=0"),
        ({"sequence_length": -3}, r"sequence_length=-3"),
        ({"sequence_length": 4, "sampling_rate": 0}, r"sampling_rate=0"),
        ({"sequence_length": 4, "sampling_rate": -1}, r"sampling_rate=-1"),
        ({"sequence_length": 4, "sequence_stride": 0}, r"sequence_stride=0"),
        ({"sequence_length": 4, "sampling_rate": 20}, r"sampling_rate=20, for data of length 20"),
        ({"sequence_length": 4, "sequence_stride": 25}, r"sequence_stride=25"),
        ({"sequence_length": 21}, r"longer than the series.*sequence_length=21.*holds 20"),
        ({"sequence_length": 8, "sampling_rate": 3}, r"spans 22 steps.*sequence_length <= 7"),
        ({"sequence_length": 4, "start_index": -1}, r"start_index=-1"),
        ({"sequence_length": 4, "start_index": 20}, r"start_index=20, for data of length 20"),
        ({"sequence_length": 4, "end_index": 20}, r"end_index=20, for data of length 20"),
        ({"sequence_length": 4, "end_index": 0}, r"end_index=0"),
        ({"sequence_length": 4, "start_index": 5, "end_index": 5}, r"start_index=5.*end_index=5"),
        ({"sequence_length": 4, "start_index": 10, "end_index": 12}, r"longer than the series"),
        ({"sequence_length": 4, "batch_size": 0}, r"batch_size=0"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        windows(np.arange(20.0), None, **kwargs)


def test_nan_in_the_series_is_an_error():
    data = np.arange(30.0)
    data[17] = np.nan
    with pytest.raises(ValueError, match=r"`data` holds NaN \(first at step 17\)"):
        windows(data, None, sequence_length=5)
    with pytest.raises(ValueError, match=r"`targets` holds NaN"):
        windows(np.arange(30.0), data, sequence_length=5)


def test_non_integer_arguments_are_type_errors():
    with pytest.raises(TypeError, match=r"sequence_length=2.5"):
        windows(np.arange(20.0), None, sequence_length=2.5)
    with pytest.raises(ValueError, match="at least one axis"):
        windows(3.0, None, sequence_length=1)


def test_targets_too_short_for_a_window():
    with pytest.raises(ValueError, match=r"`targets` is too short"):
        windows(np.arange(20.0), np.arange(12.0), sequence_length=3, start_index=5)
