"""The Layer contract: ``__init__`` (validate, store config) -> ``build`` -> ``call``.

Weights and sub-layers are found by tracking attribute assignment, never by hand-kept
lists: ``self.kernel = self.add_weight(...)`` is all a layer writes. The helpers below
validate the arguments many layers share (positive ints, ``data_format``) and move
channels-first data to the channels-last layout every op computes in.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from typing import NamedTuple

import numpy as np

from neuroflow import backend, constraints, initializers, ops, regularizers
from neuroflow._registry import snake_case
from neuroflow.layers.node import KerasTensor, Node, flatten, has_symbolic, map_structure
from neuroflow.tensor import Tensor, Variable, no_grad

__all__ = [
    "Layer", "as_input_structure", "as_input_tensor", "batch_shapes", "check_data_format",
    "check_positive_int", "from_channels_last", "is_shape", "map_shapes", "shape_tuple",
    "to_channels_last",
]  # fmt: skip


_FLOAT32 = np.dtype(np.float32)


def as_input_tensor(x, name: str = "inputs") -> Tensor:
    """NumPy data (or a Tensor) as a float32 Tensor; non-numeric input is a TypeError."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype is _FLOAT32:  # most data: wrapped as it is
        return Tensor._from_op(array, None)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected `{name}` to hold numbers. Received an array of dtype {array.dtype}."
        )
    return Tensor(array if array.dtype == np.float32 else array.astype(np.float32))


def as_input_structure(inputs):
    """An input nest (one array, or a list/tuple/dict of them) as the same nest of Tensors.

    As in Keras, a list or tuple holding arrays or Tensors is several inputs; a list of
    plain numbers (or of lists of numbers) is one array, as NumPy reads it.
    """
    if isinstance(inputs, dict):
        return {key: as_input_structure(value) for key, value in inputs.items()}
    if isinstance(inputs, (list, tuple)) and any(
        isinstance(item, (Tensor, np.ndarray, dict)) for item in inputs
    ):
        return type(inputs)(as_input_structure(item) for item in inputs)
    return as_input_tensor(inputs)


def is_shape(value) -> bool:
    """Whether ``value`` is one shape (a tuple/list of ints and None) rather than a nest."""
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value
    )


def map_shapes(fn, shapes):
    """``fn`` applied to each shape of a nest of shapes."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {key: map_shapes(fn, value) for key, value in shapes.items()}
    return type(shapes)(map_shapes(fn, s) for s in shapes)


def batch_shapes(inputs):
    """The shapes of an input nest with the batch axis unknown, as ``build`` receives them."""
    if isinstance(inputs, Tensor):
        return (None,) + inputs.shape[1:]
    return map_structure(lambda t: (None,) + tuple(np.shape(t)[1:]), inputs)


def _symbolic_shape(value):
    return value.shape if isinstance(value, KerasTensor) else tuple(np.shape(value))


def _structure_mask(inputs):
    """The ``_keras_mask`` of an input nest: one Tensor's mask, or the nest of masks
    (None where an input has none); None when no input carries one."""
    if isinstance(inputs, Tensor):
        return inputs._keras_mask
    leaves = flatten(inputs)
    if all(getattr(t, "_keras_mask", None) is None for t in leaves):
        return None
    return map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)


def _as_mask(mask):
    return mask if mask is None or type(mask) is np.ndarray else np.asarray(mask, dtype=bool)


def _set_output_masks(outputs, compute) -> None:
    """Keras's ``_set_mask_metadata``: unless every output already carries a mask, puts
    ``compute()``'s masks (a nest like ``outputs``) on the outputs that have none."""
    flat = [t for t in flatten(outputs)]
    if all(getattr(t, "_keras_mask", None) is not None for t in flat):
        return
    masks = compute()
    if masks is None:
        return
    flat_masks = [masks] if not isinstance(masks, (list, tuple, dict)) else flatten(masks)
    for tensor, mask in zip(flat, flat_masks):
        if isinstance(tensor, Tensor) and tensor._keras_mask is None and mask is not None:
            tensor._keras_mask = _as_mask(mask)


class _CallArguments(NamedTuple):
    training: bool
    mask: bool
    computes_mask: bool  # overrides compute_mask: may start a mask with none coming in


_CALL_ARGUMENTS: dict = {}


def _call_arguments(cls) -> _CallArguments:
    """Which of ``training`` and ``mask`` a layer class's ``call`` takes (Keras inspects the
    signature the same way; ``**kwargs`` takes both), and whether the class computes masks.
    Cached per class."""
    params = inspect.signature(cls.call).parameters
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    found = _CallArguments(
        "training" in params or var_kw,
        "mask" in params or var_kw,
        cls.compute_mask is not Layer.compute_mask,
    )
    _CALL_ARGUMENTS[cls] = found
    return found


class _CallContext(threading.local):
    """The ``training`` flag of the outermost layer call in progress (None outside one),
    which inner calls inherit, and a count of outermost calls, which dates added losses.
    ``unspecified``: the outermost call was given no ``training`` (Keras 3 then leaves the
    flag unset, so a layer whose ``call`` defaults to ``training=True``, an augmentation,
    still applies itself inside ``model(x)``; everything else sees ``False``)."""

    training = None
    generation = 0
    unspecified = False


_context = _CallContext()
call_context = _context  # read-only outside this module: ``call_context.training``
_NO_INPUT = object()


def enter_call(training: bool, unspecified: bool = False):
    """Makes ``training`` the flag inner layer calls inherit; returns the previous flag,
    to restore with :func:`exit_call`. An outermost call also starts a new generation of
    ``add_loss`` terms and records whether its ``training`` was ``unspecified``."""
    previous = _context.training
    if previous is None:
        _context.generation += 1
        _context.unspecified = unspecified
    _context.training = training
    return previous


def exit_call(previous) -> None:
    _context.training = previous


def shape_tuple(shape, argument: str) -> tuple:
    """Validates a shape argument given as an int or a sequence of positive ints/None."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"Expected `{argument}` to be a tuple of integers. Received: {argument}={shape!r}"
        ) from None
    if any(d is not None and d <= 0 for d in shape):
        raise ValueError(
            f"Expected `{argument}` to hold positive integers. Received: {argument}={shape}"
        )
    return shape


def check_positive_int(layer: str, name: str, value) -> int:
    """``value`` as an int; ValueError naming the layer and argument unless a positive int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{name}` of layer '{layer}', expected a positive "
            f"integer. Received: {name}={value!r}"
        )
    return int(value)


def check_data_format(layer: str, data_format) -> str:
    """``data_format`` as Keras reads it (None is ``backend.image_data_format()``,
    ``"channels_last"`` by default; case does not matter)."""
    value = backend.image_data_format() if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Invalid value for argument `data_format` of layer '{layer}': expected "
            f"'channels_last' or 'channels_first'. Received: data_format={data_format!r}"
        )
    return value


def to_channels_last(x, data_format: str):
    """A Tensor (or a shape tuple) in ``data_format``, as channels-last: for channels-first,
    ``(batch, channels, *spatial)`` becomes ``(batch, *spatial, channels)``."""
    if data_format == "channels_last":
        return x
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, *range(2, x.ndim), 1))  # a view, and so is its backward
    return (x[0], *x[2:], x[1])


def from_channels_last(x, data_format: str):
    """The inverse of :func:`to_channels_last`: channels-last back to ``data_format``."""
    if data_format == "channels_last":
        return x
    if isinstance(x, Tensor):
        return ops.transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))
    return (x[0], x[-1], *x[1:-1])


class Layer:
    """Base class of every layer (and of models).

    Parameters
    ----------
    name : str, optional
        Unique name; Keras-style ``dense``, ``dense_1``... when omitted.
    trainable : bool, default True
        Whether optimizers update this layer's weights.
    input_shape : tuple, optional
        Shape of one sample, so a Sequential model can build at once.
    input_dim : int, optional
        Shorthand for ``input_shape=(input_dim,)``.
    """

    def __init__(
        self,
        name=None,
        trainable=True,
        dtype=None,
        input_shape=None,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}."
            )
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_sublayers", [])
        self._regularized: list = []
        self._inbound_nodes: list = []  # one Node per call on symbolic tensors
        self._added_losses: list = []  # (generation, loss) from add_loss
        self.name = name or backend.unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.built = False
        self.input_shape_hint = None  # the batch input shape given at construction, if any
        if batch_input_shape is not None:
            self.input_shape_hint = shape_tuple(batch_input_shape, "batch_input_shape")
        elif input_shape is not None:
            self.input_shape_hint = (batch_size,) + shape_tuple(input_shape, "input_shape")
        elif input_dim is not None:
            self.input_shape_hint = (batch_size,) + shape_tuple(input_dim, "input_dim")
        self._build_shape = None

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights and computations, ``"float32"`` (Keras 3's
        ``layer.dtype``; ``compute_dtype`` and ``variable_dtype`` say the same)."""
        return self.__dict__.get("_dtype", "float32")

    @dtype.setter
    def dtype(self, value) -> None:
        object.__setattr__(self, "_dtype", value)

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's outputs (Keras 3)."""
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (Keras 3)."""
        return self.dtype

    def __setattr__(self, name, value):
        if isinstance(value, (list, tuple)) and not name.startswith("_"):
            for item in value:  # layers and weights kept in a list are tracked, as in Keras
                self._track(item)
        elif isinstance(value, dict) and not name.startswith("_"):
            for item in value.values():
                self._track(item)
        elif name not in ("_outer",):
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value) -> None:
        if isinstance(value, Variable):
            if not any(v is value for v in self._variables):
                self._variables.append(value)
        elif isinstance(value, Layer):
            if not any(layer is value for layer in self._sublayers):
                self._sublayers.append(value)

    # --------------------------------------------------------------------- weights
    def add_weight(
        self,
        shape=None,
        initializer=None,
        name=None,
        trainable=True,
        regularizer=None,
        dtype=None,
        constraint=None,
        **kwargs,
    ) -> Variable:
        """Creates a tracked weight of ``shape`` filled by ``initializer``.

        Keras 3's keywords are accepted (``autocast``, ``aggregation``... have no effect
        here); ``initializer`` defaults to ``"glorot_uniform"`` as in Keras, ``shape`` to
        a scalar. ``constraint`` (a :mod:`~neuroflow.constraints` name, object or callable)
        becomes the variable's ``.constraint``, which optimizers apply after each step.

        Examples
        --------
        >>> layer = Layer()
        >>> layer.add_weight(shape=(2, 3), initializer="zeros", name="w").shape
        TensorShape([2, 3])
        """
        unknown = set(kwargs) - {"autocast", "aggregation", "synchronization",
                                 "overwrite_with_gradient", "use_resource", "experimental_autocast",
                                 "caching_device", "partitioner"}  # fmt: skip
        if unknown:
            raise TypeError(f"add_weight() got unexpected keyword argument(s): {sorted(unknown)}")
        init = initializers.get("glorot_uniform" if initializer is None else initializer)
        shape = () if shape is None or len(shape) == 0 else shape_tuple(shape, "shape")
        var = Variable(
            init(shape, dtype=dtype or "float32"),
            name=name or "variable",
            trainable=trainable,
            constraint=constraints.get(constraint),
        )
        self._variables.append(var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularized.append((var, reg))
        return var

    def _add_kernel_and_bias(self, kernel_shape, bias_size: int) -> None:
        """Creates ``self.kernel`` and, if ``self.use_bias``, ``self.bias`` (else None) from
        the layer's ``kernel_*``/``bias_*`` initializers, regularizers and constraints, in
        Keras's order and names: what Dense and the convolutions share."""
        self.kernel = self.add_weight(
            tuple(kernel_shape),
            self.kernel_initializer,
            "kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                (bias_size,),
                self.bias_initializer,
                "bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def add_loss(self, loss) -> None:
        """Adds a loss term (a scalar Tensor or number) computed in ``call``.

        ``fit`` adds it to the compiled loss; like Keras, only the terms added during the
        latest call of the model count.
        """
        if not isinstance(loss, Tensor):
            loss = Tensor(np.asarray(loss, np.float32))
        generation = _context.generation
        if self._added_losses and self._added_losses[0][0] != generation:
            self._added_losses.clear()
        self._added_losses.append((generation, loss))

    def _all_layers(self):
        """This layer's sub-layers, depth first, each once."""
        seen, order, stack = set(), [], list(reversed(self._sublayers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            order.append(layer)
            stack.extend(reversed(layer._sublayers))
        return order

    @property
    def weights(self) -> list[Variable]:
        """Every weight: each layer's own trainable ones first, then its non-trainable
        ones (Keras's order), layer by layer."""
        out = []
        for layer in [self, *self._all_layers()]:
            out.extend(v for v in layer._variables if v.trainable)
            out.extend(v for v in layer._variables if not v.trainable)
        return out

    @property
    def trainable_weights(self) -> list[Variable]:
        """Weights the optimizer updates: those of this layer and of its trainable
        sub-layers, each once (a shared layer's weights are listed once)."""
        out, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop(0)
            if not layer.trainable or id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer._variables:  # (most containers and many layers own none)
                out.extend([v for v in layer._variables if v.trainable])
            stack[:0] = layer._sublayers
        return out

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    trainable_variables = trainable_weights
    variables = weights

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer and its sub-layers (fresh tensors), and
        the terms ``add_loss`` added during the latest call."""
        generation = _context.generation
        out = []
        for layer in [self, *self._all_layers()]:
            if layer._regularized:  # (both empty for most layers: skipped cheaply)
                out.extend([reg(var) for var, reg in layer._regularized])
            if layer._added_losses:
                out.extend([loss for g, loss in layer._added_losses if g == generation])
        return out

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weight values, in Keras's order (kernel, then bias)."""
        return [v.data.copy() for v in self.weights]

    def set_weights(self, weights) -> None:
        """Sets every weight from a list of arrays of matching shapes."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays, but received "
                f"{len(weights)}."
            )
        for var, value in zip(own, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{var.name}' has shape {var.shape}, but the "
                    f"value given has shape {value.shape}."
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalar weights."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it first by calling it on data or giving an input shape."
            )
        return int(sum(v.size for v in self.weights))

    # -------------------------------------------------------------------- calling
    def build(self, input_shape) -> None:
        """Creates the weights, once the input shape is known."""
        self.built = True

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        """The layer's math."""
        return inputs

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(input_shape)

    def build_for(self, input_shape) -> None:
        """Builds with ``input_shape`` (batch axis included; a list of shapes for a layer
        called on several inputs) if not built yet."""
        if not self.built:
            shape = tuple(input_shape) if is_shape(input_shape) else input_shape
            self.build(shape)
            self.built = True
            self._build_shape = shape

    def __call__(self, inputs=_NO_INPUT, *args, training=None, **kwargs):
        """Runs the layer on data, or records a graph node when called on symbolic tensors.

        ``inputs`` is an array or Tensor, or a list, tuple or dict of them for a layer with
        several inputs. ``training`` (and ``mask``) are passed to ``call`` only if its
        signature takes them; an explicit ``training`` also holds for every layer this one
        calls, as Keras's call context does.
        """
        if type(inputs) is not Tensor:
            if inputs is _NO_INPUT:
                raise TypeError(f"Layer '{self.name}' was called without an input.")
            if has_symbolic(inputs) or (args and has_symbolic(args)):
                if training is not None:
                    kwargs["training"] = training
                return self._symbolic_call(inputs, args, kwargs)
            inputs = as_input_structure(inputs)
            mask = _structure_mask(inputs)
        else:
            mask = inputs._keras_mask  # the one read the unmasked hot path pays
        if not self.built:
            self.build_for(batch_shapes(inputs))
        outer = _context.training
        unspecified = training is None
        if unspecified:
            training = False if outer is None else outer
        accepts = _CALL_ARGUMENTS.get(type(self)) or _call_arguments(type(self))
        if accepts.training:
            kwargs["training"] = training
        if mask is not None or accepts.computes_mask or (kwargs and "mask" in kwargs):
            return self._call_masked(
                inputs, args, kwargs, mask, accepts.mask, outer, training, unspecified
            )
        if outer is training:
            return self.call(inputs, *args, **kwargs)
        previous = enter_call(training, unspecified)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            _context.training = previous

    def _call_masked(
        self, inputs, args, kwargs, mask, accepts_mask, outer, training, unspecified=False
    ):
        """``call`` where a mask is involved, as Keras 3's ``Layer.__call__``: ``call``
        receives the input's mask unless given one; a layer that supports masking puts
        ``compute_mask(inputs, previous_mask)`` on its outputs, one that does not warns
        that the mask stops here."""
        explicit = kwargs.get("mask")
        if not accepts_mask:
            kwargs.pop("mask", None)
        elif explicit is None:
            kwargs["mask"] = mask
        previous_mask = mask if explicit is None else explicit
        if outer is training:
            outputs = self.call(inputs, *args, **kwargs)
        else:
            previous = enter_call(training, unspecified)
            try:
                outputs = self.call(inputs, *args, **kwargs)
            finally:
                _context.training = previous
        if self.supports_masking:
            _set_output_masks(outputs, lambda: self.compute_mask(inputs, previous_mask))
        elif any(m is not None for m in flatten(previous_mask)):
            warnings.warn(
                f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with "
                "a mask attached to it. However, this layer does not support masking and will "
                "therefore destroy the mask information. Downstream layers will not see the "
                "mask.",
                stacklevel=3,
            )
        return outputs

    # ------------------------------------------------------------------- masking
    _supports_masking = None  # None: whether the class overrides compute_mask

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes a mask on: its outputs get
        ``compute_mask(inputs, previous_mask)``. By default, whether the class overrides
        :meth:`compute_mask`, as in Keras 3; assignable."""
        if self._supports_masking is None:
            return type(self).compute_mask is not Layer.compute_mask
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value) -> None:
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs, given the inputs and their mask (a bool array of shape
        ``(batch, timesteps)``, or None). The default passes the mask on unchanged."""
        return previous_mask

    def _symbolic_call(self, inputs, args, kwargs):
        """Builds for the symbolic shapes, infers the output shapes, records a Node."""
        shapes = map_structure(_symbolic_shape, inputs)
        if not self.built:
            self.build_for(shapes)
        else:
            self._check_built_for(shapes)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            out_shapes = self.compute_output_shape(shapes)
        else:  # a custom layer: its output shape is what its call computes
            out_shapes = self._dry_run(inputs, args, kwargs)
        outputs = map_shapes(lambda s: KerasTensor(s), out_shapes)
        Node(self, inputs, outputs, args, kwargs)
        return outputs

    def _check_built_for(self, shapes) -> None:
        """A built layer called on a new symbolic input must get what it was built for in
        the last axis (features, or channels), as Keras's input specs require."""
        built = self._build_shape
        if built is None or not is_shape(built) or not is_shape(shapes):
            return
        if built and shapes and built[-1] is not None and shapes[-1] not in (None, built[-1]):
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                f"-1 of input shape to have value {built[-1]}, but received input with shape "
                f"{tuple(shapes)} (the layer was built for {tuple(built)})."
            )

    def _dry_run(self, inputs, args, kwargs):
        """The output shapes of calling the layer on zeros shaped like ``inputs`` (a batch
        of one, unknown axes of one), with the batch axis unknown again unless every
        input's batch size is known (``keras.Input(batch_shape=...)``), as in Keras."""

        def zeros(t):
            if not isinstance(t, KerasTensor):
                return t
            return Tensor(np.zeros([1 if d is None else d for d in t.shape], np.float32))

        kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        try:
            with no_grad():
                out = self(map_structure(zeros, inputs), *map_structure(zeros, args),
                           training=False, **kwargs)  # fmt: skip
        except (ValueError, TypeError) as error:
            shapes = map_structure(_symbolic_shape, inputs)
            raise type(error)(
                f"Layer '{self.name}' ({type(self).__name__}) cannot be called on inputs of "
                f"shape {shapes}: {error}"
            ) from error
        symbolic = [t for t in flatten([inputs, list(args)]) if isinstance(t, KerasTensor)]
        batch_known = all(t.shape and t.shape[0] is not None for t in symbolic)

        def output_shape(t):
            shape = tuple(np.shape(t))
            return shape if batch_known and shape else (None,) + shape[1:]

        return map_structure(output_shape, out)

    # ------------------------------------------------------------- graph access
    def _node_tensors(self, attribute: str):
        # Keras 3 reads the first call's tensors, even for a layer called several times
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called on a symbolic input (keras.Input) "
                f"and thus has no defined {attribute}."
            )
        node = self._inbound_nodes[0]
        return node.inputs if attribute == "input" else node.outputs

    @property
    def input(self):
        """The symbolic input this layer was called on (its only graph node's)."""
        return self._node_tensors("input")

    @property
    def output(self):
        """The symbolic output of this layer (its only graph node's)."""
        return self._node_tensors("output")

    def get_input_at(self, node_index: int):
        return self._inbound_nodes[node_index].inputs

    def get_output_at(self, node_index: int):
        return self._inbound_nodes[node_index].outputs

    def fuses_after(self, previous: Layer) -> bool:
        """Whether ``self(previous(x))`` can run as one node, :meth:`call_fused`.

        Containers (``Sequential``) ask this of each pair of built neighbours; a layer
        that says yes computes exactly what the two calls would, with less work.
        """
        return False

    def call_fused(self, previous: Layer, inputs, training: bool = False) -> Tensor:
        """``self(previous(inputs))`` in one node; only where :meth:`fuses_after` holds."""
        raise NotImplementedError(f"{type(self).__name__} fuses with no layer before it.")

    # --------------------------------------------------------------------- config
    def get_build_config(self):
        """``{"input_shape": shape}``: the shape the layer was built for (Keras 3's), which
        :meth:`build_from_config` builds from again; ``None`` while unbuilt."""
        if self._build_shape is None:
            return None
        return {"input_shape": self._build_shape}

    def build_from_config(self, config) -> None:
        """Builds the layer for ``config["input_shape"]`` (from :meth:`get_build_config`;
        JSON's lists are read as shapes)."""
        if config and config.get("input_shape") is not None:
            self.build_for(map_shapes(tuple, config["input_shape"]))

    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": "float32"}
        if self.input_shape_hint is not None:
            config["batch_input_shape"] = self.input_shape_hint
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
