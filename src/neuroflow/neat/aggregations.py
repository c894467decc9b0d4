"""neat-python's aggregation functions (how a node combines its weighted inputs).

Each takes the list of weighted inputs; nodes without inputs aggregate an empty list
(``sum`` gives 0, ``product`` 1, the others 0, as in neat-python 2.0). Compiled networks
use the segment reductions in :data:`SEGMENT` on all nodes of a level at once.

>>> from neuroflow.neat.aggregations import AggregationFunctionSet
>>> AggregationFunctionSet().get("maxabs")([0.5, -2.0, 1.0])
-2.0
"""

from __future__ import annotations

import types
import warnings
from functools import reduce
from operator import mul

import numpy as np

from neuroflow.neat.math_util import mean, median2

__all__ = ["AggregationFunctionSet", "InvalidAggregationFunction", "SEGMENT"]


def product_aggregation(x):
    return reduce(mul, x, 1.0)


def sum_aggregation(x):
    return sum(x)


def max_aggregation(x):
    return max(x) if x else 0.0


def min_aggregation(x):
    return min(x) if x else 0.0


def maxabs_aggregation(x):
    return max(x, key=abs) if x else 0.0


def median_aggregation(x):
    return median2(x) if x else 0.0


def mean_aggregation(x):
    return mean(x) if x else 0.0


def _maxabs(values, starts):
    hi = np.maximum.reduceat(values, starts, axis=0)
    lo = np.minimum.reduceat(values, starts, axis=0)
    return np.where(-lo > hi, lo, hi)


def _mean(values, starts):
    counts = np.diff(np.append(starts, len(values)))
    return np.add.reduceat(values, starts, axis=0) / counts[:, None]


#: name -> f(values (edges, samples), segment starts) -> (segments, samples), for segments
#: of at least one input each (``np.ufunc.reduceat`` over the edges sorted by node).
SEGMENT = {
    "sum": lambda v, s: np.add.reduceat(v, s, axis=0),
    "product": lambda v, s: np.multiply.reduceat(v, s, axis=0),
    "max": lambda v, s: np.maximum.reduceat(v, s, axis=0),
    "min": lambda v, s: np.minimum.reduceat(v, s, axis=0),
    "maxabs": _maxabs,
    "mean": _mean,
}
#: the value of each aggregation over no inputs at all.
EMPTY = {"sum": 0.0, "product": 1.0}


class InvalidAggregationFunction(TypeError):
    """Not a function of the input list, or a name that is not registered."""


def validate_aggregation(function) -> None:
    if not isinstance(function, (types.BuiltinFunctionType, types.FunctionType)):
        raise InvalidAggregationFunction(
            f"Expected an aggregation function to be a function object. Received: {function!r}"
        )
    if not function.__code__.co_argcount >= 1:
        raise InvalidAggregationFunction(
            f"Expected an aggregation function taking the list of inputs. Received: "
            f"{function.__name__} taking no argument"
        )


class AggregationFunctionSet:
    """The aggregation functions a genome's nodes may use, by name (neat-python's registry)."""

    def __init__(self):
        self.functions = {}
        for name in ("product", "sum", "max", "min", "maxabs", "median", "mean"):
            self.add(name, globals()[f"{name}_aggregation"])

    def add(self, name: str, function) -> None:
        validate_aggregation(function)
        self.functions[name] = function

    def get(self, name: str):
        f = self.functions.get(name)
        if f is None:
            raise InvalidAggregationFunction(
                f"No such aggregation function: {name!r}. Expected one of: "
                f"{', '.join(sorted(self.functions))}"
            )
        return f

    def segment(self, name: str):
        """The segment reduction for ``name``, or ``None`` when only the list function exists."""
        f = self.get(name)
        if f is globals().get(f"{name}_aggregation"):
            return SEGMENT.get(name)
        return None

    def __getitem__(self, index):
        warnings.warn(
            f"Use get, not indexing ([{index!r}]), for aggregation functions",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.get(index)

    def is_valid(self, name: str) -> bool:
        return name in self.functions
