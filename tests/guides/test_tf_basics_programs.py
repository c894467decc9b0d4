"""The TensorFlow basics courses teach, as programs written the way their sources write them,
run with only the import changed (``import neuroflow as tf``):

- the TensorFlow beginner quickstart (MNIST, ``tf.nn.softmax(...).numpy()``, the untrained
  loss about ``-log(1/10) = 2.3``, test accuracy after 5 epochs);
- a two-layer MNIST network written from scratch with ``tf.Variable``, ``tf.GradientTape``
  and ``tf.matmul``, in the manner of a well-known Keras textbook's chapter 2;
- a linear classifier of two Gaussian point clouds trained with a tape (its chapter 3);
- the Keras guide "Writing a training loop from scratch" with ``tf.data`` and metric objects;
- a ``keras.Model`` subclass overriding ``train_step`` and ``test_step`` (the Keras guide
  "Customizing what happens in fit()").

The two MNIST programs train on the real data (the slow tier).
"""

import math

import numpy as np
import pytest

import neuroflow as tf
from neuroflow import keras


@pytest.fixture(autouse=True)
def _seeded():
    tf.backend.clear_session()
    tf.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def mnist_data():
    return tf.keras.datasets.mnist.load_data()


# --------------------------------------------------------------------- the quickstart
@pytest.mark.slow
def test_beginner_quickstart(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    x_train, x_test = x_train / 255.0, x_test / 255.0

    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dropout(0.2),
            tf.keras.layers.Dense(10),
        ]
    )
    predictions = model(x_train[:1]).numpy()
    assert predictions.shape == (1, 10) and predictions.dtype == np.float32
    probabilities = tf.nn.softmax(predictions).numpy()
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-6)
    assert isinstance(probabilities, np.ndarray) and np.all(probabilities > 0)

    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    untrained = loss_fn(y_train[:1], predictions).numpy()
    # an untrained model is close to guessing: -log(1/10) = 2.30
    assert 1.5 < float(untrained) < 3.5
    np.testing.assert_allclose(untrained, -np.log(probabilities[0, y_train[0]]), rtol=1e-5)

    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)
    assert test_accuracy > 0.97  # the tutorial reports about 0.98
    assert test_loss < 0.1

    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    top = probability_model(x_test[:5])
    np.testing.assert_allclose(tf.reduce_sum(top, axis=1).numpy(), np.ones(5), rtol=1e-5)
    assert (tf.argmax(top, axis=1).numpy() == y_test[:5]).mean() >= 0.8


# ------------------------------------------------------------ MNIST from scratch (ch. 2)
class PlainDense:
    """A dense layer with its weights as tf.Variables and the product written out."""

    def __init__(self, inputs, units, activation):
        scale = math.sqrt(6.0 / (inputs + units))
        self.kernel = tf.Variable(tf.random.uniform((inputs, units), minval=-scale, maxval=scale))
        self.bias = tf.Variable(tf.zeros((units,)))
        self.activation = activation

    def __call__(self, x):
        return self.activation(tf.matmul(x, self.kernel) + self.bias)

    @property
    def weights(self):
        return [self.kernel, self.bias]


class PlainStack:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]


def batches(images, labels, size):
    for start in range(0, len(images), size):
        yield images[start : start + size], labels[start : start + size]


@pytest.mark.slow
def test_mnist_from_scratch_with_variables_and_a_tape(mnist_data):
    (train_images, train_labels), (test_images, test_labels) = mnist_data
    train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255

    model = PlainStack([PlainDense(28 * 28, 256, tf.nn.relu), PlainDense(256, 10, tf.nn.softmax)])
    assert len(model.weights) == 4
    learning_rate = 0.1

    def one_training_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images)
            per_sample = tf.keras.losses.sparse_categorical_crossentropy(labels, predictions)
            average_loss = tf.reduce_mean(per_sample)
        gradients = tape.gradient(average_loss, model.weights)
        for g, w in zip(gradients, model.weights):
            w.assign_sub(g * learning_rate)
        return average_loss

    losses = []
    for _ in range(2):
        for images, labels in batches(train_images, train_labels, 128):
            losses.append(float(one_training_step(images, labels)))
    assert f"{losses[-1]:.2f}" == f"{tf.constant(losses[-1]):.2f}"
    assert np.mean(losses[-50:]) < np.mean(losses[:50]) / 4

    predictions = model(test_images).numpy()
    accuracy = (np.argmax(predictions, axis=1) == test_labels).mean()
    assert accuracy >= 0.9, accuracy


# ----------------------------------------------------- linear classifier (chapter 3)
def test_linear_classifier_of_two_point_clouds():
    rng = np.random.default_rng(0)
    per_class = 1000
    cov = [[1, 0.5], [0.5, 1]]
    negative = rng.multivariate_normal(mean=[0, 3], cov=cov, size=per_class)
    positive = rng.multivariate_normal(mean=[3, 0], cov=cov, size=per_class)
    inputs = np.vstack((negative, positive)).astype(np.float32)
    targets = np.vstack(
        (np.zeros((per_class, 1), dtype="float32"), np.ones((per_class, 1), dtype="float32"))
    )

    W = tf.Variable(initial_value=tf.random.uniform(shape=(2, 1)))
    b = tf.Variable(initial_value=tf.zeros(shape=(1,)))

    def model(x):
        return tf.matmul(x, W) + b

    def square_loss(y, predictions):
        return tf.reduce_mean(tf.square(y - predictions))

    def training_step(x, y):
        with tf.GradientTape() as tape:
            loss = square_loss(y, model(x))
        grad_w, grad_b = tape.gradient(loss, [W, b])
        W.assign_sub(grad_w * 0.1)
        b.assign_sub(grad_b * 0.1)
        return loss

    losses = [float(training_step(inputs, targets)) for _ in range(40)]
    assert losses[-1] < 0.05 < losses[0]  # the textbook reaches about 0.025
    predictions = model(inputs)
    assert predictions.shape == (2000, 1) and predictions.dtype == tf.float32
    accuracy = np.mean((predictions[:, 0] > 0.5).numpy() == targets[:, 0].astype(bool))
    assert accuracy > 0.97

    # the line the classifier draws: w1 * x + w2 * y + b = 0.5, between the two clouds
    w1, w2 = W.numpy()[:, 0]
    assert np.sign(w1) > 0 > np.sign(w2)


# ---------------------------------------------- the Keras guide: a loop from scratch
def test_training_loop_from_scratch_guide():
    rng = np.random.default_rng(0)
    # the guide's MNIST, as class-dependent random images (fewer samples, the same shapes)
    centers = rng.random((10, 784), dtype=np.float32)
    y_all = rng.integers(0, 10, 3000)
    x_all = (centers[y_all] + 0.3 * rng.standard_normal((3000, 784))).astype("float32")
    x_train, y_train = x_all[:-1000], y_all[:-1000]
    x_val, y_val = x_all[-1000:], y_all[-1000:]

    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)

    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()

    batch_size = 64
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(batch_size)
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc_metric.update_state(y, logits)
        return loss_value

    @tf.function(jit_compile=True)
    def test_step(x, y):
        val_logits = model(x, training=False)
        val_acc_metric.update_state(y, val_logits)

    first_losses, train_accs, val_accs = [], [], []
    for epoch in range(2):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
            if epoch == 0 and step < 3:
                first_losses.append(float(loss_value))
        train_accs.append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
        for x_batch_val, y_batch_val in val_dataset:
            test_step(x_batch_val, y_batch_val)
        val_accs.append(float(val_acc_metric.result()))
        val_acc_metric.reset_state()

    assert 1.5 < first_losses[0] < 4.0  # near -log(1/10) before training
    assert float(loss_value) < first_losses[0] / 2
    assert train_accs[-1] > 0.9 and val_accs[-1] > 0.9
    assert optimizer.iterations == 2 * math.ceil(len(x_train) / batch_size)


# ---------------------------------------------------------- train_step overrides
class CustomModel(keras.Model):
    """The guide's first example: the compiled loss and metrics, a hand-written step."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TrackedModel(keras.Model):
    """The guide's lower-level example: its own loss function and metric trackers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def _regression_data():
    rng = np.random.default_rng(1)
    x = rng.random((1000, 32)).astype("float32")
    y = (x @ rng.standard_normal((32, 1)) * 0.3).astype("float32")
    return x, y


def test_train_step_override_with_the_compiled_loss_and_metrics():
    x, y = _regression_data()
    inputs = keras.Input(shape=(32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    # the overridden test_step's loss is the compiled MSE; the "loss" tracker is a Mean
    # that counts each batch's value once (as in Keras): check it by hand
    errors = (model.predict(x, verbose=0) - y) ** 2
    expected = np.mean([errors[i : i + 32].mean() for i in range(0, len(x), 32)])
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)


def test_train_step_override_with_its_own_trackers_matches_the_built_in_step():
    x, y = _regression_data()

    def build(cls):
        tf.utils.set_random_seed(3)
        inputs = keras.Input(shape=(32,))
        return cls(inputs, keras.layers.Dense(1)(inputs))

    custom = build(TrackedModel)
    custom.compile(optimizer=keras.optimizers.SGD(0.05))
    custom_history = custom.fit(x, y, epochs=3, batch_size=50, shuffle=False, verbose=0)
    plain = build(keras.Model)
    plain.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    plain_history = plain.fit(x, y, epochs=3, batch_size=50, shuffle=False, verbose=0)
    # the hand-written step is the built-in one: the same losses, metrics and weights
    for key in ("loss", "mae"):
        np.testing.assert_allclose(custom_history.history[key], plain_history.history[key],
                                   rtol=1e-5)  # fmt: skip
    for mine, theirs in zip(custom.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7)
