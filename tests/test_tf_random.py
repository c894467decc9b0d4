"""tf.random: dtypes and shapes as TensorFlow's, the distributions' ranges and moments,
TensorFlow's seeding rules, shuffle, and TensorFlow's errors."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow as nf
from tests.conftest import peer


def _tf():
    peer("keras")
    import tensorflow as tf  # noqa: PLC0415

    return tf


CALLS = [
    ("normal", lambda m: m.random.normal((2, 3))),
    ("normal_f64", lambda m: m.random.normal([4], mean=1.0, stddev=2.0, dtype=m.float64)),
    ("uniform", lambda m: m.random.uniform((3,))),
    ("uniform_int32", lambda m: m.random.uniform((2, 2), minval=-3, maxval=4, dtype=m.int32)),
    ("uniform_int64", lambda m: m.random.uniform([5], maxval=9, dtype=m.int64)),
    ("truncated_normal", lambda m: m.random.truncated_normal((3, 2), stddev=0.5)),
    ("shuffle_int", lambda m: m.random.shuffle(m.constant([[1, 2], [3, 4], [5, 6]]))),
]


@pytest.mark.parametrize("case", CALLS, ids=[c[0] for c in CALLS])
def test_dtype_and_shape_match_tensorflow(case):
    tf = _tf()
    _, fn = case
    ours, theirs = fn(nf), fn(tf)
    assert ours.dtype.name == theirs.dtype.name
    assert ours.shape.as_list() == theirs.shape.as_list()


def test_normal_moments():
    nf.random.set_seed(0)
    x = nf.random.normal((200_000,), mean=2.0, stddev=3.0).numpy()
    assert x.dtype == np.float32
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03


def test_truncated_normal_stays_within_two_stddev():
    nf.random.set_seed(0)
    x = nf.random.truncated_normal((50_000,), mean=1.0, stddev=0.5).numpy()
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert abs(x.std() - 0.5 * 0.8796) < 0.01  # the std of a normal truncated at 2 sigma


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_uniform_range(dtype):
    nf.random.set_seed(1)
    x = nf.random.uniform((20_000,), minval=-2, maxval=3, dtype=dtype).numpy()
    assert x.dtype == dtype and x.min() >= -2 and x.max() < 3
    if dtype.startswith("int"):
        assert set(np.unique(x).tolist()) == {-2, -1, 0, 1, 2}
    else:
        assert abs(x.mean() - 0.5) < 0.05


def test_set_seed_repeats_everything():
    nf.random.set_seed(42)
    a = [nf.random.normal((3,)), nf.random.uniform((3,), seed=7), nf.random.uniform((3,), seed=7)]
    weights = nf.keras.layers.Dense(2)
    weights.build((None, 3))
    nf.random.set_seed(42)
    b = [nf.random.normal((3,)), nf.random.uniform((3,), seed=7), nf.random.uniform((3,), seed=7)]
    again = nf.keras.layers.Dense(2)
    again.build((None, 3))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    # as in TensorFlow, one op seed gives a sequence: repeated calls differ
    assert not np.array_equal(a[1].numpy(), a[2].numpy())
    np.testing.assert_array_equal(weights.kernel.numpy(), again.kernel.numpy())


def test_op_seeds_give_different_sequences():
    nf.random.set_seed(5)
    a = nf.random.normal((4,), seed=1).numpy()
    nf.random.set_seed(5)
    b = nf.random.normal((4,), seed=2).numpy()
    assert not np.array_equal(a, b)


def test_shuffle_permutes_rows():
    nf.random.set_seed(3)
    x = np.arange(20).reshape(10, 2)
    y = nf.random.shuffle(x).numpy()
    assert not np.array_equal(x, y)
    assert sorted(map(tuple, y.tolist())) == sorted(map(tuple, x.tolist()))
    assert (y[:, 1] - y[:, 0] == 1).all()  # rows stay whole


BAD = [
    ("int_without_maxval", lambda m: m.random.uniform((2,), dtype=m.int32), ValueError,
     r"Must specify maxval for integer dtype"),
    ("minval_not_below_maxval", lambda m: m.random.uniform((2,), 5, 5, dtype=m.int32),
     "InvalidArgumentError", r"Need minval < maxval"),
    ("bool_dtype", lambda m: m.random.uniform((2,), dtype=m.bool), ValueError,
     r"dtype.*bool"),
    ("normal_int", lambda m: m.random.normal((2,), dtype=m.int32), TypeError, r"int32"),
    ("fractional_int_bound", lambda m: m.random.uniform((2,), 1, 3.5, dtype=m.int32),
     TypeError, r"Cannot convert 3\.5"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_what_tensorflow_raises(case):
    tf = _tf()
    _, fn, error, match = case
    ours = nf.errors.InvalidArgumentError if error == "InvalidArgumentError" else error
    theirs = tf.errors.InvalidArgumentError if error == "InvalidArgumentError" else error
    with pytest.raises(ours, match=match):
        fn(nf)
    with pytest.raises(theirs):
        fn(tf)
