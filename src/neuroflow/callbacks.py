"""Training callbacks: History, progress bar, EarlyStopping, LambdaCallback, TerminateOnNaN.

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

import json
import math
import os
import warnings

from neuroflow.utils.files import atomic_write_bytes
from neuroflow.utils.progbar import Progbar

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip
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
        logs = dict(sorted(logs.items())) if logs else {}
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
    "ModelCheckpoint",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "ProgbarLogger",
    "TerminateOnNaN",
]


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after each epoch, atomically.

    Parameters
    ----------
    filepath : str
        May hold ``{epoch}`` and any logged value, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.nf"``.
    monitor : str, default "val_loss"
    save_best_only : bool, default False
        Only save when ``monitor`` improves (the file is then usually overwritten).
    save_weights_only : bool, default False
    mode : {"auto", "min", "max"}
    initial_value_threshold : float, optional
        A value the monitored metric must beat before the first save.

    A file is written to a temporary name and renamed into place, so a crash during a save
    leaves the previous checkpoint readable.
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
        if save_freq != "epoch":
            raise NotImplementedError("ModelCheckpoint saves once per epoch (save_freq='epoch').")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Expected `mode` in auto, min, max. Received: mode={mode!r}")
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        maximize = mode == "max" or (
            mode == "auto" and "acc" in monitor and not monitor.endswith("loss")
        )
        self._sign = 1.0 if maximize else -1.0
        self.best = initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available, skipping.",
                    stacklevel=2,
                )
                return
            if self.best is not None and not self._sign * (current - self.best) > 0:
                return
            self.best = current
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


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
