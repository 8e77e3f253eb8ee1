"""The command line: parse, call the library, render, map errors to exit codes.

Exit codes: 0 ok · 1 a check or expectation failed · 2 bad input · 3 a bug in lstm-shapes.
Nothing here imports torch at module level: ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

import typer

from lstm_shapes.cli.app import app
from lstm_shapes.cli.errors import EXIT_USAGE, ClickException, print_error

__all__ = ["app", "main", "run"]


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (errors already printed)."""
    try:
        result = app(
            args=list(argv) if argv is not None else None,
            prog_name="lstm-shapes",
            standalone_mode=False,
        )
    except typer.Exit as stop:
        return int(stop.exit_code)
    except ClickException as error:
        # click's usage errors, folded to our one-line format
        message = error.format_message()  # type: ignore[attr-defined]
        ctx = getattr(error, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print_error(f"{message}{hint}")
        return EXIT_USAGE
    except typer.Abort:
        print_error("aborted")
        return 130
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    code = run(sys.argv[1:])
    if "torch" in sys.modules:
        # Tearing down an interpreter that imported torch takes 0.3-1.5 s on a small
        # machine; all output is written and nothing else needs cleaning up, so leave now.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)
