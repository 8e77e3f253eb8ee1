"""What a run observed, as plain data the probe fills in and the reports read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VerifiedFact:
    """A statement checked numerically on this run (not the ``check`` command)."""

    id: str
    statement: str
    holds: bool
    max_abs_diff: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "statement": self.statement, "holds": self.holds}
        if self.max_abs_diff is not None:
            data["max_abs_diff"] = self.max_abs_diff
        return data


@dataclass(frozen=True)
class Observation:
    """What the probe saw: shapes, parameters and verified facts, no torch objects."""

    torch_version: str
    device: str
    dtype: str
    shapes: dict[str, tuple[int, ...]]
    parameters: list[tuple[str, tuple[int, ...]]]
    checks: list[VerifiedFact] = field(default_factory=list)
    torch_warnings: list[str] = field(default_factory=list)
