"""How errors leave the CLI: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from lstm_shapes.errors import InconsistencyError, ModelStopped, SpecError


def _click_exception() -> type[Exception]:
    """click's ClickException, wherever this typer keeps it (newer releases vendor click,
    older ones depend on it): the base class of typer.BadParameter with that name."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException":
            return cls
    raise ImportError("typer.BadParameter does not derive from ClickException")


ClickException = _click_exception()


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 3


def print_error(message: str) -> None:
    print(f"lstm-shapes: error: {message}", file=sys.stderr)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn our library's errors into exit codes 2 (bad input) and 3 (our bug)."""
    try:
        yield
    except SpecError as error:
        print_error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    except ModelStopped as error:
        print_error(str(error))
        raise typer.Exit(EXIT_FAILED) from None
    except InconsistencyError as error:
        print(f"lstm-shapes: internal error: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_BUG) from None
