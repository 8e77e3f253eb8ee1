"""Handouts: .md / .html / .svg, en and zh; docs/handouts must not go stale."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, Result, normalize

HANDOUTS = ROOT / "docs" / "handouts"
EXAMPLE = ("-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional", "-N", "3")
EXAMPLE_NAME = "lstm-10-20-2layers-batch-first-bidirectional"


def make(cli: Callable[..., Result], out: Path, *args: str) -> str:
    result = cli("handout", *args, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {out}\n"
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("ext", ["md", "html"])
def test_docs_handouts_are_current(
    cli: Callable[..., Result],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    lang: str,
    ext: str,
) -> None:
    name = f"{EXAMPLE_NAME}.{lang}.{ext}"
    actual = make(cli, tmp_path / name, *EXAMPLE, "--lang", lang)
    path = HANDOUTS / name
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run `make golden`"
    assert normalize(path.read_text(encoding="utf-8")) == normalize(actual), (
        f"{path} is stale: run `make golden` and review the diff"
    )


def test_html_is_self_contained(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.html", *EXAMPLE)
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img|iframe|object)\b", text)
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?://", text)
    assert "@page { size: A4;" in text
    for name in ("symbols", "shapes", "variants", "parameters", "myths", "gates-layer-0"):
        assert f'data-name="{name}"' in text
    for name in ("cube", "unrolled"):
        assert f'<pre class="picture" data-name="{name}"' in text


def test_markdown_sections(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.md", *EXAMPLE, "--proj-size", "5")
    titles = re.findall(r"^## (.+)$", text, flags=re.M)
    assert titles == [
        "The data cube",
        "The symbols",
        "The constructor arguments",
        "The shapes",
        "The unrolled network",
        "The gates, term by term",
        "The parameters",
        "LSTMCell, proven equal",
        "Heads on top of the LSTM",
        "Myths, tested live",
        "Reproduce it",
    ]
    assert "LSTMCell has no proj_size" in text
    assert "| `weight_hr_l0` | `(5, 20)` |" in text


def test_svg(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.svg", *EXAMPLE, "--lang", "zh")
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>")
    assert "讲义" in text


def test_bad_extension(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("handout", *EXAMPLE, "--out", str(tmp_path / "h.pdf"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: --out must end in .md, .html, .svg (got '{tmp_path / 'h.pdf'}')\n"
    )


def test_unwritable(cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "missing" / "h.md"
    result = cli("handout", *EXAMPLE, "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: --out cannot be written: No such file or directory (got '{out}')\n"
    )
