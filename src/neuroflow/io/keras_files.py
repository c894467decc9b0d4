"""Opening models saved by real Keras: legacy HDF5 ``.h5`` (Keras 2 and 3) and ``.keras``.

Needs h5py (the ``h5`` extra). Sequential, functional (multi-input, multi-output, shared
layers) and nested models made of layers this library has can be imported; functional
graphs are rebuilt by replaying the config's layer calls on neuroflow's graph. Anything
else (a Lambda layer, a custom class, a subclassed model, an option we do not implement)
is refused with an error naming it. A Lambda layer's code is never run.
"""

from __future__ import annotations

import inspect
import io
import json
import zipfile

import numpy as np

from neuroflow import layers as layers_module
from neuroflow import losses, optimizers
from neuroflow._registry import snake_case
from neuroflow.io import custom_objects
from neuroflow.io.keras_writer import attribute_children, container_keys, is_graph_model
from neuroflow.io.native import FormatError, check_config
from neuroflow.models import Model, Sequential

_MODEL_CLASSES = ("Sequential", "Functional", "Model")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

# Keys Keras writes that carry no behaviour here, or that only matter before the weights
# are loaded (initializers); they are dropped. Keys with these values are defaults that we
# implement by not doing anything; any other value is refused.
_DROPPED = {"dtype", "kernel_initializer", "bias_initializer", "recurrent_initializer",
            "embeddings_initializer", "input_dim",
            # Keras 2 only: how TensorFlow ran an RNN's kernels, and Embedding's sequence length
            "implementation", "input_length"}  # fmt: skip
_DEFAULTS = {
    "activity_regularizer": (None,),
    "time_major": (False,),  # Keras 2's RNNs: (timesteps, batch, ...) inputs
    "data_format": (None, "channels_last"),
    "groups": (1,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "quantization_config": (None,),
    "noise_shape": (None,),
    "sparse": (False,),
    "ragged": (False,),
    "optional": (False,),
    "keepdims": (False,),
    "max_value": (None,),
    "threshold": (0, 0.0),
    "seed": None,
}


def _require_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading Keras .h5/.keras files needs h5py: pip install 'neuroflow[h5]'."
        ) from None
    return h5py


def _translate_layer(spec: dict):
    """A Keras layer config -> a neuroflow layer (or None for InputLayer, with its shape)."""
    name = spec.get("class_name")
    config = dict(spec.get("config") or {})
    if name in ("Lambda", "TFOpLambda", "SlicingOpLambda"):
        raise FormatError(
            f"Layer '{config.get('name', '?')}' is a Keras Lambda layer: it holds Python code, "
            "which neuroflow never runs, even with safe_mode=False. Rebuild the model "
            "without it."
        )
    custom = spec.get("registered_name") not in (None, name) or (
        isinstance(spec.get("module"), str) and not spec["module"].startswith("keras")
    )
    if custom or (name not in layers_module.layer_classes() and name != "InputLayer"):
        # a user's class: looked up only among the registered and given ones, never imported
        cls = custom_objects.find(name, spec.get("registered_name"))
        if isinstance(cls, type) and hasattr(cls, "from_config"):
            return _from_config(cls, _custom_functions(config), name), None
        if custom:
            raise FormatError(
                f"Layer '{config.get('name', '?')}' is a custom object of class '{name}'. "
                + custom_objects.not_found(name, spec.get("registered_name"))
            )
    if name == "InputLayer":
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        return None, shape
    classes = layers_module.layer_classes()
    if name not in classes:
        raise FormatError(
            f"Keras layer class '{name}' is not supported by neuroflow "
            f"(supported: {', '.join(sorted(classes))}). If it is a custom class, register "
            "it with @keras.saving.register_keras_serializable() or pass it in "
            "load_model(custom_objects=...)."
        )
    shape = config.pop("batch_input_shape", None) or config.pop("batch_shape", None)
    for key in list(config):
        if key in _DROPPED and not (key == "input_dim" and name == "Embedding"):
            del config[key]
        elif key in _DEFAULTS and key != "seed":
            if config[key] not in _DEFAULTS[key]:
                raise FormatError(
                    f"Layer '{config.get('name')}' ({name}) sets {key}="
                    f"{config[key]!r}, which neuroflow does not support."
                )
            del config[key]
    if name == "LeakyReLU" and "alpha" in config and "negative_slope" in config:
        del config["alpha"]
    if name in _WRAPPERS:
        return _wrapper(classes[name], config, name), shape
    return _from_config(classes[name], _custom_functions(config), name), shape


# Layers whose config nests whole layer specs (Keras's ``{"class_name", "config"}``); each
# is translated as a top-level layer would be (no Lambda, no unknown class)
_WRAPPERS = {"Bidirectional": ("layer", "backward_layer"), "TimeDistributed": ("layer",)}


def _wrapper(cls, config: dict, name: str):
    """Bidirectional or TimeDistributed: the nested layers made first, then the wrapper
    around them (Keras 2 files have no ``backward_layer``: the wrapper derives it)."""
    for key in _WRAPPERS[name]:
        spec = config.get(key)
        if spec is None and key == "backward_layer":
            config.pop(key, None)
            continue
        if not isinstance(spec, dict) or spec.get("class_name") in (None, "InputLayer"):
            raise FormatError(
                f"Layer '{config.get('name', '?')}' ({name}) has no layer config under "
                f"'{key}': {spec!r}."
            )
        config[key] = _translate_layer(spec)[0]
    return _from_config(cls, config, name, make=lambda: cls(**config))


def _from_config(cls, config: dict, name: str, make=None):
    """``cls.from_config(config)`` (or ``make()``), any failure reported as the file's."""
    try:
        return cls.from_config(config) if make is None else make()
    except FormatError:
        raise
    except Exception as exc:  # noqa: BLE001  (an untrusted file: every failure is the file's)
        raise FormatError(
            f"Cannot import Keras layer '{config.get('name')}' ({name}): "
            f"{type(exc).__name__}: {exc}"
        ) from None


def _custom_functions(config: dict) -> dict:
    """Keras's ``{"class_name": "function", ...}`` values (a custom activation) -> the
    registered or given function of that name; refused if there is none."""
    out = dict(config)
    for key, value in config.items():
        if isinstance(value, dict) and value.get("class_name") == "function":
            fn = custom_objects.resolve_function(value)
            if fn is None:
                raise FormatError(
                    f"Layer '{config.get('name', '?')}' sets {key} to a custom function. "
                    + custom_objects.not_found(value.get("config"), what="function")
                )
            out[key] = fn
    return out


def _strip_bookkeeping(value):
    """Drops Keras's ``shared_object_id`` markers (Python object ids, no meaning here)."""
    if isinstance(value, dict):
        return {k: _strip_bookkeeping(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_strip_bookkeeping(v) for v in value]
    return value


def model_from_keras_config(config: dict) -> Model:
    """Builds the model described by a Keras ``model_config`` (``config.json``)."""
    config = _strip_bookkeeping(config)
    check_config(config)
    return _model_from_spec(config, nested=False)


def _model_from_spec(config, nested: bool) -> Model:
    kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
    if kind in ("Functional", "Model"):
        return _functional_from_spec(config)
    if kind != "Sequential":
        raise FormatError(
            f"Keras model class '{kind}' cannot be imported: only Sequential and functional "
            "models have a config that rebuilds them (a subclassed model's code is not in "
            "the file)."
        )
    inner = config.get("config") or {}
    specs = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(specs, list):
        raise FormatError("The Keras config has no layer list.")
    model = Sequential(name=inner.get("name"))
    for spec in specs:
        if not isinstance(spec, dict):
            raise FormatError("A Keras layer entry is not an object.")
        if spec.get("class_name") in _MODEL_CLASSES:
            layer, shape = _model_from_spec(spec, nested=True), None
        else:
            layer, shape = _translate_layer(spec)
        if shape is not None and not model.layers and model.input_shape is None:
            model.add(layers_module.Input(batch_shape=tuple(shape), dtype=_text_dtype(spec)))
        if layer is not None:
            model.add(layer)
    if not model.built and not nested:
        raise FormatError("The Keras model has no input shape, so it cannot be built.")
    return model


def _text_dtype(spec: dict):
    """ "string" for a Keras string input (lookup layers read it), else None (float32)."""
    return "string" if (spec.get("config") or {}).get("dtype") == "string" else None


def _functional_from_spec(config: dict) -> Model:
    """A Keras functional model, rebuilt by replaying its layer calls on neuroflow's graph.

    Every layer is made here (the same checks as for Sequential: no Lambda, no custom
    class); the graph is then replayed from the config's nodes.
    """
    from neuroflow.models.functional import Functional

    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise FormatError("The Keras functional config has no layer list.")
    made: dict = {}  # layer name -> layer or nested model
    for spec in inner["layers"]:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise FormatError("A Keras layer entry is not an object with a name.")
        if spec["name"] in made:
            raise FormatError(f"The Keras config names two layers '{spec['name']}'.")
        if spec.get("class_name") == "InputLayer":
            _, shape = _translate_layer(spec)
            if not isinstance(shape, list):
                raise FormatError(f"Input '{spec['name']}' has no shape in the Keras file.")
            made[spec["name"]] = layers_module.Input(
                batch_shape=tuple(shape), name=spec["name"], dtype=_text_dtype(spec)
            )
        elif spec.get("class_name") in _MODEL_CLASSES:
            made[spec["name"]] = _model_from_spec(spec, nested=True)
        elif _is_mask_operation(spec):
            made[spec["name"]] = _MASK
        else:
            made[spec["name"]] = _translate_layer(spec)[0]
    outputs: dict = {}  # (layer name, call index) -> what the call returned
    for name, value in made.items():
        if isinstance(value, layers_module.KerasTensor):
            outputs[(name, 0)] = value
    pending = [
        (spec["name"], i, _keras3_node(node, made[spec["name"]], spec["name"]))
        for spec in inner["layers"]
        if spec.get("class_name") != "InputLayer"
        for i, node in enumerate(spec.get("inbound_nodes") or [])
    ]
    while pending:  # a layer shared at several depths is called once its inputs exist
        progress = False
        for item in list(pending):
            name, index, node = item
            if index > 0 and (name, index - 1) not in outputs:
                continue
            try:
                args = _resolve(node.get("args", []), outputs)
                kwargs = _resolve(node.get("kwargs", {}), outputs)
            except KeyError:
                continue
            if made[name] is _MASK:
                outputs[(name, index)] = _MASK
                pending.remove(item)
                progress = True
                continue
            # a mask Keras traced is the one each layer's input carries here (the layers
            # compute and pass on their masks themselves)
            kwargs = {
                k: v for k, v in kwargs.items() if not (k == "mask" and (v is None or v is _MASK))
            }
            if any(v is _MASK for v in _flat([args, kwargs])):
                raise FormatError(
                    f"Keras layer '{name}' takes the output of a mask computation (a Keras "
                    "operation such as NotEqual or Any) as an input: only the masks that "
                    "layers pass on can be imported."
                )
            try:
                outputs[(name, index)] = made[name](*args, **kwargs)
            except (ValueError, TypeError) as exc:
                raise FormatError(
                    f"Keras layer '{name}' cannot be called as the file says: {exc}"
                ) from None
            pending.remove(item)
            progress = True
        if not progress:
            raise FormatError(
                "The Keras functional config cannot be rebuilt: the calls of layers "
                f"{sorted({p[0] for p in pending})} read tensors no layer produces."
            )
    nested = {n for n, v in made.items() if isinstance(v, Model) and not isinstance(v, Sequential)}

    def endpoint(ref):
        if isinstance(ref, dict):
            return {k: endpoint(v) for k, v in ref.items()}
        if isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str):
            # Keras numbers a nested functional model's calls from 1 here (only here)
            key = (ref[0], ref[1] - 1 if ref[0] in nested else ref[1])
            if key not in outputs or not isinstance(ref[2], int):
                raise FormatError(f"The Keras config's model input/output {ref} does not exist.")
            return _flat(outputs[key])[ref[2]]
        if isinstance(ref, list):
            return [endpoint(r) for r in ref]
        raise FormatError(f"The Keras config's model input/output {ref!r} is malformed.")

    try:
        return Functional(
            endpoint(inner.get("input_layers")),
            endpoint(inner.get("output_layers")),
            name=inner.get("name"),
        )
    except (ValueError, TypeError) as exc:
        raise FormatError(f"The Keras functional model cannot be rebuilt: {exc}") from None


# Keras 3 writes the operations a layer's compute_mask ran (Embedding(mask_zero=True):
# NotEqual; Masking: NotEqual and Any) into a functional model's config, their output going
# to the next layers as ``mask=``. Here each layer computes and passes on its mask itself,
# so these nodes are skipped, and their outputs may feed nothing but ``mask=``.
_MASK = object()
_MASK_OPERATIONS = {"NotEqual", "Equal", "Any", "All", "LogicalAnd", "LogicalOr", "LogicalNot",
                    "ExpandDims", "Squeeze", "Cast"}  # fmt: skip


def _is_mask_operation(spec: dict) -> bool:
    """A Keras operation (not a layer) of the kinds compute_mask runs: ``module`` is
    keras.src.ops.* in a ``.keras`` config; Keras 3's legacy ``.h5`` omits the module."""
    module = spec.get("module")
    return spec.get("class_name") in _MASK_OPERATIONS and (
        module is None or (isinstance(module, str) and module.startswith("keras.src.ops."))
    )


def _keras3_node(node, layer, name: str) -> dict:
    """A tf.keras 2 node, ``[[layer, node, tensor, kwargs], ...]`` (one entry per input),
    in Keras 3's form ``{"args": [...], "kwargs": {...}}``. tf.keras 2 lists a recurrent
    layer's ``initial_state`` after its input: they become ``initial_state=`` again."""
    if isinstance(node, dict):
        return node
    if not isinstance(node, list) or not all(
        isinstance(e, list) and len(e) in (3, 4) and isinstance(e[0], str) for e in node
    ):
        raise FormatError(f"Layer '{name}' has a malformed inbound node in the Keras config.")
    refs = [
        {"class_name": "__keras_tensor__", "config": {"keras_history": list(e[:3])}} for e in node
    ]
    kwargs = dict(node[0][3]) if len(node[0]) == 4 and isinstance(node[0][3], dict) else {}
    if len(refs) == 1:
        return {"args": refs, "kwargs": kwargs}
    if isinstance(layer, _recurrent_classes()):
        return {"args": [refs[0]], "kwargs": {**kwargs, "initial_state": refs[1:]}}
    return {"args": [refs], "kwargs": kwargs}


def _recurrent_classes() -> tuple:
    """The layer classes that take ``initial_state=``: RNN (LSTM, GRU... subclass it) and
    Bidirectional."""
    classes = layers_module.layer_classes()
    return tuple(classes[n] for n in ("RNN", "Bidirectional") if n in classes)


def _flat(value) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _flat(v)]
    return [value]


def _resolve(value, outputs: dict):
    """A node's arguments with each serialized symbolic tensor replaced by the real one."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            if not (isinstance(history, list) and len(history) == 3):
                raise FormatError(f"A Keras tensor reference is malformed: {value!r}.")
            name, node, tensor = history
            made = outputs[(name, node)]  # KeyError: not made yet
            flat = _flat(made)
            if not isinstance(tensor, int) or not 0 <= tensor < len(flat):
                raise FormatError(f"Layer '{name}' has no output {tensor!r}.")
            return flat[tensor]
        return {k: _resolve(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        # tf.keras 2's node form: [[layer name, node, tensor, kwargs], ...]
        return [_resolve(v, outputs) for v in value]
    return value


def _legacy_order(layer) -> list:
    """The weights Keras's legacy HDF5 lists for a top-level layer, in its order: its
    trainable weights, then the others, those of the layers it holds included (a nested
    model; an RNN's cell; Bidirectional's forward, then backward layer)."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _assign(layer, arrays: list, source: str) -> None:
    own = _legacy_order(layer)
    if len(arrays) != len(own):
        raise FormatError(
            f"{source}: {len(arrays)} weight arrays for layer '{layer.name}', which has {len(own)}."
        )
    values = []
    for var, dataset in zip(own, arrays):
        if tuple(dataset.shape) != tuple(var.shape):
            raise FormatError(
                f"{source}: weight '{var.name}' of layer '{layer.name}' has shape "
                f"{tuple(dataset.shape)} in the file, {tuple(var.shape)} in the "
                "model."
            )
        if dataset.dtype.kind != "f":
            raise FormatError(
                f"{source}: weight '{var.name}' of '{layer.name}' is not floating point."
            )
        values.append(np.asarray(dataset[()], dtype=np.float32))
    for var, value in zip(own, values):
        var.assign(value)


def _legacy_layer_arrays(group, layer) -> list:
    """Datasets of one layer in a legacy .h5, in the layer's own weight order."""
    names = [
        n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])
    ]
    if names:  # Keras 2 lists them ("dense/kernel:0")
        return [group[n] for n in names]
    found = {}
    group.visititems(
        lambda path, obj: (
            found.setdefault(path.rsplit("/", 1)[-1], obj) if hasattr(obj, "shape") else None
        )
    )
    arrays = []
    for var in layer.weights:  # Keras 3 writes none: match by variable name
        key = next((k for k in (var.name, f"{var.name}:0") if k in found), None)
        if key is None:
            raise FormatError(f"No '{var.name}' weight for layer '{layer.name}' in the file.")
        arrays.append(found[key])
    return arrays


def load_keras_h5(path, compile: bool = True) -> Sequential:  # noqa: A002  (Keras's name)
    """Loads a model saved by Keras 2 or 3 as legacy HDF5 (``model.save('x.h5')``)."""
    h5py = _require_h5py()
    with h5py.File(path, "r") as f:
        raw = f.attrs.get("model_config")
        if raw is None:
            raise FormatError(
                f"'{path}' holds no model_config: it is a weights-only file "
                "(load_weights) or not a Keras model."
            )
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        model = model_from_keras_config(config)
        weights = f["model_weights"] if "model_weights" in f else f
        for layer in model.layers:
            if not layer.weights:
                continue
            if layer.name not in weights:
                raise FormatError(f"'{path}' has no weights for layer '{layer.name}'.")
            _assign(layer, _legacy_layer_arrays(weights[layer.name], layer), str(path))
        raw = f.attrs.get("training_config")
        if compile and raw is not None:
            compile_from_keras(model, json.loads(raw.decode() if isinstance(raw, bytes) else raw))
    return model


def _keras3_groups(group, model, by_name: bool) -> list:
    """``(layer, its group or None)`` for each layer of ``model`` in a Keras 3 weights file.

    Keras files each layer under its class's snake-case name numbered within its model
    (dense, dense_1...) in the model's layer order; that order is what ``load_weights``
    follows, as Keras does. A model rebuilt from the same file has the file's layer names,
    which each group records: ``by_name`` matches those, so the order never matters.
    """
    named = {}
    if by_name and "layers" in group:
        for sub in group["layers"].values():
            name = sub["vars"].attrs.get("name") if "vars" in sub else None
            named[name.decode() if isinstance(name, bytes) else name] = sub
    seen: dict[str, int] = {}
    found = []
    for layer in model.layers:
        base = _keras_key(layer)
        key = base if base not in seen else f"{base}_{seen[base]}"
        seen[base] = seen.get(base, 0) + 1
        sub = named.get(layer.name) if by_name else None
        if sub is None and f"layers/{key}" in group:
            sub = group[f"layers/{key}"]
        found.append((layer, sub))
    return found


def _keras_key(layer) -> str:
    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "functional"  # Keras's class for every graph model
    return snake_case(type(layer).__name__)


def _assign_keras3(group, model, source: str, by_name: bool = False) -> None:
    """Fills ``model`` from Keras 3's ``layers/<key>/vars/<i>`` groups (nested models too)."""
    for layer, sub in _keras3_groups(group, model, by_name):
        if not layer.weights:
            continue
        if sub is None:
            kind = "model" if isinstance(layer, Model) else "layer"
            raise FormatError(f"{source} has no weights for {kind} '{layer.name}'.")
        if is_graph_model(layer):
            _assign_keras3(sub, layer, source, by_name)
            continue
        _assign_object(sub, layer, source)


def _assign_object(group, layer, source: str) -> None:
    """A custom or built-in layer (or subclassed model): its own ``vars``, then the layers
    it holds, under their attribute names as Keras 3 files them."""
    variables = group["vars"] if "vars" in group else {}
    own = list(layer._variables)  # Keras's order: trainable first, then the others
    order = [v for v in own if v.trainable] + [v for v in own if not v.trainable]
    if len(variables) != len(order):
        raise FormatError(
            f"{source}: {len(variables)} weight arrays for layer '{layer.name}', "
            f"which has {len(order)}."
        )
    _assign_in_order(layer, order, [variables[str(i)] for i in range(len(order))], source)
    for attribute, child in attribute_children(layer):
        items = child if isinstance(child, list) else [child]
        keys = container_keys(child) if isinstance(child, list) else [None]
        for key, item in zip(keys, items):
            path = attribute if key is None else f"{attribute}/{key}"
            if not item.weights:
                continue
            if path not in group:
                raise FormatError(f"{source} has no weights for layer '{item.name}' ({path}).")
            if is_graph_model(item):
                _assign_keras3(group[path], item, source)
            else:
                _assign_object(group[path], item, source)


def assign_root(group, model, source: str, by_name: bool = False) -> None:
    """Fills ``model`` from a Keras 3 weights file's root group."""
    if is_graph_model(model):
        _assign_keras3(group, model, source, by_name)
    else:
        _assign_object(group, model, source)


def _assign_in_order(layer, variables: list, arrays: list, source: str) -> None:
    values = []
    for var, dataset in zip(variables, arrays):
        if tuple(dataset.shape) != tuple(var.shape) or dataset.dtype.kind != "f":
            raise FormatError(
                f"{source}: weight '{var.name}' of layer '{layer.name}' is "
                f"{dataset.dtype} {tuple(dataset.shape)} in the file; the model has float "
                f"{tuple(var.shape)}."
            )
        values.append(np.asarray(dataset[()], dtype=np.float32))
    for var, value in zip(variables, values):
        var.assign(value)


def _read_archive(path) -> tuple[dict, bytes]:
    with zipfile.ZipFile(path) as archive:
        for member in ("config.json", "model.weights.h5"):
            if member not in archive.namelist():
                raise FormatError(f"'{path}' lacks {member}: not a Keras archive.")
            if archive.getinfo(member).file_size > 4 << 30:
                raise FormatError(f"'{path}': {member} is too large.")
        config = _strip_bookkeeping(json.loads(archive.read("config.json")))
        return config, archive.read("model.weights.h5")


def load_keras_archive(path, compile: bool = True) -> Model:  # noqa: A002
    """Loads a Keras 3 ``.keras`` archive (``config.json`` + ``model.weights.h5``)."""
    h5py = _require_h5py()
    config, weights = _read_archive(path)
    model = model_from_keras_config(config)
    with h5py.File(io.BytesIO(weights), "r") as f:
        assign_root(f, model, f"'{path}'", by_name=True)
        _load_assets(path, f, model)
        if compile:
            compile_from_keras(model, config.get("compile_config"))
            _restore_optimizer(f, model, path)
    return model


def _load_assets(path, f, model) -> None:
    """The vocabularies (and IDF weights) that Keras keeps as assets for adapted lookup
    layers (``assets/layers/<key>/vocabulary.txt``), given to the layers that read them."""
    if not is_graph_model(model):
        return
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        for layer, group in _keras3_groups(f, model, by_name=True):
            if not hasattr(layer, "load_keras_assets") or group is None:
                continue
            member = f"assets/{group.name.strip('/')}/vocabulary.txt"
            if member in members:
                variables = {k: v[()] for k, v in group["vars"].items()} if "vars" in group else {}
                layer.load_keras_assets(archive.read(member).decode("utf-8"), variables)


def _restore_optimizer(f, model, path) -> None:
    """Sets the compiled optimizer's step count, learning rate and slots from the archive's
    ``optimizer/vars`` (Keras's order: iterations, learning rate unless it is a schedule,
    then each trainable variable's slots), so training resumes where it stopped, as in
    Keras. A layout that does not match is skipped with Keras's warning."""
    import warnings

    from neuroflow.io.keras_writer import _SLOTS

    optimizer = getattr(model, "optimizer", None)
    group = f.get("optimizer/vars")
    if optimizer is None or group is None or len(group) == 0:
        return
    arrays = [np.asarray(group[str(i)]) for i in range(len(group))]
    variables = model.trainable_weights
    state = optimizer.get_state(variables)
    names = _SLOTS.get(type(optimizer).__name__, ())
    if not all(set(slots) == set(names) for slots in state["slots"]):
        names = ()  # e.g. SGD without momentum: Keras keeps no slots either
    has_rate = not isinstance(optimizer._learning_rate, optimizers.LearningRateSchedule)
    head = 1 + has_rate
    if len(arrays) != head + len(names) * len(variables) or (names and not variables):
        warnings.warn(
            f"Skipping variable loading for optimizer '{group.attrs.get('name', '?')}' of "
            f"'{path}', because it has {head + len(names) * len(variables)} variables whereas "
            f"the saved optimizer has {len(arrays)} variables.",
            stacklevel=3,
        )
        return
    slots, i = [], head
    for mine in state["slots"]:
        saved = {}
        for name in names:
            saved[name] = np.asarray(arrays[i], mine[name].dtype)  # set_state checks shapes
            i += 1
        slots.append({**mine, **saved})
    optimizer.set_state(variables, {"iterations": int(arrays[0]), "slots": slots})
    if has_rate:
        optimizer.learning_rate = float(arrays[1])


def _check_built(model) -> None:
    if not model.built:
        raise ValueError(
            f"Build model '{model.name}' (give it an input shape) before loading weights into it."
        )


def load_archive_weights(model, path) -> None:
    """Loads the weights of a ``.keras`` archive into ``model`` (``model.load_weights``)."""
    h5py = _require_h5py()
    _check_built(model)
    _, weights = _read_archive(path)
    with h5py.File(io.BytesIO(weights), "r") as f:
        assign_root(f, model, f"'{path}'")


def load_keras3_weights(model, path) -> None:
    """Loads a Keras 3 ``.weights.h5`` file into ``model``."""
    h5py = _require_h5py()
    _check_built(model)
    with h5py.File(path, "r") as f:
        if "layers" not in f and "model_weights" in f or "layer_names" in f.attrs:
            raise FormatError(
                f"'{path}' is a legacy Keras HDF5 file; name it '.h5' (not '.weights.h5') "
                "to load it."
            )
        assign_root(f, model, f"'{path}'")


def load_legacy_weights(model, path) -> None:
    """Loads weights from a legacy Keras ``.h5`` (whole model or ``save_weights``) by the
    order of the layers that have weights, as Keras does."""
    h5py = _require_h5py()
    _check_built(model)
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        if "layer_names" not in group.attrs:
            raise FormatError(f"'{path}' holds no layer_names: not a Keras HDF5 weights file.")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["layer_names"]]
        saved = [n for n in names if len(group[n].attrs.get("weight_names", [])) > 0]
        mine = [layer for layer in model.layers if layer.weights]
        if len(saved) != len(mine):
            raise FormatError(
                f"'{path}' holds weights for {len(saved)} layers; model '{model.name}' has "
                f"{len(mine)} layers with weights."
            )
        for name, layer in zip(saved, mine):
            _assign_legacy(layer, group[name], str(path))


def _assign_legacy(layer, group, source: str) -> None:
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
    order = _legacy_order(layer)
    if len(names) != len(order):
        raise FormatError(
            f"{source}: {len(names)} weight arrays for layer '{layer.name}', which has "
            f"{len(order)}."
        )
    _assign_in_order(layer, order, [group[n] for n in names], source)


class _Unsupported(Exception):
    """A compile setting this library cannot rebuild: the model is left uncompiled."""


def _accepted(cls, config: dict, what: str) -> dict:
    """The config keys ``cls`` takes; Keras-only keys are dropped when they are off (None,
    False), and anything else Keras sets that we lack means we cannot rebuild it."""
    params = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    kept = {}
    for key, value in config.items():
        if key in params:
            kept[key] = value
        elif value not in (None, False) and key not in ("dtype", "reduction"):
            raise _Unsupported(f"{what} {cls.__name__} with {key}={value!r}")
    return kept


def _loss_from_keras(spec):
    if isinstance(spec, list):
        return [_loss_from_keras(s) for s in spec]
    if isinstance(spec, str):  # a name stays a name, as Keras 3 compiles a loaded model
        losses.get(_snake(spec))  # refuses a loss this library lacks
        return _snake(spec)
    if isinstance(spec, dict) and "class_name" in spec and isinstance(spec.get("config"), dict):
        try:
            cls = type(losses.deserialize({"class_name": spec["class_name"], "config": {}}))
        except (ValueError, TypeError):
            raise _Unsupported(f"loss {spec['class_name']}") from None
        config = _accepted(cls, spec["config"], "loss")
        return losses.deserialize({"class_name": spec["class_name"], "config": config})
    if isinstance(spec, dict):  # one loss per output, by output name
        return {k: _loss_from_keras(v) for k, v in spec.items()}
    raise _Unsupported(f"loss {spec!r}")


def _metric_from_keras(spec):
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_metric_from_keras(s) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec and isinstance(spec.get("config"), dict):
        from neuroflow.io.native import _metric_class

        if spec["class_name"] == "MeanMetricWrapper":  # Keras 2's metric given by name
            return spec["config"].get("name")
        cls = _metric_class(spec["class_name"])
        if cls is None:
            raise _Unsupported(f"metric {spec['class_name']}")
        return cls(**_accepted(cls, spec["config"], "metric"))
    if isinstance(spec, dict):
        return {k: _metric_from_keras(v) for k, v in spec.items()}
    raise _Unsupported(f"metric {spec!r}")


def _optimizer_from_keras(opt):
    # Keras's compile() default, which Keras itself falls back to when none was saved
    opt = opt or "rmsprop"
    if isinstance(opt, str):
        opt = {"class_name": opt, "config": {}}
    if not isinstance(opt, dict):
        raise _Unsupported(f"optimizer {opt!r}")
    opt_name = str(opt.get("class_name", "")).lower().removeprefix("custom>")
    try:  # the class, from the optimizers' registry
        cls = type(optimizers.deserialize({"class_name": opt_name, "config": {}}))
    except ValueError:
        raise _Unsupported(f"optimizer {opt_name}") from None
    # Keras writes options we lack (EMA, weight decay at their defaults...): keep ours only
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs", "name"}
    kwargs = {
        k: v
        for k, v in (opt.get("config") or {}).items()
        # a learning-rate schedule is the one nested object (the registry rebuilds it)
        if k in accepted and v is not None and (not isinstance(v, dict) or k == "learning_rate")
    }
    return optimizers.deserialize({"class_name": opt_name, "config": kwargs})


def compile_from_keras(model, training: dict | None) -> None:
    """Compiles ``model`` as the Keras file says (optimizer, loss, metrics), when it says.

    Losses and metrics saved as objects come back as the same classes with their settings
    (``from_logits``, thresholds...). Keras-only options that are off (EMA, clipping left
    unset...) are ignored; an optimizer, loss or metric this library lacks leaves the
    model uncompiled rather than guessing.
    """
    if not isinstance(training, dict) or training.get("loss") is None:
        return
    try:
        optimizer = _optimizer_from_keras(
            training.get("optimizer_config") or training.get("optimizer")
        )
        loss = _loss_from_keras(training["loss"])
        metrics = [_metric_from_keras(m) for m in training.get("metrics") or []]
        # Keras 2 files list the metrics of a single-output model per output: [["accuracy"]]
        if len(metrics) == 1 and isinstance(metrics[0], list) and not isinstance(loss, list):
            metrics = metrics[0]
        model.compile(optimizer, loss, metrics=metrics)
    except (_Unsupported, ValueError, TypeError, NotImplementedError):
        return  # uncompiled: the user can compile it


def _snake(name: str) -> str:
    return name if name.islower() else snake_case(name)
