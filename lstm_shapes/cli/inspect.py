"""``lstm-shapes inspect CHECKPOINT``: which recurrent modules a checkpoint's weights
come from, and the shapes they expect."""

from __future__ import annotations

from typing import Annotated

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import user_errors
from lstm_shapes.cli.output import emit_text, print_renderable
from lstm_shapes.spec.core import parse_choice

INSPECT_FORMATS = ("table", "json", "markdown")


def inspect_command(
    checkpoint: Annotated[
        str,
        typer.Argument(
            metavar="CHECKPOINT",
            show_default=False,
            help="A file written by torch.save (a state dict, a dict holding one, a whole "
            "model), torch.jit.save, or a "
            ".safetensors file.",
        ),
    ],
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    run: Annotated[
        bool,
        typer.Option(
            "--run",
            help="Load the weights into the inferred module (strict) and run a forward pass.",
        ),
    ] = False,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    output_format: o.format_option(INSPECT_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """Find every nn.LSTM, nn.GRU, nn.RNN and cell in a checkpoint from its weights alone.

    Nothing the file names is imported or called: no code in it runs.

    Example: lstm-shapes inspect model.pt --run
    """
    with user_errors():
        fmt = parse_choice("--format", output_format, INSPECT_FORMATS)
        from lstm_shapes.probe.checkpoint import inspect_checkpoint

        report = inspect_checkpoint(
            checkpoint,
            batch=batch,
            seq_len=seq_len,
            run=run,
            max_memory=max_memory,
            max_time=max_time,
        )
    from lstm_shapes.render import checkpoint as render

    if fmt == "json":
        emit_text(render.checkpoint_json(report))
    elif fmt == "markdown":
        emit_text(render.checkpoint_markdown(report))
    else:
        print_renderable(render.checkpoint_renderable(report))
