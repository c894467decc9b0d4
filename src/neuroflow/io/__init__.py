"""Saving and loading. :mod:`~neuroflow.io.saving` picks the format from the file name as
Keras 3 does: Keras's ``.keras`` and ``.h5`` (written by ``keras_writer``, read by
``keras_files``, via h5py), neuroflow's own safe zip format (``native``, ``.neuroflow``), and
ONNX export (``onnx_export``, via onnx)."""

from neuroflow.io.native import FormatError
from neuroflow.io.saving import load_model, load_weights, save_model, save_weights


def export_onnx(model, path) -> None:
    """Writes ``model`` as ONNX (see :func:`neuroflow.io.onnx_export.export_onnx`)."""
    from neuroflow.io.onnx_export import export_onnx as _export

    _export(model, path)


__all__ = ["FormatError", "export_onnx", "load_model", "load_weights", "save_model", "save_weights"]
