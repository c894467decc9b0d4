"""``Model``: a layer that can be compiled, trained, evaluated and asked for predictions.

The loop follows Keras 3. ``fit`` checks its arguments, holds out the validation data,
wires the callbacks, then runs epochs; each batch goes through :meth:`Model.train_step`,
``evaluate`` runs :meth:`Model.test_step` and ``predict`` :meth:`Model.predict_step`.
The three step methods are public and can be overridden as in Keras's guide
"Customizing what happens in fit()": ``fit`` then calls the override.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from neuroflow import allocator, backend, losses, ops, optimizers
from neuroflow import metrics as metrics_module
from neuroflow.callbacks import CallbackList, History, ProgbarLogger, TerminateOnNaN
from neuroflow.layers.base import (
    _CALL_ARGUMENTS,
    Layer,
    _call_arguments,
    as_input_structure,
    as_input_tensor,
    enter_call,
    exit_call,
    is_shape,
)
from neuroflow.layers.node import KerasTensor, has_symbolic, map_structure
from neuroflow.models import data_adapter
from neuroflow.models.compile_utils import OutputLosses, per_output, structure_names
from neuroflow.models.data_adapter import is_batch_source
from neuroflow.models.summary import format_shape, print_summary
from neuroflow.tensor import Tensor, no_grad
from neuroflow.utils.checks import check_int, is_int

__all__ = ["Model", "unpack_x_y_sample_weight"]


# ---------------------------------------------------------------- argument checks


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, float):
        raise ValueError(
            f"Expected `verbose` to be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}"
        )
    return int(verbose)


def _validation_freq(freq) -> int | frozenset:
    """An int N (validate every N-th epoch) or a collection of 1-based epoch numbers."""
    if is_int(freq) and freq > 0:
        return int(freq)
    if isinstance(freq, (list, tuple, set, frozenset)) and all(is_int(e) for e in freq):
        return frozenset(int(e) for e in freq)
    # Keras 3 itself fails here with ZeroDivisionError (for 0) or validates every epoch
    # (for negative numbers); an error naming the argument is more useful.
    raise ValueError(
        "Expected `validation_freq` to be a positive integer or a list of epoch numbers. "
        f"Received: validation_freq={freq!r}"
    )


def _should_validate(epoch: int, freq: int | frozenset) -> bool:
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq


def _numeric_array(data, name: str) -> np.ndarray:
    if data is None:
        raise ValueError(f"Expected `{name}` to be an array of data. Received: {name}=None")
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (dict, str)) or hasattr(data, "__next__"):
        raise TypeError(
            f"Expected `{name}` to be a NumPy array (or list). Received: {type(data).__name__}."
        )
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected `{name}` to hold numbers. Received an array of dtype {array.dtype} "
            f"(shape {array.shape}); convert it with .astype('float32') first."
        )
    if array.ndim == 0:
        raise ValueError(f"Expected `{name}` to have a batch axis. Received a scalar: {array!r}")
    return array


def _raw_data(value):
    return value.data if isinstance(value, Tensor) else value


def _string_inputs(model) -> bool:
    """Whether the model takes strings (``keras.Input(dtype="string")``, for lookup layers)."""
    graph = getattr(model, "_graph", None)
    return graph is not None and graph.takes_strings


def _as_float32(array: np.ndarray) -> np.ndarray:
    return array if array.dtype == np.float32 else array.astype(np.float32)


def _json_default(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Cannot write {value!r} (of type {type(value).__name__}) as JSON.")


@dataclass(frozen=True)
class _FitArgs:
    """``fit``'s arguments after checking: what the loop needs, in plain types."""

    batch_size: int
    epochs: int
    verbose: int
    shuffle: bool
    initial_epoch: int
    validation_batch_size: int
    validation_steps: int | None
    validation_freq: int | frozenset
    steps_per_epoch: int | None


def _check_fit_args(
    batch_size, epochs, verbose, validation_split, shuffle, class_weight, sample_weight,
    initial_epoch, steps_per_epoch, validation_steps, validation_batch_size, validation_freq,
) -> _FitArgs:  # fmt: skip
    """Raises for a value ``fit`` cannot honour; returns the rest normalized."""
    if class_weight is not None and sample_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if class_weight is not None and not isinstance(class_weight, dict):
        raise ValueError(
            "Expected `class_weight` to be a dict mapping class indices to weights. "
            f"Received: class_weight={class_weight!r}"
        )
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, (int, float, np.integer, np.floating))
        or not 0 <= validation_split < 1
    ):
        raise ValueError(
            "Expected `validation_split` to be a float in [0, 1). "
            f"Received: validation_split={validation_split!r}"
        )
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"Expected `shuffle` to be True or False. Received: shuffle={shuffle!r}")
    batch_size = check_int("batch_size", batch_size, none=32)
    return _FitArgs(
        batch_size=batch_size,
        epochs=check_int("epochs", epochs, 0),
        verbose=_verbosity(verbose),
        shuffle=bool(shuffle),
        initial_epoch=check_int("initial_epoch", initial_epoch, 0),
        validation_batch_size=check_int(
            "validation_batch_size", validation_batch_size, none=batch_size
        ),
        validation_steps=check_int("validation_steps", validation_steps, none=None),
        validation_freq=_validation_freq(validation_freq),
        steps_per_epoch=check_int("steps_per_epoch", steps_per_epoch, none=None),
    )


def _check_validation_data(validation_data) -> tuple:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        length = len(validation_data) if hasattr(validation_data, "__len__") else "?"
        raise ValueError(
            "Expected `validation_data` to be a tuple (x_val, y_val) or (x_val, y_val, "
            "val_sample_weight), a generator or a PyDataset. "
            f"Received: {type(validation_data).__name__} of length {length}"
        )
    x, y, *rest = validation_data
    return x, y, (rest[0] if rest else None)


def _rows(value) -> int:
    """Number of samples of an array or of a list/dict of arrays (or Tensors)."""
    first = data_adapter.first_array(value)
    return len(first.data if isinstance(first, Tensor) else first)


def _to_numpy(value):
    """A model output (a Tensor, or a list/dict of them) as NumPy arrays."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_numpy(v) for v in value]
    return np.asarray(value)


def _concat_outputs(outputs: list):
    """Per-batch outputs (arrays, or lists/dicts of arrays) stacked along the batch."""
    first = outputs[0]
    if isinstance(first, dict):
        return {k: np.concatenate([o[k] for o in outputs], axis=0) for k in first}
    if isinstance(first, list):
        return [np.concatenate([o[i] for o in outputs], axis=0) for i in range(len(first))]
    return np.concatenate(outputs, axis=0)


def _check_class_weight(class_weight: dict, classes: int) -> dict:
    """``class_weight`` with int keys; ValueError for a key that is not a class index."""
    checked = {}
    for key, weight in class_weight.items():
        if not is_int(key) or not 0 <= key < classes:
            # Keras 3 silently ignores such keys, so a typo'd class goes unnoticed
            raise ValueError(
                f"Expected the keys of `class_weight` to be class indices in [0, {classes - 1}] "
                f"for a model with {classes} classes. Received the key {key!r} in "
                f"class_weight={class_weight!r}"
            )
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)):
            raise ValueError(
                f"Expected the values of `class_weight` to be numbers. Received "
                f"{weight!r} for class {key!r}."
            )
        checked[int(key)] = float(weight)
    return checked


def class_weight_to_sample_weight(y, class_weight: dict) -> np.ndarray:
    """Per-sample weights from class weights, as Keras 3: one-hot targets are argmax'ed,
    ``(n, 1)`` targets squeezed and rounded, classes missing from the dict weigh 1."""
    y = np.asarray(y)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else y[..., 0]
    labels = np.round(y).astype(np.int64).reshape(len(y), -1)[:, 0]
    table = np.ones(max(max(class_weight, default=0), int(labels.max(initial=0))) + 1, np.float32)
    for key, weight in class_weight.items():
        table[key] = weight
    return table[labels]


def _single(value, names: list, argument: str, nested: bool = False):
    """The one entry of a list/dict given for a model with one output (names its output)."""
    if isinstance(value, dict) or (
        isinstance(value, (list, tuple)) and (not nested or any(
            isinstance(v, (list, tuple, dict)) for v in value))
    ):  # fmt: skip
        if names[0] is None:
            names = list(value) if isinstance(value, dict) else ["output"]
        if isinstance(value, dict) and len(value) == 1 and len(names) == 1 and names[0] is None:
            return next(iter(value.values()))
        return per_output(value, names, argument, nested)[0]
    return value


def _metric_ids(metrics) -> list:
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
        return [metrics]
    return list(metrics)


def _weighted_mean(per_sample: Tensor, sample_weight) -> Tensor:
    """Keras 3's ``sum_over_batch_size``: ``sum(loss_i * w_i) / number of elements``."""
    if sample_weight is not None:
        w = np.asarray(sample_weight, np.float32)
        if w.size == per_sample.size:
            w = w.reshape(per_sample.shape)
        else:  # per-sample weights over per-element losses (e.g. per time step)
            w = w.reshape(w.shape + (1,) * (per_sample.ndim - w.ndim))
        per_sample = per_sample * Tensor(w)
    return ops.mean(per_sample)


def _masked_weights(sample_weight, mask, normalize: bool) -> np.ndarray:
    """Keras 3's ``apply_mask``: the mask of the predictions (True where a step counts)
    folded into the sample weights. For the loss (``normalize``) the kept entries weigh
    ``size / kept``, so the mean over the batch is the mean over the kept entries."""
    weights = np.asarray(mask, np.float32)
    if normalize:
        kept = weights.sum()
        weights = weights * np.float32(weights.size / kept) if kept else weights
    if sample_weight is None:
        return weights
    w = np.asarray(sample_weight, np.float32)
    return w.reshape(w.shape + (1,) * (weights.ndim - w.ndim)) * weights  # (batch,) per sample


def _plain(value):
    """A logged value as a Python float where it is a number (an override may log Tensors
    or NumPy scalars), as Keras's logs hold."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _metric_value(metric):
    """A metric's result as Keras's logs hold it: a Python float (or list, per class)."""
    if type(metric).result is metrics_module.Metric.result:
        value = metric._value()  # the built-in metrics: skip the Tensor that result() makes
        return value if type(value) is float else _plain(value)
    return _plain(metric.result())


def _raise_nonfinite(loss, epoch: int, step: int) -> None:
    raise FloatingPointError(
        f"The loss became {float(loss)} at epoch {epoch + 1}, batch {step + 1}; "
        "training stopped before applying that step, so the weights are "
        "still finite. Common causes: a learning rate that is too high, "
        "unscaled inputs, or NaN/inf in the data."
    )


def _adjust_rank(x, got: tuple, expected: tuple):
    """Keras 3's ``_adjust_input_rank``: ``x`` with a trailing axis of 1 added when the model
    expects one more axis of size 1, or removed when ``x`` has one more of size 1; else None."""
    if len(got) == len(expected) - 1 and expected[-1] == 1:
        shape = (*got, 1)
    elif len(got) == len(expected) + 1 and got[-1] == 1:
        shape = tuple(got[:-1])
    else:
        return None
    return ops.reshape(x, shape) if isinstance(x, Tensor) else np.reshape(x, shape)


class _CompiledMetrics:
    """What :attr:`Model.compiled_metrics` gives: tf.keras 2's ``update_state``."""

    __slots__ = ("model",)

    def __init__(self, model):
        self.model = model

    def update_state(self, y, y_pred, sample_weight=None):
        warnings.warn(
            "`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n```\n"
            "for metric in self.metrics:\n    metric.update_state(y, y_pred)\n```\n",
            stacklevel=2,
        )
        self.model.compute_metrics(None, y, y_pred, sample_weight)


def check_input_shape(model: str, index: int, expected: tuple, got: tuple) -> None:
    """Keras's error when input ``index`` has another rank, or another size where the
    model's input shape fixes one."""
    if len(got) != len(expected) or any(
        e is not None and e != g for e, g in zip(expected[1:], got[1:])
    ):
        raise ValueError(
            f'Input {index} of layer "{model}" is incompatible with the layer: expected '
            f"shape={format_shape(expected)}, found shape={format_shape(tuple(got))}"
        )


# ------------------------------------------------------------------------ batches
def unpack_x_y_sample_weight(data) -> tuple:
    """Splits a batch ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` into three parts.

    The helper to use in an overridden ``train_step``/``test_step``/``predict_step``,
    as Keras's ``keras.utils.unpack_x_y_sample_weight``; anything that is not a tuple
    or list is ``x`` alone.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, sample_weight = unpack_x_y_sample_weight((np.ones((2, 3)), np.zeros(2)))
    >>> x.shape, y.shape, sample_weight
    ((2, 3), (2,), None)
    """
    if type(data) is tuple and len(data) == 2:  # fit's batches: the common case first
        return data[0], data[1], None
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        "Expected data to be a tuple of (x,), (x, y) or (x, y, sample_weight). "
        f"Received a tuple of length {len(data)}."
    )


def _count_steps(n: int, batch_size: int, steps: int | None) -> int:
    total = math.ceil(n / batch_size)
    return total if steps is None else min(steps, total)


def _slices(arrays: tuple, batch_size: int, steps: int):
    """Consecutive batches (views, no copies) of each array in ``arrays``."""
    for step in range(steps):
        lo, hi = step * batch_size, (step + 1) * batch_size
        yield tuple(a[lo:hi] for a in arrays)


class _Batches:
    """``fit``'s batches of ``(x, y)``, reshuffled every epoch when ``shuffle`` is set.

    Shuffled rows are copied into reused buffers instead of allocating every batch: a
    batch is only read during its own step (the tape is freed before the next), so one
    buffer per batch size is safe.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool):
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self.steps = math.ceil(len(x) / batch_size)
        self.buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.ran_dry = self.cut_short = False  # the handlers' interface (data_adapter)

    def on_epoch_end(self) -> None:
        pass

    def epoch(self):
        if not self.shuffle:
            yield from _slices((self.x, self.y), self.batch_size, self.steps)
            return
        order = backend.rng().permutation(len(self.x))
        for step in range(self.steps):
            yield self._gather(order[step * self.batch_size : (step + 1) * self.batch_size])

    def _gather(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(idx)
        if n not in self.buffers:
            self.buffers[n] = (
                np.empty((n,) + self.x.shape[1:], self.x.dtype),
                np.empty((n,) + self.y.shape[1:], self.y.dtype),
            )
        xb, yb = self.buffers[n]
        # mode="clip" writes straight into the buffer ("raise" would buffer a copy first);
        # the indices come from a permutation, so they are always in range
        np.take(self.x, idx, axis=0, out=xb, mode="clip")
        np.take(self.y, idx, axis=0, out=yb, mode="clip")
        return xb, yb


class _ArraySteps:
    """``steps`` consecutive batches of arrays (evaluation, validation, prediction)."""

    def __init__(self, x, y, sample_weight, batch_size, steps, inputs_only=False):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.steps, self.inputs_only = batch_size, steps, inputs_only
        self.ran_dry = self.cut_short = False

    def epoch(self):
        take, size = data_adapter._take, self.batch_size
        plain = type(self.x) is np.ndarray
        for step in range(self.steps):
            rows = slice(step * size, (step + 1) * size)
            x = self.x[rows] if plain else take(self.x, rows)
            if self.inputs_only:
                yield (x,)
            elif self.sample_weight is None:
                yield x, take(self.y, rows)
            else:
                yield x, take(self.y, rows), take(self.sample_weight, rows)

    def on_epoch_end(self) -> None:
        pass


class _ConvertedBatches:
    """A generator's/dataset's/PyDataset's batches, checked and converted as arrays are."""

    def __init__(self, model, handler, class_weight, targets=True):
        self.model, self.handler = model, handler
        self.class_weight, self.targets = class_weight, targets

    @property
    def steps(self):
        return self.handler.steps

    @property
    def ran_dry(self) -> bool:
        return self.handler.ran_dry

    @ran_dry.setter
    def ran_dry(self, value: bool) -> None:
        self.handler.ran_dry = value

    @property
    def cut_short(self) -> bool:
        return self.handler.cut_short

    def epoch(self):
        self.handler.ran_dry = False
        model = self.model
        for x, y, sample_weight in self.handler.epoch():
            if not self.targets:
                yield (model._prepare_x(x),)
                continue
            if y is None:
                raise ValueError(
                    f"Expected each batch of the {self.handler.source} to hold targets: a tuple "
                    "(x, y) or (x, y, sample_weight). Received a batch (x,) without y."
                )
            x, y, sample_weight = model._prepare_data(x, y, sample_weight, self.class_weight)
            yield (x, y) if sample_weight is None else (x, y, sample_weight)

    def on_epoch_end(self) -> None:
        self.handler.on_epoch_end()


_FUNCTIONAL_SUBCLASSES: dict = {}


def _functional_arguments(args, kwargs) -> bool:
    """Whether a Model subclass was called with a functional model's arguments (Keras 3's
    rule: ``(inputs, outputs)`` positionally or by keyword)."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def _functional_subclass(cls, functional):
    """``cls`` with the functional model's machinery: the class a Model subclass becomes
    when constructed as ``CustomModel(inputs, outputs)`` (same name, its methods first)."""
    combined = _FUNCTIONAL_SUBCLASSES.get(cls)
    if combined is None:
        combined = type(
            cls.__name__,
            (cls, functional),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__},  # fmt: skip
        )
        _FUNCTIONAL_SUBCLASSES[cls] = combined
    return combined


def _no_targets_beside(x, y, sample_weight) -> None:
    kind = type(x).__name__
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"When `x` is a generator, dataset or PyDataset (received a {kind}), `{name}` "
                "must not be passed: include it in the batches it yields, "
                "(x, y) or (x, y, sample_weight)."
            )


class Model(Layer):
    """A layer with ``compile``, ``fit``, ``evaluate``, ``predict`` and ``summary``.

    Subclass it and define ``call`` (layers assigned as attributes are tracked), or use
    :class:`~neuroflow.models.Sequential`. To change what one training step does,
    override :meth:`train_step` (and :meth:`test_step`, :meth:`predict_step`): ``fit``,
    ``evaluate`` and ``predict`` call the override for every batch.

    Attributes
    ----------
    stop_training : bool
        Set it to True (from a callback) to end ``fit`` after the current batch.
    history : History or None
        The :class:`~neuroflow.callbacks.History` of the last ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import layers
    >>> class Tiny(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense = layers.Dense(1)
    ...     def call(self, inputs, training=False):
    ...         return self.dense(inputs)
    >>> model = Tiny()
    >>> model.compile("sgd", "mse")
    >>> logs = model.train_step((np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")))
    >>> sorted(logs)
    ['loss']
    """

    def __new__(cls, *args, **kwargs):
        # keras.Model(inputs, outputs) makes a functional model, as in Keras; so does a
        # subclass given inputs and outputs (one that only overrides train_step, say): it
        # becomes a subclass of both, as Keras 3's inject_functional_model_class does
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from neuroflow.models.functional import Functional  # noqa: PLC0415

            return super().__new__(Functional)
        if _functional_arguments(args, kwargs):
            from neuroflow.models.functional import Functional  # noqa: PLC0415

            if cls is Model:
                return super().__new__(Functional)
            if not issubclass(cls, Functional):
                return super().__new__(_functional_subclass(cls, Functional))
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__ received positional arguments or "
                "`inputs`/`outputs`, but the class is not a functional model."
            )
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.optimizer = None
        self.loss = None  # what compile was given, as in Keras 3 (a name stays a name)
        self._loss_fn = None  # the Loss object a single-output model's steps call
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_ids: list = []
        self._metrics: list = []
        self._weighted_ids: list = []
        self._weighted: list = []
        self._loss_scale = 1.0  # a single output's loss_weights
        self._outputs: OutputLosses | None = None  # several outputs: their losses and metrics
        self._compile_args: tuple | None = None  # kept until the outputs are known
        self._loss_tracker = metrics_module.Mean("loss")
        self._resume_epoch: int | None = None

    # --------------------------------------------------------------------- setup
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        loss_weights=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Chooses the optimizer, the loss and the metrics to report.

        For a model with several outputs, ``loss``, ``loss_weights``, ``metrics`` and
        ``weighted_metrics`` may each be one value (for every output), a list in output
        order or a dict keyed by output name (:attr:`output_names`); the loss minimized is
        ``sum(loss_weight_i * loss_i)``. ``metrics`` ignore sample and class weights, as in
        Keras 3; ``weighted_metrics`` are weighted by them (divided by the sum of weights).
        ``run_eagerly``, ``steps_per_execution`` and ``jit_compile`` are accepted for
        compatibility and have no effect: every step runs eagerly on NumPy.

        Examples
        --------
        >>> from neuroflow import layers
        >>> inputs = layers.Input((3,))
        >>> model = Model(inputs, {"price": layers.Dense(1, name="price")(inputs),
        ...                        "kind": layers.Dense(2, name="kind")(inputs)})
        >>> model.compile("sgd", loss={"price": "mse", "kind": "mse"},
        ...               loss_weights={"price": 1.0, "kind": 0.2})
        >>> model.metrics_names
        ['loss', 'price_loss', 'kind_loss']
        """
        self.optimizer = optimizers.get(optimizer)
        self._metrics, self._weighted, self._outputs, self._compile_args = [], [], None, None
        self._loss_fn = None
        self._loss_scale = 1.0
        names = structure_names(self)
        structured = (
            any(isinstance(v, (list, tuple, dict)) for v in (loss, loss_weights))
            or isinstance(metrics, dict)
            or isinstance(weighted_metrics, dict)
        )
        if names is not None and len(names) > 1:
            dict_outputs = isinstance(getattr(getattr(self, "_graph", None), "outputs", None), dict)
            self._outputs = OutputLosses(
                names, loss, loss_weights, metrics, weighted_metrics, dict_outputs
            )
            self.loss = loss
        elif names is None and structured:  # a subclassed model: wait for its outputs
            self._compile_args = (loss, loss_weights, metrics, weighted_metrics)
            self.loss = loss
        else:
            names = names or [None]
            self.loss = loss
            single = _single(loss, names, "loss")
            self._loss_fn = losses.get(single) if single is not None else None
            scale = _single(loss_weights, names, "loss_weights")
            self._loss_scale = 1.0 if scale is None else float(scale)
            self._metric_ids = _metric_ids(_single(metrics, names, "metrics", nested=True))
            self._weighted_ids = _metric_ids(
                _single(weighted_metrics, names, "weighted_metrics", nested=True)
            )
        if self._outputs is not None or self._compile_args is not None:
            self._metric_ids = self._weighted_ids = []
        self.compiled = True

    def _resolve_outputs(self, y_pred) -> OutputLosses:
        """The per-output losses of a subclassed model, resolved on its first outputs."""
        if self._outputs is None:
            if self._compile_args is None:
                raise ValueError(
                    f"Model '{self.name}' returned {len(y_pred)} outputs but was compiled with "
                    "one loss for one output; give `loss` as a list or dict, one per output."
                )
            names = list(y_pred) if isinstance(y_pred, dict) else [
                f"output_{i + 1}" for i in range(len(y_pred))
            ]  # fmt: skip
            self._outputs = OutputLosses(
                names, *self._compile_args, dict_outputs=isinstance(y_pred, dict)
            )
        return self._outputs

    @property
    def metrics(self) -> list:
        """The loss tracker then the compiled metrics (once the first data has been seen)."""
        if not self.compiled:
            return []
        if self._outputs is not None:
            outs = self._outputs
            return [self._loss_tracker, *outs.trackers, *(m for _, m, _ in outs.metrics)]
        return [self._loss_tracker, *self._metrics, *self._weighted]

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Clears the running loss and every metric (``fit`` does it each epoch)."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict:
        """The current value of each metric in :attr:`metrics`, by name."""
        if not self.compiled:
            return {}
        logs = {"loss": _metric_value(self._loss_tracker)}  # every step: no list building
        if self._outputs is not None:
            for m in self.metrics[1:]:
                logs[m.name] = _metric_value(m)
            return logs
        for m in self._metrics:
            logs[m.name] = _metric_value(m)
        for m in self._weighted:
            logs[m.name] = _metric_value(m)
        return logs

    def _build_metrics(self, y_shape: tuple, out_shape: tuple) -> None:
        # "accuracy" means a different metric for each loss and target shape, so the
        # metric objects are made on the first data, as Keras does
        if self._metric_ids and not self._metrics:
            self._metrics = [
                metrics_module.get(m, y_shape, out_shape, self._loss_fn) for m in self._metric_ids
            ]
        if self._weighted_ids and not self._weighted:
            self._weighted = []
            plain = {m.name for m in self._metrics}
            for identifier in self._weighted_ids:
                metric = metrics_module.get(identifier, y_shape, out_shape, self._loss_fn)
                if metric.name in plain:  # Keras's name when a plain metric has it already
                    metric.name = f"weighted_{metric.name}"
                self._weighted.append(metric)

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before `{method}()`, e.g. "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')."
            )

    def build(self, input_shape) -> None:
        """Creates the sub-layers' weights by running ``call`` once on zeros.

        Layers make their weights on first use, so a subclassed model has none until it
        has seen data; training must know them before the first step.
        """
        if any(d is None for d in input_shape[1:]):
            return
        with no_grad():
            self._call_model(Tensor(np.zeros((1,) + tuple(input_shape[1:]), np.float32)), False)
        self.built, self._build_shape = True, tuple(input_shape)  # also when called directly

    def _call_model(self, inputs, training: bool):
        """``self.call(inputs)``, with ``training`` only if the model's ``call`` takes it."""
        accepts = _CALL_ARGUMENTS.get(type(self)) or _call_arguments(type(self))
        if accepts.training:
            return self.call(inputs, training=training)
        previous = enter_call(training)  # the layers inside still see the flag
        try:
            return self.call(inputs)
        finally:
            exit_call(previous)

    def compute_output_shape(self, input_shape):
        """For a subclassed model, what ``call`` computes on one zero sample (its layers
        need not say); the input shape when that cannot be run."""
        if type(self).call is Layer.call:
            return super().compute_output_shape(input_shape)
        if not is_shape(input_shape) or any(d is None for d in input_shape[1:]):
            return tuple(input_shape) if is_shape(input_shape) else input_shape
        with no_grad():
            out = self._call_model(
                Tensor(np.zeros((1,) + tuple(input_shape[1:]), np.float32)), False
            )
        return map_structure(lambda t: (input_shape[0],) + tuple(t.shape[1:]), out)

    @property
    def input_shape(self):
        return self._build_shape or self.input_shape_hint

    @property
    def output_shape(self):
        shape = self.input_shape
        return None if shape is None else self.compute_output_shape(shape)

    def _check_input(self, x):
        """``x`` checked against the input shape, one rank off adjusted as Keras 3 does: a
        trailing axis of 1 added (``(n,)`` data for ``(None, 1)``) or squeezed away."""
        expected = self._build_shape or self.input_shape_hint
        if expected is None:
            return x
        got = x.data.shape if type(x) is Tensor else getattr(x, "shape", None)
        if got is None or (len(got) == len(expected) and got[1:] == expected[1:]):
            return x  # the common case, checked without a walk over the axes
        if is_shape(expected):
            adjusted = _adjust_rank(x, got, expected)
            if adjusted is not None:
                return self._check_input(adjusted)
            check_input_shape(self.name, 0, expected, got)
        return x

    def _prepare_x(self, x, name="x") -> np.ndarray:
        allocator.keep_freed_memory()
        if self._structured(x, inputs=True):
            x = data_adapter.map_structure_arrays(lambda a: _as_float32(_numeric_array(a, name)), x)
            if isinstance(x, list) and len(x) == 1 and len(self._graph.input_tensors) == 1:
                x = x[0]
            else:
                return self._check_input(x)
        if _string_inputs(self):  # strings go to the lookup layers as they are
            x = np.asarray(_raw_data(x))
        else:
            x = _as_float32(_numeric_array(x, name))
        x = self._check_input(x)
        if not self.built:
            self.build_for((None,) + x.shape[1:])
        return x

    def _structured(self, value, inputs: bool) -> bool:
        """Whether ``value`` is a list/dict of arrays for several inputs (or outputs) rather
        than one array written as nested lists."""
        if isinstance(value, dict):
            return True
        if not isinstance(value, (list, tuple)) or not value:
            return False
        if all(hasattr(v, "shape") for v in value):
            graph = getattr(self, "_graph", None)
            if inputs:
                return graph is not None and not isinstance(graph.inputs, KerasTensor)
            return self._outputs is not None or self._compile_args is not None or (
                graph is not None and not isinstance(graph.outputs, KerasTensor)
            )  # fmt: skip
        return False

    def _prepare_data(self, x, y, sample_weight=None, class_weight=None):
        """``(x, y, sample_weight)`` as arrays, checked: the general form of
        :meth:`_prepare_xy` for several inputs/outputs and weights."""
        multi = self._outputs is not None or self._compile_args is not None
        if self._loss_fn is None and not multi:  # trained by add_loss alone: targets optional
            x = self._prepare_x(x)
            if y is not None:
                y = data_adapter.map_structure_arrays(lambda a: _numeric_array(a, "y"), y)
            return x, y, sample_weight
        if not multi and isinstance(y, (dict, list, tuple)) and len(y) == 1:
            only = next(iter(y.values())) if isinstance(y, dict) else y[0]
            if hasattr(only, "shape"):  # a single output's targets given as [y] or {name: y}
                y = only
        if multi or self._structured(x, inputs=True):
            x = self._prepare_x(x)
            y = self._prepare_targets(y) if multi else self._prepare_xy(x, y)[1]
        else:
            x, y = self._prepare_xy(x, y)
        sizes = {"x": _rows(x), "y": _rows(y)}
        if sample_weight is not None:
            sample_weight = data_adapter.map_structure_arrays(
                lambda w: _as_float32(_numeric_array(w, "sample_weight")), sample_weight
            )
            sizes["sample_weight"] = _rows(sample_weight)
        if len(set(sizes.values())) > 1:
            raise ValueError(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number "
                f"of samples. Received sizes {sizes}"
            )
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
            sample_weight = self._class_weights(y, class_weight)
        return x, y, sample_weight

    def _class_weights(self, y, class_weight: dict) -> np.ndarray:
        if self._outputs is not None or isinstance(y, (list, dict)):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        out_shape = self.output_shape
        classes = out_shape[-1] if out_shape and out_shape[-1] else int(np.max(y)) + 1
        classes = max(classes, 2)  # one sigmoid unit: classes 0 and 1
        return class_weight_to_sample_weight(y, _check_class_weight(class_weight, classes))

    def _prepare_targets(self, y):
        """Targets for several outputs (list in output order, or dict by output name)."""
        if y is None:
            raise ValueError("Expected `y` (the targets). Received: y=None")
        y = data_adapter.map_structure_arrays(lambda a: _numeric_array(a, "y"), y)
        if self._outputs is not None:
            outs = self._outputs
            flat = self._flat_targets(y)
            for i, loss in enumerate(outs.losses):
                sparse = isinstance(loss, losses.SparseCategoricalCrossentropy)
                if flat[i] is not None and not sparse:
                    flat[i] = _as_float32(flat[i])
            try:
                shapes = [tuple(t.shape) for t in self.outputs]
            except (AttributeError, ValueError):  # a subclassed model: known when run
                shapes = None
            if shapes is not None:
                outs.check_targets(
                    flat, [None if t is None else (len(t),) + s[1:] for t, s in zip(flat, shapes)]
                )
            return dict(zip(outs.names, flat)) if isinstance(y, dict) else flat
        return y

    def _flat_targets(self, y) -> list:
        """Targets (one array, a list in output order or a dict by name) one per output."""
        names = self._outputs.names
        if isinstance(y, dict):
            unknown = [k for k in y if k not in names]
            if unknown:
                raise ValueError(
                    f"The targets dict has key {unknown[0]!r}, which matches no output of the "
                    f"model. Expected keys among the output names {names}."
                )
            return [y.get(n) for n in names]
        if isinstance(y, (list, tuple)):
            if len(y) != len(names):
                raise ValueError(
                    f"Expected one target array per output ({len(names)}: {names}). "
                    f"Received {len(y)}."
                )
            return list(y)
        return [y] * len(names)

    def _flat_outputs(self, y_pred) -> list:
        if isinstance(y_pred, dict):
            return [y_pred.get(n) for n in self._outputs.names]
        return list(y_pred)

    def _prepare_xy(self, x, y):
        x = self._prepare_x(x)
        y = _numeric_array(y, "y")
        rows = len(x) if type(x) is np.ndarray else _rows(x)
        if rows != len(y):
            raise ValueError(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number "
                f"of samples. 'x' sizes: {rows}, 'y' sizes: {len(y)}"
            )
        if not isinstance(self._loss_fn, losses.SparseCategoricalCrossentropy):
            y = _as_float32(y)
        if type(x) is np.ndarray:
            out_shape = self.compute_output_shape((len(x),) + x.shape[1:])
        else:
            out_shape = (rows,) + tuple(self.outputs[0].shape[1:])
        self._loss_fn.check_targets(y, out_shape)
        self._build_metrics(y.shape, out_shape)
        return x, y

    # --------------------------------------------------------------- one batch
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y`` plus the layers' penalties.

        Parameters
        ----------
        x : array_like, optional
            The inputs; unused here, available to overrides.
        y, y_pred : array_like and Tensor
            Targets and the model's output for them.
        sample_weight : array_like of shape (batch,), optional
            Per-sample weights; the loss is then ``sum(loss_i * w_i) / batch``, as Keras's
            default reduction.
        training : bool, default True
            Whether this is a training step (unused here, as in Keras).

        Returns
        -------
        Tensor
            A scalar, on the tape when gradients are being recorded.
        """
        if type(y_pred) is not Tensor and isinstance(y_pred, (list, tuple, dict)):
            loss = self._multi_output_loss(y, y_pred, sample_weight)
        elif self._loss_fn is None:  # compiled without a loss: the layers' add_loss terms alone
            if not self.losses:
                raise ValueError(
                    "No loss to compute. Provide a `loss` argument in `compile()`, or add "
                    "losses in the model's layers with `self.add_loss(...)`."
                )
            loss = self.losses[0]
            for penalty in self.losses[1:]:
                loss = loss + penalty
            return loss
        else:
            mask = getattr(y_pred, "_keras_mask", None)
            if mask is not None:
                sample_weight = _masked_weights(sample_weight, mask, normalize=True)
            loss = _weighted_mean(self._loss_fn.call(y, y_pred), sample_weight)
            if self._loss_scale != 1.0:
                loss = loss * self._loss_scale
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def _multi_output_loss(self, y, y_pred, sample_weight) -> Tensor:
        """``sum(loss_weight_i * loss_i)`` over the outputs that have a loss; each output's
        unweighted loss goes to its ``<output>_loss`` tracker."""
        outs = self._resolve_outputs(y_pred)
        preds = self._flat_outputs(y_pred)
        targets = self._flat_targets(y)
        weights = self._flat_sample_weights(sample_weight)
        batch = _rows(preds)
        total = None
        for i in outs.with_loss:
            if targets[i] is None:
                raise ValueError(f"No targets were given for output '{outs.names[i]}'.")
            weight, mask = weights[i], getattr(preds[i], "_keras_mask", None)
            if mask is not None:
                weight = _masked_weights(weight, mask, normalize=True)
            value = _weighted_mean(outs.losses[i].call(targets[i], preds[i]), weight)
            tracker = outs.tracker_of.get(i)
            if tracker is not None:
                tracker.total += float(value.data) * batch
                tracker.count += batch
            term = value if outs.weights[i] == 1.0 else value * outs.weights[i]
            total = term if total is None else total + term
        return total

    def _flat_sample_weights(self, sample_weight) -> list:
        n = len(self._outputs.names)
        if sample_weight is None:
            return [None] * n
        if isinstance(sample_weight, dict) or (
            isinstance(sample_weight, (list, tuple))
            and all(hasattr(w, "shape") or w is None for w in sample_weight)
        ):
            return per_output(sample_weight, self._outputs.names, "sample_weight")
        return [sample_weight] * n  # one array weighs every output, as in Keras

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """tf.keras 2's ``self.compiled_loss(y, y_pred)`` in a custom ``train_step``: the
        compiled loss plus the layers' penalties (:meth:`compute_loss`; the penalties are
        counted there, so ``regularization_losses`` is not added again), counted in the
        logged ``"loss"`` as tf.keras 2 counted it. Keras 3 keeps it with a warning."""
        warnings.warn(
            "`model.compiled_loss()` is deprecated. Instead, use "
            "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
            stacklevel=2,
        )
        loss = self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)
        rows = np.shape(y)[0] if np.ndim(y) else 1
        self._track_loss(float(loss.data if isinstance(loss, Tensor) else loss), rows)
        return loss

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``self.compiled_metrics.update_state(y, y_pred)``: updates the
        compiled metrics (:meth:`compute_metrics`). Keras 3 keeps it with a warning."""
        return _CompiledMetrics(self)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Updates the compiled metrics with a batch and returns :meth:`get_metrics_result`.

        ``metrics`` ignore ``sample_weight`` and ``weighted_metrics`` use it, as in Keras 3.
        """
        if type(y_pred) is not Tensor and isinstance(y_pred, (list, tuple, dict)):
            return self._multi_output_metrics(y, y_pred, sample_weight)
        mask = getattr(y_pred, "_keras_mask", None)
        y_pred = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
        if (self._metric_ids and not self._metrics) or (self._weighted_ids and not self._weighted):
            self._build_metrics(np.shape(y), y_pred.shape)
        if mask is not None:
            self._update_masked_metrics(y, y_pred, sample_weight, mask)
            return self.get_metrics_result()
        for m in self._metrics:
            m.update_state(y, y_pred)
        for m in self._weighted:
            m.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _update_masked_metrics(self, y, y_pred, sample_weight, mask) -> None:
        """As Keras 3: the mean metrics (accuracy, mae, ...) count the unmasked entries only,
        the mask acting as a sample weight; other metrics do not read masks."""
        masked = _masked_weights(None, mask, normalize=False)
        weighted = _masked_weights(sample_weight, mask, normalize=False)
        for group, weight in ((self._metrics, masked), (self._weighted, weighted)):
            for m in group:
                if isinstance(m, metrics_module.MeanMetricWrapper):
                    m.update_state(y, y_pred, weight)
                else:
                    m.update_state(y, y_pred, sample_weight if group is self._weighted else None)

    def _multi_output_metrics(self, y, y_pred, sample_weight) -> dict:
        outs = self._resolve_outputs(y_pred)
        flat = self._flat_outputs(y_pred)
        masks = [getattr(p, "_keras_mask", None) for p in flat]
        preds = [p.data if isinstance(p, Tensor) else np.asarray(p) for p in flat]
        targets = self._flat_targets(y)
        if not outs.built:
            outs.build(targets, preds)
        weights = self._flat_sample_weights(sample_weight) if outs.metrics else None
        for i, metric, weighted in outs.metrics:
            weight = weights[i] if weighted else None
            if masks[i] is not None and isinstance(metric, metrics_module.MeanMetricWrapper):
                weight = _masked_weights(weight, masks[i], normalize=False)
            metric.update_state(targets[i], preds[i], weight)
        return self.get_metrics_result()

    def _track_loss(self, value: float, batch: int) -> None:
        # Keras weights each batch's loss by its size; Mean.update_state would do the same
        # through NumPy, a cost paid on every step
        self._loss_tracker.total += value * batch
        self._loss_tracker.count += batch

    def train_step(self, data) -> dict:
        """One gradient step on a batch; returns the logs ``{"loss": ..., metric: ...}``.

        ``data`` is ``(x, y)`` or ``(x, y, sample_weight)`` (see
        :func:`unpack_x_y_sample_weight`). The logged loss and metrics are running means
        since the last :meth:`reset_metrics`. A step whose loss is NaN or infinite is not
        applied, so the weights stay finite (``fit`` then stops, see ``TerminateOnNaN``).
        Override it to change what ``fit`` does with each batch.

        Examples
        --------
        >>> import numpy as np
        >>> from neuroflow import layers
        >>> from neuroflow.models import Sequential
        >>> model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
        >>> model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> logs = model.train_step((np.ones((4, 3), "float32"), np.array([0, 1, 1, 0])))
        >>> sorted(logs)
        ['accuracy', 'loss']
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        value = float(loss.data)
        self._track_loss(value, len(y_pred.data) if type(y_pred) is Tensor else _rows(y_pred))
        if math.isfinite(value):
            self._apply_gradients(loss)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_gradients(self, loss: Tensor) -> None:
        variables = self.trainable_weights
        if not variables or not loss.requires_grad:
            return  # nothing to train (all frozen, or a loss that no weight affects)
        loss.backward()
        grads = [v.grad for v in variables]
        for v in variables:
            v.grad = None
        self.optimizer.apply(grads, variables)

    def test_step(self, data) -> dict:
        """Loss and metrics on one batch, without training; returns the running logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(
            float(loss.data), len(y_pred.data) if type(y_pred) is Tensor else _rows(y_pred)
        )
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data) -> Tensor:
        """The model's output for one batch ``(x,)`` (``predict`` stacks them)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains for ``epochs`` passes over ``(x, y)`` in mini-batches.

        Parameters
        ----------
        x, y : array_like
            Inputs and targets with the same number of samples.
        batch_size : int, default 32
        epochs : int, default 1
        verbose : {"auto", 0, 1, 2}
            1 shows a progress bar, 2 one line per epoch, 0 nothing.
        callbacks : list of Callback
        validation_split : float in [0, 1)
            The *last* fraction of the data (before shuffling) is held out for validation.
        validation_data : tuple ``(x_val, y_val)``
            Overrides ``validation_split``.
        shuffle : bool, default True
            Reshuffle the training samples every epoch.
        initial_epoch : int, default 0
            Epoch to start counting from (to resume training).
        validation_steps : int, optional
            Validate on this many batches only (all of them by default).
        validation_batch_size : int, optional
            Batch size for validation; ``batch_size`` by default.
        validation_freq : int or list of int, default 1
            Validate every ``validation_freq``-th epoch, or after the listed epochs
            (counted from 1).

        Returns
        -------
        History
            ``history.history`` maps ``loss``, each metric and their ``val_`` forms to
            per-epoch values.

        Examples
        --------
        >>> import numpy as np
        >>> from neuroflow import layers
        >>> from neuroflow.models import Sequential
        >>> model = Sequential([layers.Input((2,)), layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> x = np.random.default_rng(0).random((32, 2)).astype("float32")
        >>> history = model.fit(x, x.sum(1), epochs=3, validation_split=0.25, verbose=0)
        >>> sorted(history.history), len(history.history["loss"])
        (['loss', 'val_loss'], 3)
        """
        self._require_compiled("fit")
        args = _check_fit_args(
            batch_size, epochs, verbose, validation_split, shuffle, class_weight,
            sample_weight, initial_epoch, steps_per_epoch, validation_steps,
            validation_batch_size, validation_freq,
        )  # fmt: skip
        batches, val = self._fit_data(x, y, sample_weight, class_weight, validation_split,
                                      validation_data, args)  # fmt: skip
        self.history = History()
        cbs = self._make_callbacks(
            callbacks, args.verbose, self.history, epochs=args.epochs, steps=batches.steps
        )
        raise_on_nan = not any(isinstance(cb, TerminateOnNaN) for cb in cbs.callbacks)
        self.stop_training = False
        self._resume_epoch = None
        cbs.call("on_train_begin", None)
        logs: dict = {}
        first = True
        for epoch in range(self._take_resume_epoch(args.initial_epoch), args.epochs):
            epoch_logs = self._run_epoch(epoch, batches, cbs, raise_on_nan, first)
            first = False
            if epoch_logs is None:  # the data ran out before this epoch's first batch
                break
            logs = epoch_logs
            if val is not None and _should_validate(epoch, args.validation_freq):
                logs.update(self._validation_logs(val, cbs))
            cbs.call("on_epoch_end", epoch, logs)
            batches.on_epoch_end()
            if self.stop_training:
                break
        cbs.call("on_train_end", logs)  # not reached when training fails
        return self.history

    def _fit_data(self, x, y, sample_weight, class_weight, validation_split, validation_data,
                  args: _FitArgs):  # fmt: skip
        """The training batches' handler and the validation handler (or None)."""
        if is_batch_source(x):
            _no_targets_beside(x, y, sample_weight)
            if validation_split:
                raise ValueError(
                    "`validation_split` is only supported for array inputs; "
                    f"received a {type(x).__name__}. Pass `validation_data` instead."
                )
            handler = data_adapter.batch_handler(
                x, args.steps_per_epoch, args.shuffle, "training data", targets=True
            )
            batches = _ConvertedBatches(self, handler, class_weight)
            return batches, self._validation_handler(validation_data, args)
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, class_weight)
        (x, y, sample_weight), val = self._split_validation(
            x, y, sample_weight, validation_split, validation_data, args
        )
        plain = type(x) is np.ndarray and type(y) is np.ndarray and sample_weight is None
        if plain and args.steps_per_epoch is None:  # the common case: reused buffers
            return _Batches(x, y, args.batch_size, args.shuffle), val
        return data_adapter.ArrayHandler(
            x, y, sample_weight, args.batch_size, args.shuffle, args.steps_per_epoch
        ), val

    def _validation_handler(self, validation_data, args: _FitArgs):
        if validation_data is None:
            return None
        if is_batch_source(validation_data):
            handler = data_adapter.batch_handler(
                validation_data, args.validation_steps, False, "validation data",
                targets=True, cache=True,
            )  # fmt: skip
            return _ConvertedBatches(self, handler, None)
        x, y, sample_weight = self._prepare_data(*_check_validation_data(validation_data))
        return self._validation_arrays(x, y, sample_weight, args)

    def _validation_arrays(self, x, y, sample_weight, args: _FitArgs):
        steps = _count_steps(_rows(x), args.validation_batch_size, args.validation_steps)
        return _ArraySteps(x, y, sample_weight, args.validation_batch_size, steps)

    def _split_validation(self, x, y, sample_weight, validation_split, validation_data, args):
        """``((x, y, sample_weight), validation)``: ``validation_data``, or the last
        ``validation_split`` of the arrays."""
        if validation_data is not None:
            return (x, y, sample_weight), self._validation_handler(validation_data, args)
        if not validation_split:
            return (x, y, sample_weight), None
        n = _rows(x)
        split = int(math.floor(n * (1.0 - validation_split)))
        if split == 0 or split == n:
            raise ValueError(
                f"validation_split={validation_split} leaves no samples for "
                f"{'training' if split == 0 else 'validation'} out of {n}."
            )
        head = data_adapter.map_structure_arrays
        train = tuple(head(lambda a: a[:split], v) for v in (x, y, sample_weight))
        held = tuple(head(lambda a: a[split:], v) for v in (x, y, sample_weight))
        return train, self._validation_arrays(*held, args)

    def _make_callbacks(self, callbacks, verbose: int, *extra, **params) -> CallbackList:
        """The user's callbacks, after a progress bar when ``verbose`` asks for one."""
        # Keras's order: the user's callbacks, History, then the progress bar, which so
        # shows what the others add to the logs (ReduceLROnPlateau's learning_rate)
        progress = [ProgbarLogger(verbose)] if verbose else []
        every = list(callbacks or []) + list(extra) + progress
        return CallbackList(every, self, {"verbose": verbose, **params})

    def resume_from_epoch(self, epoch: int) -> None:
        """Makes the ``fit`` in progress start at ``epoch`` instead of ``initial_epoch``.

        For callbacks that resume an interrupted training, such as
        :class:`~neuroflow.callbacks.BackupAndRestore`: call it from ``on_train_begin``
        (Keras sets the private ``model._initial_epoch`` for the same purpose).
        """
        self._resume_epoch = check_int("epoch", epoch, 0)

    def _take_resume_epoch(self, initial_epoch: int) -> int:
        epoch, self._resume_epoch = self._resume_epoch, None
        return initial_epoch if epoch is None else epoch

    def _run_epoch(self, epoch: int, batches, cbs: CallbackList, raise_on_nan, first=False):
        """One pass over the training batches; returns the epoch's logs (None when the data
        had no batch left for this epoch)."""
        self.reset_metrics()
        cbs.call("on_epoch_begin", epoch, None)
        # looked up once: per-step overhead matters for small models (hundreds of steps)
        train_step = self.train_step
        begin, end = cbs.wants("on_train_batch_begin"), cbs.wants("on_train_batch_end")
        logs = {}
        step = -1
        for step, data in enumerate(batches.epoch()):
            if begin:
                cbs.call("on_train_batch_begin", step, None)
            logs = train_step(data)
            if raise_on_nan and not math.isfinite(logs.get("loss", 0.0)):
                _raise_nonfinite(logs["loss"], epoch, step)
            if end:
                cbs.call("on_train_batch_end", step, logs)
            if self.stop_training:
                break
        if batches.ran_dry:
            if step < 0 and first:
                raise ValueError(
                    "The training data yielded no batches: expected a generator, dataset or "
                    "PyDataset with at least one batch."
                )
            data_adapter.warn_ran_dry("training", batches.steps, step + 1)
            self.stop_training = True
            if step < 0:
                return None
        elif batches.cut_short:
            data_adapter.warn_cut_short(batches.steps, step + 1)
        return self._final_logs(logs)

    def _final_logs(self, logs) -> dict:
        """The metrics' values, or the last step's logs if an overridden step logs others
        (Keras's rule)."""
        results = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) != set(results):
            results = logs
        return {name: _plain(value) for name, value in sorted(results.items())}

    def _validation_logs(self, val, cbs: CallbackList) -> dict:
        logs = self._evaluate_batches(val, cbs)
        return {f"val_{name}": value for name, value in logs.items()}

    # ---------------------------------------------------------------- evaluation
    def _evaluate_batches(self, batches, cbs) -> dict:
        self.reset_metrics()
        cbs.call("on_test_begin", None)
        test_step = self.test_step
        begin, end = cbs.wants("on_test_batch_begin"), cbs.wants("on_test_batch_end")
        logs = {}
        step = -1
        with no_grad():
            for step, batch in enumerate(batches.epoch()):
                if begin:
                    cbs.call("on_test_batch_begin", step, None)
                logs = test_step(batch)
                if end:
                    cbs.call("on_test_batch_end", step, logs)
        if batches.ran_dry and (batches.steps is not None or step < 0):
            data_adapter.warn_ran_dry("evaluation", batches.steps, step + 1)
        batches.ran_dry = False
        batches.on_epoch_end()
        logs = self._final_logs(logs)
        cbs.call("on_test_end", logs)
        return logs

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Loss (and metrics) on ``(x, y)``.

        ``x`` may also be a generator, dataset or :class:`~neuroflow.utils.PyDataset`
        yielding ``(x, y[, sample_weight])`` batches. ``steps`` limits the evaluation to
        that many batches.

        Returns
        -------
        float or list of float
            The loss alone when compiled without metrics, else ``[loss, *metrics]``
            (a dict with ``return_dict=True``). With several outputs: the total loss, each
            output's loss in output order, then the other values by name, as Keras orders
            them.
        """
        self._require_compiled("evaluate")
        batch_size = check_int("batch_size", batch_size, none=32)
        verbose = _verbosity(verbose)
        steps = check_int("steps", steps, none=None)
        if is_batch_source(x):
            _no_targets_beside(x, y, sample_weight)
            batches = _ConvertedBatches(
                self, data_adapter.batch_handler(x, steps, False, "data", targets=True), None
            )
        else:
            x, y, sample_weight = self._prepare_data(x, y, sample_weight)
            steps = _count_steps(_rows(x), batch_size, steps)
            batches = _ArraySteps(x, y, sample_weight, batch_size, steps)
        cbs = self._make_callbacks(callbacks, verbose, steps=batches.steps)
        logs = self._evaluate_batches(batches, cbs)
        return logs if return_dict else self._flatten_logs(logs)

    def _flatten_logs(self, logs: dict):
        """Keras's order: the metrics' names first, then any other key; one value alone."""
        if self._outputs is not None:  # the losses first, then the rest by name
            first = ["loss", *self._outputs.loss_names]
        else:
            first = self.metrics_names
        names = [n for n in first if n in logs]
        values = [logs[n] for n in names] + [v for k, v in logs.items() if k not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as a NumPy array, computed in batches of ``batch_size``.

        ``x`` may also be a generator, dataset or :class:`~neuroflow.utils.PyDataset`
        yielding batches ``(x,)`` (or ``x``; targets in them are ignored). ``steps`` limits
        the prediction to that many batches. A model with several outputs returns a list
        (or dict) of arrays, as its outputs are structured.
        """
        batch_size = check_int("batch_size", batch_size, none=32)
        verbose = _verbosity(verbose)
        steps = check_int("steps", steps, none=None)
        if (  # the commonest call, one small float32 batch quietly: nothing else to check
            type(x) is np.ndarray
            and x.dtype == np.float32
            and not verbose
            and steps is None
            and not callbacks
            and 0 < x.ndim
            and len(x) <= batch_size
            and self.built
            and type(self).predict_step is Model.predict_step
        ):
            allocator.keep_freed_memory()
            x = self._check_input(x)
            with no_grad():
                out = self._call_model(Tensor._from_op(x, None), False)
            return out.data if type(out) is Tensor else _to_numpy(out)
        if is_batch_source(x):
            handler = data_adapter.batch_handler(x, steps, False, "data", targets=False)
            batches = _ConvertedBatches(self, handler, None, targets=False)
        else:
            x = self._prepare_x(x)
            plain = type(self).predict_step is Model.predict_step and steps is None
            rows = len(x) if type(x) is np.ndarray else _rows(x)
            if plain and rows <= batch_size and not verbose and not callbacks:
                with no_grad():  # one batch, nothing to report: skip the loop's machinery
                    out = self._call_model(
                        Tensor._from_op(x, None) if type(x) is np.ndarray else x, False
                    )
                    return out.data if type(out) is Tensor else _to_numpy(out)
            steps = _count_steps(rows, batch_size, steps)
            batches = _ArraySteps(x, None, None, batch_size, steps, inputs_only=True)
        cbs = self._make_callbacks(callbacks, verbose, steps=batches.steps)
        return self._predict_batches(batches, cbs)

    def _predict_batches(self, batches, cbs):
        cbs.call("on_predict_begin", None)
        predict_step = self.predict_step
        begin, end = cbs.wants("on_predict_batch_begin"), cbs.wants("on_predict_batch_end")
        outputs = []
        step = -1
        with no_grad():
            for step, batch in enumerate(batches.epoch()):
                if begin:
                    cbs.call("on_predict_batch_begin", step, None)
                out = predict_step(batch)
                outputs.append(out.data if type(out) is Tensor else _to_numpy(out))
                if end:
                    cbs.call("on_predict_batch_end", step, {"outputs": outputs[-1]})
        if batches.ran_dry and (batches.steps is not None or step < 0):
            data_adapter.warn_ran_dry("prediction", batches.steps, step + 1)
        batches.on_epoch_end()
        cbs.call("on_predict_end", None)
        if not outputs:
            raise ValueError("predict() received no batches: the data was empty.")
        return _concat_outputs(outputs)

    def predict_on_batch(self, x) -> np.ndarray:
        """Outputs for ``x`` computed as one batch."""
        x = self._prepare_x(x)
        return self.predict(x, batch_size=max(_rows(x), 1), verbose=0)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on exactly this batch; returns the loss (and metrics).

        The metrics are reset first, so the values are this batch's, as in Keras.
        """
        self._require_compiled("train_on_batch")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        x, y, sample_weight = self._prepare_data(x, y, sample_weight, class_weight)
        self.reset_metrics()
        logs = self.train_step((x, y, sample_weight))
        value = logs.get("loss") if isinstance(logs, dict) else None
        if value is not None and not math.isfinite(float(value)):
            raise FloatingPointError(f"The loss became {value}; the step was not applied.")
        logs = dict(sorted(logs.items()))
        return logs if return_dict else self._flatten_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of exactly this batch, without training."""
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._prepare_data(x, y, sample_weight)
        self.reset_metrics()
        with no_grad():
            logs = dict(sorted(self.test_step((x, y, sample_weight)).items()))
        return logs if return_dict else self._flatten_logs(logs)

    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        else:
            inputs = kwargs.pop("inputs", None)
        if type(inputs) is not Tensor and (
            type(inputs) is np.ndarray or not has_symbolic(inputs)  # one array: data
        ):
            if _string_inputs(self):  # a Tensor holding the strings, for the lookup layers
                inputs = Tensor._from_op(np.asarray(_raw_data(inputs)), None)
            elif type(inputs) is np.ndarray:  # the common case: one array of data
                inputs = as_input_tensor(inputs)
            else:
                inputs = as_input_structure(inputs)
            if not isinstance(inputs, Tensor) or inputs.ndim:
                inputs = self._check_input(inputs)
        return Layer.__call__(self, inputs, *args, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from its config; a functional config (``keras.Model(...).get_config()``)
        makes a functional model, as ``keras.Model.from_config`` does."""
        if cls is Model and isinstance(config, dict) and "input_layers" in config:
            from neuroflow.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    # ------------------------------------------------------------------ display
    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Prints Keras's table of layers, output shapes and parameter counts.

        Parameters
        ----------
        line_length : int, optional
            Width of the table; at most 88 characters (100 with ``show_trainable``) by
            default, less on a narrower terminal.
        positions : list of float, optional
            Where each column ends, as fractions of ``line_length`` (Keras's default
            ``[0.45, 0.80, 1.0]``); numbers above 1 are read as character positions, as
            tf.keras 2 did.
        print_fn : callable, optional
            Called with the whole summary as one string; ``print`` by default.
        expand_nested : bool, default False
            Also list the layers inside nested models, indented under them.
        show_trainable : bool, default False
            Add a "Trainable" column: Y, N, or "-" for a layer without weights.
        layer_range : tuple of 2 str, optional
            Only the layers from the first whose name matches ``layer_range[0]`` to the
            last matching ``layer_range[1]`` (regular expressions, both included).

        Examples
        --------
        >>> from neuroflow import layers
        >>> from neuroflow.models import Sequential
        >>> model = Sequential([layers.Input((4,)), layers.Dense(8, name="hidden"),
        ...                     layers.Dense(1, name="out")])
        >>> lines = []
        >>> model.summary(layer_range=("out", "out"), print_fn=lines.append)
        >>> "out (Dense)" in lines[0], "hidden" in lines[0]
        (True, False)
        """
        # an unbuilt model is listed too, as in Keras 3: shapes "?", counts "0 (unbuilt)"
        print_summary(
            self,
            line_length=line_length,
            print_fn=print_fn,
            positions=positions,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    # Saving lives in neuroflow.io (above models in the layering); these Keras methods only
    # forward to it, importing it when called.
    def save(self, filepath, overwrite: bool = True, include_optimizer: bool = True, **kwargs):
        """Saves the model in the format its file name means, as in Keras 3: ``.keras`` (a
        Keras 3 archive), ``.h5`` (Keras's HDF5), ``.neuroflow`` (this library's safe zip
        format); written atomically. Read it back with ``keras.models.load_model``."""
        from neuroflow.io import saving

        if kwargs.pop("save_format", None) not in (None, "keras", "h5", "tf"):
            raise ValueError("Expected `save_format` to be 'keras' or 'h5' (or None).")
        kwargs.pop("zipped", None)
        if kwargs:
            raise TypeError(f"save() got unexpected keyword argument(s): {sorted(kwargs)}")
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Saves the weights only (atomically): ``.weights.h5`` as Keras 3 writes them, or
        ``.neuroflow``; read them with ``load_weights``."""
        from neuroflow.io import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch: bool = False) -> None:
        """Loads weights saved by ``save_weights`` or ``save`` (neuroflow's or Keras's)
        into this (built) model."""
        from neuroflow.io import saving

        if skip_mismatch:
            raise NotImplementedError("load_weights(skip_mismatch=True) is not supported.")
        saving.load_weights(self, filepath)

    def get_compile_config(self) -> dict | None:
        """The compile arguments serialized as Keras 3 writes them in a ``.keras`` file's
        ``compile_config`` (optimizer, loss, metrics...); ``{}`` before ``compile``."""
        from neuroflow.io import keras_writer

        return keras_writer.compile_config(self) or {}

    def compile_from_config(self, config: dict) -> None:
        """Compiles the model as :meth:`get_compile_config`'s dict says (Keras 3's)."""
        from neuroflow.io import keras_files

        keras_files.compile_from_keras(self, config)

    def to_json(self, **kwargs) -> str:
        """The architecture as Keras's JSON (``{"class_name", "config", ...}``); rebuild
        it with ``keras.models.model_from_json``."""
        import json

        from neuroflow.models.functional import serialize_layer

        spec = serialize_layer(self)
        spec["module"] = "keras"
        return json.dumps(spec, default=_json_default, **kwargs)

    @property
    def layers(self) -> list[Layer]:
        return list(self._sublayers)
