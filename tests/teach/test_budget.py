"""The teaching pages go through the budget: diagram takes the reduced run and says so;
gates, cell, heads and handout show numbers of the real module, so over the budget they
exit 2 with one line before torch runs. Budgets are explicit, so nothing depends on this
machine's free memory, and nothing big is allocated."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import make_spec
from lstm_shapes.teach.handout import check_budget


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("gates", ("-l", "100000")),
        ("cell", ("-L", "3000000")),
        ("heads", ("-K", "2147483647")),
        ("handout", ("-N", "100000", "-L", "100000", "--out", "never.md")),
    ],
)
def test_pages_over_budget_exit_2_in_one_line(
    cli: Callable[..., Any], command: str, extra: tuple[str, ...], tmp_path: Path
) -> None:
    if command == "handout":
        extra = (*extra[:-1], str(tmp_path / "never.md"))
    result = cli(command, "-i", "10", "-H", "20", *extra, "--max-memory", "1GiB")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("lstm-shapes: error: too large: needs about ")
    page = "the handout page" if command == "handout" else f"the {command} page"
    assert result.stderr.endswith(
        f"(--max-memory); {page} runs torch at full size only: give smaller sizes\n"
    ) or result.stderr.endswith(
        f"(--max-time); {page} runs torch at full size only: give smaller sizes\n"
    )
    assert not (tmp_path / "never.md").exists()


def test_the_refusal_names_the_budget_word_for_word() -> None:
    spec = make_spec(input_size=10, hidden_size=20, batch=100_000, seq_len=100_000)
    with pytest.raises(SpecError) as error:
        check_budget("gates", spec, max_memory="1GiB", max_time="1e9")
    assert str(error.value).startswith("too large: needs about ")
    assert str(error.value).endswith(
        ", over the budget 1 GiB (--max-memory); the gates page runs torch at full size only: "
        "give smaller sizes"
    )
    small = make_spec(input_size=10, hidden_size=20)
    with pytest.raises(SpecError) as slow:
        check_budget("cell", small, max_memory="1GiB", max_time="1e-6")
    assert ", over the budget 1 µs (--max-time); the cell page" in str(slow.value)
    check_budget("heads", small, max_memory="1GiB", max_time="60")
    check_budget("diagram", spec, max_memory="1KiB")  # reduced instead, see below
    check_budget("myths", spec, max_memory="1KiB")


def test_diagram_over_budget_is_reduced_and_says_so(cli: Callable[..., Any]) -> None:
    result = cli("diagram", "-i", "10", "-H", "20", "-l", "3", "--max-time", "1e-6")
    assert result.exit_code == 0, result.stderr
    assert "Every shape and number here was observed" not in result.stdout
    assert "Reduced run: " in result.stdout
    assert (
        "over the time budget of 1 µs (--max-time). The shapes here are theory at full size, "
        "checked by running torch"
    ) in " ".join(result.stdout.split())
    assert "N=3 L=4 H_in=5 D=1 num_layers=3 H_out=7 H_cell=7 (float32, eval mode, seed 0)." in (
        " ".join(result.stdout.split())
    )
    data = json.loads(
        cli(
            "diagram", "-i", "10", "-H", "20", "-L", "100000", "--max-time", "1e-6", "-f", "json"
        ).stdout
    )
    assert data["tensors"]["output"] == [100_000, 3, 20]
    assert data["run"]["mode"] == "reduced"
    assert data["run"]["reason"].endswith("over the time budget of 1 µs (--max-time)")
    assert data["run"]["reduced_sizes"] == "N=3 L=4 H_in=5 D=1 num_layers=1 H_out=7 H_cell=7"


def test_diagram_in_budget_keeps_its_words(cli: Callable[..., Any]) -> None:
    result = cli("diagram", "-i", "10", "-H", "20", "--max-time", "60")
    assert result.exit_code == 0, result.stderr
    assert "Every shape and number here was observed" in result.stdout


def test_diagram_reduced_in_chinese(cli: Callable[..., Any]) -> None:
    result = cli("diagram", "-i", "10", "-H", "20", "--max-time", "1e-6", "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    assert "缩小运行" in result.stdout
    assert "本页的每个形状和数字都来自" not in result.stdout
