"""``lstm-shapes explain`` and ``lstm-shapes variants``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import EXIT_FAILED, user_errors
from lstm_shapes.cli.output import emit_failed_facts, emit_text, print_renderable
from lstm_shapes.spec.core import parse_choice

if TYPE_CHECKING:
    from lstm_shapes.report.explain import Report

EXPLAIN_FORMATS = ("table", "json", "markdown")


@o.bundle(formats=EXPLAIN_FORMATS)
def explain_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    full: o.Full = False,
    cost: o.Cost = False,
    time: o.Time = False,
    backward: o.Backward = False,
    verify_flops: o.VerifyFlops = False,
    optimizer: o.Optimizer = "adam",
    amp: o.Amp = False,
) -> None:
    """Build the real nn.LSTM, run one forward pass and name every dimension.

    Example: lstm-shapes explain -i 10 -H 20 -l 2 --batch-first --bidirectional -N 3 -L 7

    Too big to run (over --max-memory or --max-time)? A reduced run with the same
    structure checks theory, and the report says so.
    """
    with user_errors():
        fmt = parse_choice("--format", options.output_format, EXPLAIN_FORMATS)
        from lstm_shapes.spec.limits import parse_max_time
        from lstm_shapes.theory.budget import parse_memory

        limit = parse_memory(max_memory) if max_memory is not None else None
        seconds = parse_max_time(max_time) if max_time is not None else None
        spec = options.spec()
        from lstm_shapes.api import explain

        wants_cost = cost or time or backward or verify_flops
        report = explain(
            spec,
            max_memory=limit,
            max_time=seconds,
            full=full,
            cost=wants_cost,
            time=time,
            backward=backward,
            verify_flops=verify_flops,
            optimizer=optimizer,
            amp=amp,
        )
    if options.quiet and fmt != "json":
        emit_failed_facts([report])
    else:
        _print_report(report, fmt)
    if not report.ok:  # a verified statement did not hold: the report says which
        raise typer.Exit(EXIT_FAILED)


def _print_report(report: Report, fmt: str) -> None:
    if fmt == "json":
        from lstm_shapes.render.json_ import explain_json

        emit_text(explain_json(report))
    elif fmt == "markdown":
        from lstm_shapes.render.markdown import explain_markdown

        emit_text(explain_markdown(report))
    else:
        from lstm_shapes.render.table import explain_renderable

        print_renderable(explain_renderable(report))
    if report.cost is not None and fmt != "json":
        from lstm_shapes.cli.output import print_cost

        print_cost(report, fmt)


@o.bundle(formats=EXPLAIN_FORMATS)
def variants_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
) -> None:
    """The same sizes under all four batch_first x bidirectional combinations, side by side.

    Each variant is run for real. Example: lstm-shapes variants -i 10 -H 20 -l 2
    """
    with user_errors():
        fmt = parse_choice("--format", options.output_format, EXPLAIN_FORMATS)
        options.refuse(
            ("--batch-first", "--bidirectional"),
            "variants: it shows all four batch_first x bidirectional combinations",
        )
        spec = options.spec()
        from lstm_shapes.api import variants

        reports = list(variants(spec, max_memory=max_memory, max_time=max_time))
    if options.quiet and fmt != "json":
        emit_failed_facts(reports)
    elif fmt == "json":
        from lstm_shapes.render.json_ import variants_json

        emit_text(variants_json(reports))
    elif fmt == "markdown":
        from lstm_shapes.render.markdown import variants_markdown

        emit_text(variants_markdown(reports))
    else:
        from lstm_shapes.render.table import variants_renderable

        print_renderable(variants_renderable(reports))
    if not all(report.ok for report in reports):
        raise typer.Exit(EXIT_FAILED)
