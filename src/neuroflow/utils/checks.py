"""Argument checks used across the library, with Keras-style messages.

>>> check_int("epochs", 3, 0)
3
>>> check_int("batch_size", None, none=32)
32
>>> check_int("units", 0)
Traceback (most recent call last):
    ...
ValueError: Expected `units` to be a positive integer. Received: units=0
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_int", "is_int"]

_REFUSED = object()


def is_int(value) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_int(name: str, value, minimum: int = 1, *, none=_REFUSED) -> int:
    """``value`` as an int when it is an integer ``>= minimum``, else a ValueError naming
    ``name``; ``none``: what ``None`` stands for, when ``None`` is allowed."""
    if value is None and none is not _REFUSED:
        return none
    if not is_int(value) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"Expected `{name}` to be {what}. Received: {name}={value!r}")
    return int(value)
