"""``Model``: a layer that can be compiled, trained, evaluated and asked for predictions."""

from __future__ import annotations

import math
import os

import numpy as np

from neuroflow import backend, losses, ops, optimizers
from neuroflow import metrics as metrics_module
from neuroflow.callbacks import CallbackList, History, ProgbarLogger, TerminateOnNaN
from neuroflow.layers.base import Layer, as_input_tensor
from neuroflow.models.summary import format_shape, print_summary
from neuroflow.tensor import Tensor, no_grad


def _positive_int(name: str, value, default=None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Expected `{name}` to be a positive integer. Received: {name}={value!r}")
    return int(value)


def _verbosity(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(
            f"Expected `verbose` to be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}"
        )
    return int(verbose)


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


def _check_overwrite(filepath, overwrite: bool) -> None:
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False.")


class _BatchGather:
    """Copies shuffled rows into reused buffers instead of allocating every batch.

    A batch is only read during its own step (the tape is freed before the next), so
    one buffer per batch size is safe.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y
        self.buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def gather(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    :class:`~neuroflow.models.Sequential`.
    """

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise NotImplementedError(
                "The functional API, Model(inputs, outputs), is not supported yet; "
                "use Sequential or subclass Model."
            )
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_ids: list = []
        self._metrics: list = []
        self._in_fit = False

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
    def metrics_names(self) -> list[str]:
        return ["loss"] + [m.name for m in self._metrics]

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

    @property
    def input_shape(self):
        return self._build_shape or self.input_shape_hint

    @property
    def output_shape(self):
        shape = self.input_shape
        return None if shape is None else self.compute_output_shape(shape)

    def _check_input(self, x: np.ndarray) -> None:
        expected = self.input_shape
        if expected is None:
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
        backend.keep_freed_memory()
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
        if not self._metrics and self._metric_ids:
            self._metrics = [
                metrics_module.get(m, y.shape, out_shape, self.loss) for m in self._metric_ids
            ]
        return x, y

    # ------------------------------------------------------------------ training
    def train_step(self, x: np.ndarray, y: np.ndarray, variables) -> tuple[float, np.ndarray]:
        """One gradient step on a batch; returns the loss and the predictions."""
        out = self(x, training=True)
        loss = ops.mean(self.loss.call(y, out))
        penalties = self.losses if self._has_penalties else ()
        for penalty in penalties:
            loss = loss + penalty
        value = float(loss.data)
        if not math.isfinite(value):
            return value, out.data
        loss.backward()
        grads = [v.grad for v in variables]
        for v in variables:
            v.grad = None
        self.optimizer.apply(grads, variables)
        return value, out.data

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

        Returns
        -------
        History
            ``history.history`` maps ``loss``, each metric and their ``val_`` forms to
            per-epoch values.
        """
        self._require_compiled("fit")
        if class_weight is not None or sample_weight is not None:
            raise NotImplementedError("class_weight and sample_weight are not supported yet.")
        if steps_per_epoch is not None:
            raise NotImplementedError("steps_per_epoch is not supported for array data.")
        batch_size = _positive_int("batch_size", batch_size, default=32)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(
                f"Expected `epochs` to be an integer >= 0. Received: epochs={epochs!r}"
            )
        verbose = _verbosity(verbose)
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(
                "Expected `validation_split` to be a float in [0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        x, y = self._prepare_xy(x, y)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError(
                    "Expected `validation_data` to be a tuple (x_val, y_val). "
                    f"Received: {type(validation_data).__name__} of length "
                    f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}"
                )
            if len(validation_data) == 3 and validation_data[2] is not None:
                raise NotImplementedError("Validation sample weights are not supported yet.")
            val = self._prepare_xy(validation_data[0], validation_data[1])
        elif validation_split:
            split = int(math.floor(len(x) * (1.0 - validation_split)))
            if split == 0 or split == len(x):
                raise ValueError(
                    f"validation_split={validation_split} leaves no samples for "
                    f"{'training' if split == 0 else 'validation'} out of {len(x)}."
                )
            x, y, val = x[:split], y[:split], (x[split:], y[split:])
        val_batch = _positive_int(
            "validation_batch_size", validation_batch_size, default=batch_size
        )

        n = len(x)
        steps = math.ceil(n / batch_size)
        history = History()
        user = list(callbacks or [])
        stop_on_nan = any(isinstance(cb, TerminateOnNaN) for cb in user)
        cbs = self._callbacks(verbose, [*user, history], {"epochs": epochs, "steps": steps})
        variables = self.trainable_weights
        self.optimizer.build(variables)
        self._has_penalties = bool(self.losses)
        self.stop_training = False
        self._in_fit = True
        loss_tracker = metrics_module.Mean("loss")
        batches = _BatchGather(x, y)
        logs: dict = {}
        self._resume_epoch = None
        try:
            cbs.call("on_train_begin", None)
            if self._resume_epoch is not None:  # set by BackupAndRestore
                initial_epoch = self._resume_epoch
            for epoch in range(initial_epoch, epochs):
                loss_tracker.reset_state()
                for m in self._metrics:
                    m.reset_state()
                cbs.call("on_epoch_begin", epoch, None)
                order = backend.rng().permutation(n) if shuffle else None
                for step in range(steps):
                    lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                    if order is None:
                        xb, yb = x[lo:hi], y[lo:hi]
                    else:
                        xb, yb = batches.gather(order[lo:hi])
                    if cbs.wants("on_train_batch_begin"):
                        cbs.call("on_train_batch_begin", step, None)
                    value, out = self.train_step(xb, yb, variables)
                    if not math.isfinite(value):
                        if stop_on_nan:
                            cbs.call("on_train_batch_end", step, {"loss": value})
                            break
                        raise FloatingPointError(
                            f"The loss became {value} at epoch {epoch + 1}, batch {step + 1}; "
                            "training stopped before applying that step, so the weights are "
                            "still finite. Common causes: a learning rate that is too high, "
                            "unscaled inputs, or NaN/inf in the data."
                        )
                    loss_tracker.total += value * (hi - lo)
                    loss_tracker.count += hi - lo
                    for m in self._metrics:
                        m.update_state(yb, out)
                    if cbs.wants("on_train_batch_end"):
                        cbs.call("on_train_batch_end", step, self._logs(loss_tracker))
                    if self.stop_training:
                        break
                logs = self._logs(loss_tracker)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(val[0], val[1], val_batch, cbs)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
            cbs.call("on_train_end", logs)  # not reached when training fails
        finally:
            self._in_fit = False
        return history

    def _callbacks(self, verbose: int, callbacks, params: dict) -> CallbackList:
        """The user's callbacks, after a progress bar when ``verbose`` asks for one."""
        progress = [ProgbarLogger(verbose)] if verbose else []
        return CallbackList(progress + list(callbacks or []), self, {"verbose": verbose, **params})

    def _logs(self, loss_tracker) -> dict:
        logs = {m.name: float(m.result()) for m in self._metrics}
        logs["loss"] = float(loss_tracker.result())
        return dict(sorted(logs.items()))

    # ---------------------------------------------------------------- evaluation
    def _evaluate_arrays(self, x, y, batch_size, cbs) -> dict:
        loss_tracker = metrics_module.Mean("loss")
        for m in self._metrics:
            m.reset_state()
        n = len(x)
        cbs.call("on_test_begin", None)
        with no_grad():
            for step in range(math.ceil(n / batch_size)):
                lo, hi = step * batch_size, min((step + 1) * batch_size, n)
                out = self(x[lo:hi], training=False)
                per_sample = self.loss.call(y[lo:hi], out).data
                loss_tracker.total += float(per_sample.sum())
                loss_tracker.count += per_sample.size
                for m in self._metrics:
                    m.update_state(y[lo:hi], out.data)
                if cbs.wants("on_test_batch_end"):
                    cbs.call("on_test_batch_end", step, self._logs(loss_tracker))
        # penalties are part of the loss Keras reports, in evaluation too
        with no_grad():
            penalty = sum(float(p.data) for p in self.losses)
        loss_tracker.total += penalty * loss_tracker.count
        logs = self._logs(loss_tracker)
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
        x, y = self._prepare_xy(x, y)
        steps_total = math.ceil(len(x) / batch_size)
        cbs = self._callbacks(verbose, callbacks, {"steps": steps_total})
        logs = self._evaluate_arrays(x, y, batch_size, cbs)
        if return_dict:
            return logs
        values = [logs["loss"]] + [logs[m.name] for m in self._metrics]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as a NumPy array, computed in batches of ``batch_size``."""
        batch_size = _positive_int("batch_size", batch_size, default=32)
        verbose = _verbosity(verbose)
        x = self._prepare_x(x)
        n = len(x)
        with no_grad():
            if n <= batch_size and not verbose and not callbacks:
                return self.call(Tensor._from_op(x, None), training=False).data
            steps_total = math.ceil(n / batch_size)
            cbs = self._callbacks(verbose, callbacks, {"steps": steps_total})
            cbs.call("on_predict_begin", None)
            outputs = []
            for step in range(steps_total):
                outputs.append(
                    self.call(
                        Tensor._from_op(x[step * batch_size : (step + 1) * batch_size], None)
                    ).data
                )
                if cbs.wants("on_predict_batch_end"):
                    cbs.call("on_predict_batch_end", step, None)
            cbs.call("on_predict_end", None)
        return np.concatenate(outputs, axis=0)

    def predict_on_batch(self, x) -> np.ndarray:
        return self.predict(x, batch_size=max(len(np.asarray(x)), 1), verbose=0)

    def train_on_batch(self, x, y):
        """One gradient step on exactly this batch; returns the loss (and metrics)."""
        self._require_compiled("train_on_batch")
        x, y = self._prepare_xy(x, y)
        variables = self.trainable_weights
        self._has_penalties = bool(self.losses)
        value, out = self.train_step(x, y, variables)
        if not math.isfinite(value):
            raise FloatingPointError(f"The loss became {value}; the step was not applied.")
        results = [value]
        for m in self._metrics:
            m.reset_state()
            m.update_state(y, out)
            results.append(float(m.result()))
        return results[0] if len(results) == 1 else results

    def test_on_batch(self, x, y):
        return self.evaluate(x, y, batch_size=max(len(np.asarray(x)), 1), verbose=0)

    def __call__(self, inputs, training: bool = False) -> Tensor:
        if not isinstance(inputs, Tensor):
            inputs = as_input_tensor(inputs)
            if inputs.ndim:
                self._check_input(inputs.data)
        return super().__call__(inputs, training=training)

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
        """Prints Keras's table of layers, output shapes and parameter counts."""
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' has not been built yet, so its summary cannot be shown. "
                "Give the first layer an input shape (e.g. input_shape=(784,) or keras.Input) "
                "or call the model on data first."
            )
        print_summary(self, line_length=line_length, print_fn=print_fn)

    # Saving lives in neuroflow.io (above models in the layering); these Keras methods only
    # forward to it, importing it when called.
    def save(self, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Saves architecture, weights, compile settings and optimizer state to one file
        (neuroflow's zip format, written atomically); read it with ``load_model``."""
        from neuroflow.io import native

        _check_overwrite(filepath, overwrite)
        native.save_model(self, filepath, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Saves the weights only (atomically); read them with ``load_weights``."""
        from neuroflow.io import native

        _check_overwrite(filepath, overwrite)
        native.save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        """Loads weights saved by ``save_weights`` or ``save`` into this (built) model."""
        from neuroflow.io import native

        native.load_weights(self, filepath)

    @property
    def layers(self) -> list[Layer]:
        return list(self._sublayers)
