"""``lstm-shapes trace module:factory --input-shape ...``: every recurrent layer of a real
model, traced through one forward pass. This imports and runs the user's code."""

from __future__ import annotations

from typing import Annotated

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import EXIT_FAILED, user_errors
from lstm_shapes.cli.output import emit_text, print_renderable
from lstm_shapes.spec.core import TRACE_INPUT_DTYPES as INPUT_DTYPES
from lstm_shapes.spec.core import parse_choice, parse_shape

TRACE_FORMATS = ("table", "json", "markdown")


@o.bundle(formats=TRACE_FORMATS, groups=("output",))
def trace_command(
    options: o.Options,
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET",
            show_default=False,
            help="module:factory (a class, a zero-argument function or a model instance), "
            "e.g. mypackage.models:build_model or models.py:Net.",
        ),
    ],
    input_shape: Annotated[
        str,
        typer.Option(
            "--input-shape",
            "-s",
            metavar="N,L,...",
            show_default=False,
            help="Shape of the model's input, e.g. 32,50,10 (or 32,50 for token ids).",
        ),
    ],
    input_dtype: Annotated[
        str,
        typer.Option(
            "--input-dtype",
            metavar="|".join(INPUT_DTYPES),
            autocompletion=o._complete(INPUT_DTYPES),
            help="int64 for token ids that go through an embedding first.",
        ),
    ] = "float32",
) -> None:
    """Run a model once and show every nn.LSTM, nn.GRU and nn.RNN inside it.

    This imports your module and runs its code, as pytest does (the current directory is
    put on sys.path). Exit 1 when the model raises or stops the run (sys.exit, os._exit).

    Example: lstm-shapes trace docs/examples/tagger.py:Tagger -s 32,50 --input-dtype int64
    """
    with user_errors():
        fmt = parse_choice("--format", options.output_format, TRACE_FORMATS)
        from lstm_shapes.probe.tracing import load_target, trace

        shape = parse_shape("--input-shape", input_shape)
        dtype = parse_choice("--input-dtype", input_dtype, INPUT_DTYPES)
        model = load_target(target)
        report = trace(model, shape, input_dtype=dtype, name=target)
    from lstm_shapes.render import trace as render

    if options.quiet and fmt != "json":
        if not report.ok:
            emit_text(render.trace_failure_text(report))
    elif fmt == "json":
        emit_text(render.trace_json(report))
    elif fmt == "markdown":
        emit_text(render.trace_markdown(report))
    else:
        print_renderable(render.trace_renderable(report))
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
