"""Layers that pass inputs through a function: ``Identity`` and ``Lambda``.

A Lambda layer holds Python code. It runs in memory like any layer, and its config
describes the function (its module and name, or a lambda's source text), but no config is
ever turned back into code: :meth:`Lambda.from_config` refuses, and the safe loaders
(``neuroflow.io``) refuse a file holding a Lambda, as Keras's ``safe_mode`` does.
"""

from __future__ import annotations

import inspect

import numpy as np

from neuroflow.layers.base import Layer
from neuroflow.tensor import Tensor, no_grad

__all__ = ["Identity", "Lambda"]


class Identity(Layer):
    """Returns its input unchanged (a placeholder). Input and output shapes are the same.

    Examples
    --------
    >>> import numpy as np
    >>> Identity()(np.ones((2, 3))).shape
    TensorShape([2, 3])
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _describe(function) -> dict:
    """What a config can say about a Python function without holding its code."""
    name = getattr(function, "__name__", type(function).__name__)
    if name == "<lambda>":
        try:
            source = inspect.getsource(function).strip()
        except (OSError, TypeError):
            source = None
        return {"class_name": "__lambda__", "config": {"source": source}}
    return {
        "module": getattr(function, "__module__", None),
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


class Lambda(Layer):
    """Wraps a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``.

    The function is called as ``function(inputs, **arguments)`` (plus ``training`` if it
    takes that argument) on :class:`~neuroflow.tensor.Tensor` objects, so it should compute
    with :mod:`neuroflow.ops` or Tensor operators to stay differentiable.

    Parameters
    ----------
    function : callable
    output_shape : tuple or callable, optional
        The output shape without the batch axis, or a function of the full input shape
        returning the full output shape. When omitted it is found by running ``function``
        on zeros.
    arguments : dict, optional
        Keyword arguments passed to ``function``.

    Notes
    -----
    A model holding a Lambda layer cannot be saved to or loaded from the safe formats:
    rebuild the Lambda in code (or write a Layer subclass) instead.

    Examples
    --------
    >>> import numpy as np
    >>> Lambda(lambda x, k: x * k, arguments={"k": 3.0})(np.ones((1, 2))).numpy()
    array([[3., 3.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Expected `function` to be callable. Received: function={function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(
                f"Expected `arguments` to be a dict or None. Received: arguments={arguments!r}"
            )
        if mask is not None:
            raise NotImplementedError("Lambda(mask=...) is not supported: masks are not.")
        if output_shape is not None and not callable(output_shape):
            try:
                output_shape = tuple(None if d is None else int(d) for d in output_shape)
            except (TypeError, ValueError):
                raise TypeError(
                    "Expected `output_shape` to be a tuple of ints, a callable or None. "
                    f"Received: output_shape={output_shape!r}"
                ) from None
        self.function = function
        self.output_shape_spec = output_shape
        self.arguments = dict(arguments or {})
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            params = {}
        self._takes_training = "training" in params

    def call(self, inputs, training=False):
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        spec = self.output_shape_spec
        if callable(spec):
            return tuple(spec(input_shape))
        if spec is not None:
            batch = (
                input_shape[0] if input_shape and not isinstance(input_shape[0], tuple) else None
            )
            return (batch,) + spec

        # run the function on zeros (a batch of one for unknown sizes), as Keras runs it on
        # symbolic tensors
        def zeros(shape):
            return Tensor(np.zeros(tuple(1 if d is None else d for d in shape), np.float32))

        single = all(d is None or isinstance(d, (int, np.integer)) for d in input_shape)
        data = zeros(input_shape) if single else [zeros(s) for s in input_shape]
        with no_grad():
            out = self.call(data)
        batch = input_shape[0] if single else None
        return (batch,) + tuple(np.shape(out)[1:])

    def get_config(self):
        spec = self.output_shape_spec
        return {
            **super().get_config(),
            "function": _describe(self.function),
            "output_shape": _describe(spec) if callable(spec) else spec,
            "arguments": self.arguments,
        }

    @classmethod
    def from_config(cls, config):
        raise ValueError(
            f"Layer '{config.get('name', '?')}' is a Lambda layer: its config describes Python "
            "code, which neuroflow never rebuilds from a config or a file. Create the Lambda "
            "layer in code again (or write a Layer subclass)."
        )
