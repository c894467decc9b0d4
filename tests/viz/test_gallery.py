"""scripts/gallery.py renders every picture of neuroflow.viz (quick mode: tiny data, few epochs)."""

from __future__ import annotations

import importlib.util
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


def _gallery():
    spec = importlib.util.spec_from_file_location("gallery", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_only_and_bad_names(tmp_path, capsys):
    gallery = _gallery()
    assert sorted(gallery.PICTURES) == sorted(viz._WHERE)  # one renderer per public name
    assert gallery.main(["--quick", "--out", str(tmp_path), "--only", "draw_graph,plot_model"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draw_graph.png", "plot_model.png"]
    with pytest.raises(SystemExit) as exit_:
        gallery.main(["--out", str(tmp_path), "--only", "plot_everything"])
    assert exit_.value.code == 2
    assert "unknown picture(s) ['plot_everything']" in capsys.readouterr().err


def test_gallery_reports_a_missing_function_and_goes_on(tmp_path, monkeypatch, capsys):
    gallery = _gallery()
    monkeypatch.setitem(viz._WHERE, "plot_future", "future_module")
    monkeypatch.setitem(gallery.PICTURES, "plot_future", lambda ctx: None)
    assert gallery.render(["plot_future", "draw_graph"], tmp_path, quick=True) == 1
    out = capsys.readouterr().out
    assert "plot_future" in out and "SKIPPED" in out and "neuroflow.viz.future_module" in out
    assert (tmp_path / "draw_graph.png").stat().st_size > 0
