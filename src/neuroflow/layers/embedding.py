"""Embedding (integer indices to dense vectors) and Masking: the layers that start a mask.

A mask is Keras's boolean ``(batch, timesteps)`` array, True where a step holds data. The
layer that makes it returns it from ``compute_mask``; :meth:`Layer.__call__
<neuroflow.layers.base.Layer.__call__>` puts it on the output Tensor (``_keras_mask``) and
hands it to the ``mask`` argument of the layers downstream that take one (the recurrent
layers skip masked steps, ``GlobalAveragePooling1D`` averages the others, the loss weighs
them out).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from neuroflow import constraints, initializers, regularizers
from neuroflow.layers.base import Layer, check_positive_int
from neuroflow.ops.array import Gather, Select
from neuroflow.tensor import Tensor

__all__ = ["Embedding", "Masking"]


class Embedding(Layer):
    """Turns non-negative integers (indices) into dense vectors of a fixed size.

    Row ``i`` of the ``embeddings`` weight, of shape ``(input_dim, output_dim)``, is the
    vector of index ``i``. The gradient adds each output's gradient back into the row it was
    read from (a scatter-add, so repeated indices accumulate).

    Input shape: ``(batch, ...)`` of integers in ``[0, input_dim)`` (floats holding integers
    are cast, as Keras casts them). Output shape: ``(batch, ..., output_dim)``.

    Parameters
    ----------
    input_dim : int
        Size of the vocabulary: the largest index plus one.
    output_dim : int
        Size of each vector.
    embeddings_initializer : str or Initializer, default "uniform"
        Keras's ``RandomUniform(-0.05, 0.05)``.
    embeddings_regularizer : Regularizer, optional
        Penalty on the embeddings, added to the loss.
    embeddings_constraint : Constraint, optional
        Applied to the embeddings after each optimizer step (:mod:`neuroflow.constraints`;
        ``MaxNorm(axis=1)`` bounds each vector's norm).
    mask_zero : bool, default False
        Whether index 0 is padding: the output then carries the mask ``inputs != 0`` for
        the layers downstream (so index 0 is no word, and ``input_dim`` is the vocabulary
        size plus one).
    weights : array_like, optional
        Initial ``(input_dim, output_dim)`` values.
    input_length : int, optional
        tf.keras 2's argument, accepted with Keras 3's deprecation warning; the length of
        the sequences comes from the data.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Embedding(10, 3, mask_zero=True)
    >>> out = layer(np.array([[1, 2, 0, 0]]))
    >>> out.shape
    TensorShape([1, 4, 3])
    >>> out._keras_mask
    array([[ True,  True, False, False]])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        kwargs.pop("activity_regularizer", None)  # Keras's config carries it (None)
        kwargs.pop("quantization_config", None)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(self.name, "input_dim", input_dim)
        self.output_dim = check_positive_int(self.name, "output_dim", output_dim)
        if lora_rank:
            raise NotImplementedError("Embedding(lora_rank=) is not supported.")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero  # as Keras: a mask_zero=False layer ends masks
        if weights is not None:
            self.build_for((None, None))
            self.set_weights(weights if isinstance(weights, list) else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            "embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )

    def _indices(self, inputs) -> np.ndarray:
        """The inputs as an integer array, every index checked to be in range."""
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if data.dtype.kind not in "iu":
            if data.dtype.kind not in "fb":
                raise TypeError(
                    f"Layer '{self.name}' (Embedding) expects integer indices. Received an input "
                    f"of dtype {data.dtype}."
                )
            data = data.astype(np.int64)  # Keras casts to int (truncating), so do we
        if data.size:
            low, high = data.min(), data.max()
            if low < 0 or high >= self.input_dim:
                bad = int(low if low < 0 else high)
                raise ValueError(
                    f"Layer '{self.name}' (Embedding) received the index {bad}, outside its "
                    f"vocabulary: expected indices in [0, {self.input_dim}) (input_dim="
                    f"{self.input_dim})."
                )
        return data

    def call(self, inputs):
        return Gather.apply(self.embeddings, indices=self._indices(inputs), axis=0)

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return data != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": None,
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``.

    The output is the input with those steps set to zero, and it carries the mask
    ``any(inputs != mask_value, axis=-1)`` for the layers downstream (a recurrent layer
    skips the masked steps).

    Input shape: ``(batch, timesteps, features)``. Output shape: the same.

    Parameters
    ----------
    mask_value : float, default 0.0

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1.0, 2.0], [-1.0, -1.0], [0.0, 3.0]]])
    >>> out = Masking(mask_value=-1.0)(x)
    >>> out.numpy()[0, 1], out._keras_mask
    (array([0., 0.], dtype=float32), array([[ True, False,  True]]))
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(
                f"`mask_value` of layer '{self.name}' must be a number. Received: "
                f"mask_value={mask_value!r}"
            )
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def _mask(self, inputs) -> np.ndarray:
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return np.any(data != self.mask_value, axis=-1)

    def call(self, inputs):
        mask = self._mask(inputs)
        zero = Tensor(np.zeros((), inputs.data.dtype))
        outputs = Select.apply(inputs, zero, condition=mask[..., None])  # Keras's where
        outputs._keras_mask = mask  # computed once here, as Keras's call sets it
        return outputs

    def compute_mask(self, inputs, previous_mask=None):
        return self._mask(inputs)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
