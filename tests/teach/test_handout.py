"""Handouts: .md / .html / .svg, en and zh; docs/handouts must not go stale."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from lstm_shapes.render.picture_names import PICTURES
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
    written = {name: actual}
    if ext == "md":  # the pictures, as .svg files beside the Markdown
        for picture in PICTURES:
            svg = f"{EXAMPLE_NAME}.{lang}.{picture}.svg"
            written[svg] = (tmp_path / svg).read_text(encoding="utf-8")
            assert f"]({svg})" in actual
    for file_name, text in written.items():
        path = HANDOUTS / file_name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            continue
        assert path.exists(), f"{path} is missing: run `make golden`"
        assert normalize(path.read_text(encoding="utf-8")) == normalize(text), (
            f"{path} is stale: run `make golden` and review the diff"
        )


def test_html_is_self_contained(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.html", *EXAMPLE)
    assert text.startswith("<!DOCTYPE html>")
    # one inline script (the stepper) and nothing fetched
    assert len(re.findall(r"<script>", text)) == 1
    assert not re.search(r"<(link|img|iframe|object)\b|<script [^>]*src", text)
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?://", text)
    assert "@page { size: A4;" in text
    for name in ("symbols", "shapes", "variants", "parameters", "myths", "gates-layer-0"):
        assert f'data-name="{name}"' in text
    for name in PICTURES:
        assert f'<figure data-name="{name}"><svg' in text


def _svgs(text: str) -> dict[str, str]:
    return dict(re.findall(r'<svg [^>]*data-name="(\w+)"[^>]*>(.*?)</svg>', text, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_teaches_with_pictures_equations_and_exercises(
    cli: Callable[..., Result], tmp_path: Path, lang: str
) -> None:
    text = make(cli, tmp_path / "h.html", *EXAMPLE, "--lang", lang)
    svgs = _svgs(text)
    assert set(PICTURES) <= set(svgs)
    for body in svgs.values():
        assert re.search(r"<title>[^<]+</title>", body) and re.search(r"<desc>[^<]+</desc>", body)
    # labelled with the run's names and sizes
    assert "dim 1: L=7" in svgs["cube"] and "H_in=10" in svgs["cube"]
    assert "hn[3], cn[3]" in svgs["unrolled"] and "x[:, 6]" in svgs["unrolled"]
    assert "hn[-2]" in svgs["halves"] and "output[:, -1, 20:] ≠ hn[-1]" in svgs["halves"]
    assert "(3, 20)" in svgs["cell"]
    assert "batch_sizes" in svgs["packed"]
    assert "nn.Linear(40, 1)" in svgs["heads"] and "(3, 7, 1)" in svgs["heads"]
    # MathML equations, the gates named
    assert text.count('<math display="block"') == 6
    names = ("input gate", "forget gate", "cell candidate", "output gate")
    if lang == "zh":
        names = ("输入门", "遗忘门", "候选细胞状态", "输出门")
    for name in names:
        assert name in svgs["cell"] and name in text
    # the stepper: hidden until the script runs, so the page without script shows everything
    assert '<div class="stepper" id="stepper" hidden>' in text
    assert 'data-t="6"' in svgs["unrolled"] and 'data-t="0"' in svgs["cube"]
    # worked answers are on the page, the exercises come before their answers
    for snippet in ("proj_size=10", "torch.randn(7, 10)", "pack_padded_sequence(x, lengths"):
        assert snippet in text
    assert text.index('id="exercises"') < text.index('id="answers"')
    assert text.count("<tr><td") > 10


def test_markdown_sections(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.md", *EXAMPLE, "--proj-size", "5")
    titles = re.findall(r"^## (.+)$", text, flags=re.M)
    assert titles == [
        "The data cube",
        "The symbols",
        "The constructor arguments",
        "The shapes",
        "The unrolled network",
        "output and hn, side by side",
        "The gates, term by term",
        "The parameters",
        "LSTMCell, proven equal",
        "Heads on top of the LSTM",
        "Worked examples at this configuration",
        "Myths, tested live",
        "Reproduce it",
        "Exercises",
        "Answers",
    ]
    assert "LSTMCell has no proj_size" in text
    assert "| `weight_hr_l0` | `(5, 20)` |" in text
    assert "![The input (3, 7, 10) as a data cube](h.cube.svg)" in text
    assert (tmp_path / "h.cube.svg").read_text(encoding="utf-8").startswith("<svg")


def test_markdown_on_stdout_embeds_pictures(cli: Callable[..., Result]) -> None:
    result = cli("handout", *EXAMPLE, "--out", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# The shapes of nn.LSTM: a handout")
    assert result.stdout.count("](data:image/svg+xml;base64,") == len(PICTURES)


@pytest.mark.parametrize(("fmt", "start"), [("html", "<!DOCTYPE html>"), ("svg", "<svg")])
def test_stdout_formats(cli: Callable[..., Result], fmt: str, start: str) -> None:
    result = cli("handout", *EXAMPLE, "--out", "-", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(start)


def test_chinese_code_comments(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.md", *EXAMPLE, "--lang", "zh")
    assert "# 每个序列的真实长度" in text
    assert "# 每一层、每个方向各一个 LSTMCell，使用 LSTM 自己的权重。" in text
    assert "real length of each sequence" not in text


def test_svg(cli: Callable[..., Result], tmp_path: Path) -> None:
    text = make(cli, tmp_path / "h.svg", *EXAMPLE, "--lang", "zh")
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>")
    assert "讲义" in text


def test_bad_extension(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("handout", *EXAMPLE, "--out", str(tmp_path / "h.pdf"))
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --out must end in .md, .html, .svg, or be - for stdout "
        f"(got '{tmp_path / 'h.pdf'}')\n"
    )


def test_unwritable(cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "missing" / "h.md"
    result = cli("handout", *EXAMPLE, "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: --out cannot be written: No such file or directory (got '{out}')\n"
    )
