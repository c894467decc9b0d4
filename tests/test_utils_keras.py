"""``keras.utils``: get_file (against a local HTTP server on 127.0.0.1 and file:// URLs, never
the internet), pad_sequences, split_dataset, set_random_seed, to_categorical and normalize,
compared with real Keras 3 where it is installed (``requires_keras``)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import socket
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

import neuroflow as nf
from neuroflow.keras import utils
from neuroflow.utils import downloads
from tests.conftest import requires_keras
from tests.test_datasets_download import LocalMirror, local_network_only

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


# --- get_file ------------------------------------------------------------------------------


@pytest.fixture
def home(monkeypatch, tmp_path):
    """``NEUROFLOW_HOME`` in a fresh folder; no connection beyond 127.0.0.1, no proxies."""
    local_network_only(monkeypatch)
    monkeypatch.setenv("NEUROFLOW_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def server(home):
    mirror = LocalMirror().start()
    mirror.watch = home / "datasets"
    yield mirror
    mirror.stop()
    assert not mirror.thread.is_alive()


def url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.server.server_address[1]}{path}"


PAYLOAD = bytes(range(256)) * 600  # 153,600 bytes: several reads of the body
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()  # noqa: S324


def cache_files(home: Path) -> list[str]:
    folder = home / "datasets"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_download_lands_in_the_cache_with_keras_messages(server, home, capsys):
    server.files["/data/model.h5"] = PAYLOAD
    path = utils.get_file(origin=url(server, "/data/model.h5"))
    assert path == str(home / "datasets" / "model.h5")
    assert isinstance(path, str)
    assert Path(path).read_bytes() == PAYLOAD
    out = capsys.readouterr().out
    assert out.startswith(f"Downloading data from {url(server, '/data/model.h5')}\n")
    assert f"{len(PAYLOAD)}/{len(PAYLOAD)}" in out  # Keras's byte counter
    # while the body was half sent, only a temporary file existed: the target appears whole
    assert "model.h5" not in server.seen_mid_body["/data/model.h5"]
    assert cache_files(home) == ["model.h5"]


def test_cached_file_is_not_downloaded_again_unless_forced(server, home):
    server.files["/f.bin"] = PAYLOAD
    first = utils.get_file("f.bin", url(server, "/f.bin"), file_hash=SHA)
    assert utils.get_file("f.bin", url(server, "/f.bin"), file_hash=SHA) == first
    assert server.requests == ["/f.bin"]
    utils.get_file("f.bin", url(server, "/f.bin"), force_download=True)
    assert server.requests == ["/f.bin", "/f.bin"]


def test_seed_004_import_path_and_cache_subdir(server, home):
    from neuroflow.keras.utils.data_utils import get_file

    assert get_file is utils.get_file is nf.keras.utils.data_utils.get_file
    server.files["/x/mnist_simple.h5"] = PAYLOAD
    path = get_file(origin=url(server, "/x/mnist_simple.h5"), cache_subdir="models")
    assert path == str(home / "models" / "mnist_simple.h5")


def test_hash_mismatch_raises_and_keeps_nothing(server, home):
    server.files["/f.bin"] = PAYLOAD
    with pytest.raises(ValueError, match=r"sha256 file hash .* does not match .* 0{64}"):
        utils.get_file("f.bin", url(server, "/f.bin"), file_hash="0" * 64)
    assert cache_files(home) == []  # neither the file nor a temporary one
    with pytest.raises(ValueError, match=r"md5 file hash .* does not match"):
        utils.get_file("f.bin", url(server, "/f.bin"), md5_hash="0" * 32)
    assert cache_files(home) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"file_hash": SHA},
        {"file_hash": SHA.upper(), "hash_algorithm": "sha256"},
        {"file_hash": MD5},  # "auto": 32 digits means MD5
        {"md5_hash": MD5},
    ],
)
def test_matching_hashes_are_accepted(server, home, kwargs):
    server.files["/f.bin"] = PAYLOAD
    path = utils.get_file("f.bin", url(server, "/f.bin"), **kwargs)
    assert Path(path).read_bytes() == PAYLOAD


def test_stale_cached_file_is_downloaded_again(server, home, capsys):
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "f.bin").write_bytes(b"old")
    server.files["/f.bin"] = PAYLOAD
    path = utils.get_file("f.bin", url(server, "/f.bin"), file_hash=SHA)
    assert Path(path).read_bytes() == PAYLOAD
    assert "hash does not match the original value" in capsys.readouterr().out
    # a stale file whose new download is bad too is not left behind
    (home / "datasets" / "g.bin").write_bytes(b"old")
    server.files["/g.bin"] = b"also wrong"
    with pytest.raises(ValueError, match="does not match"):
        utils.get_file("g.bin", url(server, "/g.bin"), file_hash=SHA)
    assert cache_files(home) == ["f.bin"]


def test_truncated_body_and_http_errors_leave_no_file(server, home):
    server.files["/cut.bin"] = PAYLOAD
    server.faults["/cut.bin"] = "truncate"
    with pytest.raises(OSError, match=r"cut.bin: the download stopped after \d+ of 153600"):
        utils.get_file(origin=url(server, "/cut.bin"))
    with pytest.raises(OSError, match=r"URL fetch failure on .*/missing.bin: 404"):
        utils.get_file(origin=url(server, "/missing.bin"))
    server.files["/err.bin"] = PAYLOAD
    server.faults["/err.bin"] = "error"
    with pytest.raises(OSError, match=r"err.bin: 500"):
        utils.get_file(origin=url(server, "/err.bin"))
    assert cache_files(home) == []


def test_offline_error_names_the_url_and_the_remedy(home, monkeypatch):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    origin = "https://example.com/data/func_0.h5"
    with pytest.raises(ConnectionError) as info:
        utils.get_file(origin=origin)
    message = str(info.value)
    assert origin in message and "'example.com' could not be resolved" in message
    assert "offline" in message and str(home / "datasets" / "func_0.h5") in message
    assert cache_files(home) == []


def test_neuroflow_offline_refuses_downloads_without_trying(home, monkeypatch):
    monkeypatch.setenv("NEUROFLOW_OFFLINE", "1")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("network used"))
    with pytest.raises(ConnectionError, match=r"http://example.com/a.h5.*NEUROFLOW_OFFLINE=1"):
        utils.get_file(origin="http://example.com/a.h5")


def test_unreachable_server_is_a_connection_error(home):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError, match=rf"127.0.0.1:{port}/a.h5.*could not be reached"):
        utils.get_file(origin=f"http://127.0.0.1:{port}/a.h5")


def test_file_urls_and_local_paths(home, tmp_path):
    source = tmp_path / "src" / "weights.h5"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    path = utils.get_file(origin=source.as_uri(), file_hash=SHA)
    assert path == str(home / "datasets" / "weights.h5")
    assert Path(path).read_bytes() == PAYLOAD
    path = utils.get_file("copy.h5", origin=str(source), cache_dir=tmp_path / "c")
    assert path == str(tmp_path / "c" / "datasets" / "copy.h5")
    assert Path(path).read_bytes() == PAYLOAD
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        utils.get_file(origin=str(tmp_path / "nope.h5"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, r'"origin" argument.*origin=None'),
        ({"origin": "file:///tmp/a", "fname": "sub/a"}, ValueError, r"fname=sub/a"),
        ({"origin": "http://127.0.0.1/"}, ValueError, r"file name from the origin"),
        ({"origin": "/tmp/a", "hash_algorithm": "sha1"}, ValueError, r"hash_algorithm='sha1'"),
        ({"origin": 3}, TypeError, r"origin=3"),
        ({"origin": "/tmp/a", "extract": True, "archive_format": "rar"}, ValueError, "'rar'"),
    ],
)
def test_bad_arguments(home, kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.get_file(**kwargs)


def make_archives(folder: Path) -> dict[str, Path]:
    """The same two files as .tar, .tar.gz and .zip."""
    members = {"pkg/a.txt": b"alpha", "pkg/sub/b.txt": b"beta"}
    paths = {}
    for name, mode in (("data.tar", "w"), ("data.tar.gz", "w:gz")):
        paths[name] = folder / name
        with tarfile.open(paths[name], mode) as tar:
            for member, data in members.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    paths["data.zip"] = folder / "data.zip"
    with zipfile.ZipFile(paths["data.zip"], "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    return paths


def tree(folder) -> dict[str, bytes]:
    root = Path(folder)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["data.tar", "data.tar.gz", "data.zip"])
@pytest.mark.parametrize("fname", [None, "data", "archive.bin"])
def test_extract_returns_the_folder_keras_returns(home, tmp_path, name, fname):
    source = make_archives(tmp_path)[name]
    path = utils.get_file(fname, origin=source.as_uri(), extract=True)
    datadir = home / "datasets"
    if fname is None:  # Keras 3.15: <name> is the folder, the archive kept as <name>_archive
        assert path == str(datadir / name)
        assert (datadir / f"{name}_archive").is_file()
    elif fname == "data":
        assert path == str(datadir / "data")
        assert (datadir / "data_archive").is_file()
    else:
        assert path == str(datadir / "archive_extracted")
        assert (datadir / "archive.bin").is_file()
    assert tree(path) == {"pkg/a.txt": b"alpha", "pkg/sub/b.txt": b"beta"}
    # a second call finds everything in the cache and returns the same folder
    assert utils.get_file(fname, origin=source.as_uri(), extract=True) == path
    assert not [p for p in datadir.iterdir() if p.name.endswith(".part")]


def test_untar_and_a_non_archive(home, tmp_path):
    source = make_archives(tmp_path)["data.tar.gz"]
    path = utils.get_file("d", origin=source.as_uri(), untar=True)
    assert tree(path)["pkg/a.txt"] == b"alpha"
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"not an archive")
    with pytest.warns(UserWarning, match="Could not extract archive"):
        utils.get_file(origin=plain.as_uri(), extract=True)


def evil_tar(path: Path, member: str, link: str | None = None) -> Path:
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo(member)
        if link is None:
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        else:
            info.type, info.linkname = tarfile.SYMTYPE, link
            tar.addfile(info)
        ok = tarfile.TarInfo("fine.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
    return path


@pytest.mark.parametrize(
    ("member", "link"),
    [
        ("../escaped.txt", None),
        ("pkg/../../escaped.txt", None),
        ("/tmp/escaped_absolute.txt", None),
        ("pkg/link", "../../../escaped.txt"),
        ("pkg/link", "/etc/passwd"),
    ],
)
def test_unsafe_tar_members_are_refused(home, tmp_path, member, link):
    source = evil_tar(tmp_path / "evil.tar", member, link)
    with pytest.raises(ValueError, match=r"unsafe.*Nothing was extracted"):
        utils.get_file(origin=source.as_uri(), extract=True)
    datadir = home / "datasets"
    assert sorted(p.name for p in datadir.iterdir()) == ["evil.tar_archive"]
    assert not (home / "escaped.txt").exists() and not (datadir.parent / "escaped.txt").exists()


def test_unsafe_zip_members_are_refused(home, tmp_path):
    source = tmp_path / "evil.zip"
    with zipfile.ZipFile(source, "w") as z:
        z.writestr("fine.txt", b"ok")
        z.writestr("../../escaped.txt", b"evil")
    with pytest.raises(ValueError, match=r"'../../escaped.txt' is unsafe"):
        utils.get_file("evil", origin=source.as_uri(), extract=True)
    assert sorted(p.name for p in (home / "datasets").iterdir()) == ["evil_archive"]


@requires_keras
@pytest.mark.parametrize("name", ["data.tar.gz", "data.zip"])
@pytest.mark.parametrize("fname", [None, "data", "archive.bin"])
@pytest.mark.parametrize("extract", [False, True])
def test_paths_and_contents_match_keras(keras, home, tmp_path, name, fname, extract):
    source = make_archives(tmp_path)[name]
    k_cache = tmp_path / "keras_cache"
    k_cache.mkdir()  # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    theirs = keras.utils.get_file(fname, origin=source.as_uri(), extract=extract, cache_dir=k_cache)
    ours = utils.get_file(fname, origin=source.as_uri(), extract=extract)
    assert Path(ours).relative_to(home) == Path(theirs).relative_to(k_cache)
    assert tree(home) == tree(k_cache)


# --- pad_sequences ---------------------------------------------------------------------------


def test_pad_sequences_keras_doc_examples():
    seqs = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(
        utils.pad_sequences(seqs, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]
    )
    out = utils.pad_sequences(seqs, maxlen=2)
    np.testing.assert_array_equal(out, [[0, 1], [2, 3], [5, 6]])
    assert out.dtype == np.int32
    from neuroflow.keras.preprocessing.sequence import pad_sequences

    assert pad_sequences is utils.pad_sequences
    assert nf.keras.preprocessing.sequence.pad_sequences is utils.pad_sequences


def random_cases(rng, n=60):
    for _ in range(n):
        item = () if rng.random() < 0.7 else (int(rng.integers(1, 4)),)
        seqs = [
            rng.integers(-50, 50, size=(int(rng.integers(0, 9)),) + item).tolist()
            for _ in range(int(rng.integers(1, 7)))
        ]
        if all(len(s) == 0 for s in seqs):
            seqs[0] = rng.integers(-50, 50, size=(3,) + item).tolist()
        kwargs = {
            "maxlen": None if rng.random() < 0.4 else int(rng.integers(1, 10)),
            "padding": str(rng.choice(["pre", "post"])),
            "truncating": str(rng.choice(["pre", "post"])),
            "dtype": str(rng.choice(["int32", "float32", "int64", "float64"])),
            "value": float(rng.choice([0.0, -1.0, 2.5])),
        }
        yield seqs, kwargs


@requires_keras
def test_pad_sequences_matches_keras_on_random_cases(keras):
    rng = np.random.default_rng(10)
    for seqs, kwargs in random_cases(rng):
        expected = keras.utils.pad_sequences(seqs, **kwargs)
        got = utils.pad_sequences(seqs, **kwargs)
        assert got.dtype == expected.dtype, kwargs
        np.testing.assert_array_equal(got, expected, err_msg=str((seqs, kwargs)))
        arrays = [np.asarray(s, dtype=np.float32) for s in seqs]
        np.testing.assert_array_equal(
            utils.pad_sequences(arrays, **kwargs), keras.utils.pad_sequences(arrays, **kwargs)
        )


@requires_keras
def test_pad_sequences_strings_match_keras(keras):
    seqs = [["a", "bb"], ["ccc"], []]
    for kwargs in ({"dtype": object, "value": "<pad>"}, {"dtype": "<U5", "value": "-"}):
        np.testing.assert_array_equal(
            utils.pad_sequences(seqs, **kwargs), keras.utils.pad_sequences(seqs, **kwargs)
        )


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1]],), {"padding": "middle"}, r"`padding`.*padding='middle'"),
        (([[1]],), {"truncating": "both"}, r"`truncating`.*truncating='both'"),
        (([[1]],), {"maxlen": -1}, r"`maxlen`.*maxlen=-1"),
        (([[1]],), {"maxlen": 2.5}, r"`maxlen`.*maxlen=2.5"),
        (([[1], 5],), {}, r"Found non-iterable: 5"),
        ((iter([[1]]),), {}, r"`sequences` must be iterable"),
        (([["a"]],), {"value": "x"}, r"set `dtype=object`"),
        (([[1, 2], [[1, 2]]],), {}, r"sequence at position 1"),
    ],
)
def test_pad_sequences_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.pad_sequences(*args, **kwargs)


def test_pad_sequences_edges():
    assert utils.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    assert utils.pad_sequences([[], []]).shape == (2, 0)
    assert utils.pad_sequences([]).shape == (0, 0)
    out = utils.pad_sequences([[[1, 2]], [[3, 4], [5, 6]]], padding="post")
    np.testing.assert_array_equal(out, [[[1, 2], [0, 0]], [[3, 4], [5, 6]]])


# --- split_dataset ---------------------------------------------------------------------------


def test_split_dataset_sizes_and_order():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (xl, yl), (xr, yr) = utils.split_dataset((x, y), left_size=0.7)
    np.testing.assert_array_equal(yl, np.arange(7))
    np.testing.assert_array_equal(yr, [7, 8, 9])
    np.testing.assert_array_equal(xl, x[:7])
    left, right = utils.split_dataset(x, left_size=3, right_size=2)  # the middle is dropped
    np.testing.assert_array_equal(left, x[:3])
    np.testing.assert_array_equal(right, x[-2:])
    (l1,), (r1,) = utils.split_dataset([y], right_size=0.25)
    assert (len(l1), len(r1)) == (8, 2)  # round(2.5) = 2, as Keras


def test_split_dataset_shuffle_is_seeded_and_keeps_pairs_together():
    x, y = np.arange(30).reshape(15, 2), np.arange(15)
    state = random.getstate()
    (xl, yl), (xr, yr) = utils.split_dataset((x, y), left_size=10, shuffle=True, seed=3)
    assert random.getstate() == state  # the global generator is left alone
    (xl2, yl2), _ = utils.split_dataset((x, y), left_size=10, shuffle=True, seed=3)
    np.testing.assert_array_equal(yl, yl2)
    assert sorted(np.concatenate([yl, yr]).tolist()) == list(range(15))
    assert yl.tolist() != list(range(10))
    np.testing.assert_array_equal(xl, x[yl])


SIZE_CASES = [
    (0.8, None), (None, 0.3), (3, None), (None, 4), (0.5, 0.5), (2, 3), (0.2, 5), (7, 0.3),
    (0.25, None), (0.15, None), (None, 0.94), (0.3, 0.3),
]  # fmt: skip
BAD_SIZE_CASES = [
    (None, None), (0, 0), (0, None), (10, None), (None, 10), (1.0, None), (-0.5, None),
    (0.7, 0.6), (6, 5), (0.01, None), (0.04, None), (None, 0.999), ("5", None), (None, [2]),
]  # fmt: skip


@requires_keras
@pytest.mark.parametrize(("left", "right"), SIZE_CASES)
@pytest.mark.parametrize("shuffle", [False, True])
def test_split_dataset_matches_keras(keras, left, right, shuffle):
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    k_left, k_right = keras.utils.split_dataset(
        (x, y), left_size=left, right_size=right, shuffle=shuffle, seed=5
    )
    (xl, yl), (xr, yr) = utils.split_dataset(
        (x, y), left_size=left, right_size=right, shuffle=shuffle, seed=5
    )
    for (ours_x, ours_y), theirs in (((xl, yl), k_left), ((xr, yr), k_right)):
        rows = list(theirs.as_numpy_iterator())
        np.testing.assert_array_equal(ours_x, np.array([r[0] for r in rows]))
        np.testing.assert_array_equal(ours_y, np.array([r[1] for r in rows]))


@requires_keras
@pytest.mark.parametrize(("left", "right"), BAD_SIZE_CASES)
def test_split_dataset_refuses_what_keras_refuses(keras, left, right):
    x = np.arange(10)
    with pytest.raises((ValueError, TypeError)) as theirs:
        keras.utils.split_dataset(x, left_size=left, right_size=right)
    with pytest.raises(type(theirs.value)):
        utils.split_dataset(x, left_size=left, right_size=right)


@pytest.mark.parametrize(
    ("dataset", "error", "match"),
    [
        ({"x": np.arange(3)}, TypeError, r"dataset of type <class 'dict'>"),
        ((np.arange(3), np.arange(4)), ValueError, r"different lengths.*index 1"),
        ((), ValueError, r"empty tuple"),
        (np.zeros((0, 2)), ValueError, r"empty dataset"),
    ],
)
def test_split_dataset_bad_datasets(dataset, error, match):
    with pytest.raises(error, match=match):
        utils.split_dataset(dataset, left_size=0.5)


# --- set_random_seed, to_categorical, normalize --------------------------------------------


def test_set_random_seed_makes_layers_reproducible():
    weights = []
    for _ in range(2):
        utils.set_random_seed(1234)
        layer = nf.keras.layers.Dense(4)
        layer(np.zeros((1, 3), np.float32))
        weights.append(layer.get_weights()[0])
    np.testing.assert_array_equal(weights[0], weights[1])
    with pytest.raises(ValueError, match=r"seed=1.5"):
        utils.set_random_seed(1.5)


@requires_keras
def test_set_random_seed_seeds_python_and_numpy_as_keras(keras):
    keras.utils.set_random_seed(77)
    expected = (random.random(), np.random.rand(3))  # noqa: NPY002 (the legacy global)
    utils.set_random_seed(77)
    got = (random.random(), np.random.rand(3))  # noqa: NPY002
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


@requires_keras
def test_to_categorical_and_normalize_match_keras(keras):
    rng = np.random.default_rng(4)
    for labels, num_classes in (
        (rng.integers(0, 5, 12), None),
        (rng.integers(0, 3, (4, 1)), 6),
        (rng.integers(0, 4, (2, 3)), None),
    ):
        expected = keras.utils.to_categorical(labels, num_classes)
        got = utils.to_categorical(labels, num_classes)
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.float32  # Keras 3 returns float64; tf.keras 2 float32, as here
    x = rng.normal(size=(5, 4))
    for order in (1, 2, 3):
        np.testing.assert_allclose(
            utils.normalize(x, axis=-1, order=order),
            keras.utils.normalize(x, axis=-1, order=order),
            rtol=1e-12,
        )
    x[1] = 0.0
    np.testing.assert_array_equal(utils.normalize(x)[1], keras.utils.normalize(x)[1])


def test_downloads_helpers(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(PAYLOAD)
    assert downloads.hash_file(path) == SHA
    assert downloads.hash_file(path, "md5") == MD5
    assert downloads.validate_file(path, SHA) and downloads.validate_file(path, MD5)
    assert not downloads.validate_file(path, "1" * 64)
