"""Packed (variable-length) input: theory against real torch, the verified identities,
the JSON keys, the rendered stages, and bad --lengths."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes import explain, make_spec
from lstm_shapes.render.json_ import explain_json
from lstm_shapes.render.markdown import explain_markdown
from lstm_shapes.theory.shapes import batch_sizes, tensor_shapes

PACKED_IDS = {
    "packed-batch-sizes",
    "packed-hn-last-real-step",
    "packed-padding-zeros",
    "default-state-zeros",
}


@st.composite
def packed_specs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    hidden = draw(st.integers(2, 5))
    lengths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    options: dict[str, Any] = {
        "kind": kind,
        "nonlinearity": draw(st.sampled_from(["tanh", "relu"])) if kind == "rnn" else "tanh",
        "input_size": draw(st.integers(1, 4)),
        "hidden_size": hidden,
        "num_layers": draw(st.integers(1, 2)),
        "batch_first": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
        "lengths": lengths,
        "seq_len": max(lengths) + draw(st.integers(0, 2)),
    }
    if kind == "lstm" and draw(st.booleans()):
        options["proj_size"] = draw(st.integers(1, hidden - 1))
    return options


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packed_specs())
def test_packed_shapes_and_identities_match_torch(options: dict[str, Any]) -> None:
    report = explain(**options)  # InconsistencyError if theory and torch disagree
    lengths = tuple(options["lengths"])
    assert report.tensors["packed_input_data"].shape == (sum(lengths), options["input_size"])
    assert report.tensors["packed_input_batch_sizes"].shape == (max(lengths),)
    assert report.tensors["packed_output_data"].shape[0] == sum(lengths)
    ids = {c.id for c in report.checks}
    assert ids >= PACKED_IDS
    assert ("packed-hn-backward-first-step" in ids) == options["bidirectional"]
    if options["kind"] != "rnn":  # a dead ReLU unit is zero at the padded end too
        assert ("packed-hn-not-padded-end" in ids) == (min(lengths) < options["seq_len"])
    failed = [c.statement for c in report.checks if not c.holds]
    assert failed == []


def test_batch_sizes() -> None:
    assert batch_sizes((7, 4, 2)) == [3, 3, 2, 2, 1, 1, 1]
    assert batch_sizes((2, 7, 4)) == [3, 3, 2, 2, 1, 1, 1]


def test_lengths_imply_batch_and_seq_len() -> None:
    spec = make_spec(input_size=10, hidden_size=20, lengths="7,4,2")
    assert (spec.input.batch, spec.input.seq_len) == (3, 7)
    shapes = tensor_shapes(spec)
    assert list(shapes) == [
        "input",
        "packed_input_data",
        "packed_input_batch_sizes",
        "h0",
        "c0",
        "packed_output_data",
        "output",
        "hn",
        "cn",
    ]


def test_packed_json_keys() -> None:
    report = explain(input_size=10, hidden_size=20, batch_first=True, lengths="7,4,2", seq_len=9)
    data = json.loads(explain_json(report))
    assert data["schema_version"] == 1
    assert data["input"]["lengths"] == [7, 4, 2]
    tensors = data["tensors"]
    assert tensors["input"]["shape"] == [3, 9, 10]  # padded
    assert tensors["output"]["shape"] == [3, 9, 20]  # unpacked
    assert tensors["packed_input_data"]["shape"] == [13, 10]
    assert tensors["packed_input_batch_sizes"]["shape"] == [7]
    assert tensors["packed_output_data"]["shape"] == [13, 20]
    assert tensors["packed_input_data"]["dims"][0] == {
        "symbol": "sum(lengths)",
        "size": 13,
        "meaning": "real time steps of all sequences, step-major",
        "arithmetic": "7+4+2 = 13",
    }
    code = data["code"]
    assert "pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)" in code
    assert "pad_packed_sequence(packed_output, batch_first=True, total_length=9)" in code


def test_packed_code_runs() -> None:
    """The code block shown for a packed run is real code with the shapes shown."""
    report = explain(
        input_size=10, hidden_size=20, bidirectional=True, batch_first=True, lengths="7,4,2"
    )
    scope: dict[str, Any] = {}
    exec("\n".join(report.code), scope)
    assert tuple(scope["output"].shape) == report.tensors["output"].shape
    assert tuple(scope["packed"].data.shape) == report.tensors["packed_input_data"].shape
    assert tuple(scope["hn"].shape) == report.tensors["hn"].shape


def test_packed_table_golden(cli: Callable[..., Any], golden: Callable[[str, str], None]) -> None:
    args = ["explain", "-i", "10", "-H", "20", "--batch-first", "--bidirectional"]
    result = cli(*args, "--lengths", "7,4,2", "-L", "9", "--format", "table")
    assert result.exit_code == 0, result.stderr
    golden("packed/explain_table.txt", result.stdout)


def test_packed_markdown_golden(golden: Callable[[str, str], None]) -> None:
    report = explain(input_size=10, hidden_size=20, lengths="7,4,2", seq_len=9)
    golden("packed/explain_markdown.md", explain_markdown(report))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--lengths="],
            "--lengths must be whole numbers from 1 to 2147483647, separated by commas, "
            "e.g. 7,4,2 (got '')",
        ),
        (
            ["--lengths", "7,0,2"],
            "--lengths must be whole numbers from 1 to 2147483647, separated by commas, e.g. 7,4,2 "
            "(got '7,0,2')",
        ),
        (
            ["--lengths", "-3"],
            "--lengths must be whole numbers from 1 to 2147483647, separated by commas, "
            "e.g. 7,4,2 (got '-3')",
        ),
        (["--lengths", "7,4,2", "-L", "5"], "--lengths must be at most --seq-len 5 (got 7,4,2)"),
        (
            ["--lengths", "7,4,2", "-N", "2"],
            "--lengths must give one length per sequence: --batch is 2 (got 3 lengths: 7,4,2)",
        ),
        (
            ["--lengths", "7,4,2", "--unbatched"],
            "--lengths needs a batch: it cannot be used with --unbatched",
        ),
    ],
)
@pytest.mark.parametrize("command", ["explain", "check"])
def test_bad_lengths_exit_2(
    cli: Callable[..., Any], command: str, args: list[str], message: str
) -> None:
    result = cli(command, "-i", "10", "-H", "20", *args)
    assert result.exit_code == 2
    assert result.stderr == f"lstm-shapes: error: {message}\n"
    assert result.stdout == ""


def test_check_with_lengths_and_input_shape(cli: Callable[..., Any]) -> None:
    args = ["check", "-i", "10", "-H", "20", "--batch-first", "--lengths", "7,4,2"]
    ok = cli(
        *args, "--input-shape", "3,9,10", "-e", "packed_input_data=13,10", "-e", "output=3,9,20"
    )
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert "  ✓ packed_input_data is (13, 10) as expected\n" in ok.stdout
    bad = cli(*args, "--input-shape", "2,9,10")
    assert bad.exit_code == 2
    assert bad.stderr == (
        "lstm-shapes: error: --lengths must give one length per sequence: the input has N=2 "
        "(got 3 lengths: 7,4,2)\n"
    )
