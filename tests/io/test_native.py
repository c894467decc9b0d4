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
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
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

    # a seed is not a size (Keras draws default seeds up to 1e9): any 64-bit integer passes
    from neuroflow.io.native import check_config

    check_config({"config": {"seed": 10**9 + 7, "units": 3}})
    check_config({"config": {"vocabulary": [10**12, 5, 2**40]}})  # IntegerLookup ids
    with pytest.raises(FormatError, match="beyond the limit"):
        check_config({"config": {"seed": 2**63}})
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


# ------------------------------------------------------------ functional and nested models


def _outputs(model, x):
    """The model's outputs for ``x`` (any nest of arrays) as a nest of arrays."""
    from neuroflow.layers.node import map_structure

    return map_structure(lambda t: t.numpy(), model(x))


def _assert_nests_equal(a, b):
    from neuroflow.layers.node import flatten

    assert type(a) is type(b)
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
    for u, v in zip(flatten(a), flatten(b), strict=True):
        np.testing.assert_array_equal(u, v)


def multi_io():
    """Dict inputs and outputs, a shared layer, a merge, a nested Sequential and a nested
    functional model with two outputs, BatchNormalization."""
    a, b = nf.keras.Input((4,), name="a"), nf.keras.Input((3,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    merged = layers.Concatenate(name="cat")(
        [shared(layers.Dense(4)(a)), shared(layers.Dense(4)(b))]
    )
    inner_seq = nf.keras.Sequential(
        [nf.keras.Input((10,)), layers.Dense(6, activation="relu"), layers.Dense(2)], name="seq"
    )
    t = nf.keras.Input((10,))
    inner_fn = nf.keras.Model(t, [layers.Dense(3)(t), layers.Dense(1)(t)], name="two_heads")
    p, q = inner_fn(layers.BatchNormalization()(merged))
    outputs = {"seq": inner_seq(merged), "p": p, "q": layers.Add()([q, layers.Dense(1)(merged)])}
    return nf.keras.Model({"a": a, "b": b}, outputs, name="multi_io")


def test_functional_multi_io_round_trip(tmp_path):
    model = multi_io()
    x = {"a": R.random((5, 4), dtype=np.float32), "b": R.random((5, 3), dtype=np.float32)}
    bn = next(layer for layer in model.layers if isinstance(layer, layers.BatchNormalization))
    bn.moving_mean.assign(R.random(10).astype(np.float32))  # not the initial values
    model.save(tmp_path / "m.nf")
    loaded = load_model(tmp_path / "m.nf")
    assert type(loaded).__name__ == "Functional"
    assert loaded.get_config() == model.get_config()
    _assert_nests_equal(_outputs(loaded, x), _outputs(model, x))
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    # the shared layer stays one layer, called twice
    assert len(loaded.get_layer("shared")._inbound_nodes) == 2
    assert loaded.get_layer("seq").__class__ is nf.keras.Sequential


def test_list_inputs_and_outputs_and_a_functional_model_inside_a_sequential(tmp_path):
    a, b = nf.keras.Input((3,)), nf.keras.Input((3,))
    diff = layers.Subtract()([a, b])
    model = nf.keras.Model([a, b], [layers.Dense(2)(diff), layers.Multiply()([a, b])])
    model.save(tmp_path / "lists.nf")
    loaded = load_model(tmp_path / "lists.nf")
    x = [R.random((4, 3), dtype=np.float32), R.random((4, 3), dtype=np.float32)]
    _assert_nests_equal(_outputs(loaded, x), _outputs(model, x))
    assert loaded.get_config() == model.get_config()

    t = nf.keras.Input((6,))
    block = nf.keras.Model(t, layers.Dense(4, activation="relu")(t), name="block")
    outer = nf.keras.Sequential([nf.keras.Input((6,)), block, layers.Dense(1)])
    outer.save(tmp_path / "outer.nf")
    loaded = load_model(tmp_path / "outer.nf")
    x = R.random((3, 6), dtype=np.float32)
    np.testing.assert_array_equal(loaded(x).numpy(), outer(x).numpy())
    assert type(loaded.layers[0]).__name__ == "Functional"


def residual():
    inputs = nf.keras.Input((6,))
    block = nf.keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(6)])
    shared = layers.Dense(6, activation="tanh")
    x = layers.Add()([inputs, block(inputs)])
    x = shared(shared(x))
    model = nf.keras.Model(inputs, layers.Dense(3, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_functional_training_resumes_identically(tmp_path):
    x, y = R.random((32, 6), dtype=np.float32), R.integers(0, 3, 32)
    model = residual()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "res.nf")
    loaded = load_model(tmp_path / "res.nf")
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0))
    assert loaded.metrics_names == model.metrics_names == ["loss", "accuracy"]
    for m in (model, loaded):
        nf.utils.set_random_seed(3)
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_lambda_and_custom_layers_in_functional_models_are_refused(tmp_path):
    inputs = nf.keras.Input((3,))
    model = nf.keras.Model(inputs, layers.Lambda(lambda t: t * 2, name="double")(inputs))
    with pytest.raises(ValueError, match="Cannot save Lambda layer 'double'.*Python code"):
        model.save(tmp_path / "lambda.nf")

    class Scale(nf.layers.Layer):
        def call(self, x, training=False):
            return x

    assert not list(tmp_path.iterdir())
    # a custom layer is saved; loading finds its class only among the given ones
    inner = nf.keras.Sequential([nf.keras.Input((3,)), Scale(name="mine")])
    model = nf.keras.Model(inputs, inner(inputs))
    model.save(tmp_path / "custom.nf")
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'.*register_keras"):
        nf.keras.models.load_model(tmp_path / "custom.nf")
    loaded = nf.keras.models.load_model(tmp_path / "custom.nf", custom_objects={"Scale": Scale})
    assert type(loaded.layers[1].layers[0]) is Scale


def _functional_file(tmp_path):
    model = multi_io()
    model.save(tmp_path / "f.nf")
    return tmp_path / "f.nf"


def _layer_spec(m, name):
    return next(s for s in m["model"]["config"]["layers"] if s["name"] == name)


def _ref(spec, node=0, arg=0):
    """The config of the first tensor reference of a call of ``spec``."""
    value = spec["inbound_nodes"][node]["args"][arg]
    return (value[0] if isinstance(value, list) else value)["config"]


def _set_history(name, history):
    def edit(m):
        _ref(_layer_spec(m, name))["keras_history"] = history
        return m

    return edit


def _cycle(m):  # "cat" reads "shared" and the first Dense reads "cat": a cycle
    cat = _layer_spec(m, "cat")
    first = next(s for s in m["model"]["config"]["layers"] if s["class_name"] == "Dense")
    _ref(first)["keras_history"] = ["cat", 0, 0]
    assert cat["inbound_nodes"]
    return m


def _edit(name, fn):
    def edit(m):
        fn(_layer_spec(m, name))
        return m

    return edit


def _set_input_shape(shape):
    return _edit("a", lambda s: s["config"].update(batch_shape=shape))


HOSTILE_GRAPHS = {
    "unknown class": (
        _edit("cat", lambda s: s.update(class_name="os.system")),
        "Unknown layer class 'os.system'",
    ),
    "unknown layer": (_set_history("cat", ["nowhere", 0, 0]), "layer 'nowhere', which the"),
    "missing call": (_set_history("cat", ["shared", 7, 0]), "reads call 7 of layer 'shared'"),
    "missing output": (_set_history("cat", ["shared", 0, 3]), "reads output 3 of layer"),
    "bad history": (_set_history("cat", ["shared", -1, 0]), "expected \\[layer name, call"),
    "history not a list": (_set_history("cat", "shared"), "expected \\[layer name, call"),
    "cycle": (_cycle, "form a cycle through"),
    "huge input": (_set_input_shape([None, 1 << 20, 1 << 20]), "values per sample"),
    "negative input": (_set_input_shape([None, -4]), "positive sizes"),
    "deep input": (_set_input_shape([None] + [1] * 12), "positive sizes"),
    "input dtype": (_edit("a", lambda s: s["config"].update(dtype="object")), "dtype 'object'"),
    "duplicate names": (
        lambda m: m["model"]["config"]["layers"].append(_layer_spec(m, "cat")) or m,
        "two layers named 'cat'",
    ),
    "call on a number": (
        _edit("cat", lambda s: s["inbound_nodes"][0].update(args=[3])),
        "is called on 3; expected tensors",
    ),
    "code in kwargs": (
        _edit("cat", lambda s: s["inbound_nodes"][0].update(kwargs={"fn": "os.system"})),
        "keyword argument fn=",
    ),
    "output not made": (
        lambda m: m["model"]["config"].update(output_layers={"p": ["cat", 4, 0]}) or m,
        "reads call 4 of layer 'cat'",
    ),
    "input from a layer": (
        lambda m: m["model"]["config"].update(input_layers={"a": ["cat", 0, 0]}) or m,
        "Input layers only",
    ),
    "input with calls": (
        _edit("a", lambda s: s.update(inbound_nodes=[{"args": [], "kwargs": {}}])),
        "listed as called",
    ),
    "wrong input rank": (_set_input_shape([None, 4, 2]), "cannot be called as the file says"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_GRAPHS))
def test_hostile_graph_configs_are_refused_by_a_check(tmp_path, case):
    edit, message = HOSTILE_GRAPHS[case]
    out = rewrite(_functional_file(tmp_path), tmp_path / "bad.nf", edit)
    with pytest.raises(FormatError, match=message) as info:
        load_model(out)
    assert not isinstance(info.value, native.UnforeseenFormatError)


def test_a_functional_config_asking_for_huge_weights_is_refused(tmp_path):
    edit = _edit("shared", lambda s: s["config"].update(units=3_000_000))
    out = rewrite(_functional_file(tmp_path), tmp_path / "huge.nf", edit)
    with pytest.raises(FormatError, match="would make a weight of shape \\(4, 3000000\\)"):
        load_model(out)


def test_per_output_compile_settings_and_training_resume(tmp_path):
    inputs = nf.keras.Input((4,), name="x")
    hidden = layers.Dense(5, activation="relu")(inputs)
    outputs = {
        "price": layers.Dense(1, name="price")(hidden),
        "kind": layers.Dense(3, activation="softmax", name="kind")(hidden),
    }
    model = nf.keras.Model(inputs, outputs)
    model.compile(
        "adam",
        {"price": "mse", "kind": "sparse_categorical_crossentropy"},
        loss_weights={"price": 0.5, "kind": 2.0},
        metrics={"kind": ["accuracy"], "price": [nf.metrics.MeanAbsoluteError()]},
    )
    x = R.random((16, 4), dtype=np.float32)
    y = {"price": R.random((16, 1), dtype=np.float32), "kind": R.integers(0, 3, 16)}
    model.fit(x, y, batch_size=8, verbose=0)
    model.save(tmp_path / "outputs.nf")
    loaded = load_model(tmp_path / "outputs.nf")
    assert loaded.optimizer.iterations == 2
    want = model.evaluate(x, y, verbose=0, return_dict=True)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(want)
    assert loaded.metrics_names == model.metrics_names
    for m in (model, loaded):
        nf.utils.set_random_seed(4)
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    def fewer(m):
        del m["compile"]["loss"]["kind"]
        return m

    with pytest.raises(FormatError, match="one entry per output \\['kind', 'price'\\]"):
        load_model(rewrite(tmp_path / "outputs.nf", tmp_path / "fewer.nf", fewer))
