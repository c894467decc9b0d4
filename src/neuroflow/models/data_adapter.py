"""Turning what ``fit``/``evaluate``/``predict`` are given into batches ``(x, y, sample_weight)``.

Keras 3 accepts arrays (one, or a list/dict of them for several inputs or outputs), Python
generators, :class:`PyDataset` objects (``keras.utils.Sequence`` in tf.keras) and datasets
(anything iterable that yields batches). Each becomes a *handler* whose :meth:`epoch` yields
one epoch's batches; the rules are Keras 3's:

- arrays are cut into ``batch_size`` batches, shuffled every pass when ``shuffle`` is set;
- a :class:`PyDataset` gives its batches by index, in shuffled index order when ``shuffle``
  is set (as Keras 3 does), and its ``on_epoch_end`` is called after every epoch;
- a generator or dataset yields its own batches (``shuffle`` does not apply);
- with ``steps_per_epoch`` an epoch takes that many batches and the next epoch continues where
  it stopped. Arrays and PyDatasets know their length: when a pass ends before the epoch's
  steps, the epoch ends early with a warning and the next epoch starts a new pass (Keras 3's
  ``EpochIterator``). A generator that runs dry ends the epoch and the training, with a warning
  ("Your input ran out of data").
"""

from __future__ import annotations

import math
import types
import warnings

import numpy as np

from neuroflow import backend
from neuroflow.data.dataset import Dataset
from neuroflow.tensor import Tensor

__all__ = ["PyDataset", "Sequence", "check_batch", "is_batch_source", "map_structure_arrays"]


class PyDataset:
    """Base class for a dataset that gives its batches by index, as Keras 3's ``PyDataset``.

    Define ``__len__`` (the number of batches) and ``__getitem__(index)`` returning a batch
    ``(x, y)`` or ``(x, y, sample_weight)`` (``(x,)`` or ``x`` for ``predict``).
    ``on_epoch_end`` is called after every epoch of ``fit`` (and after ``evaluate``/``predict``),
    the place to reshuffle. ``fit(shuffle=True)`` (the default) visits the indices in a new
    random order every epoch, as Keras 3 does.

    Parameters
    ----------
    workers, use_multiprocessing, max_queue_size
        Keras's parallel-loading options, accepted for compatibility: batches are loaded one
        after the other, in the training process.

    Examples
    --------
    >>> import numpy as np
    >>> class Halves(PyDataset):
    ...     def __init__(self, x, y, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y = x, y
    ...     def __len__(self):
    ...         return 2
    ...     def __getitem__(self, index):
    ...         rows = slice(index * 2, index * 2 + 2)
    ...         return self.x[rows], self.y[rows]
    >>> data = Halves(np.zeros((4, 3)), np.ones(4))
    >>> len(data), data[1][0].shape, data.num_batches
    (2, (2, 3), 2)
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    # tf.keras's Sequence subclasses often skip super().__init__(): read with defaults
    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__().")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or None when it is not defined."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self):
        """Called before every epoch."""

    def on_epoch_end(self):
        """Called after every epoch (reshuffle here)."""


Sequence = PyDataset  # tf.keras 2's name (keras.utils.Sequence)


# ------------------------------------------------------------------------ batches
def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def _num_rows(value):
    """The batch size of an array or of a list/dict of arrays (the first one's)."""
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)) and all(
        hasattr(v, "shape") or v is None for v in _flat(value)
    ):
        value = first_array(value)
    shape = getattr(value, "shape", None)
    if shape is None:
        shape = np.shape(value)
    return shape[0] if shape else None


def check_batch(batch, source: str, targets: bool):
    """``(x, y, sample_weight)`` from one batch of a generator, dataset or PyDataset.

    Raises ValueError naming what was received for anything but a tuple ``(x,)``, ``(x, y)``
    or ``(x, y, sample_weight)`` whose parts have the same number of samples; with
    ``targets=False`` (``predict``) a bare ``x`` is accepted too.
    """
    if isinstance(batch, list) and len(batch) in (2, 3) and targets:
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        if targets:
            raise ValueError(
                f"Expected each batch of the {source} to be a tuple (x, y) or "
                f"(x, y, sample_weight). Received {_describe(batch)}."
            )
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(
            f"Expected each batch of the {source} to be a tuple (x,), (x, y) or "
            f"(x, y, sample_weight). Received a tuple of length {len(batch)}."
        )
    x, y, sample_weight = batch + (None,) * (3 - len(batch))
    sizes = {"x": _num_rows(x), "y": _num_rows(y), "sample_weight": _num_rows(sample_weight)}
    known = {k: v for k, v in sizes.items() if v is not None}
    if len(set(known.values())) > 1:
        raise ValueError(
            f"Expected the parts of each batch of the {source} to have the same number of "
            f"samples. Received sizes {known}."
        )
    return x, y, sample_weight


def is_batch_source(data) -> bool:
    """Whether ``data`` yields batches (a generator, iterator, dataset or PyDataset) rather
    than holding samples (an array, or a list/dict/tuple of arrays)."""
    if isinstance(data, PyDataset):
        return True
    if data is None or isinstance(data, (np.ndarray, Tensor, list, tuple, dict, str, bytes)):
        return False
    if hasattr(data, "__array__") or hasattr(data, "iloc"):  # array-likes, pandas
        return False
    return hasattr(data, "__iter__") or hasattr(data, "__next__")


def map_structure_arrays(fn, value):
    """``fn`` applied to every array of an array, list/tuple or dict (None kept)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: None if v is None else fn(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [None if v is None else fn(v) for v in value]
    return fn(value)


def _flat(value) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _take(value, idx):
    """Rows ``idx`` (a slice or index array) of an array or a list/dict of arrays."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: None if v is None else v[idx] for k, v in value.items()}
    if isinstance(value, list):
        return [None if v is None else v[idx] for v in value]
    return value[idx]


class _Handler:
    """One source of batches; ``epoch()`` yields the next epoch's batches and sets
    ``ran_dry`` when the data ended before the epoch's ``steps``."""

    steps: int | None = None

    def __init__(self):
        self.ran_dry = False  # a generator ended: no more data for later epochs
        self.cut_short = False  # a pass of known length ended before the epoch's steps
        self._iterator = None
        self._seen = 0

    def _continue_pass(self, one_pass, pass_steps: int):
        """The next ``self.steps`` batches of the current pass, as Keras's EpochIterator:
        the epoch ends early where the pass ends, and the next epoch starts a new pass."""
        self.cut_short = False
        if self._iterator is None:
            self._iterator, self._seen = one_pass(), 0
        for _ in range(self.steps):
            if self._seen >= pass_steps:
                self.cut_short = True
                break
            self._seen += 1
            yield next(self._iterator)
        if self._seen >= pass_steps:
            self._iterator = None

    def on_epoch_end(self) -> None:
        pass


class ArrayHandler(_Handler):
    """Batches of arrays (``x``, ``y`` and ``sample_weight`` may be lists or dicts)."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle=False, steps=None):
        super().__init__()
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rows = _num_rows(x)
        self.pass_steps = math.ceil(self.rows / batch_size)
        self.steps = self.pass_steps if steps is None else steps
        self.continuing = steps is not None

    def _one_pass(self):
        order = backend.rng().permutation(self.rows) if self.shuffle else None
        for step in range(self.pass_steps):
            lo, hi = step * self.batch_size, (step + 1) * self.batch_size
            idx = slice(lo, hi) if order is None else order[lo:hi]
            yield _take(self.x, idx), _take(self.y, idx), _take(self.sample_weight, idx)

    def epoch(self):
        if not self.continuing:
            yield from self._one_pass()
            return
        yield from self._continue_pass(self._one_pass, self.pass_steps)


def _take_steps(handler: _Handler, iterator, steps):
    """Up to ``steps`` batches from ``iterator`` (all of them when ``steps`` is None);
    marks ``handler.ran_dry`` when fewer came (none at all, for ``steps=None``)."""
    count = 0
    while steps is None or count < steps:
        try:
            batch = next(iterator)
        except StopIteration:
            break
        count += 1
        yield batch
    if (steps is not None and count < steps) or (steps is None and count == 0):
        handler.ran_dry = True


class IteratorHandler(_Handler):
    """A generator, iterator or dataset yielding ready-made batches."""

    def __init__(self, data, steps, source, targets, cache=False):
        super().__init__()
        self.data, self.steps, self.source, self.targets = data, steps, source, targets
        # an iterator is consumed once; a dataset (iterable but not an iterator) starts
        # afresh every epoch unless steps_per_epoch asks to continue
        self.one_shot = hasattr(data, "__next__") or isinstance(data, types.GeneratorType)
        self.restart = not self.one_shot and steps is None
        self.cache = [] if cache and self.one_shot and steps is None else None
        if self.restart and isinstance(data, Dataset) and data._cardinality() > 0:
            self.steps = data._cardinality()  # Keras shows a dataset's length in the progress bar

    def _batches(self):
        for batch in self._iterator:
            yield check_batch(batch, self.source, self.targets)

    def epoch(self):
        if self.cache:  # a one-shot validation generator: reuse its first pass every epoch
            yield from self.cache
            return
        if self._iterator is None or self.restart:
            self._iterator = iter(self.data)
        for batch in _take_steps(self, self._batches(), self.steps):
            if self.cache is not None:
                self.cache.append(batch)
            yield batch


class PyDatasetHandler(_Handler):
    """A :class:`PyDataset` (or any object with ``__len__`` and ``__getitem__`` that
    subclasses it), read by index."""

    def __init__(self, data, steps, shuffle, source, targets):
        super().__init__()
        self.data, self.shuffle, self.source, self.targets = data, shuffle, source, targets
        self.length = len(data)
        self.steps = self.length if steps is None else steps
        self.continuing = steps is not None

    def _one_pass(self):
        order = backend.rng().permutation(self.length) if self.shuffle else range(self.length)
        for index in order:
            yield check_batch(self.data[int(index)], self.source, self.targets)

    def epoch(self):
        if hasattr(self.data, "on_epoch_begin"):
            self.data.on_epoch_begin()
        if not self.continuing:
            yield from _take_steps(self, self._one_pass(), None)
            return
        yield from self._continue_pass(self._one_pass, self.length)

    def on_epoch_end(self) -> None:
        self.data.on_epoch_end()


def batch_handler(data, steps, shuffle, source: str, targets: bool, cache=False) -> _Handler:
    """The handler for a generator, dataset or :class:`PyDataset` ``data``."""
    if isinstance(data, PyDataset):
        return PyDatasetHandler(data, steps, shuffle, source, targets)
    return IteratorHandler(data, steps, source, targets, cache=cache)


def warn_cut_short(steps: int, done: int) -> None:
    """Keras's warning when arrays or a PyDataset have fewer batches left than the epoch's
    ``steps_per_epoch``: the epoch ends early and the next starts a new pass."""
    warnings.warn(
        f"Your input ran out of data: this epoch got {done} of its steps_per_epoch={steps} "
        "batches before the data's pass ended; the next epoch starts a new pass. Make "
        "steps_per_epoch at most the number of batches per pass to use full epochs.",
        UserWarning,
        stacklevel=3,
    )


def warn_ran_dry(what: str, steps, done: int) -> None:
    """Keras's warning when the data ends before the requested steps, saying what to do."""
    wanted = f"{steps} steps" if steps is not None else "another epoch"
    warnings.warn(
        f"Your input ran out of data: {what} stopped after {done} batch(es) of this epoch, "
        f"where {wanted} were asked for. Make sure the generator or dataset can yield at "
        "least `steps_per_epoch * epochs` batches (loop over the data in the generator, or "
        "leave `steps_per_epoch` unset for a generator that can be restarted).",
        UserWarning,
        stacklevel=3,
    )


def first_array(value):
    """The first array of an array or a list/dict of arrays (for the batch size)."""
    flat = [v for v in _flat(value) if v is not None]  # an output may have no targets
    return flat[0] if flat else None
