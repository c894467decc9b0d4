"""The Keras guide "Writing your own callbacks" (keras.io/guides/writing_your_own_callbacks),
run section by section with only the import changed.

MNIST is replaced by random arrays of its shape (1000 flattened 28x28 images, integer labels
0-9, as the guide keeps 1000 samples); epochs are the guide's. What each test asserts is what
the guide prints or describes: the hooks called, in order, with the log keys Keras passes.
"""

import csv
import re

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras


@pytest.fixture(autouse=True)
def _seeded():
    nf.backend.clear_session()
    nf.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def mnist_like():
    rng = np.random.default_rng(0)
    x_train = rng.random((1000, 784), dtype=np.float32)
    y_train = rng.integers(0, 10, 1000)
    x_test = rng.random((1000, 784), dtype=np.float32)
    y_test = rng.integers(0, 10, 1000)
    return x_train, y_train, x_test, y_test


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=784))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


GLOBAL_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                "on_predict_begin", "on_predict_end")  # fmt: skip
INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end")  # fmt: skip


def test_overview_fit_evaluate_predict_take_callbacks(mnist_like):
    """ "You can pass a list of callbacks (as the keyword argument `callbacks`) to fit(),
    evaluate() and predict()"."""
    x_train, y_train, x_test, _ = mnist_like
    seen = []

    class Seen(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            seen.append("fit")

        def on_test_end(self, logs=None):
            seen.append("evaluate")

        def on_predict_end(self, logs=None):
            seen.append("predict")

    model = get_model()
    model.fit(x_train, y_train, epochs=1, verbose=0, callbacks=[Seen()])
    model.evaluate(x_test, mnist_like[3], verbose=0, callbacks=[Seen()])
    model.predict(x_test, verbose=0, callbacks=[Seen()])
    assert seen == ["fit", "evaluate", "predict"]


def test_overview_of_callback_methods():
    """Every method the guide lists exists on the base class and takes its documented
    arguments (``logs=None`` included), doing nothing."""
    callback = keras.callbacks.Callback()
    for hook in GLOBAL_HOOKS:
        assert getattr(callback, hook)() is None
        assert getattr(callback, hook)(logs={}) is None
    for hook in INDEXED_HOOKS:
        assert getattr(callback, hook)(0) is None
        assert getattr(callback, hook)(0, logs={}) is None


class CustomCallback(keras.callbacks.Callback):
    """The guide's callback: one line per hook with the log keys it got."""

    def on_train_begin(self, logs=None):
        print(f"Starting training; got log keys: {list(logs.keys())}")

    def on_train_end(self, logs=None):
        print(f"Stop training; got log keys: {list(logs.keys())}")

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Start epoch {epoch} of training; got log keys: {list(logs.keys())}")

    def on_epoch_end(self, epoch, logs=None):
        print(f"End epoch {epoch} of training; got log keys: {list(logs.keys())}")

    def on_test_begin(self, logs=None):
        print(f"Start testing; got log keys: {list(logs.keys())}")

    def on_test_end(self, logs=None):
        print(f"Stop testing; got log keys: {list(logs.keys())}")

    def on_predict_begin(self, logs=None):
        print(f"Start predicting; got log keys: {list(logs.keys())}")

    def on_predict_end(self, logs=None):
        print(f"Stop predicting; got log keys: {list(logs.keys())}")

    def on_train_batch_begin(self, batch, logs=None):
        print(f"...Training: start of batch {batch}; got log keys: {list(logs)}")

    def on_train_batch_end(self, batch, logs=None):
        print(f"...Training: end of batch {batch}; got log keys: {list(logs)}")

    def on_test_batch_begin(self, batch, logs=None):
        print(f"...Evaluating: start of batch {batch}; got log keys: {list(logs)}")

    def on_test_batch_end(self, batch, logs=None):
        print(f"...Evaluating: end of batch {batch}; got log keys: {list(logs)}")

    def on_predict_batch_begin(self, batch, logs=None):
        print(f"...Predicting: start of batch {batch}; got log keys: {list(logs)}")

    def on_predict_batch_end(self, batch, logs=None):
        print(f"...Predicting: end of batch {batch}; got log keys: {list(logs)}")


def _batches(kind: str, count: int, end_keys: str) -> list[str]:
    lines = []
    for i in range(count):
        lines.append(f"...{kind}: start of batch {i}; got log keys: []")
        lines.append(f"...{kind}: end of batch {i}; got log keys: {end_keys}")
    return lines


def test_basic_example(mnist_like, capsys):
    """The guide's printout, line for line: 500 training samples (validation_split=0.5) in
    4 batches of 128, the validation pass inside the epoch, then evaluate and predict on
    1000 samples in 8 batches; batch-begin hooks get empty logs, predict's batch-end gets
    'outputs'."""
    x_train, y_train, x_test, y_test = mnist_like
    model = get_model()
    metrics = "['loss', 'mean_absolute_error']"
    with_val = "['loss', 'mean_absolute_error', 'val_loss', 'val_mean_absolute_error']"
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[CustomCallback()])  # fmt: skip
    fit_lines = [
        "Starting training; got log keys: []",
        "Start epoch 0 of training; got log keys: []",
        *_batches("Training", 4, metrics),
        "Start testing; got log keys: []",
        *_batches("Evaluating", 4, metrics),
        f"Stop testing; got log keys: {metrics}",
        f"End epoch 0 of training; got log keys: {with_val}",
        f"Stop training; got log keys: {with_val}",
    ]
    assert capsys.readouterr().out.splitlines() == fit_lines

    model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    assert capsys.readouterr().out.splitlines() == [
        "Start testing; got log keys: []",
        *_batches("Evaluating", 8, metrics),
        f"Stop testing; got log keys: {metrics}",
    ]

    res = model.predict(x_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    assert capsys.readouterr().out.splitlines() == [
        "Start predicting; got log keys: []",
        *_batches("Predicting", 8, "['outputs']"),
        "Stop predicting; got log keys: []",
    ]
    assert res.shape == (1000, 1)


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print("For batch {}, loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_test_batch_end(self, batch, logs=None):
        print("For batch {}, loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


BATCH_LINE = re.compile(r"^For batch (\d+), loss is +([\d.]+)\.$")
EPOCH_LINE = re.compile(
    r"^The average loss for epoch (\d) is +([\d.]+) and mean absolute error is +([\d.]+)\.$"
)


def test_usage_of_logs_dict(mnist_like, capsys):
    """`logs` holds the loss and every metric: per batch the running mean over the epoch
    (so the last batch's loss is the epoch's), per epoch the averages History records."""
    x_train, y_train, x_test, y_test = mnist_like
    model = get_model()
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0,
                        callbacks=[LossAndErrorPrintingCallback()])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * (8 + 1)
    for epoch in range(2):
        block = lines[epoch * 9 : epoch * 9 + 9]
        batches = [BATCH_LINE.match(line) for line in block[:8]]
        assert [int(m.group(1)) for m in batches] == list(range(8))
        last = EPOCH_LINE.match(block[8])
        assert last is not None and int(last.group(1)) == epoch
        assert last.group(2) == batches[-1].group(2)  # the running mean ends at the epoch's
        assert float(last.group(2)) == pytest.approx(history.history["loss"][epoch], abs=0.01)
        assert float(last.group(3)) == pytest.approx(
            history.history["mean_absolute_error"][epoch], abs=0.01
        )
    # a lr of 0.1 on unscaled labels: the first epoch's loss is far above the second's
    assert history.history["loss"][0] > 10 * history.history["loss"][1]

    result = model.evaluate(x_test, y_test, batch_size=128, verbose=0,
                            callbacks=[LossAndErrorPrintingCallback()])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [int(BATCH_LINE.match(line).group(1)) for line in lines] == list(range(8))
    assert float(BATCH_LINE.match(lines[-1]).group(2)) == pytest.approx(result[0], abs=0.01)


def test_usage_of_self_model(mnist_like):
    """A callback reaches the model it runs with: `self.model` (its optimizer and learning
    rate, predict on a few samples) and `self.params`; `stop_training = True` ends fit."""
    x_train, y_train, x_test, _ = mnist_like
    model = get_model()
    seen = {}

    class Inspect(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["model"] = self.model
            seen["params"] = dict(self.params)

        def on_epoch_end(self, epoch, logs=None):
            seen["lr"] = float(np.array(self.model.optimizer.learning_rate))
            seen["sanity"] = self.model.predict(x_test[:5], verbose=0)
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(x_train, y_train, batch_size=100, epochs=10, verbose=0,
                        callbacks=[Inspect()])  # fmt: skip
    assert seen["model"] is model
    assert seen["params"] == {"verbose": 0, "epochs": 10, "steps": 10}
    assert seen["lr"] == pytest.approx(0.1)
    assert seen["sanity"].shape == (5, 1)
    assert history.epoch == [0, 1]


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """The guide's callback: stops when the loss stops falling, restoring the best weights."""

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_early_stopping_at_min_loss(mnist_like, capsys):
    x_train, y_train, _, _ = mnist_like
    model = get_model()
    stopper = EarlyStoppingAtMinLoss()
    history = model.fit(x_train, y_train, batch_size=64, steps_per_epoch=5, epochs=30,
                        verbose=0, callbacks=[LossAndErrorPrintingCallback(), stopper])  # fmt: skip
    losses = history.history["loss"]
    # stopped at the first epoch whose loss did not fall (patience=0), well before 30
    assert 0 < stopper.stopped_epoch < 29
    assert len(losses) == stopper.stopped_epoch + 1
    assert all(b < a for a, b in zip(losses[:-2], losses[1:-1]))
    assert losses[-1] >= losses[-2]
    assert stopper.best == min(losses)
    for now, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(now, best)
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        "Restoring model weights from the end of the best epoch.",
        f"Epoch {stopper.stopped_epoch + 1}: early stopping",
    ]
    steps = [1 if epoch % 4 == 3 else 5 for epoch in range(len(losses))]  # 16 batches a pass
    assert sum(BATCH_LINE.match(line) is not None for line in out) == sum(steps)


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")


LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]


def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for start, rate in LR_SCHEDULE:
        if epoch == start:
            return rate
    return lr


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
def test_learning_rate_scheduling(mnist_like, capsys):
    """The rate set in on_epoch_begin is the one the epoch's steps use."""
    x_train, y_train, _, _ = mnist_like
    model = get_model()
    used = []

    class Used(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            used.append(float(np.array(self.model.optimizer.learning_rate)))

    model.fit(x_train, y_train, batch_size=64, steps_per_epoch=5, epochs=15, verbose=0,
              callbacks=[CustomLearningRateScheduler(lr_schedule), Used()])  # fmt: skip
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    printed = [line for line in capsys.readouterr().out.splitlines() if line]
    # the rate is a float32 variable, as in Keras 3: it prints as 0.10000000149011612 unless
    # the schedule has just returned a new Python float
    starts = {start for start, _ in LR_SCHEDULE}
    shown = [lr if e in starts else float(np.float32(lr)) for e, lr in enumerate(expected)]
    assert printed == [f"Epoch {e}: Learning rate is {lr}." for e, lr in enumerate(shown)]
    # as in Keras 3, 5 steps of 64 from 16 batches per pass: every 4th epoch gets the 1
    # batch left over (with Keras's warning) and the next starts a new pass
    steps = [1 if epoch % 4 == 3 else 5 for epoch in range(15)]
    assert used == pytest.approx([lr for lr, n in zip(expected, steps) for _ in range(n)])
    assert model.optimizer.iterations == sum(steps)


def test_builtin_callbacks(mnist_like, tmp_path):
    """The built-in callbacks the guide points to: logging to CSV and saving the model."""
    x_train, y_train, _, _ = mnist_like
    model = get_model()
    log = tmp_path / "log.csv"
    history = model.fit(
        x_train,
        y_train,
        batch_size=100,
        epochs=2,
        verbose=0,
        validation_split=0.2,
        callbacks=[
            keras.callbacks.CSVLogger(str(log)),
            keras.callbacks.ModelCheckpoint(str(tmp_path / "model_{epoch}.keras")),
        ],
    )
    rows = list(csv.DictReader(log.open()))
    assert list(rows[0]) == ["epoch", "loss", "mean_absolute_error", "val_loss",
                             "val_mean_absolute_error"]  # fmt: skip
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(history.history["val_loss"])
    assert sorted(p.name for p in tmp_path.glob("*.keras")) == ["model_1.keras", "model_2.keras"]
    restored = keras.models.load_model(tmp_path / "model_2.keras")
    np.testing.assert_allclose(
        restored.predict(x_train[:8], verbose=0), model.predict(x_train[:8], verbose=0)
    )
