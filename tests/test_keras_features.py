"""Features the README lists, each checked by hand and, with the same weights and data, against
Keras 3 (the ``requires_keras`` tests: skipped without TensorFlow locally, failed in CI)."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, initializers, losses, optimizers, regularizers
from neuroflow.keras import layers
from neuroflow.tensor import Variable
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(48, 5)).astype(np.float32)
Y = RNG.integers(0, 3, size=48)
X_VAL = RNG.normal(size=(12, 5)).astype(np.float32)
Y_VAL = RNG.integers(0, 3, size=12)


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


def ours(regularizer=None):
    return nf.keras.Sequential(
        [
            nf.keras.Input((5,)),
            layers.Dense(8, activation="relu", kernel_regularizer=regularizer),
            layers.Dense(3, activation="softmax"),
        ]
    )


def pair(keras, k_regularizer=None, n_regularizer=None):
    """The same network in Keras and in neuroflow, Keras's initial weights copied over."""
    keras.utils.set_random_seed(0)
    k_model = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, activation="relu", kernel_regularizer=k_regularizer),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    n_model = ours(n_regularizer)
    n_model.set_weights(k_model.get_weights())
    return k_model, n_model


def compile_both(k_model, n_model, keras, lr=0.1):
    # keywords: Keras 3's third positional argument is loss_weights
    for model, opt in ((k_model, keras.optimizers.SGD(lr)), (n_model, optimizers.SGD(lr))):
        model.compile(opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def assert_same_history(k_hist, n_hist, rtol=2e-4):
    assert sorted(n_hist) == sorted(k_hist)
    for key, k_values in k_hist.items():
        assert len(n_hist[key]) == len(k_values), key
        np.testing.assert_allclose(n_hist[key], k_values, rtol=rtol, atol=1e-6, err_msg=key)


# --- fit: validation_freq, validation_batch_size ----------------------------------------------


def fit_ours(validation_freq, epochs=5):
    nf.utils.set_random_seed(0)
    model = ours()
    model.compile(optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(
        X,
        Y,
        batch_size=16,
        epochs=epochs,
        validation_data=(X_VAL, Y_VAL),
        validation_freq=validation_freq,
        shuffle=False,
        verbose=0,
    ).history


def test_validation_freq_validates_every_nth_epoch():
    every = fit_ours(validation_freq=1)
    second = fit_ours(validation_freq=2)
    assert len(second["loss"]) == len(second["accuracy"]) == 5
    assert len(second["val_loss"]) == len(second["val_accuracy"]) == 2
    # the same training: the validations run are those of epochs 2 and 4
    np.testing.assert_allclose(second["loss"], every["loss"], rtol=1e-6)
    np.testing.assert_allclose(second["val_loss"], every["val_loss"][1::2], rtol=1e-6)
    np.testing.assert_allclose(second["val_accuracy"], every["val_accuracy"][1::2], rtol=1e-6)


@requires_keras
@pytest.mark.parametrize("validation_freq", [1, 2, 3])
def test_validation_freq_history_matches_keras(keras, validation_freq):
    k_model, n_model = pair(keras)
    compile_both(k_model, n_model, keras)
    kwargs = {
        "batch_size": 16,
        "epochs": 5,
        "validation_data": (X_VAL, Y_VAL),
        "validation_freq": validation_freq,
        "shuffle": False,
        "verbose": 0,
    }
    assert_same_history(k_model.fit(X, Y, **kwargs).history, n_model.fit(X, Y, **kwargs).history)


class BatchSizes(layers.Layer):
    """Passes its input through and records the batch sizes it sees."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sizes = []

    def call(self, inputs, training=False):
        self.sizes.append((bool(training), inputs.shape[0]))
        return inputs


def test_validation_batch_size_sets_the_validation_batches():
    recorder = BatchSizes()
    model = nf.keras.Sequential([nf.keras.Input((5,)), recorder, layers.Dense(3)])
    model.compile(optimizers.SGD(0.1), losses.SparseCategoricalCrossentropy(from_logits=True))
    recorder.sizes.clear()  # building the model may trace `call` once, as Keras does
    model.fit(
        X,
        Y,
        batch_size=16,
        epochs=1,
        validation_data=(X_VAL, Y_VAL),
        validation_batch_size=5,
        shuffle=False,
        verbose=0,
    )
    seen = [size for size in recorder.sizes if isinstance(size[1], int)]
    assert [s for training, s in seen if training] == [16, 16, 16]
    assert [s for training, s in seen if not training] == [5, 5, 2]


def test_validation_batch_size_does_not_change_the_validation_loss():
    def val_loss(validation_batch_size):
        nf.utils.set_random_seed(0)
        model = ours()
        model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        return model.fit(
            X,
            Y,
            epochs=1,
            validation_data=(X_VAL, Y_VAL),
            validation_batch_size=validation_batch_size,
            shuffle=False,
            verbose=0,
        ).history["val_loss"][0]

    # batch means weighted by batch size: 5 + 5 + 2 gives the mean over all 12
    assert val_loss(5) == pytest.approx(val_loss(12), rel=1e-6)


# --- evaluate(return_dict=True), train/test/predict_on_batch ---------------------------------


def test_evaluate_return_dict_names_the_list():
    nf.utils.set_random_seed(0)
    model = ours()
    model.compile(optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    as_list = model.evaluate(X, Y, verbose=0)
    as_dict = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert sorted(as_dict) == sorted(model.metrics_names) == ["accuracy", "loss"]
    np.testing.assert_allclose([as_dict[k] for k in model.metrics_names], as_list, rtol=1e-7)


@requires_keras
def test_evaluate_return_dict_matches_keras(keras):
    k_model, n_model = pair(keras)
    compile_both(k_model, n_model, keras)
    k_out = k_model.evaluate(X, Y, verbose=0, return_dict=True)
    n_out = n_model.evaluate(X, Y, verbose=0, return_dict=True)
    assert sorted(n_out) == sorted(k_out)
    for key in k_out:
        assert n_out[key] == pytest.approx(float(k_out[key]), rel=1e-5), key


@requires_keras
def test_train_test_predict_on_batch_match_keras(keras):
    k_model, n_model = pair(keras)
    compile_both(k_model, n_model, keras, lr=0.5)
    xb, yb = X[:16], Y[:16]
    for _ in range(3):  # three steps, so the returned loss follows the updated weights
        k_loss, k_acc = k_model.train_on_batch(xb, yb)
        n_loss, n_acc = n_model.train_on_batch(xb, yb)
        assert n_loss == pytest.approx(float(k_loss), rel=1e-5)
        assert n_acc == pytest.approx(float(k_acc), abs=1e-6)
    for k_w, n_w in zip(k_model.get_weights(), n_model.get_weights()):
        np.testing.assert_allclose(n_w, k_w, rtol=1e-5, atol=1e-6)
    k_test = k_model.test_on_batch(X_VAL, Y_VAL)
    n_test = n_model.test_on_batch(X_VAL, Y_VAL)
    np.testing.assert_allclose(n_test, [float(v) for v in k_test], rtol=1e-5)
    np.testing.assert_allclose(
        n_model.predict_on_batch(X_VAL), k_model.predict_on_batch(X_VAL), rtol=1e-5, atol=1e-6
    )


def test_on_batch_methods_by_hand():
    nf.utils.set_random_seed(0)
    model = ours()
    model.compile(optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    xb, yb = X[:16], Y[:16]
    probs = model.predict_on_batch(xb)
    np.testing.assert_allclose(probs, model.predict(xb, verbose=0), rtol=1e-6)
    before = -np.log(probs[np.arange(16), yb]).mean()
    # no metrics: a scalar, the loss of the weights before the step (as in Keras)
    assert model.test_on_batch(xb, yb) == pytest.approx(before, rel=1e-5)
    assert model.train_on_batch(xb, yb) == pytest.approx(before, rel=1e-5)
    assert model.test_on_batch(xb, yb) < before  # the step was taken


# --- optimizers: amsgrad, global_clipnorm -----------------------------------------------------

W0 = [np.array([0.5, -1.0, 2.0], np.float32), np.array([[0.1, -0.2], [0.3, 0.4]], np.float32)]
# large gradients first, then small ones: Adam's v decreases, so amsgrad's max(v) matters
GRADS = [
    [np.array([2.0, -1.5, 1.0], np.float32), np.array([[1.0, -2.0], [0.5, 1.5]], np.float32)],
    [np.array([0.1, 0.2, -0.1], np.float32), np.array([[0.05, 0.1], [-0.1, 0.02]], np.float32)],
    [np.array([-0.05, 0.1, 0.2], np.float32), np.array([[0.1, -0.05], [0.1, 0.1]], np.float32)],
    [np.array([0.02, -0.03, 0.01], np.float32), np.array([[0.0, 0.2], [0.1, -0.3]], np.float32)],
]


def run_ours(opt, grads=GRADS):
    variables = [Variable(w.copy()) for w in W0]
    for step in grads:
        opt.apply(list(step), variables)
    return [v.numpy().astype(np.float64) for v in variables]


def run_keras(keras, opt, grads=GRADS):
    variables = [keras.Variable(w.copy()) for w in W0]
    for step in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in step], variables))
    return [np.asarray(v.numpy(), np.float64) for v in variables]


def adam_by_hand(lr, amsgrad, b1=0.9, b2=0.5, eps=1e-7):
    out = []
    for i, w0 in enumerate(W0):
        w, m, v, v_max = w0.astype(np.float64), 0.0, 0.0, 0.0
        for t, step in enumerate(GRADS, start=1):
            g = step[i].astype(np.float64)
            m = m + (g - m) * (1 - b1)
            v = v + (g * g - v) * (1 - b2)
            v_max = np.maximum(v_max, v)
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            w = w - alpha * m / (np.sqrt(v_max if amsgrad else v) + eps)
        out.append(w)
    return out


def test_amsgrad_by_hand():
    # beta_2=0.5: v follows the shrinking squared gradients closely, so max(v) differs from v
    got = run_ours(optimizers.Adam(0.01, beta_2=0.5, amsgrad=True))
    expected, plain = adam_by_hand(0.01, True), adam_by_hand(0.01, False)
    for g, e, p in zip(got, expected, plain):
        np.testing.assert_allclose(g, e, rtol=1e-5)
        assert np.abs(e - p).max() > 1e-3  # these gradients tell amsgrad from plain Adam


@requires_keras
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_keras(keras, amsgrad):
    got = run_ours(optimizers.Adam(0.01, beta_2=0.5, amsgrad=amsgrad))
    expected = run_keras(keras, keras.optimizers.Adam(0.01, beta_2=0.5, amsgrad=amsgrad))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


def test_global_clipnorm_scales_all_gradients_together():
    grads = [
        [np.array([3.0, 0.0, 0.0], np.float32), np.array([[0.0, 4.0], [0.0, 0.0]], np.float32)]
    ]
    got = run_ours(optimizers.SGD(1.0, global_clipnorm=1.0), grads)
    # the norm over both is 5: each gradient is divided by 5 (clipnorm would cut each to 1)
    np.testing.assert_allclose(got[0], W0[0] - [0.6, 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(got[1], W0[1] - [[0.0, 0.8], [0.0, 0.0]], rtol=1e-6)
    untouched = run_ours(optimizers.SGD(1.0, global_clipnorm=10.0), grads)  # below the limit
    np.testing.assert_allclose(untouched[1], W0[1] - grads[0][1], rtol=1e-6)


@requires_keras
def test_global_clipnorm_matches_keras(keras):
    kwargs = {"learning_rate": 0.1, "momentum": 0.9, "global_clipnorm": 0.5}
    got = run_ours(optimizers.SGD(**kwargs))
    expected = run_keras(keras, keras.optimizers.SGD(**kwargs))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


# --- losses: label_smoothing ------------------------------------------------------------------

LOGITS = RNG.normal(size=(6, 4)).astype(np.float32) * 2
ONEHOT = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, size=6)]
BINARY = RNG.integers(0, 2, size=(6, 4)).astype(np.float32)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("from_logits", [False, True])
def test_label_smoothing_by_hand(from_logits):
    ls = 0.2
    probs = _softmax(LOGITS.astype(np.float64))
    smooth = ONEHOT * (1 - ls) + ls / 4
    expected = -(smooth * np.log(probs)).sum(-1).mean()
    pred = LOGITS if from_logits else probs.astype(np.float32)
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=ls)
    assert float(loss(ONEHOT, pred)) == pytest.approx(expected, rel=1e-5)

    p = _sigmoid(LOGITS.astype(np.float64))
    smooth = BINARY * (1 - ls) + 0.5 * ls  # towards 1/2: two classes per output
    expected = -(smooth * np.log(p) + (1 - smooth) * np.log(1 - p)).mean()
    pred = LOGITS if from_logits else p.astype(np.float32)
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=ls)
    assert float(loss(BINARY, pred)) == pytest.approx(expected, rel=1e-4)


@requires_keras
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.1, 0.3])
def test_label_smoothing_matches_keras(keras, from_logits, ls):
    for ours_cls, k_cls, y, pred in [
        ("CategoricalCrossentropy", "CategoricalCrossentropy", ONEHOT, _softmax(LOGITS)),
        ("BinaryCrossentropy", "BinaryCrossentropy", BINARY, _sigmoid(LOGITS)),
    ]:
        pred = LOGITS if from_logits else pred.astype(np.float32)
        kwargs = {"from_logits": from_logits, "label_smoothing": ls}
        got = float(getattr(losses, ours_cls)(**kwargs)(y, pred))
        expected = float(getattr(keras.losses, k_cls)(**kwargs)(y, pred))
        assert got == pytest.approx(expected, rel=1e-5), ours_cls


def test_label_smoothing_in_compile_changes_the_training_loss():
    def first_loss(ls):
        nf.utils.set_random_seed(0)
        model = ours()
        model.compile("sgd", losses.CategoricalCrossentropy(label_smoothing=ls))
        return model.evaluate(X, np.eye(3, dtype=np.float32)[Y], verbose=0)

    assert first_loss(0.0) != pytest.approx(first_loss(0.3), rel=1e-3)


# --- initializers: glorot_normal, lecun_*, VarianceScaling -------------------------------------

DENSE, CONV = (300, 200), (3, 3, 32, 64)  # a conv kernel's fans include its window: 288, 576


def _fans(shape):
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


INITIALIZERS = [
    # name or config, expected std, the bound of the values (None: unbounded normal)
    ("glorot_normal", lambda i, o: np.sqrt(2 / (i + o)), "truncated"),
    ("lecun_normal", lambda i, o: np.sqrt(1 / i), "truncated"),
    ("lecun_uniform", lambda i, o: np.sqrt(1 / i), "uniform"),
    (
        {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}},
        lambda i, o: np.sqrt(2 / o),
        "truncated",
    ),
    (
        {
            "class_name": "VarianceScaling",
            "config": {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"},
        },
        lambda i, o: np.sqrt(0.5 / ((i + o) / 2)),
        "uniform",
    ),
    (
        {
            "class_name": "VarianceScaling",
            "config": {"scale": 3.0, "mode": "fan_in", "distribution": "untruncated_normal"},
        },
        lambda i, o: np.sqrt(3.0 / i),
        "normal",
    ),
]


def _check_statistics(w, std, kind):
    """Mean 0, the expected std within 3% (> 15 standard errors at these sizes), and the bound."""
    assert abs(w.mean()) < 0.02 * std
    assert abs(w.std() / std - 1) < 0.03, (w.std(), std)
    top = np.abs(w).max()
    if kind == "uniform":  # U(-limit, limit) has std limit/sqrt(3)
        assert 0.99 * np.sqrt(3) * std < top <= np.sqrt(3) * std * (1 + 1e-6)
    elif kind == "truncated":  # cut at two of the pre-correction standard deviations
        bound = 2 * std / 0.87962566103423978
        assert 0.97 * bound < top <= bound * (1 + 1e-6)
    else:
        assert top > 3 * std  # not truncated: 60,000 draws reach past 3 sigma


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("spec,std_of,kind", INITIALIZERS, ids=lambda v: str(v)[:40])
def test_initializer_statistics(spec, std_of, kind, shape):
    w = initializers.get(spec)(shape)
    assert w.shape == shape and w.dtype == np.float32
    _check_statistics(w, std_of(*_fans(shape)), kind)


@requires_keras
@pytest.mark.parametrize("spec,std_of,kind", INITIALIZERS, ids=lambda v: str(v)[:40])
def test_initializer_statistics_match_keras(keras, spec, std_of, kind):
    shape = CONV
    theirs = np.asarray(keras.initializers.get(spec)(shape))
    w = initializers.get(spec)(shape)
    # different generators, the same distribution: the same std and range within sampling noise
    assert abs(w.std() / theirs.std() - 1) < 0.04
    assert abs(np.abs(w).max() / np.abs(theirs).max() - 1) < (0.04 if kind != "normal" else 0.5)
    _check_statistics(theirs, std_of(*_fans(shape)), kind)  # our formula is Keras's too


def test_variance_scaling_is_seeded_and_validated():
    a = initializers.VarianceScaling(seed=3)((20, 10))
    np.testing.assert_array_equal(a, initializers.VarianceScaling(seed=3)((20, 10)))
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="gaussian")


# --- regularizers: L1, L1L2 -------------------------------------------------------------------

W = np.array([[0.5, -1.5], [2.0, -0.25]], np.float32)


def test_l1_and_l1l2_by_hand():
    assert float(regularizers.L1(0.1)(W).numpy()) == pytest.approx(0.1 * 4.25, rel=1e-6)
    assert float(regularizers.L1()(W).numpy()) == pytest.approx(0.01 * 4.25, rel=1e-6)
    expected = 0.1 * 4.25 + 0.2 * (0.25 + 2.25 + 4.0 + 0.0625)
    assert float(regularizers.L1L2(l1=0.1, l2=0.2)(W).numpy()) == pytest.approx(expected, rel=1e-6)
    # the string "l1_l2" means 0.01 for both, as Keras documents (the class defaults to 0.0)
    expected = 0.01 * 4.25 + 0.01 * 6.5625
    assert float(regularizers.get("l1_l2")(W).numpy()) == pytest.approx(expected, rel=1e-6)


@requires_keras
def test_l1_and_l1l2_match_keras(keras):
    for ours_reg, k_reg in [
        (regularizers.L1(0.03), keras.regularizers.L1(0.03)),
        (regularizers.L1L2(l1=0.03, l2=0.07), keras.regularizers.L1L2(l1=0.03, l2=0.07)),
    ]:
        assert float(ours_reg(W).numpy()) == pytest.approx(float(k_reg(W)), rel=1e-6)


@requires_keras
@pytest.mark.parametrize("kind", ["L1", "L1L2"])
def test_regularized_training_matches_keras(keras, kind):
    kwargs = {"l1": 0.02} if kind == "L1" else {"l1": 0.02, "l2": 0.05}
    k_model, n_model = pair(
        keras, getattr(keras.regularizers, kind)(**kwargs), getattr(regularizers, kind)(**kwargs)
    )
    compile_both(k_model, n_model, keras, lr=0.2)
    # the penalty is in the loss that evaluate reports, and its gradient in every step
    k_loss, _ = k_model.evaluate(X, Y, verbose=0)
    n_loss, _ = n_model.evaluate(X, Y, verbose=0)
    assert n_loss == pytest.approx(k_loss, rel=1e-5)
    fit = {"batch_size": 16, "epochs": 3, "shuffle": False, "verbose": 0}
    assert_same_history(k_model.fit(X, Y, **fit).history, n_model.fit(X, Y, **fit).history)
    for k_w, n_w in zip(k_model.get_weights(), n_model.get_weights()):
        np.testing.assert_allclose(n_w, k_w, rtol=1e-4, atol=1e-5)


# --- EarlyStopping: baseline, start_from_epoch -------------------------------------------------

# (EarlyStopping arguments, epochs run) with a loss that never changes, worked out from Keras's
# on_epoch_end: the first monitored epoch improves on +inf; patience counts epochs after it.
EARLY_STOPPING = [
    ({"patience": 2}, 3),
    ({"patience": 2, "baseline": -1.0}, 2),  # the baseline is never beaten: no reset of wait
    ({"patience": 2, "baseline": 100.0}, 3),  # beaten at once: as without one
    ({"patience": 1}, 2),
    ({"patience": 1, "start_from_epoch": 3}, 5),  # epochs 0-2 are not watched
    ({"patience": 2, "baseline": -1.0, "start_from_epoch": 4}, 6),
]


def _frozen(model_lr=1e-30):
    """A model whose loss stays the same every epoch (a step far below float32's resolution)."""
    nf.utils.set_random_seed(0)
    model = ours()
    model.compile(optimizers.SGD(model_lr), "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("kwargs,epochs_run", EARLY_STOPPING)
def test_early_stopping_baseline_and_start_from_epoch(kwargs, epochs_run):
    stop = callbacks.EarlyStopping(monitor="loss", **kwargs)
    history = _frozen().fit(X, Y, epochs=10, callbacks=[stop], shuffle=False, verbose=0).history
    assert len(set(history["loss"])) == 1  # the premise: the loss never moves
    assert len(history["loss"]) == epochs_run


@requires_keras
@pytest.mark.parametrize("kwargs,epochs_run", EARLY_STOPPING)
def test_early_stopping_matches_keras(keras, kwargs, epochs_run):
    k_model, _ = pair(keras)
    k_model.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy")
    k_stop = keras.callbacks.EarlyStopping(monitor="loss", **kwargs)
    k_hist = k_model.fit(X, Y, epochs=10, callbacks=[k_stop], shuffle=False, verbose=0).history
    n_stop = callbacks.EarlyStopping(monitor="loss", **kwargs)
    n_hist = _frozen().fit(X, Y, epochs=10, callbacks=[n_stop], shuffle=False, verbose=0).history
    assert len(n_hist["loss"]) == len(k_hist["loss"]) == epochs_run
    assert n_stop.stopped_epoch == k_stop.stopped_epoch
