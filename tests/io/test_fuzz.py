"""Slow tier: 10,000 mutated archives thrown at the loader (the same 10,000 every run),
made from two valid archives: a Sequential CNN and a functional model (a shared layer,
merges, a nested Sequential, BatchNormalization), so that the graph checks are fuzzed too.

Every one must end in a clean refusal (a FormatError raised by one of the loader's own
checks, never its catch-all) or in a model that predicts, and the loader must keep the
promises its module docstring makes:

- no allocation beyond what the file declares: the peak traced while loading stays
  within a small multiple of the archive's size (the arrays it declares must fit in it);
- no code run: nothing is unpickled, marshalled, evaluated or imported by name while a
  file is read.

Byte mutations get their CRC-32 fields recomputed so that they reach the JSON and ``.npy``
parsers instead of stopping at zipfile's checksum; the test reports how many of the
archives got past the zip layer.
"""

import builtins
import importlib
import io
import json
import marshal
import pickle
import struct
import sys
import tempfile
import tracemalloc
import warnings
import zipfile
import zlib
from contextlib import contextmanager

import numpy as np
import pytest

import neuroflow as nf
import neuroflow.io.keras_files  # noqa: F401  (imported now, not while imports are watched)
from neuroflow.io import load_model, native
from neuroflow.keras import layers

pytestmark = pytest.mark.slow
EXAMPLES = 2500  # of each kind and model: 10,000 archives in all
SEED = 20240609  # archive i of a kind comes from the generator seeded (SEED, kind, i)


def _sequential():
    return nf.keras.Sequential(
        [
            nf.keras.Input((6, 6, 1)),
            layers.Conv2D(2, 3, name="conv"),
            layers.MaxPooling2D(name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(3, activation="softmax", name="dense"),
        ],
        name="fuzzed",
    )


def _functional():
    inputs = nf.keras.Input((6, 6, 1), name="image")
    x = layers.Conv2D(2, 3, name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    flat = layers.Flatten(name="flatten")(x)
    shared = layers.Dense(4, activation="tanh", name="shared")
    block = nf.keras.Sequential([layers.Dense(4, name="inner")], name="block")
    side = shared(layers.Dense(4, name="side")(flat))
    y = layers.Add(name="add")([shared(layers.Dense(4, name="proj")(flat)), block(side)])
    y = layers.Concatenate(name="cat")([y, shared(y)])
    outputs = layers.Dense(3, activation="softmax", name="dense")(y)
    return nf.keras.Model(inputs, outputs, name="fuzzed_functional")


def _archive(build) -> bytes:
    """A small trained model's archive, the same bytes on every run (names and times fixed)."""
    nf.utils.set_random_seed(0)
    model = build()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((8, 6, 6, 1), np.float32), np.zeros(8, int), verbose=0)
    with tempfile.TemporaryDirectory() as d:
        model.save(f"{d}/m.nf")
        with zipfile.ZipFile(f"{d}/m.nf") as saved:
            members = {info.filename: saved.read(info) for info in saved.infolist()}
    return _zip(members)


def _zip(members: dict) -> bytes:
    """A stored zip of ``members``, with a fixed time in every header (the same bytes each run)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


class Subject:
    """One valid archive to mutate: its bytes, manifest, members and CRC-32 fields; its
    mutations use the generator seeded (SEED, kind + stream, i)."""

    def __init__(self, build, stream: int):
        self.stream = stream
        self.valid = _archive(build)
        with zipfile.ZipFile(io.BytesIO(self.valid)) as z:
            self.manifest = json.loads(z.read(native.MANIFEST))
            self.members = {n: z.read(n) for n in z.namelist() if n != native.MANIFEST}
        self.crc_fields = _crc_fields(self.valid)
        self.paths = [p for p in _paths(self.manifest) if p]


def _crc_fields(data: bytes) -> list[tuple[int, int, int, int]]:
    """Per member: where its data starts and ends, and where its two CRC-32 fields are."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        central = z.start_dir
        for info in z.infolist():
            name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_len + extra_len
            assert info.compress_type == zipfile.ZIP_STORED
            out.append((start, start + info.compress_size, info.header_offset + 14, central + 16))
            n, m, k = struct.unpack_from("<HHH", data, central + 28)
            central += 46 + n + m + k
    return out


def _fix_crcs(data: bytearray, crc_fields) -> None:
    """Makes every member's CRC-32 match its (mutated) bytes again."""
    for start, end, local, central in crc_fields:
        crc = zlib.crc32(data[start:end])
        struct.pack_into("<I", data, local, crc)
        struct.pack_into("<I", data, central, crc)


def _past_zip_layer(data: bytes) -> bool:
    """Whether zipfile opens the archive and reads every member (CRCs included)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return native.MANIFEST in z.namelist() and z.testzip() is None
    except Exception:  # noqa: BLE001  (any zipfile failure means: stopped at the zip layer)
        return False


@contextmanager
def _no_code_run(calls: list):
    """Replaces every way bytes could become code (or a module) with a recorder that refuses."""
    preloaded, real_import = set(sys.modules), builtins.__import__

    def refuse(what):
        def fn(*args, **kwargs):
            calls.append(f"{what}{args[:1]!r}")
            raise RuntimeError(f"the loader called {what}")

        return fn

    def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level or name not in preloaded:  # a module nobody had imported: named by the file?
            calls.append(f"import {name!r}")
            raise ImportError(f"the loader imported {name}")
        return real_import(name, globals, locals, fromlist, level)

    patched = [
        (pickle, "load", refuse("pickle.load")),
        (pickle, "loads", refuse("pickle.loads")),
        (pickle, "Unpickler", refuse("pickle.Unpickler")),
        (marshal, "loads", refuse("marshal.loads")),
        (builtins, "eval", refuse("eval")),
        (builtins, "exec", refuse("exec")),
        # not builtins.compile: numpy parses .npy headers with ast.literal_eval, which
        # compiles to a syntax tree only and evaluates literals, never code
        (importlib, "import_module", refuse("importlib.import_module")),
        (builtins, "__import__", watched_import),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patched]
    for obj, name, fn in patched:
        setattr(obj, name, fn)
    try:
        yield
    finally:
        for obj, name, fn in saved:
            setattr(obj, name, fn)


class Loader:
    """Loads archives from one file, checking each outcome against the loader's promises."""

    def __init__(self, path):
        self.path = path
        self.loaded = self.refused = 0

    def __call__(self, data: bytes, label: str = "") -> None:
        self.path.write_bytes(data)
        calls: list = []
        tracemalloc.start()
        try:
            with _no_code_run(calls):
                model = load_model(self.path)
        except native.UnforeseenFormatError as exc:
            pytest.fail(f"{label}: the loader's catch-all fired: {exc.__cause__!r}")
        except native.FormatError:
            model = None
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert not calls, f"{label}: the loader ran code from the file: {calls}"
        # the arrays an archive declares must fit in its bytes, and the model's weights
        # in them; the optimizer's slots are a few times the weights, the rest is small
        assert peak < 8 * len(data) + (1 << 20), f"{label}: loading allocated {peak} bytes"
        if model is None:
            self.refused += 1
            return
        self.loaded += 1
        with warnings.catch_warnings():  # mutated weights may be NaN: a valid file still
            warnings.simplefilter("ignore", RuntimeWarning)
            x = np.zeros((1, *model.input_shape[1:]), np.float32)  # a mutation may change it
            out = model.predict(x, verbose=0)
        assert out.shape == (1, *model.output_shape[1:]), label


@pytest.fixture
def loader(tmp_path):
    return Loader(tmp_path / "m.nf")


def _report(capsys, line: str) -> None:
    with capsys.disabled():  # shown in every run, not only with -s
        print(f"\n{line}")


def _with_members(manifest: dict, members: dict) -> bytes:
    return _zip({native.MANIFEST: json.dumps(manifest, allow_nan=True).encode(), **members})


def test_the_checks_can_fire(loader):
    for subject in SUBJECTS.values():
        loader(subject.valid)
    assert loader.loaded == 2
    subject = SUBJECTS["sequential"]
    # the recorder sees numpy's own way to unpickle an object array
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    calls: list = []
    with _no_code_run(calls), pytest.raises(RuntimeError, match="called pickle.load"):
        np.load(io.BytesIO(pickled.getvalue()), allow_pickle=True)
    assert calls and calls[0].startswith("pickle.load")
    # ... and the loader refuses that payload, as a member or declared as an object array
    first = subject.manifest["arrays"][0]["member"]
    members = {**subject.members, first: pickled.getvalue()}
    declared_object = json.loads(json.dumps(subject.manifest))
    declared_object["arrays"][0]["dtype"] = "object"
    for manifest in (subject.manifest, declared_object):
        loader(_with_members(manifest, members))
    assert loader.refused == 2
    # numpy's allocations are traced: a loader that took 8 MB would be caught
    tracemalloc.start()
    try:
        big = np.ones(1 << 21, np.float32)
        assert tracemalloc.get_traced_memory()[1] >= big.nbytes
    finally:
        tracemalloc.stop()
    # a byte of the manifest changed: zipfile alone stops it, until the CRCs are recomputed
    data = bytearray(subject.valid)
    data[subject.crc_fields[0][0] + 5] ^= 0xFF
    assert not _past_zip_layer(bytes(data))
    _fix_crcs(data, subject.crc_fields)
    assert _past_zip_layer(bytes(data))


# bytes that keep JSON valid while changing what it says, besides any byte at all
INTERESTING = b'0123456789-.,"[]{}eE \x00\xff'


def byte_mutation(subject: Subject, i: int) -> tuple[bytes, str]:
    """Archive ``i``: a few bytes changed (mostly in the members' data, where the parsers
    look; sometimes in zip's own headers), CRCs recomputed, sometimes truncated."""
    rng = np.random.default_rng((SEED, 0 + subject.stream, i))
    data = bytearray(subject.valid)
    crc_fields = subject.crc_fields
    edits = []
    for _ in range(min(rng.geometric(0.5), 8)):
        if rng.random() < 0.85:
            start, end, _, _ = crc_fields[rng.integers(len(crc_fields))]
            position = int(rng.integers(start, end))
        else:
            position = int(rng.integers(len(data)))
        value = int(rng.integers(256)) if rng.random() < 0.5 else rng.choice(list(INTERESTING))
        data[position] = int(value)
        edits.append((position, int(value)))
    _fix_crcs(data, crc_fields)
    cut = int(rng.integers(len(data))) if rng.random() < 0.1 else None
    if cut is not None:
        data = data[:cut]
    return bytes(data), f"byte mutation {i}: edits {edits}, cut {cut}"


@pytest.mark.parametrize("model", ["sequential", "functional"])
def test_byte_mutations(loader, capsys, model):
    past = 0
    for i in range(EXAMPLES):
        data, label = byte_mutation(SUBJECTS[model], i)
        past += _past_zip_layer(data)
        loader(data, label)
    _report(
        capsys,
        f"fuzz ({model}): {past} of {EXAMPLES} byte-mutated archives got past the zip "
        f"layer (and all manifest-mutated ones); byte mutations: {loader.loaded} loaded, "
        f"{loader.refused} refused cleanly",
    )
    assert past > 0.6 * EXAMPLES  # most mutations reach the JSON and .npy parsers


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


SUBJECTS = {"sequential": Subject(_sequential, 0), "functional": Subject(_functional, 2)}
STRINGS = [
    "", "Sequential", "Functional", "InputLayer", "__keras_tensor__", "shared", "image",
    "Dense", "Conv2D", "Lambda", "os.system", "builtins.eval", "Adam",
    "SGD", "MeanSquaredError", "accuracy", "same", "valid", "relu", "float64", "object",
    "<f4", "arrays/00000.npy", "arrays/00001.npy", "../../x.npy", "/etc/passwd",
    "neuroflow", "model", "weights", "\u00e9\u0000", "x" * 300,
]  # fmt: skip
KEYS = [
    "class_name", "config", "layers", "units", "name", "shape", "dtype", "member", "x",
    "keras_history", "inbound_nodes", "args", "kwargs", "batch_shape", "training",
]  # fmt: skip


def json_value(rng, depth: int = 0):
    """A random JSON value, biased towards what the loader reads."""
    kind = rng.integers(10 if depth < 3 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return bool(rng.integers(2))
    if kind == 2:
        return int(rng.integers(-2, 11))
    if kind == 3:
        return int(rng.integers(0, 5_000_000))  # sizes every per-number limit lets through
    if kind == 4:
        return int(rng.integers(-(2**40), 2**40))
    if kind == 5:
        return float(rng.choice([0.0, -1.0, 0.5, 1e308, float("nan"), float("inf"), 1e-7]))
    if kind in (6, 7):
        return STRINGS[rng.integers(len(STRINGS))]
    if kind == 8:
        return [json_value(rng, depth + 1) for _ in range(rng.integers(5))]
    return {KEYS[rng.integers(len(KEYS))]: json_value(rng, depth + 1) for _ in range(4)}


def _nudge(value, rng):
    """A value near ``value`` (numbers and shapes stay plausible), else a random one."""
    if isinstance(value, int) and not isinstance(value, bool) and rng.random() < 0.5:
        # near it, or far beyond it yet within every per-number limit (a huge layer)
        return int(rng.choice([value - 1, value + 1, 2 * value, -value, 100_000 * value + 1]))
    if isinstance(value, list) and value and rng.random() < 0.5:
        return value[:-1] if rng.random() < 0.5 else [*value, value[-1]]
    return json_value(rng)


def manifest_mutation(subject: Subject, i: int) -> tuple[bytes, str]:
    """Archive ``i``: one to three places of the manifest replaced, members intact."""
    rng = np.random.default_rng((SEED, 1 + subject.stream, i))
    manifest = json.loads(json.dumps(subject.manifest))
    changes = []
    for _ in range(rng.integers(1, 4)):
        path = subject.paths[rng.integers(len(subject.paths))]
        node = manifest
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value = _nudge(node[path[-1]], rng)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the place
        changes.append((path, value))
    label = f"manifest mutation {i}: {changes!r}"[:2000]
    return _with_members(manifest, subject.members), label


@pytest.mark.parametrize("model", ["sequential", "functional"])
def test_manifest_mutations(loader, capsys, model):
    for i in range(EXAMPLES):
        data, label = manifest_mutation(SUBJECTS[model], i)
        loader(data, label)
    _report(
        capsys,
        f"fuzz ({model}): manifest mutations: {loader.loaded} loaded, "
        f"{loader.refused} refused cleanly",
    )
    assert loader.refused > EXAMPLES // 2 and loader.loaded > 0
