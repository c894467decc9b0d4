"""Activation layers with parameters: Softmax, ReLU, LeakyReLU, ELU."""

from __future__ import annotations

from neuroflow import ops
from neuroflow.layers.base import Layer


class Softmax(Layer):
    """Normalizes to probabilities along ``axis``. Input and output shapes are the same."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs, training=False):
        return ops.softmax(inputs, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ReLU(Layer):
    """``max(x, 0)``, or ``negative_slope * x`` below zero if a slope is given."""

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None or threshold:
            raise NotImplementedError("ReLU(max_value=..., threshold=...) is not supported yet.")
        if negative_slope < 0:
            raise ValueError(f"Expected `negative_slope` >= 0. Received: {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        if self.negative_slope:
            return ops.leaky_relu(inputs, self.negative_slope)
        return ops.relu(inputs)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class LeakyReLU(Layer):
    """``x`` above zero, ``negative_slope * x`` below (Keras 3 default slope 0.3).

    The tf.keras 2 spelling ``alpha=`` is accepted too.
    """

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, negative_slope=0.3, alpha=None, **kwargs):
        super().__init__(**kwargs)
        slope = alpha if alpha is not None else negative_slope
        if isinstance(slope, bool) or not isinstance(slope, (int, float)) or slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative. "
                f"Expected a float. Received: negative_slope={slope!r}"
            )
        self.negative_slope = float(slope)

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """``x`` above zero, ``alpha * (exp(x) - 1)`` below."""

    _supports_masking = True  # passes masks on, as in Keras 3

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
