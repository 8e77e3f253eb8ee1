"""Every command that runs torch estimates first: it runs reduced (explain, diagram) or
exits 2 with one line, "too large: needs about X, over the budget Y (--max-memory)",
before anything big is allocated. Budgets are given explicitly, so the messages do not
depend on this machine's free memory; nothing here allocates more than a few MiB."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

OVER_1_GIB = "over the budget 1 GiB (--max-memory)"


def _refused(result: Any, ending: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr: the estimate, then ``ending``."""
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("lstm-shapes: error: too large: needs about ")
    assert result.stderr.endswith(f"{ending}\n")


def test_max_time_reduces_explain_and_the_reason_names_it(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "10", "-H", "20", "--max-time", "1e-6", "-f", "json")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)["run"]
    assert run["mode"] == "reduced"
    assert run["reason"].endswith("over the time budget of 1 µs (--max-time)")


def test_a_bad_max_time_exits_2_with_one_line(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "10", "-H", "20", "--max-time", "soon")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "lstm-shapes: error: --max-time must be a number of seconds greater than 0, e.g. 0.5, "
        "10 or 120 (got 'soon')\n"
    )


def test_a_deep_stack_is_reduced_and_its_parameters_elided(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "10", "-H", "20", "-l", "100000", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["run"]["mode"] == "reduced"
    assert data["run"]["parameters_elided"] == {"from_layer": 2, "to_layer": 99_998}
    assert [p["name"] for p in data["parameters"]][::4] == [
        "weight_ih_l0",
        "weight_ih_l1",
        "weight_ih_l99999",
    ]


def test_a_stack_too_deep_to_estimate_exits_2(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "10", "-H", "20", "-l", "2147483647")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "lstm-shapes: error: too large: num_layers=2147483647 with D=1 is 2,147,483,647 layers "
        "and directions; lstm-shapes estimates at most 100,000 (--num-layers up to 100,000)\n"
    )


@pytest.mark.parametrize("option", ["--h0-shape", "--c0-shape"])
def test_check_refuses_huge_given_states(cli: Callable[..., Any], option: str) -> None:
    result = cli(
        "check", "-i", "10", "-H", "20", "--input-shape", "7,3,10",
        option, "100000,100000,100", "--max-memory", "1GiB",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: too large: needs about 3.64 TiB, over the budget 1 GiB "
        "(--max-memory); check builds the module and feeds torch tensors of exactly the given "
        "shapes: give smaller ones\n"
    )


def test_check_with_right_shapes_of_a_huge_module_runs_reduced(cli: Callable[..., Any]) -> None:
    result = cli(
        "check", "-i", "10", "-H", "20", "-L", "1000000", "--input-shape", "1000000,3,10",
        "--max-memory", "1GiB", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cases"][0]["report"]["run"]["mode"] == "reduced"


def test_a_spec_case_too_deep_exits_2(cli: Callable[..., Any], tmp_path: Path) -> None:
    spec = tmp_path / "deep.toml"
    spec.write_text(
        '[[case]]\nname = "deep"\n'
        "lstm = { input_size = 10, hidden_size = 20, num_layers = 2147483647 }\n"
    )
    result = cli("check", "--spec", str(spec))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("lstm-shapes: error: deep.toml: case 1 (deep): ")
    assert result.stderr.endswith(
        "too large: num_layers=2147483647 with D=1 is 2,147,483,647 layers and directions; "
        "lstm-shapes estimates at most 100,000 (--num-layers up to 100,000)\n"
    )


def test_inspect_run_refuses_huge_n_and_l(cli: Callable[..., Any], tmp_path: Path) -> None:
    import torch

    path = tmp_path / "encoder.pt"
    lstm = torch.nn.LSTM(10, 20)
    torch.save({f"enc.{k}": v for k, v in lstm.state_dict().items()}, path)
    result = cli(
        "inspect", str(path), "--run", "-N", "100000", "-L", "100000", "--max-memory", "1GiB"
    )
    _refused(
        result,
        f"{OVER_1_GIB}; inspect --run runs 'enc' at full size only: give a smaller --batch "
        "or --seq-len",
    )
    small = cli("inspect", str(path), "--run", "-N", "2", "-L", "3", "--max-memory", "1GiB")
    assert small.exit_code == 0, small.stderr


def test_inspect_checks_max_time_even_without_run(cli: Callable[..., Any]) -> None:
    result = cli("inspect", "missing.pt", "--max-time", "0")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --max-time must be a number of seconds greater than 0, e.g. 0.5, "
        "10 or 120 (got '0')\n"
    )


def test_trace_refuses_an_input_over_budget_before_importing_the_model(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    model = tmp_path / "model.py"
    model.write_text(f"open({str(marker)!r}, 'w').close()\n")
    result = cli(
        "trace", f"{model}:Net", "-s", "100000,100000", "--input-dtype", "int64",
        "--max-memory", "1GiB",
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "lstm-shapes: error: too large: needs about 74.5 GiB, over the budget 1 GiB "
        "(--max-memory); the input tensor alone (--input-shape 100000,100000) is that large\n"
    )
    assert not marker.exists()


def test_variants_take_the_budget_too(cli: Callable[..., Any]) -> None:
    result = cli("variants", "-i", "10", "-H", "20", "--max-time", "1e-6", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    runs = [variant["run"] for variant in data["variants"]]
    assert {run["mode"] for run in runs} == {"reduced"}
    assert all(run["reason"].endswith("(--max-time)") for run in runs)


def test_check_of_a_cell_refuses_a_state_torch_cannot_address(cli: Callable[..., Any]) -> None:
    result = cli(
        "check", "--kind", "lstmcell", "-i", "10", "-H", "20", "--input-shape", "3,10",
        "--h0-shape", "2147483647,2147483647,2147483647", "--c0-shape", "3,20",
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "lstm-shapes: error: too large: a tensor of shape (2147483647, 2147483647, 2147483647) "
        "needs more bytes than torch can address (2**63); check builds the module and feeds "
        "torch tensors of exactly the given shapes: give smaller ones\n"
    )
