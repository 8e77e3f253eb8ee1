"""How numbers are written, the same in every renderer."""

from __future__ import annotations


def format_diff(value: float) -> str:
    """A measured difference, always 7 characters wide (``4.5e-08``, ``0.0e+00``).

    Differences at float32 rounding level depend on the CPU's kernels; a fixed width keeps
    such a last-digit change from shifting a table column.
    """
    return f"{value:.1e}"
