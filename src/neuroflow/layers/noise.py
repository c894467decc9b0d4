"""Regularization by noise, active only while training: GaussianNoise, GaussianDropout,
and SpatialDropout1D/2D (dropout of whole feature maps).

Each draws its noise as a constant array and combines it with the input through
:func:`~neuroflow.ops.add` or :func:`~neuroflow.ops.mul`, so none needs a backward of its
own. The generator is the layer's own when ``seed`` is given, the global one
(:func:`neuroflow.utils.set_random_seed`) otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow import backend, ops
from neuroflow.layers.base import Layer, check_data_format
from neuroflow.layers.conv import check_input_rank
from neuroflow.tensor import Tensor

__all__ = ["GaussianDropout", "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D"]


def _check_fraction(layer: str, name: str, value, high_inclusive: bool) -> float:
    upper_ok = value <= 1 if high_inclusive else value < 1
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (0 <= value and upper_ok)
    ):
        bound = "1" if high_inclusive else "1 (1 excluded)"
        raise ValueError(
            f"Invalid value received for argument `{name}` of layer '{layer}'. Expected a "
            f"float value between 0 and {bound}. Received: {name}={value!r}"
        )
    return float(value)


class _Noise(Layer):
    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"Expected `seed` to be an int or None. Received: seed={seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _generator(self) -> np.random.Generator:
        return self._rng or backend.rng()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_Noise):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` while training.

    At inference it passes inputs through unchanged. Input and output shapes are the same.

    Parameters
    ----------
    stddev : float in [0, 1]
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> layer = GaussianNoise(0.1, seed=0)
    >>> float(layer(np.zeros((1, 3))).numpy().std())
    0.0
    >>> float(np.abs(layer(np.zeros((1000, 3)), training=True).numpy().std() - 0.1)) < 0.01
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _check_fraction(self.name, "stddev", stddev, high_inclusive=True)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = self._generator().normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        return ops.add(inputs, Tensor(noise))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_Noise):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` while training (multiplicative dropout).

    At inference it passes inputs through unchanged. Input and output shapes are the same.

    Parameters
    ----------
    rate : float in [0, 1)
    seed : int, optional
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _check_fraction(self.name, "rate", rate, high_inclusive=False)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._generator().normal(1.0, stddev, inputs.shape).astype(inputs.dtype)
        return ops.mul(inputs, Tensor(noise))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout2D(_Noise):
    """Dropout of whole feature maps: while training, each channel of each sample is zeroed
    with probability ``rate`` (over all its pixels) and the rest scaled by 1/(1-rate).

    Input and output shape: ``(batch, height, width, channels)``, or
    ``(batch, channels, height, width)`` with ``data_format="channels_first"``.

    Parameters
    ----------
    rate : float in [0, 1)
    data_format : {"channels_last", "channels_first"}, optional
    seed : int, optional

    Examples
    --------
    >>> import numpy as np
    >>> out = SpatialDropout2D(0.5, seed=1)(np.ones((4, 3, 3, 8)), training=True).numpy()
    >>> sorted({float(v) for v in np.unique(out)})
    [0.0, 2.0]
    >>> bool((out.min(axis=(1, 2)) == out.max(axis=(1, 2))).all())  # whole maps kept or not
    True
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(seed=seed, name=name, dtype=dtype, **kwargs)
        self.rate = _check_fraction(self.name, "rate", rate, high_inclusive=False)
        self.data_format = check_data_format(self.name, data_format)

    def _noise_shape(self, shape) -> tuple:
        if self.data_format == "channels_first":
            return shape[:2] + (1,) * self.rank
        return shape[:1] + (1,) * self.rank + shape[-1:]

    def build(self, input_shape):
        check_input_rank(self.name, input_shape, self.rank + 2)

    def call(self, inputs, training=False):
        check_input_rank(self.name, inputs.shape, self.rank + 2)
        if not training or self.rate == 0:
            return inputs
        keep = self._generator().random(self._noise_shape(inputs.shape)) >= self.rate
        mask = keep.astype(inputs.dtype) * inputs.dtype.type(1.0 / (1.0 - self.rate))
        return ops.mul(inputs, Tensor(mask))

    def get_config(self):
        # Keras's keys: no "trainable"
        config = {k: v for k, v in super().get_config().items() if k != "trainable"}
        config.update(rate=self.rate, seed=self.seed)
        if self.rank == 2:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(SpatialDropout2D):
    """Dropout of whole feature maps of sequences: while training, each channel of each
    sample is zeroed with probability ``rate`` (at every step) and the rest scaled by
    1/(1-rate).

    Input and output shape: ``(batch, steps, channels)``.

    Parameters
    ----------
    rate : float in [0, 1)
    seed : int, optional
    """

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
