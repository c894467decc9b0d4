"""``keras.utils.np_utils`` (tf.keras 2's path, used by older code): re-exports only."""

from neuroflow.utils import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]
