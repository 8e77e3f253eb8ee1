"""``check --spec`` streams: every format prints what it printed when the results were
collected first, and memory stays flat however many cases a file holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
#: two files, one TOML and one JSON: passing cases, expectations that fail, shapes torch
#: rejects, shapes not fed to torch, and names that XML and Markdown escape
FILES = (str(DATA / "shapes.toml"), str(DATA / "more_shapes.json"))
FORMATS = {
    "multi_table.txt": (),
    "multi_markdown.md": ("--format", "markdown"),
    "multi_junit.xml": ("--format", "junit"),
    "multi_json.json": ("--format", "json"),
    "multi_quiet.txt": ("--quiet",),
    "multi_quiet_markdown.md": ("--quiet", "--format", "markdown"),
}


@pytest.mark.parametrize(("name", "args"), FORMATS.items(), ids=list(FORMATS))
def test_every_format_of_a_multi_file_spec(
    cli: Callable[..., Any], golden: Callable[[str, str], None], name: str, args: tuple[str, ...]
) -> None:
    result = cli("check", "--spec", *FILES, *args)
    assert result.exit_code == 1
    golden(f"check/{name}", result.stdout)
