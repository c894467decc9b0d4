"""TextVectorization as Keras 3's: standardize, split, n-grams, then a StringLookup."""

from __future__ import annotations

import collections
import re

import numpy as np

from neuroflow.layers.lookup import (
    StringLookup,
    _as_strings,
    _DataLayer,
    adapt_batches,
    check_string_arg,
    encode_categorical,
)
from neuroflow.tensor import Tensor

__all__ = ["TextVectorization"]

# Keras's punctuation (TensorFlow's regex_replace pattern, ASCII only; `,-\.` is a range)
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")  # tf.strings.split's: ASCII whitespace only


def _lower_ascii(text: str) -> str:
    """tf.strings.lower without an encoding: only A-Z change ("É" stays)."""
    return text.encode("utf-8").lower().decode("utf-8")


class TextVectorization(_DataLayer):
    """Turns strings into token indices or token counts (``keras.layers.TextVectorization``).

    Each string is standardized (lowercased and stripped of ASCII punctuation by default),
    split into tokens (on ASCII whitespace by default), optionally extended with n-grams,
    and looked up in a vocabulary learned by :meth:`adapt` (most frequent first) or given.
    Index 0 is padding (the empty-string mask token), 1 the OOV token ``"[UNK]"``.

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings. Output shape:
    ``(batch, output_sequence_length)`` int64 indices for ``"int"`` (padded with 0 to the
    longest row when no length is set); ``(batch, vocabulary size)`` float32 for
    ``"multi_hot"``, ``"count"`` and ``"tf_idf"``.

    Parameters
    ----------
    max_tokens : int, optional
        The largest vocabulary, padding and OOV included.
    standardize : {"lower_and_strip_punctuation", "lower", "strip_punctuation"}, callable or None
        A callable receives a NumPy array of ``str`` and returns one.
    split : {"whitespace", "character"}, callable or None
        A callable receives a 1-D NumPy array of ``str`` and returns a list of token lists.
    ngrams : int or tuple of int, optional
        ``2`` adds bigrams to the unigrams; ``(2,)`` gives bigrams only.
    output_mode : {"int", "multi_hot", "count", "tf_idf"}, default "int"
    output_sequence_length : int, optional
        Pads or cuts ``"int"`` outputs to this length.
    pad_to_max_tokens : bool, default False
    vocabulary : list of str or str, optional
    idf_weights : array_like, optional

    Examples
    --------
    >>> layer = TextVectorization()
    >>> layer.adapt(["The cat sat.", "The dog!"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
    >>> layer(["the cat", "a dog sat"]).numpy()
    array([[2, 5, 0],
           [1, 4, 3]])
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        if sparse or ragged:
            raise ValueError(
                "`sparse=True` and `ragged=True` need TensorFlow's tensor types; neuroflow's "
                f"outputs are dense. Received: sparse={sparse}, ragged={ragged}"
            )
        if not callable(standardize) and standardize is not None:
            check_string_arg(
                standardize,
                ("lower_and_strip_punctuation", "lower", "strip_punctuation"),
                "TextVectorization",
                "standardize",
            )
        if not callable(split) and split is not None:
            check_string_arg(split, ("whitespace", "character"), "TextVectorization", "split")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        check_string_arg(
            output_mode,
            ("int", "one_hot", "multi_hot", "count", "tf_idf"),
            "TextVectorization",
            "output_mode",
        )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
        ):
            raise ValueError(
                "`ngrams` must be None, an integer, or a tuple of integers. "
                f"Received: ngrams={ngrams}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None
            or (
                isinstance(output_sequence_length, int)
                and not isinstance(output_sequence_length, bool)
            )
        ):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when "
                f"`output_mode` is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        if output_mode == "one_hot" and split is not None:
            raise ValueError(
                "`output_mode='one_hot'` needs `split=None` (one token per string): split "
                "strings make a ragged one-hot tensor, which neuroflow does not have. "
                f"Received: split={split!r}"
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
            name=f"{self.name}_lookup",
        )
        self.built = True

    # ------------------------------------------------------------ preprocessing
    def _standardized(self, strings: np.ndarray) -> np.ndarray:
        mode = self._standardize
        if mode is None:
            return strings
        if callable(mode):
            return _as_strings(mode(strings), self._encoding, "the output of `standardize`")
        flat = strings.reshape(-1).tolist()
        if mode in ("lower", "lower_and_strip_punctuation"):
            flat = [_lower_ascii(s) for s in flat]
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            flat = [_PUNCTUATION.sub("", s) for s in flat]
        return np.array(flat + [""], dtype=str)[: len(flat)].reshape(strings.shape)

    def _preprocess(self, inputs):
        """Token lists (one per string), or a ``str`` array when ``split`` is None; and
        whether the input was one string."""
        strings = self._standardized(_as_strings(inputs, self._encoding))
        scalar = strings.ndim == 0
        if self._split is None:  # the strings are the tokens, in their own shape
            if self._ngrams is not None:
                raise ValueError(
                    "`ngrams` needs `split`: n-grams join the tokens of one string. "
                    f"Received: split=None, ngrams={self._ngrams_arg}"
                )
            return strings, scalar
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    "be 1 or the last shape dimension must be 1. Received: "
                    f"inputs.shape={strings.shape} with rank={strings.ndim}"
                )
            strings = strings[..., 0]
        flat = strings.reshape(-1).tolist()
        if self._split == "whitespace":
            rows = [[t for t in _WHITESPACE.split(s) if t] for s in flat]
        elif self._split == "character":
            rows = [list(s) for s in flat]
        else:
            rows = [
                _as_strings(np.asarray(r, dtype=object), self._encoding).tolist() if len(r) else []
                for r in self._split(np.array(flat + [""], dtype=str)[: len(flat)])
            ]
        if self._ngrams is not None:
            rows = [self._with_ngrams(r) for r in rows]
        return rows, scalar

    def _with_ngrams(self, tokens: list) -> list:
        """tf.strings.ngrams: every n-gram of each width in turn, joined by a space."""
        out = []
        for n in self._ngrams:
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return out

    # -------------------------------------------------------------------- adapt
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learns the vocabulary (and IDF weights for ``"tf_idf"``) from ``data``: an array
        or list of strings, or an iterable of batches of them (a ``tf.data.Dataset``)."""
        lookup = self._lookup_layer
        lookup._check_adaptable(self.name)
        counts, documents, n_documents = collections.Counter(), collections.Counter(), 0
        for batch in adapt_batches(data, steps):
            rows, _ = self._preprocess(batch)
            if self._split is None:  # each row a document; a 1-D batch is one, as in Keras
                rows = np.asarray(rows)
                rows = rows.reshape(rows.shape[0] if rows.ndim > 1 else 1, -1).tolist()
            for row in rows:
                counts.update(row)
                if self._output_mode == "tf_idf":
                    documents.update(set(row))
            n_documents += len(rows)
        lookup._finalize(counts, documents, n_documents)

    # --------------------------------------------------------------------- call
    def call(self, inputs):
        lookup = self._lookup_layer
        lookup._check_ready()
        rows, scalar = self._preprocess(inputs)
        if self._split is None:  # one token per string: the lookup layer's own shapes
            out = lookup.call(rows)
            length = self._output_sequence_length
            if self._output_mode == "int" and length is not None:  # Keras's: the last axis
                data = out.data[..., :length]
                pad = [(0, 0)] * (data.ndim - 1) + [(0, length - data.shape[-1])]
                out = Tensor._from_op(np.pad(data, pad), None)
            return out
        lengths = [len(r) for r in rows]
        flat = np.array([t for r in rows for t in r] + [""], dtype=str)[: sum(lengths)]
        indices = lookup._lookup(flat)
        width = max(lengths, default=0)
        if self._output_mode == "int" and self._output_sequence_length is not None:
            width = self._output_sequence_length
        fill = 0 if self._output_mode == "int" else -1  # -1: counts for nothing
        padded = np.full((len(rows), width), fill, np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        for i, n in enumerate(lengths):
            n = min(n, padded.shape[1])
            padded[i, :n] = indices[starts[i] : starts[i] + n]
        if self._output_mode == "int":
            return Tensor._from_op(padded[0] if scalar else padded, None)
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        mode = "count" if self._output_mode == "tf_idf" else self._output_mode
        out = encode_categorical(padded, mode, depth)
        out = out[0] if scalar else out
        if self._output_mode == "tf_idf":
            return Tensor._from_op(out * lookup._idf[:depth], None)
        return Tensor._from_op(out, None)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    # --------------------------------------------------------------- vocabulary
    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The token of each index (``""`` and ``"[UNK]"`` first unless
        ``include_special_tokens=False``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Sets the vocabulary (and IDF weights for ``"tf_idf"``) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def load_keras_assets(self, vocabulary_text: str, variables: dict) -> None:
        """The vocabulary (and IDF weights) of a Keras file's adapted layer."""
        self._lookup_layer.load_keras_assets(vocabulary_text, variables)

    def get_config(self):
        """Keras's config; an adapted layer also stores its vocabulary (and IDF weights),
        which Keras writes as assets, so that saved models give the same outputs."""
        lookup = self._lookup_layer
        looked = lookup.get_config()
        for key in ("standardize", "split"):
            value = getattr(self, f"_{key}")
            if callable(value):
                raise ValueError(
                    f"Cannot serialize layer '{self.name}': its `{key}` is a Python callable, "
                    "which neuroflow does not save (no code is stored in configs)."
                )
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": None,
            "max_tokens": lookup.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": looked["vocabulary"],
            "idf_weights": looked["idf_weights"],
            "encoding": self._encoding,
            "vocabulary_size": lookup._frozen_vocab_size,
        }
