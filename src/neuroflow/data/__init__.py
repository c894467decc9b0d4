"""``tf.data``: input pipelines in NumPy (``Dataset``), what courses feed to ``fit``.

>>> import neuroflow as tf
>>> ds = tf.data.Dataset.from_tensor_slices(([1.0, 2.0, 3.0], [0, 1, 0])).batch(2)
>>> [x.shape[0] for x, y in ds.prefetch(tf.data.AUTOTUNE)]
[2, 1]
"""

from neuroflow.data import experimental
from neuroflow.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    DatasetSpec,
    Iterator,
    NumpyIterator,
)
from neuroflow.data.structure import TensorSpec

__all__ = [
    "AUTOTUNE", "Dataset", "DatasetSpec", "INFINITE_CARDINALITY", "Iterator", "NumpyIterator",
    "TensorSpec",
    "UNKNOWN_CARDINALITY", "experimental",
]  # fmt: skip
