"""plot_images and plot_misclassified: titles carry the model's predictions and the labels."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from neuroflow.keras import layers, models  # noqa: E402
from neuroflow.keras.utils import to_categorical  # noqa: E402
from neuroflow.viz import plot_images, plot_misclassified  # noqa: E402


def _shown(fig):
    return [axis for axis in fig.axes if axis.images]


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 8x8 digits, flattened and scaled, and a Dense model trained one epoch:
    good enough to be right mostly, and wrong on some images."""
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    x = (data.data / 16.0).astype("float32")
    y = data.target
    model = models.Sequential([layers.Input((64,)), layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:1000], y[:1000], epochs=1, batch_size=32, verbose=0)
    return model, x[1000:1400], y[1000:1400]


def test_images_titles_and_wrong_ones_in_red(save_png):
    x = np.random.default_rng(0).random((4, 28, 28))
    fig = plot_images(x, labels=[7, 2, 1, 0], predicted=[7, 3, 1, 9])
    axes = _shown(fig)
    assert [axis.get_title() for axis in axes] == [
        "Predicted: 7, Label: 7", "Predicted: 3, Label: 2",
        "Predicted: 1, Label: 1", "Predicted: 9, Label: 0",
    ]  # fmt: skip
    wrong = [axis.title.get_color() == "tab:red" for axis in axes]
    assert wrong == [False, True, False, True]
    assert [axis.spines["left"].get_visible() for axis in axes] == wrong
    for i, axis in enumerate(axes):
        np.testing.assert_array_equal(axis.images[0].get_array(), x[i])
        assert axis.images[0].get_cmap().name == "binary"
    save_png(fig, "images")


@pytest.mark.parametrize(
    "make, shape, drawn",
    [
        (lambda x: x.reshape(6, 784), None, (28, 28)),  # flattened, square
        (lambda x: x[..., None], None, (28, 28)),  # one channel
        (lambda x: x.reshape(6, 16, 49), None, (16, 49)),
        (lambda x: x.reshape(6, 784), (14, 56), (14, 56)),  # flattened, not square
    ],
)
def test_image_layouts(make, shape, drawn):
    x = np.random.default_rng(1).random((6, 28, 28))
    fig = plot_images(make(x), labels=np.arange(6), shape=shape)
    axes = _shown(fig)
    for i, axis in enumerate(axes):
        np.testing.assert_array_equal(axis.images[0].get_array(), x[i].reshape(drawn))
        assert axis.get_title() == f"Label: {i}"
    assert axes[0].get_subplotspec().get_geometry()[:2] == (2, 3)


def test_rgb_images_one_hot_labels_and_class_names():
    x = np.random.default_rng(2).random((3, 5, 5, 3))
    names = ["cat", "dog", "bird"]
    fig = plot_images(x, labels=np.eye(3)[[2, 0, 1]], class_names=names, ncols=2)
    axes = _shown(fig)
    assert [axis.get_title() for axis in axes] == ["Label: bird", "Label: cat", "Label: dog"]
    assert axes[0].images[0].get_array().shape == (5, 5, 3)
    assert axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)
    fig = plot_images(x, predicted=[1, 1, 1], max_images=2)
    assert [axis.get_title() for axis in _shown(fig)] == ["Predicted: 1"] * 2
    assert fig.get_suptitle() == "The first 2 of 3 images"


def test_image_bad_input():
    with pytest.raises(ValueError, match=r"not square.*shape=\(h, w\) with h \* w = 10"):
        plot_images(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"hold the 10 pixels.*shape=\(3, 3\)"):
        plot_images(np.zeros((2, 10)), shape=(3, 3))
    with pytest.raises(ValueError, match="1, 3 or 4 channels. Received: x of shape"):
        plot_images(np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"Received: x of shape \(4,\)"):
        plot_images(np.zeros(4))
    with pytest.raises(ValueError, match=r"one entry of `labels` per image \(2\). Received: 3"):
        plot_images(np.zeros((2, 4, 4)), labels=[1, 2, 3])


@pytest.mark.parametrize("one_hot", [False, True])
def test_misclassified_titles_are_the_model_predictions(digits, one_hot, save_png):
    model, x, y = digits
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    wrong = np.flatnonzero(predicted != y)
    assert len(wrong) >= 9  # the fixture's model must make mistakes for this test to mean much
    fig = plot_misclassified(model, x, to_categorical(y, 10) if one_hot else y, n=9)
    axes = _shown(fig)
    assert [axis.get_title() for axis in axes] == [
        f"Predicted: {predicted[i]}, Label: {y[i]}" for i in wrong[:9]
    ]
    for axis, i in zip(axes, wrong):
        np.testing.assert_array_equal(axis.images[0].get_array(), x[i].reshape(8, 8))
        assert axis.title.get_color() == "tab:red"
    assert fig.get_suptitle().startswith(f"Misclassified: {len(wrong)} of {len(x)} images")
    save_png(fig, "misclassified")


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
def test_misclassified_of_an_estimator_with_class_names(digits):
    from neuroflow.sklearn import MLPClassifier

    _, x, y = digits
    names = np.array([f"digit {k}" for k in range(10)])
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(x, names[y])
    predicted = clf.predict(x)
    wrong = np.flatnonzero(predicted != names[y])
    fig = plot_misclassified(clf, x, names[y], n=4)
    assert [axis.get_title() for axis in _shown(fig)] == [
        f"Predicted: {predicted[i]}, Label: {names[y][i]}" for i in wrong[:4]
    ]


def test_misclassified_sigmoid_output_and_no_mistakes():
    model = models.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    x = np.random.default_rng(3).normal(size=(30, 4)).astype("float32")
    p = model.predict(x, verbose=0).ravel()
    y = (p > 0.5).astype(int)
    y[[3, 7]] = 1 - y[[3, 7]]  # two mistakes, by construction
    fig = plot_misclassified(model, x, y, shape=(2, 2))
    assert [axis.get_title() for axis in _shown(fig)] == [
        f"Predicted: {1 - y[i]}, Label: {y[i]}" for i in (3, 7)
    ]
    fig = plot_misclassified(model, x, (p > 0.5).astype(int), shape=(2, 2))
    assert fig.get_suptitle() == "Misclassified: 0 of 30"
    assert fig.axes[0].texts[0].get_text() == "All 30 images are classified correctly"
    with pytest.raises(ValueError, match=r"one label in `y` per image in `x` \(30\)"):
        plot_misclassified(model, x, y[:5], shape=(2, 2))
    with pytest.raises(ValueError, match="n=0"):
        plot_misclassified(model, x, y, n=0)
