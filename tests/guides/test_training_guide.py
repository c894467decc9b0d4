"""The Keras guide "Training & evaluation with the built-in methods"
(keras.io/guides/training_with_built_in_methods), run section by section with only the
import changed.

MNIST is replaced by random arrays of its per-sample shape (fewer samples); epochs are cut
to one or two. Substitutions (each noted where it is made): ``keras.ops`` (not in this
issue) by NumPy or neuroflow.ops; ``tf.data.Dataset``/torch ``DataLoader`` by plain Python
iterables of batches; ``plot_model`` and ``TensorBoard`` (not provided) are left out.
"""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras
from neuroflow.keras import layers

N_TRAIN, N_VAL, N_TEST = 640, 256, 256


RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seeded():
    nf.backend.clear_session()
    nf.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def mnist():
    rng = np.random.default_rng(0)
    x = rng.random((N_TRAIN + N_VAL, 784), dtype=np.float32)
    y = rng.integers(0, 10, N_TRAIN + N_VAL).astype("float32")
    x_test = rng.random((N_TEST, 784), dtype=np.float32)
    y_test = rng.integers(0, 10, N_TEST).astype("float32")
    # as the guide: the last samples are the validation set
    return x[:-N_VAL], y[:-N_VAL], x[-N_VAL:], y[-N_VAL:], x_test, y_test


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


ACC_KEYS = ["loss", "sparse_categorical_accuracy"]
VAL_KEYS = ACC_KEYS + ["val_loss", "val_sparse_categorical_accuracy"]


def test_api_overview_end_to_end(mnist):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist
    model = get_uncompiled_model()
    assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10 == 55050
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(
        x_train, y_train, batch_size=64, epochs=2, validation_data=(x_val, y_val), verbose=0
    )
    assert list(history.history) == VAL_KEYS
    assert all(len(v) == 2 for v in history.history.values())
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert len(results) == 2 and 0.0 <= results[1] <= 1.0
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


def test_compile_with_objects_or_string_identifiers(mnist):
    """Objects and their string shortcuts train identically from the same weights."""
    x_train, y_train, *_ = mnist
    histories = []
    for spec in [
        (
            keras.optimizers.RMSprop(learning_rate=1e-3),
            keras.losses.SparseCategoricalCrossentropy(),
            [keras.metrics.SparseCategoricalAccuracy()],
        ),
        ("rmsprop", "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"]),
    ]:
        nf.utils.set_random_seed(1)
        model = get_uncompiled_model()
        model.compile(optimizer=spec[0], loss=spec[1], metrics=spec[2])
        histories.append(model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0))
    assert list(histories[1].history) == ACC_KEYS
    assert histories[0].history["loss"] == pytest.approx(histories[1].history["loss"], rel=1e-6)


def test_many_builtin_optimizers_losses_metrics(real_keras):
    """The classes the guide lists exist and compute what Keras's compute."""
    for name in ("SGD", "RMSprop", "Adam"):
        assert isinstance(getattr(keras.optimizers, name)(), keras.optimizers.Optimizer)
    rng = np.random.default_rng(0)
    y_true = (rng.random((8, 4)) > 0.5).astype("float32")
    y_prob = rng.random((8, 4)).astype("float32")
    for name in ("MeanSquaredError",):
        ours = float(getattr(keras.losses, name)()(y_true, y_prob))
        theirs = float(getattr(real_keras.losses, name)()(y_true, y_prob))
        assert ours == pytest.approx(theirs, rel=1e-5)
    for name in ("AUC", "Precision", "Recall"):
        ours, theirs = getattr(keras.metrics, name)(), getattr(real_keras.metrics, name)()
        ours.update_state(y_true, y_prob)
        theirs.update_state(y_true, y_prob)
        assert float(ours.result()) == pytest.approx(float(theirs.result()), rel=1e-4)


def test_guide_lists_kl_divergence_and_cosine_similarity():
    assert keras.losses.KLDivergence and keras.losses.CosineSimilarity


def custom_mean_squared_error(y_true, y_pred):
    # the guide: ops.mean(ops.square(y_true - y_pred), axis=-1); keras.ops is not in this
    # issue, so the square is a product of neuroflow Tensors
    diff = y_true - y_pred
    return nf.ops.mean(diff * diff, axis=-1)


def test_custom_loss_function(mnist):
    x_train, y_train, *_ = mnist
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    # the guide: ops.one_hot(y_train, num_classes=10)
    y_train_one_hot = keras.utils.to_categorical(y_train, num_classes=10)
    before = model.predict(x_train, verbose=0)
    expected = np.mean(np.square(y_train_one_hot - before))
    assert model.evaluate(x_train, y_train_one_hot, verbose=0) == pytest.approx(expected, rel=1e-5)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    assert list(history.history) == ["loss"]
    assert model.evaluate(x_train, y_train_one_hot, verbose=0) < expected


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        # keras.ops substituted by neuroflow Tensor arithmetic and nf.ops.mean
        diff = y_true - y_pred
        mse = nf.ops.mean(diff * diff, axis=-1)
        off = 0.5 - y_pred
        reg = nf.ops.mean(off * off, axis=-1)
        return mse + reg * self.regularization_factor


def test_custom_loss_subclass(mnist):
    x_train, y_train, *_ = mnist
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    y_one_hot = keras.utils.to_categorical(y_train, num_classes=10)
    pred = model.predict(x_train, verbose=0)
    expected = np.mean(np.square(y_one_hot - pred)) + 0.1 * np.mean(np.square(0.5 - pred))
    assert model.evaluate(x_train, y_one_hot, verbose=0) == pytest.approx(expected, rel=1e-5)
    history = model.fit(x_train, y_one_hot, batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        # keras.ops substituted by NumPy
        y_pred = np.reshape(np.argmax(y_pred, axis=1), (-1, 1))
        values = (np.asarray(y_true, "int32").reshape(-1, 1) == y_pred).astype("float32")
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, "float32").reshape(-1, 1)
        self.true_positives.assign_add(np.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


def test_custom_metric(mnist):
    x_train, y_train, *_ = mnist
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 3
    # a count over the epoch (reset at each epoch's start), not a running mean
    assert all(float(c) == int(c) and 0 < c <= N_TRAIN for c in counts)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(nf.ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


def test_add_loss_in_a_layer(mnist):
    """The displayed loss is much higher than without the layer's added loss."""
    x_train, y_train, *_ = mnist
    losses = []
    for regularize in (False, True):
        nf.utils.set_random_seed(2)
        inputs = keras.Input(shape=(784,), name="digits")
        x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
        if regularize:
            x = ActivityRegularizationLayer()(x)
        x = layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = layers.Dense(10, name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        losses.append(model.evaluate(x_train, y_train, verbose=0))
        model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    assert losses[1] > 10 * losses[0]


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        return nf.ops.softmax(logits)  # the guide: ops.softmax


def test_compile_without_loss_using_add_loss():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!
    data = {"inputs": RNG.random((3, 3)), "targets": RNG.random((3, 10))}
    history = model.fit(data, verbose=0)
    assert list(history.history) == ["loss"]
    # the loss is the endpoint's crossentropy of the logits
    logits_now = model.get_layer(index=2)  # the Dense layer
    assert logits_now.name.startswith("dense")
    assert history.history["loss"][0] > 0.5


def test_validation_split(mnist):
    x_train, y_train, *_ = mnist
    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0)
    assert list(history.history) == VAL_KEYS
    # the validation set is the last 20% of the arrays, before any shuffling
    held_out = model.evaluate(x_train[-128:], y_train[-128:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(held_out[0], rel=1e-5)
    assert history.params["steps"] == 8  # 512 training samples in batches of 64


def batched(arrays, batch_size, shuffle=False, seed=0):
    """What ``Dataset.from_tensor_slices(arrays).shuffle(...).batch(batch_size)`` yields,
    as a re-iterable Python object (tf.data is not in this issue)."""

    class Batches:
        def __iter__(self):
            first = arrays[0]
            n = len(next(iter(first.values())) if isinstance(first, dict) else first)
            order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                yield tuple(_take(a, idx) for a in arrays)

    return Batches()


def _take(arrays, idx):
    if isinstance(arrays, dict):
        return {k: v[idx] for k, v in arrays.items()}
    return arrays[idx]


def test_training_from_datasets(mnist):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist
    model = get_compiled_model()
    train_dataset = batched((x_train, y_train), 64, shuffle=True)
    history = model.fit(train_dataset, epochs=3, verbose=0)
    assert list(history.history) == ACC_KEYS and len(history.history["loss"]) == 3
    result = model.evaluate(batched((x_test, y_test), 64), verbose=0)
    assert len(result) == 2
    assert result[0] == pytest.approx(model.evaluate(x_test, y_test, verbose=0)[0], rel=1e-5)

    # steps_per_epoch: only that many batches per epoch
    model = get_compiled_model()
    seen = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model.fit(batched((x_train, y_train), 64, shuffle=True), epochs=3, steps_per_epoch=3,

              verbose=0, callbacks=[Count()])  # fmt: skip
    assert seen == [0, 1, 2] * 3

    # a dataset as validation_data, and validation_steps
    model = get_compiled_model()
    val_dataset = batched((x_val, y_val), 64)
    history = model.fit(train_dataset, epochs=1, validation_data=val_dataset, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x_val, y_val, verbose=0)[0], rel=1e-5
    )
    history = model.fit(
        train_dataset, epochs=1, validation_data=val_dataset, validation_steps=2, verbose=0
    )
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x_val[:128], y_val[:128], verbose=0)[0], rel=1e-5
    )


class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y


def test_training_from_pydataset(mnist):
    x_train, y_train, x_val, y_val, *_ = mnist
    for kwargs in ({}, {"workers": 4}):
        train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, **kwargs)
        val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, **kwargs)
        model = get_compiled_model()
        history = model.fit(
            train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1, verbose=0
        )
        assert list(history.history) == VAL_KEYS
        assert history.params["steps"] == N_TRAIN // 32  # the dataset's batches, not 64's
        result = model.evaluate(val_py_dataset, verbose=0)
        assert result[0] == pytest.approx(history.history["val_loss"][0], rel=1e-5)


def test_training_from_torch_dataloader(mnist):
    torch = pytest.importorskip("torch")
    x_train, y_train, x_val, y_val, *_ = mnist

    class ExampleTorchDataset(torch.utils.data.Dataset):
        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, idx):
            return self.x[idx], self.y[idx]

    train = torch.utils.data.DataLoader(ExampleTorchDataset(x_train, y_train), batch_size=32,
                                        shuffle=True)  # fmt: skip
    val = torch.utils.data.DataLoader(ExampleTorchDataset(x_val, y_val), batch_size=32)
    model = get_compiled_model()
    history = model.fit(train, batch_size=64, validation_data=val, epochs=1, verbose=0)
    assert list(history.history) == VAL_KEYS
    assert model.evaluate(val, verbose=0)[0] == pytest.approx(history.history["val_loss"][0])


CLASS_WEIGHT = {c: (2.0 if c == 5 else 1.0) for c in range(10)}


def test_class_weights(mnist):
    """class_weight={5: 2, others: 1} is sample_weight 2 on the 5s (Keras 3's arithmetic)."""
    x_train, y_train, *_ = mnist
    losses = []
    for kwargs in ({"class_weight": CLASS_WEIGHT}, {"sample_weight": 1.0 + (y_train == 5)}):
        nf.utils.set_random_seed(3)
        model = get_compiled_model()
        losses.append(model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0, **kwargs))
    assert losses[0].history["loss"] == pytest.approx(losses[1].history["loss"], rel=1e-6)


def test_sample_weights(mnist):
    x_train, y_train, *_ = mnist
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    nf.utils.set_random_seed(4)
    model = get_compiled_model()
    pred = model.predict(x_train, verbose=0)
    per_sample = -np.log(pred[np.arange(len(y_train)), y_train.astype(int)])
    weighted = model.evaluate(x_train, y_train, sample_weight=sample_weight, verbose=0)[0]
    # Keras 3: the weighted losses divided by the number of samples, not by the weights' sum
    assert weighted == pytest.approx(np.mean(per_sample * sample_weight), rel=1e-4)
    # shuffle=False: the same batches as the dataset below
    history = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64,
                        epochs=1, verbose=0, shuffle=False)  # fmt: skip
    arrays_loss = history.history["loss"][0]

    # the matching dataset: (x, y, sample_weight) batches
    nf.utils.set_random_seed(4)
    model = get_compiled_model()
    history = model.fit(batched((x_train, y_train, sample_weight), 64), epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(arrays_loss, rel=1e-5)


def get_multi_io_model():
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


@pytest.fixture(scope="module")
def multi_io_data():
    rng = np.random.default_rng(5)
    return (
        rng.random((100, 32, 32, 3)),
        rng.random((100, 20, 10)),
        rng.random((100, 1)),
        rng.random((100, 5)),
    )


def test_multi_input_multi_output_model(multi_io_data):
    model = get_multi_io_model()
    assert [t.shape for t in model.inputs] == [(None, 32, 32, 3), (None, None, 10)]
    assert [t.shape for t in model.outputs] == [(None, 1), (None, 5)]
    assert model.count_params() == (3 * 3 * 3 * 3 + 3) + (3 * 10 * 3 + 3) + (6 + 1) + (6 * 5 + 5)
    img, ts, score, cls = multi_io_data
    out = model.predict([img, ts[:, :7]], verbose=0)  # any number of timesteps
    assert [o.shape for o in out] == [(100, 1), (100, 5)]


def test_multi_output_losses_and_metrics(multi_io_data):
    img, ts, score, cls = multi_io_data
    model = get_multi_io_model()
    mse, cce = keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"score_output": mse, "class_output": cce},
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    history = model.fit([img, ts], [score, cls], batch_size=32, epochs=1, verbose=0)
    assert sorted(history.history) == sorted(
        [
            "loss",
            "score_output_loss",
            "class_output_loss",
            "score_output_mean_absolute_percentage_error",
            "score_output_mean_absolute_error",
            "class_output_categorical_accuracy",
        ]
    )
    results = model.evaluate([img, ts], [score, cls], verbose=0, return_dict=True)
    assert results["loss"] == pytest.approx(
        2.0 * results["score_output_loss"] + results["class_output_loss"], rel=1e-4
    )


def test_outputs_without_a_loss(multi_io_data):
    img, ts, score, cls = multi_io_data
    for loss in ([None, keras.losses.CategoricalCrossentropy()],
                 {"class_output": keras.losses.CategoricalCrossentropy()}):  # fmt: skip
        model = get_multi_io_model()
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=loss)
        targets = [score, cls] if isinstance(loss, list) else {"class_output": cls}
        history = model.fit([img, ts], targets, batch_size=32, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])


def test_passing_data_to_multi_io_models(multi_io_data):
    img, ts, score, cls = multi_io_data
    model = get_multi_io_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
    )
    start = model.get_weights()
    on_lists = model.fit([img, ts], [score, cls], batch_size=32, epochs=1, verbose=0, shuffle=False)
    model.set_weights(start)
    model.optimizer = keras.optimizers.RMSprop(1e-3)
    model.compile(optimizer=model.optimizer, loss=model.loss)
    on_dicts = model.fit(
        {"img_input": img, "ts_input": ts},
        {"score_output": score, "class_output": cls},
        batch_size=32,
        epochs=1,
        verbose=0,
        shuffle=False,
    )
    assert on_dicts.history["loss"] == pytest.approx(on_lists.history["loss"], rel=1e-5)
    # a dataset yielding (dict of inputs, dict of targets)
    dataset = batched(
        ({"img_input": img, "ts_input": ts}, {"score_output": score, "class_output": cls}), 64
    )
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_using_callbacks_early_stopping(mnist, capsys):
    x_train, y_train, *_ = mnist
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)
    ]
    history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)  # fmt: skip
    # random labels: val_loss stops improving by 1e-2 early, so training stops early
    stopped = len(history.epoch)
    assert 3 <= stopped < 20
    val = history.history["val_loss"]
    best = min(range(stopped), key=lambda i: val[i] if i < stopped - 2 else np.inf)
    assert all(v > val[best] - 1e-2 for v in val[best + 1 :])
    assert f"Epoch {stopped}: early stopping" in capsys.readouterr().out


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def test_writing_your_own_callback(mnist):
    """on_batch_end (tf.keras's spelling) is on_train_batch_end's alias."""
    x_train, y_train, *_ = mnist
    model = get_compiled_model()
    history_cb = LossHistory()
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0,
                        callbacks=[history_cb])  # fmt: skip
    assert len(history_cb.per_batch_losses) == N_TRAIN // 64
    assert history_cb.per_batch_losses[-1] == pytest.approx(history.history["loss"][0])


def test_checkpointing_models(mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    x_train, y_train, *_ = mnist
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            filepath="mymodel_{epoch}.keras", save_best_only=True, monitor="val_loss", verbose=1
        )
    ]
    history = model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)  # fmt: skip
    out = capsys.readouterr().out
    v0 = history.history["val_loss"][0]
    assert (
        f"Epoch 1: val_loss improved from None to {v0:.5f}, saving model to mymodel_1.keras" in out
    )
    saved = sorted(os.listdir(tmp_path))
    assert saved[0] == "mymodel_1.keras"
    assert ("mymodel_2.keras" in saved) == (history.history["val_loss"][1] < v0)
    restored = keras.models.load_model(saved[-1])
    assert restored.count_params() == model.count_params()


def test_fault_tolerance_with_checkpoints(mnist, tmp_path, capsys):
    x_train, y_train, *_ = mnist
    checkpoint_dir = str(tmp_path / "ckpt")
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model()

    for _ in range(2):
        model = make_or_restore_model()
        callbacks = [
            keras.callbacks.ModelCheckpoint(
                filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=5
            )
        ]
        model.fit(x_train, y_train, epochs=1, callbacks=callbacks, verbose=0)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Creating a new model"
    assert out[1].startswith(f"Restoring from {checkpoint_dir}/model-loss=")
    names = os.listdir(checkpoint_dir)
    assert names and all(n.startswith("model-loss=") and n.endswith(".keras") for n in names)
    # 20 steps of 32 per run: the restored model resumed from the last checkpoint's state
    assert model.optimizer.iterations == 40


def test_learning_rate_schedule_passed_to_optimizer(mnist):
    x_train, y_train, *_ = mnist
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        0.1, decay_steps=4, decay_rate=0.5, staircase=True
    )  # the guide's decay_steps=100000 shortened to show the decay in a few steps
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    rates = []

    class Rate(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(float(np.array(self.model.optimizer.learning_rate)))

    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0, callbacks=[Rate()])
    assert rates == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 2)
