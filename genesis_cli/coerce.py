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
