"""Same weights, same data: neuroflow and real Keras must agree (skipped without TensorFlow)."""

import os

import numpy as np
import pytest

import neuroflow as nf
from tests.conftest import requires_keras

pytestmark = requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def build_pair(keras, spec, input_shape):
    """The same architecture in both libraries, with Keras's initial weights copied over."""
    k_model = keras.Sequential(
        [keras.Input(input_shape)]
        + [getattr(keras.layers, cls)(*args, **kwargs) for cls, args, kwargs in spec]
    )
    n_model = nf.keras.Sequential(
        [nf.keras.Input(input_shape)]
        + [getattr(nf.keras.layers, cls)(*args, **kwargs) for cls, args, kwargs in spec]
    )
    n_model.set_weights(k_model.get_weights())
    return k_model, n_model


DATA_RNG = np.random.default_rng(0)
X = DATA_RNG.random((96, 20)).astype(np.float32)
Y = DATA_RNG.integers(0, 4, size=96)
Y_HOT = np.eye(4, dtype=np.float32)[Y]

MLP = [("Dense", (16,), {"activation": "relu"}), ("Dense", (4,), {"activation": "softmax"})]
SIGMOID_MLP = [
    ("Dense", (10,), {"activation": "sigmoid"}),
    ("Dense", (4,), {"activation": "sigmoid"}),
]  # seed 003's first model
LOGITS_MLP = [
    ("Dense", (16,), {"activation": "tanh"}),
    ("Dropout", (0.0,), {}),
    ("Dense", (4,), {}),
]


def test_predictions_and_loss_match(keras):
    k_model, n_model = build_pair(keras, MLP, (20,))
    np.testing.assert_allclose(
        n_model.predict(X, verbose=0), k_model.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )
    k_model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    n_model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(
        n_model.evaluate(X, Y_HOT, verbose=0), k_model.evaluate(X, Y_HOT, verbose=0), rtol=1e-5
    )


@pytest.mark.parametrize(
    "spec,loss,optimizer",
    [
        (MLP, "categorical_crossentropy", "sgd"),
        (MLP, "categorical_crossentropy", "rmsprop"),
        (SIGMOID_MLP, "categorical_crossentropy", "sgd"),
        (LOGITS_MLP, "sparse_logits", "adam"),
        (MLP, "sparse_categorical_crossentropy", "adagrad"),
        (LOGITS_MLP, "mse", "sgd_nesterov"),
    ],
)
def test_training_trajectory_matches(keras, spec, loss, optimizer):
    k_model, n_model = build_pair(keras, spec, (20,))
    y = Y_HOT
    if loss == "sparse_logits":
        k_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        n_loss = nf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        y = Y
    elif loss == "sparse_categorical_crossentropy":
        k_loss = n_loss = loss
        y = Y
    else:
        k_loss = n_loss = loss
    if optimizer == "sgd_nesterov":
        k_opt = keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)
        n_opt = nf.keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)
    else:
        k_opt, n_opt = optimizer, optimizer
    k_model.compile(k_opt, k_loss)
    n_model.compile(n_opt, n_loss)
    kh = k_model.fit(X, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    nh = n_model.fit(X, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(nh.history["loss"], kh.history["loss"], rtol=2e-4)
    for ours, theirs in zip(n_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5)


def test_summary_table_matches_keras(keras):
    spec = [
        ("Flatten", (), {}),
        ("Dense", (128,), {"activation": "relu"}),
        ("Dropout", (0.2,), {}),
        ("Dense", (10,), {}),
    ]
    keras.backend.clear_session()
    nf.backend.clear_session()
    k_model, n_model = build_pair(keras, spec, (28, 28))
    k_lines, n_lines = [], []
    k_model.summary(print_fn=lambda text, **kw: k_lines.extend(text.splitlines()), line_length=76)
    n_model.summary(print_fn=lambda text: n_lines.extend(text.splitlines()), line_length=76)
    strip = lambda lines: [ln.rstrip() for ln in lines if ln.strip()]  # noqa: E731
    assert strip(n_lines)[1:] == strip(k_lines)[1:]  # model names differ only by counter


def test_to_categorical_matches(keras):
    labels = np.array([3, 0, 2, 2])
    np.testing.assert_array_equal(
        nf.keras.utils.to_categorical(labels), keras.utils.to_categorical(labels)
    )


IMAGES = DATA_RNG.random((64, 9, 9, 2)).astype(np.float32)
IMG_LABELS = DATA_RNG.integers(0, 3, size=64)

CNNS = {
    "seed002_like": [
        ("Conv2D", (4, 3), {"activation": "relu"}),
        ("MaxPooling2D", (2,), {}),
        ("Flatten", (), {}),
        ("Dense", (3,), {"activation": "softmax"}),
    ],
    "same_strided": [
        ("Conv2D", (3, 2), {"padding": "same", "strides": 2, "activation": "tanh"}),
        ("AveragePooling2D", (2,), {"padding": "same"}),
        ("Flatten", (), {}),
        ("Dense", (3,), {"activation": "softmax"}),
    ],
    "dilated_global": [
        ("Conv2D", (5, 3), {"dilation_rate": 2}),
        ("MaxPooling2D", (3,), {"strides": 1, "padding": "same"}),
        ("GlobalAveragePooling2D", (), {}),
        ("Dense", (3,), {}),
    ],
}


@pytest.mark.parametrize("name", sorted(CNNS))
def test_cnn_predictions_and_training_match(keras, name):
    k_model, n_model = build_pair(keras, CNNS[name], (9, 9, 2))
    np.testing.assert_allclose(
        n_model.predict(IMAGES, verbose=0), k_model.predict(IMAGES, verbose=0), rtol=1e-4, atol=1e-6
    )
    from_logits = name == "dilated_global"
    k_model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    n_model.compile("adam", nf.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    kh = k_model.fit(IMAGES, IMG_LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0)
    nh = n_model.fit(IMAGES, IMG_LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(nh.history["loss"], kh.history["loss"], rtol=2e-4)
    for ours, theirs in zip(n_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5)


def test_seed002_summary_matches_keras(keras):
    spec = [
        ("Conv2D", (32,), {"kernel_size": (3, 3), "activation": "relu"}),
        ("MaxPooling2D", (), {"pool_size": (2, 2)}),
        ("Conv2D", (64,), {"kernel_size": (3, 3), "activation": "relu"}),
        ("MaxPooling2D", (), {"pool_size": (2, 2)}),
        ("Flatten", (), {}),
        ("Dropout", (0.5,), {}),
        ("Dense", (10,), {"activation": "softmax"}),
    ]
    keras.backend.clear_session()
    nf.backend.clear_session()
    k_model, n_model = build_pair(keras, spec, (28, 28, 1))
    k_lines, n_lines = [], []
    k_model.summary(print_fn=lambda text, **kw: k_lines.extend(text.splitlines()), line_length=76)
    n_model.summary(print_fn=lambda text: n_lines.extend(text.splitlines()), line_length=76)
    strip = lambda lines: [ln.rstrip() for ln in lines if ln.strip()]  # noqa: E731
    assert strip(n_lines)[1:] == strip(k_lines)[1:]


def nested_pair(keras):
    """A model with a frozen layer, a long name and a nested Sequential, in both libraries."""

    def build(lib):
        inner = lib.Sequential(
            [lib.Input((8,)), lib.layers.Dense(4, activation="relu"), lib.layers.Dense(3)],
            name="inner",
        )
        model = lib.Sequential(
            [
                lib.Input((28, 28)),
                lib.layers.Flatten(),
                lib.layers.Dense(8, activation="relu"),
                lib.layers.Dense(8, name="a_really_long_layer_name_for_this_table"),
                lib.layers.Dropout(0.2),
                inner,
                lib.layers.Dense(10),
            ],
            name="outer",
        )
        model.layers[1].trainable = False
        return model

    keras.backend.clear_session()
    nf.backend.clear_session()
    return build(keras), build(nf.keras)


def summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lambda text, **kw: lines.extend(text.splitlines()), **kwargs)
    return [ln.rstrip() for ln in lines if ln.strip()]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"positions": [0.3, 0.6, 1.0]},
        {"positions": [0.5, 0.7, 0.9], "line_length": 70},  # narrower: rich widens columns
        {"show_trainable": True, "line_length": 80},
        {"expand_nested": True},
        {"expand_nested": True, "show_trainable": True, "line_length": 78},
        {"layer_range": ("dense", "dropout")},
        {"layer_range": ["dropout", "inner"], "expand_nested": True},
        {"positions": [0.4, 0.7, 1.0], "show_trainable": True},
        {"line_length": 40, "positions": [0.5, 0.8, 1.0]},  # wrapped cells, ellipses
    ],
)
def test_summary_arguments_match_keras(keras, kwargs):
    k_model, n_model = nested_pair(keras)
    kwargs = {"line_length": 76, **kwargs}
    assert summary_lines(n_model, **kwargs) == summary_lines(k_model, **kwargs)


def test_summary_after_fit_counts_optimizer_params_as_keras(keras):
    k_model, n_model = nested_pair(keras)
    x = DATA_RNG.random((8, 28, 28)).astype(np.float32)
    y = DATA_RNG.random((8, 10)).astype(np.float32)
    for model in (k_model, n_model):
        model.compile("adam", "mse")
        model.fit(x, y, epochs=1, verbose=0)
    ours = summary_lines(n_model, line_length=76)
    assert " Optimizer params: 328 (1.29 KB)" in ours
    assert ours == summary_lines(k_model, line_length=76)


def test_custom_train_step_runs_in_fit_as_in_keras(keras):
    """The Keras guide's pattern: fit calls an overridden train_step; logs are what it returns."""
    k_model, n_model = build_pair(keras, MLP, (20,))
    for lib, model in ((keras, k_model), (nf.keras, n_model)):
        calls: list = []
        base = type(model)

        class Counting(base):
            def train_step(self, data, calls=calls):
                calls.append(len(data))
                logs = super().train_step(data)
                return {"loss": logs["loss"], "steps_seen": float(len(calls))}

        model.__class__ = Counting
        # eagerly, so that Keras runs the Python body every step instead of tracing it once
        model.compile("sgd", "categorical_crossentropy", run_eagerly=True)
        history = model.fit(X, Y_HOT, batch_size=32, epochs=2, shuffle=False, verbose=0)
        assert calls == [2] * 6, lib
        assert sorted(history.history) == ["loss", "steps_seen"]
        assert history.history["steps_seen"] == [3.0, 6.0]
    np.testing.assert_allclose(
        n_model.history.history["loss"], k_model.history.history["loss"], rtol=2e-4
    )


def test_validation_freq_steps_and_on_batch_methods_match_keras(keras):
    k_model, n_model = build_pair(keras, MLP, (20,))
    for model in (k_model, n_model):
        model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    kwargs = dict(batch_size=16, epochs=4, shuffle=False, verbose=0, validation_split=0.25)
    kh = k_model.fit(X, Y_HOT, validation_freq=[1, 3], **kwargs).history
    nh = n_model.fit(X, Y_HOT, validation_freq=[1, 3], **kwargs).history
    assert sorted(nh) == sorted(kh) and len(nh["val_loss"]) == len(kh["val_loss"]) == 2
    for key in kh:
        np.testing.assert_allclose(nh[key], kh[key], rtol=2e-4, err_msg=key)
    np.testing.assert_allclose(
        n_model.evaluate(X, Y_HOT, batch_size=16, steps=2, verbose=0),
        k_model.evaluate(X, Y_HOT, batch_size=16, steps=2, verbose=0),
        rtol=1e-5,
    )
    assert n_model.predict(X, batch_size=16, steps=2, verbose=0).shape == (32, 4)
    assert k_model.predict(X, batch_size=16, steps=2, verbose=0).shape == (32, 4)
    ours = n_model.train_on_batch(X[:16], Y_HOT[:16], return_dict=True)
    theirs = k_model.train_on_batch(X[:16], Y_HOT[:16], return_dict=True)
    assert sorted(ours) == sorted(theirs)
    np.testing.assert_allclose([ours[k] for k in theirs], list(theirs.values()), rtol=1e-5)
    np.testing.assert_allclose(
        n_model.test_on_batch(X[16:32], Y_HOT[16:32]),
        k_model.test_on_batch(X[16:32], Y_HOT[16:32]),
        rtol=1e-5,
    )
