"""``inspect`` reports as a rich table, Markdown or JSON."""

from __future__ import annotations

import json

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lstm_shapes.render.table import heading, notes_block
from lstm_shapes.report.inspect import (
    FORMATS,
    CheckpointReport,
    ExpectedTensor,
    ModuleReport,
    source_expr,
)


def _layout(tensor: ExpectedTensor) -> str:
    return "either" if tensor.batch_first is None else str(tensor.batch_first)


def _title(report: CheckpointReport) -> str:
    count = len(report.modules)
    modules = "1 recurrent module" if count == 1 else f"{count} recurrent modules"
    line = f"{report.path}: {report.tensor_count} tensors, {modules}"
    if report.format != "torch.save":
        line += f" in {FORMATS.get(report.format, report.format)}"
    return line


def _unknown(module: ModuleReport) -> str:
    unknown = module.found.unknown
    return ", ".join(unknown) if unknown else "nothing (a cell's constructor has no other sizes)"


def _sizes(report: CheckpointReport) -> str:
    n = "N symbolic" if report.batch is None else f"N={report.batch}"
    length = "L symbolic" if report.seq_len is None else f"L={report.seq_len}"
    hint = " (set them with --batch / --seq-len)" if None in (report.batch, report.seq_len) else ""
    return f"{n}, {length}{hint}"


def module_label(module: ModuleReport) -> str:
    name = repr(module.name) if module.name else "'' (a bare module's state dict)"
    where = f" in {source_expr(module.source)}" if module.source else ""
    return f"{name}{where}"


def _markdown_label(module: ModuleReport) -> str:
    name = f"`{module.name}`" if module.name else "`''` (a bare module's state dict)"
    where = f" in `{source_expr(module.source)}`" if module.source else ""
    return f"{name}{where}"


def run_line(module: ModuleReport) -> str | None:
    run = module.run
    if run is None:
        return None
    shapes = ", ".join(f"{name} {tuple(shape)}" for name, shape in run.shapes.items())
    if run.seq_len is None:  # a cell: one time step
        return (
            f"--run: load_state_dict(strict=True) accepted the weights; one step with "
            f"N={run.batch} gave {shapes}, as predicted"
        )
    return (
        f"--run: load_state_dict(strict=True) accepted the weights; one forward pass with "
        f"N={run.batch} L={run.seq_len} (batch_first=False) gave {shapes}, as predicted"
    )


def _module_table(module: ModuleReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    cell = module.found.is_cell  # one time step: no batch_first, no layout to show
    table.add_column("tensor", style="bold", no_wrap=True)
    if not cell:
        table.add_column("batch_first", no_wrap=True)
    table.add_column("shape", no_wrap=True)
    table.add_column("dimensions")
    names = [t.name for t in module.tensors]
    for k, tensor in enumerate(module.tensors):
        first = k == 0 or names[k - 1] != tensor.name
        last = k == len(names) - 1 or names[k + 1] != tensor.name
        layout = [] if cell else [_layout(tensor)]
        table.add_row(
            tensor.name if first else "",
            *layout,
            tensor.shape_text,
            tensor.symbols,
            end_section=last and k < len(names) - 1 and not cell,
        )
    return table


def checkpoint_renderable(report: CheckpointReport) -> RenderableType:
    parts: list[RenderableType] = [
        Text(_title(report), style="bold"),
        Text("sizes: ", style="dim").append(_sizes(report)),
    ]
    for module in report.modules:
        found = module.found
        parts += [
            Text(""),
            heading(f"module {module_label(module)}"),
            Text("    " + found.module.constructor(), style="cyan"),
            Text("    sizes: ", style="dim").append(module.sizes, style="bold"),
            Text(
                f"    {module.parameter_count:,} parameters · not in the weights: "
                f"{_unknown(module)}",
                style="dim",
            ),
            _module_table(module),
        ]
        line = run_line(module)
        if line is not None:
            parts.append(Text("✓ ", style="green").append(line))
    if report.notes:
        parts += [Text(""), heading("Notes"), notes_block(report.notes)]
    return Group(*parts)


def checkpoint_markdown(report: CheckpointReport) -> str:
    lines = [f"## `{report.path}`", "", f"{_title(report)}. Sizes: {_sizes(report)}."]
    for module in report.modules:
        found = module.found
        lines += [
            "",
            f"### {_markdown_label(module)}",
            "",
            "```python",
            found.module.constructor(),
            "```",
            "",
            f"Sizes: `{module.sizes}`; {module.parameter_count:,} parameters; "
            "not in the weights: "
            f"{', '.join(f'`{u}`' for u in found.unknown) or _unknown(module)}.",
            "",
        ]
        cell = found.is_cell
        lines += (
            ["| tensor | shape | dimensions |", "| --- | --- | --- |"]
            if cell
            else ["| tensor | batch_first | shape | dimensions |", "| --- | --- | --- | --- |"]
        )
        for tensor in module.tensors:
            layout = "" if cell else f" {_layout(tensor)} |"
            lines.append(
                f"| `{tensor.name}` |{layout} `{tensor.shape_text}` | `{tensor.symbols}` |"
            )
        line = run_line(module)
        if line is not None:
            lines += ["", f"✓ {line}"]
    if report.notes:
        lines += ["", "### Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def checkpoint_json(report: CheckpointReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"
