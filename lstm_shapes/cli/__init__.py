"""The command line: parse, call the library, render, map errors to exit codes.

Exit codes: 0 ok · 1 a check or expectation failed · 2 bad input · 3 a bug in lstm-shapes.
Nothing here imports torch at module level: ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Sequence

import typer

from lstm_shapes.cli.app import app
from lstm_shapes.cli.errors import EXIT_BUG, EXIT_USAGE, ClickException, print_error

__all__ = ["app", "main", "run"]


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (errors already printed)."""
    # A warning torch prints (NumPy missing, a complex cast, ...) would land on stderr beside
    # our one-line error; the reports show the warnings that matter (explain's notes).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
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
        if not message:  # no arguments at all: the help was printed, nothing to add
            return EXIT_USAGE
        ctx = getattr(error, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print_error(f"{message}{hint}")
        return EXIT_USAGE
    except typer.Abort:
        print_error("aborted")
        return 130
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except Exception as error:  # anything unexpected is our bug: say so, exit 3
        if os.environ.get("LSTM_SHAPES_TRACEBACK"):
            raise
        first_line = (str(error).strip().splitlines() or [""])[0]
        print(
            f"lstm-shapes: internal error: {type(error).__name__}: {first_line}\n"
            "This is a bug in lstm-shapes, not in your input: please report it "
            "(LSTM_SHAPES_TRACEBACK=1 shows the traceback).",
            file=sys.stderr,
        )
        return EXIT_BUG
    return int(result) if isinstance(result, int) else 0


def _tolerate_narrow_encodings() -> None:
    """Under ``PYTHONIOENCODING=ascii`` (or a latin-1 terminal) ``·``, ``✓`` and Chinese
    pages cannot be encoded: print ``?`` for them rather than fail."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "·✓→中".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def main() -> None:
    _tolerate_narrow_encodings()
    code = run(sys.argv[1:])
    if "torch" in sys.modules:
        # Tearing down an interpreter that imported torch takes 0.3-1.5 s on a small
        # machine; all output is written and nothing else needs cleaning up, so leave now.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)
