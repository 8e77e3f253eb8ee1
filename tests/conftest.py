"""Shared fixtures: golden files (``pytest --update-golden`` rewrites them) and a CLI runner."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

# pytester runs pytest on files a test writes (tests/test_pytest_plugin.py)
pytest_plugins = ("pytester",)
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
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=0,
        help="examples per fuzz test in tests/cli/test_fuzz.py, freshly random "
        "(default: about 200 in all, the same every run)",
    )


#: A measured difference at rounding level (below 1e-5, as render.numbers.format_diff writes
#: it): its digits depend on the CPU's kernels (ATEN_CPU_CAPABILITY), so golden files and
#: docs comparisons keep ``<tiny>``, padded to the same width so no column moves.
TINY = re.compile(r"(?<![\w.])(?:\d\.\de-(?:0[5-9]|[1-9]\d)|0\.0e\+00)(?!\w|\.\d)")


def without_torch_version(text: str) -> str:
    import torch

    return text.replace(str(torch.__version__), "<torch-version>")


def normalize(text: str) -> str:
    """The one normaliser of golden files and documented output: the torch build's version
    string and rounding-level differences, nothing else."""
    text = without_torch_version(text)
    return TINY.sub(lambda match: "<tiny>".ljust(len(match.group())), text)


def same_json(actual: object, expected: object, path: str = "$") -> list[str]:
    """Where two parsed JSON documents differ; floats compare with a tolerance that absorbs
    the CPU's last digits (relative 1e-6, or absolute 1e-5 at rounding level)."""
    if isinstance(expected, float) or isinstance(actual, float):
        if not isinstance(actual, int | float) or not isinstance(expected, int | float):
            return [f"{path}: {actual!r} != {expected!r}"]
        if actual == pytest.approx(expected, rel=1e-6, abs=1e-5):
            return []
        return [f"{path}: {actual!r} != {expected!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(actual) != list(expected):
            return [f"{path}: keys {list(actual)} != {list(expected)}"]
        return [d for k in expected for d in same_json(actual[k], expected[k], f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return [f"{path}: {len(actual)} items != {len(expected)}"]
        return [
            d
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for d in same_json(a, e, f"{path}[{i}]")
        ]
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]


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
        if path.suffix == ".json":
            differences = same_json(json.loads(actual), json.loads(expected))
            assert not differences, (
                f"{name} differs from its golden file; `make golden` rewrites it\n"
                + "\n".join(differences[:20])
            )
            return
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
