"""``tf.data.experimental``: the names courses still reach there (re-exports only)."""

from neuroflow.data.dataset import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]


def cardinality(dataset):
    """``dataset.cardinality()`` (TensorFlow's older spelling)."""
    return dataset.cardinality()
