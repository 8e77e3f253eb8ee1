"""Shared fixtures: golden files (``pytest --update-golden`` rewrites them) and a CLI runner."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The time model's assumed rates instead of this machine's: the same output everywhere
#: (tests/probe/test_calibrate.py calibrates explicitly). Set here so subprocesses inherit it.
os.environ["LSTM_SHAPES_CALIBRATE"] = "0"

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* (and generated docs) from the current output",
    )


def normalize(text: str) -> str:
    """Make output independent of the torch build: its version string only."""
    import torch

    return text.replace(str(torch.__version__), "<torch-version>")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        actual = normalize(actual)
        if update or not path.exists():
            if not update:
                pytest.fail(f"{path} is missing: run `make golden` and review it")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{name} differs from its golden file; `make golden` rewrites it"

    return check


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run ``lstm-shapes ARGS`` in-process through :func:`lstm_shapes.cli.run` (the same
    error mapping as the console script), with piped-output settings."""
    from lstm_shapes.cli import run

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def run_subprocess(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m lstm_shapes ARGS`` in a real process, from the repository root."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "100",
        "NO_COLOR": "1",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "lstm_shapes", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=120,
    )


ANSI = re.compile(r"\x1b\[[0-9;]*m")
