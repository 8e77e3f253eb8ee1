"""The handout as files: its text in the format asked for, and a Markdown handout's pictures
as ``<stem>.<picture>.svg`` beside it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lstm_shapes.errors import SpecError

if TYPE_CHECKING:
    from lstm_shapes.teach.doc import Page

HANDOUT_EXTENSIONS = (".md", ".html", ".svg")
HANDOUT_FORMATS = ("md", "html", "svg")
SUFFIX_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".svg": "svg"}


def handout_format(out: str, given: str | None) -> str:
    """``--format`` if given, else what the ``--out`` file's extension says (md for -)."""
    from lstm_shapes.spec.core import parse_choice

    if given is not None:
        return parse_choice("--format", given, HANDOUT_FORMATS)
    if out == "-":
        return "md"
    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise SpecError(
            f"--out must end in {', '.join(HANDOUT_EXTENSIONS)}, or be - for stdout (got {out!r})"
        )
    return SUFFIX_FORMATS[suffix]


def handout_text(
    page: Page, verdicts: tuple[str, str], fmt: str, stem: str = "", embed: bool = False
) -> str:
    """The handout as text: ``md`` links its pictures to files named after ``stem`` (or
    embeds them with ``embed``), ``html`` inlines them, ``svg`` is the terminal page."""
    if fmt == "md":
        from lstm_shapes.render.markup import embedded, page_markdown, picture_files

        return page_markdown(page, embedded if embed else picture_files(stem))
    if fmt == "html":
        from lstm_shapes.render.markup import page_html

        return page_html(page, verdicts)
    from lstm_shapes.render.teach import page_svg

    return page_svg(page, verdicts)


def handout_files(page: Page, verdicts: tuple[str, str], fmt: str, out: Path) -> dict[Path, str]:
    """Every file a handout written to ``out`` consists of, with its text."""
    files = {out: handout_text(page, verdicts, fmt, stem=out.stem)}
    if fmt == "md":
        from lstm_shapes.render.markup import figures_of
        from lstm_shapes.render.pictures import draw

        for figure in figures_of(page):
            files[out.with_name(f"{out.stem}.{figure.name}.svg")] = draw(figure) + "\n"
    return files
