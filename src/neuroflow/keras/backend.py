"""Keras-compatible re-export of :mod:`neuroflow.backend` (no logic here)."""

from neuroflow.backend import clear_session, epsilon, floatx, set_random_seed  # noqa: F401
