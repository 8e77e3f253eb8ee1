"""The shared option bundle: every command that builds a module takes the same options, and
refuses (exit 2, naming it) an option it cannot honour."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer

from lstm_shapes.cli import app
from lstm_shapes.cli import options as o
from tests.conftest import Result

Cli = Callable[..., Result]
SHARED = {flag for flag in o.FLAGS.values()} | {"--no-bias"}
OUTPUT = {"--format", "--quiet"}
#: the commands whose inputs are a file or a fixed set of claims, or a user's own model
NOT_BUILDING = {"inspect", "myths", "trace", "schema"}


def _flags() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    return {
        name: {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        for name, command in commands.items()
    }


def test_every_command_that_builds_a_module_takes_the_whole_bundle() -> None:
    flags = _flags()
    building = set(flags) - NOT_BUILDING
    assert building == {
        "explain",
        "variants",
        "check",
        "diagram",
        "gates",
        "cell",
        "heads",
        "handout",
    }
    for name in building:
        assert flags[name] >= SHARED, (name, SHARED - flags[name])


def test_the_other_commands_take_the_output_options() -> None:
    flags = _flags()
    for name in ("myths", "trace", "inspect"):
        assert flags[name] >= OUTPUT, name
        assert "--kind" not in flags[name]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", "--spec", "tests/data/shapes.toml", "--device", "cuda", "-l", "2"],
            "--spec takes every case from the file: leave out --num-layers, --device "
            "(write them in the case)",
        ),
        (
            ["check", "--spec", "tests/data/shapes.toml", "--kind", "gru", "--batch-first"],
            "--spec takes every case from the file: leave out --batch-first, --kind "
            "(write them in the case)",
        ),
        (
            ["check", "--spec", "tests/data/shapes.toml", "--no-bias", "-f", "json"],
            "--spec takes every case from the file: leave out --no-bias (write them in the case)",
        ),
        (
            ["variants", "-i", "3", "-H", "4", "--bidirectional"],
            "--bidirectional cannot be used with variants: it shows all four batch_first x "
            "bidirectional combinations",
        ),
        (
            ["diagram", "-i", "3", "-H", "4", "--device", "cuda"],
            "--device must be auto or cpu for diagram: teaching pages run on the CPU in "
            "float32, so that every page shows the same numbers (got 'cuda')",
        ),
        (
            ["cell", "-i", "3", "-H", "4", "--dtype", "float64"],
            "--dtype must be float32 for cell: teaching pages run on the CPU in float32, so "
            "that every page shows the same numbers (got 'float64')",
        ),
        (
            ["heads", "-i", "3", "-H", "4", "--unbatched"],
            "--unbatched cannot be used with heads: the pages show one padded, batched input",
        ),
        (
            ["gates", "-i", "3", "-H", "4", "-l", "2", "--dropout", "0.5"],
            "--dropout cannot be used with gates: the pages run in eval mode, where dropout "
            "does nothing",
        ),
    ],
)
def test_an_option_that_cannot_apply_is_refused(cli: Cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_teaching_pages_take_the_options_they_can_honour(cli: Cli) -> None:
    result = cli("gates", "-i", "3", "-H", "4", "--no-bias", "--device", "cpu", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert '"bias": false' in result.stdout


def test_quiet_prints_nothing_when_all_is_well(cli: Cli) -> None:
    for args in (
        ["explain", "-i", "3", "-H", "4"],
        ["variants", "-i", "3", "-H", "4"],
        ["check", "-i", "3", "-H", "4", "-s", "7,3,3"],
        ["gates", "-i", "3", "-H", "4"],
        ["myths"],
    ):
        result = cli(*args, "--quiet")
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", ""), args


def test_quiet_prints_only_the_failure(cli: Cli) -> None:
    loud = cli("check", "-i", "3", "-H", "4", "-s", "7,3,4")
    quiet = cli("check", "-i", "3", "-H", "4", "-s", "7,3,4", "-q")
    assert loud.exit_code == quiet.exit_code == 1
    assert quiet.stdout.startswith("torch rejected these shapes:\n")
    assert quiet.stdout in loud.stdout
    assert "Tensors" not in quiet.stdout


def test_quiet_spec_file_shows_the_summary_and_the_failed_cases(cli: Cli) -> None:
    result = cli("check", "--spec", "tests/data/shapes.toml", "-q")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "shapes.toml: 3 cases, 1 passed, 2 failed: FAILED"
    assert [line for line in lines if line.startswith(("✓", "✗"))] == ["✗ decoder", "✗ tagger"]


def test_quiet_keeps_machine_formats_whole(cli: Cli) -> None:
    loud = cli("check", "--spec", "tests/data/shapes.toml", "-f", "junit")
    quiet = cli("check", "--spec", "tests/data/shapes.toml", "-f", "junit", "-q")
    assert quiet.stdout == loud.stdout
    assert quiet.stdout.startswith("<?xml")


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            ["output=7,3,4", "output=1,2,3"],
            "--expect output is given twice with different shapes ((7, 3, 4) and (1, 2, 3)): "
            "give it once",
        ),
        (
            ["="],
            "--expect must be NAME=SIZES, e.g. output=3,7,40: the NAME before = is missing "
            "(got '=')",
        ),
        (
            ["output="],
            "--expect must be NAME=SIZES, e.g. output=3,7,40: the SIZES after = are missing "
            "(got 'output=')",
        ),
    ],
)
def test_expectations_that_cannot_all_hold_or_are_incomplete(
    cli: Cli, expect: list[str], message: str
) -> None:
    args = [arg for item in expect for arg in ("--expect", item)]
    result = cli("check", "-i", "3", "-H", "4", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_the_same_expectation_twice_is_checked_once(cli: Cli) -> None:
    result = cli("check", "-i", "3", "-H", "4", "-e", "output=7,3,4", "-e", "output=7,3,4")
    assert result.exit_code == 0
    assert result.stdout.count("output is (7, 3, 4) as expected") == 1


def test_variants_does_not_suggest_an_option_it_lacks(cli: Cli) -> None:
    result = cli("variants", "-i", "3000", "-H", "3000", "-l", "4", "-L", "10000")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "variants has no --full: explain --full runs one variant at full size." in text
    assert "--full" not in _flags()["variants"]
