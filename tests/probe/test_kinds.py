"""nn.GRU and nn.RNN through ``explain`` and ``variants``: no c0/cn, 3 or 1 gate blocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import torch

from lstm_shapes import SpecError, explain, make_spec
from lstm_shapes.probe.runtime import build_module


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--kind", "gru", "--proj-size", "2"],
            "--proj-size is only for --kind lstm (got --proj-size 2 with --kind gru)",
        ),
        (
            ["--kind", "rnn", "--proj-size", "3"],
            "--proj-size is only for --kind lstm (got --proj-size 3 with --kind rnn)",
        ),
        (
            ["--nonlinearity", "relu"],
            "--nonlinearity is only for --kind rnn or rnncell (got --nonlinearity relu with "
            "--kind lstm)",
        ),
        (
            ["--kind", "gru", "--nonlinearity", "relu"],
            "--nonlinearity is only for --kind rnn or rnncell (got --nonlinearity relu with "
            "--kind gru)",
        ),
        (
            ["--kind", "transformer"],
            "--kind must be one of lstm, gru, rnn, lstmcell, grucell, rnncell (got 'transformer')",
        ),
        (
            ["--kind", "rnn", "--nonlinearity", "sigmoid"],
            "--nonlinearity must be one of tanh, relu (got 'sigmoid')",
        ),
    ],
)
def test_kind_messages_word_for_word(
    cli: Callable[..., Any], options: list[str], message: str
) -> None:
    result = cli("explain", "-i", "4", "-H", "5", *options)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_kind_is_case_insensitive_in_the_library() -> None:
    assert make_spec(input_size=3, hidden_size=4, kind=" GRU ").module.kind == "gru"
    with pytest.raises(SpecError):
        make_spec(input_size=3, hidden_size=4, kind="gru", proj_size=2)


@pytest.mark.parametrize(
    ("kind", "legend"),
    [
        (
            "lstm",
            "rows: 4 gate blocks of H_cell rows each, in this order: input (i), forget (f), "
            "cell (g), output (o)",
        ),
        (
            "gru",
            "rows: 3 gate blocks of hidden_size rows each, in this order: reset (r), "
            "update (z), new (n)",
        ),
        ("rnn", "rows: one block of hidden_size rows (no gates in a plain RNN)"),
    ],
)
def test_gate_block_legend(cli: Callable[..., Any], kind: str, legend: str) -> None:
    result = cli("explain", "-i", "4", "-H", "5", "--kind", kind)
    assert result.exit_code == 0, result.stderr
    assert legend in result.stdout.splitlines()


@pytest.mark.parametrize(
    ("kind", "rows"),
    [("gru", "3*hidden_size = 3*5"), ("rnn", "hidden_size = 5")],
)
def test_no_cell_state_anywhere(cli: Callable[..., Any], kind: str, rows: str) -> None:
    result = cli("explain", "-i", "4", "-H", "5", "-l", "2", "--kind", kind, "-f", "json")
    data = json.loads(result.stdout)
    assert list(data["tensors"]) == ["input", "h0", "output", "hn"]
    assert data["lstm"]["kind"] == kind
    assert ("nonlinearity" in data["lstm"]) == (kind == "rnn")
    assert data["code"].endswith(f"output, hn = {kind}(x)  # h0 defaults to zeros")
    assert [c["statement"] for c in data["checks"]][-1] == (
        "omitting h0 gives the same output as passing zeros"
    )
    assert all("c0" not in note and "cn" not in note for note in data["notes"])
    markdown = cli("explain", "-i", "4", "-H", "5", "--kind", kind, "-f", "markdown").stdout
    assert "`c0`" not in markdown and "`cn`" not in markdown
    line = next(x for x in markdown.splitlines() if x.startswith("| `weight_ih_l0` |"))
    assert line.replace("\\*", "*").startswith(
        f"| `weight_ih_l0` | `({5 * (3 if kind == 'gru' else 1)}, 4)` | {rows} |"
    )


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_variants_rules_name_only_h(cli: Callable[..., Any], kind: str) -> None:
    for fmt in ("table", "markdown"):
        result = cli("variants", "-i", "4", "-H", "5", "--kind", kind, "-f", fmt)
        assert result.exit_code == 0, result.stderr
        assert "c0" not in result.stdout and "cn" not in result.stdout
        assert "h0/hn never move" in result.stdout
    data = json.loads(cli("variants", "-i", "4", "-H", "5", "--kind", kind, "-f", "json").stdout)
    assert [list(v["tensors"]) for v in data["variants"]] == [["input", "h0", "output", "hn"]] * 4


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "gru"},
        {"kind": "gru", "num_layers": 3, "bidirectional": True, "bias": False},
        {"kind": "rnn", "nonlinearity": "relu", "num_layers": 2},
        {"kind": "rnn", "bidirectional": True, "batch_first": True, "unbatched": True},
        {"kind": "lstm", "proj_size": 3, "bidirectional": True, "num_layers": 2},
    ],
)
def test_parameters_equal_named_parameters(options: dict[str, Any]) -> None:
    spec = make_spec(input_size=6, hidden_size=7, device="cpu", **options)
    report = explain(spec)
    module = build_module(torch, spec.module)
    assert [(p.name, p.shape) for p in report.parameters] == [
        (name, tuple(p.shape)) for name, p in module.named_parameters()
    ]
    assert report.parameter_count == sum(p.numel() for p in module.parameters())
    assert report.ok


def test_rnn_nonlinearity_reaches_torch() -> None:
    spec = make_spec(input_size=3, hidden_size=4, kind="rnn", nonlinearity="relu")
    assert build_module(torch, spec.module).nonlinearity == "relu"
    assert spec.module.constructor() == "nn.RNN(input_size=3, hidden_size=4, nonlinearity='relu')"


def test_the_facts_in_docs_kinds_md() -> None:
    """The torch behaviour docs/kinds.md describes, so that a torch change shows up here."""
    from torch import nn

    x = torch.randn(5, 2, 3)
    # unpacking a GRU like an LSTM: silent with D*num_layers = 2, an error otherwise
    _, (forward, backward) = nn.GRU(3, 4, bidirectional=True)(x)
    assert forward.shape == backward.shape == (2, 4)
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected 2, got 1\)"):
        _, (_hn, _cn) = nn.GRU(3, 4)(x)
    with pytest.raises(ValueError, match=r"too many values to unpack"):
        _, (_hn, _cn) = nn.GRU(3, 4, num_layers=3)(x)
    h0 = torch.zeros(1, 2, 4)
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'dim'"):
        nn.GRU(3, 4)(x, (h0, h0))
    with pytest.raises(IndexError, match="index 1 is out of bounds for dimension 0 with size 1"):
        nn.LSTM(3, 4)(x, h0)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(TypeError, match="nonlinearity"):
        nn.GRU(3, 4, nonlinearity="relu")
    # moving bias between bias_ih and bias_hh: the same LSTM, a different GRU (b_hn sits
    # inside the reset gate's product)
    for cls, same in ((nn.LSTM, True), (nn.GRU, False)):
        a = cls(3, 4)
        b = cls(3, 4)
        b.load_state_dict(a.state_dict())
        with torch.no_grad():
            b.bias_ih_l0 += 0.5
            b.bias_hh_l0 -= 0.5
            assert torch.allclose(a(x)[0], b(x)[0], atol=1e-6) == same
    counts = [sum(p.numel() for p in cls(10, 20).parameters()) for cls in (nn.LSTM, nn.GRU, nn.RNN)]
    assert counts == [2560, 1920, 640]


def test_relu_rnn_with_zero_outputs_shows_no_false_check(cli: Callable[..., Any]) -> None:
    """Found by the property test: relu can output zeros at every step, so hn[-1] equals
    output[-1]'s backward half by coincidence; that check is left out, not failed."""
    args = ["-i", "1", "-H", "1", "-l", "2", "--bidirectional", "--no-bias", "--kind", "rnn"]
    args += ["--nonlinearity", "relu", "-N", "1", "-L", "2", "-f", "json"]
    data = json.loads(cli("explain", *args).stdout)
    assert all(check["holds"] for check in data["checks"])
    assert "hn-backward-not-last-step" not in [check["id"] for check in data["checks"]]
