"""``Model``: a layer that can be compiled, trained, evaluated and asked for predictions.

The loop follows Keras 3. ``fit`` checks its arguments, holds out the validation data,
wires the callbacks, then runs epochs; each batch goes through :meth:`Model.train_step`,
``evaluate`` runs :meth:`Model.test_step` and ``predict`` :meth:`Model.predict_step`.
The three step methods are public and can be overridden as in Keras's guide
"Customizing what happens in fit()": ``fit`` then calls the override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neuroflow import allocator, backend, losses, ops, optimizers
from neuroflow import metrics as metrics_module
from neuroflow.callbacks import CallbackList, History, ProgbarLogger, TerminateOnNaN
from neuroflow.layers.base import Layer, as_input_structure, is_shape
from neuroflow.layers.node import has_symbolic
from neuroflow.models.summary import format_shape, print_summary
from neuroflow.tensor import Tensor, no_grad

__all__ = ["Model", "unpack_x_y_sample_weight"]


# ---------------------------------------------------------------- argument checks
def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _positive_int(name: str, value, default=None) -> int:
    if value is None and default is not None:
        return default
    if not _is_int(value) or value <= 0:
        raise ValueError(f"Expected `{name}` to be a positive integer. Received: {name}={value!r}")
    return int(value)


def _optional_positive_int(name: str, value) -> int | None:
    return None if value is None else _positive_int(name, value)


def _non_negative_int(name: str, value) -> int:
    if not _is_int(value) or value < 0:
        raise ValueError(f"Expected `{name}` to be an integer >= 0. Received: {name}={value!r}")
    return int(value)


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
    if _is_int(freq) and freq > 0:
        return int(freq)
    if isinstance(freq, (list, tuple, set, frozenset)) and all(_is_int(e) for e in freq):
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
            f"Expected `{name}` to be a NumPy array (or list). Received: {type(data).__name__}. "
            "Generators and datasets are not supported yet."
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


def _check_fit_args(
    batch_size, epochs, verbose, validation_split, shuffle, class_weight, sample_weight,
    initial_epoch, steps_per_epoch, validation_steps, validation_batch_size, validation_freq,
) -> _FitArgs:  # fmt: skip
    """Raises for a value ``fit`` cannot honour; returns the rest normalized."""
    if class_weight is not None or sample_weight is not None:
        raise NotImplementedError("class_weight and sample_weight are not supported yet.")
    if steps_per_epoch is not None:
        raise NotImplementedError("steps_per_epoch is not supported for array data.")
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
    batch_size = _positive_int("batch_size", batch_size, default=32)
    return _FitArgs(
        batch_size=batch_size,
        epochs=_non_negative_int("epochs", epochs),
        verbose=_verbosity(verbose),
        shuffle=bool(shuffle),
        initial_epoch=_non_negative_int("initial_epoch", initial_epoch),
        validation_batch_size=_positive_int(
            "validation_batch_size", validation_batch_size, default=batch_size
        ),
        validation_steps=_optional_positive_int("validation_steps", validation_steps),
        validation_freq=_validation_freq(validation_freq),
    )


def _check_validation_data(validation_data) -> tuple:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        length = len(validation_data) if hasattr(validation_data, "__len__") else "?"
        raise ValueError(
            "Expected `validation_data` to be a tuple (x_val, y_val). "
            f"Received: {type(validation_data).__name__} of length {length}"
        )
    if len(validation_data) == 3 and validation_data[2] is not None:
        raise NotImplementedError("Validation sample weights are not supported yet.")
    return validation_data[0], validation_data[1]


def _plain(value):
    """A logged value as a Python float where it is a number (an override may log Tensors
    or NumPy scalars), as Keras's logs hold."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _raise_nonfinite(loss, epoch: int, step: int) -> None:
    raise FloatingPointError(
        f"The loss became {float(loss)} at epoch {epoch + 1}, batch {step + 1}; "
        "training stopped before applying that step, so the weights are "
        "still finite. Common causes: a learning rate that is too high, "
        "unscaled inputs, or NaN/inf in the data."
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
        # keras.Model(inputs, outputs) makes a functional model, as in Keras
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from neuroflow.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclass of Model that passes `inputs` and "
                "`outputs` to Model.__init__ is not supported; build the graph with "
                "keras.Model(inputs, outputs) and wrap or subclass that instead."
            )
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_ids: list = []
        self._metrics: list = []
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

        ``run_eagerly``, ``steps_per_execution`` and ``jit_compile`` are accepted for
        compatibility and have no effect: every step runs eagerly on NumPy.
        """
        if loss_weights is not None or weighted_metrics is not None:
            raise NotImplementedError("loss_weights and weighted_metrics are not supported yet.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss) if loss is not None else None
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
            metrics = [metrics]
        self._metric_ids = list(metrics)
        self._metrics = []
        self.compiled = True

    @property
    def metrics(self) -> list:
        """The loss tracker then the compiled metrics (once the first data has been seen)."""
        return [self._loss_tracker, *self._metrics] if self.compiled else []

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
        logs = {"loss": self._loss_tracker.result()}  # called every step: no list building
        for m in self._metrics:
            logs[m.name] = m.result()
        return logs

    def _build_metrics(self, y_shape: tuple, out_shape: tuple) -> None:
        # "accuracy" means a different metric for each loss and target shape, so the
        # metric objects are made on the first data, as Keras does
        if self._metric_ids and not self._metrics:
            self._metrics = [
                metrics_module.get(m, y_shape, out_shape, self.loss) for m in self._metric_ids
            ]

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before `{method}()`, e.g. "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')."
            )
        if self.loss is None:
            raise ValueError(f"The model was compiled without a loss; `{method}()` needs one.")

    def build(self, input_shape) -> None:
        """Creates the sub-layers' weights by running ``call`` once on zeros.

        Layers make their weights on first use, so a subclassed model has none until it
        has seen data; training must know them before the first step.
        """
        if any(d is None for d in input_shape[1:]):
            return
        with no_grad():
            self.call(Tensor(np.zeros((1,) + tuple(input_shape[1:]), np.float32)), training=False)
        self.built, self._build_shape = True, tuple(input_shape)  # also when called directly

    @property
    def input_shape(self):
        return self._build_shape or self.input_shape_hint

    @property
    def output_shape(self):
        shape = self.input_shape
        return None if shape is None else self.compute_output_shape(shape)

    def _check_input(self, x) -> None:
        expected = self.input_shape
        if expected is None or not hasattr(x, "shape") or not is_shape(expected):
            return
        got = x.shape
        if len(got) != len(expected) or any(
            e is not None and e != g for e, g in zip(expected[1:], got[1:])
        ):
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"shape={format_shape(expected)}, found shape={format_shape(got)}"
            )

    def _prepare_x(self, x, name="x") -> np.ndarray:
        allocator.keep_freed_memory()
        x = _as_float32(_numeric_array(x, name))
        self._check_input(x)
        if not self.built:
            self.build_for((None,) + x.shape[1:])
        return x

    def _prepare_xy(self, x, y):
        x = self._prepare_x(x)
        y = _numeric_array(y, "y")
        if len(x) != len(y):
            raise ValueError(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number "
                f"of samples. 'x' sizes: {len(x)}, 'y' sizes: {len(y)}"
            )
        if not isinstance(self.loss, losses.SparseCategoricalCrossentropy):
            y = _as_float32(y)
        out_shape = self.compute_output_shape((len(x),) + x.shape[1:])
        self.loss.check_targets(y, out_shape)
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
        per_sample = self.loss.call(y, y_pred)
        if sample_weight is not None:
            w = np.asarray(sample_weight, np.float32).reshape(per_sample.shape)
            per_sample = per_sample * Tensor(w)
        loss = ops.mean(per_sample)
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Updates the compiled metrics with a batch and returns :meth:`get_metrics_result`."""
        y_pred = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
        if self._metric_ids and not self._metrics:
            self._build_metrics(np.shape(y), y_pred.shape)
        for m in self._metrics:
            m.update_state(y, y_pred, sample_weight)
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
        self._track_loss(value, len(y_pred.data))
        if math.isfinite(value):
            self._apply_gradients(loss)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _apply_gradients(self, loss: Tensor) -> None:
        variables = self.trainable_weights
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
        self._track_loss(float(loss.data), len(y_pred.data))
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
        x, y = self._prepare_xy(x, y)
        (x, y), val = self._split_validation(x, y, validation_split, validation_data)
        batches = _Batches(x, y, args.batch_size, args.shuffle)
        self.history = History()
        cbs = self._make_callbacks(
            callbacks, args.verbose, self.history, epochs=args.epochs, steps=batches.steps
        )
        raise_on_nan = not any(isinstance(cb, TerminateOnNaN) for cb in cbs.callbacks)
        self.stop_training = False
        self._resume_epoch = None
        cbs.call("on_train_begin", None)
        logs: dict = {}
        for epoch in range(self._take_resume_epoch(args.initial_epoch), args.epochs):
            logs = self._run_epoch(epoch, batches, cbs, raise_on_nan)
            if val is not None and _should_validate(epoch, args.validation_freq):
                logs.update(self._validation_logs(val, args, cbs))
            cbs.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        cbs.call("on_train_end", logs)  # not reached when training fails
        return self.history

    def _split_validation(self, x, y, validation_split, validation_data):
        """``((x, y), validation)``: ``validation_data``, or the last ``validation_split``."""
        if validation_data is not None:
            return (x, y), self._prepare_xy(*_check_validation_data(validation_data))
        if not validation_split:
            return (x, y), None
        split = int(math.floor(len(x) * (1.0 - validation_split)))
        if split == 0 or split == len(x):
            raise ValueError(
                f"validation_split={validation_split} leaves no samples for "
                f"{'training' if split == 0 else 'validation'} out of {len(x)}."
            )
        return (x[:split], y[:split]), (x[split:], y[split:])

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
        self._resume_epoch = _non_negative_int("epoch", epoch)

    def _take_resume_epoch(self, initial_epoch: int) -> int:
        epoch, self._resume_epoch = self._resume_epoch, None
        return initial_epoch if epoch is None else epoch

    def _run_epoch(self, epoch: int, batches: _Batches, cbs: CallbackList, raise_on_nan) -> dict:
        """One pass over the training batches; returns the epoch's logs."""
        self.reset_metrics()
        cbs.call("on_epoch_begin", epoch, None)
        # looked up once: per-step overhead matters for small models (hundreds of steps)
        train_step = self.train_step
        begin, end = cbs.wants("on_train_batch_begin"), cbs.wants("on_train_batch_end")
        logs = {}
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
        return self._final_logs(logs)

    def _final_logs(self, logs) -> dict:
        """The metrics' values, or the last step's logs if an overridden step logs others
        (Keras's rule)."""
        results = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) != set(results):
            results = logs
        return {name: _plain(value) for name, value in sorted(results.items())}

    def _validation_logs(self, val, args: _FitArgs, cbs: CallbackList) -> dict:
        steps = _count_steps(len(val[0]), args.validation_batch_size, args.validation_steps)
        logs = self._evaluate_batches(val, args.validation_batch_size, steps, cbs)
        return {f"val_{name}": value for name, value in logs.items()}

    # ---------------------------------------------------------------- evaluation
    def _evaluate_batches(self, data: tuple, batch_size: int, steps: int, cbs) -> dict:
        self.reset_metrics()
        cbs.call("on_test_begin", None)
        test_step = self.test_step
        begin, end = cbs.wants("on_test_batch_begin"), cbs.wants("on_test_batch_end")
        logs = {}
        with no_grad():
            for step, batch in enumerate(_slices(data, batch_size, steps)):
                if begin:
                    cbs.call("on_test_batch_begin", step, None)
                logs = test_step(batch)
                if end:
                    cbs.call("on_test_batch_end", step, logs)
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

        ``steps`` limits the evaluation to that many batches.

        Returns
        -------
        float or list of float
            The loss alone when compiled without metrics, else ``[loss, *metrics]``
            (a dict with ``return_dict=True``).
        """
        self._require_compiled("evaluate")
        if sample_weight is not None:
            raise NotImplementedError("sample_weight is not supported yet.")
        batch_size = _positive_int("batch_size", batch_size, default=32)
        verbose = _verbosity(verbose)
        steps = _optional_positive_int("steps", steps)
        x, y = self._prepare_xy(x, y)
        steps = _count_steps(len(x), batch_size, steps)
        cbs = self._make_callbacks(callbacks, verbose, steps=steps)
        logs = self._evaluate_batches((x, y), batch_size, steps, cbs)
        return logs if return_dict else self._flatten_logs(logs)

    def _flatten_logs(self, logs: dict):
        """Keras's order: the metrics' names first, then any other key; one value alone."""
        names = [n for n in self.metrics_names if n in logs]
        values = [logs[n] for n in names] + [v for k, v in logs.items() if k not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as a NumPy array, computed in batches of ``batch_size``.

        ``steps`` limits the prediction to that many batches.
        """
        batch_size = _positive_int("batch_size", batch_size, default=32)
        verbose = _verbosity(verbose)
        steps = _optional_positive_int("steps", steps)
        x = self._prepare_x(x)
        plain = type(self).predict_step is Model.predict_step and steps is None
        if plain and len(x) <= batch_size and not verbose and not callbacks:
            with no_grad():  # one batch, nothing to report: skip the loop's machinery
                return self.call(Tensor._from_op(x, None), training=False).data
        steps = _count_steps(len(x), batch_size, steps)
        cbs = self._make_callbacks(callbacks, verbose, steps=steps)
        return self._predict_batches(x, batch_size, steps, cbs)

    def _predict_batches(self, x, batch_size: int, steps: int, cbs) -> np.ndarray:
        cbs.call("on_predict_begin", None)
        predict_step = self.predict_step
        begin, end = cbs.wants("on_predict_batch_begin"), cbs.wants("on_predict_batch_end")
        outputs = []
        with no_grad():
            for step, batch in enumerate(_slices((x,), batch_size, steps)):
                if begin:
                    cbs.call("on_predict_batch_begin", step, None)
                out = predict_step(batch)
                outputs.append(out.data if isinstance(out, Tensor) else np.asarray(out))
                if end:
                    cbs.call("on_predict_batch_end", step, {"outputs": outputs[-1]})
        cbs.call("on_predict_end", None)
        return np.concatenate(outputs, axis=0)

    def predict_on_batch(self, x) -> np.ndarray:
        """Outputs for ``x`` computed as one batch."""
        return self.predict(x, batch_size=max(len(np.asarray(x)), 1), verbose=0)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on exactly this batch; returns the loss (and metrics).

        The metrics are reset first, so the values are this batch's, as in Keras.
        """
        self._require_compiled("train_on_batch")
        if class_weight is not None:
            raise NotImplementedError("class_weight is not supported yet.")
        x, y = self._prepare_xy(x, y)
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
        x, y = self._prepare_xy(x, y)
        self.reset_metrics()
        with no_grad():
            logs = dict(sorted(self.test_step((x, y, sample_weight)).items()))
        return logs if return_dict else self._flatten_logs(logs)

    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        else:
            inputs = kwargs.pop("inputs", None)
        if type(inputs) is not Tensor and not has_symbolic(inputs):
            inputs = as_input_structure(inputs)
            if not isinstance(inputs, Tensor) or inputs.ndim:
                self._check_input(inputs)
        return super().__call__(inputs, *args, **kwargs)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model from its config; a functional config (``keras.Model(...).get_config()``)
        makes a functional model, as ``keras.Model.from_config`` does."""
        if cls is Model and isinstance(config, dict) and "input_layers" in config:
            from neuroflow.models.functional import Functional

            return Functional.from_config(config)
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
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' has not been built yet, so its summary cannot be shown. "
                "Give the first layer an input shape (e.g. input_shape=(784,) or keras.Input) "
                "or call the model on data first."
            )
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
