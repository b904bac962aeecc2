"""Reading untrusted JSON: numbers or numeric strings (never bools or NaN), and its shape."""

from __future__ import annotations

import math
import re
from typing import Any

MAX_NESTING = 200
_SURROGATE = re.compile("[\ud800-\udfff]")


def finite_number(value: Any) -> int | float | None:
    """``value`` as an int or float when it is one (or a string holding one) that fits a float
    and is finite, else ``None`` (a 309-digit integer would overflow wherever used as one)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return None
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() else value
    return None


def structure_problem(value: Any, max_depth: int = MAX_NESTING) -> str | None:
    """What makes parsed untrusted data (a store, a cache) unfit: nesting deeper than
    ``max_depth``, or a lone surrogate in a string or key. Iterative: no recursion limit."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"is nested deeper than {max_depth} levels"
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item if isinstance(key, str))
            item = list(item.values())
        if isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            return "holds a lone surrogate (not text)"
    return None
