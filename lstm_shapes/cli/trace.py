"""``lstm-shapes trace module:factory --input-shape ...``: the path through a real model and
every recurrent module in it, traced through one forward pass. This imports and runs the
user's code."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import EXIT_FAILED, user_errors
from lstm_shapes.cli.output import emit_text, print_renderable
from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import TRACE_INPUT_DTYPES as INPUT_DTYPES
from lstm_shapes.spec.core import parse_choice, parse_device, parse_shape, parse_size

TRACE_FORMATS = ("table", "json", "markdown")
INPUT = "Input (one of --input-shape or --inputs)"

Target = Annotated[
    str,
    typer.Argument(
        metavar="TARGET",
        show_default=False,
        help="module:factory (a class, a function or a model instance), e.g. "
        "mypackage.models:build_model or models.py:Net.",
    ),
]
InputShapes = Annotated[
    list[str] | None,
    typer.Option(
        "--input-shape",
        "-s",
        metavar="N,L,...",
        show_default=False,
        rich_help_panel=INPUT,
        help="Shape of a random input tensor, e.g. 32,50,10 (or 32,50 for token ids); "
        "repeat for each positional argument of forward.",
    ),
]
InputDtypes = Annotated[
    list[str] | None,
    typer.Option(
        "--input-dtype",
        metavar="|".join(INPUT_DTYPES),
        autocompletion=o._complete(INPUT_DTYPES),
        show_default=False,
        rich_help_panel=INPUT,
        help="dtype of the random inputs, float32 unless given: once for all, or once per "
        "--input-shape; int64 for token ids that go through an embedding first.",
    ),
]
Inputs = Annotated[
    str | None,
    typer.Option(
        "--inputs",
        metavar="FILE:function",
        show_default=False,
        rich_help_panel=INPUT,
        help="A function (no arguments) returning the inputs: a tensor, a tuple of "
        "positional arguments, a dict of keyword arguments, or (args, kwargs).",
    ),
]
Batch = Annotated[
    str | None,
    typer.Option(
        "--batch",
        "-N",
        metavar="INT",
        show_default=False,
        rich_help_panel=INPUT,
        help="The batch size N, to state it: a batch_first=False layer reading N first then "
        "gets a note. Without it, N is the first dimension shared by every input, when there "
        "are several.",
    ),
]
Init = Annotated[
    list[str] | None,
    typer.Option(
        "--init",
        metavar="KEY=VALUE",
        show_default=False,
        help="A constructor argument for TARGET, e.g. --init hidden_size=128 (repeatable; "
        "values are Python literals, else text).",
    ),
]


def trace_command(
    target: Target,
    input_shape: InputShapes = None,
    input_dtype: InputDtypes = None,
    inputs: Inputs = None,
    batch: Batch = None,
    init: Init = None,
    device: o.Device = "auto",
    seed: o.Seed = "0",
    max_memory: o.MaxMemory = None,
    output_format: o.format_option(TRACE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """Run a model once: the path through it, then every nn.LSTM, nn.GRU, nn.RNN and cell
    inside it, with every dimension named.

    This imports your module and runs its code, as pytest does (the current directory is
    put on sys.path). Exit 1 when the model raises, 2 when it cannot be called with the
    inputs given.

    Example: lstm-shapes trace docs/examples/tagger.py:Tagger -s 32,50 --input-dtype int64
    """
    with user_errors():
        fmt = parse_choice("--format", output_format, TRACE_FORMATS)
        report = _run(target, list(input_shape or []), list(input_dtype or []), inputs,
                      batch, list(init or []), device, seed, max_memory)  # fmt: skip
    from lstm_shapes.render import trace as render

    if fmt == "json":
        emit_text(render.trace_json(report))
    elif fmt == "markdown":
        emit_text(render.trace_markdown(report))
    else:
        print_renderable(render.trace_renderable(report))
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _run(
    target: str,
    shapes: list[str],
    dtypes: list[str],
    inputs: str | None,
    batch: str | None,
    init: list[str],
    device: str,
    seed: str,
    max_memory: str | None = None,
) -> Any:
    """Validate every option before importing anything, then build, load and trace."""
    parse_device(device)
    seed_ = parse_size("--seed", seed, minimum=0)
    batch_ = parse_size("--batch", batch) if batch is not None else None
    from lstm_shapes.spec.trace import parse_init, random_inputs

    if inputs is not None and (shapes or dtypes):
        given = "--input-shape" if shapes else "--input-dtype"
        raise SpecError(f"--inputs gives the inputs itself: leave out {given}")
    if inputs is None and not shapes:
        raise SpecError(
            "trace needs the model's inputs: --input-shape (once per positional tensor) "
            "or --inputs FILE:function"
        )
    if shapes:
        random_inputs(shapes, dtypes)
        for index, text in enumerate(shapes):
            dtype = dtypes[index] if len(dtypes) == len(shapes) else (dtypes or ["float32"])[0]
            _check_input(parse_shape("--input-shape", text), dtype, max_memory)
    arguments = parse_init(init)
    from lstm_shapes.api import trace
    from lstm_shapes.probe.trace_target import load_inputs, load_target

    model = load_target(target, arguments, seed=seed_)
    options: dict[str, Any] = {"device": device, "seed": seed_, "name": target, "batch": batch_}
    if inputs is not None:
        data, kwargs = load_inputs(inputs)
        return trace(model, data, kwargs=kwargs, **options)
    return trace(model, input_shape=shapes, input_dtype=dtypes or ["float32"], **options)


def _check_input(shape: tuple[int, ...], dtype: str, max_memory: str | None) -> None:
    """Refuse an input over the memory budget before the user's code is even imported."""
    from lstm_shapes.theory import budget as budgets

    limit = budgets.parse_memory(max_memory) if max_memory is not None else None
    budget = budgets.make_budget(limit, None, budgets.available_ram())
    shown = ",".join(map(str, shape))
    budgets.check_input(
        shape, dtype, budget, f"the input tensor alone (--input-shape {shown}) is that large"
    )
