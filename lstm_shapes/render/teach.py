"""Teaching pages in the terminal (rich), and as SVG of that terminal rendering."""

from __future__ import annotations

import re

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table as RichTable
from rich.text import Text

from lstm_shapes.teach.doc import Bullets, Equations, Figure, Page, Para, Pre, Table

_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> Text:
    """`code` spans in cyan, the rest plain."""
    out = Text()
    pos = 0
    for match in _CODE.finditer(text):
        out.append(text[pos : match.start()])
        out.append(match.group(1), style="cyan")
        pos = match.end()
    out.append(text[pos:])
    return out


def page_renderable(page: Page, verdicts: tuple[str, str] = ("", "")) -> RenderableType:
    parts: list[RenderableType] = [
        Text(page.title, style="bold"),
        Text(page.subtitle, style="bold cyan"),
    ]
    for sec in page.sections:
        parts.append(Text(""))
        if sec.title:
            parts.append(Text(sec.title, style="bold underline"))
        for block in sec.blocks:
            if isinstance(block, Para):
                parts.append(_inline(block.text))
            elif isinstance(block, Bullets):
                grid = RichTable.grid(padding=(0, 1, 0, 0))
                grid.add_column(style="yellow", no_wrap=True)
                grid.add_column()
                for k, item in enumerate(block.items):
                    grid.add_row(f"{k + 1}." if block.ordered else "•", _inline(item))
                parts.append(Padding(grid, (0, 0, 0, 2)))
            elif isinstance(block, Figure):
                # the terminal keeps its text pictures; the SVG ones are for pages
                if block.text:
                    parts.append(Padding(Text(block.text.rstrip("\n")), (0, 0, 0, 2)))
                else:
                    parts.append(Text(f"{block.title}: {block.desc}", style="dim"))
            elif isinstance(block, Equations):
                parts.append(Padding(Text(block.text.rstrip("\n")), (0, 0, 0, 2)))
            elif isinstance(block, Pre):
                style = "cyan" if block.kind == "code" else ""
                parts.append(Padding(Text(block.text.rstrip("\n"), style=style), (0, 0, 0, 2)))
            elif isinstance(block, Table):
                parts.append(_table(block, verdicts))
    if page.footer:
        parts += [Text(""), Text(page.footer, style="dim")]
    return Group(*parts)


def _table(table: Table, verdicts: tuple[str, str]) -> RichTable:
    out = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    align = table.align or ("l",) * len(table.header)
    for k, (header, a) in enumerate(zip(table.header, align, strict=True)):
        out.add_column(
            header,
            justify="right" if a == "r" else "left",
            style="magenta" if k in table.code_columns else None,
            overflow="fold",
        )
    for row in table.rows:
        cells: list[RenderableType] = []
        for text in row:
            if verdicts[0] and text == verdicts[0]:
                cells.append(Text(text, style="bold green"))
            elif verdicts[1] and text == verdicts[1]:
                cells.append(Text(text, style="bold red"))
            else:
                cells.append(_inline(text))
        out.add_row(*cells)
    return out


def page_svg(page: Page, verdicts: tuple[str, str] = ("", ""), width: int = 100) -> str:
    """The terminal rendering as an SVG picture (rich's ``export_svg``)."""
    import io

    console = Console(
        record=True,
        width=width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        emoji=False,
    )
    console.print(page_renderable(page, verdicts))
    return console.export_svg(title=f"lstm-shapes: {page.subtitle}")
