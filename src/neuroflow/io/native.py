"""neuroflow's own file format: a zip of JSON and ``.npy`` arrays, safe to open from anyone.

Layout of an archive::

    neuroflow.json      {"format": "neuroflow", "kind": "model" | "weights", "version": 1,
                         "model": {"class_name": ..., "config": ...},    (kind "model")
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
"""

from __future__ import annotations

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
from neuroflow.models import Model, Sequential
from neuroflow.utils.files import atomic_path

FORMAT, VERSION = "neuroflow", 1
MANIFEST = "neuroflow.json"
MAX_MANIFEST_BYTES = 16 << 20
MAX_CONFIG_DEPTH = 32
MAX_DIMENSION = 1 << 24
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
    if isinstance(layer, Sequential):
        for sub in layer.layers:
            _check_saveable(sub)
        return
    if layers.layer_classes().get(type(layer).__name__) is not type(layer):
        raise ValueError(
            f"Cannot save layer '{layer.name}' of type {type(layer).__name__}: only the "
            "library's own layers can be saved (subclassed models and custom layers cannot)."
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


def _compile_spec(model: Model):
    if not model.compiled or model.loss is None:
        return None
    try:  # each registry refuses what it cannot rebuild by name (custom classes, functions)
        return {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": losses.serialize(model.loss),
            "metrics": [_metric_spec(m) for m in model._metric_ids],
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
        "model": {"class_name": "Sequential", "config": model.get_config()},
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
    file holds fails before the memory is taken.
    """

    def __init__(self, nbytes: int):
        self.left, self.guarded = nbytes, []

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

    def release(self) -> None:
        for layer in self.guarded:
            vars(layer).pop("add_weight", None)


def _rebuild(spec, budget: _WeightBudget):
    """The layer (or nested Sequential) ``spec`` describes, its weights within ``budget``."""
    if not isinstance(spec, dict) or spec.get("class_name") != "Sequential":
        return budget.guard(layers.deserialize(spec))
    config = spec.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise FormatError("A Sequential's config must be an object with a 'layers' list.")
    model = Sequential.from_config({**config, "layers": []})
    for sub in config["layers"]:
        model.add(_rebuild(sub, budget))
    return model


def _build_model(spec, arrays: list[tuple]) -> Sequential:
    """The model an archive describes, built by the library's own classes."""
    if not isinstance(spec, dict) or spec.get("class_name") != "Sequential":
        name = spec.get("class_name") if isinstance(spec, dict) else type(spec).__name__
        raise FormatError(f"The archive's model must be a Sequential; found {name!r}.")
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


def _compile(model: Model, spec: dict) -> None:
    saved = spec.get("metrics") or []
    if not isinstance(saved, list):
        raise FormatError(f"The saved metrics must be a list; found {saved!r}.")
    try:
        optimizer = optimizers.deserialize(spec.get("optimizer"))
        loss = losses.deserialize(spec.get("loss"))
        model.compile(optimizer, loss, metrics=[_restore_metric(m) for m in saved])
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
