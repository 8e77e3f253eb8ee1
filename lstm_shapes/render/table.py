"""``--format table``: rich tables for the terminal (readable at 100 columns, clean when
piped or without colour)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from lstm_shapes.render.cost_table import reduced_text, variants_reduced_text
from lstm_shapes.render.numbers import format_diff
from lstm_shapes.report.explain import Report
from lstm_shapes.report.observation import VerifiedFact
from lstm_shapes.theory.shapes import ParamShape


def shape_text(shape: Sequence[int]) -> str:
    """Python's spelling of a shape: ``(3, 7, 10)``, ``(80,)``."""
    return str(tuple(shape))


def heading(title: str) -> Text:
    return Text(title, style="bold underline")


def run_line(report: Report) -> Text:
    run = report.run
    line = Text("ran: ", style="dim")
    line.append(
        f"torch {run.torch_version} · device {run.device} · dtype {run.dtype} · "
        f"seed {run.seed} · eval mode, no grad"
    )
    return line


def sizes_line(report: Report) -> Text:
    return Text("sizes: ", style="dim").append(report.spec.sizes_line(), style="bold")


def code_block(report: Report) -> RenderableType:
    text = Text()
    for line in report.code:
        text.append("    " + line + "\n", style="cyan")
    text.rstrip()
    return text


def tensor_table(report: Report) -> Table:
    """One block per tensor: its name and what it holds, then its shape and one row per
    dimension."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("tensor / shape", no_wrap=True)
    table.add_column("dim", justify="right", style="dim", no_wrap=True)
    table.add_column("symbol", style="magenta", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("meaning", overflow="fold")
    names = list(report.tensors)
    for index, (name, tensor) in enumerate(report.tensors.items()):
        label = name if tensor.docs_name == name else f"{name} ({tensor.docs_name})"
        if len(label) > 20:  # the packed stages: their description names the torch call
            label = name
        description = Text(tensor.description, style="italic")
        table.add_row(Text(label, style="bold"), "", "", "", description)
        for k, dim in enumerate(tensor.dims):
            last = k == len(tensor.dims) - 1
            table.add_row(
                shape_text(tensor.shape) if k == 0 else "",
                str(k),
                dim.symbol,
                dim.arithmetic if dim.arithmetic else str(dim.size),
                dim.meaning,
                end_section=last and index < len(names) - 1,
            )
    return table


def _param_rows(param: ParamShape) -> str:
    return param.rows


def parameter_table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("parameter", style="bold", no_wrap=True)
    table.add_column("shape", no_wrap=True)
    table.add_column("rows", overflow="fold")
    table.add_column("columns", overflow="fold")
    table.add_column("count", justify="right", no_wrap=True)
    for param in report.parameters:
        table.add_row(
            param.name,
            shape_text(param.shape),
            _param_rows(param),
            param.columns or "",
            f"{param.numel:,}",
        )
    table.add_row("total", "", "", "", f"{report.parameter_count:,}", style="bold")
    return table


def gate_legend(report: Report) -> Text:
    from lstm_shapes.theory.shapes import GATE_NAMES, GATE_SYMBOLS

    m = report.spec.module
    gates = ", ".join(
        f"{name} ({symbol})"
        for name, symbol in zip(GATE_NAMES[m.family], GATE_SYMBOLS[m.family], strict=True)
    )
    if m.gates == 1:
        return Text("rows: one block of hidden_size rows (no gates in a plain RNN)", style="dim")
    width = "H" if m.is_cell else "H_cell" if m.has_cell else "hidden_size"
    return Text(
        f"rows: {m.gates} gate blocks of {width} rows each, in this order: {gates}", style="dim"
    )


def check_mark(check: VerifiedFact) -> Text:
    return Text("✓", style="green") if check.holds else Text("✗", style="bold red")


def diff_text(check: VerifiedFact) -> str:
    if check.max_abs_diff is None:
        return ""
    return format_diff(check.max_abs_diff)


def checks_table(checks: Sequence[VerifiedFact]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("verified on this run", overflow="fold")
    table.add_column("max |diff|", justify="right", no_wrap=True)
    for check in checks:
        # Text, not markup: statements index tensors, e.g. hn[-2][b]
        table.add_row(check_mark(check), Text(check.statement), diff_text(check))
    return table


def notes_block(notes: Sequence[str]) -> RenderableType:
    """Bullets with a hanging indent."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(style="yellow", no_wrap=True)
    grid.add_column()
    for note in notes:
        grid.add_row("•", note)
    return Padding(grid, (0, 0, 0, 2))


def explain_renderable(report: Report) -> RenderableType:
    parts: list[RenderableType] = [
        Text(report.spec.module.constructor(), style="bold"),
        run_line(report),
        *reduced_text(report),
        sizes_line(report),
        Text(""),
        heading("PyTorch code"),
        code_block(report),
        Text(""),
        heading("Tensors"),
        tensor_table(report),
        Text(""),
        heading("Parameters (named_parameters() order)"),
        parameter_table(report),
        gate_legend(report),
        Text(""),
        heading("Checks"),
        checks_table(report.checks),
    ]
    if report.notes:
        parts += [Text(""), heading("Notes"), notes_block(report.notes)]
    return Group(*parts)


def variants_renderable(reports: Sequence[Report]) -> RenderableType:
    from lstm_shapes.report.variants import changed_dims, rules

    baseline = reports[0]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("tensor", style="bold", no_wrap=True)
    for report in reports:
        m = report.spec.module
        table.add_column(
            f"batch_first={m.batch_first}\nbidirectional={m.bidirectional}", overflow="fold"
        )
    for name in baseline.tensors:
        cells: list[RenderableType] = [name]
        for report in reports:
            tensor = report.tensors[name]
            changed = changed_dims(baseline, report, name)
            cell = Text("(")
            for k, (dim, differs) in enumerate(zip(tensor.dims, changed, strict=True)):
                cell.append(", " if k else "")
                cell.append(
                    f"[{dim.size}]" if differs else str(dim.size),
                    style="bold yellow" if differs else "",
                )
            cell.append(")\n(", style="")
            for k, (dim, differs) in enumerate(zip(tensor.dims, changed, strict=True)):
                cell.append(", " if k else "")
                cell.append(
                    f"[{dim.symbol}]" if differs else dim.symbol,
                    style="bold yellow" if differs else "dim",
                )
            cell.append(")")
            cells.append(cell)
        table.add_row(*cells, end_section=True)
    rule_lines = notes_block(rules(baseline.spec))
    m = baseline.spec.module
    return Group(
        Text(f"nn.{m.class_name} shapes by batch_first x bidirectional", style="bold"),
        Text("sizes: ", style="dim")
        .append(
            " ".join(p for p in baseline.spec.sizes_line().split() if not p.startswith("D=")),
            style="bold",
        )
        .append(" (D = 1 or 2 by column)", style="dim"),
        run_line(baseline),
        *variants_reduced_text(reports),
        Text(""),
        table,
        Text(
            "[ ] differs from the first column (batch_first=False, bidirectional=False)",
            style="dim",
        ),
        Text(""),
        rule_lines,
    )
