"""Training callbacks: History, progress bar, EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, CSVLogger, ModelCheckpoint, BackupAndRestore, LambdaCallback,
TerminateOnNaN.

Hooks follow Keras 3: ``on_train_begin/end``, ``on_epoch_begin/end``,
``on_train_batch_begin/end``, ``on_test_begin/end``, ``on_test_batch_begin/end``,
``on_predict_begin/end``, ``on_predict_batch_begin/end``. Every hook receives a ``logs``
dict (empty where there is nothing to report): the running loss and metrics at the end of
a train or test batch, the epoch's values (``val_`` ones included) at its end, and
``{"outputs": array}`` at the end of a predict batch.

What a callback may use of its model (``self.model``) is public and documented on
:class:`~neuroflow.models.Model`: ``stop_training``, ``get_weights``/``set_weights``,
``save``/``save_weights``, ``optimizer``, ``trainable_weights`` and ``resume_from_epoch``.
"""

from __future__ import annotations

import collections.abc
import csv
import json
import math
import os
import warnings

import numpy as np

from neuroflow.utils.files import atomic_write_bytes
from neuroflow.utils.progbar import Progbar

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip
_BATCH_HOOKS = frozenset(hook for hook in _HOOKS if "_batch_" in hook)
# tf.keras 2's names for the training-batch hooks: Keras 3 still calls them from the base
# class's on_train_batch_begin/end, so a callback that overrides those does not get them
_LEGACY = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class Callback:
    """Base class; override the hooks you need.

    ``self.model`` is the model being trained, evaluated or asked for predictions, and
    ``self.params`` holds ``verbose``, ``steps`` (batches per epoch) and, in ``fit``,
    ``epochs``.

    Examples
    --------
    >>> class Losses(Callback):
    ...     def on_train_batch_end(self, batch, logs=None):
    ...         print(batch, sorted(logs))
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params


def _noop(self, *args, **kwargs):
    return None


for _hook in (*_HOOKS, *_LEGACY.values()):
    setattr(Callback, _hook, _noop)


def _defines(callback, hook: str) -> bool:
    fn = getattr(callback, hook)
    return getattr(fn, "__func__", fn) is not _noop


def _bound_hook(callback, hook: str):
    """The method ``hook`` calls on ``callback``, or None when it does nothing."""
    if _defines(callback, hook):
        return getattr(callback, hook)
    legacy = _LEGACY.get(hook)
    if legacy is not None and _defines(callback, legacy):
        return getattr(callback, legacy)
    return None


class CallbackList:
    """Dispatches each hook to the callbacks that define it (others cost nothing)."""

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "Expected `callbacks` to hold Callback instances. "
                    f"Received: {cb!r} of type {type(cb).__name__}."
                )
            cb.set_model(model)
            cb.set_params(params)
        self._bound = {
            hook: [fn for fn in (_bound_hook(cb, hook) for cb in self.callbacks) if fn]
            for hook in _HOOKS
        }

    def wants(self, hook: str) -> bool:
        """Whether any callback defines ``hook`` (so the caller may skip building logs)."""
        return bool(self._bound[hook])

    def call(self, hook: str, *args) -> None:
        """Calls ``hook(*args)`` on each callback defining it; the last of ``args`` is the
        logs, passed as a dict with sorted keys (Keras's order), ``{}`` for None."""
        fns = self._bound[hook]
        if not fns:
            return
        *head, logs = args
        # one dict for every callback, as in Keras: what one adds (ReduceLROnPlateau's
        # "learning_rate") is seen by the next, History included
        logs = dict(sorted(logs.items())) if logs else {}
        if hook in _BATCH_HOOKS:  # Keras passes a batch hook's logs by keyword
            for fn in fns:
                fn(*head, logs=logs)
        else:
            for fn in fns:
                fn(*head, logs)


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is a list with one value an epoch."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self


class ProgbarLogger(Callback):
    """Prints Keras-style progress: ``Epoch 1/5`` and a bar per epoch (``verbose`` 1 or 2)."""

    def __init__(self, verbose: int = 1):
        super().__init__()
        self.verbose = verbose
        self.bar: Progbar | None = None
        self._in_fit = False  # validation inside fit shows no bar of its own, as in Keras

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def _new_bar(self, steps):
        self.bar = Progbar(steps, verbose=self.verbose, stateful_metrics=_ALL)

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        self._new_bar(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1, _items(logs), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.bar._seen, _items(logs), finalize=True)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self.bar.update(batch + 1, _items(logs), finalize=False)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self.bar.update(self.bar._seen, _items(logs), finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self.bar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        self.bar.update(self.bar._seen, finalize=True)


class _All:
    def __contains__(self, item):
        return True


_ALL = _All()  # every logged value is already a running mean: show it as given


def _items(logs):
    # CallbackList hands every hook its logs already in Keras's (sorted) order
    return list((logs or {}).items())


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
    min_delta : float, default 0
        Smallest change that counts as an improvement.
    patience : int, default 0
        Epochs without improvement before stopping.
    mode : {"auto", "min", "max"}
        "auto" maximizes names containing "acc", "auc", "precision", "recall"...
    baseline : float, optional
        Training stops if the monitored value does not beat it.
    restore_best_weights : bool, default False
        Put back the weights of the best epoch when training ends.
    start_from_epoch : int, default 0
        Warm-up epochs that are not monitored.
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0.0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Expected `mode` in auto, min, max. Received: mode={mode!r}")
        if patience < 0:
            raise ValueError(f"Expected `patience` >= 0. Received: patience={patience}")
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        maximize = mode == "max" or (
            mode == "auto"
            and any(word in monitor for word in ("acc", "auc", "precision", "recall", "f1"))
            and not monitor.endswith("loss")
        )
        self._sign = 1.0 if maximize else -1.0
        self.min_delta = abs(min_delta)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def _improved(self, current, reference) -> bool:
        if reference is None:
            return True
        return self._sign * (current - reference) > self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs or {})}",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda e, logs: ...)``."""

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        given = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for hook, fn in given.items():
            if hook not in _HOOKS and hook not in _LEGACY.values():
                raise TypeError(f"LambdaCallback got an unknown hook: {hook}.")
            if fn is not None:
                # an instance attribute shadows the class no-op, so CallbackList sees it
                setattr(self, hook, fn)


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss is NaN or infinite (the failing step is not applied)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",  # noqa: F822 (module __getattr__ below: it lives in neuroflow.tensorboard)
    "TerminateOnNaN",
]


def __getattr__(name):
    # TensorBoard lives in its own module (it writes with the optional tensorboardX)
    if name == "TensorBoard":
        from neuroflow.tensorboard import TensorBoard

        return TensorBoard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) every epoch or every ``save_freq`` batches.

    Parameters
    ----------
    filepath : str
        Where to save; may hold ``{epoch}``, ``{batch}`` (with an integer ``save_freq``)
        and any logged value, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.keras"``. Its
        extension picks the format, as in Keras: ``.keras`` or ``.h5`` for the whole model,
        ``.weights.h5`` with ``save_weights_only=True``; neuroflow's own ``.neuroflow``
        (or ``.nf``) works for both.
    monitor : str, default "val_loss"
    verbose : int, default 0
        1 prints a line per save (Keras's messages).
    save_best_only : bool, default False
        Only save when ``monitor`` improves (the file is then usually overwritten). If
        ``monitor`` is not logged, a warning is given and the model saved, as in Keras.
    save_weights_only : bool, default False
        ``model.save_weights(path)`` instead of ``model.save(path)``.
    mode : {"auto", "min", "max"}
        "auto" minimizes losses and maximizes accuracy, AUC, precision, recall and F1.
    save_freq : "epoch" or int, default "epoch"
        Save at the end of every epoch, or after every ``save_freq`` training batches
        (counted across epochs).
    initial_value_threshold : float, optional
        A value the monitored metric must beat before the first save.

    Each file is written to a temporary name and renamed into place by the model's
    ``save``, so a crash during a save leaves the previous checkpoint readable.

    Examples
    --------
    >>> checkpoint = ModelCheckpoint("ckpt-{epoch:02d}.keras", save_freq=100)
    >>> ModelCheckpoint("w.h5", save_weights_only=True)
    Traceback (most recent call last):
    ...
    ValueError: When using `save_weights_only=True` in `ModelCheckpoint`, the filepath ...
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__()
        _check_mode(mode)
        valid_freq = save_freq == "epoch" or (
            isinstance(save_freq, (int, np.integer))
            and not isinstance(save_freq, bool)
            and save_freq > 0
        )
        if not valid_freq:
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "integer values > 0."
            )
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        if save_weights_only:
            if not self.filepath.endswith((".weights.h5", *_NATIVE_EXTENSIONS)):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format) or "
                    f"`.neuroflow` (neuroflow's format). Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5", *_NATIVE_EXTENSIONS)):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format) or "
                f"`.neuroflow` (neuroflow's format). Received: filepath={self.filepath}"
            )
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self._maximize = _maximizes(monitor, mode)
        self.best = initial_value_threshold
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        if save_freq != "epoch":
            # only then is the batch hook defined, so fit builds no batch logs otherwise
            self.on_train_batch_end = self._save_on_batch

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs or {})

    def _save_on_batch(self, batch, logs=None):
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch: batches count from 0 again
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model(self._current_epoch, batch, logs or {})

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if _is_improvement(current, self.best, 0.0, self._maximize):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                path = self.filepath.format(epoch=epoch + 1, **logs)
            else:
                path = self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from None
        if not self._should_save(epoch, logs, path):
            return
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")


class BackupAndRestore(Callback):
    """Backs training up at the end of every epoch and resumes from the backup.

    If training is interrupted (a crash, a killed process), calling ``fit`` again with
    the same callback restores weights, optimizer state and the epoch counter from
    ``backup_dir`` and continues where it stopped. The backup is removed when training
    ends normally (``delete_checkpoint=True``).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if save_freq != "epoch":
            raise NotImplementedError("BackupAndRestore backs up once per epoch.")
        self.backup_dir = str(backup_dir)
        self.delete_checkpoint = delete_checkpoint
        self._backup = os.path.join(self.backup_dir, "backup.neuroflow")
        self._epoch_file = os.path.join(self.backup_dir, "epoch.json")

    def on_train_begin(self, logs=None):
        if not (os.path.exists(self._backup) and os.path.exists(self._epoch_file)):
            return
        from neuroflow.io import native

        restored = native.load_model(self._backup)
        self.model.set_weights(restored.get_weights())
        variables = self.model.trainable_weights
        self.model.optimizer.set_state(
            variables, restored.optimizer.get_state(restored.trainable_weights)
        )
        with open(self._epoch_file) as f:
            self.model.resume_from_epoch(int(json.load(f)["next_epoch"]))

    def on_epoch_end(self, epoch, logs=None):
        self.model.save(self._backup)  # atomic; then the counter, also atomic
        atomic_write_bytes(self._epoch_file, json.dumps({"next_epoch": epoch + 1}).encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:  # only called when training ends without an error
            for path in (self._backup, self._epoch_file):
                if os.path.exists(path):
                    os.remove(path)


# ---------------------------------------------------------------- monitoring helpers
# neuroflow's own format, accepted by ModelCheckpoint beside Keras's names
_NATIVE_EXTENSIONS = (".neuroflow", ".nf")


def _check_mode(mode) -> None:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Expected `mode` in auto, min, max. Received: mode={mode!r}")


def _maximizes(monitor: str, mode: str) -> bool:
    """Whether a larger ``monitor`` is better: Keras's "auto" minimizes losses and
    maximizes the metrics whose direction is up (accuracy, AUC, precision, recall, F1)."""
    if mode != "auto":
        return mode == "max"
    name = monitor.removeprefix("val_")
    if name.endswith("loss"):
        return False
    return any(word in name for word in ("acc", "auc", "precision", "recall", "f1"))


def _is_improvement(current, reference, min_delta: float, maximize: bool) -> bool:
    """Keras's test, ``current`` shifted by ``min_delta`` against ``reference``; Keras
    compares float32 tensors, so the comparison is made in float32 here too."""
    if reference is None:
        return True
    if maximize:
        return bool(np.float32(current - min_delta) > np.float32(reference))
    return bool(np.float32(current + min_delta) < np.float32(reference))


def _current_lr(optimizer) -> float:
    """The optimizer's learning rate as Keras reads it: from a float32 variable."""
    return float(np.float32(optimizer.learning_rate))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` has stopped improving.

    Every epoch it also logs the optimizer's learning rate (before any reduction) as
    ``logs["learning_rate"]``, so it appears in the history, as in Keras 3.

    Parameters
    ----------
    monitor : str, default "val_loss"
    factor : float, default 0.1
        ``new_lr = lr * factor``; must be < 1.
    patience : int, default 10
        Epochs without improvement before the rate is reduced.
    verbose : int, default 0
        1 prints a line at each reduction.
    mode : {"auto", "min", "max"}
    min_delta : float, default 1e-4
        Smallest change that counts as an improvement.
    cooldown : int, default 0
        Epochs to wait after a reduction before counting epochs without improvement again.
    min_lr : float, default 0
        The rate is never reduced below it.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import layers, models, optimizers
    >>> model = models.Sequential([layers.Input((1,)), layers.Dense(1)])
    >>> model.compile(optimizers.SGD(0.1), "mse")
    >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)
    >>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=3, verbose=0,
    ...                     callbacks=[reduce])
    >>> history.history["learning_rate"]  # the rate each epoch ran with
    [0.10000000149011612, 0.10000000149011612, 0.05000000074505806]

    The first epoch sets the best loss; the second does not improve it by 10, so the
    rate is halved at its end.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        _check_mode(mode)
        if "epsilon" in kwargs:  # tf.keras 2's old name for min_delta, accepted as it did
            warnings.warn(
                "`epsilon` argument is deprecated, use `min_delta` instead.", stacklevel=2
            )
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(
                f"ReduceLROnPlateau got unexpected keyword argument(s): {', '.join(kwargs)}."
            )
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.verbose, self.mode, self.min_delta = verbose, mode, abs(min_delta)
        self.cooldown, self.min_lr = cooldown, min_lr
        self._maximize = _maximizes(monitor, mode)
        self._reset()

    def _reset(self) -> None:
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs["learning_rate"] = _current_lr(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if _is_improvement(current, self.best, self.min_delta, self._maximize):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(self.model.optimizer, epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, optimizer, epoch) -> bool:
        old_lr = _current_lr(optimizer)
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch to ``schedule(epoch, lr)``.

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> float`` (``epoch`` counting from 0, ``lr`` the current
        rate), or ``schedule(epoch) -> float``; it must return a float, as in Keras.
    verbose : int, default 0
        1 prints the rate set at each epoch.

    The rate in use is logged as ``logs["learning_rate"]`` at each epoch's end.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroflow import layers, models, optimizers
    >>> model = models.Sequential([layers.Input((1,)), layers.Dense(1)])
    >>> model.compile(optimizers.SGD(0.1), "mse")
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    >>> history = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=3, verbose=0,
    ...                     callbacks=[halve])
    >>> history.history["learning_rate"]
    [0.10000000149011612, 0.05000000074505806, 0.02500000037252903]
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "Expected `schedule` to be a function of (epoch, lr) or (epoch). "
                f"Received: schedule={schedule!r} of type {type(schedule).__name__}."
            )
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:  # Keras 3's form first, then the one-argument form of older code
            learning_rate = self.schedule(epoch, _current_lr(optimizer))
        except TypeError:
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _current_lr(self.model.optimizer)


class CSVLogger(Callback):
    """Streams the epoch results to a CSV file, in Keras's format.

    The header is ``epoch`` then the logged names, sorted (the ``val_`` names are added
    with "NA" values when there is no validation, as Keras does); a row per epoch, the
    file flushed after each, so an interrupted run keeps every finished epoch.

    Parameters
    ----------
    filename : str or path
    separator : str, default ","
    append : bool, default False
        Append to an existing file (no second header) instead of overwriting it.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from neuroflow import layers, models
    >>> model = models.Sequential([layers.Input((1,)), layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=2, verbose=0,
    ...               callbacks=[CSVLogger(path)])
    >>> open(path).readline()
    'epoch,loss,val_loss\\n'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        # newline="" leaves the line ends to the csv writer (\r\n, Keras's excel dialect)
        self.csv_file = open(self.filename, mode, newline="")
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if not self.writer:
            dialect = type("_Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    # Keras writes a logged sequence (not a string, not a 0-d array) as "[a, b, ...]"
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value
