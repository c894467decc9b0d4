"""neuroflow's own file format: a zip of JSON and ``.npy`` arrays, safe to open from anyone.

Layout of an archive::

    neuroflow.json      {"format": "neuroflow", "kind": "model" | "weights", "version": 1,
                         "model": {"class_name": "Sequential" | "Functional",
                                   "config": ...},                       (kind "model")
                         "compile": {...} | null,
                         "arrays": [{"name", "member", "shape", "dtype"}, ...],
                         "optimizer": {"class_name", "iterations", "slots"} | null}
    arrays/00000.npy    one file per weight (and optimizer slot), in "arrays" order

Loading never unpickles and never imports: classes come only from the library's own
registries (``layers.deserialize``, ``optimizers.deserialize``, ``losses.deserialize``).
Every size is checked before anything is read or allocated: the JSON has a size cap; the
arrays the manifest declares must fit in the file's own bytes; the model the config
describes may not make more weight bytes than those arrays hold; each ``.npy`` header must
declare exactly the shape and dtype that the manifest and the model expect, and the data
that follows must be exactly that long. Member names outside ``arrays/`` are refused and
nothing is ever extracted to disk. Anything else is a ``ValueError`` (:class:`FormatError`)
that says what is wrong.

A functional model's config is Keras 3's (each layer with the calls it was part of).
Before any layer is called, the loader checks the whole graph it describes: every layer
class is the library's own, every tensor reference names a call that exists, the calls
form no cycle, input shapes are plain sizes; every symbolic tensor the replay makes is
checked to stay within :data:`MAX_ELEMENTS` per sample, and a file may describe at most
:data:`MAX_LAYERS` layers and :data:`MAX_CALLS` calls.
"""

from __future__ import annotations

import collections
import functools
import json
import lzma
import math
import re
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from neuroflow import layers, losses, metrics, optimizers
from neuroflow._registry import snake_case
from neuroflow.io import custom_objects
from neuroflow.layers.node import KerasTensor, flatten
from neuroflow.models import Model, Sequential
from neuroflow.models.functional import Functional
from neuroflow.utils.files import atomic_path

FORMAT, VERSION = "neuroflow", 1
MANIFEST = "neuroflow.json"
MAX_MANIFEST_BYTES = 16 << 20
MAX_CONFIG_DEPTH = 32
MAX_DIMENSION = 1 << 24
MAX_SEED = 1 << 63  # a config's "seed" is not a size: any 64-bit integer
MAX_ELEMENTS = 1 << 28  # per sample, in any tensor of a rebuilt graph (1 GiB of float32)
MAX_LAYERS = MAX_CALLS = 100_000  # far beyond real models; bounds the Python objects made
MAX_RANK = 8
_DTYPES = {"float32": np.float32, "float64": np.float64}
# what reading a damaged member raises: zipfile's own errors (RuntimeError: encrypted or an
# unknown compression method), and its decompressors' (zlib, bz2's OSError, lzma)
_DAMAGED_MEMBER = (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error, lzma.LZMAError)
# the only member names an archive's manifest may point to: nothing outside arrays/
_MEMBER = re.compile(r"arrays/[0-9A-Za-z_-]+\.npy")


class FormatError(ValueError):
    """The file is not a valid neuroflow archive (a ValueError)."""


class UnforeseenFormatError(FormatError):
    """A file made the reader fail in a way none of its checks foresaw.

    Users see a FormatError (a ValueError) like any other; tests treat this subclass as a
    bug in the reader, since every rejection should come from a check with its own message.
    """


# ------------------------------------------------------------------------------ saving
def _check_saveable(layer) -> None:
    """Only the library's own layers can be rebuilt from a file (by class name)."""
    if type(layer) in (Sequential, Functional):
        for sub in layer.layers:
            _check_saveable(sub)
        return
    if isinstance(layer, layers.Lambda):
        raise ValueError(
            f"Cannot save Lambda layer '{layer.name}': its function is Python code, which "
            "the safe format never stores (nor runs when loading). Replace it with built-in "
            "layers, or save the weights only (save_weights) and rebuild the model in code."
        )
    if layers.layer_classes().get(type(layer).__name__) is not type(layer) and not (
        custom_objects.is_custom(type(layer)) and not isinstance(layer, Model)
    ):
        raise ValueError(
            f"Cannot save layer '{layer.name}' of type {type(layer).__name__}: only the "
            "library's own layers and custom layers can be saved (subclassed models cannot). "
            "Save the weights only (save_weights) and rebuild the model in code."
        )


def _metric_class(name: str):
    """The library's metric class called ``name``, or None (looked up in its one registry)."""
    if not isinstance(name, str):
        return None
    try:
        found = type(metrics.get(snake_case(name)))
    except ValueError:
        return None
    return found if found.__name__ == name else None


def _metric_spec(identifier):
    """A metric as the manifest holds it: its name, or a built-in Metric's class and config."""
    if isinstance(identifier, str):
        return identifier
    if not isinstance(identifier, metrics.Metric):  # a class or function the registry knows
        identifier = metrics.get(identifier)
    cls = type(identifier)
    if isinstance(identifier, metrics.Metric) and _metric_class(cls.__name__) is cls:
        # get_config holds the name only; a wrapper's keyword arguments (BinaryAccuracy's
        # threshold) are arguments of its class's constructor too
        config = {**identifier.get_config(), **getattr(identifier, "fn_kwargs", {})}
        return {"class_name": cls.__name__, "config": config}
    raise ValueError(
        f"Cannot save the metric {identifier!r}: only metric names (e.g. 'accuracy') and the "
        "library's own Metric classes can be saved."
    )


def _output_metric_specs(outputs, ids_per_output) -> list:
    """Per-output metric specs; a Metric object the model has built was renamed
    "<output>_<name>" in place, and is saved under the name it was given."""
    specs = []
    for name, ids in zip(outputs.names, ids_per_output):
        specs.append([])
        for m in ids:
            spec = _metric_spec(m)
            given = spec["config"].get("name") if isinstance(spec, dict) else None
            if outputs.built and isinstance(given, str) and given.startswith(f"{name}_"):
                spec["config"]["name"] = given[len(name) + 1 :]
            specs[-1].append(spec)
    return specs


def _compile_spec(model: Model):
    """The compile arguments, as the manifest holds them: one loss, weight and metric list,
    or (``"per_output": true``) one of each per output, in the order of the outputs."""
    outputs = getattr(model, "_outputs", None)
    if not model.compiled or (model.loss is None and outputs is None):
        return None
    try:  # each registry refuses what it cannot rebuild by name (custom classes, functions)
        spec = {"optimizer": optimizers.serialize(model.optimizer)}
        if outputs is not None:
            # dicts by output name, in the order of a loss dict (the order Keras reports
            # the per-output losses in)
            given = list(model.loss) if isinstance(model.loss, dict) else []
            order = [n for n in given if n in outputs.names]
            order += [n for n in outputs.names if n not in order]
            index = {n: outputs.names.index(n) for n in order}
            metrics_, weighted = (
                _output_metric_specs(outputs, ids)
                for ids in (outputs.metric_ids, outputs.weighted_ids)
            )
            loss = [None if v is None else losses.serialize(v) for v in outputs.losses]
            return {
                **spec,
                "per_output": True,
                **{
                    key: {n: values[index[n]] for n in order}
                    for key, values in (
                        ("loss", loss),
                        ("loss_weights", outputs.weights),
                        ("metrics", metrics_),
                        ("weighted_metrics", weighted),
                    )
                },
            }
        return {
            **spec,
            "loss": losses.serialize(model._loss_fn),
            "loss_weights": getattr(model, "_loss_scale", 1.0),
            "metrics": [_metric_spec(m) for m in model._metric_ids],
            "weighted_metrics": [_metric_spec(m) for m in getattr(model, "_weighted_ids", [])],
        }
    except ValueError as exc:
        raise ValueError(
            f"{exc} Save with include_optimizer=False to leave the compile settings out, "
            "and compile the loaded model again."
        ) from None


def _write(path, manifest: dict, arrays: list[np.ndarray]) -> None:
    entries = []
    for i, array in enumerate(arrays):
        entries.append(
            {"member": f"arrays/{i:05d}.npy", "shape": list(array.shape), "dtype": str(array.dtype)}
        )
    for entry, name in zip(entries, manifest.pop("_names")):
        entry["name"] = name
    manifest["arrays"] = entries
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            for entry, array in zip(entries, arrays):
                with archive.open(entry["member"], "w") as f:
                    # ascontiguousarray would make a 0-d weight (Normalization's count) 1-d
                    array = np.ascontiguousarray(array).reshape(array.shape)
                    np.lib.format.write_array(f, array, allow_pickle=False)


def save_model(model: Model, path, include_optimizer: bool = True) -> None:
    """Saves architecture, weights and (optionally) compile settings and optimizer state.

    The write is atomic: a crash leaves any previous file at ``path`` intact.
    """
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet; there is nothing to save.")
    _check_saveable(model)
    weights = model.weights
    names = [f"{i}:{v.name}" for i, v in enumerate(weights)]
    arrays = [v.data for v in weights]
    manifest = {
        "format": FORMAT,
        "kind": "model",
        "version": VERSION,
        "model": {
            "class_name": type(model).__name__,
            "config": custom_objects.mark_registered(model.get_config(), model),
        },
        "compile": _compile_spec(model) if include_optimizer else None,
        "optimizer": None,
    }
    if include_optimizer and model.compiled and model.optimizer.built:
        state = model.optimizer.get_state(model.trainable_weights)
        slot_names = [sorted(slots) for slots in state["slots"]]
        manifest["optimizer"] = {"iterations": state["iterations"], "slots": slot_names}
        for i, slots in enumerate(state["slots"]):
            for slot in sorted(slots):
                names.append(f"optimizer/{i}/{slot}")
                arrays.append(slots[slot])
    manifest["_names"] = names
    _write(path, manifest, arrays)


def save_weights(model: Model, path) -> None:
    """Saves the weights only (atomically), to be read back by :func:`load_weights`."""
    weights = model.weights
    manifest = {
        "format": FORMAT,
        "kind": "weights",
        "version": VERSION,
        "_names": [f"{i}:{v.name}" for i, v in enumerate(weights)],
    }
    _write(path, manifest, [v.data for v in weights])


# ----------------------------------------------------------------------------- loading
def _open(path) -> tuple[zipfile.ZipFile, dict]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file: '{path}'")
    try:
        archive = zipfile.ZipFile(path)
    except (ValueError, *_DAMAGED_MEMBER) as exc:  # ValueError: a negative offset
        raise FormatError(f"'{path}' is not a neuroflow archive: {exc}.") from None
    try:
        return archive, _read_manifest(archive, path)
    except BaseException:
        archive.close()
        raise


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    size = path.stat().st_size
    for info in archive.infolist():  # zipfile would read (and allocate) what they declare
        if info.compress_size > size:
            raise FormatError(
                f"Member {info.filename!r} of '{path}' declares {info.compress_size} bytes; "
                f"the whole file holds {size}."
            )
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise FormatError(f"'{path}' has no {MANIFEST}: not a neuroflow archive.") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise FormatError(
            f"{MANIFEST} declares {info.file_size} bytes (limit {MAX_MANIFEST_BYTES})."
        )
    try:
        with archive.open(info) as f:
            text = f.read(MAX_MANIFEST_BYTES + 1)
        # UTF-8, as written: json.loads(bytes) would also guess UTF-16/32 codecs from the data
        manifest = json.loads(text.decode("utf-8"))
    except (ValueError, *_DAMAGED_MEMBER) as exc:
        raise FormatError(f"{MANIFEST} in '{path}' is not valid JSON: {exc}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FormatError(f"'{path}' is not a neuroflow archive (format field missing).")
    if manifest.get("version") != VERSION:
        raise FormatError(
            f"'{path}' has format version {manifest.get('version')!r}; this "
            f"neuroflow reads version {VERSION}."
        )
    return manifest


def check_config(value, depth: int = 0) -> None:
    """Plain JSON values, not too deep, no absurd numbers."""
    if depth > MAX_CONFIG_DEPTH:
        raise FormatError("The model config is nested too deeply.")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise FormatError("The model config has a non-string key.")
            if k == "seed" and type(v) is int and abs(v) < MAX_SEED:
                continue  # a random seed, not a size (Keras draws default seeds up to 1e9)
            if (
                k == "vocabulary"
                and isinstance(v, list)
                and len(v) <= MAX_DIMENSION
                and all(isinstance(t, str) or (type(t) is int and abs(t) < MAX_SEED) for t in v)
            ):
                continue  # IntegerLookup's tokens are ids (data), not sizes
            check_config(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            check_config(v, depth + 1)
    elif isinstance(value, bool) or value is None or isinstance(value, str):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_DIMENSION:
            raise FormatError(
                f"The model config holds the number {value}, beyond the limit "
                f"{MAX_DIMENSION} for sizes."
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError("The model config holds a non-finite number.")
    else:
        raise FormatError(f"The model config holds an unexpected value: {value!r}.")


def _declared_arrays(archive: zipfile.ZipFile, manifest: dict, path) -> list[tuple]:
    """The manifest's arrays as ``(member, shape, dtype)``, checked before anything is read.

    Each must name its own ``arrays/*.npy`` member of the archive, with a float dtype and a
    plain shape; together they may not declare more bytes than the file holds (members are
    stored uncompressed), which bounds every allocation the loader makes.
    """
    entries = manifest.get("arrays")
    if not isinstance(entries, list):
        raise FormatError(f"The archive's 'arrays' must be a list; found {type(entries).__name__}.")
    names, seen, arrays, total = set(archive.namelist()), set(), [], 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise FormatError("Each 'arrays' entry must be an object.")
        member, shape, dtype = entry.get("member"), entry.get("shape"), entry.get("dtype")
        if not isinstance(member, str) or not _MEMBER.fullmatch(member):
            raise FormatError(
                f"Array member {member!r} is not a file of the archive's arrays/ folder "
                "(expected a name like 'arrays/00000.npy')."
            )
        if member not in names:
            raise FormatError(f"Array member {member!r} is missing from the archive.")
        if member in seen:
            raise FormatError(f"Array member {member!r} is listed twice.")
        seen.add(member)
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise FormatError(f"Array {member} has dtype {dtype!r}; only float32/float64 load.")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= MAX_DIMENSION
            for d in shape
        ):
            raise FormatError(f"Array {member} has shape {shape!r}; expected a list of sizes.")
        total += math.prod(shape) * np.dtype(dtype).itemsize
        arrays.append((member, tuple(shape), dtype))
    size = Path(path).stat().st_size
    if total > size:
        raise FormatError(
            f"The archive's arrays declare {total} bytes, but the file holds only {size}."
        )
    return arrays


class _WeightBudget:
    """Lets a model being rebuilt make weights only up to the bytes the archive declares.

    A config may ask for any layer size; the weights are allocated (and initialized) when
    a layer is built, before they can be compared with the file's arrays. Each layer's
    ``add_weight`` is wrapped while it is built, so that a config asking for more than the
    file holds fails before the memory is taken. It also counts the layers and calls a
    config makes, which bounds the Python objects a small file can ask for.
    """

    def __init__(self, nbytes: int):
        self.left, self.guarded = nbytes, []
        self.layers_left, self.calls_left = MAX_LAYERS, MAX_CALLS

    def guard(self, layer):
        make = layer.add_weight

        def add_weight(shape, *args, **kwargs):
            dtype = np.dtype(kwargs.get("dtype", "float32"))
            nbytes = math.prod(int(d) for d in shape) * dtype.itemsize
            if nbytes > self.left:
                raise FormatError(
                    f"Layer '{layer.name}' would make a weight of shape {tuple(shape)}; the "
                    "archive's arrays do not hold that much data."
                )
            self.left -= max(nbytes, 0)
            return make(shape, *args, **kwargs)

        layer.add_weight = add_weight  # an instance attribute: shadows the method
        self.guarded.append(layer)
        return layer

    def count(self, layers_made: int = 0, calls: int = 0) -> None:
        self.layers_left -= layers_made
        self.calls_left -= calls
        if self.layers_left < 0 or self.calls_left < 0:
            raise FormatError(
                f"The model config describes more than {MAX_LAYERS} layers or {MAX_CALLS} "
                "layer calls."
            )

    def release(self) -> None:
        for layer in self.guarded:
            vars(layer).pop("add_weight", None)


def _rebuild(spec, budget: _WeightBudget):
    """The layer or nested model ``spec`` describes, its weights within ``budget``."""
    budget.count(layers_made=1)
    name = spec.get("class_name") if isinstance(spec, dict) else None
    if name == "InputLayer":
        raise FormatError("An InputLayer may only be listed among a functional model's layers.")
    if name not in ("Sequential", "Functional"):
        return budget.guard(custom_objects.deserialize_layer(spec))
    config = spec.get("config")
    if not isinstance(config, dict):
        raise FormatError(f"A {name} model's config must be an object; found {config!r}.")
    _check_model_fields(config)
    if name == "Functional":
        return _rebuild_functional(config, budget)
    if not isinstance(config.get("layers"), list):
        raise FormatError("A Sequential's config must be an object with a 'layers' list.")
    # tf.keras 2's batch_input_shape, or Keras 3's build_input_shape and InputLayer first
    shape = config.get("batch_input_shape") or config.get("build_input_shape")
    if shape is not None:
        _check_shape(shape, f"Sequential '{config.get('name')}'")
    model = Sequential.from_config({**config, "layers": []})
    for i, sub in enumerate(config["layers"]):
        if i == 0 and isinstance(sub, dict) and sub.get("class_name") == "InputLayer":
            budget.count(layers_made=1)
            name = (
                (sub.get("config") or {}).get("name")
                if isinstance(sub.get("config"), dict)
                else None
            )
            model.add(_input_tensor(sub, name if isinstance(name, str) else "input_layer"))
            continue
        model.add(_rebuild(sub, budget))
    for t in model.outputs if model.built else []:
        _check_tensor(t, model.name)
    return model


def _check_model_fields(config: dict) -> None:
    name, trainable = config.get("name"), config.get("trainable", True)
    if name is not None and not isinstance(name, str):
        raise FormatError(f"A model's name must be a string; found {name!r}.")
    if not isinstance(trainable, bool):
        raise FormatError(f"A model's 'trainable' must be true or false; found {trainable!r}.")


def _check_shape(shape, where: str) -> None:
    """A batch shape from the file: a short list of positive sizes (or nulls)."""
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= MAX_RANK
        or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape
        )
    ):
        raise FormatError(
            f"{where} has input shape {shape!r}; expected a list of 1 to {MAX_RANK} positive "
            "sizes or nulls."
        )
    if math.prod(d for d in shape[1:] if d is not None) > MAX_ELEMENTS:
        raise FormatError(
            f"{where} has input shape {shape!r}: more than {MAX_ELEMENTS} values per sample."
        )


def _check_tensor(t, where: str) -> None:
    """A symbolic tensor the replay made: a plain shape of a sensible size per sample."""
    if not isinstance(t, KerasTensor):
        raise FormatError(f"Layer '{where}' returned {type(t).__name__}, not a tensor.")
    if len(t.shape) > MAX_RANK or math.prod(d for d in t.shape[1:] if d is not None) > (
        MAX_ELEMENTS
    ):
        raise FormatError(
            f"Layer '{where}' makes a tensor of shape {t.shape}: more than {MAX_RANK} axes or "
            f"{MAX_ELEMENTS} values per sample."
        )


_INPUT_DTYPES = ("float32", "float64", "int32", "int64", "string")


def _input_tensor(spec: dict, name: str):
    config = spec.get("config")
    if not isinstance(config, dict):
        raise FormatError(f"Input '{name}' has no config object.")
    shape, dtype = config.get("batch_shape"), config.get("dtype")
    _check_shape(shape, f"Input '{name}'")
    if dtype is not None and dtype not in _INPUT_DTYPES:
        raise FormatError(f"Input '{name}' has dtype {dtype!r}; expected one of {_INPUT_DTYPES}.")
    if spec.get("inbound_nodes"):
        raise FormatError(f"Input '{name}' is listed as called on other tensors.")
    return layers.Input(batch_shape=tuple(shape), dtype=dtype, name=name)


def _is_ref(value) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _history(value, calls: dict, where: str) -> tuple:
    """``(layer name, call index, tensor index)`` of a tensor reference, checked against
    the calls the config lists (``calls``: layer name -> number of calls)."""
    history = value
    if _is_ref(value):
        config = value.get("config")
        history = config.get("keras_history") if isinstance(config, dict) else None
    if isinstance(history, dict) or not (
        isinstance(history, list)
        and len(history) == 3
        and isinstance(history[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:])
    ):
        raise FormatError(
            f"{where} refers to a tensor as {history!r}; expected [layer name, call index, "
            "tensor index]."
        )
    layer, call, tensor = history
    if layer not in calls:
        raise FormatError(f"{where} reads a tensor of layer '{layer}', which the config lacks.")
    if call >= calls[layer]:
        raise FormatError(
            f"{where} reads call {call} of layer '{layer}', which is called {calls[layer]} times."
        )
    return layer, call, tensor


def _node_inputs(node, calls: dict, where: str) -> tuple:
    """A call's inputs (a nest of tensor references) and keyword arguments, checked; with
    the ``(layer, call)`` pairs it reads."""
    if not isinstance(node, dict) or not isinstance(node.get("args"), list):
        raise FormatError(f"{where} is not an object with an 'args' list.")
    args, kwargs = node["args"], node.get("kwargs", {})
    if len(args) != 1:
        raise FormatError(f"{where} has {len(args)} positional arguments; expected 1.")
    if not isinstance(kwargs, dict):
        raise FormatError(f"{where} has keyword arguments {kwargs!r}; expected an object.")
    for key, value in kwargs.items():
        if key not in ("training", "mask") or not (value is None or isinstance(value, bool)):
            raise FormatError(
                f"{where} has the keyword argument {key}={value!r}; only training (true, "
                "false or null) and mask (null) can be saved."
            )
    reads = []

    def walk(value):
        if _is_ref(value):
            layer, call, _ = _history(value, calls, where)
            reads.append((layer, call))
        elif isinstance(value, list) and value:
            for v in value:
                walk(v)
        elif isinstance(value, dict) and value:
            for v in value.values():
                walk(v)
        else:
            raise FormatError(f"{where} is called on {value!r}; expected tensors.")

    walk(args[0])
    return args[0], {k: v for k, v in kwargs.items() if v is not None}, reads


def _rebuild_functional(config: dict, budget: _WeightBudget):
    """A functional model: each layer made, the graph checked, then the calls replayed in
    an order where every call comes after the calls it reads from."""
    specs = config.get("layers")
    if not isinstance(specs, list):
        raise FormatError("A functional model's config must have a 'layers' list.")
    made, calls, nodes = {}, {}, []  # nodes: (layer name, call index, node)
    for spec in specs:
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name:
            raise FormatError(f"Each layer of a functional config needs a name; found {spec!r}.")
        if name in made:
            raise FormatError(f"The functional config lists two layers named '{name}'.")
        if spec.get("class_name") == "InputLayer":
            budget.count(layers_made=1)
            made[name] = _input_tensor(spec, name)
            calls[name] = 1
            continue
        inbound = spec.get("inbound_nodes", [])
        if not isinstance(inbound, list):
            raise FormatError(f"The calls of layer '{name}' must be a list.")
        made[name] = _rebuild(spec, budget)
        if made[name].name != name:
            raise FormatError(f"Layer '{name}' has the name '{made[name].name}' in its own config.")
        budget.count(calls=len(inbound))
        calls[name] = len(inbound)
        nodes.extend((name, i, node) for i, node in enumerate(inbound))
    checked = []
    for name, i, node in nodes:
        inputs, kwargs, reads = _node_inputs(node, calls, f"Call {i} of layer '{name}'")
        if i > 0:
            reads.append((name, i - 1))  # a layer's calls replay in their order
        checked.append(((name, i), inputs, kwargs, reads))
    outputs = {(name, 0): t for name, t in made.items() if isinstance(t, KerasTensor)}
    for key, inputs, kwargs, _ in _topological(checked, set(outputs)):
        layer_name = key[0]

        def resolve(value, where=f"Call {key[1]} of layer '{layer_name}'"):
            if _is_ref(value):
                layer, call, index = _history(value, calls, where)
                flat = flatten(outputs[(layer, call)])
                if index >= len(flat):
                    raise FormatError(
                        f"{where} reads output {index} of layer '{layer}', which has {len(flat)}."
                    )
                return flat[index]
            if isinstance(value, list):
                return [resolve(v) for v in value]
            return {k: resolve(v) for k, v in value.items()}

        try:
            result = made[layer_name](resolve(inputs), **kwargs)
        except FormatError:
            raise
        except (ValueError, TypeError) as exc:  # the layers' own checks of their inputs
            raise FormatError(
                f"Layer '{layer_name}' cannot be called as the file says: {exc}"
            ) from None
        for t in flatten(result):
            _check_tensor(t, layer_name)
        outputs[key] = result

    def endpoint(ref, role):
        if isinstance(ref, dict) and not _is_ref(ref) and ref:
            return {k: endpoint(v, role) for k, v in ref.items()}
        if isinstance(ref, list) and ref and not isinstance(ref[0], (str, int)):
            return [endpoint(r, role) for r in ref]
        layer, call, index = _history(ref, calls, f"The model's {role}")
        flat = flatten(outputs[(layer, call)])
        if index >= len(flat):
            raise FormatError(f"The model's {role} name output {index} of layer '{layer}'.")
        return flat[index]

    inputs = endpoint(config.get("input_layers"), "input_layers")
    outputs_ = endpoint(config.get("output_layers"), "output_layers")
    if any(t._history[0].__class__ is not layers.InputLayer for t in flatten(inputs)):
        raise FormatError("The model's input_layers must name Input layers only.")
    try:
        return Functional(
            inputs, outputs_, name=config.get("name"), trainable=config.get("trainable", True)
        )
    except (ValueError, TypeError) as exc:  # a disconnected graph, repeated inputs
        raise FormatError(f"The functional model cannot be rebuilt: {exc}") from None


def _topological(nodes: list, available: set) -> list:
    """``nodes`` ``(key, inputs, kwargs, reads)`` in an order where each comes after the
    calls it reads (Kahn's algorithm; config order among ready ones). A cycle is refused."""
    waiting, readers = {}, {}
    for item in nodes:
        key, reads = item[0], {r for r in item[3] if r not in available}
        waiting[key] = len(reads)
        for r in reads:
            readers.setdefault(r, []).append(item)
    ready = collections.deque(item for item in nodes if waiting[item[0]] == 0)
    order = []
    while ready:
        item = ready.popleft()
        order.append(item)
        for reader in readers.get(item[0], []):
            waiting[reader[0]] -= 1
            if waiting[reader[0]] == 0:
                ready.append(reader)
    if len(order) < len(nodes):
        stuck = sorted({key[0] for key, n in waiting.items() if n > 0})
        raise FormatError(f"The functional config's layer calls form a cycle through {stuck}.")
    return order


def _build_model(spec, arrays: list[tuple]) -> Model:
    """The model an archive describes, built by the library's own classes."""
    if not isinstance(spec, dict) or spec.get("class_name") not in ("Sequential", "Functional"):
        name = spec.get("class_name") if isinstance(spec, dict) else type(spec).__name__
        raise FormatError(
            f"The archive's model must be a Sequential or Functional model; found {name!r}."
        )
    budget = _WeightBudget(sum(math.prod(s) * np.dtype(d).itemsize for _, s, d in arrays))
    try:
        model = _rebuild(spec, budget)
    except FormatError:
        raise
    except (ValueError, TypeError) as exc:  # the layers' own checks of their arguments
        raise FormatError(f"Invalid model config: {type(exc).__name__}: {exc}") from None
    finally:
        budget.release()
    if not model.built:
        raise FormatError("The archive's model has no input shape, so it cannot be built.")
    return model


def _read_array(archive: zipfile.ZipFile, declared: tuple, expected_shape) -> np.ndarray:
    """Reads one .npy member after checking its header against what is expected."""
    member, shape, dtype = declared
    if shape != tuple(expected_shape):
        raise FormatError(
            f"Array {member} has shape {list(shape)}, but the model expects "
            f"{tuple(expected_shape)}."
        )
    info = archive.getinfo(member)
    expected_bytes = math.prod(shape) * np.dtype(dtype).itemsize
    if info.file_size > expected_bytes + 4096:
        raise FormatError(
            f"Array {member} declares {info.file_size} bytes, expected about {expected_bytes}."
        )
    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise FormatError(f"Array {member} has .npy version {version}.")
            header = (
                np.lib.format.read_array_header_1_0(f)
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0(f)
            )
            shape_h, fortran, dtype_h = header
            if tuple(shape_h) != shape or fortran or dtype_h != np.dtype(dtype):
                raise FormatError(
                    f"Array {member}: its header says shape {shape_h}, dtype {dtype_h}"
                    f"{' (Fortran order)' if fortran else ''}; the manifest says "
                    f"{list(shape)}, {dtype}."
                )
            data = f.read(expected_bytes + 1)
    except FormatError:
        raise
    # numpy's header parser can also fail in tokenize (a mangled header dict)
    except (ValueError, SyntaxError, tokenize.TokenError, *_DAMAGED_MEMBER) as exc:
        raise FormatError(f"Array {member} is unreadable: {type(exc).__name__}: {exc}") from None
    if len(data) != expected_bytes:
        raise FormatError(
            f"Array {member} holds {len(data)} bytes of data, expected {expected_bytes}."
        )
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(np.float32)


def _assign_weights(model: Model, archive, arrays: list[tuple]) -> list[tuple]:
    """Fills ``model``'s weights from the first arrays; returns the rest (optimizer state)."""
    weights = model.weights
    if len(arrays) < len(weights):
        raise FormatError(
            f"The archive lists {len(arrays)} arrays; model '{model.name}' needs at least "
            f"{len(weights)}."
        )
    values = [_read_array(archive, a, v.shape) for a, v in zip(arrays, weights)]
    for v, value in zip(weights, values):
        v.assign(value)
    return arrays[len(weights) :]


def _sniff(path) -> str:
    """ "hdf5", "keras" (a Keras 3 zip) or "neuroflow", from the file's first bytes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file: '{path}'")
    with open(path, "rb") as f:
        head = f.read(8)
    if head == b"\x89HDF\r\n\x1a\n":
        return "hdf5"
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except Exception:  # noqa: BLE001  (left to the neuroflow reader to report)
            return "neuroflow"
        if "config.json" in names and MANIFEST not in names:
            return "keras"
    return "neuroflow"


def _untrusted(fn):
    """Any failure while reading a file is the file's: report it as a FormatError.

    The checks give precise messages for the cases we foresee; this net catches what a
    corrupted or hostile file can still provoke inside zipfile, zlib or NumPy, as an
    :class:`UnforeseenFormatError` so that the fuzz tests can tell it from a clean refusal.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (FormatError, FileNotFoundError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise UnforeseenFormatError(
                f"Could not read the archive: {type(exc).__name__}: {exc}"
            ) from exc

    return wrapper


@_untrusted
def load_weights(model: Model, path) -> None:
    """Loads weights saved by :func:`save_weights` or :func:`save_model` into ``model``."""
    if not model.built:
        raise ValueError(
            f"Build model '{model.name}' (give it an input shape) before loading weights into it."
        )
    archive, manifest = _open(path)
    with archive:
        rest = _assign_weights(model, archive, _declared_arrays(archive, manifest, path))
        if manifest.get("kind") == "weights" and rest:
            raise FormatError(
                f"The archive holds {len(model.weights) + len(rest)} weight "
                f"arrays; model '{model.name}' has {len(model.weights)}."
            )


@_untrusted
def load_model(path, compile: bool = True) -> Model:  # noqa: A002  (Keras's name)
    """Rebuilds a saved model: architecture, weights, and (with ``compile=True``) its
    optimizer, loss, metrics and, for neuroflow's format, optimizer state.

    Reads neuroflow's archives and, with h5py installed, files saved by Keras: legacy
    HDF5 ``.h5`` (Keras 2 and 3) and Keras 3 ``.keras`` archives.
    """
    kind = _sniff(path)
    if kind != "neuroflow":
        from neuroflow.io import keras_files

        load = keras_files.load_keras_h5 if kind == "hdf5" else keras_files.load_keras_archive
        return load(path, compile=compile)
    archive, manifest = _open(path)
    with archive:
        if manifest.get("kind") != "model":
            raise FormatError(
                f"'{path}' holds weights only; build the model and call load_weights."
            )
        check_config(manifest.get("model"))
        check_config(manifest.get("compile"))
        arrays = _declared_arrays(archive, manifest, path)
        model = _build_model(manifest.get("model"), arrays)
        rest = _assign_weights(model, archive, arrays)
        spec = manifest.get("compile")
        if spec is not None and not isinstance(spec, dict):
            raise FormatError("The archive's compile settings must be an object or null.")
        if compile and spec is not None:
            _compile(model, spec)
            state = manifest.get("optimizer")
            if state is not None:
                _restore_optimizer(model, state, rest, archive)
        return model


def _restore_metric(spec):
    """A metric from the manifest: a name the registry knows, or a built-in class + config."""
    if isinstance(spec, str):
        metrics.get(spec)  # an unknown name fails here, not at the first evaluate
        return spec
    if not isinstance(spec, dict) or not isinstance(spec.get("config"), dict):
        raise FormatError(f"A saved metric must be a name or a class and config; found {spec!r}.")
    cls = _metric_class(spec.get("class_name"))
    if cls is None:
        raise FormatError(f"Unknown metric class {spec.get('class_name')!r}.")
    return cls(**spec["config"])


def _metric_list(saved, what: str) -> list:
    if not isinstance(saved, list):
        raise FormatError(f"The saved {what} must be a list; found {saved!r}.")
    return [_restore_metric(m) for m in saved]


def _compile(model: Model, spec: dict) -> None:
    try:
        optimizer = optimizers.deserialize(spec.get("optimizer"))
        if spec.get("per_output"):
            names = sorted(model.output_names)
            parts = [spec.get(k) for k in ("loss", "loss_weights", "metrics", "weighted_metrics")]
            if not all(isinstance(p, dict) and sorted(p) == names for p in parts):
                raise FormatError(
                    f"The saved per-output compile settings must be objects with one entry "
                    f"per output {names}."
                )
            loss, weights, saved_metrics, saved_weighted = parts
            model.compile(
                optimizer,
                {k: None if v is None else losses.deserialize(v) for k, v in loss.items()},
                loss_weights=weights,
                metrics={k: _metric_list(v, "metrics") for k, v in saved_metrics.items()},
                weighted_metrics={
                    k: _metric_list(v, "weighted metrics") for k, v in saved_weighted.items()
                },
            )
            return
        weight = spec.get("loss_weights", 1.0)
        model.compile(
            optimizer,
            losses.deserialize(spec.get("loss")),
            loss_weights=None if weight == 1.0 else weight,
            metrics=_metric_list(spec.get("metrics") or [], "metrics"),
            weighted_metrics=_metric_list(spec.get("weighted_metrics") or [], "weighted metrics"),
        )
    except FormatError:
        raise
    except (ValueError, TypeError) as exc:  # the registries' and classes' own checks
        raise FormatError(f"Invalid compile settings in the archive: {exc}") from None


def _restore_optimizer(model, state, arrays: list[tuple], archive) -> None:
    variables = model.trainable_weights
    optimizer = model.optimizer
    fresh = optimizer.get_state(variables)["slots"]  # builds the slots: names and shapes
    expected = [sorted(slots) for slots in fresh]
    if (
        not isinstance(state, dict)
        or state.get("slots") != expected
        or not isinstance(state.get("iterations"), int)
        or isinstance(state.get("iterations"), bool)
        or not 0 <= state["iterations"] < 2**62
    ):
        raise FormatError(
            f"The saved optimizer state does not fit {type(optimizer).__name__} and this model."
        )
    shapes = [slots[name].shape for slots in fresh for name in sorted(slots)]
    if len(arrays) != len(shapes):
        raise FormatError(
            f"The archive holds {len(arrays)} optimizer arrays; {len(shapes)} are needed."
        )
    values = iter([_read_array(archive, a, shape) for a, shape in zip(arrays, shapes)])
    slots = [{name: next(values) for name in names} for names in expected]
    optimizer.set_state(variables, {"iterations": state["iterations"], "slots": slots})


__all__ = [
    "FormatError",
    "UnforeseenFormatError",
    "load_model",
    "load_weights",
    "save_model",
    "save_weights",
]
