import numpy as np
import pytest

from neuroflow import callbacks, layers, optimizers
from neuroflow.models import Sequential


def regression_model(lr=0.05):
    model = Sequential([layers.Dense(1, input_dim=1)])
    model.compile(optimizers.SGD(lr), "mse")
    return model


X = np.linspace(-1, 1, 64, dtype=np.float32).reshape(-1, 1)
Y = 3 * X + 1


def test_early_stopping_stops_and_restores_best_weights():
    model = regression_model(lr=1.9)  # diverges after a few steps: loss goes up
    snapshots = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append((logs["loss"], model.get_weights()))
    )
    stop = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    with np.errstate(all="ignore"):
        try:
            history = model.fit(X, Y, epochs=50, batch_size=64, verbose=0, callbacks=[record, stop])
        except FloatingPointError:
            pytest.fail("early stopping should have stopped before the loss overflowed")
    assert len(history.history["loss"]) < 50 and stop.stopped_epoch > 0
    best_loss, best_weights = min(snapshots, key=lambda s: s[0])
    for restored, best in zip(model.get_weights(), best_weights):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_mode_auto_maximizes_accuracy():
    assert callbacks.EarlyStopping(monitor="val_accuracy")._sign == 1.0
    assert callbacks.EarlyStopping(monitor="val_loss")._sign == -1.0
    with pytest.raises(ValueError, match="mode"):
        callbacks.EarlyStopping(mode="up")


def test_early_stopping_warns_about_missing_monitor():
    model = regression_model()
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping()])


def test_lambda_callback_hooks_and_order():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch{epoch}"),
        on_train_end=lambda logs: events.append("end"),
    )
    regression_model().fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    assert events == ["begin", "epoch0", "epoch1", "end"]


def test_initial_epoch_resumes_the_count():
    history = regression_model().fit(X, Y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match="Callback instances"):
        regression_model().fit(X, Y, verbose=0, callbacks=[print])


def test_tf_keras_2_batch_hooks_are_called_as_keras_3_does():
    class Old(callbacks.Callback):  # tf.keras 2 spelling
        def __init__(self):
            super().__init__()
            self.begin, self.end = [], []

        def on_batch_begin(self, batch, logs=None):
            self.begin.append(batch)

        def on_batch_end(self, batch, logs=None):
            self.end.append(sorted(logs))

    class Both(Old):  # Keras 3's base on_train_batch_end is what calls on_batch_end
        def on_train_batch_end(self, batch, logs=None):
            pass

    old, both = Old(), Both()
    regression_model().fit(X, Y, batch_size=16, epochs=1, verbose=0, callbacks=[old, both])
    assert old.begin == [0, 1, 2, 3] and old.end == [["loss"]] * 4
    assert both.begin == [0, 1, 2, 3] and both.end == []
    ends = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: ends.append(batch))
    regression_model().fit(X, Y, batch_size=32, epochs=1, verbose=0, callbacks=[cb])
    assert ends == [0, 1]


def test_progress_bar_of_fit_shows_no_separate_validation_bar(capsys):
    regression_model().fit(X, Y, batch_size=32, epochs=1, validation_split=0.5, verbose=1)
    out = capsys.readouterr().out
    bars = [line for line in out.splitlines() if "/step" in line]
    assert len(bars) == 1 and "val_loss" in bars[0]  # one bar: train's, with val_ values


def test_callback_list_hands_every_hook_a_dict_and_batch_hooks_logs_by_keyword():
    seen = []

    class Strict(callbacks.Callback):
        def on_train_begin(self, logs):  # no default: a missing argument would raise
            seen.append(("train_begin", logs))

        def on_train_batch_begin(self, batch, **kwargs):  # Keras passes logs=...
            seen.append(("batch_begin", kwargs))

    cbs = callbacks.CallbackList([Strict()], regression_model(), {})
    cbs.call("on_train_begin", None)
    cbs.call("on_train_batch_begin", 0, None)
    assert seen == [("train_begin", {}), ("batch_begin", {"logs": {}})]


def test_a_callback_adding_to_logs_is_seen_by_history():
    class Adds(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = epoch * 2.0

    history = regression_model().fit(X, Y, epochs=2, verbose=0, callbacks=[Adds()])
    assert history.history["extra"] == [0.0, 2.0]
