"""Shared fixtures: the peer libraries, real datasets, and a clean naming state per test.

Peers are the real libraries neuroflow is compared with: PyTorch, TensorFlow-Keras,
scikit-learn, neat-python and KerasTuner. A comparison with a missing peer must never vanish
silently:

- in CI (``CI=true``) a missing peer fails the run: at the start (one clear message) and in
  every test that needs it;
- elsewhere a test that needs a missing peer is skipped with the reason shown (``-ra``).

A test declares its peer with the ``peer(name)`` marker (``requires_torch``, ``requires_keras``,
``requires_sklearn`` are spellings of it) or by calling :func:`peer` inside the test. Every
passed test that used a peer is counted, and the end of the run prints
"peer comparisons executed: torch N, keras M, sklearn K".
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

import numpy as np
import pytest

import neuroflow as nf

IN_CI = os.environ.get("CI") == "true"

# the modules that must be importable for each peer
PEER_MODULES = {
    "torch": ("torch",),
    "keras": ("tensorflow", "keras"),
    "sklearn": ("sklearn",),
    "neat": ("neat",),
    "kerastuner": ("keras_tuner",),
}


def _installed(name: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in PEER_MODULES[name])


PEERS_INSTALLED = {name: _installed(name) for name in PEER_MODULES}
HAS_TORCH = PEERS_INSTALLED["torch"]
HAS_TF = PEERS_INSTALLED["keras"]
HAS_SKLEARN = PEERS_INSTALLED["sklearn"]

# peers used by the test running now, and passed tests per peer over the session
_used_now: set[str] = set()
PEER_COUNTS = dict.fromkeys(PEER_MODULES, 0)


def _missing(name: str) -> None:
    """Fails (CI) or skips (elsewhere) the current test, naming the missing peer."""
    modules = " and ".join(PEER_MODULES[name])
    reason = f"peer {name!r} is not installed ({modules}): its comparison did not run"
    if IN_CI:
        pytest.fail(f"{reason}; in CI (CI=true) every peer must be installed", pytrace=False)
    pytest.skip(reason)


def peer(name: str) -> ModuleType:
    """The peer library ``name`` (a key of :data:`PEER_MODULES`) for a comparison.

    Counts the current test as one comparison with that peer when it passes; fails the test in
    CI and skips it elsewhere when the peer is not installed.
    """
    if name not in PEER_MODULES:
        raise ValueError(f"Unknown peer: name={name!r}; expected one of {sorted(PEER_MODULES)}")
    if not PEERS_INSTALLED[name]:
        _missing(name)
    _used_now.add(name)
    return importlib.import_module(PEER_MODULES[name][-1])


requires_torch = pytest.mark.peer("torch")
requires_keras = pytest.mark.peer("keras")
requires_sklearn = pytest.mark.peer("sklearn")


def pytest_sessionstart(session):
    missing = [name for name, ok in PEERS_INSTALLED.items() if not ok]
    if IN_CI and missing:
        pytest.exit(
            f"CI=true but these peers are not installed: {', '.join(missing)} "
            f"(modules {[m for n in missing for m in PEER_MODULES[n]]}); "
            "their comparisons would not run. Install them (scripts/test.sh does).",
            returncode=1,
        )


def _module_peers(module: ModuleType | None) -> set[str]:
    """Peers a test module imported at its top (tests of other files use importorskip)."""
    found = set()
    for value in vars(module).values() if module is not None else ():
        if isinstance(value, ModuleType):
            origin = value.__name__
        else:  # a class or function imported from it
            origin = getattr(value, "__module__", "") if callable(value) else ""
        root = str(origin or "").split(".")[0]
        for name, modules in PEER_MODULES.items():
            if root in modules:
                found.add(name)
    return found


def pytest_collection_modifyitems(config, items):
    # A module that imports a peer at its top compares with it in every test: mark them so
    # they are counted like the tests that carry the marker themselves.
    for item in items:
        for name in _module_peers(getattr(item, "module", None)):
            if not any(m.args == (name,) for m in item.iter_markers("peer")):
                item.add_marker(pytest.mark.peer(name))


def pytest_runtest_setup(item):
    _used_now.clear()
    for marker in item.iter_markers("peer"):
        (name,) = marker.args
        peer(name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        if report.passed:
            for name in _used_now:
                PEER_COUNTS[name] += 1
        _used_now.clear()
    return report


def pytest_terminal_summary(terminalreporter):
    counts = ", ".join(f"{name} {count}" for name, count in PEER_COUNTS.items())
    terminalreporter.write_line(f"peer comparisons executed: {counts}")
    missing = [name for name, ok in PEERS_INSTALLED.items() if not ok]
    if missing:
        terminalreporter.write_line(f"peers not installed (their comparisons skipped): {missing}")


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
