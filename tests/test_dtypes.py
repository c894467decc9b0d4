"""TensorFlow's dtypes: names, equality with NumPy's, conversion rules and errors."""

import numpy as np
import pytest

import neuroflow as tf
from neuroflow import dtypes


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, "float32"), (3, "int32"), (2**40, "int64"), (True, "bool"), ([[1, 2]], "int32"),
     ([1, 2.5], "float32"), (np.float64(1.0), "float64"), (np.array([1], np.int64), "int64"),
     (np.zeros(2, np.uint8), "uint8"), ([np.zeros(2), np.ones(2)], "float64")],
)  # fmt: skip
def test_constant_converts_as_tensorflow(value, expected):
    assert tf.constant(value).dtype == expected
    assert tf.constant(value).dtype.name == expected


def test_a_dtype_compares_equal_to_numpys_and_numpy_accepts_it():
    assert tf.float32 == np.float32 and tf.float32 == np.dtype("float32") and tf.int32 == "int32"
    assert tf.float32 != tf.float64 and tf.float32 != "not a dtype"
    assert np.zeros(2, dtype=tf.int64).dtype == np.int64
    assert repr(tf.uint8) == "tf.uint8" and str(tf.bool) == "<dtype: 'bool'>"
    assert tf.int8.is_integer and not tf.int8.is_floating and tf.uint8.max == 255
    assert {tf.float32: 1}[dtypes.as_dtype(np.float32)] == 1
    assert tf.double is tf.float64 and tf.half is tf.float16


@pytest.mark.parametrize("bad", ["complex64", "string", object, [1]])
def test_an_unsupported_dtype_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`"):
        dtypes.as_dtype(bad)


def test_values_that_do_not_fit_the_dtype_are_refused():
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        tf.constant(2.5, dtype=tf.int32)
    with pytest.raises(TypeError, match="supported element type"):
        tf.constant(["a", "b"])
    with pytest.raises(ValueError, match="requested dtype int32 for Tensor with dtype float32"):
        tf.convert_to_tensor(tf.constant(1.0), dtype=tf.int32)


def test_tensors_print_as_tensorflows():
    assert str(tf.constant([1, 2, 3])) == "tf.Tensor([1 2 3], shape=(3,), dtype=int32)"
    assert repr(tf.constant(2.5)) == "<tf.Tensor: shape=(), dtype=float32, numpy=2.5>"
    assert str(tf.constant([[1.0, 2.0], [3.0, 4.0]])) == (
        "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"
    )
    assert repr(tf.Variable([1.0], name="w")) == (
        "<tf.Variable 'w:0' shape=(1,) dtype=float32, numpy=array([1.], dtype=float32)>"
    )
    shape = tf.zeros((2, 3)).shape
    assert shape == (2, 3) and shape.as_list() == [2, 3] and repr(shape) == "TensorShape([2, 3])"
    assert f"{tf.constant(0.12345):.2f}" == "0.12"


def test_a_variable_owns_a_copy_and_numpy_reads_a_snapshot():
    source = np.zeros(2, np.float32)
    v = tf.Variable(source)
    before = v.numpy()
    v.assign_add([1.0, 2.0])
    assert source.tolist() == [0.0, 0.0] and before.tolist() == [0.0, 0.0]
    assert v.numpy().tolist() == [1.0, 2.0]
    assert v.assign([5.0, 6.0]) is v
    k = tf.keras.Variable(initializer="ones", shape=(2, 2), name="k")
    assert k.numpy().sum() == 4.0 and k.trainable and k.dtype == tf.float32
