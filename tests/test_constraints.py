"""Weight constraints: the projections against real Keras 3 on random weights, their configs and
identifiers, variables carrying them, optimizers applying them after each step (a fit compared
with Keras's step by step), the layers' constraint arguments and configs, and Keras files."""

from __future__ import annotations

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import constraints
from neuroflow.keras import layers as L
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(0)

# (class name, arguments, weight shape): Dense kernels, conv kernels (one norm per filter),
# an Embedding-like row norm, tuple/list/negative axes, MinMaxNorm's partial rate
CASES = [
    ("MaxNorm", {}, (5, 4)),
    ("MaxNorm", {"max_value": 0.7, "axis": 1}, (6, 3)),
    ("MaxNorm", {"max_value": 1.5, "axis": [0, 1, 2]}, (3, 3, 2, 4)),
    ("MaxNorm", {"max_value": 0.5, "axis": (0, 1)}, (3, 2, 4)),
    ("MaxNorm", {"max_value": 3, "axis": -1}, (2, 3, 5)),
    ("UnitNorm", {}, (5, 4)),
    ("UnitNorm", {"axis": [0, 1, 2]}, (2, 2, 3, 4)),
    ("MinMaxNorm", {}, (4, 6)),
    ("MinMaxNorm", {"min_value": 0.8, "max_value": 1.2, "rate": 0.5}, (7, 3)),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "axis": [0, 1, 2]}, (3, 3, 2, 4)),
    ("NonNeg", {}, (3, 3, 2, 4)),
]


def weights(shape, scale=1.5):
    w = (RNG.standard_normal(shape) * scale).astype(np.float32)
    w[(0,) * (len(shape) - 1)] = 0.0  # a zero vector: the epsilon keeps it finite
    return w


def as_numpy(value):
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


# ------------------------------------------------------------------- the projections
@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES)
def test_values_equal_keras(name, kwargs, shape):
    keras = peer("keras")
    w = weights(shape)
    ours = getattr(constraints, name)(**kwargs)(w)
    theirs = getattr(keras.constraints, name)(**kwargs)(w)
    assert isinstance(ours, nf.Tensor) and ours.dtype == nf.float32
    np.testing.assert_allclose(ours.numpy(), as_numpy(theirs), rtol=2e-6, atol=1e-7)
    # on a Variable too (what the optimizer passes), leaving the variable as it was
    var = nf.Variable(w)
    np.testing.assert_allclose(getattr(constraints, name)(**kwargs)(var).numpy(), ours.numpy())
    np.testing.assert_array_equal(var.numpy(), w)


def test_the_projections_by_hand():
    w = np.array([[3.0, 0.3, 0.0], [4.0, 0.4, 0.0]], np.float32)  # column norms 5, 0.5, 0
    norms = lambda a: np.linalg.norm(as_numpy(a), axis=0)  # noqa: E731
    np.testing.assert_allclose(norms(constraints.MaxNorm(1.0)(w)), [1.0, 0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(norms(constraints.UnitNorm()(w)), [1.0, 1.0, 0.0], rtol=1e-6)
    minmax = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)
    np.testing.assert_allclose(norms(minmax(w)), [3.5, 0.75, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(-w).numpy(), np.zeros_like(w))
    assert constraints.Constraint()(w) is w  # the base class is the identity, as in Keras


def test_a_constraint_is_differentiable():
    w = nf.Variable(np.array([[3.0], [4.0]], np.float32))
    with nf.GradientTape() as tape:
        total = nf.reduce_sum(constraints.UnitNorm()(w))
    grad = tape.gradient(total, w).numpy()
    # d/dw sum(w / |w|) = (1 - w * sum(w) / |w|^2) / |w|
    expected = (1 - np.array([[3.0], [4.0]]) * 7 / 25) / 5
    np.testing.assert_allclose(grad, expected, rtol=1e-5)


# ------------------------------------------------------------ configs and identifiers
CONFIG_CASES = [(name, kwargs) for name, kwargs, _ in CASES] + [
    ("Constraint", {}),
    ("MinMaxNorm", {"min_value": 0, "max_value": 5, "rate": 0, "axis": 2}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIG_CASES)
def test_configs_and_serialized_forms_equal_keras(name, kwargs):
    keras = peer("keras")
    ours = getattr(constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    # each library rebuilds the other's serialized form
    rebuilt = constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()
    back = keras.constraints.deserialize(constraints.serialize(ours))
    assert type(back).__name__ == name and back.get_config() == theirs.get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_aliases_are_the_classes_with_keras_defaults():
    keras = peer("keras")
    for alias, cls in [
        ("max_norm", constraints.MaxNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("non_neg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
    ]:
        assert getattr(constraints, alias) is cls
        assert getattr(nf.keras.constraints, alias) is cls
        assert cls().get_config() == getattr(keras.constraints, alias)().get_config()
    assert nf.keras.constraints is constraints
    assert nf.tf.keras.constraints is constraints


@pytest.mark.parametrize(
    "name",
    ["MaxNorm", "max_norm", "MinMaxNorm", "min_max_norm", "NonNeg", "non_neg", "UnitNorm",
     "unit_norm", "Constraint", "constraint"],
)  # fmt: skip
def test_names_give_what_keras_gives(name):
    keras = peer("keras")
    ours, theirs = constraints.get(name), keras.constraints.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == theirs.get_config()


def test_get_accepts_every_kind_of_identifier():
    assert constraints.get(None) is None
    maxnorm = constraints.MaxNorm(3)
    assert constraints.get(maxnorm) is maxnorm
    assert isinstance(constraints.get(constraints.UnitNorm), constraints.UnitNorm)

    def clip(w):
        return nf.clip_by_value(w, -1.0, 1.0)

    assert constraints.get(clip) is clip
    keras2 = {"class_name": "MaxNorm", "config": {"max_value": 4, "axis": [0, 1]}}
    assert constraints.get(keras2).get_config() == {"max_value": 4, "axis": [0, 1]}
    keras3 = constraints.serialize(constraints.MinMaxNorm(0.5, 2.0, 0.3, 1))
    assert constraints.get(keras3).get_config() == {
        "min_value": 0.5,
        "max_value": 2.0,
        "rate": 0.3,
        "axis": 1,
    }
    assert constraints.get({"class_name": "non_neg"}).get_config() == {}
    assert constraints.deserialize("unit_norm").get_config() == {"axis": 0}


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: constraints.get(42), ValueError, "Could not interpret constraint.*42"),
        (lambda: constraints.get("no_such"), ValueError, "Unknown constraint.*'no_such'.*max_norm"),
        (lambda: constraints.get(int), ValueError, "Could not interpret constraint"),
        (lambda: constraints.deserialize({"class_name": "RadialConstraint"}), ValueError,
         "Unknown constraint class.*RadialConstraint"),
        (lambda: constraints.deserialize([1]), TypeError, "Expected a constraint config"),
        (lambda: constraints.deserialize({"class_name": "MaxNorm", "config": [2]}), TypeError,
         "'config' to be a dict"),
        (lambda: constraints.deserialize({"class_name": "MaxNorm", "config": {"max": 2}}),
         TypeError, "max"),
        (lambda: constraints.serialize(lambda w: w), ValueError, "Cannot serialize the constraint"),
        (lambda: constraints.MaxNorm(-1), ValueError, r"`max_value`.*>= 0.*max_value=-1"),
        (lambda: constraints.MaxNorm("2"), ValueError, "max_value='2'"),
        (lambda: constraints.MaxNorm(float("nan")), ValueError, "max_value=nan"),
        (lambda: constraints.MaxNorm(True), ValueError, "max_value=True"),
        (lambda: constraints.MaxNorm(axis=1.5), ValueError, r"`axis`.*axis=1\.5"),
        (lambda: constraints.UnitNorm(axis=[]), ValueError, r"axis=\[\]"),
        (lambda: constraints.UnitNorm(axis=[0, "1"]), ValueError, "axis="),
        (lambda: constraints.MinMaxNorm(2.0, 1.0), ValueError, "min_value <= max_value"),
        (lambda: constraints.MinMaxNorm(rate=1.5), ValueError, r"`rate`.*\[0, 1\].*rate=1\.5"),
        (lambda: constraints.MaxNorm(axis=2)(np.ones((3, 4))), ValueError,
         r"MaxNorm\(axis=2\).*shape \(3, 4\).*axis 2 is out of range"),
        (lambda: nf.Variable(1.0, constraint=5), ValueError, "constraint=5"),
        (lambda: L.Dense(2, kernel_constraint="nope"), ValueError, "constraint='nope'"),
        (lambda: L.Dense(2, bias_constraint=3.0), ValueError, "constraint identifier: 3.0"),
    ],
)  # fmt: skip
def test_bad_inputs_are_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---------------------------------------------------------------------- variables
def test_variables_carry_their_constraint():
    nonneg = constraints.NonNeg()
    v = nf.Variable([1.0, -2.0], constraint=nonneg)  # tf.Variable(constraint=...)
    assert v.constraint is nonneg
    assert nf.keras.Variable(1.0).constraint is None
    v.constraint = None  # settable, as Keras 3's variables
    assert v.constraint is None
    with pytest.raises(ValueError, match="Expected a callable"):
        v.constraint = "non_neg"  # names are for add_weight and layers, as in Keras

    layer = nf.keras.layers.Layer()
    w = layer.add_weight(shape=(2, 3), initializer="ones", constraint="max_norm")
    assert isinstance(w.constraint, constraints.MaxNorm) and w.constraint.max_value == 2
    assert layer.add_weight(shape=(2,)).constraint is None


# ---------------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    "make",
    [
        lambda: nf.keras.optimizers.SGD(0.5),
        lambda: nf.keras.optimizers.SGD(0.5, momentum=0.9, nesterov=True),
        lambda: nf.keras.optimizers.Adam(0.5),
        lambda: nf.keras.optimizers.RMSprop(0.5),
        lambda: nf.keras.optimizers.Adagrad(0.5),
    ],
)
def test_every_optimizer_projects_after_its_update(make):
    opt = make()
    kernel = nf.Variable(np.full((3, 2), 0.5, np.float32), constraint=constraints.MaxNorm(1.0))
    bias = nf.Variable(np.zeros(2, np.float32), constraint=constraints.NonNeg())
    free = nf.Variable(np.zeros(2, np.float32))
    untouched = nf.Variable(np.full(2, -1.0, np.float32), constraint=constraints.NonNeg())
    for _ in range(3):
        grads = [-np.ones((3, 2), np.float32), np.ones(2, np.float32), np.ones(2, np.float32)]
        opt.apply([*grads, None], [kernel, bias, free, untouched])
    np.testing.assert_allclose(np.linalg.norm(kernel.numpy(), axis=0), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(bias.numpy(), [0.0, 0.0])
    assert (free.numpy() < 0).all()  # the same update without a constraint goes negative
    # as in Keras, a variable without a gradient this step is neither updated nor projected
    np.testing.assert_array_equal(untouched.numpy(), [-1.0, -1.0])


def test_custom_loop_with_a_callable_constraint():
    v = nf.Variable([0.5, -0.5], constraint=lambda w: nf.clip_by_value(w, -0.6, 0.6))
    opt = nf.keras.optimizers.SGD(1.0)
    with nf.GradientTape() as tape:
        loss = nf.reduce_sum(v * nf.constant([-1.0, 1.0]))
    opt.apply_gradients(zip(tape.gradient(loss, [v]), [v]))
    np.testing.assert_allclose(v.numpy(), [0.6, -0.6])


def test_keras_optimizer_step_matches():
    keras = peer("keras")
    w0 = weights((4, 3))
    grads = [RNG.standard_normal((4, 3)).astype(np.float32) for _ in range(3)]
    ours = nf.Variable(w0, constraint=constraints.MinMaxNorm(0.5, 1.0, rate=0.7))
    theirs = keras.Variable(w0)
    theirs.constraint = keras.constraints.MinMaxNorm(0.5, 1.0, rate=0.7)
    opt, kopt = nf.keras.optimizers.Adam(0.1), keras.optimizers.Adam(0.1)
    for g in grads:
        opt.apply([g], [ours])
        kopt.apply([g], [theirs])
    np.testing.assert_allclose(ours.numpy(), as_numpy(theirs), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- training with fit
def _mlp(lib, kernel_constraint, bias_constraint, unit_norm):
    return lib.Sequential(
        [
            lib.Input((6,)),
            lib.layers.Dense(
                5,
                activation="tanh",
                kernel_constraint=kernel_constraint,
                bias_constraint=bias_constraint,
            ),
            lib.layers.Dense(2, kernel_constraint=unit_norm),
        ]
    )


def test_fit_keeps_the_norms_and_matches_keras_step_by_step():
    keras = peer("keras")
    x = RNG.standard_normal((48, 6)).astype(np.float32)
    y = (x[:, :2] * 3.0 + 1.0).astype(np.float32)
    ours = _mlp(nf.keras, constraints.MaxNorm(0.6), "non_neg", constraints.UnitNorm())
    theirs = _mlp(keras, keras.constraints.MaxNorm(0.6), "non_neg", keras.constraints.UnitNorm())
    start = [w * 3.0 for w in theirs.get_weights()]  # large: the max-norm binds from step 1
    start[1] = np.linspace(-0.5, 0.5, 5).astype(np.float32)
    ours.set_weights(start)
    theirs.set_weights(start)
    ours.compile(nf.keras.optimizers.SGD(0.05), "mse")
    theirs.compile(keras.optimizers.SGD(0.05), "mse")
    for _ in range(2):  # one epoch (6 steps) at a time, compared after each
        ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        for mine, keras_w in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(mine, keras_w, rtol=1e-4, atol=2e-5)
    kernel, bias, out_kernel, _ = ours.get_weights()
    assert np.linalg.norm(kernel, axis=0).max() <= 0.6 + 1e-6
    assert (bias >= 0).all() and (np.linalg.norm(out_kernel, axis=0) == pytest.approx(1.0))
    assert np.linalg.norm(start[0], axis=0).min() > 0.6  # so the constraint did the work


def test_conv_and_embedding_constraints_hold_after_fit():
    model = nf.keras.Sequential(
        [
            nf.keras.Input((5,)),
            L.Embedding(12, 4, embeddings_constraint=constraints.MaxNorm(0.3, axis=1)),
            L.Conv1D(3, 2, kernel_constraint=constraints.MaxNorm(0.4, axis=[0, 1])),
            L.GlobalAveragePooling1D(),
            L.Dense(1),
        ]
    )
    model.compile(nf.keras.optimizers.SGD(0.5), "mse")
    x = RNG.integers(0, 12, (32, 5))
    model.fit(x, RNG.standard_normal((32, 1)) * 5, epochs=2, batch_size=8, verbose=0)
    emb, kernel = model.layers[0].embeddings.numpy(), model.layers[1].kernel.numpy()
    assert np.linalg.norm(emb, axis=1).max() <= 0.3 + 1e-6
    assert np.linalg.norm(kernel, axis=(0, 1)).max() <= 0.4 + 1e-6


# ------------------------------------------------------------------ layers' configs
def _layer_cases(lib):
    c = lib.constraints
    return [
        (lambda: lib.layers.Dense(3, kernel_constraint=c.MaxNorm(1.5), bias_constraint="non_neg"),
         (None, 4)),
        (lambda: lib.layers.Conv1D(2, 3, kernel_constraint=c.UnitNorm(axis=[0, 1])), (None, 7, 3)),
        (lambda: lib.layers.Conv2D(2, 3, bias_constraint=c.NonNeg(),
                                   kernel_constraint=c.MaxNorm(axis=[0, 1, 2])), (None, 6, 6, 2)),
        (lambda: lib.layers.Conv1DTranspose(2, 3, kernel_constraint="unit_norm"), (None, 7, 3)),
        (lambda: lib.layers.Conv2DTranspose(2, 3, bias_constraint=c.MinMaxNorm(0.1, 0.9, 0.5)),
         (None, 5, 5, 2)),
        (lambda: lib.layers.Embedding(9, 3, embeddings_constraint=c.MaxNorm(1.0, axis=1)),
         (None, 4)),
        (lambda: lib.layers.BatchNormalization(beta_constraint="non_neg",
                                               gamma_constraint=c.MaxNorm(2.0)), (None, 4)),
        (lambda: lib.layers.LayerNormalization(gamma_constraint="unit_norm"), (None, 4)),
        (lambda: lib.layers.SimpleRNN(3, kernel_constraint="max_norm",
                                      recurrent_constraint=c.UnitNorm(axis=1)), (None, 5, 2)),
        (lambda: lib.layers.LSTM(3, recurrent_constraint=c.MaxNorm(0.9), bias_constraint="non_neg"),
         (None, 5, 2)),
        (lambda: lib.layers.GRU(2, kernel_constraint=c.MinMaxNorm(), bias_constraint="non_neg"),
         (None, 5, 2)),
        (lambda: lib.layers.SimpleRNNCell(3, bias_constraint="non_neg"), None),
        (lambda: lib.layers.LSTMCell(3, kernel_constraint=c.MaxNorm(3)), None),
        (lambda: lib.layers.GRUCell(3, recurrent_constraint="unit_norm"), None),
    ]  # fmt: skip


def _constraint_keys(config):
    return [k for k in config if k.endswith("_constraint")]


@pytest.mark.parametrize("index", range(14))
def test_layer_configs_equal_keras(index):
    keras = peer("keras")
    ours = _layer_cases(nf.keras)[index][0]()
    theirs = _layer_cases(keras)[index][0]()
    mine, their_config = ours.get_config(), theirs.get_config()
    keys = _constraint_keys(their_config)
    assert keys and _constraint_keys(mine) == keys
    assert {k: mine[k] for k in keys} == {k: their_config[k] for k in keys}
    # the keys both write come in Keras's order
    shared = [k for k in their_config if k in mine]
    assert [k for k in mine if k in their_config] == shared
    rebuilt = type(ours).from_config(mine)
    assert rebuilt.get_config() == mine


@pytest.mark.parametrize("index", range(11))
def test_built_layers_put_the_constraints_on_their_weights(index):
    make, shape = _layer_cases(nf.keras)[index]
    layer = make()
    layer.build(shape)
    config = layer.get_config()
    owner = getattr(layer, "cell", layer)
    names = {"kernel": "kernel", "bias": "bias", "recurrent": "recurrent_kernel",
             "embeddings": "embeddings", "beta": "beta", "gamma": "gamma"}  # fmt: skip
    for key in _constraint_keys(config):
        weight = getattr(owner, names[key.removesuffix("_constraint")])
        assert weight.constraint is getattr(owner, key)
        if config[key] is None:
            assert weight.constraint is None
        else:
            assert constraints.serialize(weight.constraint) == config[key]


# ------------------------------------------------------------------------- files
def _constrained(lib):
    c = lib.constraints
    inputs = lib.Input((6,))
    x = lib.layers.Dense(4, kernel_constraint=c.MaxNorm(0.8), bias_constraint="non_neg")(inputs)
    x = lib.layers.BatchNormalization(gamma_constraint=c.UnitNorm())(x)
    x = lib.layers.Reshape((2, 2))(x)
    x = lib.layers.Conv1D(3, 2, kernel_constraint=c.MaxNorm(1.0, axis=[0, 1]))(x)
    x = lib.layers.LSTM(2, recurrent_constraint=c.MinMaxNorm(0.2, 0.9, 0.5))(x)
    return lib.Model(inputs, x)


def _constraint_configs(model):
    return {
        layer.name: {k: v for k, v in layer.get_config().items() if k.endswith("_constraint")}
        for layer in model.layers
        if _constraint_keys(layer.get_config())
    }


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_files_with_constraints_load_with_them(tmp_path, ext):
    keras = peer("keras")
    theirs = _constrained(keras)
    path = tmp_path / f"keras{ext}"
    theirs.save(path)
    ours = nf.keras.models.load_model(path)
    assert _constraint_configs(ours) == _constraint_configs(theirs)
    dense = ours.layers[1]
    assert isinstance(dense.kernel.constraint, constraints.MaxNorm)
    assert dense.kernel.constraint.max_value == 0.8
    x = RNG.standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_keras_loads_our_files_with_the_same_constraints(tmp_path, ext):
    keras = peer("keras")
    ours = _constrained(nf.keras)
    path = tmp_path / f"ours{ext}"
    ours.save(path)
    theirs = keras.models.load_model(path)
    assert _constraint_configs(theirs) == _constraint_configs(ours)
    assert isinstance(theirs.layers[1].kernel.constraint, keras.constraints.MaxNorm)
    back = nf.keras.models.load_model(path)  # and neuroflow reads its own Keras file back
    assert _constraint_configs(back) == _constraint_configs(ours)


def test_the_native_format_round_trips_constraints(tmp_path):
    model = _constrained(nf.keras)
    model.compile("sgd", "mse")
    path = tmp_path / "model.neuroflow"
    model.save(path)
    loaded = nf.keras.models.load_model(path)
    assert _constraint_configs(loaded) == _constraint_configs(model)
    lstm = loaded.layers[-1]
    assert lstm.cell.recurrent_kernel.constraint.get_config() == {
        "min_value": 0.2,
        "max_value": 0.9,
        "rate": 0.5,
        "axis": 0,
    }
    # training the loaded model still projects
    x = RNG.standard_normal((16, 6)).astype(np.float32)
    loaded.fit(x, RNG.standard_normal((16, 2)) * 10, epochs=1, batch_size=4, verbose=0)
    assert np.linalg.norm(loaded.layers[1].kernel.numpy(), axis=0).max() <= 0.8 + 1e-6
    assert (loaded.layers[1].bias.numpy() >= 0).all()
