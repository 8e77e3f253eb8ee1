"""The ``--cost`` section and the reduced-run line as rich renderables (``--format table``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lstm_shapes.render.cost_text import (
    PER_LAYER_HEADER,
    cost_lines,
    per_layer_rows,
    reduced_line,
    variants_reduced_line,
)
from lstm_shapes.report.explain import Report


def reduced_text(report: Report) -> list[RenderableType]:
    """A visible line under the run line when the full size was not run."""
    line = reduced_line(report)
    return [] if line is None else [Text(line, style="bold yellow")]


def variants_reduced_text(reports: Sequence[Report]) -> list[RenderableType]:
    line = variants_reduced_line(reports)
    return [] if line is None else [Text(line, style="bold yellow")]


def cost_renderable(report: Report) -> RenderableType:
    cost = report.cost
    assert cost is not None
    summary = Table.grid(padding=(0, 2, 0, 0))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column()
    for label, value in cost_lines(cost):
        summary.add_row(label, value)
    layers = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for k, name in enumerate(PER_LAYER_HEADER):
        layers.add_column(name, justify="right" if k >= 2 else "left", no_wrap=True)
    for row in per_layer_rows(cost):
        layers.add_row(*row)
    return Group(
        Text(""),
        Text(
            "Cost at full size: this tool's check, and your model's forward and training step "
            "(estimated; measured where it ran at full size; a multiply-add is 2 FLOPs)",
            style="bold underline",
        ),
        summary,
        Text(""),
        Text("Forward FLOPs per layer and direction", style="bold underline"),
        layers,
    )
