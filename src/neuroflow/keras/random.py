"""``keras.random`` (re-exports only, no logic here): seeded random tensors, from
:mod:`neuroflow.ops.keras_random`."""

from neuroflow.ops.keras_random import (
    SeedGenerator,
    dropout,
    normal,
    randint,
    shuffle,
    truncated_normal,
    uniform,
)

__all__ = [
    "SeedGenerator", "dropout", "normal", "randint", "shuffle", "truncated_normal", "uniform",
]  # fmt: skip
