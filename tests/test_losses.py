import numpy as np
import pytest

from neuroflow import losses, ops
from neuroflow.tensor import Tensor

LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], dtype=np.float32)
LABELS = np.array([0, 1])
ONEHOT = np.eye(3, dtype=np.float32)[LABELS]


def _ce(logits, labels):
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


def test_sparse_and_categorical_agree_and_match_formula():
    sparse = losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, LOGITS)
    cat = losses.CategoricalCrossentropy(from_logits=True)(ONEHOT, LOGITS)
    assert float(sparse) == pytest.approx(_ce(LOGITS, LABELS), rel=1e-6)
    assert float(cat) == pytest.approx(_ce(LOGITS, LABELS), rel=1e-6)


def test_probabilities_from_softmax_use_the_logits_behind_them():
    logits = Tensor(LOGITS * 20, requires_grad=True)  # saturated: p is 0 in float32
    probs = ops.softmax(logits)
    value = losses.categorical_crossentropy(ONEHOT[::-1], probs)
    expected = -(ONEHOT[::-1] * ops.log_softmax(Tensor(LOGITS * 20)).numpy()).sum(-1)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-5)  # not clipped at 16.1
    value.sum().backward()
    assert np.all(np.isfinite(logits.grad))


def test_plain_probabilities_are_clipped_like_keras():
    probs = np.array([[1.0, 0.0]], dtype=np.float32)
    value = losses.categorical_crossentropy(np.array([[0.0, 1.0]]), probs)
    np.testing.assert_allclose(value.numpy(), [-np.log(1e-7)], rtol=1e-4)


def test_sparse_labels_of_shape_n_by_1():
    a = losses.sparse_categorical_crossentropy(LABELS[:, None], LOGITS, from_logits=True)
    b = losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True)
    np.testing.assert_allclose(a.numpy(), b.numpy())


def test_binary_crossentropy_from_sigmoid_and_logits_agree():
    x = np.array([[0.3], [-1.2], [2.0]], dtype=np.float32)
    y = np.array([1, 0, 1])  # (n,) against (n, 1) predictions
    from_logits = losses.BinaryCrossentropy(from_logits=True)(y, x)
    via_sigmoid = losses.BinaryCrossentropy()(y, ops.sigmoid(Tensor(x)))
    sig = 1 / (1 + np.exp(-x[:, 0]))
    expected = -(y * np.log(sig) + (1 - y) * np.log(1 - sig)).mean()
    assert float(from_logits) == pytest.approx(expected, rel=1e-5)
    assert float(via_sigmoid) == pytest.approx(expected, rel=1e-5)


def test_mse_mae():
    y = np.array([1.0, 2.0, 3.0])
    p = np.array([[1.5], [2.0], [2.0]], dtype=np.float32)
    assert float(losses.get("mse")(y, p)) == pytest.approx((0.25 + 0 + 1) / 3)
    assert float(losses.get("mae")(y, p)) == pytest.approx(1.5 / 3)


def test_label_out_of_range_is_reported():
    with pytest.raises(ValueError, match=r"label value of 3.*\[0, 2\].*3 outputs"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 3]), LOGITS)
    with pytest.raises(ValueError, match="label value of -1"):
        losses.SparseCategoricalCrossentropy()(np.array([0, -1]), LOGITS)


def test_integer_labels_given_to_categorical_get_a_hint():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(LABELS, LOGITS)


def test_unknown_loss_names_the_options():
    with pytest.raises(ValueError, match="Unknown loss: loss='cross_entropy'.*mse"):
        losses.get("cross_entropy")
    with pytest.raises(TypeError, match="loss"):
        losses.get(3)


Y_PROB = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], dtype=np.float32)
Y_REAL = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.5]], dtype=np.float32)


@pytest.mark.parametrize(
    "fn,cls,y_true,y_pred",
    [
        (losses.sparse_categorical_crossentropy, "SparseCategoricalCrossentropy", LABELS, Y_PROB),
        (losses.categorical_crossentropy, "CategoricalCrossentropy", ONEHOT, Y_PROB),
        (losses.binary_crossentropy, "BinaryCrossentropy", ONEHOT, Y_PROB),
        (losses.mean_squared_error, "MeanSquaredError", ONEHOT, Y_REAL),
        (losses.mse, "MeanSquaredError", ONEHOT, Y_REAL),
        (losses.MSE, "MeanSquaredError", ONEHOT, Y_REAL),
        (losses.mean_absolute_error, "MeanAbsoluteError", ONEHOT, Y_REAL),
        (losses.mae, "MeanAbsoluteError", ONEHOT, Y_REAL),
    ],
)
def test_functions_resolve_to_their_classes(fn, cls, y_true, y_pred):
    # compile(loss=keras.losses.mse) gets the class itself (savable by name, fused with the
    # softmax), not a wrapper around the function
    loss = losses.get(fn)
    assert type(loss) is getattr(losses, cls)
    assert losses.serialize(loss)["class_name"] == cls
    per_sample = fn(y_true, Tensor(y_pred)).numpy()
    assert per_sample.shape == (2,)
    assert float(loss(y_true, y_pred)) == pytest.approx(float(per_sample.mean()), rel=1e-6)


def test_a_users_function_is_wrapped_not_resolved():
    def halved_mse(y_true, y_pred):
        return losses.mean_squared_error(y_true, y_pred) * 0.5

    loss = losses.get(halved_mse)
    assert not isinstance(loss, losses.MeanSquaredError)
    expected = 0.5 * float(losses.MeanSquaredError()(ONEHOT, Y_REAL))
    assert float(loss(ONEHOT, Y_REAL)) == pytest.approx(expected, rel=1e-6)
