"""Normalization layers: BatchNormalization and LayerNormalization."""

from __future__ import annotations

import numpy as np

from neuroflow import constraints, initializers, ops, regularizers
from neuroflow.layers.base import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


def _check_unsupported_none(layer: str, name: str, value) -> None:
    """Keras config keys this library accepts only at their default (None or False)."""
    if value not in (None, False):
        raise ValueError(
            f"Layer '{layer}' does not support `{name}` (only its default is accepted). "
            f"Received: {name}={value!r}"
        )


def _check_axis(layer: str, axis, ndim: int, input_shape) -> int:
    """``axis`` as a non-negative index into an input of ``ndim`` dimensions."""
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"Axis {axis} is out of bounds for the input of layer '{layer}' of shape "
            f"{tuple(input_shape)}. Received: axis={axis}"
        )
    return axis % ndim


class BatchNormalization(Layer):
    """Normalizes each feature with the batch's statistics in training, and with moving
    averages of them in inference.

    In training (``training=True``, as ``fit`` calls it, on a layer whose ``trainable`` is
    True) the output is ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` with the
    mean and the biased variance of each feature over every other axis, and the moving
    statistics become ``moving * momentum + batch * (1 - momentum)``. Otherwise (``predict``,
    ``evaluate``, or ``trainable=False``, as in Keras 3, which is how fine-tuning freezes it)
    ``moving_mean`` and ``moving_variance`` are used and nothing is updated.

    Input shape: any, e.g. ``(batch, features)`` or ``(batch, height, width, channels)``.
    Output shape: the same.

    Parameters
    ----------
    axis : int, default -1
        The features axis (``1`` after a channels-first convolution).
    momentum : float, default 0.99
    epsilon : float, default 1e-3
    center, scale : bool, default True
        Whether to add ``beta`` and multiply by ``gamma``.
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer
        ``"zeros"``, ``"ones"``, ``"zeros"`` and ``"ones"``, as in Keras.
    beta_regularizer, gamma_regularizer : Regularizer, optional
    beta_constraint, gamma_constraint : Constraint, optional
        Applied after each optimizer step (:mod:`neuroflow.constraints`).
    synchronized : bool, default False
        Accepted for Keras compatibility; one process has nothing to synchronize with.

    Notes
    -----
    Training on a batch whose features each have a single value (a batch of one sample of
    shape ``(1, features)``) raises a ValueError: its variance is 0 and every output would be
    ``beta``. Keras computes that silently (zeros, or NaN gradients downstream).

    Examples
    --------
    >>> layer = BatchNormalization()
    >>> x = np.array([[0.0, 10.0], [2.0, 30.0]])
    >>> np.round(layer(x, training=True).numpy(), 4)
    array([[-0.9995, -1.    ],
           [ 0.9995,  1.    ]], dtype=float32)
    >>> np.round(layer.moving_mean.numpy(), 4)  # 0.99 * 0 + 0.01 * [1, 20]
    array([0.01, 0.2 ], dtype=float32)
    >>> [w.name for w in layer.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized=False,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(
                f"Expected an integer `axis` for layer '{self.name}' (the features axis). "
                f"Received: axis={axis!r}"
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        if not 0.0 <= self.momentum <= 1.0:
            raise ValueError(
                f"Expected `momentum` between 0 and 1 for layer '{self.name}'. "
                f"Received: momentum={momentum!r}"
            )
        self.epsilon = float(epsilon)
        if self.epsilon <= 0:
            raise ValueError(
                f"Expected a positive `epsilon` for layer '{self.name}'. "
                f"Received: epsilon={epsilon!r}"
            )
        for name, value in (
            ("renorm", renorm),
            ("renorm_clipping", renorm_clipping),
        ):
            _check_unsupported_none(self.name, name, value)
        self.center, self.scale = bool(center), bool(scale)
        self.synchronized = bool(synchronized)
        self.renorm_momentum = float(renorm_momentum)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        axis = _check_axis(self.name, self.axis, len(input_shape), input_shape)
        features = input_shape[axis]
        if features is None:
            raise ValueError(
                f"Axis {self.axis} of the input to layer '{self.name}' must have a known size. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        shape = (features,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape,
                self.gamma_initializer,
                "gamma",
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape,
                self.beta_initializer,
                "beta",
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            shape, self.moving_mean_initializer, "moving_mean", trainable=False
        )
        self.moving_variance = self.add_weight(
            shape, self.moving_variance_initializer, "moving_variance", trainable=False
        )

    def call(self, inputs, training=False):
        axis = _check_axis(self.name, self.axis, inputs.ndim, inputs.shape)
        if inputs.shape[axis] != self.moving_mean.shape[0]:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                f"{self.axis} of input shape to have value {self.moving_mean.shape[0]}, but "
                f"received input with shape {tuple(inputs.shape)}"
            )
        if not (training and self.trainable):
            return ops.batch_normalization(
                inputs,
                self.gamma,
                self.beta,
                axis=axis,
                epsilon=self.epsilon,
                mean=self.moving_mean.data,
                variance=self.moving_variance.data,
            )
        if inputs.size == inputs.shape[axis]:
            raise ValueError(
                f"Layer '{self.name}' received a batch of 1 sample in training, with input "
                f"shape {tuple(inputs.shape)}: each feature's batch statistics would come from "
                "a single value (variance 0, every output equal to beta). Expected a batch of "
                "at least 2 samples (e.g. a larger `batch_size`, or drop a last batch of one)."
            )
        stats: dict = {}
        out = ops.batch_normalization(
            inputs, self.gamma, self.beta, axis=axis, epsilon=self.epsilon, stats=stats
        )
        # not weights the optimizer trains: updated here, in place, during training only
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.data * m + stats["mean"] * (1.0 - m))
        self.moving_variance.assign(self.moving_variance.data * m + stats["variance"] * (1.0 - m))
        return out

    def compute_output_shape(self, input_shape):
        _check_axis(self.name, self.axis, len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(Layer):
    """Normalizes each sample over its features: ``gamma * (x - mean) / sqrt(var + epsilon)
    + beta``, the statistics taken per sample over ``axis``; the same in training and
    inference.

    Input shape: any. Output shape: the same.

    Parameters
    ----------
    axis : int or list of int, default -1
        The axes normalized over (and that ``gamma`` and ``beta`` span).
    epsilon : float, default 1e-3
        Keras's default (PyTorch's ``nn.LayerNorm`` uses 1e-5).
    center, scale : bool, default True
    rms_scaling : bool, default False
        Keras's deprecated variant: ``x / sqrt(var + epsilon) * gamma``, no mean subtracted
        and no ``beta``.
    beta_initializer, gamma_initializer : str or Initializer
        ``"zeros"`` and ``"ones"``.
    beta_regularizer, gamma_regularizer : Regularizer, optional
    beta_constraint, gamma_constraint : Constraint, optional
        Applied after each optimizer step (:mod:`neuroflow.constraints`).

    Examples
    --------
    >>> layer = LayerNormalization(epsilon=0.0)
    >>> layer(np.array([[1.0, 3.0], [0.0, 10.0]])).numpy()
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        rms_scaling=False,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
        ):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(
                "Expected an int or a list/tuple of ints for the argument 'axis' of layer "
                f"'{self.name}'. Received: axis={axis!r}"
            )
        self.epsilon = float(epsilon)
        if self.epsilon < 0:
            raise ValueError(
                f"Expected a non-negative `epsilon` for layer '{self.name}'. "
                f"Received: epsilon={epsilon!r}"
            )
        self.center, self.scale = bool(center), bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        # Keras keeps the axes as a sorted list from here on (and so does the config)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            _check_axis(self.name, a, len(input_shape), input_shape)
        self.axis = sorted(axes)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"The normalized axes {self.axis} of the input to layer '{self.name}' must "
                f"have known sizes. Received: input_shape={tuple(input_shape)}"
            )
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape,
                self.gamma_initializer,
                "gamma",
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape,
                self.beta_initializer,
                "beta",
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def call(self, inputs, training=False):
        for a in self.axis:
            _check_axis(self.name, a, inputs.ndim, inputs.shape)
        return ops.layer_normalization(
            inputs,
            self.gamma,
            self.beta,
            axis=self.axis,
            epsilon=self.epsilon,
            rms_scaling=self.rms_scaling,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
