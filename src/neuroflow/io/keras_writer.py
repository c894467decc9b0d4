"""Writing models as real Keras 3 files: ``.keras`` archives, legacy ``.h5`` and ``.weights.h5``.

The layouts are those Keras 3.15 writes, so ``keras.models.load_model`` and
``model.load_weights`` read them and predict what neuroflow predicts:

- ``.keras``: a zip (stored, not compressed) of ``metadata.json``, ``config.json`` (the
  model in Keras 3's serialized form: ``module``, ``class_name``, ``config``,
  ``registered_name``, ``build_config``, ``compile_config``) and ``model.weights.h5``;
- ``model.weights.h5`` and ``.weights.h5``: one group per object, ``layers/<key>/vars/<i>``,
  where ``<key>`` is the layer's class in snake case numbered within its model (``dense``,
  ``dense_1``...), the model's own ``vars`` and the optimizer's ``optimizer/vars``;
- legacy ``.h5``: the ``model_config`` and ``training_config`` attributes (JSON) and
  ``model_weights/<layer name>`` groups listing their ``weight_names``.

Needs h5py (the ``h5`` extra). Only the library's own layers can be written, under the
Keras class of the same name; a Lambda layer (Python code) or a custom class is refused.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import numpy as np

from neuroflow import layers as layers_module
from neuroflow import losses, optimizers
from neuroflow._registry import snake_case
from neuroflow.io import custom_objects
from neuroflow.utils.files import atomic_path

KERAS_VERSION = "3.15.1"  # the Keras these layouts were read from
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # what Keras stamps on its JSON members
_POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}
# the Keras module of a nested object, from the config key that holds it
_MODULES = {
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "constraint": "keras.constraints",
}
# neuroflow layers that hold Python code, or that Keras does not have
_NOT_WRITABLE = {
    "Lambda": "it holds Python code, which a Keras file would have to carry",
    "Maxout": "Keras has no Maxout layer (it is TensorFlow Addons'), so Keras could not load it",
}
# config keys a Keras class refuses, with the only value Keras's behaviour matches
_LOSS_KEYS_KERAS_LACKS = {"SparseCategoricalCrossentropy": {"axis": -1}}
# neuroflow slot names -> Keras's optimizer variables, per variable, in Keras's order
_SLOTS = {
    "Adam": ("m", "v"),
    "SGD": ("momentum",),
    "RMSprop": ("velocity",),
}


def _require_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Writing Keras .h5/.keras files needs h5py: pip install 'neuroflow[h5]'."
        ) from None
    return h5py


def _plain(value):
    """JSON-ready: tuples as lists, NumPy scalars as Python numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------------------------- config.json
def _object_spec(value, module: str) -> dict:
    return {
        "module": module,
        "class_name": value["class_name"],
        "config": _plain(value.get("config") or {}),
        "registered_name": None,
    }


def _check_writable(layer) -> None:
    name = type(layer).__name__
    if name in _NOT_WRITABLE:
        raise ValueError(
            f"Cannot save layer '{layer.name}' ({name}) to a Keras file: "
            f"{_NOT_WRITABLE[name]}. Rebuild the model without it."
        )
    if layers_module.layer_classes().get(name) is not type(layer) and not (
        custom_objects.is_custom(type(layer)) and hasattr(layer, "get_config")
    ):
        raise ValueError(
            f"Cannot save layer '{layer.name}' of type {name} to a Keras file: only the "
            "library's own layers and custom layers with get_config can be written."
        )


def keras_layer_config(layer) -> dict:
    """``layer.get_config()`` as Keras 3 writes it: a dtype policy, nested objects
    (initializers, regularizers, constraints) with their Keras module."""
    config = _plain(layer.get_config())
    for key in ("batch_input_shape", "input_shape", "input_dim"):
        if not (key == "input_dim" and type(layer).__name__ == "Embedding"):
            config.pop(key, None)  # the model's InputLayer carries the shape, as in Keras 3
    out = {
        "name": config.pop("name", layer.name),
        "trainable": config.pop("trainable", True),
        "dtype": dict(_POLICY) if config.pop("dtype", "float32") in ("float32", None) else None,
    }
    if out["dtype"] is None:
        raise ValueError(f"Layer '{layer.name}': only float32 layers can be written to Keras.")
    for key, value in config.items():
        suffix = key.rsplit("_", 1)[-1]
        if isinstance(value, dict) and "class_name" in value and suffix in _MODULES:
            value = _object_spec(value, _MODULES[suffix])
        elif suffix == "activation" and custom_objects.is_custom(getattr(layer, key, None)):
            value = custom_objects.function_spec(getattr(layer, key))
        out[key] = value
    return out


def _input_layer_spec(batch_shape, name: str, dtype: str = "float32") -> dict:
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {
            "batch_shape": _plain(batch_shape),
            "dtype": dtype,
            "sparse": False,
            "ragged": False,
            "name": name,
            "optional": False,
        },
        "registered_name": None,
    }


def _is_sequential(model) -> bool:
    from neuroflow.models import Sequential

    return isinstance(model, Sequential)


def _is_model(layer) -> bool:
    from neuroflow.models import Model

    return isinstance(layer, Model)


def layer_spec(layer, input_shape) -> dict:
    """One layer (or nested model) in Keras 3's serialized form."""
    if _is_model(layer):
        return model_spec(layer)
    _check_writable(layer)
    cls = type(layer)
    if layers_module.layer_classes().get(cls.__name__) is not cls:  # a user's class: as Keras
        spec = custom_objects.serialize_keras_object(layer)
        spec["config"] = _plain(spec["config"])
    else:
        spec = {
            "module": "keras.layers",
            "class_name": cls.__name__,
            "config": keras_layer_config(layer),
            "registered_name": None,
        }
    for key, inner, shape in _wrapped(layer, input_shape):
        spec["config"][key] = layer_spec(inner, shape)
    if input_shape is not None and layer.weights:
        spec["build_config"] = {"input_shape": _plain(input_shape)}
    return spec


def _wrapped(layer, input_shape) -> list:
    """``(config key, layer, its input shape)`` of the layers a wrapper holds, which Keras
    writes as whole layer specs: Bidirectional's forward (``layer``) and backward layers
    on the wrapper's input, TimeDistributed's ``layer`` on one timestep."""
    name = type(layer).__name__
    if name == "Bidirectional":
        return [("layer", layer.forward_layer, input_shape),
                ("backward_layer", layer.backward_layer, input_shape)]  # fmt: skip
    if name == "TimeDistributed":
        step = None if input_shape is None else (input_shape[0], *input_shape[2:])
        return [("layer", layer.layer, step)]
    return []


def _sequential_spec(model) -> dict:
    shape = model.input_shape
    if shape is None:
        raise ValueError(f"Model '{model.name}' is not built yet; there is nothing to save.")
    graph = getattr(model, "_graph", None)  # a string input (text models) keeps its dtype
    dtype = graph.input_tensors[0].dtype if graph is not None else "float32"
    specs = [_input_layer_spec(shape, "input_layer", dtype)]
    current = tuple(shape)
    for layer in model.layers:
        specs.append(layer_spec(layer, current))
        current = tuple(layer.compute_output_shape(current))
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": model.name,
            "trainable": model.trainable,
            "dtype": dict(_POLICY),
            "layers": specs,
            "build_input_shape": _plain(shape),
        },
        "registered_name": None,
        "build_config": {"input_shape": _plain(shape)},
    }


def _functional_spec(model) -> dict:
    """A graph model: its own get_config (Keras 3's shape), each layer's entry re-dressed."""
    config = _plain(model.get_config())
    # In input_layers/output_layers (only there: not in the inbound nodes) Keras numbers a
    # nested functional model's calls from 1, and subtracts 1 when it loads
    offset = {
        layer.name for layer in model.layers if _is_model(layer) and not _is_sequential(layer)
    }
    entries = []
    for entry in config.get("layers", []):
        layer = model.get_layer(entry["name"])
        if type(layer).__name__ == "InputLayer":
            config_ = layer.get_config()
            spec = _input_layer_spec(config_["batch_shape"], layer.name, config_["dtype"])
        else:
            nodes = entry.get("inbound_nodes") or [{}]
            spec = layer_spec(layer, _node_input_shape(nodes[0]))
        entries.append({**spec, "name": entry["name"], "inbound_nodes": entry["inbound_nodes"]})
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": config.get("name", model.name),
            "trainable": config.get("trainable", model.trainable),
            "layers": entries,
            "input_layers": _shift_refs(config["input_layers"], offset, +1),
            "output_layers": _shift_refs(config["output_layers"], offset, +1),
        },
        "registered_name": "Functional",
        "build_config": {"input_shape": None},
    }


def _shift_refs(refs, names: set, by: int):
    """``input_layers``/``output_layers`` (``[name, node, tensor]`` or nests of them) with
    the node index of those made by ``names`` moved by ``by``."""
    if isinstance(refs, dict):
        return {k: _shift_refs(v, names, by) for k, v in refs.items()}
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        return [refs[0], refs[1] + by, refs[2]] if refs[0] in names else refs
    if isinstance(refs, list):
        return [_shift_refs(r, names, by) for r in refs]
    return refs


def _node_input_shape(node: dict):
    """The input shape(s) a layer was called on, from its first inbound node's tensors."""

    def shape(arg):
        if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            return arg["config"]["shape"]
        if isinstance(arg, list):
            return [shape(a) for a in arg]
        return None

    args = node.get("args") or []
    return shape(args[0]) if args else None


def model_spec(model) -> dict:
    """The model as Keras 3's ``config.json`` holds it (without the compile settings)."""
    if _is_sequential(model):
        return _sequential_spec(model)
    if type(model).__name__ in ("Functional", "Model") and hasattr(model, "get_layer"):
        return _functional_spec(model)
    raise ValueError(
        f"Cannot save model '{model.name}' of type {type(model).__name__} to a Keras file: "
        "subclassed models have no config Keras can rebuild them from."
    )


def _loss_spec(loss, legacy: bool):
    if isinstance(loss, (list, tuple)):
        return [_loss_spec(x, legacy) for x in loss]
    if isinstance(loss, dict):
        return {k: _loss_spec(v, legacy) for k, v in loss.items()}
    if isinstance(loss, str) or loss is None:
        return loss
    spec = losses.serialize(loss)  # refuses losses made from a user's function
    config = dict(spec["config"])
    for key, value in _LOSS_KEYS_KERAS_LACKS.get(spec["class_name"], {}).items():
        if key in config:
            if config[key] != value:
                raise ValueError(
                    f"Keras's {spec['class_name']} has no `{key}` argument; it cannot be "
                    f"written with {key}={config[key]!r}."
                )
            del config[key]
    spec = {"class_name": spec["class_name"], "config": config}
    return spec if legacy else _object_spec(spec, "keras.losses")


def _metric_spec(metric, legacy: bool):
    if isinstance(metric, (list, tuple)):
        return [_metric_spec(m, legacy) for m in metric]
    if isinstance(metric, dict):
        return {k: _metric_spec(v, legacy) for k, v in metric.items()}
    if isinstance(metric, str):
        return metric
    from neuroflow.io.native import _metric_spec as native_spec

    spec = native_spec(metric)  # a built-in metric's class and config, or a refusal
    if isinstance(spec, str):
        return spec
    spec = {"class_name": spec["class_name"], "config": {**spec["config"], "dtype": "float32"}}
    return spec if legacy else _object_spec(spec, "keras.metrics")


def _optimizer_spec(optimizer, legacy: bool) -> dict:
    spec = optimizers.serialize(optimizer)
    config = _plain(spec["config"])
    if config.get("name") == spec["class_name"]:  # Keras names its optimizers in lower case
        config["name"] = spec["class_name"].lower()
    spec = {"class_name": spec["class_name"], "config": config}
    return spec if legacy else _object_spec(spec, "keras.optimizers")


def compile_config(model, legacy: bool = False) -> dict | None:
    """Keras's ``compile_config`` (``.keras``) or ``training_config`` (legacy ``.h5``)."""
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    try:
        config = {
            "loss": _loss_spec(model.loss, legacy),
            "loss_weights": None,
            "metrics": [_metric_spec(m, legacy) for m in getattr(model, "_metric_ids", [])] or None,
            "weighted_metrics": None,
            "run_eagerly": False,
            "steps_per_execution": 1,
            "jit_compile": False,
        }
        optimizer = _optimizer_spec(model.optimizer, legacy)
    except ValueError as exc:
        raise ValueError(
            f"{exc} Save with include_optimizer=False to leave the compile settings out, "
            "and compile the loaded model again."
        ) from None
    if legacy:
        return {**config, "optimizer_config": optimizer}
    return {"optimizer": optimizer, **config}


# ------------------------------------------------------------------------------ weights
def _own_variables(layer) -> list:
    """A leaf layer's variables in Keras's order: trainable ones, then the others."""
    own = list(layer._variables)
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def keras_key(layer) -> str:
    """The snake-case class name Keras files a layer's weights under: a graph model is
    Keras's ``Functional`` whatever neuroflow calls its class."""
    if _is_model(layer) and not _is_sequential(layer):
        return "functional"
    return snake_case(type(layer).__name__)


def is_graph_model(layer) -> bool:
    """Sequential and functional models: Keras files their layers as a ``layers`` list."""
    return _is_model(layer) and (_is_sequential(layer) or hasattr(layer, "_graph"))


def container_keys(items: list) -> list:
    """Keras's keys for a list of layers: the snake-case class name, numbered from the
    second of a kind (dense, dense_1...)."""
    used: dict[str, int] = {}
    keys = []
    for item in items:
        base = keras_key(item)
        keys.append(base if base not in used else f"{base}_{used[base]}")
        used[base] = used.get(base, 0) + 1
    return keys


# the Layer base class's own bookkeeping, which Keras's walk does not see
_INTERNAL_ATTRIBUTES = frozenset(
    {"_sublayers", "_variables", "_inbound_nodes", "_regularized", "_added_losses", "_outer",
     "_graph", "_input_tensor"}
)  # fmt: skip


def attribute_children(obj) -> list:
    """``(attribute, layer or list of layers)`` a custom layer or subclassed model holds,
    in sorted attribute order: where Keras 3 files their weights (``<attribute>/...``)."""
    from neuroflow.layers.base import Layer

    out = []
    for name in sorted(vars(obj)):
        value = vars(obj)[name]
        if name.startswith("__") or name in _INTERNAL_ATTRIBUTES:
            continue
        if isinstance(value, Layer):
            out.append((name, value))
        elif (
            isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value)
        ):
            out.append((name, list(value)))
    return out


def _write_layers(group, model) -> None:
    """Keras 3's ``layers/<key>/vars/<i>`` groups for every layer of ``model``."""
    for key, layer in zip(container_keys(model.layers), model.layers):
        write_object(group.create_group(f"layers/{key}"), layer)


def write_object(node, layer) -> None:
    """One layer's group: a graph model's ``layers``, or the layer's own ``vars`` and the
    groups of the layers it holds, by attribute (custom layers, subclassed models)."""
    if is_graph_model(layer):
        _write_layers(node, layer)
        node.create_group("vars").attrs["name"] = layer.name
        return
    variables = node.create_group("vars")
    variables.attrs["name"] = layer.name
    for i, var in enumerate(_own_variables(layer)):
        variables.create_dataset(str(i), data=np.asarray(var.data))
    _write_children(node, layer)


def _write_children(node, layer) -> None:
    """The groups of the layers ``layer`` holds, by attribute (a list's items by key)."""
    for attribute, child in attribute_children(layer):
        if isinstance(child, list):
            for key, item in zip(container_keys(child), child):
                write_object(node.create_group(f"{attribute}/{key}"), item)
        else:
            write_object(node.create_group(attribute), child)


def _optimizer_arrays(model) -> tuple[str, list[np.ndarray]] | None:
    """The optimizer's name and variables as Keras orders them: iteration, learning rate
    (unless it is a schedule), then each trainable variable's slots."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        spec = _optimizer_spec(optimizer, legacy=True)
    except ValueError:  # a custom optimizer: Keras could not rebuild it anyway
        return None
    arrays = [np.array(int(optimizer.iterations), np.int64)]
    if not isinstance(spec["config"].get("learning_rate"), dict):
        arrays.append(np.array(optimizer.learning_rate, np.float32))
    names = _SLOTS.get(type(optimizer).__name__)
    if not optimizer.built:
        return spec["config"]["name"], arrays  # as Keras writes an optimizer that never ran
    state = optimizer.get_state(model.trainable_weights)
    if names is not None and all(set(slots) == set(names) for slots in state["slots"]):
        for slots in state["slots"]:
            arrays.extend(np.asarray(slots[n], np.float32) for n in names)
    # otherwise Keras warns that the counts differ and keeps a fresh state: weights still load
    return spec["config"]["name"], arrays


def _write_weights_file(target, model, include_optimizer: bool) -> None:
    h5py = _require_h5py()
    with h5py.File(target, "w") as f:
        if is_graph_model(model):
            _write_layers(f, model)
        else:  # a subclassed model: its layers by attribute, its own variables (if any)
            _write_children(f, model)
        found = _optimizer_arrays(model) if include_optimizer else None
        if found is not None:
            group = f.create_group("optimizer/vars")
            group.attrs["name"], arrays = found
            for i, array in enumerate(arrays):
                group.create_dataset(str(i), data=array)
        f.create_group("vars").attrs["name"] = model.name


def _check_built(model) -> None:
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet; there is nothing to save.")


# ------------------------------------------------------------------------------ writers
def save_keras_archive(model, path, include_optimizer: bool = True) -> None:
    """Writes ``model`` as a Keras 3 ``.keras`` archive (atomically)."""
    _check_built(model)
    spec = model_spec(model)
    if include_optimizer:
        compiled = compile_config(model)
        if compiled is not None:
            spec["compile_config"] = compiled
    metadata = {"keras_version": KERAS_VERSION, "date_saved": time.strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    _write_weights_file(weights, model, include_optimizer)
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(zipfile.ZipInfo("metadata.json", _ZIP_EPOCH), json.dumps(metadata))
            archive.writestr(zipfile.ZipInfo("config.json", _ZIP_EPOCH), json.dumps(spec))
            archive.writestr(
                zipfile.ZipInfo("model.weights.h5", time.localtime()[:6]), weights.getvalue()
            )


def save_keras_weights(model, path) -> None:
    """Writes the weights as Keras 3's ``.weights.h5`` (atomically)."""
    _check_built(model)
    with atomic_path(path) as tmp:
        _write_weights_file(tmp, model, include_optimizer=True)


def _legacy_config(spec: dict) -> dict:
    """Keras's legacy form of a model config: its layers lose module, registered name and
    build config (the objects nested in their configs keep theirs, as Keras writes them)."""
    out = {
        k: v
        for k, v in spec.items()
        if k not in ("module", "registered_name", "build_config", "compile_config")
    }
    config = out.get("config")
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        out["config"] = {**config, "layers": [_legacy_config(s) for s in config["layers"]]}
    return out


def _legacy_weights(layer) -> list:
    """``(name, variable)`` for what Keras's legacy HDF5 lists for a top-level layer:
    trainable, then the rest, those of the layers it holds included (an RNN's cell,
    Bidirectional's forward and backward layers), each named by its path of layers as
    Keras names them ("lstm/lstm_cell/kernel")."""
    paths = {}
    stack = [(layer, layer.name)]
    while stack:
        owner, path = stack.pop()
        for var in _own_variables(owner):
            paths.setdefault(id(var), f"{path}/{var.name}")
        stack.extend((sub, f"{path}/{sub.name}") for sub in reversed(owner._sublayers))
    variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
    return [(paths.get(id(v), f"{layer.name}/{v.name}"), v) for v in variables]


def save_keras_h5(model, path, include_optimizer: bool = True) -> None:
    """Writes ``model`` as Keras's legacy HDF5 (``model.save('x.h5')``), atomically."""
    h5py = _require_h5py()
    _check_built(model)
    spec = _legacy_config(model_spec(model))
    config = {"class_name": spec["class_name"], "config": spec["config"]}
    training = compile_config(model, legacy=True) if include_optimizer else None
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = json.dumps(config)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training)
        group = f.create_group("model_weights")
        group.attrs["backend"] = "tensorflow"
        group.attrs["keras_version"] = KERAS_VERSION
        group.attrs["layer_names"] = np.array([layer.name for layer in model.layers], dtype="S")
        for layer in model.layers:
            sub = group.create_group(layer.name)
            weight_names = []
            for name, var in _legacy_weights(layer):
                while name in weight_names:
                    name += "_"
                weight_names.append(name)
                sub.create_dataset(name, data=np.asarray(var.data))
            sub.attrs["weight_names"] = np.array(weight_names, dtype="S")
        top = group.create_group("top_level_model_weights")
        top.attrs["weight_names"] = np.array([], dtype="S")


__all__ = ["compile_config", "model_spec", "save_keras_archive", "save_keras_h5",
           "save_keras_weights"]  # fmt: skip
