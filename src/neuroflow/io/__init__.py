"""Saving and loading: neuroflow's safe zip format (``native``)."""

from neuroflow.io.native import FormatError, load_model, load_weights, save_model, save_weights

__all__ = ["FormatError", "load_model", "load_weights", "save_model", "save_weights"]
