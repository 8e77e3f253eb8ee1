"""Sizes, FLOPs and durations as people read them. No torch.

They live beside the parsing of ``--max-memory``'s sizes because error messages and
budget decisions, built below the renderers, state sizes too.
"""

from __future__ import annotations


def format_bytes(count: float) -> str:
    """``1536`` -> ``1.5 KiB``: binary units, 3 significant digits."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_flops(count: float) -> str:
    """``2.5e9`` -> ``2.5 GFLOP``: decimal units, 3 significant digits."""
    value = float(count)
    for unit in ("", "k", "M", "G", "T", "P", "E"):
        if abs(value) < 1000 or unit == "E":
            return f"{int(value)} FLOP" if unit == "" else f"{value:.3g} {unit}FLOP"
        value /= 1000
    raise AssertionError("unreachable")


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.3g} h"
    if seconds < 365 * 86400:
        return f"{seconds / 86400:.3g} days"
    years = seconds / (365.25 * 86400)
    return f"{years:.3g} years" if years < 1000 else f"{years:,.0f} years"
