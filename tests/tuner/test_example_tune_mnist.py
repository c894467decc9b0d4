"""examples/tune_mnist.py --quick runs and prints its comparison table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_mnist.py"


@pytest.mark.slow
def test_tune_mnist_quick(tmp_path):
    env = {**os.environ, "NEUROFLOW_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick", "--directory", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "seed 000 (128, 0.2, 1e-3)" in out
    assert "RandomSearch best (" in out and "Hyperband best (" in out
    assert (tmp_path / "random" / "oracle.json").is_file()
    assert (tmp_path / "hyperband" / "oracle.json").is_file()
    rows = [line for line in out.splitlines() if " best (" in line or line.startswith("seed")]
    for row in rows:  # accuracies are real numbers between chance and 1
        val_acc = float(row.split()[-4])
        assert 0.2 < val_acc <= 1.0
