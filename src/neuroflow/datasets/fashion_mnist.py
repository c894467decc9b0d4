"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 uint8."""

from neuroflow.datasets import _sources


def load_data(path=None):
    """Loads Fashion-MNIST exactly as Keras returns it.

    Parameters
    ----------
    path : str or Path, optional
        A folder with the four IDX files (gzipped or not), or an ``.npz``. When omitted,
        the cache, Debian's ``dataset-fashion-mnist`` package and the public mirrors are
        tried in that order.

    Returns
    -------
    ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,).
    """
    return _sources.load(_sources.FASHION_MNIST, path)
