import io

import numpy as np
import pytest

from neuroflow import backend, initializers, utils


def test_to_categorical():
    out = utils.to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    assert out.dtype == np.float32
    assert utils.to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)
    with pytest.raises(ValueError, match="out of range for num_classes=2"):
        utils.to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        utils.to_categorical([-1, 0])


def test_normalize():
    np.testing.assert_allclose(
        utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])), [[0.6, 0.8], [0.0, 0.0]]
    )
    np.testing.assert_allclose(utils.normalize(np.array([[1.0, 3.0]]), order=1), [[0.25, 0.75]])


def test_set_random_seed_same_weights_bit_for_bit():
    utils.set_random_seed(3)
    a = initializers.GlorotUniform()((5, 5))
    utils.set_random_seed(3)
    b = initializers.GlorotUniform()((5, 5))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="seed"):
        utils.set_random_seed(-1)


def _truncated_normal(rng, shape, stddev):
    """Normal draws redrawn until within 2 stddev: the truncation without Keras's correction."""
    w = rng.normal(0, stddev, size=shape)
    while (out := np.abs(w) > 2 * stddev).any():
        w[out] = rng.normal(0, stddev, size=out.sum())
    return w


def _is_he_normal(w, fan_in):
    """Keras's he_normal: a normal truncated at 2 sigma with sigma = sqrt(2/fan_in)/0.8796..., so
    that the truncated draws have standard deviation sqrt(2/fan_in) itself."""
    target = np.sqrt(2 / fan_in)
    bound = 2 * target / 0.87962566103423978
    # 120,000 draws: the standard error of the std is about 0.2%, so 2% is ten of them
    return (
        abs(w.std() / target - 1) < 0.02
        and abs(w.mean()) < 0.01 * target
        and np.abs(w).max() <= bound * (1 + 1e-6)
        and np.abs(w).max() > 0.97 * bound  # truncated at the corrected 2 sigma, not before
    )


def test_he_normal_has_kerass_truncation_correction():
    w = initializers.get("he_normal")((400, 300))
    assert _is_he_normal(w, fan_in=400)
    # an initializer that forgot the correction (std 12% low) fails the same check
    forgot = _truncated_normal(np.random.default_rng(0), (400, 300), np.sqrt(2 / 400))
    assert not _is_he_normal(forgot, fan_in=400)
    corrected = _truncated_normal(
        np.random.default_rng(0), (400, 300), np.sqrt(2 / 400) / 0.87962566103423978
    )
    assert _is_he_normal(corrected, fan_in=400)  # and the check itself accepts the right one


def test_initializer_formulas():
    u = initializers.GlorotUniform(seed=1)((3, 3, 8, 16))  # conv kernel: window in the fans
    assert np.abs(u).max() <= np.sqrt(6 / (9 * 8 + 9 * 16))
    assert initializers.get({"class_name": "Constant", "config": {"value": 2}})((2,)).tolist() == [
        2,
        2,
    ]


def test_progbar_format_and_ascii_fallback():
    stream = io.StringIO()
    bar = utils.Progbar(10, stream=stream, stateful_metrics=["loss"])
    for i in range(10):
        bar.update(i + 1, [("loss", 0.123456)])
    out = stream.getvalue()
    assert out.startswith("10/10 ") and "- loss: 0.1235" in out and "/step" in out
    assert "=" * 20 in out  # StringIO has no encoding: the bar falls back to ASCII


def test_unique_names_and_clear_session():
    backend.clear_session()
    assert backend.unique_name("dense") == "dense"
    assert backend.unique_name("dense") == "dense_1"
    backend.clear_session()
    assert backend.unique_name("dense") == "dense"
