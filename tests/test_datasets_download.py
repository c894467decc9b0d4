"""The dataset download path, against a local HTTP server on 127.0.0.1 started by each test.

The server serves small gzipped IDX files made here; the loader's mirror list and SHA-256
table are pointed at them. Any connection to an address other than 127.0.0.1 fails the test.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from neuroflow.datasets import _sources, mnist

FILES = {part: _sources.FILENAMES[part] + ".gz" for part in _sources.PARTS}


class LocalMirror:
    """An HTTP server on 127.0.0.1 serving ``files`` (URL path -> bytes).

    ``faults`` maps a URL path to "error" (HTTP 500) or "truncate" (a Content-Length for the
    whole file, then half of it and a closed connection). Every request is recorded, with
    the names in ``watch`` (a folder) seen half-way through sending each body.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.requests: list[str] = []
        self.seen_mid_body: dict[str, list[str]] = {}
        self.watch = None
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                mirror.requests.append(self.path)
                body, fault = mirror.files.get(self.path), mirror.faults.get(self.path)
                if fault == "error":
                    self.send_error(500, "broken mirror")
                    return
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                folder = mirror.watch
                names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
                mirror.seen_mid_body[self.path] = names
                if fault == "truncate":
                    self.close_connection = True
                    return
                self.wfile.write(body[half:])

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def base(self, folder: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{folder}/"

    def serve(self, folder: str, gzipped: dict[str, bytes]) -> None:
        for part, data in gzipped.items():
            self.files[f"/{folder}/{FILES[part]}"] = data

    def start(self) -> LocalMirror:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def local_network_only(monkeypatch) -> None:
    """No connection beyond 127.0.0.1, no proxies, downloads allowed (for this test)."""
    connect = socket.socket.connect

    def local_only(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != "127.0.0.1":
            raise AssertionError(f"the test tried to reach {address}; only 127.0.0.1 is allowed")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.delenv("NEUROFLOW_OFFLINE", raising=False)


@pytest.fixture
def mirror(monkeypatch, tmp_path):
    """A started local mirror, stopped after the test; no connection beyond 127.0.0.1."""
    local_network_only(monkeypatch)
    monkeypatch.setenv("NEUROFLOW_HOME", str(tmp_path))
    monkeypatch.setattr(_sources, "_npm_dirs", lambda: ())  # only the cache, then the mirror
    server = LocalMirror().start()
    server.watch = tmp_path / "datasets" / "mnist"
    yield server
    server.stop()
    assert not server.thread.is_alive()


@pytest.fixture
def idx_files():
    """Small MNIST-shaped parts: arrays, IDX bytes and gzipped IDX bytes."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 5, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    raw = {}
    for part, a in arrays.items():
        magic = 0x0803 if a.ndim == 3 else 0x0801
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in a.shape)
        raw[part] = header + a.tobytes()
    gzipped = {part: gzip.compress(data, mtime=0) for part, data in raw.items()}
    return arrays, raw, gzipped


def _point_mnist_at(monkeypatch, mirrors: tuple, raw: dict) -> None:
    """``mnist.load_data`` downloads from ``mirrors`` and checks the hashes of ``raw``."""
    sha256 = {part: hashlib.sha256(data).hexdigest() for part, data in raw.items()}
    spec = dataclasses.replace(_sources.MNIST, sha256=sha256, mirrors=mirrors)
    monkeypatch.setattr(_sources, "MNIST", spec)


def test_a_download_lands_whole_in_the_cache_and_loads(monkeypatch, mirror, idx_files):
    arrays, raw, gzipped = idx_files
    mirror.serve("good", gzipped)
    mirror.faults.update({f"/broken/{name}": "error" for name in FILES.values()})
    _point_mnist_at(monkeypatch, (mirror.base("broken"), mirror.base("good")), raw)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()

    for name, got in zip(_sources.PARTS, (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(got, arrays[name])
        assert got.dtype == np.uint8
    # each part was asked of the broken mirror first, then of the good one
    assert mirror.requests == [
        f"/{m}/{FILES[p]}" for p in _sources.PARTS for m in ("broken", "good")
    ]
    cache = mirror.watch
    assert sorted(p.name for p in cache.iterdir()) == sorted(FILES.values())  # no .part left
    for part, name in FILES.items():
        assert (cache / name).read_bytes() == gzipped[part]
        # half-way through its download a file is not in the cache, nor a temporary file:
        # the download is held until verified, then written beside it and renamed at once
        seen = mirror.seen_mid_body[f"/good/{name}"]
        done_before = sorted(FILES[p] for p in _sources.PARTS[: _sources.PARTS.index(part)])
        assert seen == done_before

    mirror.requests.clear()
    (again, _), _ = mnist.load_data()  # from the cache now
    assert mirror.requests == []
    np.testing.assert_array_equal(again, arrays["x_train"])


def test_a_file_with_the_wrong_hash_is_refused_and_leaves_nothing(monkeypatch, mirror, idx_files):
    _, raw, gzipped = idx_files
    mirror.serve("tampered", {**gzipped, "x_train": gzip.compress(raw["x_train"][:-1] + b"\x01")})
    _point_mnist_at(monkeypatch, (mirror.base("tampered"),), raw)

    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\.gz: SHA-256 mismatch"):
        mnist.load_data()

    assert mirror.requests == [f"/tampered/{FILES['x_train']}"]  # stops at the first failure
    cache = mirror.watch
    assert not cache.exists() or list(cache.iterdir()) == []


@pytest.mark.parametrize("fault", ["error", "truncate"])
def test_a_failed_download_leaves_nothing_half_written(monkeypatch, mirror, idx_files, fault):
    _, raw, gzipped = idx_files
    mirror.serve("flaky", gzipped)
    mirror.faults[f"/flaky/{FILES['x_test']}"] = fault
    _point_mnist_at(monkeypatch, (mirror.base("flaky"),), raw)

    size = len(gzipped["x_test"])
    message = {
        "error": "HTTP Error 500: broken mirror",
        "truncate": f"the download stopped after {size // 2} of {size} bytes",
    }[fault]
    with pytest.raises(FileNotFoundError, match=f"t10k-images-idx3-ubyte.gz: {message}"):
        mnist.load_data()

    # the parts fetched before the failure are whole and verified; nothing else is there
    cache = mirror.watch
    assert sorted(p.name for p in cache.iterdir()) == sorted([FILES["x_train"], FILES["y_train"]])
    assert (cache / FILES["x_train"]).read_bytes() == gzipped["x_train"]

    # once the mirror is mended, a new call fetches only what is missing
    del mirror.faults[f"/flaky/{FILES['x_test']}"]
    mirror.requests.clear()
    (_, _), (x_test, _) = mnist.load_data()
    assert mirror.requests == [f"/flaky/{FILES['x_test']}", f"/flaky/{FILES['y_test']}"]
    assert x_test.shape == (3, 28, 28)


def test_offline_makes_no_request(monkeypatch, mirror, idx_files):
    _, raw, gzipped = idx_files
    mirror.serve("good", gzipped)
    _point_mnist_at(monkeypatch, (mirror.base("good"),), raw)
    monkeypatch.setenv("NEUROFLOW_OFFLINE", "1")

    with pytest.raises(FileNotFoundError, match="downloads disabled by NEUROFLOW_OFFLINE=1"):
        mnist.load_data()
    assert mirror.requests == []
    assert not mirror.watch.exists()

    monkeypatch.delenv("NEUROFLOW_OFFLINE")  # the same call online does reach the mirror
    mnist.load_data()
    assert len(mirror.requests) == 4
