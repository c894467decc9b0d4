"""The training loop's parts: train_step/test_step/predict_step on their own and overridden,
fit's argument checks, validation_freq/steps, the *_on_batch methods and what callbacks get."""

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, layers
from neuroflow.models import Model, Sequential
from neuroflow.models import model as model_module

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def classifier(cls=Sequential, metrics=("accuracy",)):
    nf.utils.set_random_seed(0)
    model = cls([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(nf.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=list(metrics))
    return model


# ------------------------------------------------------------------- train_step alone
def test_train_step_alone_applies_one_step_and_returns_the_logs():
    model = classifier()
    before = model.get_weights()
    expected_loss = model.evaluate(X[:8], Y[:8], verbose=0, return_dict=True)["loss"]
    model.reset_metrics()
    logs = model.train_step((X[:8], Y[:8]))
    assert sorted(logs) == ["accuracy", "loss"]
    assert logs["loss"] == pytest.approx(expected_loss, rel=1e-6)  # the loss before the step
    assert not np.allclose(model.get_weights()[0], before[0])
    assert [m.name for m in model.metrics] == ["loss", "accuracy"] == model.metrics_names


def test_train_step_logs_are_running_means_until_reset():
    model = classifier()
    first = model.train_step((X[:8], Y[:8]))["loss"]
    second_alone = model.evaluate(X[8:16], Y[8:16], verbose=0, return_dict=True)["loss"]
    model.reset_metrics()
    model.set_weights(classifier().get_weights())
    model.train_step((X[:8], Y[:8]))
    running = model.train_step((X[8:16], Y[8:16]))["loss"]
    assert running == pytest.approx((first + second_alone) / 2, rel=1e-5)
    model.reset_metrics()
    assert model.get_metrics_result() == {"loss": 0.0, "accuracy": 0.0}


def test_sample_weight_in_train_step_weights_the_loss_as_keras():
    model = classifier(metrics=())
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    probs = model.predict(X[:4], verbose=0)
    per_sample = -np.log(probs[np.arange(4), Y[:4]])
    logs = model.train_step((X[:4], Y[:4], w))
    # Keras's default reduction: sum(loss_i * w_i) / batch size
    assert logs["loss"] == pytest.approx(float((per_sample * w).sum() / 4), rel=1e-5)


def test_a_nan_step_is_not_applied():
    model = classifier()
    before = model.get_weights()
    bad = X[:4].copy()
    bad[0, 0] = np.nan
    logs = model.train_step((bad, Y[:4]))
    assert np.isnan(logs["loss"])
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_unpack_x_y_sample_weight():
    unpack = model_module.unpack_x_y_sample_weight
    assert unpack((1, 2)) == (1, 2, None)
    assert unpack([1, 2, 3]) == (1, 2, 3)
    assert unpack((1,)) == (1, None, None)
    assert unpack(X)[0] is X
    with pytest.raises(ValueError, match="length 4"):
        unpack((1, 2, 3, 4))


# ----------------------------------------------------------------- overridden steps
def test_fit_evaluate_predict_call_the_overridden_steps():
    seen = {"train": [], "test": [], "predict": []}

    class Custom(Sequential):
        def train_step(self, data):
            seen["train"].append(len(data[0]))
            return super().train_step(data)

        def test_step(self, data):
            seen["test"].append(len(data[0]))
            return super().test_step(data)

        def predict_step(self, data):
            seen["predict"].append(len(data[0]))
            return np.argmax(super().predict_step(data).numpy(), axis=-1)

    model = classifier(Custom)
    model.fit(X, Y, batch_size=16, epochs=1, validation_split=0.2, validation_batch_size=5,
              verbose=0)  # fmt: skip
    assert seen["train"] == [16, 16] and seen["test"] == [5, 3]  # 32 to train, 8 to validate
    labels = model.predict(X, batch_size=32, verbose=0)
    assert seen["predict"] == [32, 8]
    np.testing.assert_array_equal(labels, model(X).numpy().argmax(-1))


def test_logs_of_an_overridden_train_step_reach_history_and_callbacks():
    class Custom(Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {"loss": logs["loss"], "batch_size": float(len(data[0]))}

    batch_logs = []
    model = classifier(Custom)
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batch_logs.append(logs))
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0, callbacks=[cb])
    assert sorted(history.history) == ["batch_size", "loss"]
    assert history.history["batch_size"] == [8.0, 8.0]  # the last step's logs, as Keras
    assert [logs["batch_size"] for logs in batch_logs] == [32.0, 8.0, 32.0, 8.0]


def test_a_nonfinite_loss_from_an_overridden_step_stops_fit():
    class Exploding(Sequential):
        def train_step(self, data):
            return {"loss": float("inf")}

    with pytest.raises(FloatingPointError, match="loss became inf at epoch 1, batch 1"):
        classifier(Exploding).fit(X, Y, verbose=0)


def test_subclassed_model_trains_through_train_step_alone():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    model = Net()
    model.compile(nf.optimizers.SGD(0.1), "mse")
    target = X @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)
    losses = []
    for _ in range(30):
        model.reset_metrics()  # else each value is the running mean since the first step
        losses.append(model.train_step((X, target))["loss"])
    assert losses[-1] < 0.1 * losses[0]


# -------------------------------------------------------------------- fit arguments
@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"validation_freq": 0}, "Received: validation_freq=0"),
        ({"validation_freq": -2}, "validation_freq=-2"),
        ({"validation_freq": 1.5}, "validation_freq=1.5"),
        ({"validation_freq": [1, "2"]}, "validation_freq"),
        ({"initial_epoch": -1}, "initial_epoch=-1"),
        ({"initial_epoch": 1.5}, "initial_epoch=1.5"),
        ({"epochs": 2.0}, "epochs=2.0"),
        ({"shuffle": "batch"}, "shuffle='batch'"),
        ({"validation_batch_size": 0}, "validation_batch_size=0"),
        ({"validation_steps": 0}, "validation_steps=0"),
        ({"validation_split": "0.2"}, "validation_split='0.2'"),
        ({"verbose": 1.5}, "verbose=1.5"),
    ],
)
def test_fit_rejects_bad_arguments_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        classifier().fit(X, Y, **{"verbose": 0, "validation_split": 0.25, **kwargs})


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda m: m.evaluate(X, Y, steps=0, verbose=0), "steps=0"),
        (lambda m: m.evaluate(X, Y, batch_size=-1, verbose=0), "batch_size=-1"),
        (lambda m: m.predict(X, steps=-1, verbose=0), "steps=-1"),
        (lambda m: m.predict(X, verbose="quiet"), "verbose='quiet'"),
    ],
)
def test_evaluate_and_predict_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call(classifier())


def test_validation_freq_every_nth_epoch_or_listed_epochs():
    history = classifier().fit(X, Y, epochs=5, validation_split=0.25, validation_freq=2,
                               verbose=0)  # fmt: skip
    assert len(history.history["val_loss"]) == 2 and len(history.history["loss"]) == 5
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append("val_loss" in logs))
    classifier().fit(X, Y, epochs=5, validation_split=0.25, validation_freq=[1, 4], verbose=0,
                     callbacks=[cb])  # fmt: skip
    assert seen == [True, False, False, True, False]


def test_steps_limit_validation_evaluate_and_predict():
    sizes = []

    class Spy(Sequential):
        def test_step(self, data):
            sizes.append(len(data[0]))
            return super().test_step(data)

    model = classifier(Spy)
    model.fit(X, Y, epochs=1, batch_size=8, validation_data=(X, Y), validation_steps=2,
              verbose=0)  # fmt: skip
    assert sizes == [8, 8]
    sizes.clear()
    full = model.evaluate(X, Y, batch_size=8, verbose=0)
    part = model.evaluate(X, Y, batch_size=8, steps=1, verbose=0)
    assert sizes == [8] * 5 + [8]
    assert part[0] == pytest.approx(model.evaluate(X[:8], Y[:8], verbose=0)[0], rel=1e-6)
    assert full[0] != pytest.approx(part[0])
    assert model.predict(X, batch_size=16, steps=2, verbose=0).shape == (32, 2)


def test_evaluate_return_dict_and_order():
    model = classifier()
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss"]
    assert model.evaluate(X, Y, verbose=0) == [logs["loss"], logs["accuracy"]]


# ----------------------------------------------------------------- the *_on_batch
def test_on_batch_methods_match_their_full_forms():
    model = classifier()
    before = model.evaluate(X[:8], Y[:8], verbose=0)
    assert model.test_on_batch(X[:8], Y[:8]) == pytest.approx(before)
    loss, acc = model.train_on_batch(X[:8], Y[:8])
    assert [loss, acc] == pytest.approx(before)  # logged before the step is applied
    after = model.test_on_batch(X[:8], Y[:8], return_dict=True)
    assert after["loss"] < loss
    assert sorted(model.train_on_batch(X[:8], Y[:8], return_dict=True)) == ["accuracy", "loss"]
    np.testing.assert_allclose(model.predict_on_batch(X[:8]), model(X[:8]).numpy(), rtol=1e-6)


# ---------------------------------------------------------- what callbacks receive
class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_"):
            # Keras passes a batch hook's logs by keyword, the others' positionally
            return lambda *args, **kw: self.calls.append((name, args + tuple(kw.values())))
        return super().__getattribute__(name)


def test_every_hook_gets_a_logs_dict_and_batch_begin_hooks_run():
    model = classifier()
    rec = Recorder()
    model.fit(X, Y, batch_size=20, epochs=1, validation_split=0.5, verbose=0, callbacks=[rec])
    model.evaluate(X, Y, batch_size=20, verbose=0, callbacks=[rec])
    model.predict(X, batch_size=20, verbose=0, callbacks=[rec])
    assert all(isinstance(args[-1], dict) for _, args in rec.calls)
    names = [name for name, _ in rec.calls]
    assert names.count("on_test_batch_begin") == 1 + 2
    assert names.count("on_predict_batch_begin") == 2
    ends = [args for name, args in rec.calls if name == "on_predict_batch_end"]
    outputs = np.concatenate([logs["outputs"] for _, logs in ends])
    np.testing.assert_allclose(outputs, model.predict(X, verbose=0), rtol=1e-6)
    epoch_end = [args[1] for name, args in rec.calls if name == "on_epoch_end"][0]
    assert list(epoch_end) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_resume_from_epoch_is_the_callbacks_way_to_restart():
    class Resume(callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.model.resume_from_epoch(3)

    history = classifier().fit(X, Y, epochs=5, verbose=0, callbacks=[Resume()])
    assert history.epoch == [3, 4]
    assert classifier().fit(X, Y, epochs=2, verbose=0).epoch == [0, 1]  # not left behind
    with pytest.raises(ValueError, match="epoch=-1"):
        classifier().resume_from_epoch(-1)


def test_sequential_build_builds_the_model():
    model = Sequential([layers.Dense(3), layers.Dense(1)])
    model.build((None, 4))
    assert model.built and model.input_shape == (None, 4) and model.output_shape == (None, 1)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 19" in lines[0]


def test_tensor_values_logged_by_an_override_become_floats():
    class TensorLogs(Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {"loss": nf.Tensor(np.array(logs["loss"], np.float32))}

    history = classifier(TensorLogs).fit(X, Y, epochs=2, verbose=0)
    assert all(type(v) is float for v in history.history["loss"])
