"""fit/evaluate/predict on generators, iterables of batches and PyDataset/Sequence objects, with
steps_per_epoch/validation_steps/steps, as Keras 3 runs them; malformed batches and data that
runs dry."""

import os

import numpy as np
import pytest

from neuroflow import keras as nk
from neuroflow import utils
from neuroflow.models.data_adapter import PyDataset, check_batch
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(5)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = RNG.normal(size=(12, 1)).astype(np.float32)
W = RNG.uniform(0.5, 2.0, size=12).astype(np.float32)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def model(lib=nk):
    lib.utils.set_random_seed(0)
    m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    m.compile(lib.optimizers.SGD(0.05), "mse")
    return m


def batches(n=4, size=3, weights=False):
    for i in range(n):
        rows = slice(i * size, (i + 1) * size)
        yield (X[rows], Y[rows], W[rows]) if weights else (X[rows], Y[rows])


def make_dataset(base):
    class Thirds(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.calls = []

        def __len__(self):
            return 4

        def __getitem__(self, index):
            self.calls.append(index)
            rows = slice(index * 3, index * 3 + 3)
            return X[rows], Y[rows]

        def on_epoch_end(self):
            self.calls.append("end")

    return Thirds


Thirds = make_dataset(PyDataset)


class Reiterable:
    """A tf.data-like dataset: iterable many times, not an iterator."""

    def __iter__(self):
        return batches()


def weights_after(fit_data, **kwargs):
    m = model()
    m.fit(fit_data, verbose=0, **kwargs)
    return m.get_weights()


def assert_same_weights(a, b):
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-6)


# -------------------------------------------------------------- equal to array training
@pytest.mark.parametrize("source", ["generator", "dataset", "pydataset", "sequence"])
def test_batch_sources_train_as_arrays_do(source):
    expected = weights_after(X, y=Y, batch_size=3, shuffle=False, epochs=1)
    data = {
        "generator": batches(),
        "dataset": Reiterable(),
        "pydataset": Thirds(),
        "sequence": make_dataset(utils.Sequence)(),
    }[source]
    assert_same_weights(weights_after(data, shuffle=False, epochs=1), expected)


def test_a_reiterable_dataset_restarts_every_epoch():
    expected = weights_after(X, y=Y, batch_size=3, shuffle=False, epochs=3)
    assert_same_weights(weights_after(Reiterable(), epochs=3), expected)


def test_generator_sample_weights_equal_array_sample_weights():
    expected = weights_after(X, y=Y, sample_weight=W, batch_size=3, shuffle=False)
    assert_same_weights(weights_after(batches(weights=True)), expected)


def test_evaluate_and_predict_take_generators_and_steps():
    m = model()
    assert m.evaluate(batches(), verbose=0) == pytest.approx(m.evaluate(X, Y, verbose=0), 1e-6)
    assert m.evaluate(batches(), steps=2, verbose=0) == pytest.approx(
        m.evaluate(X[:6], Y[:6], verbose=0), rel=1e-6
    )
    np.testing.assert_allclose(m.predict(batches(), verbose=0), m.predict(X, verbose=0))
    bare = (X[i : i + 3] for i in range(0, 6, 3))  # predict also takes bare x batches
    assert m.predict(bare, verbose=0).shape == (6, 1)
    assert m.predict(Thirds(), steps=2, verbose=0).shape == (6, 1)


def test_validation_data_as_generator_and_pydataset():
    m, ref = model(), model()
    history = m.fit(X, Y, epochs=2, shuffle=False, verbose=0, validation_data=batches())
    ref_hist = ref.fit(X, Y, epochs=2, shuffle=False, verbose=0, validation_data=(X, Y))
    # a one-shot generator's validation batches are kept and reused every epoch
    np.testing.assert_allclose(history.history["val_loss"], ref_hist.history["val_loss"], 1e-6)
    data = Thirds()
    history = model().fit(X, Y, epochs=1, verbose=0, validation_data=data, validation_steps=2)
    assert data.calls == [0, 1, "end"]
    assert len(history.history["val_loss"]) == 1


def test_pydataset_on_epoch_end_every_epoch_and_shuffled_order():
    data = Thirds()
    model().fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.calls == [0, 1, 2, 3, "end", 0, 1, 2, 3, "end"]
    nk.utils.set_random_seed(1)
    data = Thirds()
    model().fit(data, epochs=3, verbose=0)  # shuffle=True: Keras 3 reorders the indices
    epochs = [data.calls[i * 5 : i * 5 + 4] for i in range(3)]
    assert all(sorted(e) == [0, 1, 2, 3] for e in epochs)
    assert any(e != [0, 1, 2, 3] for e in epochs)


def test_pydataset_without_super_init_still_works():
    class Bare(PyDataset):
        def __init__(self):  # tf.keras code often skips super().__init__()
            pass

        def __len__(self):
            return 2

        def __getitem__(self, index):
            return X[index * 6 : index * 6 + 6], Y[index * 6 : index * 6 + 6]

    data = Bare()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    assert len(model().fit(data, epochs=2, verbose=0).history["loss"]) == 2


# --------------------------------------------------------- steps_per_epoch and running dry
def test_generator_with_steps_continues_across_epochs():
    # 4 batches, 2 per epoch: the second epoch takes batches 3 and 4, as Keras
    expected = weights_after(X, y=Y, batch_size=3, shuffle=False, epochs=1)
    with np.errstate(all="ignore"):
        got = weights_after(batches(), steps_per_epoch=2, epochs=2)
    assert_same_weights(got, expected)


def test_a_generator_that_runs_dry_warns_and_stops_training():
    m = model()
    with pytest.warns(UserWarning, match="ran out of data.*after 1 batch.*3 steps"):
        history = m.fit(batches(), steps_per_epoch=3, epochs=4, verbose=0)
    # 4 batches in all: epoch 2 gets one, warns, and training stops there
    assert len(history.history["loss"]) == 2
    m = model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = m.fit(batches(), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # a generator serves one pass


def test_arrays_with_steps_per_epoch_end_the_epoch_where_the_pass_ends():
    seen = []

    class Count(nk.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.params["steps"])

    batches_seen = []

    class Batches(nk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches_seen.append(batch)

    # 4 batches per pass, 3 steps per epoch: epochs of 3, 1 (pass ends), 3 batches
    with pytest.warns(UserWarning, match="1 of its steps_per_epoch=3"):
        history = model().fit(X, Y, batch_size=3, steps_per_epoch=3, epochs=3, verbose=0,
                              callbacks=[Count(), Batches()])  # fmt: skip
    assert batches_seen == [0, 1, 2, 0, 0, 1, 2]
    assert len(history.history["loss"]) == 3 and seen == [3, 3, 3]


@requires_keras
def test_steps_per_epoch_with_arrays_matches_keras(keras):
    k_model, n_model = model(keras), model(nk)
    n_model.set_weights(k_model.get_weights())
    kw = dict(batch_size=3, steps_per_epoch=3, epochs=3, shuffle=False, verbose=0)
    with pytest.warns(UserWarning):
        k_hist = k_model.fit(X, Y, **kw).history
    with pytest.warns(UserWarning):
        n_hist = n_model.fit(X, Y, **kw).history
    np.testing.assert_allclose(n_hist["loss"], k_hist["loss"], rtol=2e-4)
    for a, b in zip(n_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


@requires_keras
def test_generator_and_pydataset_training_match_keras(keras):
    class KThirds(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return X[index * 3 : index * 3 + 3], Y[index * 3 : index * 3 + 3]

    k_model, n_model = model(keras), model(nk)
    n_model.set_weights(k_model.get_weights())
    k_hist = k_model.fit(KThirds(), epochs=2, shuffle=False, verbose=0).history
    n_hist = n_model.fit(Thirds(), epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(n_hist["loss"], k_hist["loss"], rtol=2e-4)
    k_eval = k_model.evaluate(batches(), verbose=0)
    assert n_model.evaluate(batches(), verbose=0) == pytest.approx(k_eval, rel=2e-4)


def test_progress_bar_handles_an_unknown_number_of_steps(capsys):
    model().fit(batches(), epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1\n4 ") and "loss:" in out  # 4 steps seen, none known


# -------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "batch, message",
    [
        ((X[:3], Y[:3], W[:3], W[:3]), "tuple of length 4"),
        ((X[:3], Y[:2]), r"same number of samples.*'x': 3, 'y': 2"),
        (X[:3], r"tuple \(x, y\).*array of shape \(3, 3\)"),
        ((X[:3],), r"without y"),
    ],
    ids=["four_parts", "mismatched", "bare_x", "no_targets"],
)
def test_a_malformed_batch_is_named(batch, message):
    with pytest.raises(ValueError, match=message):
        model().fit(iter([batch]), verbose=0)


def test_y_or_sample_weight_beside_a_generator_is_refused():
    with pytest.raises(ValueError, match="`y` must not be passed"):
        model().fit(batches(), Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weight` must not be passed"):
        model().evaluate(batches(), sample_weight=W, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model().fit(batches(), validation_split=0.2, verbose=0)


def test_an_empty_generator_is_refused():
    with pytest.raises(ValueError, match="yielded no batches"):
        model().fit(iter([]), verbose=0)


def test_check_batch_accepts_the_keras_forms():
    assert check_batch((X, Y), "data", True)[2] is None
    assert check_batch([X, Y, W], "data", True)[2] is W
    x, y, w = check_batch(X, "data", targets=False)
    assert x is X and y is None and w is None
