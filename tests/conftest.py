"""Shared fixtures: the optional peers, real datasets, and a clean naming state per test."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import neuroflow as nf

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_TF = importlib.util.find_spec("tensorflow") is not None
IN_CI = os.environ.get("CI") == "true"

requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
requires_keras = pytest.mark.skipif(not HAS_TF, reason="TensorFlow/Keras is not installed")


@pytest.fixture(autouse=True)
def _fresh_state():
    nf.backend.clear_session()
    nf.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def load_real(name: str):
    """The real dataset; in CI a missing dataset is a failure, elsewhere a skip."""
    module = getattr(nf.datasets, name)
    try:
        return module.load_data()
    except FileNotFoundError as exc:
        if IN_CI:
            raise
        pytest.skip(f"{name} is not available here: {exc}")
