"""keras.callbacks.TensorBoard without TensorFlow: the event files read back by TensorBoard's own
reader (tags, steps and values against ``history.history``), compared with Keras's callback on
the same model and weights, served by the real ``tensorboard`` server, and the bad input."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import callbacks, layers, models, optimizers
from neuroflow.tensorboard import TensorBoard, _png, _to_uint8
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from tensorboard.util import tensor_util  # noqa: E402  (after the skip above)

RNG = np.random.default_rng(0)
X = RNG.random((48, 4, 4, 1)).astype(np.float32)
Y = (X.reshape(48, -1).mean(1) > 0.5).astype(np.int32)
X_VAL, Y_VAL = X[32:], Y[32:]
X, Y = X[:32], Y[:32]


def small_model(lib, learning_rate=0.05):
    """Conv2D (one input channel, so Keras draws its filters) and two Dense layers."""
    model = lib.Sequential(
        [
            lib.Input((4, 4, 1)),
            lib.layers.Conv2D(2, 3, activation="relu", name="conv"),
            lib.layers.Flatten(name="flat"),
            lib.layers.Dense(3, activation="relu", name="hidden"),
            lib.layers.Dense(2, activation="softmax", name="out"),
        ],
        name="net",
    )
    model.compile(
        lib.optimizers.SGD(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def accumulator(folder):
    acc = event_accumulator.EventAccumulator(
        str(folder), size_guidance={kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}
    )
    acc.Reload()
    return acc


def op_graph(folder) -> list:
    """``(name, op, inputs)`` for each node of the run's graph."""
    return [(n.name, n.op, list(n.input)) for n in accumulator(folder).Graph().node]


def read_run(folder) -> dict:
    """``{tag: {"steps", "values" | "histo" | "images" | "text"}}`` for one run folder, from
    TensorBoard's EventAccumulator; scalars written as tensors (TensorFlow's way) and as
    simple values (tensorboardX's) read the same."""
    acc = accumulator(folder)
    tags = acc.Tags()
    out = {}
    for tag in tags["scalars"]:
        events = acc.Scalars(tag)
        out[tag] = {"steps": [e.step for e in events], "values": [e.value for e in events]}
    for tag in tags["histograms"]:
        events = acc.Histograms(tag)
        histos = [e.histogram_value for e in events]
        out[tag] = {"steps": [e.step for e in events], "histo": histos}
    for tag in tags["tensors"]:
        events = acc.Tensors(tag)
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        arrays = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
        entry = {"steps": [e.step for e in events], "plugin": plugin}
        if plugin == "scalars":
            entry["values"] = [float(a) for a in arrays]
        elif plugin == "histograms":  # (buckets, 3): left edge, right edge, count
            entry["buckets"] = arrays
        elif plugin == "images":  # [width, height, png, ...]
            entry["images"] = [[decode_png(png) for png in a[2:]] for a in arrays]
            entry["size"] = [(int(a[0]), int(a[1])) for a in arrays]
        else:
            entry["text"] = [a.item() for a in arrays]
        out[tag] = entry
    return out


def decode_png(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


def runs(log_dir) -> dict:
    return {run: read_run(os.path.join(log_dir, run)) for run in sorted(os.listdir(log_dir))}


def as_f32(values) -> list:
    return [float(np.float32(v)) for v in values]


# ------------------------------------------------------------------ files read back
def test_epoch_scalars_equal_the_history_in_train_and_validation_runs(tmp_path):
    model = small_model(nf.keras)
    history = model.fit(
        X, Y, batch_size=8, epochs=3, validation_data=(X_VAL, Y_VAL), verbose=0,
        callbacks=[TensorBoard(tmp_path)],
    )  # fmt: skip
    logged = runs(tmp_path)
    assert sorted(logged) == ["train", "validation"]
    train, val = logged["train"], logged["validation"]
    assert set(train) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "keras"}
    for name in ("loss", "accuracy"):
        assert train[f"epoch_{name}"] == {
            "steps": [0, 1, 2],
            "values": as_f32(history.history[name]),
        }
        val_values = as_f32(history.history[f"val_{name}"])
        assert val[f"epoch_{name}"] == {"steps": [0, 1, 2], "values": val_values}
        # Keras's evaluation_<name>_vs_iterations: the same values at optimizer.iterations
        evaluation = val[f"evaluation_{name}_vs_iterations"]
        assert evaluation == {"steps": [4, 8, 12], "values": val_values}
    assert train["epoch_learning_rate"]["values"] == as_f32([0.05] * 3)
    assert set(val) == {
        "epoch_loss", "epoch_accuracy",
        "evaluation_loss_vs_iterations", "evaluation_accuracy_vs_iterations",
    }  # fmt: skip
    graph = train["keras"]
    assert graph["steps"] == [0] and graph["plugin"] == "graph_keras_model"
    assert json.loads(graph["text"][0]) == json.loads(model.to_json())
    assert op_graph(tmp_path / "train") == [  # Keras 3's config lists the InputLayer first
        ("input_layer", "InputLayer", []),
        ("conv", "Conv2D", ["input_layer"]),
        ("flat", "Flatten", ["conv"]),
        ("hidden", "Dense", ["flat"]),
        ("out", "Dense", ["hidden"]),
    ]


def test_the_op_graph_of_a_functional_model_follows_its_connections(tmp_path):
    inputs = layers.Input((3,), name="x")
    total = layers.Add(name="sum")(
        [layers.Dense(2, name="a")(inputs), layers.Dense(2, name="b")(inputs)]
    )
    model = models.Model(inputs, total, name="fn")
    model.compile("sgd", "mse")
    model.fit(
        X[:8, 0, :3, 0], Y[:8, None] * np.ones((1, 2)), verbose=0, callbacks=[TensorBoard(tmp_path)]
    )
    assert op_graph(tmp_path / "train") == [
        ("x", "InputLayer", []),
        ("a", "Dense", ["x"]),
        ("b", "Dense", ["x"]),
        ("sum", "Add", ["a", "b"]),
    ]


@pytest.mark.parametrize(
    ("update_freq", "steps"), [("batch", list(range(1, 13))), (3, [3, 6, 9, 12])]
)
def test_batch_scalars_every_update_freq_batches_counted_across_epochs(
    tmp_path, update_freq, steps
):
    seen = []  # the logs of every training batch, in order
    record = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(logs))
    model = small_model(nf.keras)
    model.fit(
        X, Y, batch_size=8, epochs=3, verbose=0, shuffle=False,
        callbacks=[TensorBoard(tmp_path, update_freq=update_freq), record],
    )  # fmt: skip
    train = runs(tmp_path)["train"]
    for name in ("loss", "accuracy"):
        expected = as_f32([seen[step - 1][name] for step in steps])
        assert train[f"batch_{name}"] == {"steps": steps, "values": expected}
    assert train["epoch_loss"]["steps"] == [0, 1, 2]  # written every epoch whatever the freq


def test_no_batch_hooks_and_no_graph_unless_asked(tmp_path):
    board = TensorBoard(tmp_path, write_graph=False)
    list_ = callbacks.CallbackList([board], small_model(nf.keras), {})
    assert not list_.wants("on_train_batch_begin") and not list_.wants("on_train_batch_end")
    small_model(nf.keras).fit(X, Y, epochs=1, verbose=0, callbacks=[board])
    assert "keras" not in runs(tmp_path)["train"]
    assert not os.path.exists(tmp_path / "validation")  # no validation data: no run


def test_histograms_and_images_hold_the_weights_of_their_epoch(tmp_path):
    weights = {}
    model = small_model(nf.keras)
    keep = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.update({epoch: model.get_weights()})
    )
    board = TensorBoard(tmp_path, histogram_freq=2, write_images=True)
    model.fit(X, Y, batch_size=8, epochs=4, verbose=0, callbacks=[board, keep])
    train = runs(tmp_path)["train"]
    paths = [
        f"net/{layer}/{name}" for layer in ("conv", "hidden", "out") for name in ("kernel", "bias")
    ]  # noqa: E501
    assert {t for t in train if t.endswith(("/histogram", "/image"))} == {
        f"{path}/{kind}" for path in paths for kind in ("histogram", "image")
    }
    for i, path in enumerate(paths):
        histogram = train[f"{path}/histogram"]
        assert histogram["steps"] == [0, 2]
        for epoch, histo in zip((0, 2), histogram["histo"]):
            w = weights[epoch][i]
            assert (histo.num, histo.min, histo.max) == (w.size, w.min(), w.max())
            assert histo.sum == pytest.approx(float(w.sum()), abs=1e-5)
        image = train[f"{path}/image"]
        assert image["steps"] == [0, 2]
        w = weights[2][i]
        if w.ndim == 4:  # conv (3, 3, 1, 2): one 3x3 image per filter
            expected = [_to_uint8(w[:, :, 0, f]) for f in range(2)]
        elif w.ndim == 2:  # Dense kernel drawn wider than tall
            expected = [_to_uint8(w.T if w.shape[0] > w.shape[1] else w)]
        else:  # bias: one column
            expected = [_to_uint8(w[:, None])]
        assert len(image["images"][1]) == len(expected)
        for got, want in zip(image["images"][1], expected):
            np.testing.assert_array_equal(got, want)
        assert image["size"][1] == (expected[0].shape[1], expected[0].shape[0])


def test_a_weight_with_nan_gets_a_warning_instead_of_a_histogram(tmp_path):
    model = small_model(nf.keras)
    weights = model.get_weights()
    weights[1][0] = np.nan  # the conv bias
    model.set_weights(weights)
    board = TensorBoard(tmp_path, histogram_freq=1)
    board.set_model(model)
    with pytest.warns(UserWarning, match=r"no histogram of net/conv/bias at epoch 0"):
        board.on_epoch_end(0, {"loss": 1.0})
    board.on_train_end()
    tags = set(runs(tmp_path)["train"])
    assert "net/conv/kernel/histogram" in tags and "net/conv/bias/histogram" not in tags


def test_png_encoder_round_trips_grey_rgb_and_rgba():
    for channels in (1, 3, 4):
        image = RNG.integers(0, 256, size=(5, 7, channels), dtype=np.uint8)
        decoded = decode_png(_png(image))
        np.testing.assert_array_equal(decoded.reshape(image.shape), image)


def test_steps_per_second_and_a_standalone_evaluate(tmp_path):
    model = small_model(nf.keras)
    board = TensorBoard(tmp_path, write_steps_per_second=True, update_freq=2)
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[board])
    loss, accuracy = model.evaluate(X_VAL, Y_VAL, verbose=0, callbacks=[board])
    logged = runs(tmp_path)
    train = logged["train"]
    assert train["epoch_steps_per_second"]["steps"] == [0, 1]
    assert all(v > 0 for v in train["epoch_steps_per_second"]["values"])
    assert train["batch_steps_per_second"]["steps"] == [2, 4, 6, 8]
    # after fit's 8 steps, evaluate logs its results at iteration 8 in the validation run
    val = logged["validation"]
    assert val["evaluation_loss_vs_iterations"] == {"steps": [8], "values": as_f32([loss])}
    assert val["evaluation_accuracy_vs_iterations"]["values"] == as_f32([accuracy])


def test_a_failing_fit_keeps_its_epochs_and_the_next_fit_writes_new_files(tmp_path):
    class Fail(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("stop here")

    model = small_model(nf.keras)
    board = TensorBoard(tmp_path)
    with pytest.raises(RuntimeError, match="stop here"):
        model.fit(X, Y, epochs=5, verbose=0, callbacks=[board, Fail()])
    # on_train_end never ran, yet both epochs are on disk (flushed at each epoch's end)
    assert runs(tmp_path)["train"]["epoch_loss"]["steps"] == [0, 1]
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[board])
    files = sorted((tmp_path / "train").iterdir(), key=os.path.getmtime)
    assert len(files) == 2  # a second file, the first one kept
    first, second = (read_run(path)["epoch_loss"] for path in files)
    assert first["steps"] == second["steps"] == [0, 1]
    assert second["values"] == as_f32(history.history["loss"])
    assert board._writers == {}  # closed by on_train_end


def test_embeddings_write_keras_projector_config_and_weights(tmp_path):
    projector = pytest.importorskip("tensorboard.plugins.projector.projector_config_pb2")
    from google.protobuf import text_format

    model = models.Sequential(
        [layers.Input((3,)), layers.Embedding(10, 4, name="emb"), layers.Flatten(),
         layers.Dense(1)]
    )  # fmt: skip
    model.compile("sgd", "mse")
    tokens = RNG.integers(0, 10, size=(16, 3))
    board = TensorBoard(tmp_path, embeddings_freq=2, embeddings_metadata={"emb": "words.tsv"})
    model.fit(tokens, RNG.random((16, 1)), epochs=3, verbose=0, callbacks=[board])
    config = text_format.Parse(
        (tmp_path / "projector_config.pbtxt").read_text(), projector.ProjectorConfig()
    )
    assert [(e.tensor_name, e.metadata_path) for e in config.embeddings] == [
        ("layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE", "words.tsv")
    ]
    saved = sorted(f for f in os.listdir(tmp_path / "train") if f.endswith(".weights.h5"))
    assert saved == ["keras_embedding.ckpt-0.weights.h5", "keras_embedding.ckpt-2.weights.h5"]
    wrong = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"nope": "x.tsv"})
    with pytest.raises(ValueError, match=r"Unrecognized `Embedding` layer names.*nope"):
        model.fit(tokens, RNG.random((16, 1)), epochs=1, verbose=0, callbacks=[wrong])


def test_importable_from_the_keras_namespaces():
    assert nf.keras.callbacks.TensorBoard is TensorBoard
    assert callbacks.TensorBoard is TensorBoard
    assert "TensorBoard" in callbacks.__all__


def test_training_writes_its_files_with_tensorflow_unimportable(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["tensorflow"] = None  # any import of TensorFlow now fails
        import numpy as np
        import neuroflow as nf
        model = nf.keras.Sequential([nf.keras.Input((2,)), nf.keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        x = np.ones((8, 2), "float32")
        board = nf.keras.callbacks.TensorBoard({str(tmp_path)!r}, histogram_freq=1,
                                               write_images=True, update_freq="batch")
        model.fit(x, x.sum(1), epochs=2, validation_split=0.25, verbose=0, callbacks=[board])
        print(sorted(m for m, v in sys.modules.items() if v and m.split(".")[0] == "tensorflow"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={**os.environ, "NEUROFLOW_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    train = runs(tmp_path)["train"]
    assert train["epoch_loss"]["steps"] == [0, 1] and train["batch_loss"]["steps"] == [1, 2]


# ------------------------------------------------------------------ against Keras
def test_tags_runs_steps_and_values_match_keras_on_the_same_weights(tmp_path):
    """Both libraries train the same model from the same weights with a learning rate too
    small to move them (so the losses, histograms and images must agree), 4 batches an epoch
    and update_freq=2 (every epoch's last batch count is even, so Keras writes all epochs)."""
    keras = peer("keras")
    keras.utils.set_random_seed(1)
    theirs = small_model(keras, learning_rate=1e-30)
    ours = small_model(nf.keras, learning_rate=1e-30)
    ours.set_weights(theirs.get_weights())
    for model, folder in ((theirs, tmp_path / "keras"), (ours, tmp_path / "neuroflow")):
        lib = keras if model is theirs else nf.keras
        board = lib.callbacks.TensorBoard(
            str(folder), histogram_freq=1, write_images=True, update_freq=2
        )
        model.fit(
            X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
            validation_data=(X_VAL, Y_VAL), callbacks=[board],
        )  # fmt: skip
    k_runs, n_runs = runs(tmp_path / "keras"), runs(tmp_path / "neuroflow")
    assert sorted(n_runs) == sorted(k_runs) == ["train", "validation"]
    for run in k_runs:
        k, n = k_runs[run], n_runs[run]
        assert sorted(n) == sorted(k), run
        for tag in k:
            assert n[tag]["steps"] == k[tag]["steps"], (run, tag)
            if "values" in k[tag]:
                np.testing.assert_allclose(n[tag]["values"], k[tag]["values"], rtol=2e-5)
            elif "buckets" in k[tag]:  # same 30 equal buckets from min to max
                for histo, buckets in zip(n[tag]["histo"], k[tag]["buckets"]):
                    assert histo.num == buckets[:, 2].sum()
                    assert histo.min == pytest.approx(buckets[0, 0], abs=1e-7)
                    assert histo.max == pytest.approx(buckets[-1, 1], abs=1e-7)
                    counts = [c for c in histo.bucket if c]
                    assert counts == [c for c in buckets[:, 2] if c]
            elif "images" in k[tag]:
                assert n[tag]["size"] == k[tag]["size"]
                for mine, keras_images in zip(n[tag]["images"], k[tag]["images"]):
                    assert len(mine) == len(keras_images)
                    for a, b in zip(mine, keras_images):
                        np.testing.assert_array_equal(a.reshape(b.shape), b)
    k_graph = json.loads(k_runs["train"]["keras"]["text"][0])
    n_graph = json.loads(n_runs["train"]["keras"]["text"][0])
    # Keras 3 lists the InputLayer first among a Sequential model's layers, and so do we
    assert [layer["class_name"] for layer in n_graph["config"]["layers"]] == [
        layer["class_name"] for layer in k_graph["config"]["layers"]
    ]


# ------------------------------------------------------------------ the real server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tensorboard_server(tmp_path):
    """Starts ``tensorboard`` on 127.0.0.1 over ``tmp_path/logs``; yields ``(url, log_dir)``
    once it answers; always stops it."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    port = free_port()
    command = [
        sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
        "--host", "127.0.0.1", "--port", str(port), "--load_fast", "false",
        "--reload_interval", "1",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/data/logdir", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None:
                    pytest.fail(f"tensorboard exited: {server.stderr.read().decode()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("tensorboard did not answer within 60 s")
                time.sleep(0.25)
        yield url, log_dir
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def get_json(url: str, path: str, **query):
    with urllib.request.urlopen(f"{url}{path}?{urllib.parse.urlencode(query)}", timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.slow  # the server takes 10-25 s to start and stop on a busy machine
def test_tensorboard_server_serves_the_logged_scalars_histograms_and_images(tensorboard_server):
    url, log_dir = tensorboard_server
    model = small_model(nf.keras)
    history = model.fit(
        X, Y, batch_size=8, epochs=3, validation_data=(X_VAL, Y_VAL), verbose=0,
        callbacks=[TensorBoard(log_dir, histogram_freq=1, write_images=True)],
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:  # the server reloads the folder every second
        tags = get_json(url, "/data/plugin/scalars/tags")
        if "epoch_loss" in tags.get("validation", {}) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(tags) == {"train", "validation"}
    for run, prefix in (("train", ""), ("validation", "val_")):
        for name in ("loss", "accuracy"):
            points = get_json(url, "/data/plugin/scalars/scalars", run=run, tag=f"epoch_{name}")
            assert [step for _, step, _ in points] == [0, 1, 2]  # [wall time, step, value]
            assert [value for *_, value in points] == as_f32(history.history[prefix + name])
    histograms = get_json(
        url, "/data/plugin/histograms/histograms", run="train", tag="net/hidden/kernel/histogram"
    )
    assert [step for _, step, _ in histograms] == [0, 1, 2]
    assert sum(count for *_, count in histograms[-1][2]) == pytest.approx(8 * 3)
    for sample in (0, 1):  # the conv layer's two filters, each a 3x3 picture
        images = get_json(
            url, "/data/plugin/images/images", run="train", tag="net/conv/kernel/image",
            sample=sample,
        )  # fmt: skip
        assert [entry["step"] for entry in images] == [0, 1, 2]
        query = images[-1]["query"]
        with urllib.request.urlopen(f"{url}/data/plugin/images/individualImage?{query}") as r:
            assert decode_png(r.read()).shape == (3, 3)
    with urllib.request.urlopen(
        f"{url}/data/plugin/graphs/graph?run=train&conceptual=true&tag=keras", timeout=10
    ) as response:
        graph = response.read().decode()
    info = get_json(url, "/data/plugin/graphs/info")["train"]
    assert info["run_graph"] and info["tags"]["keras"]["conceptual_graph"]
    with urllib.request.urlopen(f"{url}/data/plugin/graphs/graph?run=train", timeout=10) as r:
        assert 'input: "flat"' in r.read().decode()  # the op graph: the layers' graph
    # the conceptual graph TensorBoard builds from the model's Keras JSON: a node per layer
    for name in ("conv", "flat", "hidden", "out"):
        assert f'name: "net/{name}"' in graph
    assert 'input: "net/hidden"' in graph and 's: "Conv2D"' in graph


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"update_freq": "weekly"}, r"`update_freq` .*\"epoch\", \"batch\".*update_freq='weekly'"),
        ({"update_freq": 0}, r"update_freq=0"),
        ({"update_freq": True}, r"update_freq=True"),
        ({"histogram_freq": -1}, r"`histogram_freq` to be an integer >= 0.*histogram_freq=-1"),
        ({"histogram_freq": 1.5}, r"histogram_freq=1.5"),
        ({"embeddings_freq": -2}, r"embeddings_freq=-2"),
        ({"profile_batch": -1}, r"profile_batch must be a non-negative integer.*Found: -1"),
        ({"profile_batch": (5, 2)}, r"Found: \(5, 2\)"),
        ({"profile_batch": "a,b"}, r"Found: a,b"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(**kwargs)


def test_bad_embeddings_metadata_and_ignored_profiling():
    with pytest.raises(TypeError, match=r"`embeddings_metadata`.*Received: embeddings_metadata=3"):
        TensorBoard(embeddings_metadata=3)
    with pytest.warns(UserWarning, match=r"profile_batch='2,4'\) is ignored"):
        TensorBoard(profile_batch="2,4")


def test_missing_tensorboardx_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "neuroflow\[tensorboard\]"'):
        TensorBoard("logs")


def test_learning_rate_follows_a_schedule(tmp_path):
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizers.SGD(schedule), "mse")
    x = RNG.random((16, 2)).astype(np.float32)
    model.fit(x, x.sum(1), batch_size=4, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path)])
    # read after each epoch's 4 steps: 0.1 * 0.5 ** (4 / 4), then ** (8 / 4)
    values = runs(tmp_path)["train"]["epoch_learning_rate"]["values"]
    assert values == as_f32([0.05, 0.025])
