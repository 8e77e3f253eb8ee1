"""`--help`, `--version` and shell completion must not import torch (~1.7 s).

Proved in a real subprocess with ``python -X importtime``, which lists every module
imported; a second test shows the same probe does see torch when a command needs it.
"""

from __future__ import annotations

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


@pytest.mark.parametrize(
    "args", [("--help",), ("--version",), ("explain", "--help"), ("variants", "--help")]
)
def test_fast_paths_do_not_import_torch(args: tuple[str, ...]) -> None:
    modules, code = imported_modules(*args)
    assert code == 0
    assert "lstm_shapes.cli" in modules  # the probe really saw our CLI start
    assert "torch" not in modules


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
