"""The time budget a user may give (``--max-time``). No torch import.

The memory budget (``--max-memory``) is parsed by :func:`lstm_shapes.theory.budget.parse_memory`.
"""

from __future__ import annotations

import math
import re

from lstm_shapes.errors import SpecError

MAX_TIME_HELP = "a number of seconds greater than 0, e.g. 0.5, 10 or 120"
#: digits, an optional fraction and exponent, an optional "s"; no "inf", "nan" or "1_0"
_SECONDS = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(s?)\s*$")


def _number_text(value: object) -> str:
    try:
        return str(value)
    except ValueError:  # an int over Python's 4,300-digit limit for str()
        return "a number too long to show"


def parse_max_time(value: object, option: str = "--max-time") -> float:
    """``"0.5"``, ``"10"``, ``"10s"`` or a number: seconds, finite and above 0."""
    shown = repr(value[:100]) if isinstance(value, str) else _number_text(value)
    allowed = f"{option} must be {MAX_TIME_HELP} (got {shown})"
    if isinstance(value, bool):
        raise SpecError(allowed)
    if isinstance(value, (int, float)):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            raise SpecError(allowed) from None
    elif isinstance(value, str) and len(value) <= 100 and (match := _SECONDS.match(value)):
        seconds = float(match.group(1))
    else:
        raise SpecError(allowed)
    if not math.isfinite(seconds) or seconds <= 0:
        raise SpecError(allowed)
    return seconds
