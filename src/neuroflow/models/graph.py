"""The one execution engine: a graph of layer calls, compiled into a flat plan.

:class:`Graph` takes the symbolic inputs and outputs of a model, walks the recorded
nodes back from the outputs, orders them so that every node runs after the nodes it
reads from, and compiles them into a list of steps over numbered slots. Running the
graph is then a loop over that list: no dict lookups, no walking of nests for the
common one-input, one-output layer. Neighbouring layers with a fused fast path
(``Conv2D`` then ``MaxPooling2D``) become one step when nothing else reads the first
layer's output. ``Functional`` and ``Sequential`` models both run through it.
"""

from __future__ import annotations

from neuroflow import config
from neuroflow.layers.base import (
    _CALL_ARGUMENTS,
    Layer,
    _call_arguments,
    call_context,
    enter_call,
    exit_call,
)
from neuroflow.layers.node import KerasTensor, flatten, map_structure
from neuroflow.tensor import Tensor

__all__ = ["Graph"]


def _describe(tensor: KerasTensor) -> str:
    layer = tensor._history[0].name if tensor._history else "?"
    return f"{tensor.name} (shape {tensor.shape}, from layer '{layer}')"


class _Step:
    """One layer call of the plan: read ``sources`` slots, write ``targets`` slots."""

    __slots__ = (
        "layer", "node", "simple", "direct", "takes_training", "source", "target", "sources",
        "targets", "fused",
    )  # fmt: skip

    def __init__(self, node, slot_of: dict):
        self.layer, self.node = node.layer, node
        self.sources = [slot_of[id(t)] for t in node.input_tensors]
        self.targets = [slot_of[id(t)] for t in node.output_tensors]
        # most calls: one symbolic input, one output, no extra arguments
        self.simple = (
            isinstance(node.inputs, KerasTensor)
            and not node.args
            and not node.kwargs
            and len(self.targets) == 1
        )
        self.source = self.sources[0] if self.sources else None
        self.target = self.targets[0]
        self.fused = None  # the layer this one runs fused after (its input's producer)
        # a simple call of a layer whose __call__ is Layer's, and which makes no mask, runs
        # as ``layer.call(x)`` when ``x`` has no mask: what Layer.__call__ would do once the
        # graph has set the call context, without its checks
        layer_type = type(self.layer)
        accepts = _CALL_ARGUMENTS.get(layer_type) or _call_arguments(layer_type)
        self.direct = (
            self.simple and layer_type.__call__ is Layer.__call__ and not accepts.computes_mask
        )
        self.takes_training = accepts.training


class Graph:
    """The nodes between ``inputs`` and ``outputs`` (nests of KerasTensors), ready to run.

    Raises ValueError when an output cannot be computed from the inputs ("graph
    disconnected"), naming the tensor and the layer that needs it.
    """

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = inputs, outputs
        self.input_tensors = flatten(inputs)
        self.output_tensors = flatten(outputs)
        # keras.Input(dtype="string"): the data goes to the lookup layers as strings
        self.takes_strings = any(t.dtype == "string" for t in self.input_tensors)
        for role, tensors in (("inputs", self.input_tensors), ("outputs", self.output_tensors)):
            for t in tensors:
                if not isinstance(t, KerasTensor):
                    raise TypeError(
                        f"All `{role}` of a functional model must be symbolic tensors made "
                        f"from keras.Input and layer calls. Received: {t!r} "
                        f"(of type {type(t).__name__})"
                    )
        self.nodes = self._order_nodes()
        self._compile()

    # ------------------------------------------------------------- construction
    def _order_nodes(self) -> list:
        """The nodes the outputs depend on, ordered as Keras orders them: by depth (the
        longest path to an output) from deepest, ties in the order a walk back from the
        outputs first meets their layers. Sets :attr:`layers` in the same order."""
        inputs = {id(t) for t in self.input_tensors}
        walked, finished, in_progress, first_seen = [], set(), set(), {}

        def walk(tensor):
            if tensor._history is None:
                return
            node = tensor.node
            if id(node) in finished:
                return
            if id(node) in in_progress:
                raise ValueError(f"The graph has a cycle through layer '{node.layer.name}'.")
            first_seen.setdefault(id(node.layer), len(first_seen))
            in_progress.add(id(node))
            if id(tensor) not in inputs:
                for parent in node.input_tensors:
                    walk(parent)
            in_progress.discard(id(node))
            finished.add(id(node))
            walked.append(node)

        for tensor in self.output_tensors:
            walk(tensor)
        for tensor in self.input_tensors:  # an input no output uses still counts
            if tensor._history is not None and id(tensor.node.layer) not in first_seen:
                first_seen[id(tensor.node.layer)] = -1
                walked.append(tensor.node)
        node_depth, layer_depth = {}, {}
        for node in reversed(walked):
            depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
            layer_depth[id(node.layer)] = node_depth[id(node)] = depth
            if any(id(t) in inputs for t in node.output_tensors):
                continue
            for parent in node.input_tensors:
                if parent._history is not None:
                    key = id(parent.node)
                    node_depth[key] = max(depth + 1, node_depth.get(key, 0))
        by_depth = sorted(walked, key=lambda n: (-node_depth[id(n)], first_seen[id(n.layer)]))
        layers, seen = [], set()
        for node in sorted(walked, key=lambda n: (-layer_depth[id(n.layer)],
                                                  first_seen[id(n.layer)])):  # fmt: skip
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        self.layers = layers
        # every node reads values computed before it: model inputs or earlier nodes' outputs
        available = set(inputs)
        order = []
        for node in by_depth:
            if any(id(t) in inputs for t in node.output_tensors):
                continue  # the node that made a model input (an InputLayer, usually)
            if not node.input_tensors:
                raise ValueError(
                    "Graph disconnected: cannot obtain value for "
                    f"{_describe(node.output_tensors[0])}. It is an input of the graph that "
                    "is missing from the model's inputs "
                    f"{[t.name for t in self.input_tensors]}."
                )
            for t in node.input_tensors:
                if id(t) not in available:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {_describe(t)} at "
                        f"layer '{node.layer.name}'. The outputs do not depend on it through "
                        f"the model's inputs {[t.name for t in self.input_tensors]}; pass every "
                        "keras.Input the outputs are computed from as `inputs`."
                    )
            available.update(id(t) for t in node.output_tensors)
            order.append(node)
        for t in self.output_tensors:
            if id(t) not in available:
                raise ValueError(
                    f"Graph disconnected: output {_describe(t)} does not depend on the model's "
                    f"inputs {[t.name for t in self.input_tensors]}."
                )
        return order

    def _compile(self) -> None:
        slot_of: dict = {}
        for t in self.input_tensors:
            slot_of.setdefault(id(t), len(slot_of))
        for node in self.nodes:
            for t in node.output_tensors:
                slot_of.setdefault(id(t), len(slot_of))
        self.slot_of = slot_of
        self.n_slots = len(slot_of)
        self.input_slots = [slot_of[id(t)] for t in self.input_tensors]
        self.output_slots = [slot_of[id(t)] for t in self.output_tensors]
        self.steps = [_Step(node, slot_of) for node in self.nodes]
        self.fused_steps = self._fuse(self.steps)

    def _fuse(self, steps: list) -> list:
        """``steps`` with each (producer, sole consumer) pair that has a fused path merged."""
        readers: dict = {}
        for step in steps:
            for s in step.sources:
                readers[s] = readers.get(s, 0) + 1
        for s in self.output_slots:
            readers[s] = readers.get(s, 0) + 1
        out, i = [], 0
        while i < len(steps):
            step = steps[i]
            following = steps[i + 1] if i + 1 < len(steps) else None
            if (
                following is not None
                and step.simple
                and following.simple
                and following.source == step.target
                and readers.get(step.target) == 1
                and step.layer.built
                and following.layer.built
                and following.layer.fuses_after(step.layer)
            ):
                fused = _Step(following.node, self.slot_of)
                fused.fused, fused.source = step.layer, step.source
                fused.direct = False
                out.append(fused)
                i += 2
                continue
            out.append(step)
            i += 1
        return out

    # --------------------------------------------------------------------- running
    def run(self, flat_inputs: list, training: bool = False) -> list:
        """The output values (flat, in :attr:`output_tensors` order) for input values."""
        values = [None] * self.n_slots
        for slot, value in zip(self.input_slots, flat_inputs):
            values[slot] = value
        steps = self.fused_steps if config.fusion_enabled() else self.steps
        if training is None:  # what every layer call would make of it
            training = False
        if call_context.training is training:  # set already, by the model's own call
            self._run_steps(steps, values, training)
        else:
            previous = enter_call(training)  # so each layer call finds the context set
            try:
                self._run_steps(steps, values, training)
            finally:
                exit_call(previous)
        return [values[slot] for slot in self.output_slots]

    def _run_steps(self, steps: list, values: list, training: bool) -> None:
        for step in steps:
            if step.direct:
                x = values[step.source]
                if type(x) is Tensor and x._keras_mask is None and step.layer.built:
                    call = step.layer.call
                    values[step.target] = (
                        call(x, training=training) if step.takes_training else call(x)
                    )
                else:
                    values[step.target] = step.layer(x, training=training)
            elif step.fused is not None:
                x = values[step.source]
                if getattr(x, "_keras_mask", None) is None:
                    values[step.target] = step.layer.call_fused(step.fused, x, training=training)
                else:  # the two layer calls, so the mask goes where Keras sends it
                    values[step.target] = step.layer(step.fused(x, training=training),
                                                     training=training)  # fmt: skip
            elif step.simple:
                values[step.target] = step.layer(values[step.source], training=training)
            else:
                self._run_node(step, values, training)

    def _run_node(self, step: _Step, values: list, training: bool) -> None:
        node = step.node

        def value(leaf):
            return values[self.slot_of[id(leaf)]] if isinstance(leaf, KerasTensor) else leaf

        inputs = map_structure(value, node.inputs)
        args = map_structure(value, list(node.args))
        kwargs = {"training": training, **map_structure(value, node.kwargs)}
        outputs = flatten(step.layer(inputs, *args, **kwargs))
        if len(outputs) != len(step.targets):
            raise ValueError(
                f"Layer '{step.layer.name}' returned {len(outputs)} outputs where its graph "
                f"node has {len(step.targets)}."
            )
        for slot, out in zip(step.targets, outputs):
            values[slot] = out
