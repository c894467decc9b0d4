"""Callbacks against Keras 3: the hooks fit/evaluate/predict call and the logs they pass,
ReduceLROnPlateau's and LearningRateScheduler's rates, and CSVLogger's file, byte for byte
(the ``requires_keras`` tests: skipped without TensorFlow locally, failed in CI)."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, optimizers
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip
RNG = np.random.default_rng(3)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y = RNG.normal(size=(10, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


def recorder(base):
    """A callback class on ``base`` noting each hook: its name, the arguments before the
    logs, the logs' keys, whether they came by keyword, and the outputs' shape."""

    def make(hook):
        def record(self, *args, **kwargs):
            by_keyword = "logs" in kwargs
            logs = kwargs["logs"] if by_keyword else args[-1]
            head = args if by_keyword else args[:-1]
            assert isinstance(logs, dict), f"{hook} got logs={logs!r}"
            outputs = logs.get("outputs")
            shape = None if outputs is None else np.asarray(outputs).shape
            self.events.append((hook, head, sorted(logs), by_keyword, shape))

        return record

    def init(self):
        base.__init__(self)
        self.events = []

    return type("Recorder", (base,), {"__init__": init, **{h: make(h) for h in HOOKS}})


def run_all(lib, model, cb_class):
    model.compile(optimizer=lib.optimizers.SGD(0.01), loss="mse", metrics=["mae"])
    fit, evaluate, predict = cb_class(), cb_class(), cb_class()
    model.fit(X, Y, batch_size=4, epochs=2, validation_data=(X, Y), verbose=0, callbacks=[fit])
    model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[evaluate])
    model.predict(X, batch_size=4, verbose=0, callbacks=[predict])
    return fit.events, evaluate.events, predict.events


@requires_keras
def test_hooks_and_their_logs_match_keras_for_fit_evaluate_predict(keras):
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    n_model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    theirs = run_all(keras, k_model, recorder(keras.callbacks.Callback))
    ours = run_all(nf.keras, n_model, recorder(callbacks.Callback))
    for mine, keras_events in zip(ours, theirs):
        assert mine == keras_events
    fit, _, predict = ours
    assert ("on_test_batch_begin", (2,), [], True, None) in fit  # validation's last batch
    assert predict[-2] == ("on_predict_batch_end", (2,), ["outputs"], True, (2, 1))
    assert fit[-1] == ("on_train_end", (), ["loss", "mae", "val_loss", "val_mae"], False, None)


def drive_reduce_lr(lib, model, losses, **kwargs):
    """The learning rate logged at each epoch end, with ``losses`` as val_loss."""
    cb = lib.callbacks.ReduceLROnPlateau(**kwargs)
    cb.set_model(model)
    cb.on_train_begin({})
    logged = []
    for epoch, loss in enumerate(losses):
        logs = {"loss": 1.0, "val_loss": loss}
        cb.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    logged.append(float(np.float32(_lr(model.optimizer))))  # the rate left at the end
    return logged


def _lr(optimizer):
    value = optimizer.learning_rate
    return value.numpy() if hasattr(value, "numpy") else value


LOSSES = [1.0, 0.9, 0.9, 0.95, 0.8999, 0.9, 0.5, 0.5, 0.5, 0.5, 0.6, 0.7, 0.7, 0.4, 0.4, 0.4]


@requires_keras
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(factor=0.5, patience=1),
        dict(factor=0.2, patience=2, cooldown=2, min_lr=0.003),
        dict(factor=0.5, patience=1, min_delta=0.2),
        dict(factor=0.1, patience=0, mode="max"),
    ],
)
def test_reduce_lr_on_plateau_rates_match_keras(keras, kwargs, capsys):
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    k_model.compile(keras.optimizers.SGD(0.1), "mse")
    n_model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    n_model.compile(optimizers.SGD(0.1), "mse")
    theirs = drive_reduce_lr(keras, k_model, LOSSES, verbose=1, **kwargs)
    keras_out = capsys.readouterr().out
    ours = drive_reduce_lr(nf.keras, n_model, LOSSES, verbose=1, **kwargs)
    assert ours == theirs
    assert len(set(ours)) > 1  # the case reduces at least once
    assert capsys.readouterr().out == keras_out


def test_reduce_lr_on_plateau_through_fit_logs_learning_rate_in_history():
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile(optimizers.SGD(0.01), "mse")
    # min_delta far above any change: every epoch after the first is a plateau
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=100.0)
    history = model.fit(X, Y, epochs=4, verbose=0, callbacks=[cb])
    lrs = history.history["learning_rate"]
    np.testing.assert_allclose(lrs, [0.01, 0.01, 0.005, 0.0025], rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.00125, rel=1e-6)


def test_reduce_lr_on_plateau_bad_arguments():
    with pytest.raises(ValueError, match="factor=1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(ValueError, match="mode='down'"):
        callbacks.ReduceLROnPlateau(mode="down")
    with pytest.raises(TypeError, match="patiense"):
        callbacks.ReduceLROnPlateau(patiense=3)
    with pytest.warns(UserWarning, match="min_delta"):
        assert callbacks.ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5  # tf.keras 2 name


def test_reduce_lr_on_plateau_warns_about_a_missing_monitor():
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()])


def scheduled_rates(lib, schedule, epochs=4):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.compile(lib.optimizers.SGD(0.1), "mse")
    cb = lib.callbacks.LearningRateScheduler(schedule, verbose=1)
    history = model.fit(X, Y, epochs=epochs, verbose=0, callbacks=[cb])
    return history.history["learning_rate"]


@requires_keras
@pytest.mark.parametrize(
    "schedule",
    [
        lambda epoch, lr: lr * 0.9 if epoch else lr,  # Keras 3's form
        lambda epoch: 0.1 / (1 + epoch),  # the one-argument form of older code
    ],
)
def test_learning_rate_scheduler_matches_keras(keras, schedule, capsys):
    theirs = scheduled_rates(keras, schedule)
    keras_out = capsys.readouterr().out
    ours = scheduled_rates(nf.keras, schedule)
    assert ours == theirs
    assert capsys.readouterr().out == keras_out and "setting learning rate" in keras_out


def test_learning_rate_scheduler_sets_the_rate_each_epoch_uses():
    seen = []
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile(optimizers.SGD(0.1), "mse")
    spy = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(float(model.optimizer.learning_rate))
    )
    sched = callbacks.LearningRateScheduler(lambda epoch: [0.5, 0.25][epoch])
    model.fit(X, Y, batch_size=5, epochs=2, verbose=0, callbacks=[sched, spy])
    assert seen == [0.5, 0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="should be a float. Got: 1"):
        model.fit(X, Y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e: 1)])
    with pytest.raises(TypeError, match="schedule=0.1"):
        callbacks.LearningRateScheduler(0.1)


def drive_csv(lib, path, epochs_logs, **kwargs):
    cb = lib.callbacks.CSVLogger(str(path), **kwargs)
    cb.on_train_begin({})
    for epoch, logs in enumerate(epochs_logs):
        cb.on_epoch_end(epoch, dict(logs))
    cb.on_train_end({})
    with open(path, "rb") as f:
        return f.read()


@requires_keras
@pytest.mark.parametrize(
    ("epochs_logs", "kwargs"),
    [
        ([{"loss": 0.5, "val_loss": 0.25, "acc": 1 / 3}, {"loss": 0.125, "val_loss": 0.1}], {}),
        ([{"loss": np.float32(0.7), "mae": 2.0}, {"loss": 0.6, "mae": 1.5}], {}),  # no val_
        ([{"loss": 0.5, "per_class": [0.1, 0.2]}], {"separator": ";"}),
        ([{"b": 1.0, "a": 2.0}], {"append": True}),
    ],
)
def test_csv_logger_writes_the_file_keras_writes(keras, tmp_path, epochs_logs, kwargs):
    theirs = drive_csv(keras, tmp_path / "keras.csv", epochs_logs, **kwargs)
    ours = drive_csv(nf.keras, tmp_path / "ours.csv", epochs_logs, **kwargs)
    assert ours == theirs
    if kwargs.get("append"):  # a second run appends rows without a second header
        theirs = drive_csv(keras, tmp_path / "keras.csv", epochs_logs, **kwargs)
        ours = drive_csv(nf.keras, tmp_path / "ours.csv", epochs_logs, **kwargs)
        assert ours == theirs and ours.count(b"epoch") == 1


def test_csv_logger_through_fit_keeps_every_finished_epoch(tmp_path):
    path = tmp_path / "log.csv"

    class Crash(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                with open(path) as f:  # the rows so far are on disk before the crash
                    assert len(f.read().splitlines()) == 3
                raise RuntimeError("crash")

    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    with pytest.raises(RuntimeError, match="crash"):
        model.fit(X, Y, epochs=3, verbose=0, validation_split=0.2,
                  callbacks=[callbacks.CSVLogger(path), Crash()])  # fmt: skip
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,loss,mae,val_loss,val_mae"
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1"]


def spy_saves(model, calls):
    """Stands in for the model's save methods: records (method, path) instead of writing."""
    model.save = lambda path, overwrite=True: calls.append(("save", path))
    model.save_weights = lambda path, overwrite=True: calls.append(("save_weights", path))


def test_model_checkpoint_save_freq_batches_and_path_format(tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    calls = []
    spy_saves(model, calls)
    pattern = str(tmp_path / "sub" / "e{epoch:02d}-b{batch}-{loss:.1f}.keras")
    cb = callbacks.ModelCheckpoint(pattern, save_freq=3)
    model.fit(X, Y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])  # 5 batches an epoch
    names = [os.path.basename(path).split("-")[:2] for _, path in calls]
    # every 3 batches counted across epochs: epoch 1 batch 3, epoch 2 batches 1 and 4
    assert names == [["e01", "b3"], ["e02", "b1"], ["e02", "b4"]]
    assert {method for method, _ in calls} == {"save"} and (tmp_path / "sub").is_dir()


def test_model_checkpoint_calls_save_weights_and_saves_when_monitor_is_missing(tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    calls = []
    spy_saves(model, calls)
    path = str(tmp_path / "w{epoch}.weights.h5")
    cb = callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=True)
    with pytest.warns(UserWarning, match="val_loss available"):
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    assert calls == [("save_weights", str(tmp_path / f"w{e}.weights.h5")) for e in (1, 2)]


def test_model_checkpoint_save_best_only_messages(tmp_path, capsys):
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    calls = []
    spy_saves(model, calls)
    cb = callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="loss", verbose=1,
                                   save_best_only=True)  # fmt: skip
    cb.set_model(model)
    for epoch, loss in enumerate([0.5, 0.7, 0.25]):
        cb.on_epoch_end(epoch, {"loss": loss})
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 2: loss did not improve from 0.50000" in out
    assert "Epoch 3: loss improved from 0.50000 to 0.25000" in out
    assert len(calls) == 2 and cb.best == 0.25


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(filepath="ckpt.h5", save_weights_only=True), "must end in `.weights.h5`"),
        (dict(filepath="my_model"), "must end in `.keras`"),
        (dict(filepath="m.keras", save_freq="batch"), "Unrecognized save_freq: 'batch'"),
        (dict(filepath="m.keras", save_freq=0), "save_freq: 0"),
    ],
)
def test_model_checkpoint_refuses_what_keras_refuses(kwargs, error):
    with pytest.raises(ValueError, match=error):
        callbacks.ModelCheckpoint(**kwargs)


@pytest.mark.parametrize(
    ("path", "weights_only"),
    [("m.keras", False), ("m.h5", False), ("m.neuroflow", False), ("w.weights.h5", True),
     ("w.neuroflow", True)],
)  # fmt: skip
def test_model_checkpoint_accepts_keras_and_native_names(path, weights_only):
    assert callbacks.ModelCheckpoint(path, save_weights_only=weights_only).filepath == path


def test_epoch_checkpoint_defines_no_batch_hook():
    # fit skips building batch logs when no callback wants them
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    every_epoch = callbacks.CallbackList([callbacks.ModelCheckpoint("m.keras")], model, {})
    every_batch = callbacks.CallbackList(
        [callbacks.ModelCheckpoint("m.keras", save_freq=2)], model, {}
    )
    assert not every_epoch.wants("on_train_batch_end")
    assert every_batch.wants("on_train_batch_end")


def test_model_checkpoint_every_n_batches_writes_loadable_native_files(tmp_path):
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    cb = callbacks.ModelCheckpoint(str(tmp_path / "b{batch}.neuroflow"), save_freq=5)
    model.fit(X, Y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    assert [p.name for p in tmp_path.iterdir()] == ["b5.neuroflow"]
    loaded = nf.keras.models.load_model(tmp_path / "b5.neuroflow")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
