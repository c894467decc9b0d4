"""TensorFlow's math, shape and creation functions against real TensorFlow: for every function
in one table, on random inputs, the values and result dtype equal TensorFlow's, and for the
differentiable ones the gradient through ``neuroflow.GradientTape`` equals TensorFlow's."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest

import neuroflow as nf
from tests.conftest import peer


def _tf():
    peer("keras")
    import tensorflow as tf  # noqa: PLC0415  (after peer(): skips or fails when missing)

    return tf


# input specs: each makes one array from a generator
def F(*shape):  # noqa: N802  (floats around 0)
    return lambda r: r.normal(size=shape).astype(np.float32)


def P(*shape):  # noqa: N802  (positive floats)
    return lambda r: r.uniform(0.5, 3.0, size=shape).astype(np.float32)


def I(*shape):  # noqa: N802, E743  (small int32, zeros and ties included)
    return lambda r: r.integers(-4, 5, size=shape).astype(np.int32)


def T(*shape):  # noqa: N802  (floats with ties, for max/min conventions)
    return lambda r: r.integers(-2, 3, size=shape).astype(np.float32)


def B(*shape):  # noqa: N802  (booleans)
    return lambda r: r.random(size=shape) < 0.5


# (id, fn(module, *tensors), input specs); the module is neuroflow or tensorflow
CASES = [
    # binary arithmetic, broadcast, with Python scalars
    ("add", lambda m, x, y: m.add(x, y), [F(3, 4), F(4)]),
    ("add_int", lambda m, x, y: m.add(x, y), [I(3, 4), I(3, 1)]),
    ("add_scalar_int", lambda m, x: m.add(x, 2), [I(5)]),
    ("subtract", lambda m, x, y: m.subtract(x, y), [F(2, 3), F(2, 1)]),
    ("multiply", lambda m, x, y: m.multiply(x, y), [F(2, 3), F(3)]),
    ("mul_op_int", lambda m, x: x * 3, [I(2, 3)]),
    ("rmul_op", lambda m, x: 2.5 * x, [F(2, 3)]),
    ("divide", lambda m, x, y: m.divide(x, y), [F(2, 3), P(3)]),
    ("divide_int", lambda m, x, y: m.divide(x, y * y + 1), [I(4), I(4)]),
    ("truediv_op_int", lambda m, x: x / 2, [I(2, 3)]),
    ("rtruediv_op", lambda m, x: 1.0 / x, [P(2, 3)]),
    ("floordiv_int", lambda m, x: x // 3, [I(6)]),
    ("floordiv_float", lambda m, x: x // 0.7, [F(6)]),
    ("mod_int", lambda m, x: x % 3, [I(6)]),
    ("floormod", lambda m, x, y: m.math.floormod(x, y), [F(6), P(6)]),
    ("pow_scalar", lambda m, x: m.pow(x, 3), [F(2, 3)]),
    ("pow_tensor", lambda m, x, y: m.pow(x, y), [P(2, 3), F(3)]),
    ("pow_int", lambda m, x: x**2, [I(5)]),
    ("rpow", lambda m, x: 2.0**x, [F(4)]),
    ("negative", lambda m, x: m.negative(x), [F(3)]),
    ("negative_int", lambda m, x: -x, [I(3)]),
    ("maximum", lambda m, x, y: m.maximum(x, y), [T(3, 4), T(4)]),
    ("minimum", lambda m, x, y: m.minimum(x, y), [T(3, 4), T(3, 1)]),
    ("maximum_int", lambda m, x: m.maximum(x, 0), [I(5)]),
    (
        "divide_no_nan",
        lambda m, x, y: m.math.divide_no_nan(x, y * m.cast(y > 0, m.float32)),
        [F(6), F(6)],
    ),  # fmt: skip
    # unary
    ("square", lambda m, x: m.square(x), [F(2, 3)]),
    ("square_int", lambda m, x: m.square(x), [I(5)]),
    ("sqrt", lambda m, x: m.sqrt(x), [P(2, 3)]),
    ("math.sqrt", lambda m, x: m.math.sqrt(x), [P(4)]),
    ("exp", lambda m, x: m.exp(x), [F(2, 3)]),
    ("math.log", lambda m, x: m.math.log(x), [P(2, 3)]),
    ("abs", lambda m, x: m.abs(x), [T(2, 5)]),
    ("abs_int", lambda m, x: m.abs(x), [I(5)]),
    ("sign", lambda m, x: m.sign(x), [T(7)]),
    ("sign_int", lambda m, x: m.sign(x), [I(7)]),
    ("sigmoid", lambda m, x: m.sigmoid(x), [F(5)]),
    ("tanh", lambda m, x: m.tanh(x), [F(5)]),
    ("round", lambda m, x: m.round(x * 2.0), [F(8)]),
    ("math.sigmoid", lambda m, x: m.math.sigmoid(x), [F(2, 3)]),
    ("math.tanh", lambda m, x: m.math.tanh(x), [F(2, 3)]),
    ("math.softplus", lambda m, x: m.math.softplus(x), [F(2, 3)]),
    ("clip_by_value", lambda m, x: m.clip_by_value(x, -1.0, 1.0), [T(3, 4)]),
    ("clip_by_value_int", lambda m, x: m.clip_by_value(x, -1, 2), [I(6)]),
    ("clip_by_value_tensors", lambda m, x, lo: m.clip_by_value(x, lo, 1.0), [F(3, 4), F(4)]),
    # reductions
    ("reduce_sum", lambda m, x: m.reduce_sum(x), [F(3, 4)]),
    ("reduce_sum_axis", lambda m, x: m.reduce_sum(x, axis=1), [F(3, 4)]),
    (
        "reduce_sum_axes_keep",
        lambda m, x: m.reduce_sum(x, axis=[0, 2], keepdims=True),
        [F(2, 3, 4)],
    ),  # fmt: skip
    ("reduce_sum_int", lambda m, x: m.reduce_sum(x, axis=-1), [I(3, 4)]),
    ("reduce_mean", lambda m, x: m.reduce_mean(x, axis=0), [F(3, 4)]),
    ("reduce_mean_int", lambda m, x: m.reduce_mean(x, axis=1), [I(4, 3)]),
    ("reduce_mean_keep", lambda m, x: m.math.reduce_mean(x, axis=-1, keepdims=True), [F(2, 5)]),
    ("reduce_max", lambda m, x: m.reduce_max(x, axis=1), [T(4, 5)]),
    ("reduce_max_all", lambda m, x: m.reduce_max(x), [T(3, 3)]),
    ("reduce_min", lambda m, x: m.reduce_min(x, axis=0, keepdims=True), [T(4, 5)]),
    ("reduce_max_int", lambda m, x: m.math.reduce_max(x, axis=0), [I(4, 5)]),
    ("reduce_prod", lambda m, x: m.reduce_prod(x, axis=1), [F(3, 4)]),
    ("reduce_prod_zeros", lambda m, x: m.reduce_prod(x, axis=[0, 1]), [T(3, 2, 2)]),
    ("reduce_prod_int", lambda m, x: m.reduce_prod(x), [I(5)]),
    ("reduce_std", lambda m, x: m.math.reduce_std(x, axis=1), [F(3, 4)]),
    ("reduce_variance", lambda m, x: m.math.reduce_variance(x), [F(3, 4)]),
    ("argmax", lambda m, x: m.argmax(x, axis=1), [T(4, 5)]),
    ("argmax_none", lambda m, x: m.math.argmax(x), [I(4, 5)]),
    ("argmin_int32", lambda m, x: m.argmin(x, axis=0, output_type=m.int32), [F(4, 5)]),
    # comparisons and logic
    ("equal", lambda m, x, y: m.equal(x, y), [I(3, 4), I(4)]),
    ("not_equal", lambda m, x: m.not_equal(x, 1), [I(6)]),
    ("less", lambda m, x, y: m.less(x, y), [F(3, 4), F(4)]),
    ("greater", lambda m, x: m.greater(x, 0.5), [F(6)]),
    ("less_equal_op", lambda m, x: x <= 1, [I(6)]),
    ("greater_equal_op", lambda m, x, y: x >= y, [I(6), I(6)]),
    ("logical_and", lambda m, x, y: m.logical_and(x, y), [B(5), B(5)]),
    ("logical_or_op", lambda m, x, y: x | y, [B(2, 3), B(3)]),
    ("logical_not", lambda m, x: m.logical_not(x), [B(5)]),
    ("where_1", lambda m, c: m.where(c), [B(3, 4)]),
    ("where_3", lambda m, c, x, y: m.where(c, x, y), [B(3, 4), F(3, 4), F(4)]),
    ("where_scalar", lambda m, c, x: m.where(c, x, 0.0), [B(5), F(5)]),
    # matmul
    ("matmul", lambda m, a, b: m.matmul(a, b), [F(3, 4), F(4, 2)]),
    ("matmul_tb", lambda m, a, b: m.matmul(a, b, transpose_b=True), [F(3, 4), F(2, 4)]),
    ("matmul_ta", lambda m, a, b: m.matmul(a, b, transpose_a=True), [F(4, 3), F(4, 2)]),
    ("matmul_batch", lambda m, a, b: m.matmul(a, b), [F(2, 1, 3, 4), F(5, 4, 2)]),
    ("matmul_op", lambda m, a, b: a @ b, [F(2, 3), F(3, 2)]),
    ("matmul_int", lambda m, a, b: m.matmul(a, b), [I(2, 3), I(3, 2)]),
    # tf.nn
    ("nn.relu", lambda m, x: m.nn.relu(x), [T(3, 4)]),
    ("nn.relu_int", lambda m, x: m.nn.relu(x), [I(6)]),
    ("nn.relu6", lambda m, x: m.nn.relu6(x * 4.0), [F(3, 4)]),
    ("nn.relu6_corners", lambda m, x: m.nn.relu6(x * 3.0), [T(8)]),
    ("nn.leaky_relu", lambda m, x: m.nn.leaky_relu(x), [T(3, 4)]),
    ("nn.leaky_relu_alpha", lambda m, x: m.nn.leaky_relu(x, alpha=0.1), [F(6)]),
    ("nn.leaky_relu_int", lambda m, x: m.nn.leaky_relu(x), [I(6)]),
    ("nn.elu", lambda m, x: m.nn.elu(x), [T(3, 4)]),
    ("nn.sigmoid", lambda m, x: m.nn.sigmoid(x), [F(3, 4)]),
    ("nn.tanh", lambda m, x: m.nn.tanh(x), [F(3, 4)]),
    ("nn.softplus", lambda m, x: m.nn.softplus(x), [F(3, 4)]),
    ("nn.softmax", lambda m, x: m.nn.softmax(x), [F(3, 4)]),
    ("nn.softmax_axis", lambda m, x: m.nn.softmax(x, axis=0), [F(3, 4)]),
    ("nn.log_softmax", lambda m, x: m.nn.log_softmax(x, axis=-1), [F(2, 3, 4)]),
    (
        "nn.sparse_xent",
        lambda m, x: m.nn.sparse_softmax_cross_entropy_with_logits(
            labels=m.constant([0, 3, 1]), logits=x
        ),
        [F(3, 4)],
    ),
    (
        "nn.sparse_xent_3d",
        lambda m, x: m.nn.sparse_softmax_cross_entropy_with_logits(
            m.constant([[0, 2], [1, 1]], dtype=m.int64), x
        ),
        [F(2, 2, 3)],
    ),
    (
        "nn.softmax_xent",
        lambda m, y, x: m.nn.softmax_cross_entropy_with_logits(
            labels=m.nn.softmax(y * 3.0), logits=x
        ),
        [F(3, 4), F(3, 4)],
    ),
    (
        "nn.softmax_xent_unnormalized",
        lambda m, y, x: m.nn.softmax_cross_entropy_with_logits(y, x, axis=0),
        [P(3, 4), F(3, 4)],
    ),
    (
        "nn.sigmoid_xent",
        lambda m, z, x: m.nn.sigmoid_cross_entropy_with_logits(labels=m.sigmoid(z), logits=x),
        [F(3, 4), F(3, 4)],
    ),
    ("nn.l2_loss", lambda m, x: m.nn.l2_loss(x), [F(3, 4)]),
    ("nn.moments", lambda m, x: m.nn.moments(x, axes=[0]), [F(5, 3)]),
    ("nn.moments_keep", lambda m, x: m.nn.moments(x, axes=[0, 2], keepdims=True), [F(2, 3, 4)]),
    # creation
    ("zeros", lambda m: m.zeros((2, 3)), []),
    ("ones_int", lambda m: m.ones([4], dtype=m.int32), []),
    ("zeros_like", lambda m, x: m.zeros_like(x), [I(2, 3)]),
    ("ones_like_dtype", lambda m, x: m.ones_like(x, dtype=m.float64), [F(3)]),
    ("fill", lambda m: m.fill([2, 3], 7), []),
    ("fill_float", lambda m: m.fill((2,), 0.5), []),
    ("range", lambda m: m.range(5), []),
    ("range_start_delta", lambda m: m.range(10, 1, -3), []),
    ("range_float", lambda m: m.range(0.1, 2.0, 0.3), []),
    ("range_mixed", lambda m: m.range(1, 4.5), []),
    ("range_dtype", lambda m: m.range(4, dtype=m.float32), []),
    ("eye", lambda m: m.eye(3), []),
    ("eye_rect_batch", lambda m: m.eye(2, 3, batch_shape=[2], dtype=m.int32), []),
    ("linspace", lambda m: m.linspace(-1.0, 1.0, 7), []),
    ("linspace_int", lambda m: m.linspace(0, 10, 4), []),
    ("linspace_one", lambda m: m.linspace(2.0, 5.0, 1), []),
    ("cast_float_int", lambda m, x: m.cast(x * 3.0, m.int32), [F(6)]),
    ("cast_float64", lambda m, x: m.cast(x, m.float64) * 2.0, [F(6)]),
    ("cast_bool", lambda m, x: m.cast(x, m.bool), [T(6)]),
    ("cast_int_float", lambda m, x: m.cast(x, m.float32), [I(6)]),
    # shapes
    ("reshape", lambda m, x: m.reshape(x, (4, -1)), [F(2, 3, 2)]),
    ("reshape_list", lambda m, x: m.reshape(x, [3, 2]), [I(6)]),
    ("transpose", lambda m, x: m.transpose(x), [F(2, 3, 4)]),
    ("transpose_perm", lambda m, x: m.transpose(x, perm=[1, 0, 2]), [F(2, 3, 4)]),
    ("concat", lambda m, x, y: m.concat([x, y], axis=1), [F(2, 3), F(2, 2)]),
    ("concat_int", lambda m, x, y: m.concat([x, y], 0), [I(2, 3), I(1, 3)]),
    ("stack", lambda m, x, y: m.stack([x, y]), [F(2, 3), F(2, 3)]),
    ("stack_axis", lambda m, x, y: m.stack([x, y], axis=-1), [F(2, 3), F(2, 3)]),
    ("unstack", lambda m, x: m.unstack(x, axis=1)[1] * 2.0, [F(2, 3)]),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1), [F(2, 3)]),
    ("expand_dims_neg", lambda m, x: m.expand_dims(x, -1), [I(2, 3)]),
    ("squeeze", lambda m, x: m.squeeze(x), [F(1, 3, 1)]),
    ("squeeze_axis", lambda m, x: m.squeeze(x, axis=[2]), [F(1, 3, 1)]),
    ("shape", lambda m, x: m.shape(x), [F(2, 3, 4)]),
    ("rank", lambda m, x: m.rank(x), [F(2, 3, 4)]),
    ("size", lambda m, x: m.size(x), [F(2, 3, 4)]),
    ("gather", lambda m, x: m.gather(x, [2, 0, 2]), [F(4, 3)]),
    ("gather_axis", lambda m, x: m.gather(x, [[1, 0], [3, 3]], axis=1), [F(2, 4, 3)]),
    ("gather_int", lambda m, x: m.gather(x, [1]), [I(3, 2)]),
    ("one_hot", lambda m: m.one_hot([0, 2, -1, 5, 1], 3), []),
    ("one_hot_values", lambda m: m.one_hot([[0, 2]], 3, on_value=5, off_value=-1), []),
    ("one_hot_axis_dtype", lambda m: m.one_hot([1, 0], 3, axis=0, dtype=m.int64), []),
    ("tile", lambda m, x: m.tile(x, [2, 3]), [F(2, 3)]),
    ("tile_int", lambda m, x: m.tile(x, [3]), [I(2)]),
    (
        "confusion_matrix",
        lambda m, y, p: m.math.confusion_matrix(m.abs(y), m.abs(p)),
        [I(20), I(20)],
    ),
    (
        "confusion_matrix_weighted",
        lambda m, y, w: m.math.confusion_matrix(m.abs(y), m.abs(y) // 2, num_classes=6, weights=w),
        [I(9), I(9)],
    ),
]


def _flatten(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _run(module, fn, arrays, weights_seed):
    """Values and input gradients of ``fn`` in ``module`` (neuroflow or tensorflow)."""
    xs = [module.constant(a) for a in arrays]
    floats = [x for x in xs if x.dtype.is_floating]
    with module.GradientTape(persistent=True) as tape:
        for x in floats:
            tape.watch(x)
        outs = _flatten(fn(module, *xs))
    values = [(np.asarray(o.numpy()), o.dtype.name) for o in outs]
    grads = []
    for o in outs:
        if not o.dtype.is_floating or not floats:
            continue
        w = np.random.default_rng(weights_seed).uniform(0.5, 1.5, size=tuple(o.shape))
        g = tape.gradient(o, floats, output_gradients=module.constant(w.astype(o.dtype.name)))
        grads.append([None if gi is None else np.asarray(module.convert_to_tensor(gi)) for gi in g])
    return values, grads


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_dtypes_and_gradients_match_tensorflow(case):
    tf = _tf()
    name, fn, specs = case
    r = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [spec(r) for spec in specs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, their_grads = _run(tf, fn, arrays, 7)
        ours, our_grads = _run(nf, fn, arrays, 7)
    assert len(ours) == len(theirs)
    for (ov, od), (tv, td) in zip(ours, theirs):
        assert od == td, f"{name}: dtype {od}, TensorFlow gives {td}"
        assert ov.shape == tv.shape, f"{name}: shape {ov.shape}, TensorFlow gives {tv.shape}"
        np.testing.assert_allclose(ov, tv, rtol=2e-6, atol=1e-6, err_msg=name)
    for og, tg in zip(our_grads, their_grads):
        for i, (a, b) in enumerate(zip(og, tg)):
            assert (a is None) == (b is None), f"{name}: gradient {i} is {a}, TensorFlow's {b}"
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6, err_msg=f"{name} grad {i}")


# ----------------------------------------------------------------------------- bad input
i32 = nf.constant([1, 2, 3])
f32 = nf.constant([1.0, 2.0, 3.0])

BAD = [
    ("float_scalar_into_int", lambda: i32 * 2.5, TypeError, r"Cannot convert 2\.5 .*dtype int32"),
    ("float_scalar_into_int_left", lambda: 2.0 + i32, TypeError, r"Cannot convert 2\.0 .*int32"),
    ("int_and_float", lambda: nf.add(i32, f32), nf.errors.InvalidArgumentError,
     r"expected to be a int32 tensor but is a float32 tensor"),
    ("shapes_add", lambda: nf.add(nf.ones(2), nf.ones(3)), nf.errors.InvalidArgumentError,
     r"Incompatible shapes: \[2\] vs\. \[3\]"),
    ("shapes_mul", lambda: nf.ones((2, 3)) * nf.ones((4, 1, 2)), nf.errors.InvalidArgumentError,
     r"Incompatible shapes: \[2,3\] vs\. \[4,1,2\]"),
    ("shapes_equal", lambda: nf.equal(nf.ones(2), nf.ones(3)), nf.errors.InvalidArgumentError,
     r"Incompatible shapes"),
    ("matmul_inner", lambda: nf.matmul(nf.ones((2, 3)), nf.ones((2, 3))),
     nf.errors.InvalidArgumentError, r"size-incompatible: In\[0\]: \[2,3\], In\[1\]: \[2,3\]"),
    ("matmul_1d", lambda: nf.matmul(nf.ones(3), nf.ones((3, 2))), nf.errors.InvalidArgumentError,
     r"In\[0\] ndims must be >= 2"),
    ("matmul_batch", lambda: nf.matmul(nf.ones((2, 2, 3)), nf.ones((4, 3, 2))),
     nf.errors.InvalidArgumentError, r"compatible batch dimensions: \[2,2,3\] vs\. \[4,3,2\]"),
    ("sqrt_int", lambda: nf.sqrt(i32), nf.errors.InvalidArgumentError, r"int32.*Sqrt"),
    ("exp_int", lambda: nf.exp(i32), nf.errors.InvalidArgumentError, r"int32.*Exp"),
    ("log_int", lambda: nf.math.log(i32), nf.errors.InvalidArgumentError, r"int32.*Log"),
    ("reduce_sum_bool", lambda: nf.reduce_sum(nf.constant([True])),
     nf.errors.InvalidArgumentError, r"bool"),
    ("variance_int", lambda: nf.math.reduce_variance(i32), TypeError, r"real or complex"),
    ("pow_int_negative", lambda: nf.pow(i32, -1), nf.errors.InvalidArgumentError,
     r"Integers to negative integer powers"),
    ("logical_and_int", lambda: nf.logical_and(i32, i32), nf.errors.InvalidArgumentError,
     r"expected to be a bool tensor but is a int32"),
    ("softmax_int", lambda: nf.nn.softmax(i32), nf.errors.InvalidArgumentError, r"int32"),
    ("sparse_label_range", lambda: nf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[3], logits=[[1.0, 2.0, 3.0]]), nf.errors.InvalidArgumentError,
     r"label value of 3 which is outside the valid range of \[0, 3\)"),
    ("sparse_label_float", lambda: nf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[1.0], logits=[[1.0, 2.0, 3.0]]), nf.errors.InvalidArgumentError, r"Tlabels"),
    ("softmax_xent_shapes", lambda: nf.nn.softmax_cross_entropy_with_logits(
        nf.ones((2, 4)), nf.ones((2, 3))), nf.errors.InvalidArgumentError,
     r"logits_size=\[2,3\] labels_size=\[2,4\]"),
    ("sparse_label_shape", lambda: nf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[1, 0], logits=[[1.0, 2.0, 3.0]]), ValueError, r"labels\.shape=\(2,\)"),
    ("sigmoid_xent_shapes", lambda: nf.nn.sigmoid_cross_entropy_with_logits(
        nf.ones((2, 4)), nf.ones((2, 3))), ValueError, r"same shape"),
    ("squeeze", lambda: nf.squeeze(nf.ones((2, 3)), axis=1), nf.errors.InvalidArgumentError,
     r"Can not squeeze dim\[1\], expected a dimension of 1, got 3"),
    ("reshape", lambda: nf.reshape(nf.ones((2, 3)), (4, 2)), nf.errors.InvalidArgumentError,
     r"tensor with 6 values, but the requested shape \[4, 2\] has 8"),
    ("stack", lambda: nf.stack([nf.ones(2), nf.ones(3)]), nf.errors.InvalidArgumentError,
     r"values\[0\]\.shape = \[2\] != values\[1\]\.shape = \[3\]"),
    ("concat", lambda: nf.concat([nf.ones((2, 2)), nf.ones((3, 3))], 0),
     nf.errors.InvalidArgumentError, r"shape\[0\] = \[2,2\] vs\. shape\[1\] = \[3,3\]"),
    ("gather_range", lambda: nf.gather(i32, [5]), nf.errors.InvalidArgumentError,
     r"indices\[0\] = 5 is not in \[0, 3\)"),
    ("range_delta", lambda: nf.range(0, 5, 0), nf.errors.InvalidArgumentError, r"delta != 0"),
    ("range_order", lambda: nf.range(5, 1), nf.errors.InvalidArgumentError,
     r"Requires start <= limit when delta > 0: 5/1"),
    ("where_cond_int", lambda: nf.where(i32, f32, f32), nf.errors.InvalidArgumentError,
     r"bool tensor but is a int32"),
    ("clip_int_float", lambda: nf.clip_by_value(i32, 1.5, 2), TypeError, r"Cannot convert 1\.5"),
    ("zeros_dtype", lambda: nf.zeros(3, dtype="complex64"), TypeError, r"complex64"),
    ("cast_dtype", lambda: nf.cast(f32, "string"), TypeError, r"string"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_tensorflows_error(case):
    _, fn, error, match = case
    with pytest.raises(error, match=match):
        fn()


SPELLED_IN_TF = [c[0] for c in BAD[:22]]  # the rest are checked by message only


@pytest.mark.parametrize("name", SPELLED_IN_TF)
def test_tensorflow_raises_the_same_error_type(name):
    """The same mistakes in TensorFlow raise the same class of error (ours subclass
    TensorFlow's Python counterparts: InvalidArgumentError is a ValueError)."""
    tf = _tf()
    error = next(c[2] for c in BAD if c[0] == name)
    spelled = {
        "float_scalar_into_int": lambda: tf.constant([1, 2, 3]) * 2.5,
        "float_scalar_into_int_left": lambda: 2.0 + tf.constant([1, 2, 3]),
        "int_and_float": lambda: tf.add(tf.constant([1, 2, 3]), tf.constant([1.0, 2.0, 3.0])),
        "shapes_add": lambda: tf.add(tf.ones(2), tf.ones(3)),
        "shapes_mul": lambda: tf.ones((2, 3)) * tf.ones((4, 1, 2)),
        "shapes_equal": lambda: tf.equal(tf.ones(2), tf.ones(3)),
        "matmul_inner": lambda: tf.matmul(tf.ones((2, 3)), tf.ones((2, 3))),
        "matmul_1d": lambda: tf.matmul(tf.ones(3), tf.ones((3, 2))),
        "matmul_batch": lambda: tf.matmul(tf.ones((2, 2, 3)), tf.ones((4, 3, 2))),
        "sqrt_int": lambda: tf.sqrt(tf.constant([1])),
        "exp_int": lambda: tf.exp(tf.constant([1])),
        "log_int": lambda: tf.math.log(tf.constant([1])),
        "reduce_sum_bool": lambda: tf.reduce_sum(tf.constant([True])),
        "variance_int": lambda: tf.math.reduce_variance(tf.constant([1])),
        "pow_int_negative": lambda: tf.pow(tf.constant([1]), -1),
        "logical_and_int": lambda: tf.logical_and(tf.constant([1]), tf.constant([1])),
        "softmax_int": lambda: tf.nn.softmax(tf.constant([1])),
        "sparse_label_range": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=[3], logits=[[1.0, 2.0, 3.0]]
        ),
        "sparse_label_float": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=[1.0], logits=[[1.0, 2.0, 3.0]]
        ),
        "softmax_xent_shapes": lambda: tf.nn.softmax_cross_entropy_with_logits(
            tf.ones((2, 4)), tf.ones((2, 3))
        ),
        "sparse_label_shape": lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=[1, 0], logits=[[1.0, 2.0, 3.0]]
        ),
        "sigmoid_xent_shapes": lambda: tf.nn.sigmoid_cross_entropy_with_logits(
            tf.ones((2, 4)), tf.ones((2, 3))
        ),
    }[name]
    expected = tf.errors.InvalidArgumentError if error is nf.errors.InvalidArgumentError else error
    with pytest.raises(expected):
        spelled()


def test_names_exist_in_tensorflow():
    """Every function name neuroflow exports in tf, tf.math, tf.nn and tf.random is one of
    TensorFlow's in the same namespace."""
    tf = _tf()
    for ours, theirs in [(nf.tf, tf), (nf.math, tf.math), (nf.nn, tf.nn), (nf.random, tf.random)]:
        missing = [n for n in ours.__all__ if not hasattr(theirs, n)]
        assert not missing, f"not in TensorFlow's {theirs.__name__}: {missing}"
