"""``trace`` reports as a rich table, Markdown or JSON."""

from __future__ import annotations

import json

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lstm_shapes.probe.tracing import LayerCall, TracedTensor, TraceReport
from lstm_shapes.render.diagnosis import problem_sentences
from lstm_shapes.render.table import heading, notes_block

ZEROS = "zeros by default"


def _label(tensor: TracedTensor) -> str:
    docs = {"h0": "h_0", "c0": "c_0", "hn": "h_n", "cn": "c_n"}.get(tensor.name)
    return f"{tensor.name} ({docs})" if docs else tensor.name


def _status(layer: LayerCall) -> str:
    return "" if layer.finished else "  (raised the error below)"


def _title(report: TraceReport) -> str:
    count = len(report.layers)
    calls = "1 recurrent call" if count == 1 else f"{count} recurrent calls"
    return f"{report.model}: input {tuple(report.input_shape)} {report.input_dtype}, {calls}"


def _escape(text: str) -> str:
    """Plain Markdown text: ``*`` would start emphasis (``D*num_layers``)."""
    return text.replace("*", "\\*")


def _where(report: TraceReport, code: bool = False) -> str:
    failure = report.failure
    quote = "`" if code else ""
    if failure is None:
        return ""
    if failure.layer:
        return f"inside {quote}{failure.layer}{quote}"
    if failure.after:
        return f"after {quote}{failure.after}{quote}"
    return "before any recurrent layer"


def _layer_table(layer: LayerCall) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("tensor", style="bold", no_wrap=True)
    table.add_column("shape", no_wrap=True)
    table.add_column("symbol", style="magenta", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("meaning")
    names = list(layer.tensors)
    for index, tensor in enumerate(layer.tensors.values()):
        shape = str(tensor.shape)
        end = index < len(names) - 1
        if tensor.dims is None:
            table.add_row(
                _label(tensor), shape, "?", "", "not what this layer expects", end_section=end
            )
            continue
        for k, dim in enumerate(tensor.dims):
            label: str | Text = _label(tensor) if k == 0 else ""
            if k == 1 and not tensor.given:
                label = Text(ZEROS, style="dim")
            table.add_row(
                label,
                shape if k == 0 else "",
                dim.symbol,
                dim.arithmetic or str(dim.size),
                dim.meaning,
                end_section=end and k == len(tensor.dims) - 1,
            )
    return table


def trace_renderable(report: TraceReport) -> RenderableType:
    parts: list[RenderableType] = [
        Text(_title(report), style="bold"),
        Text("ran: ", style="dim").append(
            f"torch {report.torch_version} · eval mode, no grad · one forward pass"
        ),
    ]
    for layer in report.layers:
        parts += [
            Text(""),
            heading(f"{layer.label}{_status(layer)}"),
            Text("    " + layer.module.constructor(), style="cyan"),
            _layer_table(layer),
        ]
    parts.append(Text(""))
    if report.failure is None:
        parts.append(Text("model output: ", style="bold").append(report.output_text or ""))
    else:
        failure = report.failure
        parts += [
            Text(f"The model raised {failure.error_type} {_where(report)}:", style="bold red"),
            Text("    " + failure.message.splitlines()[0] if failure.message else ""),
        ]
        if failure.diagnosis:
            sentences = problem_sentences(failure.diagnosis)
            parts += [Text(""), heading("Diagnosis"), notes_block(sentences)]
    if report.notes:
        parts += [Text(""), heading("Notes"), notes_block(report.notes)]
    return Group(*parts)


def trace_markdown(report: TraceReport) -> str:
    lines = [
        f"## `{report.model}`",
        "",
        _title(report) + f"; torch {report.torch_version}, eval mode.",
    ]
    for layer in report.layers:
        lines += [
            "",
            f"### `{layer.label}`{_status(layer)}",
            "",
            f"`{layer.module.constructor()}`",
            "",
            "| tensor | shape | dimensions |",
            "| --- | --- | --- |",
        ]
        for tensor in layer.tensors.values():
            shape = f"`{tensor.shape}`" + ("" if tensor.given else f" ({ZEROS})")
            dims = (
                _escape(", ".join(f"{d.symbol}={d.size}" for d in tensor.dims))
                if tensor.dims is not None
                else "not what this layer expects"
            )
            lines.append(f"| `{tensor.name}` | {shape} | {dims} |")
    lines.append("")
    if report.failure is None:
        lines.append(f"Model output: `{report.output_text}`")
    else:
        failure = report.failure
        lines += [
            f"**The model raised `{failure.error_type}` {_where(report, code=True)}:**",
            "",
            "```",
            failure.message,
            "```",
        ]
        if failure.diagnosis:
            sentences = problem_sentences(failure.diagnosis)
            lines += ["", *(f"- {_escape(line)}" for line in sentences)]
    if report.notes:
        lines += ["", "### Notes", "", *(f"- {_escape(note)}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def trace_json(report: TraceReport) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"
