"""Reports as HTML for Jupyter: the tables of the HTML handout, in one self-contained
``<div>`` (its own scoped style, no script, no external file).

Colours come from the notebook (``color: inherit``, translucent greys for rules and
headers), so the same output reads in light and dark themes. The trace and checkpoint
reports are read through their ``as_dict()`` (the JSON contract): render/ never imports
the probe.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lstm_shapes.render.check import check_message
from lstm_shapes.render.cost_text import reduced_line, variants_reduced_line
from lstm_shapes.render.numbers import format_diff
from lstm_shapes.report.check import CheckResult, SpecResults
from lstm_shapes.report.explain import Report
from lstm_shapes.report.variants import VariantsReport, changed_dims, rules
from lstm_shapes.teach.doc import Bullets, Page, Para, Pre, Table
from lstm_shapes.theory.diagnosis import shape_str

STYLE = """
.lstm-shapes { color: inherit; font-size: 13px; line-height: 1.4; }
.lstm-shapes h4 { margin: 0.8em 0 0.3em; font-size: 14px; }
.lstm-shapes p { margin: 0.2em 0; }
.lstm-shapes table { border-collapse: collapse; margin: 0.3em 0 0.8em; color: inherit;
  background: transparent; }
.lstm-shapes th, .lstm-shapes td { border: 1px solid rgba(128, 128, 128, 0.45);
  padding: 2px 8px; text-align: left; vertical-align: top; color: inherit;
  background: transparent; }
.lstm-shapes th { background: rgba(128, 128, 128, 0.16); }
.lstm-shapes td.r { text-align: right; white-space: nowrap; }
.lstm-shapes code, .lstm-shapes pre { font-family: ui-monospace, "DejaVu Sans Mono",
  Menlo, monospace; color: inherit; background: rgba(128, 128, 128, 0.12); }
.lstm-shapes pre { padding: 6px 8px; overflow-x: auto; white-space: pre; }
.lstm-shapes .holds { color: #2da44e; font-weight: bold; }
.lstm-shapes .fails { color: #e5534b; font-weight: bold; }
.lstm-shapes .changed { font-weight: bold; text-decoration: underline; }
.lstm-shapes .muted { opacity: 0.75; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=False)


def _wrap(kind: str, parts: Iterable[str]) -> str:
    body = "\n".join(parts)
    return f'<div class="lstm-shapes" data-report="{kind}">\n<style>{STYLE}</style>\n{body}\n</div>'


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    name: str = "",
    code: Sequence[int] = (),
    right: Sequence[int] = (),
    raw: Sequence[int] = (),
) -> str:
    """``code``: columns in monospace; ``right``: numbers; ``raw``: cells already HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for k, text in enumerate(row):
            inner = text if k in raw else _e(text)
            if k in code and text:
                inner = f"<code>{inner}</code>"
            cls = ' class="r"' if k in right else ""
            cells.append(f"<td{cls}>{inner}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    named = f' data-name="{name}"' if name else ""
    return f"<table{named}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _mark(holds: bool) -> str:
    return '<span class="holds">✓</span>' if holds else '<span class="fails">✗</span>'


def _bullets(items: Iterable[str]) -> str:
    lis = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{lis}</ul>" if lis else ""


def _run_line(report: Report) -> str:
    run = report.run
    return (
        f'<p class="muted">ran: torch {_e(run.torch_version)} · device {_e(run.device)} · '
        f"dtype {_e(run.dtype)} · seed {run.seed} · eval mode, no grad</p>"
    )


def _pictures(report: Report) -> str:
    """The handout's pictures of this run (the cube, the unrolled network and, when
    bidirectional, output's two halves), as inline SVG; none for a cell."""
    if report.spec.module.is_cell:
        return ""
    from lstm_shapes.render.pictures import draw
    from lstm_shapes.teach import figures
    from lstm_shapes.teach.catalogue import messages

    t = messages("en")
    drawn = [figures.cube(t, report), figures.unrolled(t, report)]
    if report.spec.module.D == 2:
        drawn.append(figures.halves(t, report))
    # the pictures carry a light palette: on a white panel they read in a dark theme too
    panel = "background:#ffffff;border-radius:4px;padding:6px;display:inline-block"
    return f'<div class="pictures" style="{panel}">' + "".join(map(draw, drawn)) + "</div>"


def _explain_parts(report: Report) -> list[str]:
    tensor_rows = []
    for name, tensor in report.tensors.items():
        label = name if tensor.docs_name == name else f"{name} ({tensor.docs_name})"
        symbols = ", ".join(d.symbol for d in tensor.dims)
        sizes = ", ".join(d.arithmetic or str(d.size) for d in tensor.dims)
        meanings = "; ".join(f"{d.symbol}: {d.meaning}" for d in tensor.dims)
        tensor_rows.append(
            (label, shape_str(tensor.shape), f"({symbols})", sizes, tensor.description, meanings)
        )
    param_rows = [
        (p.name, shape_str(p.shape), p.rows, p.columns or "", f"{p.numel:,}")
        for p in report.parameters
    ]
    param_rows.append(("total", "", "", "", f"{report.parameter_count:,}"))
    check_rows = [
        (
            _mark(c.holds),
            _e(c.statement),
            "" if c.max_abs_diff is None else format_diff(c.max_abs_diff),
        )
        for c in report.checks
    ]
    reduced = reduced_line(report)
    parts = [
        f"<h4><code>{_e(report.spec.module.constructor())}</code></h4>",
        _run_line(report),
        f'<p class="fails">{_e(reduced)}</p>' if reduced else "",
        f"<p>sizes: <b>{_e(report.spec.sizes_line())}</b></p>",
        _pictures(report),
        _table(
            ("tensor", "shape", "symbols", "sizes", "what it holds", "dimensions"),
            tensor_rows,
            name="tensors",
            code=(0, 1, 2),
        ),
        _table(
            ("parameter", "shape", "rows", "columns", "count"),
            param_rows,
            name="parameters",
            code=(0, 1),
            right=(4,),
        ),
        _table(
            ("", "verified on this run", "max |diff|"),
            check_rows,
            name="checks",
            right=(2,),
            raw=(0, 1),
        ),
        _bullets(report.notes),
        "<pre>" + _e("\n".join(report.code)) + "</pre>" if report.code else "",
    ]
    return [part for part in parts if part]


def explain_html(report: Report) -> str:
    """``explain``: the module, the run, every tensor with its dimensions named."""
    return _wrap("explain", _explain_parts(report))


def _variant_cell(baseline: Report, report: Report, name: str) -> str:
    tensor = report.tensors[name]
    changed = changed_dims(baseline, report, name)
    sizes, symbols = [], []
    for dim, differs in zip(tensor.dims, changed, strict=True):
        wrap = '<span class="changed">{}</span>' if differs else "{}"
        sizes.append(wrap.format(dim.size))
        symbols.append(wrap.format(_e(dim.symbol)))
    return f"<code>({', '.join(sizes)})</code><br><code>({', '.join(symbols)})</code>"


def variants_html(variants: VariantsReport) -> str:
    """``variants``: one column per batch_first x bidirectional combination."""
    reports = variants.reports
    baseline = reports[0]
    header = ["tensor"] + [
        f"batch_first={r.spec.module.batch_first}, bidirectional={r.spec.module.bidirectional}"
        for r in reports
    ]
    rows = [
        [f"<code>{_e(name)}</code>"] + [_variant_cell(baseline, r, name) for r in reports]
        for name in baseline.tensors
    ]
    reduced = variants_reduced_line(reports)
    parts = [
        f"<h4>nn.{_e(baseline.spec.module.class_name)} shapes by batch_first x bidirectional</h4>",
        _run_line(baseline),
        f'<p class="fails">{_e(reduced)}</p>' if reduced else "",
        _table(header, rows, name="variants", raw=tuple(range(len(header)))),
        '<p class="muted">underlined: differs from the first column</p>',
        _bullets(rules(baseline.spec)),
    ]
    return _wrap("variants", [p for p in parts if p])


def _case_parts(result: CheckResult) -> list[str]:
    verdict = "passed" if result.passed else "FAILED"
    css = "holds" if result.passed else "fails"
    parts = [
        f'<h4><span class="{css}">{verdict}</span> {_e(result.name)}: '
        f"<code>{_e(result.spec.module.constructor())}</code></h4>"
    ]
    if result.expectations:
        parts.append(
            _table(
                ("", "tensor", "expected", "got", "symbols"),
                [
                    (
                        _mark(e.holds),
                        _e(e.name),
                        _e("(" + ", ".join("_" if s is None else str(s) for s in e.expected) + ")"),
                        _e(shape_str(e.actual)),
                        _e("(" + ", ".join(e.symbols) + ")"),
                    )
                    for e in result.expectations
                ],
                name="expectations",
                raw=(0, 1, 2, 3, 4),
                code=(1, 2, 3, 4),
            )
        )
    if not result.passed:
        parts.append("<pre>" + _e(check_message(result).rstrip()) + "</pre>")
    if result.report is not None and result.passed:
        parts += _explain_parts(result.report)[3:5]  # the sizes and the tensor table
    return parts


def check_html(result: CheckResult) -> str:
    """``check``: the verdict, the expectations, torch's error and its diagnosis."""
    return _wrap("check", _case_parts(result))


def spec_results_html(results: SpecResults) -> str:
    """``check --spec``: a summary table, then each failed case in full."""
    rows = [
        (_mark(case.passed), _e(case.name), _e(case.spec.module.constructor()), _e(case.headline))
        for case in results.cases
    ]
    failed = len(results.failed)
    parts = [
        f"<h4>{_e(results.source)}: {len(results.cases)} cases, {len(results.cases) - failed} "
        f"passed, {failed} failed</h4>",
        _table(("", "case", "module", "why it failed"), rows, name="cases", raw=(0, 1, 2, 3)),
    ]
    for case in results.failed:
        parts += _case_parts(case)
    return _wrap("check", parts)


def _dims_text(dims: Sequence[Mapping[str, Any]] | None) -> str:
    return "" if not dims else "(" + ", ".join(str(d["symbol"]) for d in dims) + ")"


def _traced_rows(tensors: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (
            name,
            shape_str(tuple(tensor["shape"])),
            _dims_text(tensor.get("dims")),
            "" if tensor.get("given", True) else "not given: zeros",
        )
        for name, tensor in tensors.items()
    ]


def _trace_input(data: Mapping[str, Any]) -> str:
    given = data.get("input")
    if isinstance(given, Mapping) and "shape" in given:
        return f"<code>{_e(shape_str(tuple(given['shape'])))}</code> {_e(given.get('dtype', ''))}"
    return ""


def _problem_lines(problems: Iterable[Any] | None) -> list[str]:
    """A diagnosis as lines: problem objects (``what``, ``why``, ``fix``) or plain text."""
    lines: list[str] = []
    for problem in problems or []:
        if isinstance(problem, Mapping):
            lines += [f"- {problem.get('what', '')}", f"  {problem.get('why', '')}"]
            lines += [f"  fix: {fix}" for fix in problem.get("fix") or []]
        else:
            lines.append(str(problem))
    return lines


def trace_html(data: Mapping[str, Any]) -> str:
    """``trace``, from its JSON: every recurrent layer's tensors, and the error if any.

    A layer's tensors are either its own (``tensors``) or one table per distinct set of
    shapes it was called with (``shapes``, each with ``calls`` and ``tensors``)."""
    given = _trace_input(data)
    parts = [
        f"<h4>trace of <code>{_e(data['model'])}</code>{', input ' + given if given else ''}</h4>",
        f'<p class="muted">torch {_e(data.get("torch_version", ""))}</p>',
    ]
    for layer in data["layers"]:
        call = layer.get("call", 1)
        label = layer["name"] if call == 1 else f"{layer['name']} (call {call})"
        groups = layer.get("shapes") or [{"tensors": layer.get("tensors", {})}]
        parts.append(f"<p><b>{_e(label)}</b>: <code>{_e(layer['constructor'])}</code></p>")
        for group in groups:
            calls = group.get("calls")
            if calls and len(groups) > 1:
                parts.append(f'<p class="muted">{calls} call(s) with these shapes</p>')
            parts.append(
                _table(
                    ("tensor", "shape", "symbols", ""),
                    _traced_rows(group["tensors"]),
                    name=label,
                    code=(0, 1, 2),
                )
            )
    error = data.get("error")
    if error:
        where = f" in {error['layer']}" if error.get("layer") else ""
        parts.append(
            f'<p class="fails">the model raised {_e(error["error_type"])}{_e(where)}: '
            f"{_e(error['message'])}</p>"
        )
        parts.append("<pre>" + _e("\n".join(_problem_lines(error.get("diagnosis")))) + "</pre>")
    parts.append(_bullets(data.get("notes") or []))
    return _wrap("trace", [p for p in parts if p])


def checkpoint_html(data: Mapping[str, Any]) -> str:
    """``inspect``, from its JSON: each module found in the weights and the shapes it takes."""
    parts = [
        f"<h4>{_e(data['path'])}: {len(data['modules'])} recurrent module(s) in "
        f"{data['tensor_count']} tensors</h4>"
    ]
    for module in data["modules"]:
        rows = [
            (
                t["name"],
                "(" + ", ".join(map(str, t["shape"])) + ")",
                "(" + ", ".join(t["symbols"]) + ")",
            )
            for t in module["tensors"]
        ]
        name = module.get("name") or "the state dict"
        parts += [
            f"<p><b>{_e(name)}</b>: <code>{_e(module['constructor'])}</code>, "
            f"{module['parameter_count']:,} parameters</p>",
            _table(("tensor", "shape", "symbols"), rows, name=str(name), code=(0, 1, 2)),
        ]
        run = module.get("run")
        if run:
            shapes = ", ".join(f"{k} {shape_str(tuple(v))}" for k, v in run["shapes"].items())
            parts.append(
                f'<p><span class="holds">✓</span> loaded (strict) and ran: {_e(shapes)}</p>'
            )
    parts.append(_bullets(data.get("notes") or []))
    return _wrap("inspect", [p for p in parts if p])


def page_html(page: Page, verdicts: tuple[str, str] = ("", ""), kind: str = "page") -> str:
    """A teaching page (``diagram``, ``gates``, ``myths``, ...): its sections, in order."""
    parts = [f"<h4>{_e(page.title)}</h4>", f"<p><code>{_e(page.subtitle)}</code></p>"]
    for section in page.sections:
        if section.title:
            parts.append(f"<h4>{_e(section.title)}</h4>")
        for block in section.blocks:
            if isinstance(block, Para):
                parts.append(f"<p>{_e(block.text)}</p>")
            elif isinstance(block, Bullets):
                parts.append(_bullets(block.items))
            elif isinstance(block, Pre):
                parts.append(f"<pre>{_e(block.text.rstrip())}</pre>")
            elif isinstance(block, Table):
                parts.append(_page_table(block, verdicts))
    return _wrap(kind, parts)


def _page_table(table: Table, verdicts: tuple[str, str]) -> str:
    rows = []
    for row in table.rows:
        cells = []
        for k, text in enumerate(row):
            inner = f"<code>{_e(text)}</code>" if k in table.code_columns and text else _e(text)
            if verdicts[0] and text == verdicts[0]:
                inner = f'<span class="holds">{inner}</span>'
            elif verdicts[1] and text == verdicts[1]:
                inner = f'<span class="fails">{inner}</span>'
            cells.append(inner)
        rows.append(cells)
    return _table(table.header, rows, name=table.name, raw=tuple(range(len(table.header))))


def ipython_shell() -> Any:
    """The running IPython shell, or ``None`` outside IPython/Jupyter (never imports it)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if get is not None else None
