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

import importlib
import os
from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule  # what --doctest-modules builds, stable since pytest 3

IN_CI = os.environ.get("CI") == "true"
# Every test runs on a fixed BLAS thread count: the automatic count follows the machine's
# load, and products on a different count round differently, so two seeded trainings in
# one run could differ in their last bits (tests/test_threads.py unsets it where it tests
# the automatic choice).
os.environ.setdefault("NEUROFLOW_NUM_THREADS", str(min(2, os.cpu_count() or 1)))
SRC = Path(__file__).parent / "src" / "neuroflow"
_left_out: list[str] = []


def _missing_extra(path: Path) -> str | None:
    """The optional library that importing the module at ``path`` lacks, directly or through
    another neuroflow module (``neuroflow.sklearn`` needs scikit-learn), if any."""
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        root = (exc.name or "").split(".")[0]
        if root and root != "neuroflow":
            return root
        raise
    return None


def pytest_ignore_collect(collection_path: Path, config):
    if collection_path.suffix != ".py" or SRC not in collection_path.parents:
        return None
    if collection_path.name == "__main__.py":
        return True  # importing it runs the command line
    text = collection_path.read_text(encoding="utf-8")
    if "sys.modules[__name__] =" in text:
        return True
    if IN_CI:
        return None  # every extra is installed in CI: an import error there is a failure
    missing = _missing_extra(collection_path)
    if missing:
        _left_out.append(f"{collection_path.relative_to(SRC.parent)} (needs {missing})")
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # an example that imports an extra inside the function it shows (export_onnx needs onnx):
    # outside CI a skip that names the extra, like a module left out above
    report = yield
    if IN_CI or call.excinfo is None or not isinstance(item, pytest.DoctestItem):
        return report
    exc = getattr(call.excinfo.value, "exc_info", (None, None, None))[1]
    while exc is not None and not isinstance(exc, ModuleNotFoundError):
        exc = exc.__cause__ or exc.__context__  # the library re-raises with install advice
    root = (getattr(exc, "name", None) or "").split(".")[0]
    if root and root != "neuroflow":
        report.outcome = "skipped"
        reason = f"Skipped: docstring example needs {root}, which is not installed"
        report.longrepr = (str(item.path), item.reportinfo()[1] or 0, reason)
    return report


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_line(
            "docstring examples not run (optional extra not installed): " + "; ".join(_left_out)
        )
