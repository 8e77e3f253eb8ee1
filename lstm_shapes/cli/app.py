"""The typer application: one module per command group, registered here."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from lstm_shapes._version import __version__
from lstm_shapes.cli import teach
from lstm_shapes.cli.check import check_command
from lstm_shapes.cli.explain import explain_command, variants_command
from lstm_shapes.cli.inspect import inspect_command
from lstm_shapes.cli.schema import schema_command
from lstm_shapes.cli.trace import trace_command


def _no_type_noise(params: list[Any]) -> list[Any]:
    """A flag takes no value: show no ``<bool>`` after it in --help (typer shows the type
    of every option without a metavar, --help and --install-completion included)."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        elif isinstance(param, TyperArgument) and param.metavar:
            # the metavar (CHECKPOINT, TARGET, FILE) already says what it is
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    return params


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_type_noise(super().get_params(ctx))


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_type_noise(super().get_params(ctx))


app = typer.Typer(
    name="lstm-shapes",
    cls=Group,
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


app.command("explain", cls=Command)(explain_command)
app.command("variants", cls=Command)(variants_command)
app.command("check", cls=Command)(check_command)
app.command("inspect", cls=Command)(inspect_command)
app.command("trace", cls=Command)(trace_command)

app.command("diagram", cls=Command)(teach.diagram_command)
app.command("gates", cls=Command)(teach.gates_command)
app.command("cell", cls=Command)(teach.cell_command)
app.command("heads", cls=Command)(teach.heads_command)
app.command("myths", cls=Command)(teach.myths_command)
app.command("handout", cls=Command)(teach.handout_command)
app.command("schema", cls=Command)(schema_command)
