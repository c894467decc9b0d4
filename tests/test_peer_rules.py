"""The rules of tests/conftest.py for peers, checked by running pytest with torch hidden."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HAS_TORCH

ROOT = Path(__file__).resolve().parents[1]
# A torch comparison through the ops harness, and one through the requires_torch marker.
TARGETS = [
    "tests/ops/test_nn.py::test_dense",
    "tests/test_optimizers.py::test_sgd_momentum_matches_torch_over_steps",
]


def run_pytest(hide_torch: bool, ci: bool):
    """pytest on TARGETS in a fresh process; ``hide_torch`` makes ``import torch`` fail there."""
    hide = "sys.modules['torch'] = None; " if hide_torch else ""
    code = f"import sys; {hide}import pytest; sys.exit(pytest.main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-c", code, "-q", "-ra", "-p", "no:cacheprovider", *TARGETS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_missing_peer_fails_the_run_in_ci():
    result = run_pytest(hide_torch=True, ci=True)
    assert result.returncode != 0, result.stdout
    assert "CI=true but these peers are not installed: torch" in result.stdout + result.stderr


def test_a_missing_peer_skips_visibly_elsewhere():
    result = run_pytest(hide_torch=True, ci=False)
    assert result.returncode == 0, result.stdout
    assert "SKIPPED" in result.stdout and "peer 'torch' is not installed" in result.stdout
    assert "peer comparisons executed: torch 0," in result.stdout


@pytest.mark.skipif(not HAS_TORCH, reason="counts torch comparisons, which need torch")
def test_executed_comparisons_are_counted():
    result = run_pytest(hide_torch=False, ci=False)
    assert result.returncode == 0, result.stdout
    # test_dense's two parametrizations and the marked optimizer test
    assert "peer comparisons executed: torch 3," in result.stdout
