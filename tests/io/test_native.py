import json
import zipfile

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks
from neuroflow.io import FormatError, load_model, native
from neuroflow.keras import layers

R = np.random.default_rng(0)
X = R.random((64, 12, 12, 1)).astype(np.float32)
Y = R.integers(0, 3, 64)


def cnn():
    model = nf.keras.Sequential(
        [
            nf.keras.Input((12, 12, 1)),
            layers.Conv2D(4, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(8, activation="tanh", kernel_regularizer=nf.regularizers.L2(1e-3)),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fitted(tmp_path, name="model.neuroflow"):
    model = cnn()
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / name
    model.save(path)
    return model, path


def test_round_trip_predictions_config_and_compile(tmp_path):
    model, path = fitted(tmp_path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert [type(a).__name__ for a in loaded.layers] == [type(a).__name__ for a in model.layers]
    assert [a.name for a in loaded.layers] == [a.name for a in model.layers]
    assert loaded.count_params() == model.count_params()
    assert type(loaded.optimizer) is nf.optimizers.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert type(loaded.loss) is nf.losses.SparseCategoricalCrossentropy
    assert loaded.optimizer.iterations == model.optimizer.iterations == 4
    np.testing.assert_allclose(loaded.evaluate(X, Y, verbose=0), model.evaluate(X, Y, verbose=0))
    assert loaded.metrics_names == model.metrics_names == ["loss", "accuracy"]


def test_metric_objects_are_saved_by_class_and_config(tmp_path):
    model = cnn()
    model.compile(
        "sgd",
        "sparse_categorical_crossentropy",
        metrics=[
            nf.metrics.SparseCategoricalAccuracy(name="sca"),
            "accuracy",
            nf.metrics.sparse_categorical_accuracy,  # a function the registry knows
        ],
    )
    model.fit(X, Y, epochs=1, batch_size=32, verbose=0)
    model.save(tmp_path / "m.nf")
    loaded = load_model(tmp_path / "m.nf")
    np.testing.assert_allclose(loaded.evaluate(X, Y, verbose=0), model.evaluate(X, Y, verbose=0))
    assert loaded.metrics_names == ["loss", "sca", "accuracy", "sparse_categorical_accuracy"]
    assert type(loaded._metrics[0]) is nf.metrics.SparseCategoricalAccuracy

    binary = nf.keras.Sequential([nf.keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    binary.compile("sgd", "binary_crossentropy", metrics=[nf.metrics.BinaryAccuracy(threshold=0.9)])
    binary.save(tmp_path / "b.nf")
    restored = load_model(tmp_path / "b.nf")
    x, y = R.random((32, 4)).astype(np.float32), R.integers(0, 2, 32)
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0), binary.evaluate(x, y, verbose=0))
    assert restored._metrics[0].fn_kwargs == {"threshold": 0.9}

    class Custom(nf.metrics.MeanMetricWrapper):
        def __init__(self):
            super().__init__(nf.metrics.sparse_categorical_accuracy, name="custom")

    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[Custom()])
    with pytest.raises(ValueError, match="Cannot save the metric .*Custom.*include_optimizer"):
        model.save(tmp_path / "custom.nf")
    model.save(tmp_path / "custom.nf", include_optimizer=False)  # the way out it names
    assert not load_model(tmp_path / "custom.nf").compiled


def test_round_trip_continues_training_identically(tmp_path):
    model, path = fitted(tmp_path)
    loaded = load_model(path)
    for m in (model, loaded):
        nf.utils.set_random_seed(9)
        m.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nested_sequential_and_keras_namespace(tmp_path):
    inner = nf.keras.Sequential([nf.keras.Input((5,)), layers.Dense(4), layers.LeakyReLU(0.1)])
    outer = nf.keras.Sequential([inner, layers.Softmax()])
    outer.save(tmp_path / "nested.nf", include_optimizer=False)
    loaded = nf.keras.models.load_model(tmp_path / "nested.nf")
    x = R.random((3, 5)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x).numpy(), outer(x).numpy())
    assert loaded.optimizer is None


def test_weights_only(tmp_path):
    model, _ = fitted(tmp_path)
    model.save_weights(tmp_path / "w.nf")
    fresh = cnn()
    fresh.load_weights(tmp_path / "w.nf")
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    other = nf.keras.Sequential([nf.keras.Input((12, 12, 1)), layers.Flatten(), layers.Dense(3)])
    with pytest.raises(ValueError, match="shape"):
        other.load_weights(tmp_path / "w.nf")
    with pytest.raises(ValueError, match="weights only"):
        load_model(tmp_path / "w.nf")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "w.nf", overwrite=False)


def test_missing_file_and_unsaveable_models(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.nf")

    class Custom(nf.models.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, x, training=False):
            return self.d(x)

    m = Custom()
    m(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="only the library's own layers"):
        m.save(tmp_path / "c.nf")
    model = cnn()
    model.compile("adam", lambda y_true, y_pred: (y_pred - y_true) ** 2)
    with pytest.raises(ValueError, match="Cannot serialize the loss .*include_optimizer=False"):
        model.save(tmp_path / "f.nf")

    class MyAdam(nf.optimizers.Adam):
        pass

    model.compile(MyAdam(), "mse")
    with pytest.raises(ValueError, match="Cannot serialize the optimizer .*include_optimizer"):
        model.save(tmp_path / "o.nf")
    assert not (tmp_path / "f.nf").exists() and not (tmp_path / "o.nf").exists()


# -------------------------------------------------------------------- hostile archives


def rewrite(path, out, manifest_fn=None, members=None):
    """Copies an archive, changing its manifest and/or members."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == native.MANIFEST and manifest_fn:
                data = json.dumps(manifest_fn(json.loads(data))).encode()
            if members and info.filename in members:
                data = members[info.filename]
            dst.writestr(info.filename, data)
        for name, data in (members or {}).items():
            if name not in src.namelist():
                dst.writestr(name, data)
    return out


def test_not_a_zip_bad_json_missing_manifest(tmp_path):
    (tmp_path / "junk.nf").write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(FormatError, match="not a neuroflow archive"):
        load_model(tmp_path / "junk.nf")
    _, path = fitted(tmp_path)
    bad = rewrite(path, tmp_path / "badjson.nf", members={native.MANIFEST: b"{not json"})
    with pytest.raises(FormatError, match="not valid JSON"):
        load_model(bad)
    with zipfile.ZipFile(tmp_path / "empty.nf", "w") as z:
        z.writestr("other.txt", "hi")
    with pytest.raises(FormatError, match="no neuroflow.json"):
        load_model(tmp_path / "empty.nf")


def test_unknown_class_names_are_refused_not_imported(tmp_path):
    _, path = fitted(tmp_path)

    def evil(m):
        m["model"]["config"]["layers"][0]["class_name"] = "os.system"
        return m

    with pytest.raises(FormatError, match="Unknown layer class 'os.system'"):
        load_model(rewrite(path, tmp_path / "evil.nf", evil))

    def lambda_layer(m):
        m["model"]["config"]["layers"][0] = {
            "class_name": "Lambda",
            "config": {"function": "__import__('os')"},
        }
        return m

    with pytest.raises(FormatError, match="Unknown layer class 'Lambda'"):
        load_model(rewrite(path, tmp_path / "lambda.nf", lambda_layer))

    def evil_optimizer(m):
        m["compile"]["optimizer"]["class_name"] = "subprocess.Popen"
        return m

    with pytest.raises(FormatError, match="Unknown optimizer"):
        load_model(rewrite(path, tmp_path / "opt.nf", evil_optimizer))


def test_shapes_that_disagree_with_the_config(tmp_path):
    _, path = fitted(tmp_path)

    def wider(m):
        m["model"]["config"]["layers"][-1]["config"]["units"] = 4
        return m

    with pytest.raises(FormatError, match="shape"):
        load_model(rewrite(path, tmp_path / "wider.nf", wider))


def test_huge_declared_sizes_are_refused_before_allocating(tmp_path):
    _, path = fitted(tmp_path)

    def huge(m):
        m["model"]["config"]["layers"][-1]["config"]["units"] = 10**12
        return m

    with pytest.raises(FormatError, match="beyond the limit"):
        load_model(rewrite(path, tmp_path / "huge.nf", huge))
    header = np.lib.format.header_data_from_array_1_0(np.zeros((2,), np.float32))
    header["shape"] = (10**9, 10**9)
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with pytest.raises(FormatError, match="header says shape"):
        load_model(rewrite(path, tmp_path / "hdr.nf", members={"arrays/00000.npy": buf.getvalue()}))


def test_pickled_object_arrays_are_refused(tmp_path):
    _, path = fitted(tmp_path)
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)

    def obj(m):
        m["arrays"][0]["dtype"] = "object"
        return m

    with pytest.raises(FormatError, match="only float32/float64"):
        load_model(
            rewrite(path, tmp_path / "obj.nf", obj, members={"arrays/00000.npy": buf.getvalue()})
        )
    with pytest.raises(FormatError, match=r"header says shape \(1,\), dtype object"):
        load_model(
            rewrite(path, tmp_path / "obj2.nf", members={"arrays/00000.npy": buf.getvalue()})
        )


def _tree(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


@pytest.mark.parametrize("member", ["../../outside.npy", "/tmp/outside.npy", "arrays/../x.npy"])
def test_manifest_members_outside_arrays_are_refused(tmp_path, monkeypatch, member):
    _, path = fitted(tmp_path)

    def point_outside(m):
        m["arrays"][0]["member"] = member
        return m

    # the member really is in the zip, so only the name check can refuse it
    out = rewrite(path, tmp_path / "trav.nf", point_outside, members={member: b"\x93NUMPY"})
    with zipfile.ZipFile(out) as z:
        assert member in z.namelist()
    with pytest.raises(FormatError, match="is not a file of the archive's arrays/ folder"):
        load_model(out)


def test_loading_writes_nothing_and_ignores_members_outside_the_manifest(tmp_path, monkeypatch):
    model, path = fitted(tmp_path)
    extra = {"../../evil.npy": b"x", "/abs/evil.npy": b"x", "arrays/99999.npy": b"x"}
    out = rewrite(path, tmp_path / "extra.nf", members=extra)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)

    def no_extract(*args, **kwargs):
        raise AssertionError("the loader extracted a member to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", no_extract)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", no_extract)
    before = _tree(tmp_path.parent)
    loaded = load_model(out)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert _tree(tmp_path.parent) == before


def test_members_listed_twice_or_larger_than_the_file_are_refused(tmp_path):
    _, path = fitted(tmp_path)

    def twice(m):
        m["arrays"][1]["member"] = m["arrays"][0]["member"]
        return m

    with pytest.raises(FormatError, match="listed twice"):
        load_model(rewrite(path, tmp_path / "twice.nf", twice))

    def bigger(m):  # a plausible shape, but more data than the whole file holds
        m["arrays"][-1]["shape"] = [10**6]
        return m

    with pytest.raises(
        FormatError, match=r"declare 40[0-9]{5} bytes, but the file holds only [0-9]{5}\."
    ):
        load_model(rewrite(path, tmp_path / "bigger.nf", bigger))


def test_a_config_asking_for_huge_weights_is_refused_before_allocating(tmp_path):
    import tracemalloc

    _, path = fitted(tmp_path)

    def huge(m):  # within every per-number limit: a 2-million-unit layer, 1.2 GB of kernel
        m["model"]["config"]["layers"][-2]["config"]["units"] = 2_000_000
        return m

    out = rewrite(path, tmp_path / "huge.nf", huge)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="would make a weight of shape \\(144, 2000000\\)"):
            load_model(out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * out.stat().st_size + (2 << 20)  # nothing near the 1.2 GB asked for


def test_truncated_archive(tmp_path):
    _, path = fitted(tmp_path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        (tmp_path / "cut.nf").write_bytes(data[:cut])
        with pytest.raises(FormatError, match="is not a neuroflow archive: File is not a zip"):
            load_model(tmp_path / "cut.nf")


# ------------------------------------------------------------------------- callbacks


def test_model_checkpoint_epoch_names_best_only_and_weights_only(tmp_path):
    model = cnn()
    every = callbacks.ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.nf"))
    best = callbacks.ModelCheckpoint(str(tmp_path / "best.nf"), monitor="loss", save_best_only=True)
    weights = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch}.nf"), save_weights_only=True)
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[every, best, weights])
    assert sorted(p.name for p in tmp_path.glob("ep*.nf")) == ["ep01.nf", "ep02.nf", "ep03.nf"]
    np.testing.assert_array_equal(
        load_model(tmp_path / "ep03.nf").predict(X, verbose=0), model.predict(X, verbose=0)
    )
    assert best.best == min(model.history.history["loss"])
    fresh = cnn()
    fresh.load_weights(tmp_path / "w3.nf")
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_backup_and_restore_resumes_after_a_crash(tmp_path):
    class Crash(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("power cut")

    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    model = cnn()
    with pytest.raises(RuntimeError, match="power cut"):
        model.fit(X, Y, epochs=5, batch_size=16, verbose=0, callbacks=[backup, Crash()])
    saved = load_model(tmp_path / "backup" / "backup.neuroflow")
    resumed = cnn()
    history = resumed.fit(X, Y, epochs=5, batch_size=16, verbose=0, callbacks=[backup])
    assert history.epoch == [3, 4]  # epochs 0-2 were done before the crash
    assert not (tmp_path / "backup" / "backup.neuroflow").exists()  # cleaned up at the end
    assert saved.optimizer.iterations == 3 * 4  # three epochs of four steps were backed up
    assert resumed.optimizer.iterations == 5 * 4
