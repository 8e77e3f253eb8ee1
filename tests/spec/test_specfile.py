"""``check --spec`` and ``--expect``: exit codes, counts, formats, and malformed files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_subprocess

DATA = Path(__file__).resolve().parents[1] / "data"
SHAPES = DATA / "shapes.toml"
CLI = Callable[..., Any]


def test_spec_table(cli: CLI, golden: Callable[[str, str], None]) -> None:
    result = cli("check", "--spec", str(SHAPES))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "shapes.toml: 3 cases, 1 passed, 2 failed: FAILED"
    golden("check/spec_table.txt", result.stdout)


def test_spec_json(cli: CLI) -> None:
    result = cli("check", "--spec", str(SHAPES), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["schema_version"], data["passed"], data["failed"]) == (1, 1, 2)
    assert [(c["name"], c["passed"]) for c in data["cases"]] == [
        ("encoder", True),
        ("decoder", False),
        ("tagger", False),
    ]
    decoder = data["cases"][1]
    assert decoder["torch_error"] == (
        "RuntimeError: Expected hidden[0] size (1, 3, 10), got [1, 3, 20]"
    )
    assert decoder["diagnosis"][0]["fix"] == [
        "h0 = torch.zeros(1, x.size(1), 10, device=x.device)  # (D*num_layers, N, H_out)"
    ]
    assert data["cases"][0]["report"]["tensors"]["output"]["shape"] == [3, 7, 40]
    assert data["cases"][2]["expectations"][2] == {
        "name": "hn",
        "expected": [1, 2, 32],
        "actual": [1, 2, 16],
        "symbols": ["D*num_layers", "N", "H_out"],
        "holds": False,
    }


def test_spec_junit(cli: CLI, golden: Callable[[str, str], None]) -> None:
    result = cli("check", "--spec", str(SHAPES), "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    failures = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    assert failures["encoder"] is None
    decoder = failures["decoder"]
    assert decoder is not None
    assert decoder.get("message") == (
        "h0 is (1, 3, 20), but must be (D*num_layers, N, H_out) = (1, 3, 10)"
    )
    golden("check/spec_junit.xml", result.stdout)


def test_spec_markdown(cli: CLI, golden: Callable[[str, str], None]) -> None:
    result = cli("check", "--spec", str(SHAPES), "--format", "markdown")
    assert result.exit_code == 1
    golden("check/spec_markdown.md", result.stdout)


def test_spec_all_pass_exit_0(cli: CLI, tmp_path: Path) -> None:
    spec = tmp_path / "ok.json"
    spec.write_text(
        json.dumps(
            {
                "case": [
                    {
                        "name": "gru",
                        "lstm": {"kind": "gru", "input_size": 4, "hidden_size": 6},
                        "input": {"shape": [5, 2, 4], "h0": [1, 2, 6]},
                        "expect": {"output": [5, 2, 6], "hn": "1,_,6"},
                    },
                    {
                        "lstm": {"input_size": 4, "hidden_size": 6, "bidirectional": True},
                        "expect": {"hn": [2, 3, 6]},
                    },
                ]
            }
        )
    )
    result = cli("check", "--spec", str(spec))
    assert result.exit_code == 0, result.stdout
    assert result.stdout == (
        "ok.json: 2 cases, 2 passed, 0 failed: ok\n"
        "\n"
        "✓ gru\n"
        "    torch accepted input (5, 2, 4), h0 (1, 2, 6): N=2 L=5 H_in=4 D=1 num_layers=1 "
        "H_out=6\n"
        "    output is (5, 2, 6) as expected\n"
        "    hn is (1, 2, 6) as expected\n"
        "✓ case 2\n"
        "    hn is (2, 3, 6) as expected\n"
    )


MALFORMED = [
    ("bad.toml", "[[case]\nname = 1", "bad.toml: not valid TOML: "),
    ("empty.toml", "", "empty.toml: no cases: write each one as a [[case]] table"),
    ("x.yaml", "", "--spec must be a .toml or .json file (got '{path}')"),
    (
        "nolstm.toml",
        '[[case]]\nname = "a"',
        "nolstm.toml: case 1 (a): key lstm is missing (it needs input_size and hidden_size)",
    ),
    (
        "unknown.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2, hiden = 3 }',
        "unknown.toml: case 1 (a): unknown key lstm.hiden (allowed: input_size, hidden_size, "
        "num_layers, bias, batch_first, dropout, bidirectional, proj_size, kind, nonlinearity)",
    ),
    (
        "size.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }\n'
        '[[case]]\nname = "b"\nlstm = { input_size = 1, hidden_size = 0 }',
        "size.toml: case 2 (b): key lstm.hidden_size: --hidden-size must be a whole number "
        "from 1 to 2147483647 (got 0)",
    ),
    (
        "bool.toml",
        '[[case]]\nlstm = { input_size = 1, hidden_size = 2, batch_first = "yes" }',
        "bool.toml: case 1 (case 1): key lstm.batch_first must be true or false (got 'yes')",
    ),
    (
        "expect.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2, kind = "gru" }\n'
        "expect = { cn = [1, 3, 2] }",
        "expect.toml: case 1 (a): key expect: --expect NAME must be one of input, h0, output, "
        "hn for this nn.GRU (got 'cn')",
    ),
    (
        "shape.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }\n'
        "input = { shape = [3, 0, 1] }",
        "shape.toml: case 1 (a): key input.shape: --input-shape must be whole numbers from 1 "
        "up, separated by commas, e.g. 3,7,12 (got '3,0,1')",
    ),
    (
        "h0.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }\n'
        "input = { h0 = [1, 3, 2] }",
        "h0.toml: case 1 (a): key input.h0: --h0-shape needs --input-shape (got --h0-shape "
        "[1, 3, 2])",
    ),
    (
        "dupe.toml",
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }\n'
        '[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }',
        "dupe.toml: case 2 (a): key name repeats case 1",
    ),
    (
        "lengths.json",
        '{"case": [{"name": "a", "lstm": {"input_size": 1, "hidden_size": 2}, '
        '"input": {"lengths": [3, 2], "batch": 3}}]}',
        "lengths.json: case 1 (a): key input.lengths: --lengths must give one length per "
        "sequence: --batch is 3 (got 2 lengths: 3,2)",
    ),
    (
        "top.json",
        '{"cases": []}',
        "top.json: no cases: write each one as a [[case]] table",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_spec_exit_2(
    cli: CLI, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = cli("check", "--spec", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    expected = "lstm-shapes: error: " + message.format(path=path)
    if message.endswith(": "):  # the parser's own words follow
        assert result.stderr.startswith(expected)
    else:
        assert result.stderr == expected + "\n"


def test_missing_spec_file(cli: CLI, tmp_path: Path) -> None:
    result = cli("check", "--spec", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: --spec '{tmp_path / 'nope.toml'}' cannot be read: "
        "No such file or directory\n"
    )


def test_spec_with_module_options(cli: CLI) -> None:
    result = cli("check", "--spec", str(SHAPES), "-i", "10", "--expect", "hn=1,3,20")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --spec takes every case from the file: leave out --input-size, "
        "--expect (write them in the case)\n"
    )


def test_check_needs_module_or_spec(cli: CLI) -> None:
    result = cli("check", "-H", "20")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --input-size is required (or check a spec file with --spec FILE)\n"
    )


def test_expect_pass_and_fail(cli: CLI) -> None:
    args = ["check", "-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional"]
    ok = cli(*args, "-N", "3", "-L", "7", "--expect", "output=3,7,40", "--expect", "hn=4,3,_")
    assert ok.exit_code == 0
    assert ok.stdout.endswith(
        "check passed:\n  ✓ output is (3, 7, 40) as expected\n  ✓ hn is (4, 3, 20) as expected\n"
    )
    bad = cli(*args, "--expect", "hn=2,3,40")
    assert bad.exit_code == 1
    assert bad.stdout.endswith(
        "expected shapes do not match:\n"
        "hn: expected (2, 3, 40), got (4, 3, 20)\n"
        "  dim 0  D*num_layers  expected 2     got 4  <- differs\n"
        "  dim 1  N             expected 3     got 3\n"
        "  dim 2  H_out         expected 40    got 20  <- differs\n"
        "Sizes:\n"
        "  N=3 L=7 H_in=10 D=2 num_layers=2 H_out=20 H_cell=20\n"
    )
    rank = cli(*args, "--expect", "output=3,40")
    assert rank.exit_code == 1
    assert (
        "output: expected (3, 40), got (3, 7, 40) (2 dimensions expected, output has 3)\n"
        "  dim 0  N        expected 3     got 3\n"
        "  dim 1  L        expected 40    got 7  <- differs\n"
        "  dim 2  D*H_out  expected -     got 40  <- differs\n"
    ) in rank.stdout


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "out=3",
            "--expect NAME must be one of input, h0, c0, output, hn, cn for this nn.LSTM "
            "(got 'out')",
        ),
        ("output", "--expect must be NAME=SIZES, e.g. output=3,7,40 (got 'output')"),
        (
            "output=3,x",
            "--expect output must be sizes or _ (any size), separated by commas, "
            "e.g. 3,_,40 (got '3,x')",
        ),
    ],
)
def test_bad_expect_exit_2(cli: CLI, expect: str, message: str) -> None:
    result = cli("check", "-i", "10", "-H", "20", "--expect", expect)
    assert result.exit_code == 2
    assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_check_exit_codes_in_a_subprocess() -> None:
    ok = run_subprocess("check", "-i", "10", "-H", "20", "--input-shape", "7,3,10", "-N", "3")
    assert ok.returncode == 0, ok.stderr
    bad = run_subprocess("check", "-i", "10", "-H", "20", "--input-shape", "7,3,12")
    assert bad.returncode == 1
    assert bad.stdout.startswith(
        "torch rejected these shapes:\n"
        "    RuntimeError: input.size(-1) must be equal to input_size. Expected 10, got 12\n"
    )
    assert bad.stderr == ""
    usage = run_subprocess("check", "-i", "10", "-H", "20", "--input-shape", "7,3,a")
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_single_check_passing_table(cli: CLI, golden: Callable[[str, str], None]) -> None:
    """Accepted shapes: the explain tables for them, then what passed."""
    result = cli(
        "check",
        *("-i", "10", "-H", "20", "--proj-size", "5", "--input-shape", "7,3,10"),
        *("--h0-shape", "1,3,5", "--c0-shape", "1,3,20", "-e", "output=7,3,5"),
    )
    assert result.exit_code == 0
    golden("check/single_pass_table.txt", result.stdout)
