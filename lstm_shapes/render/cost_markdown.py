"""The ``--cost`` section and the reduced-run line in Markdown (no rich)."""

from __future__ import annotations

from collections.abc import Sequence

from lstm_shapes.render.cost_text import (
    PER_LAYER_HEADER,
    cost_lines,
    per_layer_rows,
    reduced_line,
    variants_reduced_line,
)
from lstm_shapes.report.explain import Report


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def reduced_markdown(report: Report) -> list[str]:
    """A quoted line under the run line when the full size was not run."""
    line = reduced_line(report)
    return [] if line is None else [f"> **{line}**", ""]


def variants_reduced_markdown(reports: Sequence[Report]) -> list[str]:
    line = variants_reduced_line(reports)
    return [] if line is None else [f"> **{line}**", ""]


def cost_markdown(report: Report) -> str:
    cost = report.cost
    assert cost is not None
    lines = [
        "### Cost",
        "",
        "At full size: this tool's check, and your model's forward and training step "
        "(estimated; measured where it ran at full size; a multiply-add is 2 FLOPs).",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {label} | {_escape(value)} |" for label, value in cost_lines(cost)),
        "",
        "#### Forward FLOPs per layer and direction",
        "",
        "| " + " | ".join(PER_LAYER_HEADER) + " |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *("| " + " | ".join(row) + " |" for row in per_layer_rows(cost)),
    ]
    return "\n".join(lines) + "\n"
