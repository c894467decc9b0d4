"""neat-python's small statistics helpers (``neat.math_util``), on plain sequences."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

__all__ = ["mean", "median", "median2", "variance", "stdev", "softmax", "stat_functions"]


def mean(values: Iterable[float]) -> float:
    """The arithmetic mean."""
    vals = [float(v) for v in values]
    return sum(vals) / len(vals)


def median(values: Iterable[float]) -> float:
    """The upper middle value (neat-python's ``median``: no averaging for an even count)."""
    vals = sorted(values)
    return vals[len(vals) // 2]


def median2(values: Iterable[float]) -> float:
    """The median, averaging the two middle values for an even count."""
    vals = sorted(values)
    n = len(vals)
    if n <= 2:
        return mean(vals)
    if n % 2:
        return vals[n // 2]
    return (vals[n // 2 - 1] + vals[n // 2]) / 2.0


def variance(values: Iterable[float]) -> float:
    """The population variance."""
    vals = list(values)
    m = mean(vals)
    return sum((v - m) ** 2 for v in vals) / len(vals)


def stdev(values: Iterable[float]) -> float:
    """The population standard deviation.

    >>> stdev([1.0, 3.0])
    1.0
    """
    return math.sqrt(variance(values))


def softmax(values: Iterable[float]) -> list[float]:
    """``exp(v) / sum(exp(v))`` for each value."""
    e = [math.exp(v) for v in values]
    s = sum(e)
    return [v / s for v in e]


stat_functions: dict[str, Callable[[Sequence[float]], float]] = {
    "min": min,
    "max": max,
    "mean": mean,
    "median": median,
    "median2": median2,
}
