"""A tiny document model shared by every teaching page.

A page is built once from real runs as plain data (sections of paragraphs, tables,
preformatted pictures and code), then rendered to the terminal (``render/teach.py``),
Markdown or HTML (``render/markup.py``), its figures as SVG (``render/pictures.py``).
No torch, no rich.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Para:
    """A paragraph. Text inside backticks is code (``hn[-1]``)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    #: numbered (1., 2., ...) rather than bulleted
    ordered: bool = False


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


@dataclass(frozen=True)
class Figure:
    """A picture drawn from the run (``render/pictures.py`` draws it as SVG).

    ``facts`` holds every name and size the drawing shows, ``labels`` the few words it
    needs in the page's language; ``text`` is the terminal's text picture ("" when the
    terminal shows none)."""

    name: str  # cube | unrolled | halves | cell | packed | heads
    title: str
    desc: str
    facts: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Equations:
    """The recurrence of ``kind`` (``"lstm"``, ``"gru"``, ``"rnn"``), typeset by the
    renderer (MathML in HTML); ``text`` is the plain-text spelling, ``shapes`` maps each
    left-hand side (``i_t``, ``c_t``, ...) to its shape at this configuration, and
    ``names`` each gate to its name and one sentence on what it does."""

    kind: str
    text: str
    shapes: dict[str, str]
    names: dict[str, tuple[str, str]]
    proj: bool = False
    nonlinearity: str = "tanh"
    #: how time step t reads the input, e.g. ``x[:, t]``
    step_expr: str = "x[t]"


@dataclass(frozen=True)
class Stepper:
    """A time-step control for the HTML page: steps ``0 .. seq_len-1``."""

    seq_len: int
    label: str


Block = Para | Bullets | Table | Pre | Figure | Equations | Stepper


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
        if isinstance(block, (Para, Bullets, Table, Pre, Figure, Equations, Stepper)):
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
