"""``--format markdown``: GitHub-flavoured tables, ready to paste into notes."""

from __future__ import annotations

from collections.abc import Sequence

from lstm_shapes.render.cost_markdown import reduced_markdown, variants_reduced_markdown
from lstm_shapes.render.numbers import format_diff
from lstm_shapes.report.explain import Report
from lstm_shapes.report.variants import changed_dims, rules, variant_label


def _shape(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def _escape(text: str) -> str:
    """Plain text inside a table cell: ``|`` ends a cell and ``*`` starts emphasis."""
    return text.replace("|", "\\|").replace("*", "\\*")


def _statement(statement: str) -> str:
    """A check's statement: its expression (``hn[-1] == output[-1]``) as code, prose as text."""
    head, colon, rest = statement.partition(": ")
    if colon and ("==" in head or "!=" in head):
        return f"`{head}`: {_escape(rest)}"
    return _escape(statement)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] | None = None
) -> list[str]:
    align = align or ["---"] * len(header)
    return [_row(header), _row(align), *(_row(r) for r in rows)]


def explain_markdown(report: Report) -> str:
    run = report.run
    lines = [
        f"## `{report.spec.module.constructor()}`",
        "",
        f"Ran on torch {run.torch_version}, device `{run.device}`, dtype `{run.dtype}`, "
        f"seed {run.seed}, eval mode. Sizes: `{report.spec.sizes_line()}`.",
        "",
        *reduced_markdown(report),
        "```python",
        *report.code,
        "```",
        "",
        "### Tensors",
        "",
    ]
    rows = []
    for name, tensor in report.tensors.items():
        label = f"`{name}`" if tensor.docs_name == name else f"`{name}` (`{tensor.docs_name}`)"
        dims = ", ".join(
            f"{d.symbol}={d.arithmetic if d.arithmetic else d.size}" for d in tensor.dims
        )
        meanings = "; ".join(f"{d.symbol}: {d.meaning}" for d in tensor.dims)
        rows.append(
            [
                label,
                f"`{_shape(tensor.shape)}`",
                _escape(tensor.description),
                _escape(dims),
                _escape(meanings),
            ]
        )
    lines += _table(["tensor", "shape", "what it holds", "dimensions", "meaning"], rows)
    lines += ["", "### Parameters", ""]
    rows = [
        [
            f"`{p.name}`",
            f"`{_shape(p.shape)}`",
            _escape(p.rows),
            _escape(p.columns or ""),
            f"{p.numel:,}",
        ]
        for p in report.parameters
    ]
    rows.append(["**total**", "", "", "", f"**{report.parameter_count:,}**"])
    lines += _table(
        ["parameter", "shape", "rows", "columns", "count"],
        rows,
        ["---", "---", "---", "---", "---:"],
    )
    lines += ["", "### Checks (verified on this run)", ""]
    rows = [
        [
            "✓" if c.holds else "✗",
            _statement(c.statement),
            "" if c.max_abs_diff is None else format_diff(c.max_abs_diff),
        ]
        for c in report.checks
    ]
    lines += _table(["", "statement", "max \\|diff\\|"], rows, ["---", "---", "---:"])
    if report.notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {_escape(note)}" for note in report.notes]
    return "\n".join(lines) + "\n"


def variants_markdown(reports: Sequence[Report]) -> str:
    baseline = reports[0]
    header = ["tensor", *(f"`{variant_label(r.spec)}`" for r in reports)]
    rows = []
    for name in baseline.tensors:
        cells = [f"`{name}`"]
        for report in reports:
            tensor = report.tensors[name]
            changed = changed_dims(baseline, report, name)
            parts = [
                f"**{_escape(d.symbol)}={d.size}**" if c else f"{_escape(d.symbol)}={d.size}"
                for d, c in zip(tensor.dims, changed, strict=True)
            ]
            cells.append(f"`{_shape(tensor.shape)}` " + ", ".join(parts))
        rows.append(cells)
    m = baseline.spec.module
    sizes = " ".join(p for p in baseline.spec.sizes_line().split() if not p.startswith("D="))
    lines = [
        f"## `{m.class_name}` shapes by `batch_first` x `bidirectional`",
        "",
        f"Sizes: `{sizes}` (D is 1 or 2 by column); each variant ran on "
        f"torch {baseline.run.torch_version}. **Bold**: differs from the first column.",
        "",
        *variants_reduced_markdown(reports),
        *_table(header, rows),
        "",
        *(f"- {_escape(rule)}" for rule in rules(baseline.spec)),
    ]
    return "\n".join(lines) + "\n"
