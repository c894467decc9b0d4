"""Programs written the way Keras 3 / tf.keras users write them, run on neuroflow and on real
Keras with only the import changed: what they print (types, values, keys) must agree.

Each test runs one short user program through ``lib`` (``neuroflow.keras`` or ``keras``) and
compares the two results; the ``peer("keras")`` tests skip without TensorFlow locally and fail
in CI.
"""

import os

import numpy as np
import pytest

import neuroflow.keras as nfk
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = RNG.normal(size=(12, 1)).astype(np.float32)


def fixed_model(lib, optimizer):
    """A 3-2-1 tanh network with the same weights in every library, compiled with mse."""
    model = lib.Sequential(
        [lib.Input((3,)), lib.layers.Dense(2, activation="tanh"), lib.layers.Dense(1)]
    )
    model.set_weights(
        [np.linspace(-1, 1, w.size, dtype=np.float32).reshape(w.shape) for w in model.get_weights()]
    )
    model.compile(optimizer=optimizer, loss="mse")
    return model


# ------------------------------------------------------------------ the learning rate variable
def learning_rate_program(lib):
    """What users do with ``model.optimizer.learning_rate`` in Keras 3."""
    model = fixed_model(lib, lib.optimizers.Adam(learning_rate=0.01))
    opt = model.optimizer
    seen = [float(opt.learning_rate), float(opt.learning_rate.numpy())]
    opt.learning_rate.assign(1e-4)
    seen.append(float(opt.learning_rate))
    if hasattr(lib.backend, "set_value"):  # tf.keras 2's spelling (Keras 3 dropped it)
        lib.backend.set_value(opt.learning_rate, 1e-3)
    else:
        opt.learning_rate.assign(1e-3)
    seen.append(float(lib.ops.convert_to_numpy(opt.learning_rate)))
    opt.learning_rate = 0.05
    seen += [float(opt.learning_rate), opt.get_config()["learning_rate"]]
    seen += [float(opt.learning_rate * 2), bool(opt.learning_rate > 0.01)]
    seen.append("%.3f" % opt.learning_rate)  # noqa: UP031  (Keras's variable has no __format__)
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    seen += [int(opt.iterations), int(opt.iterations.numpy())]
    seen.append(np.round(model.get_weights()[0], 5).tolist())
    return seen


def test_learning_rate_is_a_variable_as_in_keras():
    keras = peer("keras")
    assert learning_rate_program(nfk) == learning_rate_program(keras)


def test_rate_set_between_steps_is_the_rate_the_next_step_uses():
    keras = peer("keras")

    def run(lib):
        model = fixed_model(lib, lib.optimizers.SGD(learning_rate=0.1, momentum=0.5))
        rates = []
        for step in range(3):
            model.optimizer.learning_rate.assign([0.1, 0.02, 0.3][step])
            model.train_on_batch(X, Y)
            rates.append(float(model.optimizer.learning_rate))
        return rates, model.get_weights()

    (ours, ours_w), (theirs, theirs_w) = run(nfk), run(keras)
    assert ours == theirs
    for a, b in zip(ours_w, theirs_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_schedule_rate_reads_as_a_tensor_and_refuses_a_number():
    keras = peer("keras")

    def run(lib):
        schedule = lib.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
        model = fixed_model(lib, lib.optimizers.SGD(learning_rate=schedule))
        model.fit(X, Y, batch_size=6, epochs=1, verbose=0)
        opt = model.optimizer
        with pytest.raises(TypeError, match="not settable"):
            opt.learning_rate = 0.1
        return float(opt.learning_rate), float(opt.learning_rate.numpy()), int(opt.iterations)

    assert run(nfk) == run(keras)


def test_tf_keras_2_lr_alias_reads_and_sets_the_same_variable():
    opt = nfk.optimizers.RMSprop(lr=0.02)
    assert opt.lr is opt.learning_rate
    nfk.backend.set_value(opt.lr, 0.5)
    assert float(opt.learning_rate) == 0.5
    opt.lr = 0.25
    assert float(opt.learning_rate) == 0.25


def test_bad_rates_are_refused_naming_the_argument():
    opt = nfk.optimizers.SGD()
    with pytest.raises(ValueError, match="Received: learning_rate=-1"):
        opt.learning_rate = -1
    with pytest.raises(ValueError, match="learning_rate"):
        nfk.optimizers.Adam(learning_rate="fast")
    for value in (1e308, float("inf"), float("nan")):  # no float32 variable holds them
        with pytest.raises(ValueError, match="finite float32"):
            nfk.optimizers.Adam(learning_rate=value)
        with pytest.raises(ValueError, match="finite float32"):
            opt.learning_rate = value
    assert float(opt.learning_rate) == pytest.approx(0.01)  # unchanged by the refusals


# ------------------------------------------------------------------ model.loss
def test_model_loss_is_what_compile_was_given_and_what_a_keras_file_gives_back(tmp_path):
    keras = peer("keras")

    def run(lib, folder):
        model = fixed_model(lib, "sgd")
        seen = [model.loss]
        model.compile("sgd", loss=lib.losses.Huber(delta=0.5))
        seen.append((type(model.loss).__name__, model.loss.name))
        model.compile("adam", loss="mean_squared_error", metrics=["mae"])
        model.fit(X, Y, epochs=1, verbose=0)
        model.save(folder / "m.keras")
        loaded = lib.models.load_model(folder / "m.keras")
        seen += [model.loss, loaded.loss, round(float(loaded.evaluate(X, Y, verbose=0)[0]), 5)]
        return seen

    (tmp_path / "ours").mkdir(), (tmp_path / "theirs").mkdir()
    assert run(nfk, tmp_path / "ours") == run(keras, tmp_path / "theirs")


# ------------------------------------------------------------------ layers, tensors, serializing
def test_layer_dtypes_and_is_tensor_as_in_keras():
    keras = peer("keras")

    def run(lib):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.Dense(1)])
        dense = model.layers[0]
        tensor = lib.ops.convert_to_tensor(np.ones(2, np.float32))
        return (
            [layer.dtype for layer in model.layers],
            dense.compute_dtype,
            dense.variable_dtype,
            lib.ops.is_tensor(tensor),
            lib.ops.is_tensor(np.ones(2)),
            lib.ops.is_tensor(dense.kernel),
        )

    assert run(nfk) == run(keras)


def test_tf_is_tensor():
    import neuroflow as tf

    assert tf.is_tensor(tf.constant([1.0])) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor(1.0)


def test_layers_serialize_and_deserialize_as_in_keras():
    keras = peer("keras")

    def run(lib):
        dense = lib.layers.Dense(3, activation="relu", name="hidden")
        spec = lib.layers.serialize(dense)
        back = lib.layers.deserialize(spec)
        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)], name="tiny")
        rebuilt = lib.layers.deserialize(lib.layers.serialize(model))
        return (
            sorted(spec), spec["module"], spec["class_name"], spec["registered_name"],
            spec["config"]["units"], spec["config"]["activation"],
            type(back).__name__, back.units, back.name,
            type(rebuilt).__name__, rebuilt.name, rebuilt.count_params(),
        )  # fmt: skip

    assert run(nfk) == run(keras)


# ------------------------------------------------------------------ Sequential configs
def test_sequential_config_is_keras_3_shaped_and_rebuilds():
    keras = peer("keras")

    def run(lib):
        model = lib.Sequential(
            [lib.Input((4,)), lib.layers.Dense(3, activation="relu", name="d1"),
             lib.layers.Dense(1, name="d2")],
            name="seq",
        )  # fmt: skip
        config = model.get_config()
        entries = config["layers"]
        rebuilt = lib.Sequential.from_config(config)
        unbuilt = lib.Sequential([lib.layers.Dense(2)]).get_config()
        return (
            sorted(config), config["name"], tuple(config["build_input_shape"]),
            [e["class_name"] for e in entries], [sorted(e)[1:] for e in entries],
            [e["module"] for e in entries], tuple(entries[0]["config"]["batch_shape"]),
            [layer.name for layer in rebuilt.layers], rebuilt.count_params(), rebuilt.input_shape,
            sorted(unbuilt), [e["class_name"] for e in unbuilt["layers"]],
        )  # fmt: skip

    assert run(nfk) == run(keras)


def test_sequential_from_config_still_reads_tf_keras_2_configs():
    config = {
        "name": "old",
        "layers": [{"class_name": "Dense", "config": {"units": 2, "name": "a"}}],
        "batch_input_shape": [None, 3],
    }
    model = nfk.Sequential.from_config(config)
    assert model.input_shape == (None, 3) and model.count_params() == 8
    again = nfk.Sequential.from_config(model.get_config())
    assert again.get_config()["layers"][0]["class_name"] == "InputLayer"
    assert again.count_params() == 8


# ------------------------------------------------------------------ summary
def test_summary_of_unbuilt_models_is_keras_3s_table():
    keras = peer("keras")

    def run(lib):
        lines = []
        model = lib.Sequential([lib.layers.Dense(3, name="a"), lib.layers.Dense(1, name="b")])
        model.summary(line_length=80, print_fn=lambda text, **kw: lines.append(text))

        class Sub(lib.Model):
            def __init__(self):
                super().__init__(name="sub")
                self.d1 = lib.layers.Dense(4, name="d1")

            def call(self, x):
                return self.d1(x)

        Sub().summary(line_length=80, print_fn=lambda text, **kw: lines.append(text))
        text = "\n".join(lines).splitlines()
        # the first model's default name differs; Keras passes print_fn a blank line more
        return [line for line in text if line and not line.startswith('Model: "seq')]

    assert run(nfk) == run(keras)


# ------------------------------------------------------------------ a loss as a metric
def test_a_loss_object_as_a_metric_is_named_and_valued_as_in_keras():
    keras = peer("keras")

    def run(lib):
        model = fixed_model(lib, "sgd")
        bce = lib.losses.BinaryCrossentropy(from_logits=True, name="binary_crossentropy")
        model.compile("sgd", lib.losses.BinaryCrossentropy(from_logits=True), metrics=[bce])
        labels = (Y > 0).astype(np.float32)
        history = model.fit(X, labels, batch_size=4, epochs=1, shuffle=False, verbose=0)
        logs = model.evaluate(X, labels, batch_size=5, verbose=0, return_dict=True)
        return sorted(history.history), {k: round(v, 5) for k, v in logs.items()}

    assert run(nfk) == run(keras)


# ------------------------------------------------------------------ the regression tutorial
def test_regression_tutorial_one_feature_normalizer_and_rank_one_data():
    """TensorFlow's "Basic regression" tutorial: ``Normalization(input_shape=[1], axis=None)``
    adapted on a 1-D column, then fit/predict/evaluate on ``(n,)`` data for a ``(None, 1)``
    model (Keras 3 adds the trailing axis)."""
    keras = peer("keras")
    horsepower = np.linspace(50.0, 200.0, 40).astype(np.float32)
    mpg = (40.0 - 0.1 * horsepower).astype(np.float32)

    def run(lib):
        normalizer = lib.layers.Normalization(input_shape=[1], axis=None)
        normalizer.adapt(horsepower)
        model = lib.Sequential([normalizer, lib.layers.Dense(units=1)])
        model.layers[1].set_weights([np.array([[2.0]], np.float32), np.array([20.0], np.float32)])
        before = model.predict(horsepower[:10], verbose=0)
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.1), loss="mean_absolute_error")
        history = model.fit(horsepower, mpg, epochs=3, verbose=0, validation_split=0.2)
        return (
            float(np.asarray(normalizer.mean).ravel()[0]), before.shape,
            np.round(before.ravel(), 4).tolist(), sorted(history.history),
            np.round(history.history["loss"], 4).tolist(),
            round(float(model.evaluate(horsepower, mpg, verbose=0)), 4),
            tuple(model(horsepower[:3]).shape),
        )  # fmt: skip

    ours, theirs = run(nfk), run(keras)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[1:] == theirs[1:]


def test_one_rank_off_inputs_are_adjusted_only_by_a_trailing_axis_of_one():
    model = nfk.Sequential([nfk.Input((1,)), nfk.layers.Dense(2)])
    assert model.predict(np.ones(3, np.float32), verbose=0).shape == (3, 2)
    model3 = nfk.Sequential([nfk.Input((4,)), nfk.layers.Dense(2)])
    assert model3.predict(np.ones((3, 4, 1), np.float32), verbose=0).shape == (3, 2)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(3,\)"):
        model3.predict(np.ones(3, np.float32), verbose=0)


# ------------------------------------------------------------------ transfer learning
def test_freezing_and_fine_tuning_counts_as_keras():
    """The transfer-learning guide: a frozen base, then fine-tuning with part of it frozen
    again; the weight counts and the summary's parameter lines (the optimizer keeps the
    slots of every variable it was built for) equal Keras's."""
    keras = peer("keras")
    x = RNG.normal(size=(16, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)

    def run(lib):
        base = lib.Sequential(
            [lib.Input((8,)), lib.layers.Dense(6, activation="relu"),
             lib.layers.BatchNormalization(), lib.layers.Dense(4, activation="relu")]
        )  # fmt: skip
        base.trainable = False
        counts = [len(base.trainable_weights), len(base.non_trainable_weights)]
        inputs = lib.Input(shape=(8,))
        model = lib.Model(inputs, lib.layers.Dense(1)(base(inputs, training=False)))
        loss = lib.losses.BinaryCrossentropy(from_logits=True)
        model.compile(optimizer=lib.optimizers.Adam(), loss=loss)
        frozen = base.get_weights()
        model.fit(x, y, epochs=1, verbose=0)
        unchanged = all(np.array_equal(a, b) for a, b in zip(frozen, base.get_weights()))
        base.trainable = True
        model.compile(optimizer=lib.optimizers.Adam(1e-5), loss=loss)
        model.fit(x, y, epochs=1, verbose=0)
        base.layers[0].trainable = False
        counts += [len(model.trainable_weights), len(model.non_trainable_weights)]
        lines = []
        model.summary(print_fn=lambda text, **kw: lines.append(text))
        params = [line for line in "\n".join(lines).splitlines() if "params:" in line]
        return counts, unchanged, params

    assert run(nfk) == run(keras)


def test_version_strings_as_tutorials_print_them():
    import neuroflow as tf_like
    import neuroflow.tf as tf

    assert isinstance(tf.__version__, str) and tf.__version__ == nfk.__version__
    assert tf_like.__version__ == tf.__version__


# ------------------------------------------------------------------ tf.Module
def test_tf_module_finds_variables_as_tensorflow():
    """TensorFlow's "Introduction to modules": variables in attributes, lists and nested
    modules, a tf.function method, and a Keras layer held by a module."""
    peer("keras")
    import tensorflow as real_tf

    import neuroflow as tf_like

    def run(tf):
        class Dense(tf.Module):
            def __init__(self, in_features, out_features, name=None):
                super().__init__(name=name)
                self.w = tf.Variable(tf.ones([in_features, out_features]), name="w")
                self.b = tf.Variable(tf.zeros([out_features]), name="b")

            def __call__(self, x):
                return tf.nn.relu(tf.matmul(x, self.w) + self.b)

        class SequentialModule(tf.Module):
            def __init__(self, name=None):
                super().__init__(name=name)
                self.dense_1 = Dense(in_features=3, out_features=3)
                self.dense_2 = Dense(in_features=3, out_features=2)
                self.extra = [tf.Variable(1.0, trainable=False)]
                self.layer = tf.keras.layers.Dense(2)
                self.layer.build((None, 2))

            @tf.function
            def __call__(self, x):
                return self.dense_2(self.dense_1(x))

        model = SequentialModule(name="the_model")
        out = model(tf.constant([[2.0, 2.0, 2.0]]))
        return (
            out.numpy().tolist(), model.name, len(model.variables),
            len(model.trainable_variables), len(model.submodules),
            [tuple(v.shape) for v in model.trainable_variables],
        )  # fmt: skip

    assert run(tf_like) == run(real_tf)
    with pytest.raises(ValueError, match="not a valid module name"):
        tf_like.Module(name="has space")


# ------------------------------------------------------------------ tf.keras 2's train_step
def custom_fit_program(tf, custom: bool):
    """The tf.keras 2 guide "Customizing what happens in fit" (compiled_loss and
    compiled_metrics), or the same model with the built-in step."""
    lib = tf.keras

    class CustomModel(lib.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = lib.Input(shape=(3,))
    outputs = lib.layers.Dense(1, kernel_regularizer=lib.regularizers.L2(0.01))(inputs)
    model = (CustomModel if custom else lib.Model)(inputs, outputs)
    model.set_weights([np.full((3, 1), 0.5, np.float32), np.zeros(1, np.float32)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {k: np.round(v, 5).tolist() for k, v in history.history.items()}


def test_tf_keras_2_compiled_loss_and_compiled_metrics_in_a_custom_train_step():
    peer("keras")
    import tensorflow as real_tf

    import neuroflow as tf_like

    with pytest.warns(UserWarning, match="compiled_loss"):
        ours = custom_fit_program(tf_like, custom=True)
    assert ours == custom_fit_program(tf_like, custom=False)  # tf.keras 2's figures
    theirs = custom_fit_program(real_tf, custom=True)
    assert sorted(ours) == sorted(theirs)
    # Keras 3 feeds the loss tracker the predictions; the metrics agree
    assert ours["mae"] == theirs["mae"]


def test_get_compile_config_and_compile_from_config_as_in_keras():
    keras = peer("keras")

    def run(lib):
        model = fixed_model(lib, lib.optimizers.Adam(0.01))
        empty = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)]).get_compile_config()
        model.compile(lib.optimizers.Adam(0.01), "mse", metrics=["mae"])
        config = model.get_compile_config()
        other = fixed_model(lib, "sgd")
        other.compile_from_config(config)
        return (
            empty, sorted(config), config["loss"], config["metrics"],
            config["optimizer"]["class_name"], config["optimizer"]["config"]["learning_rate"],
            other.loss, type(other.optimizer).__name__, float(other.optimizer.learning_rate),
            round(float(other.evaluate(X, Y, verbose=0)[1]), 5),
        )  # fmt: skip

    assert run(nfk) == run(keras)


def test_ops_dtype_names_as_keras():
    keras = peer("keras")

    def run(lib):
        ops = lib.ops
        values = [ops.ones((2,), dtype="int32"), np.zeros(2), np.array([1, 2]), ops.ones((1,))]
        return [ops.dtype(v) for v in values] + [ops.dtype(ops.cast(values[3], "int32"))]

    assert run(nfk) == run(keras)
