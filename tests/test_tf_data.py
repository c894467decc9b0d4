"""tf.data.Dataset: the same pipelines give the same elements as TensorFlow's (values, dtypes,
shapes, structure, element_spec, cardinality); shuffle keeps TensorFlow's buffer semantics;
bad input raises TensorFlow's error types; fit/evaluate/predict take datasets."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import errors
from neuroflow import keras as nk
from neuroflow.data import dataset as dataset_module
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(3)
X = RNG.normal(size=(10, 3))  # float64: stays float64, as in TensorFlow
X32 = X.astype(np.float32)
Y = RNG.integers(0, 3, size=10)  # int64
IMAGES = RNG.integers(0, 256, size=(7, 2, 2), dtype=np.uint8)


@pytest.fixture
def tf():  # per test, so that every comparison is counted (the import is cached)
    peer("keras")
    import tensorflow as tf

    return tf


# ------------------------------------------------------- pipelines, both libraries
# each builds the same pipeline from `lib` (neuroflow or tensorflow)
PIPELINES = {
    "array": lambda lib: lib.data.Dataset.from_tensor_slices(X),
    "array_batch": lambda lib: lib.data.Dataset.from_tensor_slices(X).batch(4),
    "tuple_batch_drop": lambda lib: lib.data.Dataset.from_tensor_slices((X32, Y)).batch(
        4, drop_remainder=True
    ),
    "dict_batch": lambda lib: lib.data.Dataset.from_tensor_slices(
        {"image": IMAGES, "label": Y[:7]}
    ).batch(3),
    "nested": lambda lib: lib.data.Dataset.from_tensor_slices(((X, X32), {"y": Y})).batch(6),
    "python_floats_and_ints": lambda lib: lib.data.Dataset.from_tensor_slices(
        ([0.5, 1.5, 2.5], [[1, 2], [3, 4], [5, 6]])
    ),
    "list_of_arrays": lambda lib: lib.data.Dataset.from_tensor_slices([X[:3], X[3:6]]),
    "from_tensors": lambda lib: lib.data.Dataset.from_tensors((IMAGES, 2.0)).repeat(2),
    "map_tuple": lambda lib: (
        lib.data.Dataset.from_tensor_slices((X32, Y)).map(lambda x, y: (x * 2.0, y + 1)).batch(3)
    ),
    "map_dict_in_out": lambda lib: lib.data.Dataset.from_tensor_slices({"a": X, "b": Y}).map(
        lambda d: {"sum": d["a"] + 1.0, "b": d["b"]}
    ),
    "map_after_batch": lambda lib: (
        lib.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(lambda x: x // 2)
    ),
    "map_returns_list": lambda lib: lib.data.Dataset.range(3).map(lambda x: [x, x * 2]),
    "filter": lambda lib: lib.data.Dataset.range(10).filter(lambda x: x % 3 == 0),
    "filter_tuple": lambda lib: lib.data.Dataset.from_tensor_slices((X, Y)).filter(
        lambda x, y: y > 0
    ),
    "repeat_take": lambda lib: lib.data.Dataset.from_tensor_slices(Y).repeat(3).take(25),
    "repeat_forever_take": lambda lib: lib.data.Dataset.range(4).repeat().take(9).batch(4),
    "take_all": lambda lib: lib.data.Dataset.range(4).take(-1),
    "skip": lambda lib: lib.data.Dataset.range(6).skip(4),
    "skip_all": lambda lib: lib.data.Dataset.range(6).skip(-1),
    "skip_past_end": lambda lib: lib.data.Dataset.range(6).skip(10),
    "unbatch": lambda lib: lib.data.Dataset.from_tensor_slices((X, Y)).batch(4).unbatch(),
    "unbatch_known": lambda lib: lib.data.Dataset.from_tensors(IMAGES).unbatch(),
    "zip_args": lambda lib: lib.data.Dataset.zip(
        lib.data.Dataset.range(5), lib.data.Dataset.from_tensor_slices(X)
    ),
    "zip_nested": lambda lib: lib.data.Dataset.zip(
        (lib.data.Dataset.range(3), {"y": lib.data.Dataset.range(5, 9)})
    ).batch(2),
    "range_one": lambda lib: lib.data.Dataset.range(5),
    "range_step": lambda lib: lib.data.Dataset.range(2, 11, 3),
    "range_down": lambda lib: lib.data.Dataset.range(10, 1, -4),
    "range_empty": lambda lib: lib.data.Dataset.range(5, 2),
    "range_int32": lambda lib: lib.data.Dataset.range(3, output_type=lib.int32),
    "enumerate": lambda lib: lib.data.Dataset.from_tensor_slices(Y[:4]).enumerate(start=5),
    "concatenate": lambda lib: lib.data.Dataset.range(3).concatenate(lib.data.Dataset.range(7, 9)),
    "concatenate_batches": lambda lib: (
        lib.data.Dataset.from_tensor_slices(X)
        .batch(3)
        .concatenate(lib.data.Dataset.from_tensor_slices(X).batch(4))
    ),
    "cache_prefetch": lambda lib: (
        lib.data.Dataset.from_tensor_slices((X, Y)).cache().batch(4).prefetch(lib.data.AUTOTUNE)
    ),
    "batch_bigger_than_data": lambda lib: lib.data.Dataset.range(3).batch(10),
    "batch_drop_all": lambda lib: lib.data.Dataset.range(3).batch(10, drop_remainder=True),
    "batch_of_batches": lambda lib: lib.data.Dataset.range(10).batch(2).batch(2),
    "empty": lambda lib: lib.data.Dataset.from_tensor_slices(np.zeros((0, 2))).batch(2),
}


def assert_same_element(ours, theirs, where="element"):
    """Same nest (tuple/dict, keys in order), and leaves equal in value, dtype and shape."""
    if isinstance(theirs, tuple):
        assert type(ours) is tuple and len(ours) == len(theirs), (where, ours)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same_element(a, b, f"{where}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), (where, ours)
        for key in theirs:
            assert_same_element(ours[key], theirs[key], f"{where}[{key!r}]")
    else:
        assert isinstance(ours, nf.Tensor), (where, type(ours))
        a, b = ours.numpy(), theirs.numpy()
        assert ours.dtype.name == theirs.dtype.name, (where, ours.dtype, theirs.dtype)
        assert np.shape(a) == np.shape(b), (where, np.shape(a), np.shape(b))
        np.testing.assert_array_equal(a, b, err_msg=where)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_pipeline_gives_tensorflows_elements_spec_and_cardinality(tf, name):
    ours, theirs = PIPELINES[name](nf), PIPELINES[name](tf)
    got, expected = list(ours), list(theirs)
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected)):
        assert_same_element(a, b, f"{name} element {i}")
    assert repr(ours.element_spec) == repr(theirs.element_spec)
    assert int(ours.cardinality()) == int(theirs.cardinality())
    assert ours.cardinality().dtype == nf.int64
    again = list(ours)  # iterating again starts afresh
    assert [np.asarray(v).tolist() for e in again for v in _leaves(e)] == [
        np.asarray(v).tolist() for e in got for v in _leaves(e)
    ]


def _leaves(element):
    return nf.data.structure.flatten(element)


@pytest.mark.parametrize("name", ["nested", "dict_batch", "range_step", "enumerate", "unbatch"])
def test_as_numpy_iterator_matches_tensorflows_types(tf, name):
    got = list(PIPELINES[name](nf).as_numpy_iterator())
    expected = list(PIPELINES[name](tf).as_numpy_iterator())

    def same(a, b):
        if isinstance(b, (tuple, dict)):
            assert type(a) is type(b) and len(a) == len(b)
            for x, y in zip(
                a.values() if isinstance(b, dict) else a, b.values() if isinstance(b, dict) else b
            ):
                same(x, y)
        else:  # an array for an array, a NumPy scalar of the same type for a scalar
            assert type(a) is type(b) and np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_array_equal(a, b)

    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        same(a, b)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("filter", nf.data.UNKNOWN_CARDINALITY),
        ("repeat_forever", nf.data.INFINITE_CARDINALITY),
        ("unknown_take", nf.data.UNKNOWN_CARDINALITY),
        ("infinite_take", 3),
        ("infinite_batch", nf.data.INFINITE_CARDINALITY),
        ("zip_finite_infinite", 4),
        ("zip_with_unknown", nf.data.UNKNOWN_CARDINALITY),
        ("concat_infinite", nf.data.INFINITE_CARDINALITY),
        ("unbatch_of_unknown_batch", nf.data.UNKNOWN_CARDINALITY),
        ("repeat_empty", 0),
    ],
)
def test_cardinality_as_tensorflow(tf, name, expected):
    def build(lib):
        d = lib.data.Dataset
        r = d.range(4)
        unknown = r.filter(lambda x: x > 0)
        return {
            "filter": unknown,
            "repeat_forever": r.repeat(),
            "unknown_take": unknown.take(2),
            "infinite_take": r.repeat().take(3),
            "infinite_batch": r.repeat().batch(3),
            "zip_finite_infinite": d.zip(r, r.repeat()),
            "zip_with_unknown": d.zip(r, unknown),
            "concat_infinite": r.concatenate(r.repeat()),
            "unbatch_of_unknown_batch": r.batch(2).unbatch(),
            "repeat_empty": r.take(0).repeat(),
        }[name]

    assert int(build(nf).cardinality()) == int(build(tf).cardinality()) == expected


def test_len_and_truth():
    ds = nf.data.Dataset.range(10).batch(3)
    assert len(ds) == 4 and bool(ds)
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(ds.filter(lambda x: True))
    assert bool(ds.repeat())  # truth must not call len()


def test_dtypes_follow_tensorflows_conversion_rules():
    d = nf.data.Dataset
    assert next(iter(d.from_tensor_slices(X))).dtype == nf.float64
    assert next(iter(d.from_tensor_slices([0.5, 1.0]))).dtype == nf.float32
    assert next(iter(d.from_tensor_slices([1, 2]))).dtype == nf.int32
    assert next(iter(d.from_tensor_slices([1, 2**40]))).dtype == nf.int64
    assert next(iter(d.range(3))).dtype == nf.int64
    assert next(iter(d.from_tensor_slices([X32[0], X[0]]))).dtype == nf.float32  # first's


def test_iteration_restarts_and_iterators_are_independent():
    ds = nf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    first = [y.numpy().tolist() for _, y in ds]
    assert [y.numpy().tolist() for _, y in ds] == first
    it1, it2 = iter(ds), iter(ds)
    next(it1)
    np.testing.assert_array_equal(next(it2)[1].numpy(), Y[:4])
    np.testing.assert_array_equal(next(it1)[1].numpy(), Y[4:8])
    for x, y in ds.take(1):
        assert x.shape == (4, 3) and y.shape == (4,)
    it = iter(nf.data.Dataset.range(1))
    assert int(it.get_next()) == 0
    with pytest.raises(errors.OutOfRangeError):
        it.get_next()


def test_a_dataset_is_a_snapshot_of_the_arrays():
    x = np.arange(4.0)
    ds = nf.data.Dataset.from_tensor_slices(x)
    x[:] = -1
    assert [float(v) for v in ds] == [0.0, 1.0, 2.0, 3.0]


def test_map_unpacks_tuples_only_and_runs_after_batch_per_batch():
    calls = []
    ds = (
        nf.data.Dataset.from_tensor_slices((X, Y))
        .batch(5)
        .map(lambda x, y: calls.append(x.shape) or (x, y))
    )
    assert len(list(ds)) == 2 and calls == [(5, 3), (5, 3)]
    pairs = nf.data.Dataset.zip(nf.data.Dataset.range(2), nf.data.Dataset.range(2))
    with pytest.raises(TypeError):  # a tuple element is two arguments, as in TensorFlow
        list(pairs.map(lambda pair: pair))
    d = nf.data.Dataset.from_tensor_slices({"a": Y})
    assert [int(v) for v in d.map(lambda e: e["a"])] == Y.tolist()


def test_reduce_take_while_flat_map_and_single_element(tf):
    for lib in (nf, tf):
        d = lib.data.Dataset
        assert int(d.range(5).reduce(np.int64(0), lambda s, x: s + x)) == 10
        assert [int(v) for v in d.range(6).take_while(lambda x: x < 3)] == [0, 1, 2]
        nested = d.range(3).flat_map(lambda x, d=d: d.range(x))
        assert [int(v) for v in nested] == [0, 0, 1]
        assert int(d.from_tensors(7).get_single_element()) == 7


def test_from_generator_with_a_signature(tf):
    def gen():
        for i in range(5):
            yield np.full(2, i, np.float64), i

    for lib in (nf, tf):
        sig = (lib.TensorSpec((2,), lib.float32), lib.TensorSpec((), lib.int32))
        got = list(lib.data.Dataset.from_generator(gen, output_signature=sig).batch(2))
        assert [b[0].shape[0] for b in got] == [2, 2, 1]
        assert got[0][0].dtype == lib.float32 and got[0][1].dtype == lib.int32
        np.testing.assert_array_equal(got[2][0].numpy(), [[4.0, 4.0]])


# ------------------------------------------------------------------------ shuffle
def _order(ds) -> list:
    return [int(v) for v in ds]


def test_shuffle_holds_the_same_elements_as_tensorflow_and_reshuffles(tf):
    ours = nf.data.Dataset.from_tensor_slices((X, Y)).shuffle(4).batch(3)
    theirs = tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(4).batch(3)

    def rows(ds):
        return sorted(tuple(r) for x, y in ds for r in np.c_[x.numpy(), y.numpy()].tolist())

    assert rows(ours) == rows(theirs) == sorted(tuple(r) for r in np.c_[X, Y].tolist())
    n = nf.data.Dataset.range(50).shuffle(50)
    orders = [_order(n) for _ in range(3)]
    assert all(sorted(o) == list(range(50)) for o in orders)
    assert orders[0] != orders[1] != orders[2]


def test_shuffle_is_reproducible_for_a_seed_and_a_global_seed():
    def epochs(ds):
        return [_order(ds) for _ in range(3)]

    d = nf.data.Dataset.range(30)
    assert epochs(d.shuffle(10, seed=4)) == epochs(d.shuffle(10, seed=4))
    assert epochs(d.shuffle(10, seed=4)) != epochs(d.shuffle(10, seed=5))
    nf.utils.set_random_seed(7)
    a = epochs(d.shuffle(30))
    nf.utils.set_random_seed(7)
    assert epochs(d.shuffle(30)) == a
    nf.random.set_seed(7)  # tf.random.set_seed seeds the same generator
    assert epochs(d.shuffle(30)) == a
    fixed = d.shuffle(30, seed=1, reshuffle_each_iteration=False)
    assert _order(fixed) == _order(fixed) != list(range(30))
    # a shuffle before repeat reshuffles every repetition, as in TensorFlow
    rep = _order(d.shuffle(30, seed=2).repeat(2))
    assert sorted(rep[:30]) == sorted(rep[30:]) == list(range(30)) and rep[:30] != rep[30:]
    # cache after shuffle replays the first order
    cached = d.shuffle(30, seed=2).cache()
    assert _order(cached) == _order(cached)


@pytest.mark.parametrize("buffer_size", [1, 2, 5])
def test_shuffle_buffer_locality_matches_tensorflow(tf, buffer_size):
    """Element i enters the buffer after i - k outputs: it never comes before position
    i - k + 1, and (over many seeds) does come exactly there; buffer 1 keeps the order."""
    n, k = 20, buffer_size

    def earliest(lib, seeds):
        first = np.full(n, n)
        for s in seeds:
            order = _order(lib.data.Dataset.range(n).shuffle(k, seed=s))
            assert sorted(order) == list(range(n))
            for position, i in enumerate(order):
                first[i] = min(first[i], position)
        return first

    bound = np.maximum(np.arange(n) - k + 1, 0)
    ours, theirs = earliest(nf, range(300)), earliest(tf, range(15))
    assert (ours >= bound).all() and (theirs >= bound).all()
    np.testing.assert_array_equal(ours, bound)  # the bound is reached: the rule is exact
    if k == 1:
        np.testing.assert_array_equal(theirs, bound)


def test_shuffle_picks_uniformly_from_the_buffer():
    firsts = np.bincount(
        [_order(nf.data.Dataset.range(10).shuffle(4, seed=s).take(1))[0] for s in range(2000)],
        minlength=10,
    )
    assert firsts[4:].sum() == 0
    assert np.all(np.abs(firsts[:4] / 2000 - 0.25) < 0.04)


def test_batches_of_source_rows_are_cut_without_building_elements(monkeypatch):
    def no_element(self, row):
        raise AssertionError("batch built a row one by one")

    monkeypatch.setattr(dataset_module._TensorSliceDataset, "_element", no_element)
    ds = nf.data.Dataset.from_tensor_slices((X, Y)).shuffle(10).repeat(2).skip(1).batch(4)
    assert sum(len(y) for _, y in ds) == 19


# ---------------------------------------------------------------------- bad input
BAD = {
    "batch_zero": lambda lib: lib.data.Dataset.range(3).batch(0),
    "batch_negative": lambda lib: lib.data.Dataset.range(3).batch(-2),
    "batch_float": lambda lib: lib.data.Dataset.range(3).batch(2.0),
    "shuffle_zero": lambda lib: lib.data.Dataset.range(3).shuffle(0),
    "shuffle_none": lambda lib: lib.data.Dataset.range(3).shuffle(None),
    "prefetch_negative": lambda lib: lib.data.Dataset.range(3).prefetch(-5),
    "take_float": lambda lib: lib.data.Dataset.range(3).take(1.5),
    "slices_scalar": lambda lib: lib.data.Dataset.from_tensor_slices(3.0),
    "slices_mismatch": lambda lib: lib.data.Dataset.from_tensor_slices((X, Y[:4])),
    "slices_ragged": lambda lib: lib.data.Dataset.from_tensor_slices([[1, 2], [3]]),
    "range_step_zero": lambda lib: lib.data.Dataset.range(0, 5, 0),
    "range_float": lambda lib: lib.data.Dataset.range(0.5, 3),
    "zip_list": lambda lib: lib.data.Dataset.zip([lib.data.Dataset.range(2)]),
    "zip_not_dataset": lambda lib: lib.data.Dataset.zip((lib.data.Dataset.range(2), 3)),
    "concat_dtypes": lambda lib: lib.data.Dataset.range(2).concatenate(
        lib.data.Dataset.from_tensor_slices([1.0])
    ),
    "unbatch_scalars": lambda lib: lib.data.Dataset.range(2).unbatch(),
    "filter_not_bool": lambda lib: list(lib.data.Dataset.range(2).filter(lambda x: x)),
    "len_infinite": lambda lib: len(lib.data.Dataset.range(2).repeat()),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_raises_tensorflows_error_type(tf, name):
    with pytest.raises(Exception) as theirs:
        BAD[name](tf)
    with pytest.raises(Exception) as ours:
        BAD[name](nf)
    assert type(ours.value).__name__ == type(theirs.value).__name__, (ours.value, theirs.value)
    for builtin in (ValueError, TypeError):  # tf.errors classes are not ValueErrors there
        if isinstance(theirs.value, builtin):
            assert isinstance(ours.value, builtin)


@pytest.mark.parametrize(
    "build,text",
    [
        (lambda d: d.range(3).batch(0), "Received: batch_size=0"),
        (lambda d: d.range(3).shuffle(-3), "Received: buffer_size=-3"),
        (lambda d: d.range(3).shuffle(None), "Received: buffer_size=None"),
        (lambda d: d.from_tensor_slices((X, Y[:4])), "Dimensions 10 and 4"),
        (lambda d: d.range(3).take("2"), "Received: count='2'"),
    ],
)
def test_error_messages_name_what_was_received(build, text):
    with pytest.raises((ValueError, TypeError), match=text):
        build(nf.data.Dataset)


def test_batching_elements_of_different_shapes_is_an_invalid_argument():
    ds = nf.data.Dataset.range(1, 4).map(lambda x: np.zeros(int(x))).batch(2)
    with pytest.raises(errors.InvalidArgumentError, match="different shapes"):
        list(ds)


# ------------------------------------------------------------- fit / evaluate / predict
def _model(seed=0):
    nf.utils.set_random_seed(seed)
    m = nk.Sequential([nk.Input((3,)), nk.layers.Dense(4, activation="tanh"), nk.layers.Dense(3)])
    m.compile(
        nk.optimizers.SGD(0.1),
        nk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return m


def test_fit_on_a_dataset_equals_fit_on_the_arrays_without_shuffle():
    ds = nf.data.Dataset.from_tensor_slices((X32, Y)).batch(4)
    a, b = _model(), _model()
    ha = a.fit(ds, epochs=4, validation_data=ds, verbose=0)
    hb = b.fit(X32, Y, batch_size=4, epochs=4, shuffle=False, validation_data=(X32, Y), verbose=0)
    assert ha.history == hb.history
    assert ha.history["loss"][-1] < ha.history["loss"][0]
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.evaluate(ds, verbose=0) == pytest.approx(b.evaluate(X32, Y, verbose=0))
    x_only = nf.data.Dataset.from_tensor_slices(X32).batch(3)
    np.testing.assert_array_equal(
        a.predict(x_only, verbose=0), b.predict(X32, batch_size=3, verbose=0)
    )
    np.testing.assert_array_equal(a.predict(ds, verbose=0), b.predict(X32, batch_size=4, verbose=0))


def test_fit_on_a_shuffled_repeated_dataset_with_steps_per_epoch_trains():
    ds = nf.data.Dataset.from_tensor_slices((X32, Y)).shuffle(10, seed=0).batch(4)
    m = _model()
    history = m.fit(ds.repeat(), steps_per_epoch=5, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    weighted = nf.data.Dataset.from_tensor_slices((X32, Y, np.ones(10, np.float32))).batch(5)
    assert len(m.fit(weighted, epochs=1, verbose=0).history["loss"]) == 1
    mapped = nf.data.Dataset.from_tensor_slices((X, Y)).map(lambda x, y: (x * 0.5, y)).batch(5)
    assert np.isfinite(m.evaluate(mapped, verbose=0)[0])


def test_fit_with_a_dataset_rejects_what_keras_rejects_and_ignores_batch_size():
    ds = nf.data.Dataset.from_tensor_slices((X32, Y)).batch(4)
    m = _model()
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(ds, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="`y`"):
        m.fit(ds, Y, verbose=0)
    # Keras 3 ignores batch_size for a dataset (its batches are the dataset's)
    a, b = _model(), _model()
    a.fit(ds, epochs=1, verbose=0)
    b.fit(ds, epochs=1, batch_size=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_the_namespace_as_courses_reach_it():
    import neuroflow as tf_like

    assert tf_like.data.AUTOTUNE == tf_like.data.experimental.AUTOTUNE == -1
    assert tf_like.data.Dataset is nf.data.dataset.Dataset
    assert int(tf_like.data.experimental.cardinality(tf_like.data.Dataset.range(3))) == 3


def test_callbacks_see_the_datasets_length_as_steps_as_in_keras(tf):
    keras = peer("keras")

    def steps_seen(lib, ds):
        class Record(lib.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.steps = self.params["steps"]

        lib.utils.set_random_seed(0)
        m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(3)])
        m.compile("sgd", "mse")
        record = Record()
        m.fit(ds, epochs=2, verbose=0, callbacks=[record], shuffle=False)
        return record.steps

    def data(lib):
        return lib.data.Dataset.from_tensor_slices((X32, np.ones((10, 3), np.float32)))

    assert steps_seen(nk, data(nf).batch(4)) == steps_seen(keras, data(tf).batch(4)) == 3
    unknown = data(nf).filter(lambda x, y: True).batch(4)
    assert steps_seen(nk, unknown) is None


@pytest.mark.parametrize(
    "args",
    [(3,), (3, 2), (3, 2, 1, True), (2, 1, 2), (3, 5), (2, 1, 1, True), (4, 1, 3, True), (9, 1)],
)
def test_window_matches_tensorflow(tf, args):
    def run(lib):
        windows = lib.data.Dataset.range(7).window(*args)
        return int(windows.cardinality()), [[int(v) for v in w] for w in windows]

    assert run(nf) == run(tf)


def test_window_of_pairs_flat_mapped_as_the_time_series_tutorial(tf):
    series = np.arange(12, dtype=np.float32)

    def run(lib):
        ds = lib.data.Dataset.from_tensor_slices((series, series * 2))
        ds = ds.window(5, shift=2, drop_remainder=True)
        ds = ds.flat_map(lambda x, y: lib.data.Dataset.zip((x.batch(5), y.batch(5))))
        ds = ds.map(lambda x, y: (x[:-1], y[-1])).batch(2)
        return [(x.numpy().tolist(), y.numpy().tolist()) for x, y in ds]

    assert run(nf) == run(tf)


def test_window_refuses_a_size_below_one():
    with pytest.raises(errors.InvalidArgumentError, match="size must be greater than zero"):
        nf.data.Dataset.range(3).window(0)
    with pytest.raises(errors.InvalidArgumentError, match="shift must be greater than zero"):
        nf.data.Dataset.range(3).window(2, shift=0)
