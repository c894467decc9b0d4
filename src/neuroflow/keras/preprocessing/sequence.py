"""``keras.preprocessing.sequence``: re-exports only."""

from neuroflow.utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
