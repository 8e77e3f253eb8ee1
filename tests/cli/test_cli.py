"""The CLI through typer's CliRunner and through real subprocesses."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from lstm_shapes import __version__
from lstm_shapes.cli import app
from tests.conftest import Result, run_subprocess

runner = CliRunner()
EXAMPLE = [
    "explain",
    "-i",
    "10",
    "-H",
    "20",
    "-l",
    "2",
    "--batch-first",
    "--bidirectional",
    "-N",
    "3",
    "-L",
    "7",
]


def as_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def shapes(data: dict[str, object]) -> dict[str, list[int]]:
    tensors = data["tensors"]
    assert isinstance(tensors, dict)
    return {name: t["shape"] for name, t in tensors.items()}


def test_the_readme_example() -> None:
    data = as_json(*EXAMPLE)
    assert shapes(data) == {
        "input": [3, 7, 10],
        "h0": [4, 3, 20],
        "c0": [4, 3, 20],
        "output": [3, 7, 40],
        "hn": [4, 3, 20],
        "cn": [4, 3, 20],
    }
    assert data["parameter_count"] == 15040
    assert data["schema_version"] == 1
    assert data["lstm"] == {
        "input_size": 10,
        "hidden_size": 20,
        "num_layers": 2,
        "bias": True,
        "batch_first": True,
        "dropout": 0.0,
        "bidirectional": True,
        "proj_size": 0,
        "kind": "lstm",
    }
    assert data["input"] == {"batch": 3, "seq_len": 7, "unbatched": False, "lengths": None}
    run = data["run"]
    assert isinstance(run, dict)
    assert (run["device"], run["dtype"]) == ("cpu", "float32")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-i", "4", "-H", "6"], {"input": [7, 3, 4], "hn": [1, 3, 6], "output": [7, 3, 6]}),
        (["--input-size", "4", "--hidden-size", "6", "--num-layers", "3"], {"hn": [3, 3, 6]}),
        (["-i", "4", "-H", "6", "--no-bias"], {"output": [7, 3, 6]}),
        (["-i", "4", "-H", "6", "--batch-first"], {"input": [3, 7, 4], "h0": [1, 3, 6]}),
        (["-i", "4", "-H", "6", "--bidirectional"], {"output": [7, 3, 12], "cn": [2, 3, 6]}),
        (["-i", "4", "-H", "6", "--proj-size", "2"], {"hn": [1, 3, 2], "cn": [1, 3, 6]}),
        (["-i", "4", "-H", "6", "-N", "5", "-L", "2"], {"input": [2, 5, 4]}),
        (["-i", "4", "-H", "6", "--batch", "5", "--seq-len", "2"], {"output": [2, 5, 6]}),
        (["-i", "4", "-H", "6", "--unbatched", "-L", "2"], {"input": [2, 4], "hn": [1, 6]}),
        (["-i", "4", "-H", "6", "-l", "2", "--dropout", "0.5"], {"hn": [2, 3, 6]}),
        (["-i", "4", "-H", "6", "--dtype", "float64"], {"output": [7, 3, 6]}),
        (["-i", "4", "-H", "6", "--dtype", "bfloat16"], {"output": [7, 3, 6]}),
        (["-i", "4", "-H", "6", "--device", "cpu", "--seed", "7"], {"output": [7, 3, 6]}),
        (["-i", "4", "-H", "6", "--kind", "gru"], {"hn": [1, 3, 6]}),
        (["-i", "4", "-H", "6", "--kind", "rnn", "--nonlinearity", "relu"], {"hn": [1, 3, 6]}),
    ],
)
def test_each_option(args: list[str], expected: dict[str, list[int]]) -> None:
    data = as_json("explain", *args)
    got = shapes(data)
    assert {name: got[name] for name in expected} == expected


def test_options_reach_the_report() -> None:
    data = as_json(
        "explain",
        "-i",
        "4",
        "-H",
        "6",
        "--no-bias",
        "--dtype",
        "float64",
        "--seed",
        "7",
        "--dropout",
        "0.5",
        "-l",
        "2",
    )
    assert data["lstm"]["bias"] is False  # type: ignore[index]
    assert data["lstm"]["dropout"] == 0.5  # type: ignore[index]
    assert data["run"]["dtype"] == "float64"  # type: ignore[index]
    assert data["run"]["seed"] == 7  # type: ignore[index]
    names = [p["name"] for p in data["parameters"]]  # type: ignore[attr-defined]
    assert not any(name.startswith("bias") for name in names)


def test_gru_has_no_cell_state() -> None:
    data = as_json("explain", "-i", "4", "-H", "6", "--kind", "gru")
    assert set(shapes(data)) == {"input", "h0", "output", "hn"}
    assert data["lstm"]["kind"] == "gru"  # type: ignore[index]
    assert data["parameters"][0] == {"name": "weight_ih_l0", "shape": [18, 4]}  # type: ignore[index]


def test_seed_makes_runs_repeatable() -> None:
    first = as_json("explain", "-i", "4", "-H", "6", "--bidirectional", "--seed", "3")
    second = as_json("explain", "-i", "4", "-H", "6", "--bidirectional", "--seed", "3")
    assert first["checks"] == second["checks"]


def test_dropout_warning_becomes_a_note(cli: Callable[..., Result]) -> None:
    result = cli("explain", "-i", "4", "-H", "6", "--dropout", "0.5", "-f", "json")
    assert result.exit_code == 0
    assert result.stderr == ""  # torch's UserWarning does not leak
    notes = json.loads(result.stdout)["notes"]
    assert (
        "dropout=0.5 has no effect with num_layers=1: torch applies dropout between "
        "stacked layers only, never to the last layer's output."
    ) in notes
    assert not any("torch warned" in note for note in notes)


def test_bidirectional_checks_are_verified() -> None:
    data = as_json(*EXAMPLE)
    checks = {c["id"]: c for c in data["checks"]}  # type: ignore[attr-defined]
    assert checks["hn-forward-last-step"]["statement"].startswith("hn[-2] == output[:, -1, :20]")
    assert checks["hn-forward-last-step"]["max_abs_diff"] == 0.0
    assert checks["hn-backward-first-step"]["statement"].startswith("hn[-1] == output[:, 0, 20:]")
    assert checks["hn-backward-not-last-step"]["max_abs_diff"] > 0
    assert checks["default-state-zeros"]["holds"] is True


def test_variants_json() -> None:
    result = runner.invoke(app, ["variants", "-i", "10", "-H", "20", "-l", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    layouts = [(v["lstm"]["batch_first"], v["lstm"]["bidirectional"]) for v in data["variants"]]
    assert layouts == [(False, False), (True, False), (False, True), (True, True)]
    assert [v["tensors"]["hn"]["shape"] for v in data["variants"]] == [
        [2, 3, 20],
        [2, 3, 20],
        [4, 3, 20],
        [4, 3, 20],
    ]
    assert [v["tensors"]["output"]["shape"] for v in data["variants"]] == [
        [7, 3, 20],
        [3, 7, 20],
        [7, 3, 40],
        [3, 7, 40],
    ]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"lstm-shapes {__version__}\n"


def test_help_lists_every_option() -> None:
    result = runner.invoke(app, ["explain", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in [
        "--input-size",
        "--hidden-size",
        "--num-layers",
        "--bias",
        "--no-bias",
        "--batch-first",
        "--dropout",
        "--bidirectional",
        "--proj-size",
        "--batch",
        "--seq-len",
        "--unbatched",
        "--device",
        "--dtype",
        "--seed",
        "--format",
        "--kind",
        "--nonlinearity",
    ]:
        assert option in result.stdout, option


def test_python_dash_m_and_exit_codes() -> None:
    ok = run_subprocess("explain", "-i", "3", "-H", "4", "-f", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["tensors"]["hn"]["shape"] == [1, 3, 4]
    assert ok.stderr == ""
    bad = run_subprocess("explain", "-i", "3", "-H", "4", "--proj-size", "4")
    assert bad.returncode == 2
    assert bad.stderr == (
        "lstm-shapes: error: --proj-size must be smaller than --hidden-size (got 4 >= 4)\n"
    )
    assert bad.stdout == ""
    nothing = run_subprocess()
    assert nothing.returncode == 2
    assert "Usage: lstm-shapes" in nothing.stdout


def test_piped_table_has_no_colour_or_trailing_spaces() -> None:
    result = run_subprocess(*EXAMPLE)
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert all(line == line.rstrip() for line in result.stdout.splitlines())
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "D*num_layers" in result.stdout and "2*2 = 4" in result.stdout


def test_colour_on_a_forced_terminal() -> None:
    import io

    from lstm_shapes.api import explain
    from lstm_shapes.render.console import make_console
    from lstm_shapes.render.table import explain_renderable

    buffer = io.StringIO()
    console = make_console(buffer, width=100, color=True)
    console.print(explain_renderable(explain(input_size=3, hidden_size=4, device="cpu")))
    assert "\x1b[" in buffer.getvalue()
