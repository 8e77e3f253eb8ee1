"""The HTML handout in a real browser: headless Chromium, English and Chinese.

No DevTools client is needed: ``--dump-dom`` runs a small probe script (added to a copy of
the handout, never to the shipped file) that writes layout measurements into the DOM;
``--enable-logging=stderr`` shows every console message; ``--screenshot`` and
``--print-to-pdf`` keep what the browser drew under ``test-artifacts/``.
Without Chromium the test skips, unless ``CI`` is set: then it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest

from lstm_shapes.render.picture_names import PICTURES
from tests.conftest import ROOT, Result

ARTIFACTS = ROOT / "test-artifacts"
EXAMPLE = ("-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional", "-N", "3")
#: A4 at 96 dpi: the width the page must fit when printed
A4_WIDTH_PX = 794
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # a self-contained page never needs the network: make every lookup fail
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

PROBE = """<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect();
    return {width: r.width, height: r.height};
  }
  function within(inner, outer) {
    return inner.x >= outer.x - 1 && inner.y >= outer.y - 1 &&
      inner.x + inner.width <= outer.x + outer.width + 1 &&
      inner.y + inner.height <= outer.y + outer.height + 1;
  }
  var out = {lang: document.documentElement.lang, title: document.title, tables: [], pictures: [],
             svgs: [], maths: []};
  document.querySelectorAll("table[data-name]").forEach(function (t) {
    var flat = 0;
    t.querySelectorAll("th, td").forEach(function (c) {
      var b = box(c); if (b.width <= 0 || b.height <= 0) { flat++; }
    });
    var b = box(t);
    out.tables.push({name: t.dataset.name, width: b.width, height: b.height, rows: t.rows.length,
                     flatCells: flat, overflow: t.scrollWidth > t.parentElement.clientWidth + 1});
  });
  document.querySelectorAll("pre[data-name]").forEach(function (p) {
    var b = box(p);
    out.pictures.push({name: p.dataset.name, kind: p.className, width: b.width, height: b.height,
                       overflow: p.scrollWidth > p.clientWidth + 1});
  });
  document.querySelectorAll("svg[data-name]").forEach(function (svg) {
    var b = box(svg), view = svg.viewBox.baseVal, outside = [], overflowing = [];
    var frame = {x: view.x, y: view.y, width: view.width, height: view.height};
    svg.querySelectorAll("text").forEach(function (t) {
      var tb = t.getBBox();
      if (!within(tb, frame)) { outside.push(t.textContent); }
      var inside = t.getAttribute("data-inside");
      if (inside && !within(tb, document.getElementById(inside).getBBox())) {
        overflowing.push(t.textContent);
      }
    });
    var fig = svg.closest("figure");
    out.svgs.push({name: svg.dataset.name, width: b.width, height: b.height,
                   texts: svg.querySelectorAll("text").length, outside: outside,
                   overflowing: overflowing,
                   breakInside: fig ? getComputedStyle(fig).breakInside : "",
                   pageWidth: fig ? fig.scrollWidth <= fig.parentElement.clientWidth + 1 : false});
  });
  document.querySelectorAll("math").forEach(function (m) {
    var b = box(m); out.maths.push({width: b.width, height: b.height});
  });
  // the stepper: visible once the script ran; moving it moves the highlight
  var bar = document.getElementById("stepper");
  out.stepper = {shown: !!bar && !bar.hidden};
  if (bar) {
    var input = bar.querySelector("input");
    function now() {
      return Array.prototype.map.call(document.querySelectorAll(".now"), function (el) {
        return el.getAttribute("data-t");
      });
    }
    out.stepper.before = now();
    input.value = input.max;
    input.dispatchEvent(new Event("input"));
    out.stepper.after = now();
    out.stepper.max = input.max;
    out.stepper.label = document.querySelector("[data-step-label]").textContent;
  }
  out.h1 = box(document.querySelector("h1"));
  var probe = document.createElement("pre");
  probe.id = "layout-probe";
  probe.textContent = JSON.stringify(out);
  document.body.appendChild(probe);
})();
</script>
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    why = ""
    if found is None:
        why = "chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)"
    elif not _has_cjk_font():
        why = "no CJK font for the Chinese handout (Debian: apt-get install fonts-noto-cjk)"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{why}; CI is set, so the browser test must run")
        pytest.skip(why)
    assert found is not None
    return found


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    out = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


def run_chromium(
    browser: str, tmp_path: Path, page: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    profile.mkdir()
    return subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_handout_in_chromium(cli: Callable[..., Result], tmp_path: Path, lang: str) -> None:
    browser = chromium()
    handout = tmp_path / f"handout.{lang}.html"
    result = cli("handout", *EXAMPLE, "--lang", lang, "--out", str(handout))
    assert result.exit_code == 0, result.stderr
    html = handout.read_text(encoding="utf-8")

    # 1. layout, measured at the width of an A4 page
    probed = tmp_path / f"probed.{lang}.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = run_chromium(browser, tmp_path, probed, f"--window-size={A4_WIDTH_PX},1123", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    match = re.search(r'<pre id="layout-probe">(.*?)</pre>', run.stdout, flags=re.S)
    assert match, "the page did not load far enough to run the probe"
    layout = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert layout["lang"] == ("zh-Hans" if lang == "zh" else "en")
    assert layout["h1"]["width"] > 100 and layout["h1"]["height"] > 10
    tables = {t["name"]: t for t in layout["tables"]}
    assert {"symbols", "arguments", "shapes", "variants", "parameters", "myths"} <= set(tables)
    for table in tables.values():
        assert table["width"] > 100 and table["height"] > 20, table
        assert table["flatCells"] == 0, table
        assert not table["overflow"], table
    pictures = {p["name"]: p for p in layout["pictures"]}
    assert {"cell-loop", "code", "worked-packed", "params-formula"} <= set(pictures)
    for picture in pictures.values():
        assert picture["width"] > 100 and picture["height"] > 20, picture
        assert not picture["overflow"], f"{picture['name']} is wider than an A4 page"
    svgs = {s["name"]: s for s in layout["svgs"]}
    assert set(PICTURES) <= set(svgs)
    for svg in svgs.values():
        assert svg["width"] > 100 and svg["height"] > 50, svg
        assert svg["texts"] >= 3, svg
        assert svg["outside"] == [], f"{svg['name']}: text outside the picture"
        assert svg["overflowing"] == [], f"{svg['name']}: text wider than its box"
        assert svg["breakInside"] == "avoid" and svg["pageWidth"], svg
    assert svgs["unrolled"]["height"] > 150
    assert len(layout["maths"]) == 6
    assert all(m["width"] > 50 and m["height"] > 10 for m in layout["maths"])
    stepper = layout["stepper"]
    assert stepper["shown"]
    assert stepper["before"] and set(stepper["before"]) == {"0"}
    assert stepper["after"] and set(stepper["after"]) == {stepper["max"]} == {"6"}
    assert stepper["label"] == "x[:, 6]"

    # 2. what it looks like, and how it prints: kept as artefacts
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"handout.{lang}.png"
    screenshot.unlink(missing_ok=True)
    run = run_chromium(
        browser, tmp_path, handout, "--window-size=1000,2600", f"--screenshot={screenshot}"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a blank page is a few kB
    # each picture alone: the real files written beside a Markdown handout
    markdown = tmp_path / f"handout.{lang}.md"
    result = cli("handout", *EXAMPLE, "--lang", lang, "--out", str(markdown))
    assert result.exit_code == 0, result.stderr
    for name in PICTURES:
        alone = tmp_path / f"handout.{lang}.{name}.svg"
        dom = run_chromium(browser, tmp_path, alone, "--dump-dom")
        # Without the SVG namespace a browser shows the file as an XML tree, not a picture.
        assert "does not appear to have any style information" not in dom.stdout, name
        assert "<svg" in dom.stdout, name
        shot = ARTIFACTS / f"picture.{name}.{lang}.png"
        shot.unlink(missing_ok=True)
        run = run_chromium(
            browser, tmp_path, alone, "--window-size=800,600", f"--screenshot={shot}"
        )
        assert run.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    pdf = ARTIFACTS / f"handout.{lang}.pdf"
    pdf.unlink(missing_ok=True)
    run = run_chromium(
        browser, tmp_path, handout, "--no-pdf-header-footer", f"--print-to-pdf={pdf}"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data))
    assert boxes, "no pages printed"
    for width, height in boxes:  # A4 is 595 x 842 points
        assert abs(float(width) - 595) < 2 and abs(float(height) - 842) < 2, boxes
    _each_picture_on_one_page(pdf, html)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _each_picture_on_one_page(pdf: Path, html: str) -> None:
    """The first and the last Latin label of every picture are printed on the same page."""
    from pypdf import PdfReader

    pages = [_squeeze(page.extract_text()) for page in PdfReader(pdf).pages]
    for name, body in re.findall(r'<svg [^>]*data-name="(\w+)"[^>]*>(.*?)</svg>', html, re.S):
        labels = [
            _squeeze(unescape(text))
            for text in re.findall(r"<text [^>]*>([^<]+)</text>", body)
            if text.isascii() and len(text.strip()) > 3
        ]
        first, last = labels[0], labels[-1]
        assert any(first in page and last in page for page in pages), (
            f"{name}: {first!r} and {last!r} are not printed on one page"
        )
