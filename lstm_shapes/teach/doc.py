"""A tiny document model shared by every teaching page.

A page is built once from real runs as plain data (sections of paragraphs, tables,
preformatted pictures and code), then rendered to the terminal (``render/teach.py``),
Markdown or HTML (``teach/markup.py``). No torch, no rich.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Para:
    """A paragraph. Text inside backticks is code (``hn[-1]``)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: one of "l" / "r" per column
    align: tuple[str, ...] = ()
    #: columns shown as code (monospace)
    code_columns: tuple[int, ...] = ()
    #: what the table shows, for screen readers and the browser test
    name: str = ""


@dataclass(frozen=True)
class Pre:
    """A fixed-width block: ``kind`` is ``"picture"`` (a drawing) or ``"code"`` (Python)."""

    text: str
    kind: str = "picture"
    name: str = ""
    #: the same picture for a narrow terminal, shown when ``text`` is wider than the screen
    compact: str | None = None


Block = Para | Bullets | Table | Pre


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    anchor: str = ""


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    lang: str = "en"
    footer: str = ""
    meta: dict[str, str] = field(default_factory=dict)


def section(title: str, *blocks: Block | Sequence[Block] | None, anchor: str = "") -> Section:
    """A section from blocks, lists of blocks and ``None`` (skipped)."""
    flat: list[Block] = []
    for block in blocks:
        if block is None:
            continue
        if isinstance(block, (Para, Bullets, Table, Pre)):
            flat.append(block)
        else:
            flat.extend(block)
    return Section(title, tuple(flat), anchor)


def cell_len(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int, align: str = "l") -> str:
    gap = max(0, width - cell_len(text))
    if align == "r":
        return " " * gap + text
    if align == "c":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap
