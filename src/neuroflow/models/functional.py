"""``keras.Model(inputs, outputs)``: a model defined by a graph of layer calls.

Calling layers on ``keras.Input`` tensors records the graph (see
:mod:`neuroflow.layers.node`); this model runs it through :class:`~.graph.Graph`.
Inputs and outputs may be one tensor, a list or a dict; a model can be called like a
layer, on data or on symbolic tensors (nesting it in a bigger graph). The config is
Keras 3's: each layer with the graph nodes it was called in.
"""

from __future__ import annotations

from neuroflow import backend
from neuroflow.layers import deserialize
from neuroflow.layers.base import Layer, map_shapes
from neuroflow.layers.core import Input
from neuroflow.layers.node import KerasTensor, flatten, map_structure, pack_like
from neuroflow.models.graph import Graph
from neuroflow.models.model import Model, check_input_shape

__all__ = [
    "Functional", "clone_model", "deserialize_any", "graph_from_config", "model_from_json",
    "serialize_layer",
]  # fmt: skip


def _check_structure(value, role: str):
    """``inputs``/``outputs`` as given: a KerasTensor, a list/tuple or a dict of them."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list) and len(value) == 0:
        raise ValueError(f"A functional model needs at least one tensor in `{role}`.")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"The keys of a dict of `{role}` must be str. Received: {key!r}")
    for t in flatten(value):
        if not isinstance(t, KerasTensor):
            raise TypeError(
                f"All `{role}` of a functional model must be symbolic tensors (from keras.Input "
                f"and layer calls). Received: {t!r} (of type {type(t).__name__})"
            )
    return value


class Functional(Model):
    """A model whose layers form a graph from ``inputs`` to ``outputs``.

    Made by ``keras.Model(inputs, outputs)`` (``Model`` returns this class then).

    Parameters
    ----------
    inputs : KerasTensor, list or dict of KerasTensor
        The ``keras.Input`` tensors the model is fed.
    outputs : KerasTensor, list or dict of KerasTensor
        Tensors computed from ``inputs`` by calling layers.
    name : str, optional

    Examples
    --------
    >>> from neuroflow import layers
    >>> inputs = layers.Input((4,))
    >>> hidden = layers.Dense(8, activation="relu")(inputs)
    >>> model = Model(inputs, layers.Dense(1)(hidden))
    >>> model.count_params(), model.output_shape
    (49, (None, 1))
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        inputs = _check_structure(inputs, "inputs")
        outputs = _check_structure(outputs, "outputs")
        super().__init__(name=name or backend.unique_name("functional"), trainable=trainable,
                         **kwargs)  # fmt: skip
        self._set_graph(Graph(inputs, outputs))

    def _set_graph(self, graph: Graph) -> None:
        self._graph = graph
        for layer in graph.layers:
            self._track(layer)
        shapes = [t.shape for t in graph.input_tensors]
        self.built = True
        self._build_shape = shapes[0] if isinstance(graph.inputs, KerasTensor) else shapes

    # -------------------------------------------------------------------- graph
    @property
    def inputs(self) -> list:
        """The model's input tensors, as a list (Keras's ``model.inputs``)."""
        return list(self._graph.input_tensors)

    @property
    def outputs(self) -> list:
        return list(self._graph.output_tensors)

    @property
    def input(self):
        """The inputs as given to the constructor: one tensor, a list or a dict."""
        return self._graph.inputs

    @property
    def output(self):
        return self._graph.outputs

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self._graph.input_tensors]

    @property
    def output_names(self) -> list[str]:
        """The names of the layers that produce the outputs (dict keys for dict outputs),
        which a dict of losses or metrics is matched against."""
        if isinstance(self._graph.outputs, dict):
            return sorted(self._graph.outputs)
        return [t._history[0].name for t in self._graph.output_tensors]

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._graph.outputs)

    def compute_output_shape(self, input_shape):
        batch = next(iter(_leading_dims(input_shape)), None)
        return map_structure(lambda t: (batch,) + t.shape[1:], self._graph.outputs)

    def get_layer(self, name=None, index=None) -> Layer:
        """The layer called ``name`` (or at position ``index`` in :attr:`layers`)."""
        return _get_layer(self, name, index)

    # ---------------------------------------------------------------- running
    def _flat_inputs(self, inputs) -> list:
        expected = self._graph.inputs
        tensors = self._graph.input_tensors
        if isinstance(expected, KerasTensor):
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            elif isinstance(inputs, dict) and len(inputs) == 1:
                inputs = next(iter(inputs.values()))
            return [inputs]
        if isinstance(inputs, dict):
            keys = sorted(expected) if isinstance(expected, dict) else [t.name for t in tensors]
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' expects inputs named {keys}; the dict given lacks "
                    f"{missing} (it has {sorted(inputs)})."
                )
            return [inputs[k] for k in keys]
        if len(tensors) == 1 and not isinstance(inputs, (list, tuple, dict)):
            return [inputs]  # Keras accepts one array for a list of one input
        if isinstance(expected, dict):
            raise ValueError(
                f"Model '{self.name}' expects a dict of inputs with keys {sorted(expected)}. "
                f"Received: {type(inputs).__name__}"
            )
        if not isinstance(inputs, (list, tuple)) or len(inputs) != len(tensors):
            count = len(inputs) if isinstance(inputs, (list, tuple)) else 1
            raise ValueError(
                f"Model '{self.name}' expects {len(tensors)} inputs, but it received {count} "
                f"input tensors. Inputs expected: {[t.name for t in tensors]}"
            )
        return list(inputs)

    def call(self, inputs, training=False, mask=None):
        outputs = self._graph.run(self._flat_inputs(inputs), training=training)
        return pack_like(self._graph.outputs, outputs)

    def _check_input(self, x):
        if isinstance(self._graph.inputs, KerasTensor) and not isinstance(x, (list, tuple, dict)):
            return super()._check_input(x)
        flat = self._flat_inputs(x)
        for i, (value, tensor) in enumerate(zip(flat, self._graph.input_tensors)):
            if hasattr(value, "shape"):
                check_input_shape(self.name, i, tensor.shape, value.shape)
        return x

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Keras 3's functional config: the layers with their graph nodes."""
        graph_nodes = {id(n) for n in self._graph.nodes}
        graph_nodes.update(id(t.node) for t in self._graph.input_tensors if t._history)
        node_index = {}  # (layer, index in the layer) -> index among this model's nodes
        for layer in self.layers:
            own = [n for n in layer._inbound_nodes if id(n) in graph_nodes]
            for i, node in enumerate(own):
                node_index[id(node)] = i

        def history(t: KerasTensor) -> list:
            layer, index, tensor_index = t._history
            return [layer.name, node_index[id(layer._inbound_nodes[index])], tensor_index]

        def tensor_config(leaf):
            if not isinstance(leaf, KerasTensor):
                return leaf
            return {
                "class_name": "__keras_tensor__",
                "config": {"shape": list(leaf.shape), "dtype": leaf.dtype,
                           "keras_history": history(leaf)},
            }  # fmt: skip

        layers = []
        for layer in self.layers:
            spec = serialize_layer(layer)
            spec["name"] = layer.name
            nodes = []
            for node in layer._inbound_nodes:
                if id(node) not in graph_nodes or not node.input_tensors:
                    continue
                nodes.append({
                    "args": [map_structure(tensor_config, node.inputs),
                             *map_structure(tensor_config, list(node.args))],
                    "kwargs": map_structure(tensor_config, node.kwargs),
                })  # fmt: skip
            spec["inbound_nodes"] = nodes
            layers.append(spec)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": map_structure(history, _as_list(self._graph.inputs)),
            "output_layers": map_structure(history, _as_list(self._graph.outputs)),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuilds the graph from :meth:`get_config`: each layer, then its calls in order.

        ``custom_objects`` maps class names to the user's own layer classes (Keras's
        argument); only these and the library's classes are looked up.
        """
        inputs, outputs = graph_from_config(config, custom_objects)
        return cls(inputs, outputs, name=config.get("name"),
                   trainable=config.get("trainable", True))  # fmt: skip


def _as_list(structure):
    return list(structure) if isinstance(structure, tuple) else structure


def _leading_dims(shapes):
    out = []
    map_shapes(lambda s: out.append(s[0] if s else None), shapes)
    return out


def _get_layer(model, name=None, index=None) -> Layer:
    if index is not None and name is not None:
        raise ValueError("Provide only a layer name or a layer index, not both.")
    layers = model.layers
    if index is not None:
        if not isinstance(index, int) or not -len(layers) <= index < len(layers):
            raise ValueError(
                f"Was asked to retrieve layer at index {index} but model only has "
                f"{len(layers)} layers."
            )
        return layers[index]
    if name is None:
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")
    for layer in layers:
        if layer.name == name:
            return layer
    raise ValueError(
        f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
    )


def serialize_layer(layer: Layer) -> dict:
    """``{"module", "class_name", "config", "registered_name"}`` for one layer or model, and
    ``build_config`` once it is built."""
    class_name = type(layer).__name__
    spec = {
        "module": "keras.layers" if not isinstance(layer, Model) else "keras",
        "class_name": class_name,
        "config": layer.get_config(),
        "registered_name": None,
    }
    build_config = layer.get_build_config()
    if build_config is not None:  # the shape it was built for, as Keras 3 writes it
        spec["build_config"] = build_config
    return spec


def deserialize_any(spec: dict, custom_objects=None) -> Layer:
    """A layer or a nested model from :func:`serialize_layer`'s form; ``custom_objects``
    (class name -> class) names the user's own classes, which come first as in Keras."""
    from neuroflow.models.sequential import Sequential

    name = spec.get("class_name") if isinstance(spec, dict) else None
    custom = (custom_objects or {}).get(name)
    if custom is not None:
        return custom.from_config(dict(spec.get("config", {})))
    if name in ("Functional", "Model"):
        return Functional.from_config(spec.get("config", {}), custom_objects)
    if name == "Sequential":
        return Sequential.from_config(spec.get("config", {}))
    return deserialize(spec)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):  # fmt: skip
    """A new model with the same architecture and freshly initialized weights
    (``keras.models.clone_model``): the layers are rebuilt from their configs.

    ``clone_function(layer)`` may return the layer to use instead of a copy (Keras's
    hook; return ``layer`` itself to share it).

    Examples
    --------
    >>> from neuroflow import layers
    >>> from neuroflow.models import Sequential
    >>> model = Sequential([layers.Input((3,)), layers.Dense(2)])
    >>> copy = clone_model(model)
    >>> copy.count_params(), copy.layers[0] is model.layers[0]
    (8, False)
    """
    from neuroflow.models.sequential import Sequential

    if input_tensors is not None or call_function is not None or kwargs:
        raise NotImplementedError(
            "clone_model(input_tensors=, call_function=) are not supported; clone the model, "
            "then call it on new keras.Input tensors."
        )
    if not isinstance(model, Model):
        raise TypeError(f"Expected `model` to be a Model. Received: {model!r}")
    if isinstance(model, Sequential):
        if clone_function is None:
            return Sequential.from_config(model.get_config())
        clone = Sequential(name=model.name)
        if model.input_shape_hint is not None:
            clone.add(Input(batch_shape=model.input_shape_hint))
        for layer in model.layers:
            clone.add(clone_function(layer))
        return clone
    if isinstance(model, Functional):
        if clone_function is None:
            return Functional.from_config(model.get_config())
        return _clone_graph(model, clone_function)
    return type(model).from_config(model.get_config())


def _clone_graph(model: Functional, clone_function) -> Functional:
    """The graph replayed with ``clone_function(layer)`` for each layer (once per layer,
    so shared layers stay shared) on new inputs."""
    copies, made = {}, {}
    for t in model._graph.input_tensors:
        made[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype, name=t.name)

    def value(leaf):
        return made[id(leaf)] if isinstance(leaf, KerasTensor) else leaf

    for node in model._graph.nodes:
        if id(node.layer) not in copies:
            copies[id(node.layer)] = clone_function(node.layer)
        args = map_structure(value, list(node.args))
        out = copies[id(node.layer)](
            map_structure(value, node.inputs), *args, **map_structure(value, node.kwargs)
        )
        for old, new in zip(node.output_tensors, flatten(out)):
            made[id(old)] = new
    inputs = map_structure(value, model._graph.inputs)
    return Functional(inputs, map_structure(value, model._graph.outputs), name=model.name)


def model_from_json(json_string: str, custom_objects=None):
    """A model (unbuilt weights, freshly initialized) from ``model.to_json()``.

    Only this library's layer classes are looked up; nothing in the text is run.
    """
    import json

    if custom_objects:
        raise NotImplementedError("model_from_json(custom_objects=...) is not supported.")
    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Expected the JSON text of model.to_json(). {error}") from None
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"Expected {{'class_name': ..., 'config': ...}}. Received: {spec!r}")
    return deserialize_any(spec)


def graph_from_config(config: dict, custom_objects=None):
    """The ``(inputs, outputs)`` symbolic tensors of a functional config, made by creating
    each layer and replaying its calls once the tensors they read exist."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"Expected a functional config with a 'layers' list. Received: {config!r}")
    created: dict = {}  # layer name -> layer
    made: dict = {}  # (layer name, node index) -> output nest
    pending = []
    for spec in config["layers"]:
        if not isinstance(spec, dict):
            raise ValueError(f"Each layer of a functional config must be a dict. Got: {spec!r}")
        name = spec.get("name") or spec.get("config", {}).get("name")
        if spec.get("class_name") == "InputLayer":
            cfg = dict(spec.get("config", {}))
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            tensor = Input(batch_shape=tuple(shape), dtype=cfg.get("dtype"), name=name)
            created[name] = tensor._history[0]
            made[(name, 0)] = tensor
            continue
        layer = deserialize_any(spec, custom_objects)
        created[name] = layer
        for i, node in enumerate(spec.get("inbound_nodes", [])):
            pending.append((name, i, node))

    def resolve(leaf):
        if isinstance(leaf, dict) and leaf.get("class_name") == "__keras_tensor__":
            layer_name, node_index, tensor_index = leaf["config"]["keras_history"]
            key = (layer_name, node_index)
            if key not in made:
                raise KeyError(key)
            return flatten(made[key])[tensor_index]
        if isinstance(leaf, list) and len(leaf) == 3 and isinstance(leaf[0], str):
            return flatten(made[(leaf[0], leaf[1])])[leaf[2]]  # tf.keras 2's node form
        return leaf

    def resolve_nest(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return resolve(value)
        if isinstance(value, list):
            return [resolve_nest(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve_nest(v) for k, v in value.items()}
        return value

    while pending:
        progress = False
        for item in list(pending):
            name, index, node = item
            if index > 0 and (name, index - 1) not in made:
                continue  # a layer's calls replay in their order
            try:
                args = resolve_nest(node.get("args", []))
                kwargs = resolve_nest(node.get("kwargs", {}))
            except KeyError:
                continue
            made[(name, index)] = created[name](*args, **kwargs)
            pending.remove(item)
            progress = True
        if not progress:
            raise ValueError(
                "The functional config cannot be rebuilt: the calls of layers "
                f"{sorted({p[0] for p in pending})} read tensors no layer produces."
            )

    def endpoint(ref):
        if isinstance(ref, dict):
            return {k: endpoint(v) for k, v in ref.items()}
        if isinstance(ref, list) and ref and isinstance(ref[0], list):
            return [endpoint(r) for r in ref]
        return flatten(made[(ref[0], ref[1])])[ref[2]]

    inputs, outputs = endpoint(config["input_layers"]), endpoint(config["output_layers"])
    return inputs, outputs
