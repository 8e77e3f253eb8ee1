"""``.pre-commit-hooks.yaml`` works as written: its ``files`` pattern picks the spec files
and its ``entry``, given them the way pre-commit passes them, checks every case."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from lstm_shapes.cli import run
from tests.conftest import ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"

GOOD = """
[[case]]
name = "encoder"
lstm = { input_size = 8, hidden_size = 16, bidirectional = true }
expect = { hn = [2, 3, 16] }
"""
BAD = """
[[case]]
name = "decoder"
lstm = { input_size = 8, hidden_size = 16 }
input = { shape = [5, 3, 8], h0 = [2, 3, 16] }
"""


def hook() -> dict[str, str]:
    """The one hook's keys (a flat YAML list of one mapping: no YAML library needed)."""
    fields = {}
    for line in HOOKS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^[- ] (\w+): (.*)$", line)
        if match:
            fields[match.group(1)] = match.group(2)
    return fields


def test_the_hook_is_declared() -> None:
    fields = hook()
    assert fields["id"] == "lstm-shapes-check"
    assert fields["entry"] == "lstm-shapes check --spec"
    assert fields["language"] == "python"


@pytest.mark.parametrize(
    ("path", "picked"),
    [
        ("shapes.toml", True),
        ("docs/examples/shapes.toml", True),
        ("models/encoder.shapes.toml", True),
        ("encoder.shapes.json", True),
        ("pyproject.toml", False),
        ("myshapes.toml", False),
        ("shapes.toml.bak", False),
    ],
)
def test_files_picks_spec_files_only(path: str, picked: bool) -> None:
    assert bool(re.search(hook()["files"], path)) is picked


def test_the_docs_local_hook_uses_the_same_pattern() -> None:
    assert f"files: {hook()['files']}\n" in (ROOT / "docs" / "ci.md").read_text("utf-8")


def test_the_entry_checks_every_file_pre_commit_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, other, bad = (tmp_path / n for n in ("a.shapes.toml", "b.shapes.toml", "c.shapes.toml"))
    good.write_text(GOOD)
    other.write_text(GOOD.replace("encoder", "second encoder"))
    bad.write_text(BAD)
    entry = shlex.split(hook()["entry"])[1:]
    assert run([*entry, str(good), str(other)]) == 0
    assert capsys.readouterr().out.startswith(
        "a.shapes.toml, b.shapes.toml: 2 cases, 2 passed, 0 failed: ok\n"
    )
    assert run([*entry, str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("a.shapes.toml, c.shapes.toml: 2 cases, 1 passed, 1 failed: FAILED\n")
    assert "Expected hidden[0] size (1, 3, 16), got [2, 3, 16]" in out


def test_files_without_spec_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", "a.shapes.toml"]) == 2
    assert capsys.readouterr().err == (
        "lstm-shapes: error: check takes no FILE arguments without --spec "
        "(got 'a.shapes.toml'; did you mean --spec a.shapes.toml?)\n"
    )
