"""LSTMCell loops reproduce nn.LSTM; proj_size is refused plainly."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lstm_shapes.probe.teaching import run_cell
from lstm_shapes.spec.core import make_spec
from tests.conftest import Result, normalize

CONFIGS = [
    {},
    {"num_layers": 3},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "batch_first": True, "num_layers": 2, "bidirectional": True},
    {"num_layers": 2, "seq_len": 1, "batch": 1},
]


@pytest.mark.parametrize("options", CONFIGS)
def test_loop_matches_lstm(options: dict[str, object]) -> None:
    spec = make_spec(input_size=4, hidden_size=6, device="cpu", **options)  # type: ignore[arg-type]
    run = run_cell(spec)
    assert run.ok, run.comparisons
    m = spec.module
    assert [c.name for c in run.comparisons] == ["output", "hn", "cn"]
    assert len(run.first_step) == m.num_layers * m.D
    assert len(run.cells) == m.num_layers * m.D
    assert max(len(line) for line in run.code.splitlines()) <= 88  # fits an A4 page
    first = run.first_step[0]
    assert first.x_t == f"({spec.input.batch}, 4)"
    assert first.h_out == f"({spec.input.batch}, 6)"
    if m.num_layers > 1:
        assert run.first_step[m.D].x_t == f"({spec.input.batch}, {m.D * 6})"


def test_proj_size_is_refused(cli: Callable[..., Result]) -> None:
    result = cli("cell", "-i", "10", "-H", "20", "--proj-size", "5")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --proj-size cannot be shown with nn.LSTMCell: LSTMCell has no "
        "proj_size (got --proj-size 5); drop --proj-size, or see 'lstm-shapes gates' for the "
        "projection\n"
    )


def test_json(cli: Callable[..., Result]) -> None:
    result = cli("cell", "-i", "10", "-H", "20", "--bidirectional", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["equal"] is True
    assert [c["name"] for c in data["comparisons"]] == ["output", "hn", "cn"]
    assert data["comparisons"][1]["lstm_shape"] == [2, 3, 20]


def test_golden(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    result = cli("cell", "-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional")
    assert result.exit_code == 0, result.stderr
    golden("teach/cell.txt", normalize(result.stdout))


def test_disagreement_is_our_bug(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No tolerance can be met: the page says so and the exit code is 3, as for explain.
    monkeypatch.setattr("lstm_shapes.report.teaching.TOLERANCE", -1.0)
    result = cli("cell", "-i", "4", "-H", "6")
    assert result.exit_code == 3
    assert "DIFFERS" in result.stdout
    assert "The loop does NOT reproduce nn.LSTM: this is a bug in lstm-shapes." in result.stdout
    result = cli("gates", "-i", "4", "-H", "6")
    assert result.exit_code == 3
    assert "does NOT match torch's" in result.stdout
