"""Image preprocessing and augmentation layers against Keras 3 (TensorFlow backend):
deterministic outputs equal Keras's, random ones are checked where they are deterministic
(pinned factors), by their draws' ranges, per-image independence, seeds and inference."""

from __future__ import annotations

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.layers import image_preprocessing as ip
from neuroflow.ops import image as image_ops
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
L = nf.keras.layers
RNG = np.random.default_rng(0)
IMAGES = RNG.random((3, 7, 9, 2)).astype(np.float32)
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


@pytest.fixture
def keras():
    return peer("keras")


def _both(keras, name, *args, x=IMAGES, **kwargs):
    ours = getattr(L, name)(*args, **kwargs)(x, training=True).numpy()
    theirs = np.asarray(getattr(keras.layers, name)(*args, **kwargs)(x, training=True))
    return ours, theirs


# ------------------------------------------------------------------ deterministic layers
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("size", [(3, 4), (7, 9), (12, 20), (1, 13), (16, 2)])
def test_resizing_matches_keras(keras, interpolation, size):
    ours, theirs = _both(keras, "Resizing", *size, interpolation=interpolation)
    assert ours.shape == theirs.shape == (3, *size, 2)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("size", [(4, 4), (6, 3), (5, 12)])
@pytest.mark.parametrize("aspect", [{"crop_to_aspect_ratio": True},
                                    {"pad_to_aspect_ratio": True, "fill_value": 0.5}])  # fmt: skip
def test_resizing_aspect_ratio_matches_keras(keras, size, aspect):
    ours, theirs = _both(keras, "Resizing", *size, **aspect)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    ours, theirs = _both(keras, "Resizing", *size, x=IMAGES[0], **aspect)  # unbatched
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_resizing_channels_first_and_integer_images(keras):
    x = np.moveaxis(IMAGES, -1, 1)
    ours, theirs = _both(keras, "Resizing", 5, 4, data_format="channels_first", x=x)
    assert ours.shape == (3, 2, 5, 4)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    pixels = (IMAGES * 255).astype(np.uint8)
    ours, theirs = _both(keras, "Resizing", 5, 13, x=pixels)
    assert ours.dtype == theirs.dtype == np.uint8  # rounded back, as Keras does
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("size", [(3, 5), (7, 9), (2, 9), (8, 4), (10, 12)])
def test_center_crop_matches_keras(keras, size):
    ours, theirs = _both(keras, "CenterCrop", *size)
    assert ours.shape == (3, *size, 2)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    x = np.moveaxis(IMAGES[0], -1, 0)  # unbatched, channels first
    ours, theirs = _both(keras, "CenterCrop", *size, data_format="channels_first", x=x)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


# ------------------------------------------------------- affine layers, factors pinned
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_pinned_affine_augmentations_match_keras(keras, fill_mode, interpolation):
    options = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 0.25}
    cases = [
        ("RandomRotation", ((0.25, 0.25),)),
        ("RandomRotation", ((-0.07, -0.07),)),
        ("RandomZoom", ((0.5, 0.5),)),
        ("RandomZoom", ((-0.3, -0.3), (0.4, 0.4))),
        ("RandomTranslation", ((0.2, 0.2), (0.2, 0.2))),
        ("RandomTranslation", ((-0.45, -0.45), (0.7, 0.7))),
    ]
    for name, args in cases:
        ours, theirs = _both(keras, name, *args, **options)
        np.testing.assert_allclose(ours, theirs, atol=1e-5, err_msg=f"{name}{args}")


def test_pinned_affine_unbatched_and_channels_first(keras):
    x = np.moveaxis(IMAGES, -1, 1)
    for name, args in [("RandomRotation", ((0.1, 0.1),)), ("RandomZoom", ((0.2, 0.2),))]:
        ours, theirs = _both(keras, name, *args, data_format="channels_first", x=x)
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
        ours, theirs = _both(keras, name, *args, x=IMAGES[1])
        assert ours.shape == IMAGES[1].shape
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_pinned_contrast_and_brightness_match_keras(keras):
    x = IMAGES * 255
    ours, theirs = _both(keras, "RandomContrast", (-0.5, 0.5), x=x)  # contrast 1.5 always
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    ours, theirs = _both(keras, "RandomContrast", (-0.5, 0.5), value_range=(0, 1), x=IMAGES)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    ours, theirs = _both(keras, "RandomBrightness", (0.1, 0.1), x=x)
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    ours, theirs = _both(keras, "RandomBrightness", (-0.3, -0.3), value_range=(0, 1), x=IMAGES)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_random_crop_deterministic_branches_match_keras(keras):
    # training on images not larger than the target: Keras's corner-then-resize rule
    ours, theirs = _both(keras, "RandomCrop", 5, 12)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # inference: the documented centred aspect-ratio crop and resize (Keras's smart_resize)
    ours = L.RandomCrop(4, 6)(IMAGES, training=False).numpy()
    expected = keras.layers.Resizing(4, 6, crop_to_aspect_ratio=True)(IMAGES)
    np.testing.assert_allclose(ours, np.asarray(expected), atol=1e-5)


# ------------------------------------------------------------------- random behaviour
def test_random_crop_training_takes_one_window_per_batch():
    x = np.arange(2 * 8 * 10, dtype=np.float32).reshape(2, 8, 10, 1)
    starts = set()
    layer = L.RandomCrop(3, 4, seed=3)
    for _ in range(200):
        out = layer(x, training=True).numpy()
        top, left = divmod(int(out[0, 0, 0, 0]), 10)
        np.testing.assert_array_equal(out, x[:, top : top + 3, left : left + 4])
        starts.add((top, left))
    assert {t for t, _ in starts} == set(range(6)) and {s for _, s in starts} == set(range(7))


def test_random_flip_outcomes_and_frequency():
    x = np.broadcast_to(IMAGES[:1], (400, 7, 9, 2))
    for mode, flipped in [("horizontal", IMAGES[0, :, ::-1]), ("vertical", IMAGES[0, ::-1]),
                          ("horizontal_and_vertical", IMAGES[0, ::-1, ::-1])]:  # fmt: skip
        out = L.RandomFlip(mode, seed=1)(x, training=True).numpy()
        same = np.all(out == IMAGES[0], axis=(1, 2, 3))
        flips = np.all(out == flipped, axis=(1, 2, 3))
        assert np.all(same | flips)
        assert 0.4 < flips.mean() < 0.6  # each image drawn on its own, p = 1/2


def test_draw_ranges():
    n = 2000
    rot = L.RandomRotation((-0.1, 0.3), seed=0)._matrices(n, 7, 9)
    angles = np.degrees(np.arctan2(rot[:, 3], rot[:, 0]))
    assert -36.01 <= angles.min() < -30 and 100 < angles.max() <= 108.01
    zoom = L.RandomZoom((-0.2, 0.4), (0.1, 0.3), seed=0)._matrices(n, 7, 9)
    assert 0.8 <= zoom[:, 4].min() < 0.82 and 1.38 < zoom[:, 4].max() <= 1.4
    assert 1.1 <= zoom[:, 0].min() < 1.12 and 1.28 < zoom[:, 0].max() <= 1.3
    assert not np.allclose(zoom[:, 0], zoom[:, 4])
    same = L.RandomZoom(0.3, seed=0)._matrices(n, 7, 9)  # no width_factor: aspect kept
    np.testing.assert_array_equal(same[:, 0], same[:, 4])
    shift = L.RandomTranslation(0.5, (-0.2, 0.1), seed=0)._matrices(n, 10, 20)
    dy, dx = -shift[:, 5] / 10, -shift[:, 2] / 20
    assert -0.5 <= dy.min() < -0.48 and 0.48 < dy.max() <= 0.5
    assert -0.2 <= dx.min() < -0.18 and 0.08 < dx.max() <= 0.1
    zeros = np.zeros((n, 1, 1, 1), np.float32)
    delta = L.RandomBrightness(0.2, value_range=(-1000, 1000), seed=0)(zeros).numpy()
    assert -400 <= delta.min() < -380 and 380 < delta.max() <= 400
    ramp = np.broadcast_to(np.array([[[0.0], [100.0]]], np.float32), (n, 1, 2, 1))
    out = L.RandomContrast(0.3, value_range=(-1e4, 1e4), seed=0)(ramp).numpy()
    contrast = (out[:, 0, 1, 0] - out[:, 0, 0, 0]) / 100  # Keras 3: in [1, 1.3] for 0.3
    assert 1.0 <= contrast.min() < 1.01 and 1.29 < contrast.max() <= 1.3 + 1e-5


@pytest.mark.parametrize("make", [
    lambda s: L.RandomFlip(seed=s), lambda s: L.RandomRotation(0.3, seed=s),
    lambda s: L.RandomZoom(0.4, seed=s), lambda s: L.RandomTranslation(0.3, 0.3, seed=s),
    lambda s: L.RandomContrast(0.5, seed=s), lambda s: L.RandomBrightness(0.5, seed=s),
    lambda s: L.RandomCrop(4, 5, seed=s),
])  # fmt: skip
def test_seed_inference_and_independence(make):
    x = np.broadcast_to(IMAGES[:1] * 255, (20, 7, 9, 2)).copy()
    a, b = make(7), make(7)
    first = a(x, training=True).numpy()
    np.testing.assert_array_equal(first, b(x, training=True).numpy())  # same seed, same draws
    assert not np.array_equal(first, a(x, training=True).numpy())  # the next call draws anew
    if not isinstance(a, L.RandomCrop):  # one draw per image (RandomCrop: one per batch)
        assert len({out.tobytes() for out in first}) > 1
        np.testing.assert_array_equal(a(x, training=False).numpy(), x)  # inference: identity
        plain = a(x).numpy()  # Keras 3: a direct call augments (call's default training=True)
        assert not np.array_equal(plain, x)
    assert a(x[0], training=True).numpy().shape == a.compute_output_shape(x[0].shape)
    assert a(x, training=True).numpy().dtype == np.float32


def test_dtypes_follow_keras(keras):
    pixels = (IMAGES * 255).astype(np.uint8)
    for name, args in [("RandomFlip", ()), ("RandomRotation", (0.2,)), ("CenterCrop", (3, 3)),
                       ("RandomBrightness", (0.2,)), ("Resizing", (4, 4))]:  # fmt: skip
        for training in (True, False):
            ours = getattr(L, name)(*args)(pixels, training=training).numpy().dtype
            theirs = np.asarray(getattr(keras.layers, name)(*args)(pixels, training=training))
            assert ours == theirs.dtype, (name, training)


# ------------------------------------------------------------------------- validation
@pytest.mark.parametrize("make", [
    lambda: L.RandomRotation(1.5), lambda: L.RandomRotation((0.1, 0.2, 0.3)),
    lambda: L.RandomRotation("0.1"), lambda: L.RandomRotation(0.1, fill_mode="mirror"),
    lambda: L.RandomRotation(0.1, interpolation="bicubic"), lambda: L.RandomZoom(-1.0),
    lambda: L.RandomZoom(0.2, (0.1, 1.5)), lambda: L.RandomTranslation(1.2, 0.1),
    lambda: L.RandomContrast(1.5), lambda: L.RandomContrast((0.2, -0.3)),
    lambda: L.RandomBrightness(0.2, value_range=(0, 1, 2)), lambda: L.RandomFlip("diagonal"),
    lambda: L.Resizing(0, 3), lambda: L.Resizing(3, 3, interpolation="cubic"),
    lambda: L.Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
    lambda: L.Resizing(3, 3, fill_mode="reflect"), lambda: L.CenterCrop(3, -1),
    lambda: L.RandomCrop(3.5, 2), lambda: L.RandomFlip(data_format="channels_middle"),
])  # fmt: skip
def test_bad_arguments_raise_value_error(make):
    with pytest.raises(ValueError, match="Received"):
        make()


def test_bad_seed_and_rank():
    with pytest.raises(TypeError, match="seed"):
        L.RandomFlip(seed="1")
    with pytest.raises(ValueError, match="rank 3"):
        L.RandomFlip()(np.zeros((2, 3)), training=True)


def test_config_matches_keras_and_round_trips(keras):
    cases = [
        ("Resizing", (4, 5), {"interpolation": "nearest", "pad_to_aspect_ratio": True}),
        ("CenterCrop", (4, 5), {}), ("RandomFlip", ("horizontal",), {"seed": 3}),
        ("RandomRotation", (0.2,), {"fill_mode": "constant", "fill_value": 1.0}),
        ("RandomZoom", (0.1, (0.2, 0.3)), {}), ("RandomTranslation", (0.1, 0.2), {"seed": 1}),
        ("RandomContrast", (0.2,), {}), ("RandomBrightness", ((0.1, -0.2),), {"seed": 2}),
        ("RandomCrop", (3, 3), {"seed": 5}),
    ]  # fmt: skip
    for name, args, kwargs in cases:
        ours = getattr(L, name)(*args, **kwargs).get_config()
        theirs = getattr(keras.layers, name)(*args, **kwargs).get_config()
        assert set(ours) - {"dtype"} == set(theirs) - {"dtype"}, name
        for key in set(theirs) - {"name", "dtype"}:
            value = theirs[key]
            assert ours[key] == (list(value) if isinstance(value, tuple) else value) or (
                ours[key] == value
            ), (name, key)
        again = getattr(L, name).from_config(ours)
        assert again.get_config() == ours


# ----------------------------------------------------------------- gradients and ops
def test_sample_images_gradient():
    x = RNG.random((2, 4, 5, 3))
    transforms = np.array([[0.9, 0.2, 0.3, -0.1, 1.1, -0.4, 0, 0], [1, 0, 1.5, 0, 1, -0.5, 0, 0]])

    def fn(images):
        return image_ops.affine_transform(images, transforms, "bilinear", "constant", 0.5)

    assert gradcheck(fn, x)
    assert gradcheck(lambda images: image_ops.resize(images, (3, 7), "bicubic"), x)


def test_gradient_reaches_the_layers_before():
    x = nf.Variable(IMAGES)
    with nf.GradientTape() as tape:
        y = L.RandomRotation(0.2, seed=0)(L.RandomFlip(seed=0)(x), training=True)
        loss = nf.reduce_sum(L.Resizing(4, 4)(y) ** 2)
    grad = tape.gradient(loss, x)
    assert grad is not None and grad.shape == IMAGES.shape and np.abs(grad.numpy()).sum() > 0


# ------------------------------------------------------------- models and user programs
def _tutorial_model(layers, num_classes=5):
    return [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ], [
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ]


def test_tutorial_model_trains_and_counts_like_keras(keras):
    """The TensorFlow "image classification" tutorial's model with data augmentation."""
    counts = []
    for lib in (nf.keras, keras):
        augment, rest = _tutorial_model(lib.layers)
        data_augmentation = lib.Sequential(augment)
        model = lib.Sequential([data_augmentation, *rest])
        model.build((None, 32, 32, 3))
        counts.append([layer.count_params() for layer in model.layers] + [model.count_params()])
    assert counts[0] == counts[1]
    lines = []
    augment, rest = _tutorial_model(L)
    data_augmentation = nf.keras.Sequential(augment)
    model = nf.keras.Sequential([data_augmentation, *rest])
    model.compile(
        optimizer="adam",
        loss=nf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x = RNG.integers(0, 256, (40, 32, 32, 3)).astype(np.float32)
    y = RNG.integers(0, 5, 40)
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.summary(print_fn=lines.append)
    assert any("sequential" in line for line in lines)
    assert any(f"{counts[1][-1]:,}" in line for line in lines)  # "Total params: ..."
    np.testing.assert_allclose(model.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0))
    # the tutorial's other way: augmentation in the input pipeline
    ds = nf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    ds = ds.map(lambda a, b: (data_augmentation(a, training=True), b))
    batch, labels = next(iter(ds))
    assert batch.shape == (8, 32, 32, 3) and not np.array_equal(np.asarray(batch), x[:8])


def test_fit_augments_and_predict_does_not():
    seen = []

    def record(t):
        seen.append(float(np.asarray(t.numpy()).max()))
        return t

    model = nf.keras.Sequential([
        nf.keras.Input((4, 4, 1)), L.RandomBrightness((0.1, 0.1), value_range=(0, 100)),
        L.Lambda(record), L.Flatten(), L.Dense(1),
    ])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 4, 4, 1), np.float32), np.zeros((8, 1), np.float32)
    seen.clear()  # building ran the Lambda on zeros
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert seen[-1] == pytest.approx(10.0)  # the training step's batch: shifted by 0.1 * 100
    seen.clear()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert seen and all(v == 0.0 for v in seen)


@pytest.mark.parametrize("functional", [False, True])
def test_model_called_without_training_augments_as_keras(keras, functional):
    """Keras 3 leaves ``training`` unset when no call gives it, so an augmentation inside
    ``model(x)`` uses its call's default (augment) while Dropout stays off; an explicit
    ``training=False`` and ``predict`` do not augment. The tutorial's preview
    ``data_augmentation(images)`` relies on it."""
    x = np.arange(4 * 4 * 4, dtype=np.float32).reshape(4, 4, 4, 1)  # no image is symmetric

    def build(k):
        if functional:
            inp = k.Input((4, 4, 1))
            out = k.layers.Dropout(0.9)(k.layers.RandomFlip("horizontal", seed=3)(inp))
            return k.Model(inp, out)
        inner = k.Sequential([k.layers.RandomFlip("horizontal", seed=3)])
        return k.Sequential([k.Input((4, 4, 1)), inner, k.layers.Dropout(0.9)])

    for k in (nf.keras, keras):
        model = build(k)
        called = [np.asarray(model(x)) for _ in range(8)]
        flipped = [np.array_equal(c, x[:, :, ::-1]) for c in called]  # per call, whole batch
        per_image = np.array([[np.array_equal(c[i], x[i, :, ::-1]) for i in range(4)]
                              for c in called])  # fmt: skip
        kept = np.array([[np.array_equal(c[i], x[i]) for i in range(4)] for c in called])
        assert (per_image | kept).all(), k  # flipped or not, never dropped out
        assert per_image.any() and kept.any(), k  # augmented, image by image
        assert not all(flipped), k
        np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_keras_file_round_trip(tmp_path):
    model = nf.keras.Sequential([
        nf.keras.Input((12, 12, 3)), L.Rescaling(1 / 255), L.RandomFlip("horizontal", seed=1),
        L.RandomRotation(0.2, fill_mode="constant"), L.Conv2D(4, 3), L.Flatten(), L.Dense(2),
    ])  # fmt: skip
    x = RNG.random((5, 12, 12, 3)).astype(np.float32) * 255
    path = tmp_path / "augmented.keras"
    model.save(path)
    loaded = nf.keras.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    assert loaded.layers[2].get_config() == model.layers[2].get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_loads_a_file_keras_wrote(keras, tmp_path):
    k_model = keras.Sequential([
        keras.Input((10, 10, 3)), keras.layers.Resizing(8, 8), keras.layers.RandomFlip(),
        keras.layers.RandomZoom(0.1), keras.layers.RandomTranslation(0.1, 0.1),
        keras.layers.RandomContrast(0.1), keras.layers.RandomBrightness(0.1),
        keras.layers.RandomCrop(6, 6), keras.layers.CenterCrop(4, 4),  # Keras draws its seed
        keras.layers.Flatten(), keras.layers.Dropout(0.1, seed=123456789), keras.layers.Dense(3),
    ])  # fmt: skip
    path = tmp_path / "k.keras"
    k_model.save(path)
    model = nf.keras.models.load_model(path)
    x = RNG.random((2, 10, 10, 3)).astype(np.float32)
    # inference: every augmentation passes through; RandomCrop resizes to its output
    # (Keras 3.15 hands the image on unchanged there, so only the shapes are compared)
    assert model.predict(x, verbose=0).shape == (2, 3)
    ours = L.CenterCrop(4, 4)(L.Resizing(8, 8)(x)).numpy()
    np.testing.assert_allclose(ours, np.asarray(keras.layers.CenterCrop(4, 4)(
        keras.layers.Resizing(8, 8)(x))), atol=1e-5)  # fmt: skip


def test_tensor_inputs_on_the_tape_keep_float32():
    out = L.RandomZoom(0.2, seed=0)(Tensor(IMAGES.astype(np.float64)), training=True)
    assert out.dtype == np.float32
    assert ip.__all__ == sorted(ip.__all__)
