"""The typer application: one module per command group, registered here."""

from __future__ import annotations

from typing import Annotated

import typer

from lstm_shapes._version import __version__
from lstm_shapes.cli import teach
from lstm_shapes.cli.check import check_command
from lstm_shapes.cli.explain import explain_command, variants_command
from lstm_shapes.cli.inspect import inspect_command
from lstm_shapes.cli.schema import schema_command
from lstm_shapes.cli.trace import trace_command

app = typer.Typer(
    name="lstm-shapes",
    help="Explain the tensor shapes of PyTorch's nn.LSTM by running the real module.\n\n"
    "Every shape printed was observed from torch. Exit codes: 0 ok, 1 a check failed, "
    "2 bad input, 3 a bug in lstm-shapes.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"lstm-shapes {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            metavar="",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Explain the tensor shapes of PyTorch's nn.LSTM by running the real module."""


app.command("explain")(explain_command)
app.command("variants")(variants_command)
app.command("check")(check_command)
app.command("inspect")(inspect_command)
app.command("trace")(trace_command)

app.command("diagram")(teach.diagram_command)
app.command("gates")(teach.gates_command)
app.command("cell")(teach.cell_command)
app.command("heads")(teach.heads_command)
app.command("myths")(teach.myths_command)
app.command("handout")(teach.handout_command)
app.command("schema")(schema_command)
