"""One place that decides how wide and how colourful the terminal output is."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

DEFAULT_WIDTH = 100


MIN_WIDTH = 40


def columns_from_env() -> int:
    """``COLUMNS`` when it is a sensible width, else 100 (empty, text, 0 or tiny values
    must not crash or swallow the output)."""
    try:
        width = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return DEFAULT_WIDTH
    return width if width >= MIN_WIDTH else DEFAULT_WIDTH


def wants_color(is_tty: bool, env: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal, following the usual conventions, strongest first:
    ``NO_COLOR`` (any non-empty value) turns it off, ``FORCE_COLOR`` (non-empty, not ``0``)
    turns it on even in a pipe, ``TERM=dumb`` turns it off."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force and force not in ("0", "false", "no"):
        return True
    if env.get("TERM") == "dumb":
        return False
    return is_tty


def _terminal_columns(stream: IO[str]) -> int:
    """The terminal's width, at most 120; a terminal that reports 0 or a tiny width (a
    pseudo-terminal under ``docker run -t`` or ``script``) gets ``COLUMNS`` or 100."""
    try:
        width = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        width = 0
    return min(width, 120) if width >= MIN_WIDTH else columns_from_env()


def make_console(
    file: IO[str] | None = None, *, width: int | None = None, color: bool | None = None
) -> Console:
    """A console for our tables: the terminal's width when it is one (at most 120),
    else ``COLUMNS`` or 100; colour as :func:`wants_color` decides."""
    stream = file if file is not None else sys.stdout
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    if width is None:
        width = _terminal_columns(stream) if is_tty else columns_from_env()
    if color is None:
        color = wants_color(is_tty)
    return Console(
        file=stream,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def render_to_text(renderable: object, *, width: int = DEFAULT_WIDTH) -> str:
    """Plain text of a rich renderable, as piped output shows it (used by golden tests)."""
    import io

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=False,
        no_color=True,
        color_system=None,
        highlight=False,
        emoji=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


class ByWidth:
    """``wide`` when the screen has ``needs`` columns, else ``narrow``: a picture or a
    side-by-side table switches to its compact form rather than wrap into garbage."""

    def __init__(self, wide: RenderableType, narrow: RenderableType, needs: int) -> None:
        self.wide, self.narrow, self.needs = wide, narrow, needs

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.wide if options.max_width >= self.needs else self.narrow
