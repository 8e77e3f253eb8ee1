"""``lstm-shapes schema NAME``: the JSON Schema of a command's ``--format json`` output."""

from __future__ import annotations

from typing import Annotated

import typer

from lstm_shapes.cli.errors import user_errors
from lstm_shapes.cli.output import emit_text
from lstm_shapes.render.schema import SCHEMAS


def _complete(incomplete: str) -> list[str]:
    return [name for name in SCHEMAS if name.startswith(incomplete)]


def schema_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            show_default=False,
            autocompletion=_complete,
            help=f"The command whose JSON it describes: {', '.join(SCHEMAS)}.",
        ),
    ],
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's --format json output.

    Validate in CI, e.g.: lstm-shapes schema explain > explain.schema.json
    """
    from lstm_shapes.render.schema import schema_text

    with user_errors():
        text = schema_text(name)
    emit_text(text)
