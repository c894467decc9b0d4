import gzip
import hashlib

import numpy as np
import pytest

from neuroflow.datasets import _idx, _sources, fashion_mnist, mnist
from tests.conftest import load_real


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny_spec(tmp_path):
    """A DatasetSpec over small fake files, with their real hashes."""
    rng = np.random.default_rng(0)
    parts = {
        "x_train": rng.integers(0, 256, (5, 28, 28)),
        "y_train": rng.integers(0, 10, 5),
        "x_test": rng.integers(0, 256, (3, 28, 28)),
        "y_test": rng.integers(0, 10, 3),
    }
    raw = {k: idx_bytes(v) for k, v in parts.items()}
    spec = _sources.DatasetSpec(
        name="tiny",
        sha256={k: hashlib.sha256(b).hexdigest() for k, b in raw.items()},
        mirrors=(),
        fix_commands=("do the thing",),
    )
    return spec, parts, raw


def test_decode_idx_round_trip_and_errors():
    a = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    np.testing.assert_array_equal(_idx.decode_idx(idx_bytes(a), "x"), a)
    with pytest.raises(ValueError, match="truncated"):
        _idx.decode_idx(idx_bytes(a)[:-10], "x")
    with pytest.raises(ValueError, match="magic"):
        _idx.decode_idx(b"\x00\x00\x09\x99" + b"\x00" * 8, "x")


def test_load_from_folder_gz_or_raw(tmp_path, tiny_spec):
    spec, parts, raw = tiny_spec
    for i, (part, data) in enumerate(raw.items()):
        name = _sources.FILENAMES[part]
        if i % 2:
            (tmp_path / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (tmp_path / name).write_bytes(data)
    (x_train, y_train), (x_test, y_test) = _sources.load(spec, tmp_path)
    assert x_train.dtype == np.uint8 and x_train.shape == (5, 28, 28)
    np.testing.assert_array_equal(y_test, parts["y_test"])


def test_corrupted_file_fails_hash_check(tmp_path, tiny_spec):
    spec, parts, raw = tiny_spec
    for part, data in raw.items():
        (tmp_path / _sources.FILENAMES[part]).write_bytes(data)
    bad = bytearray(raw["x_test"])
    bad[-1] ^= 0xFF
    (tmp_path / _sources.FILENAMES["x_test"]).write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="SHA-256"):
        _sources.load(spec, tmp_path)


def test_npz_path(tmp_path):
    arrays = {k: np.zeros((2, 2), np.uint8) for k in _sources.PARTS}
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x_train, _), _ = mnist.load_data(path=tmp_path / "mnist.npz")
    assert x_train.shape == (2, 2)
    with pytest.raises(FileNotFoundError):
        mnist.load_data(path=tmp_path / "missing.npz")


def test_offline_with_nothing_found_names_the_fixes(tmp_path, monkeypatch, tiny_spec):
    spec, _, _ = tiny_spec
    monkeypatch.setenv("NEUROFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("NEUROFLOW_OFFLINE", "1")
    with pytest.raises(
        FileNotFoundError, match="(?s)Could not find the tiny dataset.*do the thing"
    ):
        _sources.load(spec)


def test_cache_is_searched_first(tmp_path, monkeypatch, tiny_spec):
    spec, _, raw = tiny_spec
    monkeypatch.setenv("NEUROFLOW_HOME", str(tmp_path))
    cache = tmp_path / "datasets" / "tiny"
    cache.mkdir(parents=True)
    for part, data in raw.items():
        (cache / _sources.FILENAMES[part]).write_bytes(data)
    assert _sources.local_sources(spec)[0] == cache
    (x_train, _), _ = _sources.load(spec)
    assert x_train.shape == (5, 28, 28)


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")

    def boom(*args):
        raise OSError("disk full")

    from neuroflow.utils import files

    monkeypatch.setattr(files.os, "fsync", boom)
    with pytest.raises(OSError):
        files.atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_write_gives_the_permissions_a_plain_write_gives(tmp_path):
    import os
    import stat

    from neuroflow.utils import files

    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.png"
        files.atomic_write_bytes(fresh, b"picture")  # not mkstemp's private 0600
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.bin"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        files.atomic_write_bytes(kept, b"new")  # a replaced file keeps its permissions
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(umask)


def test_real_mnist_matches_keras_shapes():
    (x_train, y_train), (x_test, y_test) = load_real("mnist")
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first digits


def test_real_fashion_mnist_matches_keras_shapes():
    (x_train, y_train), (x_test, y_test) = load_real("fashion_mnist")
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert sorted(np.unique(y_train).tolist()) == list(range(10))
    assert y_train[0] == 9  # the first training image is an ankle boot


def test_each_module_loads_its_own_dataset(tmp_path, monkeypatch, tiny_spec):
    # fashion_mnist.load_data checks Fashion-MNIST's hashes, mnist.load_data MNIST's
    spec, parts, raw = tiny_spec
    for part, data in raw.items():
        (tmp_path / _sources.FILENAMES[part]).write_bytes(data)
    monkeypatch.setattr(_sources, "FASHION_MNIST", spec)
    (x_train, _), _ = fashion_mnist.load_data(path=tmp_path)
    np.testing.assert_array_equal(x_train, parts["x_train"])
    with pytest.raises(ValueError, match="expected mnist x_train data"):
        mnist.load_data(path=tmp_path)
