"""docs/ci.md: every example block is a file under docs/examples/, and every file runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lstm_shapes import assert_lstm_shapes, check, make_spec

from tests.conftest import ROOT

DOC = ROOT / "docs" / "ci.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    return EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def test_doc_blocks_are_the_example_files() -> None:
    found = examples()
    assert [path for path, _ in found] == [
        "docs/examples/test_model_shapes.py",
        "docs/examples/shapes.toml",
        "docs/examples/lstm-shapes.yml",
    ]
    for path, block in found:
        assert block == (ROOT / path).read_text(encoding="utf-8"), f"{path} differs from ci.md"


def test_pytest_example_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_model_shapes.py"],
        capture_output=True,
        text=True,
        cwd=ROOT / "docs" / "examples",
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_spec_example_passes(cli: Callable[..., Any]) -> None:
    result = cli("check", "--spec", str(ROOT / "docs/examples/shapes.toml"))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("shapes.toml: 4 cases, 4 passed, 0 failed: ok\n")


def test_workflow_command_writes_junit(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the workflow's own `lstm-shapes check` line and read the file it publishes."""
    workflow = (ROOT / "docs/examples/lstm-shapes.yml").read_text(encoding="utf-8")
    (line,) = [
        ln.split("run:", 1)[1].strip() for ln in workflow.splitlines() if "run: lstm-shapes" in ln
    ]
    command, _, target = line.partition(">")
    argv = shlex.split(command)
    assert argv[0] == "lstm-shapes"
    monkeypatch.chdir(ROOT)
    result = cli(*argv[1:])
    assert result.exit_code == 0, result.stdout
    report = tmp_path / target.strip()
    report.write_text(result.stdout, encoding="utf-8")
    assert f"report_paths: {target.strip()}" in workflow
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("4", "0")


def test_assert_message_is_the_cli_message(cli: Callable[..., Any]) -> None:
    spec = make_spec(
        input_size=32, hidden_size=64, num_layers=2, batch_first=True, bidirectional=True
    )
    with pytest.raises(AssertionError) as raised:
        assert_lstm_shapes(spec, input=(8, 50, 32), h0=(2, 8, 64))
    args = ["-i", "32", "-H", "64", "-l", "2", "--batch-first", "--bidirectional"]
    result = cli("check", *args, "--input-shape", "8,50,32", "--h0-shape", "2,8,64")
    assert result.exit_code == 1
    assert str(raised.value) == result.stdout


def test_assert_reads_a_real_module() -> None:
    from torch import nn

    gru = nn.GRU(5, 7, num_layers=3, bidirectional=True)
    result = assert_lstm_shapes(gru, input=(4, 2, 5), output=(4, 2, 14), hn=(6, 2, 7))
    assert result.spec.module.kind == "gru"
    relu = nn.RNN(5, 7, nonlinearity="relu", batch_first=True).double()
    result = assert_lstm_shapes(relu, input=(2, 4, 5), input_dtype="float64", output=(2, 4, 7))
    assert (result.spec.module.nonlinearity, result.spec.run.dtype) == ("relu", "float64")
    with pytest.raises(AssertionError, match=r"output: expected \(2, 4, 8\), got \(2, 4, 7\)"):
        assert_lstm_shapes(relu, input=(2, 4, 5), input_dtype="float64", output=(2, 4, 8))


def test_check_returns_a_result_without_raising() -> None:
    result = check(input_size=10, hidden_size=20, input_shape=(3, 7, 12))
    assert not result.passed
    assert result.torch_error == (
        "RuntimeError: input.size(-1) must be equal to input_size. Expected 10, got 12"
    )
    assert result.headline.startswith("input dim 2 (H_in) is 12, but input_size is 10")
