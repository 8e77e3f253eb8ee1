"""Gates recomputed from the real weights; heads run for real."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lstm_shapes.probe.teaching import run_gates, run_heads
from lstm_shapes.spec.core import make_spec
from tests.conftest import Result, normalize


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"num_layers": 3, "bidirectional": True},
        {"num_layers": 2, "proj_size": 3, "batch_first": True, "bidirectional": True},
        {"bias": False},
    ],
)
def test_gates_recompute_torch(options: dict[str, object]) -> None:
    spec = make_spec(input_size=5, hidden_size=7, device="cpu", **options)  # type: ignore[arg-type]
    run = run_gates(spec)
    assert run.ok, [layer.max_abs_diff for layer in run.layers]
    m = spec.module
    terms = {t.symbol: t for t in run.layers[0].terms}
    assert terms["W_ii, W_if, W_ig, W_io"].shape == "(7, 5)"
    assert terms["h_t"].shape == f"(3, {m.H_out})"
    assert terms["c_t"].shape == "(3, 7)"
    assert ("W_hr" in terms) == bool(m.proj_size)
    assert ("b_ii + b_hi, …" in terms) == m.bias
    if m.num_layers > 1:
        above = {t.symbol: t for t in run.layers[1].terms}
        assert above["x_t"].shape == f"(3, {m.D * m.H_out})"


def test_heads_shapes() -> None:
    spec = make_spec(input_size=10, hidden_size=20, bidirectional=True, device="cpu")
    run = run_heads(spec, "both", 5)
    assert run.in_features == 40
    by_head = {h.head: h for h in run.heads}
    assert by_head["last"].result_shape == "(3, 5)"
    assert by_head["every"].result_shape == "(7, 3, 5)"
    assert by_head["every"].result_symbols == "(L, N, K)"
    assert run.summary_diff == 0
    assert run.backward_last_step_diff is not None and run.backward_last_step_diff > 1e-3
    assert run.wrong_in_features_error == (
        "mat1 and mat2 shapes cannot be multiplied (21x40 and 20x5)"
    )


def test_heads_unidirectional_fits_by_coincidence() -> None:
    spec = make_spec(input_size=10, hidden_size=20, batch_first=True, device="cpu")
    run = run_heads(spec, "every", 2)
    assert [h.result_shape for h in run.heads] == ["(3, 7, 2)"]
    assert run.wrong_in_features_error is None


def test_bad_head(cli: Callable[..., Result]) -> None:
    result = cli("heads", "-i", "10", "-H", "20", "--head", "first")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --head must be one of last, every, both (got 'first')\n"
    )
    result = cli("heads", "-i", "10", "-H", "20", "-K", "0")
    assert result.stderr == (
        "lstm-shapes: error: --out-features must be a whole number from 1 to 2147483647 (got 0)\n"
    )


def test_golden(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    args = ("-i", "10", "-H", "20", "-l", "2", "--bidirectional")
    result = cli("gates", *args, "--proj-size", "5")
    assert result.exit_code == 0, result.stderr
    golden("teach/gates.txt", normalize(result.stdout))
    result = cli("heads", *args, "--batch-first", "-K", "4")
    assert result.exit_code == 0, result.stderr
    golden("teach/heads.txt", normalize(result.stdout))
    result = cli("heads", *args, "--lang", "zh", "-f", "markdown")
    golden("teach/heads.zh.md", normalize(result.stdout))
