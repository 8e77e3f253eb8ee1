"""`--help`, `--version` and shell completion must not import torch (~1.7 s).

Proved in a real subprocess with ``python -X importtime``, which lists every module
imported; a second test shows the same probe does see torch when a command needs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def imported_modules(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], int]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lstm_shapes", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules, result.returncode


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("explain", "--help")])
def test_fast_paths_do_not_import_torch(args: tuple[str, ...]) -> None:
    modules, code = imported_modules(*args)
    assert code == 0
    assert "lstm_shapes.cli" in modules  # the probe really saw our CLI start
    assert "torch" not in modules


HELP_OF_EVERY_COMMAND = """
import json, sys
from typer.main import get_command
from lstm_shapes.cli import app, run
names = list(get_command(app).commands)
codes = [run([name, "--help"]) for name in names]
{extra}
print(json.dumps([names, codes, "torch" in sys.modules]), file=sys.stderr)
"""


def _help_of_every_command(extra: str = "") -> tuple[list[str], list[int], bool]:
    """``--help`` of every command in one process (one start-up, not one per command)."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_OF_EVERY_COMMAND.format(extra=extra)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    names, codes, torch_loaded = json.loads(done.stderr.strip().splitlines()[-1])
    return names, codes, torch_loaded


def test_help_of_every_command_does_not_import_torch() -> None:
    names, codes, torch_loaded = _help_of_every_command()
    assert {"explain", "check", "inspect", "trace", "handout"} <= set(names)
    assert set(codes) == {0}
    assert torch_loaded is False


def test_help_check_can_fail() -> None:
    _, _, torch_loaded = _help_of_every_command(
        "from lstm_shapes.probe.runtime import import_torch; import_torch()"
    )
    assert torch_loaded is True


def test_completion_does_not_import_torch() -> None:
    modules, code = imported_modules(
        env={
            "_LSTM_SHAPES_COMPLETE": "complete_bash",
            "COMP_WORDS": "lstm-shapes explain --dt",
            "COMP_CWORD": "2",
        }
    )
    assert code == 0
    assert "lstm_shapes.cli" in modules
    assert "torch" not in modules


def test_the_probe_can_fail_explain_imports_torch() -> None:
    """The same check, on a command that must import torch, sees it: the check has teeth."""
    modules, code = imported_modules("explain", "-i", "3", "-H", "4", "-f", "json")
    assert code == 0
    assert "torch" in modules
