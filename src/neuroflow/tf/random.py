"""``tf.random`` (re-exports only, no logic here): :mod:`neuroflow.ops.random`."""

from neuroflow.ops.random import normal, set_seed, shuffle, truncated_normal, uniform

__all__ = ["normal", "set_seed", "shuffle", "truncated_normal", "uniform"]
