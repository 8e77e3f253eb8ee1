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
from pathlib import Path

import pytest

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
  var out = {lang: document.documentElement.lang, title: document.title, tables: [], pictures: []};
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
    assert {"cube", "unrolled", "equations", "cell-loop", "code"} <= set(pictures)
    for picture in pictures.values():
        assert picture["width"] > 100 and picture["height"] > 20, picture
        assert not picture["overflow"], f"{picture['name']} is wider than an A4 page"
    assert pictures["unrolled"]["height"] > 100

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
