import io
import math

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, layers
from neuroflow.models import Sequential

R = np.random.default_rng(0)


def seed000_model():
    return Sequential(
        [
            layers.Flatten(input_shape=(28, 28)),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10),
        ]
    )


def seed004_model():
    model = Sequential()
    model.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def blobs(n=300, classes=3, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4, size=(classes, dim))
    y = rng.integers(0, classes, size=n)
    x = (centers[y] + rng.normal(size=(n, dim))).astype(np.float32)
    return x, y


def summary_of(model):
    lines = []
    model.summary(print_fn=lines.append, line_length=76)
    return "\n".join(lines)


def test_seed_param_counts_and_summary_layout():
    text = summary_of(seed000_model())
    assert "Total params: 101,770 (397.54 KB)" in text
    assert "│ dense (Dense)                   │ (None, 128)            │       100,480 │" in text
    assert "│ flatten (Flatten)               │ (None, 784)            │             0 │" in text
    text4 = summary_of(seed004_model())
    assert "Total params: 407,050 (1.55 MB)" in text4
    assert "Trainable params: 407,050 (1.55 MB)" in text4
    assert "Non-trainable params: 0 (0.00 B)" in text4
    assert seed004_model().count_params() == 407_050


def test_summary_of_nested_probability_model():
    model = seed000_model()
    prob = nf.keras.Sequential([model, layers.Softmax()])
    text = summary_of(prob)
    assert "sequential (Sequential)" in text and "101,770" in text
    assert "softmax (Softmax)" in text


def test_summary_of_an_unbuilt_model_lists_its_layers_as_keras_3():
    lines = []
    Sequential([layers.Dense(2, name="d")]).summary(print_fn=lines.append)
    assert "d (Dense)" in lines[0] and "0 (unbuilt)" in lines[0]
    assert " Total params: 0 (0.00 B)" in lines[0]


def test_keras_input_first():
    model = Sequential([nf.keras.Input(shape=(4,)), layers.Dense(2)])
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert len(model.layers) == 1


def test_fit_learns_and_history_has_keras_keys():
    x, y = blobs()
    model = Sequential([layers.Dense(16, activation="relu", input_dim=4), layers.Dense(3)])
    model.compile(
        "adam", nf.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    history = model.fit(x, y, epochs=20, batch_size=16, validation_split=0.2, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history.history["loss"]) == 20 and history.epoch == list(range(20))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.9
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9 and loss < 0.5
    assert history.params == {"verbose": 0, "epochs": 20, "steps": math.ceil(240 / 16)}


def test_evaluate_returns_scalar_without_metrics():
    x, y = blobs()
    model = Sequential([layers.Dense(3, input_dim=4)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_validation_split_takes_the_last_fraction_before_shuffling():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.zeros((10, 1), dtype=np.float32)
    validated = []

    class Spy(Sequential):  # fit validates through test_step, which an override sees
        def test_step(self, data):
            validated.extend(data[0][:, 0].tolist())
            return super().test_step(data)

    model = Spy([layers.Dense(1, input_dim=1, kernel_initializer="zeros")])
    model.compile("sgd", "mse")
    model.fit(x, y, validation_split=0.3, epochs=1, verbose=0)
    assert validated == [7.0, 8.0, 9.0]


def test_running_accuracy_equals_mean_over_batches():
    x, y = blobs(n=64)
    model = Sequential([layers.Dense(3, input_dim=4)])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    batch_logs = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batch_logs.append(logs))
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb])
    assert batch_logs[-1]["accuracy"] == pytest.approx(history.history["accuracy"][0])
    assert batch_logs[-1]["loss"] == pytest.approx(history.history["loss"][0])


def test_predict_call_and_batching_agree():
    model = seed004_model()
    x = R.random((70, 784)).astype(np.float32)
    a = model.predict(x, batch_size=16, verbose=0)
    b = model.predict(x, verbose=0)
    c = model(x).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b, c, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.sum(1), 1.0, rtol=1e-5)
    assert model.predict(x[:1], verbose=0).shape == (1, 10)


def test_set_random_seed_gives_identical_training():
    x, y = blobs()

    def train():
        nf.backend.clear_session()
        nf.utils.set_random_seed(7)
        model = Sequential(
            [layers.Dense(8, activation="relu", input_dim=4), layers.Dropout(0.3), layers.Dense(3)]
        )
        model.compile("adam", nf.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=2, verbose=0)
        return model.get_weights()

    for a, b in zip(train(), train()):
        np.testing.assert_array_equal(a, b)


def test_get_set_weights_round_trip():
    m1, m2 = seed004_model(), seed004_model()
    m2.set_weights(m1.get_weights())
    x = R.random((3, 784)).astype(np.float32)
    np.testing.assert_array_equal(m1.predict(x, verbose=0), m2.predict(x, verbose=0))
    assert [w.shape for w in m1.layers[0].get_weights()] == [(784, 512), (512,)]


def test_progress_output_is_keras_format(capsys):
    x, y = blobs(n=64)
    model = Sequential([layers.Dense(3, input_dim=4)])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2 " in out and "/step - accuracy: " in out and " - loss: " in out
    model.fit(x, y, epochs=1, batch_size=32, verbose=2)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("2/2 - ") and "s/step - accuracy:" in line


# ------------------------------------------------------------------------- bad input


def compiled(model=None):
    model = model or Sequential([layers.Dense(3, input_dim=4, name="dense")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def test_fit_before_compile():
    with pytest.raises(ValueError, match=r"must call `compile\(\)` before `fit\(\)`"):
        Sequential([layers.Dense(3, input_dim=4)]).fit(np.zeros((2, 4)), np.zeros(2))


def test_x_y_length_mismatch():
    with pytest.raises(ValueError, match="'x' sizes: 10, 'y' sizes: 9"):
        compiled().fit(np.zeros((10, 4)), np.zeros(9), verbose=0)


def test_wrong_input_shape_names_expected_and_found():
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(10, 5\)"):
        compiled().fit(np.zeros((10, 5)), np.zeros(10), verbose=0)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\)"):
        compiled().predict(np.zeros((2, 28, 28)), verbose=0)


def test_labels_out_of_range():
    with pytest.raises(ValueError, match=r"label value of 7.*\[0, 2\]"):
        compiled().fit(np.zeros((4, 4)), np.array([0, 1, 2, 7]), verbose=0)


def test_non_numeric_data():
    with pytest.raises(TypeError, match="`x` to hold numbers"):
        compiled().fit(np.array([["a"] * 4] * 2), np.zeros(2), verbose=0)
    with pytest.raises(TypeError, match="`y` to hold numbers"):
        compiled().fit(np.zeros((2, 4)), np.array(["cat", "dog"]), verbose=0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -5}, "batch_size"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"validation_split": -0.1}, "validation_split"),
        ({"epochs": -1}, "epochs"),
        ({"verbose": 3}, "verbose"),
    ],
)
def test_invalid_fit_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compiled().fit(np.zeros((10, 4)), np.zeros(10), **kwargs)


def test_unknown_strings_in_compile():
    model = Sequential([layers.Dense(3, input_dim=4)])
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile("adam", "msee")


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_nan_loss_stops_training_with_a_clear_error():
    x, y = blobs(n=64)
    model = Sequential([layers.Dense(3, input_dim=4)])
    model.compile(nf.optimizers.SGD(1e30), "sparse_categorical_crossentropy")
    with pytest.raises(FloatingPointError, match="loss became (nan|inf).*weights are still finite"):
        model.fit(x * 1e20, y, epochs=3, verbose=0)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_terminate_on_nan_stops_quietly(capsys):
    x, y = blobs(n=64)
    x[5, 0] = np.nan
    model = Sequential([layers.Dense(3, input_dim=4)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(
        x, y, epochs=3, verbose=0, shuffle=False, callbacks=[callbacks.TerminateOnNaN()]
    )
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert history.history.get("loss", []) == [] or len(history.history["loss"]) <= 1


def test_regularization_is_part_of_the_loss():
    x, y = blobs(n=64)
    plain = Sequential([layers.Dense(3, input_dim=4, kernel_initializer="ones")])
    reg = Sequential(
        [
            layers.Dense(
                3,
                input_dim=4,
                kernel_initializer="ones",
                kernel_regularizer=nf.regularizers.L2(0.1),
            )
        ]
    )
    for m in (plain, reg):
        m.compile("sgd", "mse")
    yy = np.zeros((64, 3), np.float32)
    assert reg.evaluate(x, yy, verbose=0) == pytest.approx(
        plain.evaluate(x, yy, verbose=0) + 0.1 * 12, rel=1e-5
    )


def test_model_subclass_tracks_layers():
    class TwoLayer(nf.models.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="tanh")
            self.out = layers.Dense(1)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    x = R.normal(size=(128, 2)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:]).astype(np.float32)
    model.compile(nf.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=30, verbose=0)
    assert len(model.trainable_weights) == 4
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_buffer_for_progress_is_text():
    stream = io.StringIO()
    bar = nf.utils.Progbar(4, stream=stream)
    for i in range(4):
        bar.update(i + 1, [("loss", 1.0)])
    assert "4/4" in stream.getvalue() and "loss: 1.0000" in stream.getvalue()
