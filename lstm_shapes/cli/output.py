"""Writing to stdout. rich is imported only when a table is printed."""

from __future__ import annotations

import sys


def emit_text(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def print_renderable(renderable: object) -> None:
    from lstm_shapes.render.console import make_console, render_to_text

    console = make_console()
    if console.is_terminal:
        console.print(renderable)
    else:  # piped: plain text without the padding rich adds to fill the width
        emit_text(render_to_text(renderable, width=console.width))
