"""keras.ops and keras.random against real Keras 3 (TensorFlow backend): values, result dtypes
and gradients through the tape, a custom layer and loss trained with fit, and bad input."""

import math

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import keras as nk
from neuroflow.gradient_tape import GradientTape
from neuroflow.ops import numpy as nops
from neuroflow.tensor import Tensor, Variable
from tests.conftest import peer
from tests.ops.harness import check_op, torch

RNG = np.random.default_rng(0)
F = RNG.normal(size=(3, 4)).astype("float32")  # no ties, no zeros
G = RNG.normal(size=(3, 4)).astype("float32")
P = RNG.uniform(0.1, 2.0, size=(3, 4)).astype("float32")  # positive
U = RNG.uniform(-0.9, 0.9, size=(3, 4)).astype("float32")  # inside (-1, 1)
PR = (P / P.sum(axis=1, keepdims=True)).astype("float32")  # rows of probabilities
I = RNG.integers(-5, 6, size=(3, 4)).astype("int32")  # noqa: E741
J = RNG.integers(1, 4, size=(3, 4)).astype("int32")
B = RNG.random((3, 4)) > 0.5
I8 = I.astype("int8")
U8 = np.abs(I).astype("uint8")
F64 = F.astype("float64")
I64 = I.astype("int64")
M = RNG.normal(size=(4, 2)).astype("float32")
V = RNG.normal(size=4).astype("float32")
T3 = RNG.normal(size=(2, 3, 4)).astype("float32")
LABELS = np.array([0, 3, 1])
ONEHOT = np.eye(4, dtype="float32")[LABELS]
BINARY = (RNG.random((3, 4)) > 0.5).astype("float32")
SIGM = (1 / (1 + np.exp(-F))).astype("float32")


def _positive(value):
    """Bases and exponents that power takes without NaN (a negative integer exponent is an
    error in both libraries)."""
    return np.abs(value) if isinstance(value, np.ndarray) and value.dtype != bool else value


def case(name, *args, grad=(), **kwargs):
    """One comparison: ``name`` called on ``args``; ``grad`` lists the positions of the float
    arguments whose gradients are compared too."""
    label = kwargs.pop("id", None) or name
    return pytest.param(name, args, kwargs, grad, id=label)


# each entry: values and dtype equal Keras's; those with grad, the gradients too
CASES = [
    # reductions, with Keras's result dtypes
    *[case("mean", x, id=f"mean-{x.dtype}") for x in (F, I, B, I64, U8, F64)],
    case("mean", F, grad=(0,), axis=1, keepdims=True),
    case("mean", 3, id="mean-python-int"),
    *[case("sum", x, id=f"sum-{x.dtype}") for x in (F, I, B, I64, U8, I8, F64)],
    case("sum", F, grad=(0,), axis=(0, 1), id="sum-axes"),
    case("sum", [1, 2], id="sum-list"),
    *[case(n, x, id=f"{n}-{x.dtype}") for n in ("max", "min") for x in (F, I, B, U8)],
    case("max", F, grad=(0,), axis=0),
    case("min", F, grad=(0,), axis=1, keepdims=True),
    case("max", F, initial=0.5, id="max-initial"),
    *[case("prod", x, id=f"prod-{x.dtype}") for x in (J, B, U8)],
    case("prod", P, grad=(0,), axis=1),
    *[case(n, x, id=f"{n}-{x.dtype}") for n in ("std", "var") for x in (I, B, F64)],
    case("std", F, grad=(0,), axis=0),
    case("var", F, grad=(0,), axis=1, keepdims=True),
    case("any", F > 0, axis=0),
    case("all", I, axis=1),
    case("logsumexp", F, grad=(0,), axis=1),
    case("logsumexp", F, grad=(0,), keepdims=True, id="logsumexp-all"),
    case("cumsum", F, grad=(0,), axis=1),
    case("cumsum", I, id="cumsum-flat"),
    case("cumsum", B, axis=0, id="cumsum-bool"),
    case("cumsum", I, axis=1, dtype="float32", id="cumsum-dtype"),
    case("norm", F, grad=(0,)),
    case("norm", I, id="norm-int"),
    case("norm", F, grad=(0,), axis=1, id="norm-axis"),
    *[case("norm", F, grad=(0,), ord=o, axis=1, id=f"norm-ord{o}") for o in (1, np.inf, 3)],
    case("norm", F, ord=0, axis=1, id="norm-ord0"),
    *[case("norm", F, grad=(0,), ord=o, id=f"norm-mat-{o}") for o in ("fro", 1, -1, np.inf)],
    # elementwise math
    *[
        case(n, x, id=f"{n}-{x.dtype}") for n in ("sqrt", "exp", "log", "log1p") for x in (J, B)
    ],  # fmt: skip
    case("sqrt", P, grad=(0,)),
    case("exp", F, grad=(0,)),
    case("log", P, grad=(0,)),
    case("log1p", P, grad=(0,)),
    case("square", F, grad=(0,)),
    *[case("square", x, id=f"square-{x.dtype}") for x in (I, B, U8)],
    *[case(n, F, grad=(0,)) for n in ("abs", "absolute", "negative", "sign")],
    *[case(n, I, id=f"{n}-int") for n in ("abs", "negative", "sign", "round")],
    case("abs", B, id="abs-bool"),
    *[case(n, F * 3) for n in ("floor", "ceil", "round")],
    *[case(n, I, id=f"{n}-int") for n in ("floor", "ceil")],
    case("round", F * 10, decimals=1, id="round-decimals"),
    case("round", I * 17, decimals=-1, id="round-int-tens"),
    case("clip", F, -0.5, 0.5, grad=(0,)),
    case("clip", I, -2, 3, id="clip-int"),
    case("clip", B, 0, 1, id="clip-bool"),
    case("isnan", np.array([np.nan, 1.0, np.inf], "float32")),
    case("isfinite", np.array([np.nan, 1.0, np.inf], "float32")),
    case("isnan", I, id="isnan-int"),
    case("isfinite", I, id="isfinite-int"),
    case("erf", F, grad=(0,)),
    # binary ops, promoted as Keras promotes
    *[
        case(n, F, G, grad=(0, 1)) for n in ("add", "subtract", "multiply", "maximum", "minimum")
    ],  # fmt: skip
    case("divide", F, P, grad=(0, 1)),
    case("true_divide", F, P, grad=(0, 1)),
    case("power", P, G, grad=(0, 1)),
    case("power", F, 2, grad=(0,), id="power-python-int"),
    case("power", I, 2, id="power-int"),
    *[
        case(n, a, b, id=f"{n}-{np.asarray(a).dtype}-{type(b).__name__}{getattr(b, 'dtype', '')}")
        for n in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power")
        for a, b in (
            (I, F),
            (I, 2.5),
            (I, 2),
            (F, 3),
            (I8, I),
            (U8, I8),
            (I, I64),
            (F, F64),
            (B, I),
            (I, J),
        )
        for a, b in [(_positive(a), _positive(b)) if n == "power" else (a, b)]
    ],  # fmt: skip
    case("add", F, V, grad=(0, 1), id="add-broadcast"),
    case("multiply", F, 2.0, grad=(0,), id="multiply-scalar"),
    *[
        case(n, I, F, id=f"{n}-int-float")
        for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
    ],  # fmt: skip
    case("equal", I, 2.5, id="equal-int-python-float"),
    case("less", F, G),
    *[case(n, I, B) for n in ("logical_and", "logical_or")],
    case("logical_not", F),
    # linear algebra
    case("matmul", F, M, grad=(0, 1)),
    case("matmul", F, V, grad=(0, 1), id="matmul-vector"),
    case("matmul", V, M, grad=(0, 1), id="matmul-vector-left"),
    case("matmul", T3, M, grad=(0, 1), id="matmul-batch"),
    case("matmul", I, J.T, id="matmul-int"),
    case("matmul", I8, I8.T, id="matmul-int8"),
    case("matmul", I, M, id="matmul-int-float"),
    case("dot", V, V, grad=(0, 1), id="dot-vectors"),
    case("dot", F, M, grad=(0, 1), id="dot-matrices"),
    case("dot", F, V, grad=(0, 1), id="dot-matrix-vector"),
    case("dot", T3, M, grad=(0, 1), id="dot-nd"),
    case("dot", F, 2.0, id="dot-scalar"),
    case("tensordot", F, M, grad=(0, 1), axes=1),
    case("tensordot", F, G, grad=(0, 1), axes=2, id="tensordot-2"),
    case("tensordot", T3, F, grad=(0, 1), axes=([1, 2], [0, 1]), id="tensordot-lists"),
    # shapes
    case("transpose", T3, grad=(0,), axes=(1, 0, 2)),
    case("transpose", F, id="transpose-default"),
    case("reshape", T3, (4, -1), grad=(0,)),
    case("expand_dims", F, 1, grad=(0,)),
    case("expand_dims", F, (0, 3), id="expand_dims-tuple"),
    case("squeeze", F[:, :1], grad=(0,)),
    case("squeeze", F[None, :, :1], axis=0, id="squeeze-axis"),
    case("concatenate", [F, G], grad=()),
    case("concatenate", [I, F], axis=1, id="concatenate-promoted"),
    case("stack", [F, G], axis=1),
    case("stack", [I, B], id="stack-promoted"),
    case("moveaxis", T3, 0, -1, grad=(0,)),
    case("moveaxis", T3, [0, 1], [2, 0], id="moveaxis-lists"),
    case("swapaxes", T3, 0, 2, grad=(0,)),
    case("flip", F, grad=(0,), axis=1),
    case("flip", I, id="flip-all"),
    case("outer", V, F, grad=(0, 1)),
    case("outer", I, J, id="outer-int"),
    case("tile", F, (2, 1), grad=(0,)),
    case("tile", F, 2, id="tile-short"),
    case("tile", F, (2, 1, 1), id="tile-long"),
    case("repeat", F, 2, grad=(0,)),
    case("repeat", F, [1, 2, 3], grad=(0,), axis=0, id="repeat-counts"),
    case("where", F > 0, F, G, grad=(1, 2)),
    case("where", I, 1.5, 0, id="where-int-condition"),
    case("where", F > 0, I, 0.5, id="where-promoted"),
    case("take", F, np.array([[0, 5], [11, 3]]), grad=(0,)),
    case("take", F, np.array([-1, 0, 2]), grad=(0,), axis=1, id="take-negative"),
    case("take_along_axis", F, np.array([[0], [3], [1]]), grad=(0,), axis=1),
    case("take_along_axis", F, np.argsort(F, axis=0), grad=(0,), axis=0, id="tal-axis0"),
    case("take_along_axis", F, np.array([7, 0]), axis=None, id="tal-none"),
    case("sort", F, grad=(0,)),
    case("sort", I, axis=0, id="sort-int"),
    case("argsort", F, axis=0),
    *[
        case(n, F, **kw, id=f"{n}-{kw}")
        for n in ("argmax", "argmin")
        for kw in ({}, {"axis": 1}, {"axis": 0, "keepdims": True})
    ],  # fmt: skip
    case("argmax", I, id="argmax-int"),
    case("one_hot", LABELS, 4),
    case("one_hot", np.array([0, 2, -1, 5]), 4, axis=0, id="one_hot-axis0"),
    case("one_hot", LABELS, 4, dtype="int32", id="one_hot-int"),
    # dtypes and creation
    case("cast", F, "int32"),
    case("cast", F, "float64", grad=(0,), id="cast-float64"),
    case("cast", I, "bool", id="cast-bool"),
    case("convert_to_tensor", [1, 2]),
    case("convert_to_tensor", [1.5, 2]),
    case("convert_to_tensor", I, dtype="float32", id="convert-dtype"),
    case("size", F),
    case("zeros", (2, 3)),
    case("ones", 3, dtype="int32"),
    case("zeros_like", I),
    case("ones_like", F, dtype="int32"),
    case("full", (2,), 3),
    case("full_like", I, 2.5),
    case("arange", 5),
    case("arange", 1, 7, 2),
    case("arange", 0.0, 2, 0.5, id="arange-float"),
    case("linspace", 0, 1, 5),
    case("linspace", -1, 10, 5, dtype="int32", id="linspace-int"),
    case("linspace", 0, 1, 4, endpoint=False, id="linspace-open"),
    case("eye", 3, 4, k=1),
    case("identity", 3),
    case("stop_gradient", F),
    # activations
    *[
        case(n, F, grad=(0,))
        for n in (
            "relu",
            "sigmoid",
            "tanh",
            "softplus",
            "selu",
            "silu",
            "swish",
            "leaky_relu",
            "elu",
        )
    ],  # fmt: skip
    case("relu6", F * 5, grad=(0,)),
    case("relu", I, id="relu-int"),
    case("relu6", I * 2, id="relu6-int"),
    case("tanh", I, id="tanh-int"),
    case("leaky_relu", I, negative_slope=0.1, id="leaky_relu-int"),
    case("elu", F, alpha=0.5, grad=(0,), id="elu-alpha"),
    case("gelu", F, grad=(0,)),
    case("gelu", F, grad=(0,), approximate=False, id="gelu-exact"),
    case("softmax", F, grad=(0,)),
    case("softmax", F, grad=(0,), axis=0, id="softmax-axis0"),
    case("softmax", F, grad=(0,), axis=None, id="softmax-all"),
    case("log_softmax", F, grad=(0,)),
    case("log_softmax", F, grad=(0,), axis=0, id="log_softmax-axis0"),
    # cross-entropies
    case("categorical_crossentropy", ONEHOT, PR, grad=(1,)),
    case("categorical_crossentropy", ONEHOT, F, grad=(1,), from_logits=True, id="cce-logits"),
    case(
        "categorical_crossentropy", ONEHOT.T.copy(), PR.T.copy(), grad=(1,), axis=0, id="cce-axis0"
    ),
    case(
        "categorical_crossentropy",
        ONEHOT.T.copy(),
        F.T.copy(),
        grad=(1,),
        axis=0,
        from_logits=True,
        id="cce-axis0-logits",
    ),
    case("sparse_categorical_crossentropy", LABELS, PR, grad=(1,)),
    case(
        "sparse_categorical_crossentropy",
        LABELS[:, None],
        F,
        grad=(1,),
        from_logits=True,
        id="scce-logits-column",
    ),
    case("binary_crossentropy", BINARY, SIGM, grad=(1,)),
    case("binary_crossentropy", BINARY, F, grad=(1,), from_logits=True, id="bce-logits"),
]


def _check_values(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _check_values(o, t)
        return
    expected = np.asarray(theirs)
    assert isinstance(ours, Tensor), f"expected a neuroflow Tensor, got {type(ours).__name__}"
    got = ours.numpy()
    assert ours.dtype.name == expected.dtype.name, (ours.dtype.name, expected.dtype.name)
    assert np.shape(got) == expected.shape
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(("name", "args", "kwargs", "grad"), CASES)
def test_keras_ops_match_keras(name, args, kwargs, grad):
    keras = peer("keras")
    import tensorflow as tf  # noqa: PLC0415  (after peer(): TensorFlow is installed)

    ours_args = [Variable(a) if i in grad else a for i, a in enumerate(args)]
    with GradientTape() as tape:
        ours = getattr(nk.ops, name)(*ours_args, **kwargs)
        weights = RNG.normal(size=np.shape(ours.numpy())).astype(ours.dtype.name)
        if grad:
            target = nops.sum(nops.multiply(ours, weights))
    theirs_args = [tf.constant(a) if i in grad else a for i, a in enumerate(args)]
    with tf.GradientTape() as tf_tape:
        tf_tape.watch([theirs_args[i] for i in grad])
        theirs = getattr(keras.ops, name)(*theirs_args, **kwargs)
        if grad:
            tf_target = keras.ops.sum(keras.ops.multiply(theirs, weights))
    _check_values(ours, theirs)
    if not grad:
        return
    ours_grads = tape.gradient(target, [ours_args[i] for i in grad])
    tf_grads = tf_tape.gradient(tf_target, [theirs_args[i] for i in grad])
    for i, o, t in zip(grad, ours_grads, tf_grads):
        assert o is not None and t is not None, f"gradient of argument {i}"
        np.testing.assert_allclose(o.numpy(), tf.convert_to_tensor(t).numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=f"gradient of argument {i}")  # fmt: skip


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "argmax"])
def test_functions_without_gradient_give_none_like_keras(name):
    keras = peer("keras")
    import tensorflow as tf  # noqa: PLC0415

    x, tx = Variable(F), tf.constant(F)
    with GradientTape() as tape:
        y = nops.sum(nops.cast(getattr(nk.ops, name)(x), "float32"))
    with tf.GradientTape() as tf_tape:
        tf_tape.watch(tx)
        ty = keras.ops.sum(keras.ops.cast(getattr(keras.ops, name)(tx), "float32"))
    assert tape.gradient(y, x) is None
    assert tf_tape.gradient(ty, tx) is None


def test_shape_ndim_split_where_and_convert_to_numpy_give_keras_types():
    keras = peer("keras")
    for fn, args in [("shape", (T3,)), ("ndim", (T3,))]:
        ours, theirs = getattr(nk.ops, fn)(*args), getattr(keras.ops, fn)(*args)
        assert ours == theirs and type(ours) is type(theirs)
    assert nk.ops.shape(nk.Input((3, 4))) == keras.ops.shape(keras.Input((3, 4))) == (None, 3, 4)
    for args in [(F, 2), (F, [1, 3])]:
        _check_values(nk.ops.split(*args, axis=1), keras.ops.split(*args, axis=1))
    _check_values(nk.ops.where(F > 0), keras.ops.where(F > 0))
    ours = nk.ops.linspace(0, 1, 5, retstep=True)
    _check_values(list(ours), list(keras.ops.linspace(0, 1, 5, retstep=True)))
    array = nk.ops.convert_to_numpy(nk.ops.ones((2,)))
    assert type(array) is np.ndarray and array.dtype == np.float32


def test_result_type_follows_keras_promotion():
    keras = peer("keras")
    names = ["bool", "uint8", "uint16", "int8", "int16", "int32", "int64", "float16",
             "float32", "float64"]  # fmt: skip
    for a in names + [int, float]:
        for b in names + [int, float]:
            assert nops.result_type(a, b) == keras.backend.result_type(a, b), (a, b)


def test_a_split_and_a_softmax_logits_shortcut_carry_gradients():
    # a split's pieces each carry their part of the gradient
    x = Variable(F)
    with GradientTape() as tape:
        left, right = nk.ops.split(x, [1], axis=1)
        y = nk.ops.sum(left) * 2 + nk.ops.sum(right)
    expected = np.ones_like(F)
    expected[:, 0] = 2
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)
    # a softmax output given to the probability loss is traced back to its logits, as Keras
    # does: the loss stays finite where the clipped probabilities would saturate it
    logits = Variable(np.array([[60.0, 0.0, -60.0]], "float32"))
    with GradientTape() as tape:
        loss = nk.ops.categorical_crossentropy([[0.0, 0.0, 1.0]], nk.ops.softmax(logits))
    np.testing.assert_allclose(loss.numpy(), [120.0], rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), [[1.0, 0.0, -1.0]],
                               atol=1e-6)  # fmt: skip


# ------------------------------------------------------- a custom layer and loss in fit


def _program(keras_module):
    """The same source for both libraries: a Linear layer and an MSE loss in keras.ops."""
    ops = keras_module.ops

    class Linear(keras_module.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal")  # fmt: skip
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return ops.tanh(ops.matmul(inputs, self.w) + self.b)

    def custom_mse(y_true, y_pred):
        return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)

    model = keras_module.Sequential(
        [keras_module.Input((3,)), Linear(5), keras_module.layers.Dense(1)]
    )
    model.compile(optimizer=keras_module.optimizers.SGD(0.1), loss=custom_mse)
    return model


def test_a_custom_layer_and_loss_in_keras_ops_train_like_keras():
    keras = peer("keras")
    x = RNG.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    ours, theirs = _program(nk), _program(keras)
    ours.set_weights(theirs.get_weights())
    history = ours.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    expected = theirs.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ------------------------------------------------------------------------ keras.random


def test_keras_random_seeds_shapes_dtypes_and_distributions():
    # an int seed draws the same values every call; a SeedGenerator new ones, the same
    # sequence for the same starting seed
    a, b = nk.random.normal((1000,), seed=3), nk.random.normal((1000,), seed=3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    gen, again = nk.random.SeedGenerator(7), nk.random.SeedGenerator(7)
    first, second = nk.random.uniform((50,), seed=gen), nk.random.uniform((50,), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    np.testing.assert_array_equal(nk.random.uniform((50,), seed=again).numpy(), first.numpy())
    assert a.dtype == nf.float32 and abs(float(a.numpy().mean())) < 0.1
    assert 0.9 < float(a.numpy().std()) < 1.1
    u = nk.random.uniform((2, 500), minval=-2.0, maxval=-1.0, dtype="float64", seed=1)
    assert u.dtype == nf.float64 and u.numpy().min() >= -2 and u.numpy().max() < -1
    r = nk.random.randint((1000,), 2, 5, seed=1)
    assert r.dtype == nf.int32 and set(r.numpy().tolist()) == {2, 3, 4}
    t = nk.random.truncated_normal((1000,), stddev=2.0, seed=1).numpy()
    assert np.abs(t).max() <= 4.0
    s = nk.random.shuffle(np.arange(10), seed=0).numpy()
    assert sorted(s.tolist()) == list(range(10)) and s.tolist() != list(range(10))


def test_keras_random_dropout_scales_keeps_gradients_and_shares_noise_shape():
    x = Variable(np.ones((4, 200), "float32"))
    with GradientTape() as tape:
        y = nk.random.dropout(x, 0.25, seed=nk.random.SeedGenerator(1))
    values = y.numpy()
    assert set(np.unique(values).tolist()) == {0.0, float(np.float32(4 / 3))}
    assert 0.15 < float((values == 0).mean()) < 0.35
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), values)  # the mask
    shared = nk.random.dropout(np.ones((4, 200), "float32"), 0.5, noise_shape=(1, 200), seed=2)
    assert (shared.numpy() == shared.numpy()[:1]).all()


def test_keras_random_matches_keras_on_shapes_and_dtypes():
    keras = peer("keras")
    for fn, args, kwargs in [
        ("normal", ((2, 3),), {}),
        ("uniform", ((4,),), {"dtype": "float64"}),
        ("randint", ((3,), 0, 4), {}),
        ("truncated_normal", ((2,),), {}),
        ("dropout", (np.ones((2, 3), "float32"), 0.5), {}),
        ("shuffle", (np.arange(6).reshape(3, 2),), {}),
    ]:
        ours = getattr(nk.random, fn)(*args, seed=1, **kwargs)
        theirs = getattr(keras.random, fn)(*args, seed=1, **kwargs)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == theirs.dtype.name


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: nk.ops.mean("abc"), TypeError, "`x`.*Received: x='abc'"),
        (lambda: nk.ops.add(F, {"a": 1}), TypeError, "`x2`"),
        (lambda: nk.ops.take(F, [1.5]), TypeError, "`indices`.*float64"),
        (lambda: nk.ops.squeeze(F, axis=0), ValueError, "Cannot squeeze axis=0"),
        (lambda: nk.ops.concatenate(F), TypeError, "`xs` to be a list"),
        (lambda: nk.ops.where(F > 0, F), ValueError, "`x1` and `x2`"),
        (lambda: nk.ops.sigmoid(I), ValueError, "int32"),
        (lambda: nk.ops.negative(B), ValueError, "bool"),
        (lambda: nk.ops.norm(F, ord="nuc", axis=1), ValueError, "Received: ord='nuc'"),
        (lambda: nk.ops.expand_dims(F, 5), ValueError, "Received: axis=5"),
        (lambda: nk.ops.categorical_crossentropy(ONEHOT[:2], PR), ValueError, "same shape"),
        (
            lambda: nk.ops.sparse_categorical_crossentropy([0, 9, 1], PR),
            ValueError,
            "label value of 9",
        ),
        (lambda: nk.random.normal((2,), seed="x"), ValueError, "Received: seed='x'"),
        (lambda: nk.random.uniform((2,), dtype="int32"), ValueError, "dtype='int32'"),
        (lambda: nk.random.SeedGenerator(1.5), ValueError, "seed=1.5"),
        (lambda: nk.random.dropout(F, 1.0), ValueError, "rate=1.0"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------- the primitives keras.ops added, gradchecked


@pytest.mark.parametrize(
    ("our_fn", "ref_fn", "torch_fn", "x"),
    [
        (nops.log1p, np.log1p, lambda x: torch.log1p(x), RNG.uniform(-0.5, 2.0, (3, 4))),
        (
            nops.erf,
            np.vectorize(math.erf),
            lambda x: torch.erf(x),
            RNG.normal(size=(3, 4)),
        ),
        (
            lambda x: nops.cumsum(x, axis=1),
            lambda x: np.cumsum(x, axis=1),
            lambda x: torch.cumsum(x, dim=1),
            RNG.normal(size=(3, 4)),
        ),
        (
            lambda x: nops.cumsum(x, axis=0),
            lambda x: np.cumsum(x, axis=0),
            lambda x: torch.cumsum(x, dim=0),
            RNG.normal(size=(2, 3, 2)),
        ),
    ],
    ids=["log1p", "erf", "cumsum-axis1", "cumsum-axis0"],
)
def test_primitives_gradcheck_and_match_torch(our_fn, ref_fn, torch_fn, x):
    check_op(our_fn, ref_fn, x, torch_fn=torch_fn)


def test_every_name_is_keras_s():
    keras = peer("keras")
    assert [n for n in nk.ops.__all__ if not hasattr(keras.ops, n)] == []
    assert [n for n in nk.random.__all__ if not hasattr(keras.random, n)] == []
    from neuroflow.keras import ops, random  # noqa: PLC0415  (the import form Keras code uses)

    assert ops.mean is nk.ops.mean and random.SeedGenerator is nk.random.SeedGenerator
