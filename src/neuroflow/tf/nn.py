"""``tf.nn`` (re-exports only, no logic here): activations and losses from
:mod:`neuroflow.ops`."""

from neuroflow.ops.activation import (
    elu,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from neuroflow.ops.loss import (
    l2_loss,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from neuroflow.ops.math import moments

__all__ = [
    "elu", "l2_loss", "leaky_relu", "log_softmax", "moments", "relu", "relu6", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "sparse_softmax_cross_entropy_with_logits", "tanh",
]  # fmt: skip
