"""Defects found by trying the tool as a new user, each pinned by a test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_shapes import explain
from lstm_shapes.theory import shapes as theory


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6))
def test_batch_sizes_text_describes_the_same_list(lengths: list[int]) -> None:
    text = theory.batch_sizes_text(tuple(lengths), limit=0)
    expanded: list[int] = []
    for run in text.strip("[]").split("; "):
        count, _, bounds = run.partition(" for ")
        end = int(bounds.rsplit("< ", 1)[1])
        expanded += [int(count)] * (end - len(expanded))
    assert expanded == theory.batch_sizes(tuple(lengths))


def test_a_huge_packed_length_is_answered_reduced() -> None:
    """--lengths 2147483647 once listed two billion batch sizes in a note and hung."""
    report = explain(input_size=10, hidden_size=20, lengths=[2147483647], device="cpu")
    assert report.run.mode == "reduced"
    assert report.tensors["packed_input_data"].shape == (2147483647, 10)
    assert any("batch_sizes [1 for t < 2147483647]" in note for note in report.notes)


def test_output_mentions_both_directions_only_when_there_are_two() -> None:
    one = explain(input_size=3, hidden_size=4, device="cpu").tensors["output"]
    two = explain(input_size=3, hidden_size=4, bidirectional=True, device="cpu")
    assert one.description == "the top layer's hidden state at every time step"
    assert two.tensors["output"].description.endswith("(both directions side by side)")


def test_a_spec_file_that_is_not_utf8_is_bad_input(cli: Callable[..., Any], tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_bytes(b"\xff\xfe[[case]]\n")
    result = cli("check", "--spec", str(spec))
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: bad.toml: not valid TOML: it must be UTF-8 text (byte 0 is 0xff)\n"
    )


def test_trace_of_an_embedding_model_with_float_input_hints_at_int64(
    cli: Callable[..., Any],
) -> None:
    tagger = Path(__file__).resolve().parent.parent / "docs" / "examples" / "tagger.py"
    result = cli("trace", f"{tagger}:Tagger", "-s", "4,9")
    assert result.exit_code == 1
    assert "trace it with --input-dtype int64" in result.stdout


def test_inspect_says_when_its_shapes_are_not_observed(cli: Callable[..., Any]) -> None:
    """Every other command's shapes come from a run; inspect's do only with --run."""
    zoo = Path(__file__).resolve().parent.parent / "docs" / "examples" / "zoo.pt"
    note = (
        "Without --run these shapes are theory's prediction from the weights' shapes; "
        "--run loads the weights into the real module and checks them against torch."
    )
    predicted = cli("inspect", str(zoo), "-f", "json")
    assert predicted.exit_code == 0
    assert note in json.loads(predicted.stdout)["notes"]
    observed = cli("inspect", str(zoo), "--run", "-f", "json")
    assert note not in json.loads(observed.stdout)["notes"]
