"""``keras.preprocessing`` (tf.keras's path for ``sequence.pad_sequences``): re-exports only."""

from neuroflow.keras.preprocessing import sequence

__all__ = ["sequence"]
