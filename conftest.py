"""The docstring examples of ``src/neuroflow`` run as tests (``pytest`` or ``pytest src``).

Only the library's modules are collected for examples, as ``--doctest-modules`` would do for
``src/neuroflow`` alone (that flag would also import every test file a second time).

- The ``neuroflow.keras`` alias modules replace themselves in ``sys.modules`` with the module they
  re-export; their examples are collected from that module, so the alias files are skipped.
- A module that imports an optional extra (scikit-learn, h5py, onnx, ...) at its top cannot be
  imported without it. Locally its examples are left out and the summary names them; in CI
  (``CI=true``) every extra is installed, so nothing is left out and an import error fails.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from _pytest.doctest import DoctestModule  # what --doctest-modules builds, stable since pytest 3

IN_CI = os.environ.get("CI") == "true"
SRC = Path(__file__).parent / "src" / "neuroflow"
_left_out: list[str] = []


def _missing_imports(path: Path) -> list[str]:
    """Top-level modules imported at the top of ``path`` that are not installed."""
    missing = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            root = name.split(".")[0]
            if root != "neuroflow" and importlib.util.find_spec(root) is None:
                missing.append(root)
    return missing


def pytest_ignore_collect(collection_path: Path, config):
    if collection_path.suffix != ".py" or SRC not in collection_path.parents:
        return None
    text = collection_path.read_text(encoding="utf-8")
    if "sys.modules[__name__] =" in text:
        return True
    missing = _missing_imports(collection_path)
    if missing and not IN_CI:
        _left_out.append(f"{collection_path.relative_to(SRC.parent)} (needs {', '.join(missing)})")
        return True
    return None


def pytest_collect_file(file_path: Path, parent):
    if parent.config.option.doctestmodules:
        return None  # pytest's own --doctest-modules collects them already
    if file_path.suffix == ".py" and SRC in file_path.parents and file_path.name != "__main__.py":
        return DoctestModule.from_parent(parent, path=file_path)
    return None


@pytest.fixture(autouse=True)
def _seeded_doctests(request):
    # examples that draw random numbers print the same thing on every run
    if isinstance(request.node, pytest.DoctestItem):
        import neuroflow as nf

        nf.backend.clear_session()
        nf.utils.set_random_seed(0)
    yield


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(
            "docstring examples not run (optional extra not installed): " + "; ".join(_left_out)
        )
