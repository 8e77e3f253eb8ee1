"""What a teaching command returns: the page, the data behind it, and its JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lstm_shapes.report.explain import SCHEMA_VERSION
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach.doc import Page


@dataclass(frozen=True)
class PageReport:
    """A teaching page (``diagram``, ``gates``, ``cell``, ``heads``, ``myths``, ``handout``)
    built from real runs, in one language."""

    command: str
    lang: str
    spec: Spec
    page: Page
    #: the plain data behind the page (what ``--format json`` adds to its header)
    data: dict[str, Any]
    #: the words for "holds" / "does not hold", to colour verdicts
    verdicts: tuple[str, str] = ("", "")
    #: False only when a recomputation disagreed with torch (a bug in lstm-shapes)
    ok: bool = True
    #: the run block of ``explain --format json`` (torch version, device, dtype, seed, mode)
    run: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """What ``lstm-shapes COMMAND --format json`` prints."""
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "lang": self.lang, **self.data}
        if self.command != "myths":
            data["lstm"] = self.spec.module.as_dict()
            data["input"] = self.spec.input.as_dict()
        data["run"] = self.run
        return data
