"""``trace`` reports as a rich table, Markdown or JSON."""

from __future__ import annotations

import json

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from lstm_shapes.render.diagnosis import problem_sentences
from lstm_shapes.render.table import heading, notes_block
from lstm_shapes.report.trace import (
    PackedStages,
    PathItem,
    PathLoop,
    PathStep,
    RecurrentLayer,
    ShapeSet,
    TracedTensor,
    TraceReport,
)
from lstm_shapes.theory.shapes import batch_sizes_text

ZEROS = "zeros by default"
DOCS_NAMES = {"h0": "h_0", "c0": "c_0", "hn": "h_n", "cn": "c_n", "h1": "h_1", "c1": "c_1"}
OUTPUTS = ("output", "hn", "cn", "h1", "c1")
#: Distinct sets of shapes shown per module (a loop whose shapes grow makes one per step);
#: JSON lists them all.
MAX_SETS = 4


def _more(count: int, calls: int) -> str:
    return (
        f"… {_plural(count, 'more set')} of shapes ({_plural(calls, 'call')}); "
        "--format json lists them all"
    )


def _label(tensor: TracedTensor) -> str:
    docs = DOCS_NAMES.get(tensor.name)
    return f"{tensor.name} ({docs})" if docs else tensor.name


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _class(layer: RecurrentLayer) -> str:
    if layer.subclass:
        return f"{layer.class_name} (a subclass of nn.{layer.module.class_name})"
    return layer.class_name


def shapes_summary(shape_set: ShapeSet) -> str:
    """``(3, 64) -> h1, c1 (3, 128)``: the input, then the outputs, equal shapes together."""
    tensors = shape_set.tensors
    given = tensors.get("input")
    text = str(given.shape) if given is not None else "?"
    if shape_set.packed is not None and not shape_set.packed.inside:
        text = f"packed {text}"
    states = _grouped(tensors, ("h0", "c0"), given_only=True)
    if states:
        text += "; " + states
    if shape_set.keywords_text:
        text += "; " + shape_set.keywords_text
    outputs = _grouped(tensors, OUTPUTS)
    return f"{text} -> {outputs}" if outputs else f"{text} -> (raised)"


def _grouped(
    tensors: dict[str, TracedTensor], names: tuple[str, ...], given_only: bool = False
) -> str:
    """``hn, cn (4, 3, 128)``: tensors of equal shape together."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for name in names:
        tensor = tensors.get(name)
        if tensor is not None and (tensor.given or not given_only):
            groups.setdefault(tensor.shape, []).append(name)
    return "; ".join(f"{', '.join(group)} {shape}" for shape, group in groups.items())


def layer_summary(layer: RecurrentLayer) -> list[str]:
    """``decoder: LSTMCell, 24 calls, each (3, 1024) -> h1, c1 (3, 1024)``, and one more
    line per further distinct set of shapes."""
    head = f"{layer.name}: {_class(layer)}, {_plural(layer.calls, 'call')}"
    sets = layer.shape_sets
    if len(sets) == 1:
        each = "each " if layer.calls > 1 else ""
        return [f"{head}, {each}{shapes_summary(sets[0])}"]
    lines = [f"{head}:"]
    lines += [f"    {_plural(s.calls, 'call')}: {shapes_summary(s)}" for s in sets[:MAX_SETS]]
    if len(sets) > MAX_SETS:
        lines.append("    " + _more(len(sets) - MAX_SETS, sum(s.calls for s in sets[MAX_SETS:])))
    return lines


def _title(report: TraceReport) -> str:
    modules = len(report.layers)
    recurrent = (
        f"{_plural(modules, 'recurrent module')}, {_plural(report.recurrent_calls, 'call')}"
        if modules
        else "no recurrent module called"
    )
    return f"{report.model}: {recurrent} · {report.parameter_count:,} parameters"


def _inputs_line(report: TraceReport) -> str:
    count = len(report.inputs.args) + len(report.inputs.kwargs)
    return f"{'input' if count == 1 else 'inputs'}: {report.inputs.text}"


def _run_line(report: TraceReport) -> str:
    seed = f" · seed {report.seed}" if report.seed is not None else ""
    return (
        f"torch {report.torch_version} · device {report.device}{seed} · eval mode, no grad · "
        "one forward pass"
    )


def _escape(text: str) -> str:
    """Plain Markdown text: ``*`` would start emphasis (``D*num_layers``)."""
    return text.replace("*", "\\*").replace("|", "\\|")


def _where(report: TraceReport, code: bool = False) -> str:
    failure = report.failure
    quote = "`" if code else ""
    if failure is None:
        return ""
    if failure.layer:
        after = ""
        if failure.after and failure.after != failure.layer:
            after = f", after {quote}{failure.after}{quote}"
        call = f", call {failure.call}" if failure.call and failure.call > 1 else ""
        return f"inside {quote}{failure.layer}{quote} ({failure.class_name}{call}){after}"
    if failure.after:
        return f"in the model's own code, after {quote}{failure.after}{quote}"
    return "before any module ran"


def _path_rows(items: list[PathItem]) -> list[tuple[str, str, str, str, str, str]]:
    """(module, class, calls, input, output, parameters) rows; a loop is a title row and
    its steps indented."""
    rows: list[tuple[str, str, str, str, str, str]] = []

    def step_rows(step: PathStep, indent: str) -> None:
        for k, shapes in enumerate(step.shapes[:MAX_SETS]):
            first = k == 0
            rows.append(
                (
                    indent + step.name if first else "",
                    step.class_name if first else "",
                    str(shapes.calls),
                    shapes.input_text,
                    shapes.output_text,
                    f"{step.parameters:,}" if first else "",
                )
            )
        rest = step.shapes[MAX_SETS:]
        if rest:
            calls = sum(shapes.calls for shapes in rest)
            more = f"… {_plural(len(rest), 'more set')} of shapes"
            rows.append(("", "", str(calls), more, "", ""))

    for item in items:
        if isinstance(item, PathLoop):
            rows.append((f"loop, {item.count} times:", "", "", "", "", ""))
            for step in item.steps:
                step_rows(step, "  ")
        else:
            step_rows(item, "")
    return rows


def _path_table(report: TraceReport) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    # Long dotted names (decoder.attention_layer.query_layer) fold, so the shapes keep room.
    table.add_column("module", style="bold", max_width=30, overflow="fold")
    table.add_column("class", max_width=16, overflow="fold")
    table.add_column("calls", justify="right", no_wrap=True)
    table.add_column("input", min_width=14, ratio=1)
    table.add_column("output", min_width=14, ratio=1)
    table.add_column("parameters", justify="right", no_wrap=True)
    for row in _path_rows(report.path):
        table.add_row(*row)
    table.add_row("total", "", "", "", "", f"{report.parameter_count:,}", style="dim")
    return table


def _tensor_table(shape_set: ShapeSet) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("tensor", style="bold", no_wrap=True)
    table.add_column("shape", no_wrap=True)
    table.add_column("symbol", style="magenta", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("meaning")
    names = list(shape_set.tensors)
    for index, tensor in enumerate(shape_set.tensors.values()):
        shape = str(tensor.shape)
        end = index < len(names) - 1
        if tensor.dims is None:
            table.add_row(
                _label(tensor), shape, "?", "", "not what this module expects", end_section=end
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
        if len(tensor.dims) == 1 and not tensor.given:
            table.add_row(Text(ZEROS, style="dim"), "", "", "", "", end_section=end)
    return table


def packed_lines(packed: PackedStages) -> list[tuple[str, str]]:
    """The packed stages, (stage, what) pairs."""
    order = "longest first" if packed.inside else "in batch order"
    lines = [("lengths", f"{list(packed.lengths)} ({order})")]
    if packed.padded is not None:
        lines.append(
            (
                "padded",
                f"{packed.padded} batch_first={packed.padded_batch_first}, given to "
                "pack_padded_sequence",
            )
        )
    lines.append(("batch_sizes", batch_sizes_text(tuple(sorted(packed.lengths)))))
    lines.append(("packed input", f"{packed.packed_input} (sum(lengths), H_in)"))
    if packed.packed_output is not None:
        lines.append(("packed output", f"{packed.packed_output} (sum(lengths), D*H_out)"))
    if packed.unpacked is not None:
        lines.append(
            ("unpacked", f"{packed.unpacked} from pad_packed_sequence; the padded tail is zeros")
        )
    steps = ", ".join(map(str, packed.last_steps))
    lines.append(("hn taken at", f"each sequence's last real step, t = {steps}"))
    return lines


def _packed_table(packed: PackedStages) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("stage", style="bold", no_wrap=True)
    table.add_column("what")
    for stage, what in packed_lines(packed):
        table.add_row("  " + stage, what)
    return table


def _layer_parts(layer: RecurrentLayer) -> list[RenderableType]:
    parts: list[RenderableType] = [Text("")]
    title = f"{layer.name}: {_class(layer)}, {_plural(layer.calls, 'call')}"
    parts += [heading(title), Text("    " + layer.module.constructor(), style="cyan")]
    for shape_set in layer.shape_sets[:MAX_SETS]:
        if len(layer.shape_sets) > 1 or not shape_set.finished:
            status = "" if shape_set.finished else " (raised the error below)"
            parts += [
                Text(""),
                Text(f"{_plural(shape_set.calls, 'call')} with:{status}", style="bold"),
            ]
        if shape_set.sizes:
            parts.append(Text("    sizes: ", style="dim").append(shape_set.sizes, style="bold"))
        if shape_set.keywords_text:
            parts.append(Text("    called with " + shape_set.keywords_text))
        parts.append(_tensor_table(shape_set))
        if shape_set.packed is not None:
            parts += [
                Text(""),
                Text("packed stages", style="bold"),
                _packed_table(shape_set.packed),
            ]
    rest = layer.shape_sets[MAX_SETS:]
    if rest:
        parts += [Text(""), Text(_more(len(rest), sum(s.calls for s in rest)), style="dim")]
    return parts


def trace_renderable(report: TraceReport) -> RenderableType:
    parts: list[RenderableType] = [
        Text(_title(report), style="bold"),
        Text(_inputs_line(report)),
        Text("ran: ", style="dim").append(_run_line(report)),
        Text(""),
        heading("Path through the model, in call order"),
        _path_table(report),
    ]
    if report.layers:
        parts += [Text(""), heading("Recurrent modules")]
        parts += [Text("  " + line) for layer in report.layers for line in layer_summary(layer)]
    for layer in report.layers:
        parts += _layer_parts(layer)
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


def _markdown_layer(layer: RecurrentLayer) -> list[str]:
    lines = [
        "",
        f"### `{layer.name}`: {_escape(_class(layer))}, {_plural(layer.calls, 'call')}",
        "",
        f"`{layer.module.constructor()}`",
    ]
    for shape_set in layer.shape_sets[:MAX_SETS]:
        lines.append("")
        if len(layer.shape_sets) > 1 or not shape_set.finished:
            status = "" if shape_set.finished else " (raised the error below)"
            lines += [f"{_plural(shape_set.calls, 'call')} with:{status}", ""]
        if shape_set.sizes:
            lines += [f"Sizes: `{shape_set.sizes}`", ""]
        if shape_set.keywords_text:
            lines += [f"Called with `{shape_set.keywords_text}`.", ""]
        lines += ["| tensor | shape | dimensions |", "| --- | --- | --- |"]
        for tensor in shape_set.tensors.values():
            shape = f"`{tensor.shape}`" + ("" if tensor.given else f" ({ZEROS})")
            dims = (
                _escape(", ".join(f"{d.symbol}={d.size}" for d in tensor.dims))
                if tensor.dims is not None
                else "not what this module expects"
            )
            lines.append(f"| `{tensor.name}` | {shape} | {dims} |")
        if shape_set.packed is not None:
            lines += ["", "Packed stages:", ""]
            lines += [
                f"- {stage}: {_escape(what)}" for stage, what in packed_lines(shape_set.packed)
            ]
    rest = layer.shape_sets[MAX_SETS:]
    if rest:
        lines += ["", _escape(_more(len(rest), sum(s.calls for s in rest)))]
    return lines


def trace_markdown(report: TraceReport) -> str:
    lines = [
        f"## `{report.model}`",
        "",
        _escape(_title(report)) + f"; torch {report.torch_version}, eval mode.",
        "",
        _escape(_inputs_line(report)),
        "",
        "### Path through the model, in call order",
        "",
        "| module | class | calls | input | output | parameters |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for row in _path_rows(report.path):
        cells = [_escape(cell) if cell else "" for cell in row]
        if cells[0]:
            cells[0] = cells[0].replace("  ", "&nbsp;&nbsp;", 1)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"| total | | | | | {report.parameter_count:,} |")
    if report.layers:
        lines += ["", "### Recurrent modules", ""]
        lines += [
            ("- " if not line.startswith(" ") else "  - ") + _escape(line.strip())
            for layer in report.layers
            for line in layer_summary(layer)
        ]
    for layer in report.layers:
        lines += _markdown_layer(layer)
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
