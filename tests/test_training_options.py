"""fit/evaluate's training options as Keras 3 has them: sample_weight and class_weight, weighted
metrics, multi-input and multi-output models (losses, loss_weights and metrics by output name,
history keys, evaluate's order), and the errors for options that cannot be honoured."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras as nk
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(3)
X = RNG.normal(size=(24, 4)).astype(np.float32)
X2 = RNG.normal(size=(24, 2)).astype(np.float32)
Y_REG = RNG.normal(size=(24, 1)).astype(np.float32)
Y_CLS = RNG.integers(0, 3, size=24)
W = RNG.uniform(0.1, 2.0, size=24).astype(np.float32)


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


def regressor(lib=nk, metrics=None, weighted_metrics=None):
    lib.utils.set_random_seed(0)
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1)])
    model.compile(
        lib.optimizers.SGD(0.05), "mse", metrics=metrics, weighted_metrics=weighted_metrics
    )
    return model


def classifier(lib=nk, weighted_metrics=None, loss="categorical_crossentropy"):
    lib.utils.set_random_seed(0)
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="softmax")])
    model.compile(lib.optimizers.SGD(0.1), loss, weighted_metrics=weighted_metrics)
    return model


def two_outputs(lib=nk, as_dict=False):
    lib.utils.set_random_seed(0)
    a = lib.Input((4,), name="features")
    b = lib.Input((2,), name="extra")
    h = lib.layers.Concatenate()([a, b])
    reg = lib.layers.Dense(1, name="price")(h)
    cls = lib.layers.Dense(3, activation="softmax", name="kind")(h)
    outputs = {"price": reg, "kind": cls} if as_dict else [reg, cls]
    return lib.Model([a, b], outputs)


def copy_weights(src, dst):
    dst.set_weights([np.asarray(w) for w in src.get_weights()])


def assert_same_history(k_hist, n_hist, rtol=2e-4):
    assert sorted(n_hist) == sorted(k_hist)
    for key, k_values in k_hist.items():
        np.testing.assert_allclose(n_hist[key], k_values, rtol=rtol, atol=1e-6, err_msg=key)


# ----------------------------------------------------------- sample weights by hand
def test_weights_one_and_three_over_two_samples_give_the_keras_mean():
    model = regressor()
    x, y = X[:2], Y_REG[:2]
    per_sample = ((model.predict(x, verbose=0) - y) ** 2).ravel()
    loss = model.evaluate(x, y, sample_weight=np.array([1.0, 3.0]), verbose=0)
    assert loss == pytest.approx((per_sample[0] + 3 * per_sample[1]) / 2, rel=1e-6)


def test_plain_metrics_ignore_weights_and_weighted_metrics_divide_by_their_sum():
    model = regressor(metrics=["mae"], weighted_metrics=["mae", "mse"])
    err = (model.predict(X, verbose=0) - Y_REG).ravel()
    logs = model.evaluate(X, Y_REG, sample_weight=W, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae", "mse", "weighted_mae"]
    assert logs["loss"] == pytest.approx(float((err**2 * W).sum() / len(W)), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.abs(err).mean()), rel=1e-5)
    assert logs["weighted_mae"] == pytest.approx(float((np.abs(err) * W).sum() / W.sum()), 1e-5)
    assert logs["mse"] == pytest.approx(float((err**2 * W).sum() / W.sum()), rel=1e-5)


def test_class_weight_argmaxes_one_hot_targets_and_missing_classes_weigh_one():
    model = classifier()
    y = np.eye(3, dtype=np.float32)[Y_CLS]
    probs = model.predict(X, verbose=0)
    per_sample = -np.log(probs[np.arange(len(X)), Y_CLS])
    weights = np.array([1.0, 2.0, 1.0])[Y_CLS]  # class 2 not in the dict: weight 1
    logs = model.train_on_batch(X, y, class_weight={0: 1.0, 1: 2.0}, return_dict=True)
    assert logs["loss"] == pytest.approx(float((per_sample * weights).mean()), rel=1e-5)


def test_validation_data_takes_sample_weights():
    model = regressor()
    history = model.fit(X, Y_REG, epochs=1, verbose=0, validation_data=(X[:6], Y_REG[:6], W[:6]))
    err = (model.predict(X[:6], verbose=0) - Y_REG[:6]).ravel()
    val = float((err**2 * W[:6]).sum() / 6)
    assert history.history["val_loss"][0] == pytest.approx(val, rel=1e-5)


def test_fit_with_sample_weight_equals_train_on_batch_steps():
    model, manual = regressor(), regressor()
    model.fit(X, Y_REG, sample_weight=W, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for lo in range(0, 24, 8):
        manual.train_on_batch(X[lo : lo + 8], Y_REG[lo : lo + 8], sample_weight=W[lo : lo + 8])
    for a, b in zip(model.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------------ against Keras
@requires_keras
@pytest.mark.parametrize("case", ["sample_weight", "class_weight"])
def test_weighted_training_matches_keras(keras, case):
    k_model, n_model = classifier(keras, ["accuracy"]), classifier(nk, ["accuracy"])
    copy_weights(k_model, n_model)
    y = np.eye(3, dtype=np.float32)[Y_CLS]
    kwargs = {"sample_weight": W} if case == "sample_weight" else {"class_weight": {0: 0.5, 2: 3.0}}
    common = dict(epochs=2, batch_size=8, shuffle=False, verbose=0, **kwargs)
    k_hist = k_model.fit(X, y, validation_data=(X[:8], y[:8], W[:8]), **common).history
    n_hist = n_model.fit(X, y, validation_data=(X[:8], y[:8], W[:8]), **common).history
    assert_same_history(k_hist, n_hist)


@requires_keras
def test_weighted_metrics_and_evaluate_match_keras(keras):
    k_model = regressor(keras, ["mae"], ["mae", "mse"])
    n_model = regressor(nk, ["mae"], ["mae", "mse"])
    copy_weights(k_model, n_model)
    kw = dict(sample_weight=W, verbose=0, return_dict=True)
    k_logs, n_logs = k_model.evaluate(X, Y_REG, **kw), n_model.evaluate(X, Y_REG, **kw)
    assert sorted(n_logs) == sorted(k_logs)
    for key in k_logs:
        assert n_logs[key] == pytest.approx(k_logs[key], rel=1e-5), key


@requires_keras
@pytest.mark.parametrize("as_dict", [False, True], ids=["list_outputs", "dict_outputs"])
@pytest.mark.parametrize("metrics", [None, "per_output"])
def test_multi_output_history_and_evaluate_match_keras(keras, as_dict, metrics):
    # the loss dict is written in the opposite order of the outputs: matched by name
    loss = {"kind": "sparse_categorical_crossentropy", "price": "mse"}
    weights = {"price": 2.0, "kind": 0.5}
    mets = {"price": ["mae"], "kind": ["accuracy"]} if metrics else None
    k_model, n_model = two_outputs(keras, as_dict), two_outputs(nk, as_dict)
    copy_weights(k_model, n_model)
    for model, lib in ((k_model, keras), (n_model, nk)):
        model.compile(lib.optimizers.SGD(0.05), loss=loss, loss_weights=weights, metrics=mets)
    x, y = [X, X2], {"price": Y_REG, "kind": Y_CLS}
    common = dict(epochs=2, batch_size=8, shuffle=False, verbose=0, validation_data=(x, y))
    assert_same_history(k_model.fit(x, y, **common).history, n_model.fit(x, y, **common).history)
    k_eval = k_model.evaluate(x, y, verbose=0)
    n_eval = n_model.evaluate({"features": X, "extra": X2}, y, verbose=0)
    np.testing.assert_allclose(n_eval, k_eval, rtol=1e-5)
    k_pred, n_pred = k_model.predict(x, verbose=0), n_model.predict(x, verbose=0)
    assert type(n_pred) is type(k_pred)
    for k_out, n_out in zip(
        k_pred.values() if as_dict else k_pred, n_pred.values() if as_dict else n_pred
    ):
        np.testing.assert_allclose(n_out, k_out, rtol=1e-5, atol=1e-6)


@requires_keras
def test_list_losses_one_loss_for_all_outputs_and_sample_weights_match_keras(keras):
    k_model, n_model = two_outputs(keras), two_outputs(nk)
    copy_weights(k_model, n_model)
    x = [X, X2]
    for model, lib in ((k_model, keras), (n_model, nk)):
        model.compile(lib.optimizers.SGD(0.05), loss=["mse", "sparse_categorical_crossentropy"],
                      loss_weights=[1.0, 0.3], metrics=[["mae"], ["accuracy"]],
                      weighted_metrics=[["mae"], []])  # fmt: skip
    common = dict(epochs=1, batch_size=8, shuffle=False, verbose=0, sample_weight=W)
    k_hist = k_model.fit(x, [Y_REG, Y_CLS], **common).history
    assert_same_history(k_hist, n_model.fit(x, [Y_REG, Y_CLS], **common).history)
    y2 = [Y_REG, np.tile(Y_REG, (1, 3))]
    k_model, n_model = two_outputs(keras), two_outputs(nk)
    copy_weights(k_model, n_model)
    for model, lib in ((k_model, keras), (n_model, nk)):
        model.compile(lib.optimizers.SGD(0.05), loss="mse")  # the same loss for each output
    np.testing.assert_allclose(
        n_model.evaluate(x, y2, verbose=0), k_model.evaluate(x, y2, verbose=0), rtol=1e-5
    )


@requires_keras
def test_keras_names_a_compile_that_covers_one_of_two_outputs_only_by_loss(keras):
    k_model, n_model = two_outputs(keras, True), two_outputs(nk, True)
    copy_weights(k_model, n_model)
    for model, lib in ((k_model, keras), (n_model, nk)):
        model.compile(lib.optimizers.SGD(0.05), loss={"price": "mse"})
    y = {"price": Y_REG, "kind": Y_CLS}
    kw = dict(epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert_same_history(
        k_model.fit([X, X2], y, **kw).history, n_model.fit([X, X2], y, **kw).history
    )


# ------------------------------------------------------------------------- errors
def test_class_weight_and_sample_weight_together_are_refused():
    model = classifier()
    y = np.eye(3, dtype=np.float32)[Y_CLS]
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight`"):
        model.fit(X, y, class_weight={0: 1.0}, sample_weight=W, verbose=0)
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight`"):
        model.train_on_batch(X, y, class_weight={0: 1.0}, sample_weight=W)


@pytest.mark.parametrize("key", [3, -1, "a", 1.5])
def test_a_class_weight_key_that_is_not_a_class_is_named(key):
    model = classifier()
    with pytest.raises(ValueError, match=rf"key {key!r}.*\[0, 2\]|\[0, 2\].*key {key!r}"):
        model.fit(X, np.eye(3)[Y_CLS], class_weight={0: 1.0, key: 2.0}, verbose=0)


def test_class_weight_must_be_a_dict_and_a_single_output():
    with pytest.raises(ValueError, match="class_weight=\\[1, 2\\]"):
        classifier().fit(X, np.eye(3)[Y_CLS], class_weight=[1, 2], verbose=0)
    model = two_outputs()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    with pytest.raises(ValueError, match="single output"):
        model.fit([X, X2], [Y_REG, Y_CLS], class_weight={0: 1.0}, verbose=0)


@pytest.mark.parametrize("argument", ["loss", "loss_weights", "metrics"])
def test_a_dict_key_matching_no_output_is_named_at_compile(argument):
    model = two_outputs(as_dict=True)
    values = {"loss": {"price": "mse", "kind": "mse"}, argument: {"price": "mse", "prise": 1.0}}
    if argument == "loss":
        values["loss"] = {"price": "mse", "prise": "mse"}
    with pytest.raises(
        ValueError, match=rf"`{argument}` dict has key 'prise'.*\['kind', 'price'\]"
    ):
        model.compile("sgd", **values)


def test_a_list_of_losses_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match=r"one entry per output \(2: \['price', 'kind'\]\).*1"):
        two_outputs().compile("sgd", loss=["mse"])


def test_sample_weight_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="'sample_weight': 5"):
        regressor().fit(X, Y_REG, sample_weight=W[:5], verbose=0)


def test_targets_dict_with_an_unknown_output_is_refused():
    model = two_outputs(as_dict=True)
    model.compile("sgd", loss={"price": "mse", "kind": "sparse_categorical_crossentropy"})
    with pytest.raises(ValueError, match="'prise'"):
        model.fit([X, X2], {"prise": Y_REG, "kind": Y_CLS}, verbose=0)


def test_single_output_model_takes_one_entry_lists_and_dicts():
    model = regressor()
    name = model.output_names[0]
    model.compile("sgd", loss={name: "mse"}, loss_weights=[2.0], metrics={name: ["mae"]})
    err = (model.predict(X, verbose=0) - Y_REG).ravel()
    logs = model.evaluate(X, [Y_REG], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(2 * float((err**2).mean()), rel=1e-5)
    assert logs["mae"] == pytest.approx(float(np.abs(err).mean()), rel=1e-5)
    assert nf.utils.PyDataset is nk.utils.Sequence


def test_an_output_without_a_loss_needs_no_targets():
    for loss, y in (
        ([None, "sparse_categorical_crossentropy"], [Y_REG, Y_CLS]),
        ({"kind": "sparse_categorical_crossentropy"}, {"kind": Y_CLS}),
    ):
        model = two_outputs()
        model.compile("sgd", loss=loss)
        history = model.fit([X, X2], y, epochs=1, verbose=0)
        assert list(history.history) == ["loss"]  # one loss: no per-output key, as Keras
        probs = model.predict([X, X2], verbose=0)[1]
        expected = -np.log(probs[np.arange(len(X)), Y_CLS]).mean()
        assert model.evaluate([X, X2], y, verbose=0) == pytest.approx(float(expected), 1e-5)


class Penalty(nk.layers.Layer):
    def call(self, inputs):
        self.add_loss(nf.ops.mean(inputs * inputs))
        return inputs


def test_compile_without_a_loss_trains_on_add_loss_alone():
    inputs = nk.Input((4,))
    model = nk.Model(inputs, Penalty()(nk.layers.Dense(2)(inputs)))
    model.compile(nk.optimizers.SGD(0.1))
    history = model.fit(X, epochs=3, verbose=0)
    assert list(history.history) == ["loss"]
    assert history.history["loss"][2] < history.history["loss"][0]
    bare = nk.Model(inputs, nk.layers.Dense(2)(inputs))
    bare.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        bare.fit(X, verbose=0)
