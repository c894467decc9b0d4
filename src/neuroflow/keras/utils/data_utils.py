"""``keras.utils.data_utils`` (tf.keras 2's path, used by older code): re-exports only."""

from neuroflow.utils import PyDataset, Sequence
from neuroflow.utils.downloads import extract_archive, get_file, hash_file, validate_file

__all__ = ["PyDataset", "Sequence", "extract_archive", "get_file", "hash_file", "validate_file"]
