"""scripts/gallery.py renders every picture of neuroflow.viz (quick mode: tiny data, few epochs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from neuroflow import viz
from tests.conftest import load_real

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gallery.py"


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)  # fmt: skip


@pytest.mark.slow
def test_gallery_renders_every_picture(tmp_path):
    load_real("mnist")  # the pictures are drawn from MNIST: skipped (failed in CI) without it
    result = _run("--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(viz._WHERE)
    assert len(names) == 15
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == names
    for name in names:
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000, name
    assert "15/15 pictures" in result.stdout


def test_gallery_only_and_bad_names(tmp_path):
    result = _run("--quick", "--out", str(tmp_path), "--only", "draw_graph,plot_activations")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draw_graph.png", "plot_activations.png"]
    result = _run("--out", str(tmp_path), "--only", "plot_everything")
    assert result.returncode == 2 and "unknown picture(s) ['plot_everything']" in result.stderr
