"""``tf.data.Dataset`` in NumPy: the input pipelines courses build and hand to ``fit``.

A dataset is a chain of transformations over a source. Elements travel through the chain
as nests (tuples, dicts) of NumPy arrays and become Tensors only when the user iterates.
Everything runs in the calling thread, lazily, one element at a time, except where a
whole batch can be cut at once:

- **index path**: a source of rows (``from_tensor_slices``, ``range``) followed only by
  transformations that reorder or select rows (``shuffle``, ``take``, ``skip``,
  ``repeat``, ``cache``, ``prefetch``) streams row *numbers*; ``batch`` then gathers each
  batch from the source arrays with one fancy index per component, so an MNIST epoch of
  ``shuffle(60000).batch(32)`` costs about what slicing the arrays costs.
- **element path**: anything after ``map``, ``filter``, ``zip``... streams elements;
  ``batch`` stacks them.

``map`` and ``filter`` call the user's function once per element, eagerly (TensorFlow
traces it once into a graph instead): put ``map`` after ``batch`` to call it once per batch.
"""

from __future__ import annotations

import itertools
import math
from collections import abc

import numpy as np

from neuroflow import backend, dtypes
from neuroflow.data import structure as nest
from neuroflow.data.structure import TensorSpec
from neuroflow.errors import InvalidArgumentError, OutOfRangeError
from neuroflow.tensor import Tensor, constant

__all__ = [
    "AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "Iterator", "NumpyIterator",
    "UNKNOWN_CARDINALITY",
]  # fmt: skip

AUTOTUNE = -1  # "let the runtime choose": every buffer size is accepted and ignored
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

_probing = [False]  # True while element_spec runs a map function on a first element


class _Probe:
    """Within it, iterating a pipeline neither shuffles (no random draws, no epoch counted)
    nor fills a cache: ``element_spec`` looks at a first element without side effects."""

    def __enter__(self):
        self._previous, _probing[0] = _probing[0], True

    def __exit__(self, *exc):
        _probing[0] = self._previous


def _first_element(dataset: Dataset):
    """The first element of ``dataset`` (None if it is empty), read under :class:`_Probe`."""
    with _Probe():
        return next(dataset._elements(), None)


# ------------------------------------------------------------------- arguments
def _int_arg(name: str, value) -> int:
    """An integer argument (a Python/NumPy integer or an integer scalar Tensor)."""
    if isinstance(value, Tensor) and value.data.ndim == 0 and value.data.dtype.kind in "iu":
        return int(value.data)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Expected `{name}` to be an integer. Received: {name}={value!r}")
    return int(value)


def _to_tensors(element):
    """An element (a nest of arrays, or of datasets after ``window``) as the nest of Tensors
    the user sees."""
    if type(element) is np.ndarray:
        return Tensor._from_op(element, None)
    return nest.map_structure(
        lambda a: a if isinstance(a, Dataset) else Tensor._from_op(np.asarray(a), None), element
    )


def _to_numpy(element):
    """An element's leaves as NumPy values: scalars as NumPy scalars (``.numpy()``)."""
    return nest.map_structure(lambda a: a[()] if np.ndim(a) == 0 else a, element)


def _from_user(value):
    """What a ``map`` function returned, as an element: lists become tuples (TensorFlow's
    rule for returned structure) and every leaf an array by ``tf.constant``'s rules."""
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, tuple):
        items = [_from_user(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, dict):
        return type(value)((k, _from_user(v)) for k, v in value.items())
    if value is None:
        raise TypeError(
            "The function given to `map` returned None. Expected it to return the new element: "
            "a tensor, or a tuple or dict of tensors."
        )
    if isinstance(value, Tensor):
        return np.asarray(value.data)
    return nest.leaf_array(value)


def _call(fn, element):
    """``fn`` on an element as Tensors; a tuple element is unpacked into arguments, as
    ``tf.data`` does (``lambda x, y: ...``), anything else is one argument."""
    args = _to_tensors(element)
    return fn(*args) if type(args) is tuple else fn(args)


def _freeze(array: np.ndarray, original) -> np.ndarray:
    """``array`` as data a dataset owns: copied unless it was made by the conversion (a
    dataset is a snapshot of the user's values, as in TensorFlow), then read-only."""
    base = original.data if isinstance(original, Tensor) else original
    if not array.flags.owndata or (
        isinstance(base, np.ndarray) and np.may_share_memory(array, base)
    ):
        array = array.copy()
    array.setflags(write=False)
    return array


# -------------------------------------------------------------------- iterators
class Iterator:
    """What ``iter(dataset)`` returns: yields the elements as Tensors (``tf.data.Iterator``).

    ``next(it)`` and ``it.get_next()`` give the next element; the end raises
    ``StopIteration`` (``get_next``: ``tf.errors.OutOfRangeError``, as TensorFlow).
    """

    def __init__(self, dataset: Dataset):
        self._dataset = dataset
        self._elements = dataset._elements()

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def __iter__(self) -> abc.Iterator:
        return self

    def __next__(self):
        return _to_tensors(next(self._elements))

    def get_next(self):
        """The next element; ``tf.errors.OutOfRangeError`` at the end."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError("End of sequence") from None


class NumpyIterator:
    """What ``as_numpy_iterator()`` returns: the elements as NumPy values (arrays, and
    NumPy scalars for scalars), in the element's structure."""

    def __init__(self, dataset: Dataset):
        self._elements = dataset._elements()

    def __iter__(self) -> NumpyIterator:
        return self

    def __next__(self):
        return _to_numpy(next(self._elements))

    next = __next__


# --------------------------------------------------------------------- Dataset
class Dataset:
    """A sequence of elements built from arrays and transformed lazily (``tf.data.Dataset``).

    Make one with :meth:`from_tensor_slices`, :meth:`from_tensors`, :meth:`range` or
    :meth:`zip`; chain transformations (``shuffle``, ``map``, ``batch``, ...), each of which
    returns a new dataset; iterate it (every ``for`` loop starts afresh) or pass it to
    ``Model.fit``/``evaluate``/``predict``, whose batches it then gives.

    Elements are Tensors, or tuples/dicts of them, with TensorFlow's dtypes: NumPy arrays
    keep theirs, Python floats become float32, Python integers int32, ``range`` int64.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> ds = Dataset.from_tensor_slices((x, y)).batch(2)
    >>> for xb, yb in ds.take(1):
    ...     print(xb.shape, yb.numpy())
    (2, 2) [0 1]
    >>> len(ds), [int(b[1][-1]) for b in ds]
    (3, [1, 3, 4])
    >>> list(Dataset.range(6).filter(lambda v: v % 2 == 0).as_numpy_iterator())
    [np.int64(0), np.int64(2), np.int64(4)]
    """

    _parent: Dataset

    # -- what each kind of dataset defines
    def _elements(self) -> abc.Iterator:
        """A fresh iterator over the elements (nests of arrays)."""
        plan = self._indexed()
        if plan is not None:
            source, make_rows = plan
            return map(source._element, make_rows())
        return self._iterate()

    def _iterate(self) -> abc.Iterator:
        raise NotImplementedError

    def _indexed(self):
        """``(source, make_rows)`` when elements are rows of a source reached through row
        reorderings only (``make_rows()`` streams row numbers), else None."""
        return None

    def _compute_spec(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    # -- what every dataset has
    @property
    def element_spec(self):
        """The structure, shapes and dtypes of one element: ``TensorSpec`` objects in the
        element's nest (``None`` for dimensions that vary, such as the batch size)."""
        spec = self.__dict__.get("_spec")
        if spec is None:
            spec = self._spec = self._compute_spec()
        return spec

    def __iter__(self) -> abc.Iterator:
        return Iterator(self)

    def as_numpy_iterator(self) -> NumpyIterator:
        """An iterator over the elements as NumPy values, in the element's structure.

        >>> list(Dataset.from_tensor_slices({"a": [1, 2]}).as_numpy_iterator())
        [{'a': np.int32(1)}, {'a': np.int32(2)}]
        """
        return NumpyIterator(self)

    def cardinality(self) -> Tensor:
        """The number of elements as an int64 scalar Tensor: ``INFINITE_CARDINALITY`` (-1)
        for a dataset that repeats forever, ``UNKNOWN_CARDINALITY`` (-2) where it depends
        on the data (after ``filter``).

        >>> int(Dataset.range(10).batch(3).cardinality())
        4
        """
        return constant(np.int64(self._cardinality()))

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # as TensorFlow: __len__ must not decide truth (it raises when unknown)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} element_spec={self.element_spec}>"

    # ----------------------------------------------------------------- sources
    @staticmethod
    def from_tensor_slices(tensors, name=None) -> Dataset:
        """One element per row of ``tensors``: an array, a tuple or dict of arrays (nested).

        Every component is cut along its first dimension, which must be the same for all.
        A Python list is one value (converted to an array, as ``tf.constant`` does), so
        ``[x1, x2]`` is sliced as the stacked array; use a tuple for structure.

        Raises
        ------
        ValueError
            For a scalar component, or components whose first dimensions differ.

        Examples
        --------
        >>> ds = Dataset.from_tensor_slices({"a": [1.0, 2.0], "b": [[1, 2], [3, 4]]})
        >>> next(iter(ds))["b"]
        <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>
        """
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None) -> Dataset:
        """A dataset of one element: ``tensors`` whole.

        >>> [t.shape for t in Dataset.from_tensors([[1, 2], [3, 4]])]
        [TensorShape([2, 2])]
        """
        return _TensorDataset(tensors)

    @staticmethod
    def range(*args, output_type=dtypes.int64, name=None) -> Dataset:
        """The integers of Python's ``range(stop)`` / ``range(start, stop[, step])`` as
        scalar int64 elements (``output_type`` to choose another dtype).

        Raises
        ------
        TypeError
            For a non-integer argument.
        tf.errors.InvalidArgumentError
            For ``step=0``.

        Examples
        --------
        >>> list(Dataset.range(1, 10, 3).as_numpy_iterator())
        [np.int64(1), np.int64(4), np.int64(7)]
        """
        return _RangeDataset(args, output_type)

    @staticmethod
    def zip(*args, datasets=None, name=None) -> Dataset:
        """Elements drawn from several datasets side by side, until the shortest ends.

        ``Dataset.zip(a, b)`` and ``Dataset.zip((a, b))`` both give ``(a_i, b_i)``
        tuples; a dict (or any nest of tuples and dicts) of datasets gives that
        structure.

        >>> a, b = Dataset.range(3), Dataset.range(10, 12)
        >>> list(Dataset.zip(a, b).as_numpy_iterator())
        [(np.int64(0), np.int64(10)), (np.int64(1), np.int64(11))]
        """
        if args and datasets is not None:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            if not args:
                raise TypeError("Must pass at least one dataset to `zip`.")
            datasets = args[0] if len(args) == 1 else args
        return _ZipDataset(datasets)

    @staticmethod
    def from_generator(
        generator, output_types=None, output_shapes=None, args=None, output_signature=None,
        name=None,
    ) -> Dataset:  # fmt: skip
        """Elements from calling ``generator()`` (a fresh call each iteration).

        ``output_signature`` (a nest of ``TensorSpec``) gives the structure and dtypes;
        ``output_types``/``output_shapes`` are TensorFlow's older spelling. The values are
        converted to those dtypes.

        >>> def gen():
        ...     yield 1, [0.5]
        ...     yield 2, [1.5]
        >>> sig = (TensorSpec((), "int32"), TensorSpec((1,), "float32"))
        >>> [int(x) for x, y in Dataset.from_generator(gen, output_signature=sig)]
        [1, 2]
        """
        if not callable(generator):
            raise TypeError(
                f"Expected `generator` to be a callable that returns an iterator. "
                f"Received: generator={generator!r}"
            )
        if output_signature is None:
            if output_types is None:
                raise TypeError(
                    "Expected `output_signature` (a nest of tf.TensorSpec), or "
                    "`output_types`. Received neither."
                )
            shapes = output_shapes
            if shapes is None:
                shapes = nest.map_structure(lambda _: None, output_types)
            flat_shapes = nest.flatten(shapes) if nest.is_nested(output_types) else [shapes]
            output_signature = nest.pack_as(
                output_types,
                [
                    TensorSpec(s, t)
                    for t, s in zip(nest.flatten(output_types), flat_shapes, strict=True)
                ],
            )
        return _GeneratorDataset(generator, tuple(args or ()), output_signature)

    # ---------------------------------------------------------- transformations
    def batch(
        self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None,
        name=None,
    ) -> Dataset:  # fmt: skip
        """Consecutive elements stacked into batches of ``batch_size``.

        The last batch is smaller when the elements do not divide evenly, unless
        ``drop_remainder`` drops it. Each component is stacked on a new first axis (a dict
        element gives dict batches). ``num_parallel_calls``/``deterministic`` are accepted
        and ignored (batches are built in order, in this thread).

        Raises
        ------
        tf.errors.InvalidArgumentError
            For ``batch_size <= 0``.

        Examples
        --------
        >>> [b.numpy().tolist() for b in Dataset.range(5).batch(2)]
        [[0, 1], [2, 3], [4]]
        >>> len(Dataset.range(5).batch(2, drop_remainder=True))
        2
        """
        return _BatchDataset(self, batch_size, drop_remainder)

    def unbatch(self, name=None) -> Dataset:
        """The rows of every element as elements of their own (``batch``'s inverse).

        >>> list(Dataset.from_tensors([[1, 2], [3, 4]]).unbatch().as_numpy_iterator())
        [array([1, 2], dtype=int32), array([3, 4], dtype=int32)]
        """
        return _UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """The elements in random order, mixed through a buffer as TensorFlow does.

        A buffer is filled with the first ``buffer_size`` elements; then each output is a
        uniformly random element of the buffer, whose place the next input element takes.
        So element ``i`` cannot come out before position ``i - buffer_size + 1``:
        ``buffer_size=1`` keeps the order, and a buffer at least as large as the dataset
        gives a uniformly random permutation. Every iteration draws a new order unless
        ``reshuffle_each_iteration=False``.

        Parameters
        ----------
        buffer_size : int
            Elements held at once (``tf.data.UNKNOWN_CARDINALITY``: the whole dataset).
        seed : int, optional
            Fixes the orders; without it they come from the library's generator, which
            ``neuroflow.utils.set_random_seed`` (``tf.random.set_seed``) seeds.
        reshuffle_each_iteration : bool, default True
            Whether each iteration (each epoch, each ``repeat``) draws a new order.

        Raises
        ------
        tf.errors.InvalidArgumentError
            For ``buffer_size`` 0 or negative (other than ``UNKNOWN_CARDINALITY``).

        Examples
        --------
        >>> ds = Dataset.range(5).shuffle(5, seed=0)
        >>> sorted(ds.as_numpy_iterator()) == list(range(5))
        True
        """
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def map(
        self, map_func, num_parallel_calls=None, deterministic=None, synchronous=None,
        use_unbounded_threadpool=False, name=None,
    ) -> Dataset:  # fmt: skip
        """``map_func`` applied to every element.

        A tuple element is passed unpacked (``lambda x, y: ...``), anything else as one
        argument (a dict element as the dict). The function receives Tensors and may return
        Tensors, arrays or Python values, in any nest (a returned list becomes a tuple).
        It runs eagerly, once per element, in this thread: ``num_parallel_calls``,
        ``deterministic`` and the rest are accepted and ignored. Mapping after ``batch``
        runs it once per batch instead, which is much faster for large datasets.

        >>> ds = Dataset.from_tensor_slices(([0, 255], [1, 2])).map(lambda x, y: (x / 255, y))
        >>> [(float(x), int(y)) for x, y in ds]
        [(0.0, 1), (1.0, 2)]
        """
        if not callable(map_func):
            raise TypeError(f"Expected `map_func` to be callable. Received: {map_func!r}")
        return _MapDataset(self, map_func)

    def filter(self, predicate, name=None) -> Dataset:
        """The elements for which ``predicate`` (called as ``map`` calls its function)
        returns True.

        Raises
        ------
        ValueError
            When ``predicate`` returns anything but a boolean scalar.

        Examples
        --------
        >>> list(Dataset.range(5).filter(lambda x: x > 2).as_numpy_iterator())
        [np.int64(3), np.int64(4)]
        """
        if not callable(predicate):
            raise TypeError(f"Expected `predicate` to be callable. Received: {predicate!r}")
        return _FilterDataset(self, predicate)

    def repeat(self, count=None, name=None) -> Dataset:
        """The dataset ``count`` times over (forever for ``None`` or -1); every repetition
        iterates afresh, so a ``shuffle`` before it reshuffles.

        >>> list(Dataset.range(2).repeat(2).as_numpy_iterator())
        [np.int64(0), np.int64(1), np.int64(0), np.int64(1)]
        """
        return _RepeatDataset(self, -1 if count is None else _int_arg("count", count))

    def take(self, count, name=None) -> Dataset:
        """The first ``count`` elements (all of them for -1).

        >>> list(Dataset.range(5).take(2).as_numpy_iterator())
        [np.int64(0), np.int64(1)]
        """
        return _TakeDataset(self, _int_arg("count", count))

    def skip(self, count, name=None) -> Dataset:
        """All but the first ``count`` elements (none for -1).

        >>> list(Dataset.range(5).skip(3).as_numpy_iterator())
        [np.int64(3), np.int64(4)]
        """
        return _SkipDataset(self, _int_arg("count", count))

    def take_while(self, predicate, name=None) -> Dataset:
        """The elements up to the first for which ``predicate`` is False.

        >>> list(Dataset.range(5).take_while(lambda x: x < 2).as_numpy_iterator())
        [np.int64(0), np.int64(1)]
        """
        return _TakeWhileDataset(self, predicate)

    def cache(self, filename="", name=None) -> Dataset:
        """The elements of the first complete iteration, replayed by the later ones: the
        transformations before it (a ``map``, a ``shuffle``) run only once.

        The cache is kept in memory (a ``filename`` is accepted; nothing is written). An
        iteration stopped early caches nothing, as in TensorFlow.
        """
        if not isinstance(filename, (str, bytes)) and not hasattr(filename, "__fspath__"):
            raise TypeError(f"Expected `filename` to be a path. Received: filename={filename!r}")
        return _CacheDataset(self)

    def prefetch(self, buffer_size, name=None) -> Dataset:
        """The same elements (``tf.data.AUTOTUNE`` or any size accepted): there are no
        background threads to prepare them ahead.

        Raises
        ------
        tf.errors.InvalidArgumentError
            For a ``buffer_size`` below -1.
        """
        size = _int_arg("buffer_size", buffer_size)
        if size < -1:
            raise InvalidArgumentError(
                "buffer_size must be >= 0 or set buffer_size to be -1 for auto-tuning. "
                f"Received: buffer_size={size}"
            )
        return _PrefetchDataset(self)

    def enumerate(self, start=0, name=None) -> Dataset:
        """``(index, element)`` pairs, the index an int64 scalar counting from ``start``.

        >>> list(Dataset.from_tensor_slices([5, 6]).enumerate().as_numpy_iterator())
        [(np.int64(0), np.int32(5)), (np.int64(1), np.int32(6))]
        """
        return _EnumerateDataset(self, _int_arg("start", start))

    def concatenate(self, dataset, name=None) -> Dataset:
        """This dataset's elements followed by ``dataset``'s.

        Raises
        ------
        TypeError
            When the two elements differ in structure or dtype.

        Examples
        --------
        >>> list(Dataset.range(2).concatenate(Dataset.range(5, 6)).as_numpy_iterator())
        [np.int64(0), np.int64(1), np.int64(5)]
        """
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Expected `dataset` to be a Dataset. Received: {dataset!r}")
        return _ConcatenateDataset(self, dataset)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None) -> Dataset:
        """Windows of ``size`` elements, each a dataset (one per component of a tuple or
        dict element), starting every ``shift`` elements (``size`` by default) and taking
        every ``stride``-th element; the last windows are shorter unless ``drop_remainder``.
        ``flat_map`` turns them back into tensors, as in TensorFlow's time-series tutorial.

        Raises
        ------
        tf.errors.InvalidArgumentError
            For ``size``, ``shift`` or ``stride`` below 1.

        Examples
        --------
        >>> windows = Dataset.range(5).window(3, shift=1, drop_remainder=True)
        >>> [w.numpy().tolist() for w in windows.flat_map(lambda w: w.batch(3))]
        [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
        >>> [list(w.as_numpy_iterator()) for w in Dataset.range(5).window(2)][-1]
        [np.int64(4)]
        """
        size = _int_arg("size", size)
        shift = size if shift is None else _int_arg("shift", shift)
        stride = _int_arg("stride", stride)
        for arg, value in (("size", size), ("shift", shift), ("stride", stride)):
            if value <= 0:
                raise InvalidArgumentError(
                    f"Window {arg} must be greater than zero, but got {value}."
                )
        return _WindowDataset(self, size, shift, stride, bool(drop_remainder))

    def flat_map(self, map_func, name=None) -> Dataset:
        """The elements of the datasets that ``map_func`` returns for each element, in turn.

        >>> ds = Dataset.range(3).flat_map(lambda x: Dataset.range(x))
        >>> list(ds.as_numpy_iterator())
        [np.int64(0), np.int64(0), np.int64(1)]
        """
        return _FlatMapDataset(self, map_func)

    def apply(self, transformation_func) -> Dataset:
        """``transformation_func(self)``: a transformation written as a function."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(
                f"`transformation_func` must return a Dataset. Received: {type(result).__name__}"
            )
        return result

    def reduce(self, initial_state, reduce_func, name=None):
        """``reduce_func(state, element)`` folded over the elements, from ``initial_state``.

        The state is converted to Tensors (TensorFlow's rules: Python ``0`` is int32); the
        result has the state's structure.

        >>> int(Dataset.range(5).reduce(np.int64(0), lambda total, x: total + x))
        10
        """
        state = nest.map_structure(
            lambda v: Tensor._from_op(nest.leaf_array(v), None), initial_state
        )
        for element in self._elements():
            state = reduce_func(state, _to_tensors(element))
        return nest.map_structure(
            lambda v: v if isinstance(v, Tensor) else Tensor._from_op(nest.leaf_array(v), None),
            state,
        )

    def get_single_element(self, name=None):
        """The dataset's only element.

        Raises
        ------
        tf.errors.InvalidArgumentError
            When the dataset has no element or more than one.
        """
        elements = list(itertools.islice(self._elements(), 2))
        if len(elements) != 1:
            raise InvalidArgumentError(
                "Dataset had no elements." if not elements else "Dataset had more than one element."
            )
        return _to_tensors(elements[0])


# ----------------------------------------------------------------- the sources
class _SourceDataset(Dataset):
    """Elements that are rows of arrays, reachable by row number."""

    _length: int

    def _indexed(self):
        return self, lambda: iter(range(self._length))

    def _cardinality(self) -> int:
        return self._length

    def _element(self, row: int):
        raise NotImplementedError

    def _gather(self, rows: np.ndarray):
        """Rows ``rows`` stacked: a batch cut directly from the arrays."""
        raise NotImplementedError


class _TensorSliceDataset(_SourceDataset):
    def __init__(self, tensors):
        if tensors is None or (nest.is_nested(tensors) and not nest.flatten(tensors)):
            raise ValueError(
                f"Invalid `element`. `element` should not be empty. Received: tensors={tensors!r}"
            )
        self._structure = nest.map_structure(lambda v: None, tensors)
        flat = [_freeze(nest.leaf_array(v), v) for v in nest.flatten(tensors)]
        for array in flat:
            if array.ndim == 0:
                raise ValueError(
                    "Unbatching a tensor is only supported for rank >= 1: from_tensor_slices "
                    "cuts every component along its first dimension. Received a scalar "
                    f"component {array!r}."
                )
        lengths = [len(a) for a in flat]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"Dimensions {lengths[0]} and {next(n for n in lengths if n != lengths[0])} "
                "are not compatible: from_tensor_slices needs every component to have the "
                f"same first dimension. Received first dimensions {lengths}."
            )
        self._flat = flat
        self._length = lengths[0]
        self._single = not nest.is_nested(tensors)

    def _element(self, row: int):
        if self._single:
            return self._flat[0][row]
        return nest.pack_as(self._structure, [a[row] for a in self._flat])

    def _gather(self, rows):
        if self._single:
            return self._flat[0][rows]
        return nest.pack_as(self._structure, [a[rows] for a in self._flat])

    def _compute_spec(self):
        specs = [TensorSpec(a.shape[1:], dtypes.of(a)) for a in self._flat]
        return nest.pack_as(self._structure, specs)


class _RangeDataset(_SourceDataset):
    def __init__(self, args, output_type):
        if not 1 <= len(args) <= 3:
            raise TypeError(f"range() takes 1 to 3 arguments (start, stop, step). Received: {args}")
        names = {1: ("stop",), 2: ("start", "stop"), 3: ("start", "stop", "step")}[len(args)]
        values = [_int_arg(n, v) for n, v in zip(names, args)]
        if len(values) == 3 and values[2] == 0:
            raise InvalidArgumentError("step must be a non-zero integer. Received: step=0")
        self._range = range(*values)
        self._dtype = dtypes.as_dtype(output_type)
        self._length = len(self._range)

    def _element(self, row: int):
        return self._dtype.as_numpy_dtype(self._range[row])

    def _gather(self, rows):
        r = self._range
        return (r.start + r.step * rows.astype(np.int64)).astype(self._dtype.dtype)

    def _compute_spec(self):
        return TensorSpec((), self._dtype)


class _TensorDataset(Dataset):
    def __init__(self, tensors):
        if tensors is None or (nest.is_nested(tensors) and not nest.flatten(tensors)):
            raise ValueError("Invalid `element`. `element` should not be empty.")
        self._element_value = nest.map_structure(lambda v: _freeze(nest.leaf_array(v), v), tensors)

    def _iterate(self):
        return iter((self._element_value,))

    def _cardinality(self) -> int:
        return 1

    def _compute_spec(self):
        return nest.spec_of(self._element_value)


class _GeneratorDataset(Dataset):
    def __init__(self, generator, args, signature):
        self._generator, self._args, self._signature = generator, args, signature

    def _iterate(self):
        flat_specs = nest.flatten(self._signature)
        for value in self._generator(*self._args):
            if isinstance(value, list) and nest.is_nested(self._signature):
                value = tuple(value)
            flat = nest.flatten(value) if nest.is_nested(self._signature) else [value]
            if len(flat) != len(flat_specs):
                raise TypeError(
                    f"`generator` yielded an element that did not match the expected "
                    f"structure {self._signature}. Received: {value!r}"
                )
            arrays = []
            for v, spec in zip(flat, flat_specs):
                array = np.asarray(v.data if isinstance(v, Tensor) else v, spec.dtype.dtype)
                if spec.shape is not None and not spec.is_compatible_with(
                    TensorSpec(array.shape, spec.dtype)
                ):
                    raise TypeError(
                        f"`generator` yielded an element of shape {array.shape} where an "
                        f"element of shape {tuple(spec.shape)} was expected."
                    )
                arrays.append(array)
            yield nest.pack_as(self._signature, arrays)

    def _compute_spec(self):
        return self._signature


# -------------------------------------------- transformations that reorder rows
class _ReorderDataset(Dataset):
    """A transformation that only selects or reorders elements: it works the same on row
    numbers as on elements, so a source's rows can stay numbers until ``batch``."""

    def __init__(self, parent: Dataset):
        self._parent = parent

    def _reorder(self, make_stream: abc.Callable[[], abc.Iterator]) -> abc.Iterator:
        """The transformed stream; ``make_stream()`` starts the input afresh."""
        raise NotImplementedError

    def _indexed(self):
        plan = self._parent._indexed()
        if plan is None:
            return None
        source, make_rows = plan
        return source, lambda: self._reorder(make_rows)

    def _iterate(self):
        return self._reorder(self._parent._elements)

    def _compute_spec(self):
        return self._parent.element_spec

    def _cardinality(self) -> int:
        return self._parent._cardinality()


class _ShuffleDataset(_ReorderDataset):
    def __init__(self, parent, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(parent)
        if buffer_size is None:
            raise ValueError(
                "Expected `buffer_size` to be a positive integer (the number of elements the "
                "shuffle buffer holds). Received: buffer_size=None"
            )
        size = _int_arg("buffer_size", buffer_size)
        if size <= 0 and size != UNKNOWN_CARDINALITY:
            raise InvalidArgumentError(
                "buffer_size must be greater than zero or UNKNOWN_CARDINALITY. "
                f"Received: buffer_size={size}"
            )
        self._buffer_size = math.inf if size == UNKNOWN_CARDINALITY else size
        if seed is None:  # drawn now: the orders are fixed by the seed set before this call
            seed = int(backend.rng().integers(2**63))
        self._seed = _int_arg("seed", seed)
        self._reshuffle = bool(reshuffle_each_iteration)
        self._iterations = itertools.count()

    def _reorder(self, make_stream):
        if _probing[0]:
            return make_stream()
        epoch = next(self._iterations) if self._reshuffle else 0
        rng = np.random.default_rng([self._seed, epoch])
        return _buffer_shuffle(make_stream(), self._buffer_size, rng)


def _buffer_shuffle(stream: abc.Iterator, buffer_size, rng: np.random.Generator) -> abc.Iterator:
    """TensorFlow's shuffle buffer: fill it, then emit a uniformly random slot and refill
    that slot with the next input; at the end, emit what is left in random order."""
    if buffer_size == math.inf:
        buffer = list(stream)
    else:
        buffer = list(itertools.islice(stream, buffer_size))
    if len(buffer) == buffer_size:  # the input goes on: mix it through the buffer
        draws: list = []
        for item in stream:
            if not draws:
                draws = rng.integers(0, buffer_size, 1024).tolist()
            slot = draws.pop()
            yield buffer[slot]
            buffer[slot] = item
    for slot in rng.permutation(len(buffer)).tolist():
        yield buffer[slot]


class _TakeDataset(_ReorderDataset):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _reorder(self, make_stream):
        if self._count < 0:
            return make_stream()
        return itertools.islice(make_stream(), self._count)

    def _cardinality(self) -> int:
        n, count = self._parent._cardinality(), self._count
        if count < 0 or n == UNKNOWN_CARDINALITY:
            return n
        if count == 0:
            return 0
        if n == INFINITE_CARDINALITY:
            return count
        return UNKNOWN_CARDINALITY if n == UNKNOWN_CARDINALITY else min(n, count)


class _SkipDataset(_ReorderDataset):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _reorder(self, make_stream):
        if self._count < 0:
            return iter(())
        return itertools.islice(make_stream(), self._count, None)

    def _cardinality(self) -> int:
        n = self._parent._cardinality()
        if n == INFINITE_CARDINALITY or n == UNKNOWN_CARDINALITY:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)


class _RepeatDataset(_ReorderDataset):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _reorder(self, make_stream):
        if self._count >= 0:
            return itertools.chain.from_iterable(make_stream() for _ in range(self._count))
        return _forever(make_stream)

    def _cardinality(self) -> int:
        n, count = self._parent._cardinality(), self._count
        if count == 0 or n == 0:
            return 0
        if count < 0:
            return INFINITE_CARDINALITY
        if n == INFINITE_CARDINALITY or n == UNKNOWN_CARDINALITY:
            return n
        return n * count


def _forever(make_stream):
    """The stream over and over; stops if a pass yields nothing (an empty dataset)."""
    while True:
        empty = True
        for item in make_stream():
            empty = False
            yield item
        if empty:
            return


class _CacheDataset(_ReorderDataset):
    def __init__(self, parent):
        super().__init__(parent)
        self._cache = None

    def _reorder(self, make_stream):
        if self._cache is not None:
            return iter(self._cache)
        if _probing[0]:
            return make_stream()
        return self._fill(make_stream())

    def _fill(self, stream):
        items = []
        for item in stream:
            items.append(item)
            yield item
        self._cache = items  # only a complete pass is kept


class _PrefetchDataset(_ReorderDataset):
    def _reorder(self, make_stream):
        return make_stream()


# ------------------------------------------------- transformations of elements
class _BatchDataset(Dataset):
    def __init__(self, parent, batch_size, drop_remainder):
        size = _int_arg("batch_size", batch_size)
        if size <= 0:
            raise InvalidArgumentError(
                f"Batch size must be greater than zero. Received: batch_size={size}"
            )
        self._parent, self._size, self._drop = parent, size, bool(drop_remainder)

    def _iterate(self):
        size, drop = self._size, self._drop
        plan = self._parent._indexed()
        if plan is not None:  # cut each batch from the source arrays at once
            source, make_rows = plan
            rows = make_rows()
            while True:
                chunk = list(itertools.islice(rows, size))
                if not chunk or (drop and len(chunk) < size):
                    return
                yield source._gather(np.array(chunk, dtype=np.intp))
        elements = self._parent._elements()
        while True:
            chunk = list(itertools.islice(elements, size))
            if not chunk or (drop and len(chunk) < size):
                return
            yield _stack(chunk)

    def _compute_spec(self):
        first = self._size if self._drop else None
        return nest.map_structure(
            lambda s: TensorSpec(None if s.shape is None else (first, *s.shape), s.dtype),
            self._parent.element_spec,
        )

    def _cardinality(self) -> int:
        n = self._parent._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


def _stack(elements: list):
    """Elements stacked component by component into one batch."""
    first = elements[0]
    if type(first) is not tuple and type(first) is not dict and not nest.is_nested(first):
        return _stack_component(elements, 0)
    columns = zip(*(nest.flatten(e) for e in elements))
    return nest.pack_as(first, [_stack_component(list(c), i) for i, c in enumerate(columns)])


def _stack_component(values: list, component: int) -> np.ndarray:
    try:
        return np.stack(values)
    except ValueError:
        shape = np.shape(values[0])
        index = next(i for i, v in enumerate(values) if np.shape(v) != shape)
        raise InvalidArgumentError(
            f"Cannot batch tensors with different shapes in component {component}. First "
            f"element had shape {list(shape)} and element {index} had shape "
            f"{list(np.shape(values[index]))}."
        ) from None


class _UnbatchDataset(Dataset):
    def __init__(self, parent):
        self._parent = parent
        specs = nest.flatten(parent.element_spec)
        if any(s.shape is not None and len(s.shape) == 0 for s in specs):
            raise ValueError(
                "Cannot unbatch an input with scalar components: every component must have "
                f"a first dimension to split. Received element_spec={parent.element_spec}"
            )

    def _iterate(self):
        for element in self._parent._elements():
            flat = nest.flatten(element)
            lengths = {len(a) for a in flat}
            if len(lengths) > 1:
                raise InvalidArgumentError(
                    "`unbatch()` is only supported for datasets of elements whose components "
                    f"have a matching leading dimension. Encountered {sorted(lengths)}."
                )
            if len(flat) == 1 and not nest.is_nested(element):
                yield from element
                continue
            for row in range(lengths.pop() if lengths else 0):
                yield nest.pack_as(element, [a[row] for a in flat])

    def _compute_spec(self):
        return nest.map_structure(
            lambda s: TensorSpec(None if s.shape is None else s.shape[1:], s.dtype),
            self._parent.element_spec,
        )

    def _cardinality(self) -> int:
        n = self._parent._cardinality()
        if n < 0:
            return n
        firsts = {s.shape[0] if s.shape else None for s in nest.flatten(self._parent.element_spec)}
        if len(firsts) != 1 or None in firsts:
            return UNKNOWN_CARDINALITY
        return n * firsts.pop()


class _MapDataset(Dataset):
    def __init__(self, parent, fn):
        self._parent, self._fn = parent, fn

    def _iterate(self):
        fn = self._fn
        for element in self._parent._elements():
            yield _from_user(_call(fn, element))

    def _compute_spec(self):
        # TensorFlow traces the function; here it runs on the first element, and where
        # dimensions vary upstream (a batch's), once more on that element doubled along
        # them: the dimensions of the result that change with them are unknown (None)
        parent_spec = self._parent.element_spec
        first = _first_element(self._parent)
        if first is None:  # an empty dataset: a zero element of the right structure
            first = nest.map_structure(
                lambda s: np.zeros([d or 0 for d in (s.shape or ())], s.dtype.dtype), parent_spec
            )
        out = _from_user(_call(self._fn, first))
        specs = nest.map_structure(lambda a: TensorSpec(a.shape, dtypes.of(a)), out)
        flat_parent = nest.flatten(parent_spec)
        if all(s.shape is not None and None not in s.shape for s in flat_parent):
            return specs
        doubled = nest.pack_as(
            parent_spec, [_doubled(a, s) for a, s in zip(nest.flatten(first), flat_parent)]
        )
        try:
            other = nest.flatten(_from_user(_call(self._fn, doubled)))
        except Exception:  # noqa: BLE001  (a function that only runs on real shapes)
            other = [None] * len(nest.flatten(out))
        merged = [
            TensorSpec((None,) * len(s.shape), s.dtype)
            if o is None
            else s._most_specific_common(TensorSpec(np.shape(o), s.dtype))
            for s, o in zip(nest.flatten(specs), other)
        ]
        return nest.pack_as(specs, merged)

    def _cardinality(self) -> int:
        return self._parent._cardinality()


def _doubled(array, spec: TensorSpec) -> np.ndarray:
    """``array`` repeated twice along the dimensions ``spec`` leaves unknown."""
    array = np.asarray(array)
    axes = range(array.ndim) if spec.shape is None else [
        i for i, d in enumerate(spec.shape) if d is None
    ]  # fmt: skip
    for axis in axes:
        array = np.concatenate([array, array], axis=axis)
    return array


def _as_bool(value, spec_of_value) -> bool:
    """A predicate's answer, which must be a boolean scalar (TensorFlow's check)."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype != np.bool_ or array.ndim != 0:
        raise ValueError(
            "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its "
            f"return type is {spec_of_value(array)}."
        )
    return bool(array)


def _spec(array):
    """A predicate's answer described for the error: its TensorSpec where there is one."""
    if array.dtype in dtypes._BY_NUMPY:
        return TensorSpec(array.shape, dtypes.of(array))
    return f"a value of dtype {array.dtype} and shape {array.shape}"


class _FilterDataset(Dataset):
    def __init__(self, parent, predicate):
        self._parent, self._predicate = parent, predicate

    def _iterate(self):
        predicate = self._predicate
        for element in self._parent._elements():
            if _as_bool(_call(predicate, element), _spec):
                yield element

    def _compute_spec(self):
        return self._parent.element_spec


class _TakeWhileDataset(_FilterDataset):
    def _iterate(self):
        predicate = self._predicate
        for element in self._parent._elements():
            if not _as_bool(_call(predicate, element), _spec):
                return
            yield element


class _FlatMapDataset(Dataset):
    def __init__(self, parent, fn):
        self._parent, self._fn = parent, fn

    def _iterate(self):
        for element in self._parent._elements():
            inner = _call(self._fn, element)
            if not isinstance(inner, Dataset):
                raise TypeError(
                    f"The function given to `flat_map` must return a Dataset. "
                    f"Received: {type(inner).__name__}"
                )
            yield from inner._elements()

    def _compute_spec(self):
        first = _first_element(self._parent)
        if first is None:
            raise ValueError("Cannot tell the element_spec of flat_map over an empty dataset.")
        return _call(self._fn, first).element_spec


class _WindowDataset(Dataset):
    """Windows as datasets: a buffer holds the elements from the current window's start."""

    def __init__(self, parent, size, shift, stride, drop_remainder):
        self._parent, self._size, self._shift = parent, size, shift
        self._stride, self._drop = stride, drop_remainder

    def _iterate(self):
        size, shift, stride = self._size, self._shift, self._stride
        span = (size - 1) * stride + 1  # elements from a window's first to its last
        elements, buffer, skip = self._parent._elements(), [], 0
        while True:
            buffer.extend(itertools.islice(elements, skip + span - len(buffer)))
            del buffer[:skip]  # a shift beyond the buffer skips elements never kept
            window = buffer[:span:stride]
            if not window or (self._drop and len(window) < size):
                return
            yield _window_element(window)
            skip = shift

    def _compute_spec(self):
        return nest.map_structure(DatasetSpec, self._parent.element_spec)

    def _cardinality(self) -> int:
        n = self._parent._cardinality()
        if n < 0:
            return n
        span = (self._size - 1) * self._stride + 1
        if self._drop:
            return 0 if n < span else (n - span) // self._shift + 1
        return -(-n // self._shift)


def _window_element(window: list):
    """One window's elements as one dataset per component (the element's structure)."""
    columns = zip(*(nest.flatten(e) for e in window))
    datasets = [_TensorSliceDataset(np.stack(column)) for column in columns]
    return nest.pack_as(window[0], datasets)


class DatasetSpec:
    """The spec of an element that is itself a dataset (``window``'s), as
    ``tf.data.DatasetSpec``: the inner dataset's ``element_spec``."""

    __slots__ = ("element_spec",)

    def __init__(self, element_spec):
        self.element_spec = element_spec

    def __repr__(self) -> str:
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"


class _ZipDataset(Dataset):
    def __init__(self, datasets):
        if isinstance(datasets, list):
            raise TypeError(
                "Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                "`tf.data.Dataset` objects. Python `list` is not supported and you should use "
                "`tuple` instead."
            )
        for d in nest.flatten(datasets):
            if not isinstance(d, Dataset):
                raise TypeError(
                    "Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                    f"`tf.data.Dataset` objects but encountered object of type {type(d)}."
                )
        self._datasets = datasets
        self._flat = nest.flatten(datasets)

    def _iterate(self):
        structure = self._datasets
        for items in zip(*(d._elements() for d in self._flat)):
            yield nest.pack_as(structure, items)

    def _compute_spec(self):
        return nest.pack_as(self._datasets, [d.element_spec for d in self._flat])

    def _cardinality(self) -> int:
        counts = [d._cardinality() for d in self._flat]
        if UNKNOWN_CARDINALITY in counts:
            return UNKNOWN_CARDINALITY
        finite = [n for n in counts if n >= 0]
        return min(finite) if finite else INFINITE_CARDINALITY


class _EnumerateDataset(Dataset):
    def __init__(self, parent, start):
        self._parent, self._start = parent, start

    def _iterate(self):
        return zip(map(np.int64, itertools.count(self._start)), self._parent._elements())

    def _compute_spec(self):
        return TensorSpec((), dtypes.int64), self._parent.element_spec

    def _cardinality(self) -> int:
        return self._parent._cardinality()


class _ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        a, b = first.element_spec, second.element_spec
        flat_a, flat_b = nest.flatten(a), nest.flatten(b)
        if not nest.same_structure(a, b) or any(x.dtype != y.dtype for x, y in zip(flat_a, flat_b)):
            raise TypeError(f"Incompatible dataset elements:\n  {a} vs. \n  {b}")
        self._first, self._second = first, second
        self._spec = nest.pack_as(a, [x._most_specific_common(y) for x, y in zip(flat_a, flat_b)])

    def _iterate(self):
        return itertools.chain(self._first._elements(), self._second._elements())

    def _cardinality(self) -> int:
        a, b = self._first._cardinality(), self._second._cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in (a, b) else a + b
