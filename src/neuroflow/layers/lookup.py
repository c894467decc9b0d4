"""Categorical preprocessing layers as Keras 3's: StringLookup, IntegerLookup,
CategoryEncoding and Discretization, in NumPy.

They hold no trainable weights. They take NumPy arrays, lists and Tensors (strings stay
strings: they never pass through the float32 conversion other layers apply) and return
Tensors: int64 indices (int32 bins for Discretization) for ``output_mode="int"``,
float32 encodings otherwise (Keras's output spec).
"""

from __future__ import annotations

import collections
import math
import os

import numpy as np

from neuroflow.layers.base import _NO_INPUT, Layer, has_symbolic
from neuroflow.tensor import Tensor

__all__ = ["CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup"]

_INT64_MAX = np.iinfo(np.int64).max  # Keras's index for a mask token outside "int" mode: dropped


def check_string_arg(value, allowed, caller: str, arg: str) -> None:
    """Keras's ``validate_string_arg``: the same ValueError for a value not in ``allowed``."""
    if isinstance(value, str) and value in allowed:
        return
    raise ValueError(
        f"Unknown value for `{arg}` argument of {caller}. Allowed values are: {allowed}. "
        f"Received: {arg}={value}"
    )


def check_steps(steps) -> None:
    if steps is not None and (
        isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0
    ):
        raise ValueError(f"Expected `steps` to be a positive integer or None. Received: {steps=}")


def raw(values):
    """The NumPy data of a Tensor, or ``values`` as it is."""
    return values.data if isinstance(values, Tensor) else values


def adapt_batches(data, steps, expand_rank_1: bool = True):
    """The batches ``adapt`` reads, as Keras's: an array, list or Tensor is one batch (a
    1-D one becomes a column, one token per sample); any other iterable (a generator, a
    ``tf.data.Dataset``) yields batches, the first ``steps`` of them."""
    check_steps(steps)
    if isinstance(data, (list, tuple, np.ndarray, Tensor)) or isinstance(data, (str, bytes)):
        array = np.asarray(raw(data))
        if expand_rank_1 and array.ndim == 1:
            array = array[:, None]
        return [array]
    if not hasattr(data, "__iter__"):
        raise TypeError(
            "Expected `data` to be an array, a list, a tf.data.Dataset or an iterable of "
            f"batches. Received: data of type {type(data).__name__}"
        )
    batches = []
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        batches.append(raw(batch))
    return batches


def encode_categorical(indices, output_mode: str, depth: int, count_weights=None):
    """Keras's ``encode_categorical_inputs`` for "one_hot", "multi_hot" and "count" as
    float32: indices outside ``[0, depth)`` count for nothing; "one_hot" encodes each
    element (a last axis of size 1 is replaced), the other modes each sample along the
    last axis (a 1-D input is one sample)."""
    indices = np.asarray(indices)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        flat = indices.reshape(-1)
        out = np.zeros((flat.size, depth), np.float32)
        valid = (flat >= 0) & (flat < depth)
        out[np.nonzero(valid)[0], flat[valid]] = 1.0
        return out.reshape(indices.shape + (depth,))
    rows = indices.reshape(-1, indices.shape[-1]) if indices.size else indices.reshape(-1, 1)
    rows = rows if indices.size else np.zeros((math.prod(indices.shape[:-1]), 0), np.int64)
    out = np.zeros((rows.shape[0], depth), np.float32)
    valid = (rows >= 0) & (rows < depth)
    row_ids = np.broadcast_to(np.arange(rows.shape[0])[:, None], rows.shape)
    if count_weights is None:
        weights = np.ones(rows.shape, np.float32)
    else:
        weights = np.broadcast_to(np.asarray(count_weights, np.float32), indices.shape)
        weights = weights.reshape(rows.shape)
    np.add.at(out, (row_ids[valid], rows[valid]), weights[valid])
    if output_mode == "multi_hot":
        out = (out > 0).astype(np.float32)
    return out.reshape(indices.shape[:-1] + (depth,))


def _as_strings(values, encoding: str, name: str = "inputs") -> np.ndarray:
    """Strings (``str`` or ``bytes``, in an array, a list or a Tensor) as a ``str`` array."""
    array = np.asarray(raw(values))
    kind = array.dtype.kind
    if kind == "U":
        return array
    if kind == "S":
        return np.char.decode(array, encoding)
    if kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else v for v in array.reshape(-1)]
        if all(isinstance(v, str) for v in flat):
            return np.array(flat or [""], dtype=str)[: len(flat)].reshape(array.shape)
    raise TypeError(f"Expected `{name}` to hold strings. Received an array of dtype {array.dtype}.")


def _as_integers(values, name: str = "inputs") -> np.ndarray:
    """Integers (or floats that are whole numbers) as an int64 array."""
    array = np.asarray(raw(values))
    if array.dtype.kind in "iub":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "f" and np.array_equal(array, np.trunc(array)):
        return array.astype(np.int64)
    raise TypeError(
        f"Expected `{name}` to hold integers. Received an array of dtype {array.dtype}."
    )


class _DataLayer(Layer):
    """A layer that runs on raw data (strings included) without the float32 conversion."""

    def __call__(self, inputs=_NO_INPUT, *args, **kwargs):
        if type(inputs) is not Tensor and inputs is not _NO_INPUT and not has_symbolic(inputs):
            kwargs.pop("training", None)  # data: converted by the layer itself
            if not self.built:
                self.built = True
            return self.call(inputs, *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)


# ------------------------------------------------------------------- index lookup
class IndexLookup(_DataLayer):
    """Maps vocabulary terms to indices (or back): what StringLookup and IntegerLookup share,
    as Keras's ``IndexLookup``.

    Index layout with ``output_mode="int"``: the mask token (if any) at 0, then
    ``num_oov_indices`` OOV indices, then the vocabulary; in the other modes the mask
    token has no index (its occurrences are dropped).
    """

    _strings = True  # StringLookup; IntegerLookup sets False

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        encoding="utf-8",
        **kwargs,
    ):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if (
            isinstance(num_oov_indices, bool)
            or not isinstance(num_oov_indices, (int, np.integer))
            or num_oov_indices < 0
        ):
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        check_string_arg(oov_method, ("floormod", "farmhash"), type(self).__name__, "oov_method")
        if salt is not None:
            raise NotImplementedError(
                f"`salt` (SipHash OOV buckets) is not supported by neuroflow. Received: salt={salt}"
            )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_string_arg(
            output_mode,
            ("int", "one_hot", "multi_hot", "count", "tf_idf"),
            type(self).__name__,
            "output_mode",
        )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (neuroflow's "
                f"outputs are dense). Received: sparse={sparse}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        kwargs.pop("dtype", None)
        kwargs.pop("trainable", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = None
        self.encoding = encoding
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = []  # the vocabulary after the special tokens
        self._table = {}  # token -> index
        self._idf = None  # float32, one weight per index (tf_idf)
        self._frozen_vocab_size = frozen
        self._adapted = False
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------ vocabulary
    def _keys(self, values, name="inputs"):
        if self._strings:
            return _as_strings(values, self.encoding, name)
        return _as_integers(values, name)

    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices: the vocabulary and the mask and OOV indices."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The term of each index (with the mask and OOV tokens first unless
        ``include_special_tokens=False``)."""
        vocab = (
            [self.mask_token] * self._oov_start_index()
            + [self.oov_token] * self.num_oov_indices
            + list(self._tokens)
        )
        if not include_special_tokens:
            vocab = vocab[self._token_start_index() :]
        return vocab

    def _set_tokens(self, tokens) -> None:
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._table = {token: start + i for i, token in enumerate(self._tokens)}
        self._frozen_vocab_size = self.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Sets the vocabulary (a sequence of terms, or a text file with one term a line)
        and, for ``output_mode="tf_idf"``, the IDF weights, as Keras's ``set_vocabulary``."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            if not os.path.exists(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError(
                    "output_mode `'tf_idf'` does not support loading a vocabulary from file."
                )
            with open(vocabulary, encoding=self.encoding) as f:
                lines = f.read().splitlines()
            tokens = self._keys(np.array(lines, dtype=str), "vocabulary").tolist()
            self._set_tokens(tokens)
            return
        if np.size(raw(vocabulary)) == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        vocabulary = self._keys(vocabulary, "vocabulary")
        if vocabulary.ndim != 1 or vocabulary.size == 0:
            raise ValueError(
                f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary.tolist()}"
                if vocabulary.size == 0
                else f"Expected `vocabulary` to be 1-D. Received shape {vocabulary.shape}"
            )
        vocab = vocabulary.tolist()
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [
            self.oov_token
        ] * self.num_oov_indices
        found_special = vocab[:token_start] == special
        tokens = vocab[token_start:] if found_special else vocab
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token} at vocabulary index "
                f"{[i for i, t in enumerate(vocab) if t == self.mask_token][-1]}"
            )
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token} at vocabulary index "
                f"{[i for i, t in enumerate(vocab) if t == self.oov_token][-1]}"
            )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {size}; `max_tokens` is {self.max_tokens}."
            )
        if self.output_mode == "tf_idf":
            weights = np.asarray(raw(idf_weights), np.float64)
            if len(vocab) != len(weights):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) "
                    f"is {len(weights)}; len(vocabulary) is {len(vocab)}"
                )
            if weights.ndim != 1:
                raise ValueError(
                    f"TF-IDF data must be a 1-index array. Received shape {weights.shape}"
                )
            front = 0 if found_special else token_start
            weights = np.concatenate([np.full(front, np.average(weights)), weights])
            self._idf = self._pad_idf(weights.astype(np.float32))
        self._set_tokens(tokens)

    def _pad_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            back = np.zeros(self.max_tokens - len(weights), np.float32)
            weights = np.concatenate([weights, back])
        return weights.astype(np.float32)

    # ----------------------------------------------------------------- adapt
    def adapt(self, data, steps=None) -> None:
        """Learns the vocabulary from ``data``: every term, most frequent first, ties broken
        by the terms themselves in descending order (Keras's order), the mask and OOV
        tokens left out, cut to ``max_tokens``; with ``output_mode="tf_idf"`` also the
        IDF weights ``log(1 + documents / (1 + documents with the term))``.

        Parameters
        ----------
        data : array_like, list, tf.data.Dataset or iterable of batches
            An array or list is one batch (a 1-D one holds one term per sample); a dataset
            or generator yields batches (each row one document).
        steps : int, optional
            How many batches of an iterable to read (all by default).
        """
        self._check_adaptable(self.name)
        counts, documents, n_documents = collections.Counter(), collections.Counter(), 0
        for batch in adapt_batches(data, steps):
            keys = self._keys(batch, "data")
            counts, documents, n_documents = self._update(keys, counts, documents, n_documents)
        self._finalize(counts, documents, n_documents)

    def _check_adaptable(self, name: str) -> None:
        """Keras refuses ``adapt`` once a vocabulary was given (``name``: the adapted layer)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )

    def _update(self, keys, counts, documents, n_documents):
        if keys.ndim < 2:
            keys = keys.reshape(1, -1)  # a 1-D batch is one document
        tokens, numbers = np.unique(keys.reshape(-1), return_counts=True)
        counts.update(dict(zip(tokens.tolist(), numbers.tolist())))
        if self.output_mode == "tf_idf":
            for row in keys.reshape(keys.shape[0], -1):
                documents.update(np.unique(row).tolist())
            n_documents += keys.shape[0]
        return counts, documents, n_documents

    def _finalize(self, counts, documents, n_documents) -> None:
        if not counts:
            raise ValueError(
                f"adapt() of layer '{self.name}' received no data: `data` holds no terms. "
                "Expected at least one term, e.g. layer.adapt(['a', 'b'])."
            )
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        order = sorted(counts.items(), key=self._sort_key, reverse=True)
        if self.max_tokens:
            order = order[: self.max_tokens - self._token_start_index()]
        tokens = [token for token, _ in order]
        if self.output_mode == "tf_idf":
            doc_counts = np.array([documents[t] for t in tokens], np.int64)
            idf = np.log(1 + n_documents / (1 + doc_counts)).astype(np.float32)
            mean = np.mean(idf, dtype=np.float32) if idf.size else np.float32("nan")
            front = np.full(self._token_start_index(), mean, np.float32)
            self._idf = self._pad_idf(np.concatenate([front, idf]))
        self._set_tokens(tokens)
        self._adapted = True

    def _sort_key(self, item):
        token, count = item
        return (count, token.encode("utf-8") if self._strings else token)

    # ------------------------------------------------------------------ call
    def _check_ready(self) -> None:
        if self._has_input_vocabulary or self._adapted or self._frozen_vocab_size is not None:
            return
        raise ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) has no vocabulary: pass the "
            "`vocabulary` argument or call `adapt()` with sample data before calling it."
        )

    def call(self, inputs):
        self._check_ready()
        if self.invert:
            return Tensor._from_op(self._invert(_as_integers(inputs)), None)
        keys = self._keys(inputs)
        indices = self._lookup(keys)
        if self.output_mode == "int":
            return Tensor._from_op(indices, None)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical(indices, mode, depth)
        if self.output_mode == "tf_idf":
            return Tensor._from_op(out * self._idf[:depth], None)
        # float32: Keras's declared output spec (its eager TF tables give int64), what a
        # Dense layer after it computes in
        return Tensor._from_op(out, None)

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        oov_start = self._oov_start_index()
        default = oov_start if self.num_oov_indices == 1 else -1
        uniques, inverse = np.unique(keys.reshape(-1), return_inverse=True)
        table = self._table
        mapped = np.fromiter(
            (table.get(k, default) for k in uniques.tolist()), np.int64, len(uniques)
        )
        indices = mapped[inverse.reshape(-1)].reshape(keys.shape)
        if self.mask_token is not None:
            indices[keys == self.mask_token] = 0 if self.output_mode == "int" else _INT64_MAX
        missing = indices == -1
        if self.num_oov_indices == 0 and missing.any():
            raise ValueError(
                "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                f"values {keys[missing].tolist()}, consider setting `num_oov_indices=1`."
            )
        if self.num_oov_indices > 1 and missing.any():
            indices[missing] = self._oov_buckets(keys[missing]) + oov_start
        return indices

    def _oov_buckets(self, keys: np.ndarray) -> np.ndarray:
        if not self._strings and self.oov_method == "floormod":
            return np.mod(keys, self.num_oov_indices)
        words = keys.tolist() if self._strings else [str(k) for k in keys.tolist()]
        return np.array(
            [fingerprint64(w.encode("utf-8")) % self.num_oov_indices for w in words], np.int64
        )

    def _invert(self, indices: np.ndarray) -> np.ndarray:
        vocab = self.get_vocabulary()
        lookup = {i: t for t, i in self._table.items()}
        if self.mask_token is not None:
            lookup[0] = self.mask_token
        uniques, inverse = np.unique(indices.reshape(-1), return_inverse=True)
        mapped = [lookup.get(i, self.oov_token) for i in uniques.tolist()]
        dtype = object if self._strings else np.int64
        del vocab
        out = np.empty(len(mapped), dtype)
        out[:] = mapped
        return out[inverse.reshape(-1)].reshape(indices.shape)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def load_keras_assets(self, vocabulary_text: str, variables: dict) -> None:
        """Sets the vocabulary a Keras file keeps as an asset (``vocabulary.txt``, special
        tokens first) and, for ``"tf_idf"``, its ``idf_weights`` variable."""
        lines = vocabulary_text.splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._strings else [int(line) for line in lines]
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.asarray(variables["idf_weights"], np.float32)[: len(values)]
        self.set_vocabulary(values, idf_weights=idf)

    def get_build_config(self):
        return {}

    def build_from_config(self, config) -> None:
        self.built = True

    def get_config(self):
        """Keras's config. An adapted layer (or one given a vocabulary file) also stores its
        vocabulary and IDF weights here, where Keras writes them as assets, so that
        ``from_config`` and saved models give the same outputs."""
        vocabulary, idf = self.input_vocabulary, self.input_idf_weights
        if vocabulary is None and self._frozen_vocab_size is not None and self._tokens:
            vocabulary = self.get_vocabulary()
            if self.output_mode == "tf_idf" and self._idf is not None:
                idf = self._idf[: self.vocabulary_size()]
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": None,
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": np.asarray(idf).tolist() if idf is not None else None,
            "vocabulary": np.asarray(vocabulary).tolist() if vocabulary is not None else None,
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (``keras.layers.StringLookup``).

    The vocabulary is given (a list, or a text file with one term a line) or learned with
    :meth:`adapt`. Terms not in it map to one of ``num_oov_indices`` OOV indices (spread by
    FarmHash64 as in TensorFlow when there are several). ``invert=True`` maps indices back
    to terms.

    Input shape: any, strings. Output shape: the same (``"int"``), with a last axis of the
    vocabulary size for ``"one_hot"`` (replacing a last axis of 1) or replacing the last
    axis for ``"multi_hot"``, ``"count"`` and ``"tf_idf"``.

    Parameters
    ----------
    max_tokens : int, optional
        The largest vocabulary, mask and OOV indices included.
    num_oov_indices : int, default 1
    mask_token : str, optional
        A term that maps to 0 (``"int"``) or is dropped (other modes).
    oov_token : str, default "[UNK]"
        The term OOV indices map back to with ``invert=True``.
    vocabulary : list of str or str, optional
    idf_weights : array_like, optional
        With ``output_mode="tf_idf"`` and a given vocabulary.
    invert : bool, default False
    output_mode : {"int", "one_hot", "multi_hot", "count", "tf_idf"}
    pad_to_max_tokens : bool, default False
    encoding : str, default "utf-8"
        How bytes inputs are decoded.

    Examples
    --------
    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer([["a", "c", "z"]]).numpy()
    array([[1, 3, 0]])
    >>> layer.get_vocabulary()
    ['[UNK]', 'a', 'b', 'c']
    >>> StringLookup(vocabulary=["a", "b"], invert=True)([[2, 1, 0]]).numpy()
    array([['b', 'a', '[UNK]']], dtype=object)
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        salt=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            encoding=encoding,
            **kwargs,
        )

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (``keras.layers.IntegerLookup``).

    As :class:`StringLookup` for integer terms; several OOV indices are chosen by
    ``term % num_oov_indices`` (``oov_method="floormod"``) or FarmHash64 of the decimal
    text (``"farmhash"``).

    Input shape: any, integers. Output shape: as :class:`StringLookup`'s.

    Examples
    --------
    >>> layer = IntegerLookup()
    >>> layer.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    >>> layer.get_vocabulary()
    [-1, 42, 1138, 1000, 36, 12]
    >>> layer(np.array([[12, 1000, 7]])).numpy()
    array([[5, 3, 0]])
    """

    _strings = False

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if isinstance(num_oov_indices, (int, np.integer)) and num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": "int64"}


# ------------------------------------------------------------- category encoding
class CategoryEncoding(_DataLayer):
    """Encodes integer categories as one-hot, multi-hot or count vectors
    (``keras.layers.CategoryEncoding``).

    Input shape: integers in ``[0, num_tokens)``, any rank. Output shape: for
    ``"one_hot"`` the input's with a last axis of ``num_tokens`` (replacing a last axis of
    1); for ``"multi_hot"`` and ``"count"`` the last axis (the sample) is replaced by
    ``num_tokens``.

    Parameters
    ----------
    num_tokens : int
    output_mode : {"multi_hot", "one_hot", "count"}, default "multi_hot"
    sparse : bool, default False
        Only False: outputs are dense.

    Examples
    --------
    >>> CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 2, 0]).numpy()
    array([[0., 0., 0., 1.],
           [0., 0., 1., 0.],
           [1., 0., 0., 0.]], dtype=float32)
    >>> CategoryEncoding(num_tokens=4, output_mode="count")(
    ...     [[0, 1], [1, 1]], count_weights=[[0.5, 1.0], [2.0, 1.0]]).numpy()
    array([[0.5, 1. , 0. , 0. ],
           [0. , 3. , 0. , 0. ]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead."
            )
        if (
            isinstance(num_tokens, bool)
            or not isinstance(num_tokens, (int, np.integer))
            or num_tokens < 1
        ):
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError(
                "`sparse=True` is not supported by neuroflow (outputs are dense). "
                f"Received: sparse={sparse}"
            )
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = np.asarray(raw(count_weights), np.float32)
        indices = _as_integers(inputs)
        if indices.size and indices.min() < 0:
            raise ValueError(
                f"Expected the inputs of layer '{self.name}' to be non-negative (values at or "
                f"above num_tokens={self.num_tokens} count for nothing, as in Keras). "
                f"Received a value of {indices.min()}."
            )
        out = encode_categorical(indices, self.output_mode, self.num_tokens, count_weights)
        return Tensor._from_op(out, None)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (input_shape[-1] != 1 or len(input_shape) == 1):
            return input_shape + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }


# ---------------------------------------------------------------- discretization
def _summarize(values, epsilon):
    """Keras's quantile summary of a batch: sorted values at spaced ranks, with weights."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1) :: int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress_summary(summary, epsilon):
    """Keras's summary compression: bins interpolated at cumulative-weight percentiles."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


class Discretization(_DataLayer):
    """Buckets numbers into ranges (``keras.layers.Discretization``).

    ``bin_boundaries=[0., 1., 2.]`` gives the bins ``(-inf, 0)``, ``[0, 1)``, ``[1, 2)``,
    ``[2, inf)``; with ``num_bins`` instead, :meth:`adapt` picks boundaries at quantiles
    of the data with Keras's approximate algorithm (tolerance ``epsilon``).

    Input shape: any. Output shape: the same for ``"int"`` (int32 bin indices); as
    :class:`CategoryEncoding`'s for the other modes, with ``len(bin_boundaries) + 1`` bins.

    Examples
    --------
    >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])([[-1.5, 1.0, 3.4, 0.5]]).numpy()
    array([[0, 2, 3, 1]], dtype=int32)
    >>> layer = Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(np.arange(8.0))
    >>> layer.bin_boundaries
    [1.0, 3.0, 5.0]
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
        **kwargs,
    ):
        kwargs.pop("trainable", None)
        super().__init__(name=name, **kwargs)
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                f"`'multi_hot'`, or `'count'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(f"`sparse=True` cannot be used with neuroflow. Received: {sparse=}")
        check_string_arg(
            output_mode, ("int", "one_hot", "multi_hot", "count"), "Discretization", "output_mode"
        )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in np.asarray(raw(bin_boundaries)).reshape(-1)]
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def adapt(self, data, steps=None) -> None:
        """Sets ``bin_boundaries`` to ``num_bins - 1`` approximate quantiles of ``data``
        (an array, or an iterable of batches such as a ``tf.data.Dataset``)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        summary = np.array([[], []], dtype="float32")
        seen = 0
        for batch in adapt_batches(data, steps, expand_rank_1=False):
            values = np.asarray(batch).astype("float32")
            seen += values.size
            if values.size == 0:
                continue
            merged = np.concatenate((_summarize(values, self.epsilon), summary), axis=1)
            merged = np.take(merged, np.argsort(merged[0]), axis=1)
            summary = _compress_summary(merged, self.epsilon)
        if not seen:
            raise ValueError(
                f"adapt() of layer '{self.name}' received no values: `data` is empty. "
                "Expected at least one number."
            )
        self.bin_boundaries = _compress_summary(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` "
                "layer."
            )
        values = np.asarray(raw(inputs))
        if values.dtype.kind not in "biuf":
            raise TypeError(
                f"Expected `inputs` to hold numbers. Received an array of dtype {values.dtype}."
            )
        boundaries = np.asarray(self.bin_boundaries, np.float32)
        indices = np.digitize(values.astype(np.float32), boundaries).astype(np.int32)
        if self.output_mode == "int":
            return Tensor._from_op(indices, None)
        depth = len(self.bin_boundaries) + 1
        return Tensor._from_op(encode_categorical(indices, self.output_mode, depth), None)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if input_shape and len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": None,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in boundaries]
            return layer
        return cls(**config)


# ------------------------------------------------------------------ FarmHash64
# TensorFlow's ``to_hash_bucket_fast`` (how Keras spreads OOV terms over several indices):
# FarmHash's Fingerprint64 (farmhashna::Hash64) of the UTF-8 bytes, modulo the bucket count
_M = (1 << 64) - 1
_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _f64(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 8], "little")


def _f32(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 4], "little")


def _rot(v: int, shift: int) -> int:
    return v if shift == 0 else ((v >> shift) | (v << (64 - shift))) & _M


def _mix(v: int) -> int:
    return v ^ (v >> 47)


def _len16(u: int, v: int, mul: int = 0x9DDFEA08EB382D69) -> int:
    a = _mix(((u ^ v) * mul) & _M)
    b = _mix(((v ^ a) * mul) & _M)
    return (b * mul) & _M


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_f64(s, 0) + _K2) & _M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _len16((n + (_f32(s, 0) << 3)) & _M, _f32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K1) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    return _len16(
        (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
        (a + _rot((b + _K2) & _M, 18) + c) & _M,
        mul,
    )


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K2) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_f64(s, 16) * mul) & _M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M
    h = ((z + _f64(s, n - 24)) * mul) & _M
    return _len16(
        (_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
        (e + _rot((f + a) & _M, 18) + g) & _M,
        mul,
    )


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple:
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s: bytes) -> int:
    """FarmHash's Fingerprint64 of ``s`` (TensorFlow's string fingerprint)."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M
    z = (_mix((y * _K2 + 113) & _M) * _K2) & _M
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _f64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v1 + _f64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w1
        y = (y + v0 + _f64(s, i + 40)) & _M
        z = (_rot((z + w0) & _M, 33) * _K1) & _M
        v0, v1 = _weak32(s, i, (v1 * _K1) & _M, (x + w0) & _M)
        w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _f64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _M
    v0 = (v0 + w0) & _M
    w0 = (w0 + v0) & _M
    x = (_rot((x + y + v0 + _f64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v1 + _f64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w1 * 9) & _M
    y = (y + v0 * 9 + _f64(s, i + 40)) & _M
    z = (_rot((z + w0) & _M, 33) * mul) & _M
    v0, v1 = _weak32(s, i, (v1 * mul) & _M, (x + w0) & _M)
    w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _f64(s, i + 16)) & _M)
    z, x = x, z
    return _len16(
        (_len16(v0, w0, mul) + _mix(y) * _K0 + z) & _M, (_len16(v1, w1, mul) + x) & _M, mul
    )
