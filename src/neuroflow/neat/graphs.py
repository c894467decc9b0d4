"""Graph helpers on connection lists ``[(input, output), ...]`` (neat-python's ``neat.graphs``)."""

from __future__ import annotations

__all__ = ["creates_cycle", "feed_forward_layers", "required_for_output"]


def creates_cycle(connections, test) -> bool:
    """Whether adding ``test = (i, o)`` to the acyclic ``connections`` makes a cycle.

    >>> creates_cycle([(-1, 2), (2, 0)], (0, 2))
    True
    >>> creates_cycle([(-1, 2), (2, 0)], (-1, 0))
    False
    """
    i, o = test
    if i == o:
        return True
    succ: dict = {}
    for a, b in connections:
        succ.setdefault(a, []).append(b)
    stack, seen = [o], {o}
    while stack:
        for b in succ.get(stack.pop(), ()):
            if b == i:
                return True
            if b not in seen:
                seen.add(b)
                stack.append(b)
    return False


def required_for_output(inputs, outputs, connections) -> set:
    """The nodes an output depends on (outputs included, inputs excluded).

    >>> sorted(required_for_output([-1], [0], [(-1, 1), (1, 0), (-1, 2)]))
    [0, 1]
    """
    inputs = set(inputs)
    pred: dict = {}
    for a, b in connections:
        pred.setdefault(b, []).append(a)
    required = set(outputs)
    stack = list(outputs)
    while stack:
        for a in pred.get(stack.pop(), ()):
            if a not in required and a not in inputs:
                required.add(a)
                stack.append(a)
    return required


def feed_forward_layers(inputs, outputs, connections):
    """The layers of required nodes, each computable from the layers before it.

    Returns ``(layers, required)``: required nodes without inputs ("bias neurons") form
    the first layer, as in neat-python 2.0.

    >>> feed_forward_layers([-1, -2], [0], [(-1, 1), (-2, 1), (1, 0)])
    ([{1}, {0}], {0, 1})
    """
    connections = list(connections)
    required = required_for_output(inputs, outputs, connections)
    fed = {b for _, b in connections}
    sources: dict = {}
    for a, b in connections:
        if b in required and (a in required or a in inputs):
            sources.setdefault(b, []).append(a)
    bias_neurons = required - fed
    layers = [set(bias_neurons)] if bias_neurons else []
    ready = set(inputs) | bias_neurons
    remaining = required - bias_neurons
    while remaining:
        layer = {n for n in remaining if all(a in ready for a in sources.get(n, ()))}
        if not layer:
            break
        layers.append(layer)
        ready |= layer
        remaining -= layer
    return layers, required
