"""Slow tier: 10,000 mutated archives thrown at the loader.

Every one must end in a clean error (ValueError, which FormatError is) or a model that
predicts; nothing may crash, hang, allocate without bound, or run code.
"""

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuroflow as nf
from neuroflow.io import load_model, native
from neuroflow.keras import layers

pytestmark = pytest.mark.slow


def _archive() -> bytes:
    nf.utils.set_random_seed(0)
    model = nf.keras.Sequential(
        [
            nf.keras.Input((6, 6, 1)),
            layers.Conv2D(2, 3),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((8, 6, 6, 1), np.float32), np.zeros(8, int), verbose=0)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        model.save(f"{d}/m.nf")
        with open(f"{d}/m.nf", "rb") as f:
            return f.read()


VALID = _archive()
with zipfile.ZipFile(io.BytesIO(VALID)) as _z:
    MANIFEST = json.loads(_z.read(native.MANIFEST))
    MEMBERS = {n: _z.read(n) for n in _z.namelist() if n != native.MANIFEST}


def _try_load(data: bytes, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.nf"
    path.write_bytes(data)
    try:
        model = load_model(path)
    except ValueError:
        return
    out = model.predict(np.zeros((1, 6, 6, 1), np.float32), verbose=0)
    assert out.shape[0] == 1


byte_edits = st.lists(
    st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8
)


@settings(
    max_examples=5000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=byte_edits, cut=st.one_of(st.none(), st.integers(0, len(VALID))))
def test_byte_mutations(edits, cut, tmp_path_factory):
    data = bytearray(VALID)
    for position, value in edits:
        data[position] = value
    if cut is not None:
        data = data[:cut]
    _try_load(bytes(data), tmp_path_factory)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(MANIFEST) if p]


@settings(
    max_examples=5000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.lists(st.sampled_from(PATHS), min_size=1, max_size=3),
    values=st.lists(json_values, min_size=3, max_size=3),
)
def test_manifest_mutations(where, values, tmp_path_factory):
    manifest = json.loads(json.dumps(MANIFEST))
    for path, value in zip(where, values):
        node = manifest
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(native.MANIFEST, json.dumps(manifest, allow_nan=True))
        for name, data in MEMBERS.items():
            z.writestr(name, data)
    _try_load(buf.getvalue(), tmp_path_factory)
