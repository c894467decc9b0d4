"""Helpers for the Keras guides run with neuroflow: real Keras for the summaries they print."""

import os

import pytest

import neuroflow as nf
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def real_keras():
    """Keras 3 with a fresh naming state (so layer names match ours); a comparison with it."""
    keras = peer("keras")
    keras.backend.clear_session()
    nf.backend.clear_session()
    return keras


def summary_lines(model, **kwargs) -> list[str]:
    """``model.summary()``'s lines without trailing spaces or blank lines."""
    lines = []
    model.summary(print_fn=lambda text, **kw: lines.extend(text.splitlines()), **kwargs)
    return [line.rstrip() for line in lines if line.strip()]


def build_both(build, keras):
    """``build(keras_module, layers_module)`` run with neuroflow's and with Keras's modules,
    each from a fresh naming state: ``(ours, theirs)``."""
    nf.backend.clear_session()
    ours = build(nf.keras, nf.keras.layers)
    keras.backend.clear_session()
    theirs = build(keras, keras.layers)
    return ours, theirs
