"""``keras.preprocessing`` (tf.keras's path for ``sequence.pad_sequences``): re-exports only."""

from neuroflow.keras.preprocessing import sequence
from neuroflow.utils.timeseries import timeseries_dataset_from_array

__all__ = ["sequence", "timeseries_dataset_from_array"]
