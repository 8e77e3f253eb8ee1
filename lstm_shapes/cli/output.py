"""Writing to stdout. rich is imported only when a table is printed."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_shapes.report.explain import Report


def emit_text(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def print_renderable(renderable: object) -> None:
    from lstm_shapes.render.console import make_console, render_to_text

    console = make_console()
    if console.is_terminal:
        console.print(renderable)
    else:  # piped: plain text without the padding rich adds to fill the width
        emit_text(render_to_text(renderable, width=console.width))


def emit_failed_facts(reports: Sequence[Report]) -> None:
    """``--quiet``: only the verified statements that did not hold (nothing when all did)."""
    from lstm_shapes.render.check import failed_facts_text

    emit_text(failed_facts_text([c.statement for r in reports for c in r.checks if not c.holds]))


def print_cost(report: Report, fmt: str) -> None:
    """The ``--cost`` section after the report, in the report's format."""
    if fmt == "markdown":
        from lstm_shapes.render.cost_markdown import cost_markdown

        emit_text("\n" + cost_markdown(report))
    else:
        from lstm_shapes.render.cost_table import cost_renderable

        print_renderable(cost_renderable(report))
