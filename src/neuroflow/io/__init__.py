"""Saving and loading: neuroflow's safe zip format (``native``), Keras files
(``keras_files``, via h5py) and ONNX export (``onnx_export``, via onnx)."""

from neuroflow.io.native import FormatError, load_model, load_weights, save_model, save_weights


def export_onnx(model, path) -> None:
    """Writes ``model`` as ONNX (see :func:`neuroflow.io.onnx_export.export_onnx`)."""
    from neuroflow.io.onnx_export import export_onnx as _export

    _export(model, path)


__all__ = ["FormatError", "export_onnx", "load_model", "load_weights", "save_model", "save_weights"]
