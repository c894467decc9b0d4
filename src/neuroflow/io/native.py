"""neuroflow's own file format: a zip of JSON and ``.npy`` arrays, safe to open from anyone.

Layout of an archive::

    neuroflow.json      {"format": "neuroflow", "kind": "model" | "weights", "version": 1,
                         "model": {"class_name": ..., "config": ...},    (kind "model")
                         "compile": {...} | null,
                         "arrays": [{"name", "member", "shape", "dtype"}, ...],
                         "optimizer": {"class_name", "iterations", "slots"} | null}
    arrays/00000.npy    one file per weight (and optimizer slot), in "arrays" order

Loading never unpickles and never imports: classes come only from the library's own
registry. Every size is checked before anything is read or allocated: the JSON and each
member have size caps, each ``.npy`` header must declare exactly the shape and dtype that
the manifest and the model expect, and the data that follows must be exactly that long.
Anything else is a ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

from neuroflow import layers as layers_module
from neuroflow import losses, optimizers
from neuroflow.models import Model, Sequential
from neuroflow.utils.files import atomic_path

FORMAT, VERSION = "neuroflow", 1
MANIFEST = "neuroflow.json"
MAX_MANIFEST_BYTES = 16 << 20
MAX_ARRAY_BYTES = 4 << 30
MAX_CONFIG_DEPTH = 32
MAX_DIMENSION = 1 << 24
_DTYPES = {"float32": np.float32, "float64": np.float64}

LAYERS = {
    name: getattr(layers_module, name)
    for name in layers_module.__all__
    if isinstance(getattr(layers_module, name), type)
    and issubclass(getattr(layers_module, name), layers_module.Layer)
}
LAYERS["Sequential"] = Sequential
OPTIMIZERS = {
    cls.__name__: cls
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad)
}
LOSSES = {
    cls.__name__: cls
    for cls in (
        losses.SparseCategoricalCrossentropy,
        losses.CategoricalCrossentropy,
        losses.BinaryCrossentropy,
        losses.MeanSquaredError,
        losses.MeanAbsoluteError,
    )
}


class FormatError(ValueError):
    """The file is not a valid neuroflow archive (a ValueError)."""


# ------------------------------------------------------------------------------ saving
def _check_saveable(layer) -> None:
    """Only the library's own layers can be rebuilt from a file (by class name)."""
    if isinstance(layer, Sequential):
        for sub in layer.layers:
            _check_saveable(sub)
        return
    if LAYERS.get(type(layer).__name__) is not type(layer):
        raise ValueError(
            f"Cannot save layer '{layer.name}' of type {type(layer).__name__}: only the "
            "library's own layers can be saved (subclassed models and custom layers cannot)."
        )


def _compile_spec(model: Model):
    if not model.compiled or model.loss is None:
        return None
    if type(model.loss).__name__ not in LOSSES:
        raise ValueError(
            f"Cannot save the custom loss {model.loss!r}; save without compile "
            "information with include_optimizer=False."
        )
    names = []
    for ident in model._metric_ids:
        if not isinstance(ident, str):
            raise ValueError(f"Cannot save the metric {ident!r}: only metric names are saved.")
        names.append(ident)
    return {
        "optimizer": {
            "class_name": type(model.optimizer).__name__,
            "config": model.optimizer.get_config(),
        },
        "loss": {"class_name": type(model.loss).__name__, "config": model.loss.get_config()},
        "metrics": names,
    }


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
                    np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)


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
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormatError(f"'{path}' is not a neuroflow archive: {exc}.") from None
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        archive.close()
        raise FormatError(f"'{path}' has no {MANIFEST}: not a neuroflow archive.") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        archive.close()
        raise FormatError(
            f"{MANIFEST} declares {info.file_size} bytes (limit {MAX_MANIFEST_BYTES})."
        )
    try:
        manifest = json.loads(archive.read(info)[: MAX_MANIFEST_BYTES + 1])
    except (ValueError, zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        archive.close()
        raise FormatError(f"{MANIFEST} in '{path}' is not valid JSON: {exc}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        archive.close()
        raise FormatError(f"'{path}' is not a neuroflow archive (format field missing).")
    if manifest.get("version") != VERSION:
        archive.close()
        raise FormatError(
            f"'{path}' has format version {manifest.get('version')!r}; this "
            f"neuroflow reads version {VERSION}."
        )
    return archive, manifest


def _check_config(value, depth: int = 0) -> None:
    """Plain JSON values, not too deep, no absurd numbers."""
    if depth > MAX_CONFIG_DEPTH:
        raise FormatError("The model config is nested too deeply.")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise FormatError("The model config has a non-string key.")
            _check_config(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_config(v, depth + 1)
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


def _build_layer(spec):
    """The model an archive describes, built by the library's own ``from_config``."""
    if (
        not isinstance(spec, dict)
        or spec.get("class_name") != "Sequential"
        or not isinstance(spec.get("config"), dict)
    ):
        name = spec.get("class_name") if isinstance(spec, dict) else type(spec).__name__
        raise FormatError(f"The archive's model must be a Sequential; found {name!r}.")
    try:
        return Sequential.from_config(spec["config"])
    except Exception as exc:  # noqa: BLE001  (untrusted config: every failure is the file's)
        raise FormatError(f"Invalid model config: {type(exc).__name__}: {exc}") from None


def _read_array(archive: zipfile.ZipFile, entry, expected_shape, names: set) -> np.ndarray:
    """Reads one .npy member after checking its header against what is expected."""
    if not isinstance(entry, dict):
        raise FormatError("Each 'arrays' entry must be an object.")
    member, shape, dtype = entry.get("member"), entry.get("shape"), entry.get("dtype")
    if not isinstance(member, str) or member not in names:
        raise FormatError(f"Array member {member!r} is missing from the archive.")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise FormatError(f"Array {member} has dtype {dtype!r}; only float32/float64 load.")
    if not isinstance(shape, list) or tuple(shape) != tuple(expected_shape):
        raise FormatError(
            f"Array {member} has shape {shape}, but the model expects {tuple(expected_shape)}."
        )
    info = archive.getinfo(member)
    expected_bytes = int(np.prod(expected_shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if expected_bytes > MAX_ARRAY_BYTES or info.file_size > expected_bytes + 4096:
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
            if tuple(shape_h) != tuple(expected_shape) or fortran or dtype_h != np.dtype(dtype):
                raise FormatError(
                    f"Array {member}: its header says shape {shape_h}, dtype {dtype_h}"
                    f"{' (Fortran order)' if fortran else ''}; the manifest says {shape}, {dtype}."
                )
            data = f.read(expected_bytes + 1)
    except FormatError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        raise FormatError(f"Array {member} is unreadable: {exc}") from None
    if len(data) != expected_bytes:
        raise FormatError(
            f"Array {member} holds {len(data)} bytes of data, expected {expected_bytes}."
        )
    return np.frombuffer(data, dtype=dtype).reshape(expected_shape).astype(np.float32)


def _entries(manifest: dict, count: int) -> list:
    entries = manifest.get("arrays")
    if not isinstance(entries, list) or len(entries) < count:
        raise FormatError(
            f"The archive lists {len(entries) if isinstance(entries, list) else 0}"
            f" arrays; at least {count} are needed."
        )
    return entries


def _assign_weights(model: Model, archive, manifest) -> list:
    weights = model.weights
    entries = _entries(manifest, len(weights))
    names = set(archive.namelist())
    values = [_read_array(archive, e, v.shape, names) for e, v in zip(entries, weights)]
    for v, value in zip(weights, values):
        v.assign(value)
    return entries[len(weights) :]


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

    The checks above give precise messages for the cases we foresee; this net catches what
    a corrupted or hostile file can still provoke inside zipfile, zlib or NumPy.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (FormatError, FileNotFoundError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise FormatError(f"Could not read the archive: {type(exc).__name__}: {exc}") from None

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
        rest = _assign_weights(model, archive, manifest)
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
        _check_config(manifest.get("model"))
        _check_config(manifest.get("compile"))
        model = _build_layer(manifest.get("model"))
        if not isinstance(model, Model) or not model.built:
            raise FormatError("The archive's model has no input shape, so it cannot be built.")
        rest = _assign_weights(model, archive, manifest)
        spec = manifest.get("compile")
        if spec is not None and not isinstance(spec, dict):
            raise FormatError("The archive's compile settings must be an object or null.")
        if compile and spec is not None:
            _compile(model, spec)
            state = manifest.get("optimizer")
            if state is not None:
                _restore_optimizer(model, state, rest, archive)
        return model


def _compile(model: Model, spec) -> None:
    try:
        opt, loss = spec["optimizer"], spec["loss"]
        if opt["class_name"] not in OPTIMIZERS or loss["class_name"] not in LOSSES:
            raise FormatError(
                f"Unknown optimizer or loss class: {opt['class_name']!r}, {loss['class_name']!r}."
            )
        metric_names = spec.get("metrics") or []
        if not all(isinstance(m, str) for m in metric_names):
            raise FormatError("Metrics must be saved as names.")
        model.compile(
            OPTIMIZERS[opt["class_name"]].from_config(dict(opt["config"])),
            LOSSES[loss["class_name"]].from_config(dict(loss["config"])),
            metrics=metric_names,
        )
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001  (untrusted config: every failure is the file's)
        raise FormatError(
            f"Invalid compile settings in the archive: {type(exc).__name__}: {exc}"
        ) from None


def _restore_optimizer(model, state, entries, archive) -> None:
    variables = model.trainable_weights
    optimizer = model.optimizer
    optimizer.build(variables)
    expected = [sorted(k for k in optimizer._slots[v] if k != "_scratch") for v in variables]
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
    names = set(archive.namelist())
    shapes = [
        optimizer._slots[v][slot].shape for v, slots in zip(variables, expected) for slot in slots
    ]
    if len(entries) != len(shapes):
        raise FormatError(
            f"The archive holds {len(entries)} optimizer arrays; {len(shapes)} are needed."
        )
    values = iter(_read_array(archive, e, shape, names) for e, shape in zip(entries, shapes))
    slots = [{slot: next(values) for slot in names_} for names_ in expected]
    optimizer.set_state(variables, {"iterations": state["iterations"], "slots": slots})


__all__ = ["FormatError", "load_model", "load_weights", "save_model", "save_weights"]
