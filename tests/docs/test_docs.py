"""The docs move with the code.

* ``docs/cli.md`` is generated from ``--help``; stale means failing (``make golden``
  rewrites it).
* Every ```` ```console ```` block in README.md and docs/*.md that starts with
  ``$ lstm-shapes ...`` is run and must print what the block shows. A block whose output
  contains a line ``…`` is an excerpt: each run of lines between ``…`` must appear in the
  real output, in order. Full blocks are rewritten by ``make golden``; excerpts by hand.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from lstm_shapes.cli import app, run

from tests.conftest import ROOT, normalize, without_torch_version

CLI_DOC = ROOT / "docs" / "cli.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
ELISION = "…"


def _capture(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = run(args)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "COLUMNS": "100",
        "TERMINAL_WIDTH": "100",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def command_names() -> list[str]:
    from typer.main import get_command

    group = get_command(app)
    return list(group.commands)  # type: ignore[attr-defined]


def cli_reference(capsys: pytest.CaptureFixture[str]) -> str:
    parts = [
        "# Command-line reference",
        "",
        "<!-- Generated from `--help` by tests/test_docs.py; `make golden` rewrites it. -->",
        "",
        "Exit codes: `0` ok · `1` a check or expectation failed · `2` bad input · "
        "`3` a bug in lstm-shapes.",
        "",
    ]
    for name in [None, *command_names()]:
        args = ["--help"] if name is None else [name, "--help"]
        code, text = _capture(capsys, args)
        assert code == 0
        title = "lstm-shapes" if name is None else f"lstm-shapes {name}"
        body = "\n".join(line.rstrip() for line in text.rstrip().splitlines())
        parts += [f"## `{title}`", "", "```text", body, "```", ""]
    return "\n".join(parts)


def test_cli_reference_is_current(
    capsys: pytest.CaptureFixture[str], plain_env: None, request: pytest.FixtureRequest
) -> None:
    actual = cli_reference(capsys)
    if request.config.getoption("--update-golden"):
        CLI_DOC.write_text(actual, encoding="utf-8")
    assert CLI_DOC.read_text(encoding="utf-8") == actual, (
        "docs/cli.md is stale: run `make golden` and commit it"
    )


def documents() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").glob("*.md"))


def examples() -> Iterator[tuple[Path, int, str]]:
    for path in documents():
        for index, match in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8"))):
            if match.group(1).startswith("$ lstm-shapes "):
                yield path, index, match.group(1)


EXAMPLES = list(examples())


def _run_block(block: str, capsys: pytest.CaptureFixture[str]) -> tuple[str, list[str], str]:
    command, _, shown = block.partition("\n")
    args = shlex.split(command.removeprefix("$ lstm-shapes "))
    _, out = _capture(capsys, args)
    lines = [line.rstrip() for line in without_torch_version(out).rstrip("\n").splitlines()]
    return command, lines, shown


@pytest.mark.parametrize(
    ("path", "index", "block"), EXAMPLES, ids=[f"{p.name}#{i}" for p, i, _ in EXAMPLES]
)
def test_documented_output_is_real(
    path: Path,
    index: int,
    block: str,
    capsys: pytest.CaptureFixture[str],
    plain_env: None,
    request: pytest.FixtureRequest,
) -> None:
    command, printed, shown = _run_block(block, capsys)
    # Compared after the one normaliser: docs show this machine's digits, another CPU's
    # rounding-level differences still match.
    actual = [normalize(line) for line in printed]
    shown_lines = [normalize(line.rstrip()) for line in shown.rstrip("\n").splitlines()]
    if ELISION in shown_lines:
        position = 0
        chunk: list[str] = []
        for line in [*shown_lines, ELISION]:
            if line != ELISION:
                chunk.append(line)
                continue
            if chunk:
                for start in range(position, len(actual) - len(chunk) + 1):
                    if actual[start : start + len(chunk)] == chunk:
                        position = start + len(chunk)
                        break
                else:
                    pytest.fail(
                        f"{path.name}: `{command}` no longer prints:\n"
                        + "\n".join(chunk)
                        + "\n--- it prints:\n"
                        + "\n".join(actual)
                    )
            chunk = []
        return
    if request.config.getoption("--update-golden"):
        text = path.read_text(encoding="utf-8")
        new_block = command + "\n" + "\n".join(printed) + "\n"
        path.write_text(
            text.replace("```console\n" + block + "```", "```console\n" + new_block + "```", 1),
            encoding="utf-8",
        )
        return
    assert shown_lines == actual, f"{path.name}: output of `{command}` changed (make golden)"


def test_there_are_documented_examples() -> None:
    """The check above must have something to check: README shows real output."""
    assert any(path.name == "README.md" for path, _, _ in EXAMPLES)
