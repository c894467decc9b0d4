"""Headless pictures for every test in tests/viz: the Agg backend, figures closed after each
test, and ``save_png`` to check that a figure renders to a real PNG."""

from __future__ import annotations

import sys

import pytest

try:
    import matplotlib
except ImportError:  # the viz extra is missing: the tests that draw skip or fail on their own
    matplotlib = None
else:
    matplotlib.use("Agg")  # no display needed, and no window ever opens


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if matplotlib is not None and "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close("all")


@pytest.fixture
def save_png(tmp_path):
    """Saves a figure to a PNG under tmp_path and checks it is a non-blank image.

    Returns the path. Usage: ``save_png(fig)`` or ``save_png(fig, "name")``.
    """
    count = [0]

    def save(fig, name=None):
        import matplotlib.image as mpimg
        import numpy as np

        count[0] += 1
        path = tmp_path / f"{name or 'figure'}_{count[0]}.png"
        fig.savefig(path, dpi=50)
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, f"{path}: not a PNG"
        pixels = mpimg.imread(path)
        assert float(np.ptp(pixels[..., :3])) > 0, f"{path}: a blank image"
        return path

    return save
