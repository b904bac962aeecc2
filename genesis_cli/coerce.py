"""Reading numbers out of untrusted JSON: numbers or numeric strings, never bools or NaN."""

from __future__ import annotations

import math
from typing import Any


def finite_number(value: Any) -> int | float | None:
    """``value`` as an int or float when it is one (or a string holding one) that fits a
    float and is finite; else ``None``, so the field is absent (a 309-digit integer from a
    server would overflow wherever it is later used as a float)."""
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


MAX_NESTING = 200


def structure_problem(value: Any, max_depth: int = MAX_NESTING) -> str | None:
    """What makes parsed untrusted data (a store, a cache) unfit to use: nesting deeper than
    ``max_depth`` levels, or a lone surrogate in a string or key; ``None`` when it is fit.
    Iterative, so the check itself cannot hit the recursion limit."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return f"is nested deeper than {max_depth} levels"
        if isinstance(item, str):
            if not _encodable(item):
                return "holds a lone surrogate (not text)"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and not _encodable(key):
                    return "holds a lone surrogate (not text)"
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
