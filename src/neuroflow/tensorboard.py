"""``keras.callbacks.TensorBoard`` without TensorFlow: event files the real ``tensorboard`` reads.

The callback follows Keras 3's (``keras/src/callbacks/tensorboard.py``): the same arguments and
defaults, the run folders ``<log_dir>/train`` and ``<log_dir>/validation``, and the same tags,
each with Keras's step:

- ``epoch_loss`` and ``epoch_<metric>`` in both runs, at the epoch index (from 0);
  ``epoch_learning_rate`` (and ``epoch_steps_per_second``) in the train run;
- ``evaluation_<name>_vs_iterations`` in the validation run after each evaluation, at
  ``optimizer.iterations``;
- ``batch_loss`` and ``batch_<metric>`` (``fit``'s running values) in the train run every
  ``update_freq`` batches, at the batch count since ``fit`` began (from 1);
- ``<weight path>/histogram`` and ``<weight path>/image`` in the train run every
  ``histogram_freq`` epochs; a weight's path is Keras's: ``sequential/dense/kernel`` in a
  Sequential model, ``dense/kernel`` in a functional one, ``sequential/lstm/lstm_cell/kernel``
  for a weight of a nested layer;
- ``keras``: the model's Keras JSON at step 0, which TensorBoard's Graphs tab draws.

The files are written with tensorboardX (the ``tensorboard`` extra:
``pip install "neuroflow[tensorboard]"``): its event-file writer (record framing and
checksums) and its scalar and histogram summaries; nothing here imports TensorFlow. The
weight images and the model graph are written as TensorFlow 2 writes them (a string tensor
with the ``images`` or the ``graph_keras_model`` plugin's metadata), the only form in which
TensorBoard shows several images under one tag and draws a Keras model's conceptual graph.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
import time
import warnings
import weakref
import zlib

import numpy as np

from neuroflow.callbacks import Callback, _current_lr
from neuroflow.utils.files import atomic_write_bytes

_INSTALL_HINT = 'pip install "neuroflow[tensorboard]"'
_HISTOGRAM_BINS = 30  # tf.summary.histogram's default bucket count
_MAX_IMAGES = 3  # tf.summary.image's default max_outputs
# the name Keras 3 gives the first embedding matrix in its checkpoints (projector config)
_EMBEDDING_TENSOR = "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"
_FILE_COUNTER = itertools.count()


def _check_tensorboardx() -> None:
    """Imports tensorboardX, or raises an ImportError naming the command that installs it."""
    try:
        import tensorboardX.event_file_writer  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "The TensorBoard callback writes its event files with tensorboardX, which is not "
            f"installed. Install it with: {_INSTALL_HINT}"
        ) from e


class _RunWriter:
    """One run's event file, written as each value comes (tensorboardX's ``EventsWriter``).

    tensorboardX's ``SummaryWriter`` hands events to a thread that writes them to the file
    every ``flush_secs`` (120 s), and its ``flush()`` does not wait for that queue: a fit
    that failed lost its last epochs. Writing in the caller's thread makes ``flush()`` mean
    what it says, at the cost of nothing measurable (a few events an epoch).
    """

    def __init__(self, folder: str):
        from tensorboardX.event_file_writer import EventsWriter

        os.makedirs(folder, exist_ok=True)
        # TensorFlow's file name (host, process, a counter): two fits in the same second
        # must not share a name, or the second file would replace the first
        suffix = f".{os.getpid()}.{next(_FILE_COUNTER)}.v2"
        self._events = EventsWriter(os.path.join(folder, "events"), suffix)

    def add_summary(self, summary, step: int) -> None:
        from tensorboardX.proto.event_pb2 import Event

        self._events.write_event(Event(wall_time=time.time(), step=int(step), summary=summary))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        from tensorboardX.summary import scalar

        self.add_summary(scalar(tag, float(value)), step)

    def add_histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        from tensorboardX.summary import histogram

        self.add_summary(histogram(tag, values, bins=_HISTOGRAM_BINS), step)

    def flush(self) -> None:
        self._events.flush()

    def close(self) -> None:
        self._events.close()


class TensorBoard(Callback):
    """Writes the training's scalars, weight histograms and images for TensorBoard.

    Parameters
    ----------
    log_dir : str or path, default "logs"
        Where the runs ``train/`` and ``validation/`` are written; view them with
        ``tensorboard --logdir <log_dir>``.
    histogram_freq : int, default 0
        Every how many epochs to write a histogram of each weight (0: never).
    write_graph : bool, default True
        Write the model's architecture (its Keras JSON, as Keras does), shown by TensorBoard's
        Graphs tab as a conceptual graph. Keras on TensorFlow also writes the graph of its
        compiled training step; neuroflow has no such graph, so that part is not written.
    write_images : bool, default False
        With ``histogram_freq``, also write each weight as an image, as Keras does: a Dense
        kernel as one grayscale image (transposed to be wider than tall), a bias as a column,
        a Conv2D kernel with one input channel as an image per filter (the first three). As
        in TensorFlow, values are clipped to [0, 1] (so negative weights show black).
    write_steps_per_second : bool, default False
        Also log the training steps per second, per epoch and (with ``update_freq``) per batch.
    update_freq : "epoch", "batch" or int, default "epoch"
        "epoch" writes scalars once an epoch; an integer N also writes ``batch_<name>`` (the
        running values ``fit`` reports) every N training batches; "batch" is 1.
    profile_batch : int or pair of int, default 0
        Accepted and checked as Keras does; profiling is not available (neuroflow runs on
        NumPy, not on TensorFlow's profiler), so a non-zero value only gives a warning.
    embeddings_freq : int, default 0
        Every how many epochs to save the weights for the embeddings projector, as Keras 3
        does: ``projector_config.pbtxt`` in ``log_dir`` and
        ``train/keras_embedding.ckpt-<epoch>.weights.h5`` (Keras's weights format, needs h5py).
    embeddings_metadata : str or dict, optional
        A metadata file for all ``Embedding`` layers, or one per layer name.

    Scalars are written in fit's order of events; every file is flushed at the end of each
    epoch and of each evaluation, so a training that fails keeps what it logged, and closed
    when training ends. Unlike Keras, ``epoch_*`` scalars are written every epoch whatever
    ``update_freq`` is (Keras on TensorFlow drops some of them when the epoch's last batch
    count is not a multiple of an integer ``update_freq``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from neuroflow import layers, models
    >>> model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> log_dir = tempfile.mkdtemp()
    >>> x = np.ones((8, 2), "float32")
    >>> history = model.fit(x, x.sum(1), epochs=2, validation_split=0.25, verbose=0,
    ...                     callbacks=[TensorBoard(log_dir)])
    >>> sorted(os.listdir(log_dir))
    ['train', 'validation']
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        _check_tensorboardx()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative_int("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _check_update_freq(update_freq)
        self._check_profile_batch(profile_batch)
        self.embeddings_freq = _non_negative_int("embeddings_freq", embeddings_freq)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise TypeError(
                "Expected `embeddings_metadata` to be a file name or a dict mapping Embedding "
                f"layer names to file names. Received: embeddings_metadata={embeddings_metadata!r}"
            )
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict = {}
        # closes the files if the callback is dropped without on_train_end (a failed fit)
        self._finalizer = weakref.finalize(self, _close_all, self._writers)
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        if self.update_freq != "epoch":
            # only then are the batch hooks defined, so fit builds no batch logs otherwise
            self.on_train_batch_begin = self._on_train_batch_begin
            self.on_train_batch_end = self._on_train_batch_end

    def _check_profile_batch(self, profile_batch) -> None:
        """Keras's check of ``profile_batch``; profiling itself is not available."""
        parsed = profile_batch
        if isinstance(parsed, str):  # Keras's legacy "start,stop" spelling
            try:
                parsed = [int(part) for part in parsed.split(",")]
            except ValueError:
                parsed = None
            if parsed is not None and len(parsed) == 1:
                parsed = parsed[0]
        if isinstance(parsed, (int, np.integer)) and not isinstance(parsed, bool):
            start = stop = int(parsed)
        elif isinstance(parsed, (tuple, list)) and len(parsed) == 2:
            start, stop = parsed
        else:
            start, stop = -1, -1
        if start < 0 or stop < start:
            raise ValueError(
                "profile_batch must be a non-negative integer or 2-tuple of positive integers. "
                "A pair of positive integers signifies a range of batches to profile. "
                f"Found: {profile_batch}"
            )
        if stop > 0:
            warnings.warn(
                f"TensorBoard(profile_batch={profile_batch!r}) is ignored: profiling needs "
                "TensorFlow's profiler, and neuroflow runs on NumPy.",
                stacklevel=3,
            )

    # ------------------------------------------------------------------ writers
    def _writer(self, run: str):
        """The run's writer ("train" or "validation"), created on first use."""
        writer = self._writers.get(run)
        if writer is None:
            folder = self._train_dir if run == "train" else self._val_dir
            writer = self._writers[run] = _RunWriter(folder)
        return writer

    def _flush(self) -> None:
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self) -> None:
        _close_all(self._writers)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._close_writers()  # files a failed fit left open: a new fit starts new files
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        if self.write_graph:
            self._write_model_graph()
        if self.embeddings_freq:
            self._configure_embeddings()

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = _iterations(self.model)
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        self._flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        writer = self._writer("validation")
        for name, value in (logs or {}).items():
            if _is_scalar(value):
                tag = f"evaluation_{name}_vs_iterations"
                writer.add_scalar(tag, float(value), int(optimizer.iterations))
        writer.flush()

    def _on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def _on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            writer.add_scalar("batch_steps_per_second", 1.0 / max(elapsed, 1e-9), step)
        for name, value in (logs or {}).items():
            if _is_scalar(value):
                writer.add_scalar(f"batch_{name}", float(value), step)

    # ------------------------------------------------------------------ what is written
    def _log_epoch_metrics(self, epoch: int, logs: dict) -> None:
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = _current_lr(optimizer)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            steps = _iterations(self.model) - self._previous_epoch_iterations
            train["steps_per_second"] = steps / elapsed
        for run, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    if _is_scalar(value):
                        writer.add_scalar(f"epoch_{name}", float(value), epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for path, weight in weight_paths(self.model):
            values = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
            tag = path.replace(":", "_")
            if values.size and np.isfinite(values).all():
                writer.add_histogram(f"{tag}/histogram", values, epoch)
            else:  # no range to bin (a diverged training): the other weights still logged
                warnings.warn(
                    f"TensorBoard: no histogram of {path} at epoch {epoch}: "
                    "it holds NaN or infinite values.",
                    stacklevel=2,
                )
            if self.write_images:
                images = _weight_images(values)
                if images is not None:
                    _write_images(writer, f"{tag}/image", images, epoch)

    def _write_model_graph(self) -> None:
        """The model's Keras JSON under the tag ``keras`` (TensorBoard's conceptual graph, as
        Keras writes it) and a graph of its layers as the run's graph (the "Op graph" view,
        which TensorBoard opens first and which Keras on TensorFlow fills with its ops)."""
        try:
            config = self.model.to_json()
        except Exception as e:  # as Keras: a model that does not serialize is not drawn
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {e}", stacklevel=2)
            return
        from tensorboardX.proto.event_pb2 import Event
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto

        metadata = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        )
        tensor = TensorProto(dtype="DT_STRING", string_val=[config.encode()])
        value = Summary.Value(tag="keras", metadata=metadata, tensor=tensor)
        writer = self._writer("train")
        writer.add_summary(Summary(value=[value]), 0)
        graph = _layer_graph(json.loads(config))
        writer._events.write_event(Event(wall_time=time.time(), graph_def=graph))

    def _embedding_layers(self) -> list:
        from neuroflow.layers import Embedding

        return [layer for layer in self.model.layers if isinstance(layer, Embedding)]

    def _configure_embeddings(self) -> None:
        """Keras 3's ``projector_config.pbtxt``: one entry per Embedding layer."""
        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, dict) else {}
        entries = []
        for layer in self._embedding_layers():
            entry = f"embeddings {{\n  tensor_name: {json.dumps(_EMBEDDING_TENSOR)}\n"
            path = metadata if isinstance(metadata, str) else remaining.pop(layer.name, None)
            if path is not None:
                entry += f"  metadata_path: {json.dumps(os.fspath(path))}\n"
            entries.append(entry + "}\n")
        if remaining:
            raise ValueError(
                "Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` "
                f"`embeddings_metadata` argument: {sorted(remaining)}"
            )
        target = os.path.join(self.log_dir, "projector_config.pbtxt")
        atomic_write_bytes(target, "".join(entries).encode())

    def _log_embeddings(self, epoch: int) -> None:
        path = os.path.join(self._train_dir, f"keras_embedding.ckpt-{epoch}.weights.h5")
        self.model.save_weights(path)


# ---------------------------------------------------------------------- helpers
def weight_paths(model) -> list[tuple[str, object]]:
    """``(path, weight)`` for each weight of each of ``model.layers``, with Keras 3's paths.

    Keras names a weight by the layers it was created in: the model's name first for a
    Sequential model (it builds its layers itself), then the layer, any nested layer, and the
    weight's own name.

    Examples
    --------
    >>> from neuroflow import layers, models
    >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)], name="sequential")
    >>> [path for path, _ in weight_paths(model)]
    ['sequential/dense/kernel', 'sequential/dense/bias']
    """
    from neuroflow.models import Sequential

    prefix = f"{model.name}/" if isinstance(model, Sequential) else ""
    out = []
    for layer in model.layers:
        found: dict[int, str] = {}
        stack = [(layer, f"{prefix}{layer.name}")]
        while stack:  # the innermost layer that holds a weight names it (first found wins)
            owner, path = stack.pop()
            for var in owner._variables:
                found.setdefault(id(var), f"{path}/{var.name}")
            stack.extend((sub, f"{path}/{sub.name}") for sub in reversed(owner._sublayers))
        out.extend((found.get(id(w), f"{prefix}{layer.name}/{w.name}"), w) for w in layer.weights)
    return out


def _layer_graph(config: dict) -> bytes:
    """A serialized GraphDef with a node per layer, named after it (its op the layer's class,
    its inputs the layers it is called on); not under the model's name, so that TensorBoard
    shows the layers at once instead of one box to open."""
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef

    model = config.get("config", {})
    nodes, previous = [], None
    for layer in model.get("layers", []):
        name = layer.get("config", {}).get("name") or layer.get("name")
        if config.get("class_name") == "Sequential":
            inputs = [] if previous is None else [previous]
        else:
            inputs = list(dict.fromkeys(_keras_history(layer.get("inbound_nodes", []))))
        nodes.append(NodeDef(name=name, op=layer["class_name"], input=inputs))
        previous = name
    return GraphDef(node=nodes).SerializeToString()


def _keras_history(value) -> list[str]:
    """The names of the layers whose outputs a Keras JSON ``inbound_nodes`` entry refers to."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            return [history[0]] if history else []
        return [name for item in value.values() for name in _keras_history(item)]
    if isinstance(value, list):
        return [name for item in value for name in _keras_history(item)]
    return []


def _weight_images(values: np.ndarray):
    """Keras's picture of a weight: an ``(n, height, width, channels)`` array, or None when
    Keras draws none (e.g. a Conv2D kernel with several input channels)."""
    image = np.squeeze(values)
    shape = image.shape
    if len(shape) == 1:  # a bias: one column
        image = image.reshape(1, shape[0], 1, 1)
    elif len(shape) == 2:  # a Dense kernel, wider than tall
        if shape[0] > shape[1]:
            image = image.T
        image = image.reshape(1, *image.shape, 1)
    elif len(shape) == 3:  # a Conv kernel with one input channel: one image per filter
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(*image.shape, 1)
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """TensorFlow's float-to-uint8 image conversion (``convert_image_dtype``, saturating)."""
    return np.clip(np.asarray(values, np.float32) * np.float32(255.5), 0, 255).astype(np.uint8)


def _png(image: np.ndarray) -> bytes:
    """PNG bytes of a ``(height, width, channels)`` uint8 image, channels 1, 3 or 4.

    Written here (zlib and the PNG chunk layout) so that the extra needs no imaging library.
    """
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]  # grey, RGB, RGBA
    rows = np.ascontiguousarray(image).reshape(height, width * channels)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _write_images(writer, tag: str, images: np.ndarray, step: int) -> None:
    """Up to three images under one tag, as ``tf.summary.image`` writes them: a string
    tensor ``[width, height, png, ...]`` with the ``images`` plugin's metadata."""
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    pixels = _to_uint8(images[:_MAX_IMAGES])
    height, width = pixels.shape[1:3]
    strings = [str(width).encode(), str(height).encode(), *(_png(image) for image in pixels)]
    tensor = TensorProto(
        dtype="DT_STRING",
        string_val=strings,
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=len(strings))]),
    )
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="images"))
    value = Summary.Value(tag=tag, metadata=metadata, tensor=tensor)
    writer.add_summary(Summary(value=[value]), step)


def _close_all(writers: dict) -> None:
    """Flushes and closes every writer in ``writers`` and forgets them."""
    for writer in writers.values():
        writer.close()
    writers.clear()


def _iterations(model) -> int:
    optimizer = getattr(model, "optimizer", None)
    return int(getattr(optimizer, "iterations", 0) or 0)


def _is_scalar(value) -> bool:
    """Whether a logged value is one number (per-class arrays are not written)."""
    return isinstance(value, (int, float, np.number)) or (
        isinstance(value, np.ndarray) and value.size == 1
    )


def _non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"Expected `{name}` to be an integer >= 0. Received: {name}={value!r}")
    return int(value)


def _check_update_freq(update_freq):
    if update_freq == "epoch":
        return "epoch"
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool):
        if update_freq > 0:
            return int(update_freq)
    raise ValueError(
        'Expected `update_freq` to be "epoch", "batch" or an integer > 0. '
        f"Received: update_freq={update_freq!r}"
    )


__all__ = ["TensorBoard", "weight_paths"]
