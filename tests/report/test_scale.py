"""The reduced probe: same structure at small sizes, theory verified on it, full-size shapes
equal to what torch gives, and a label nobody can miss."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes import explain, make_spec
from lstm_shapes.errors import SpecError
from lstm_shapes.report.reduced import REDUCED_MAX_LAYERS, reduced_spec
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory

ROOT = Path(__file__).resolve().parents[2]

QUICK = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw: Callable[..., Any], max_size: int = 40) -> Spec:
    kind = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    hidden = draw(st.integers(1, max_size))
    unbatched = draw(st.booleans())
    return make_spec(
        kind=kind,
        input_size=draw(st.integers(1, max_size)),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, 4)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        proj_size=draw(st.integers(0, hidden - 1)) if kind == "lstm" else 0,
        batch=None if unbatched else draw(st.integers(1, 8)),
        seq_len=draw(st.integers(1, 12)),
        unbatched=unbatched,
        device="cpu",
    )


@settings(max_examples=200, deadline=None)
@given(specs(max_size=10_000), st.integers(1, 100), st.booleans())
def test_reduced_spec_keeps_the_structure_and_only_shrinks(
    spec: Spec, num_layers: int, packed: bool
) -> None:
    spec = spec.with_module(num_layers=num_layers)
    if packed and not spec.input.unbatched:
        lengths = tuple(max(1, spec.input.seq_len - k) for k in range(spec.input.batch))
        spec = replace(spec, input=replace(spec.input, lengths=lengths))
    small, m, s = reduced_spec(spec), spec.module, reduced_spec(spec).module
    assert (s.kind, s.bidirectional, s.batch_first, s.bias) == (
        m.kind,
        m.bidirectional,
        m.batch_first,
        m.bias,
    )
    assert (s.proj_size > 0) == (m.proj_size > 0)
    assert s.proj_size < s.hidden_size
    assert s.num_layers == (m.num_layers if m.num_layers <= REDUCED_MAX_LAYERS else 3)
    assert small.input.unbatched == spec.input.unbatched
    assert s.input_size <= m.input_size and s.hidden_size <= m.hidden_size
    assert small.input.batch <= spec.input.batch
    assert small.input.seq_len <= spec.input.seq_len
    if spec.input.lengths is not None:
        assert small.input.lengths is not None
        assert len(small.input.lengths) == small.input.batch
        assert max(small.input.lengths) <= small.input.seq_len
    else:
        assert small.input.lengths is None


def _torch_shapes(spec: Spec) -> tuple[dict[str, tuple[int, ...]], list[tuple[str, Any]]]:
    """What torch itself gives at full size, without lstm-shapes in between."""
    import torch

    from lstm_shapes.probe.runtime import build_module

    module = build_module(torch, spec.module).eval()
    x = torch.randn(theory.tensor_shapes(spec)["input"].shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oneDNN's note on proj_size, once per process
        output, state = module(x)
    hn, cn = state if spec.module.has_cell else (state, None)
    shapes = {"input": tuple(x.shape), "output": tuple(output.shape), "hn": tuple(hn.shape)}
    shapes["h0"] = shapes["hn"]
    if cn is not None:
        shapes["c0"] = shapes["cn"] = tuple(cn.shape)
    return shapes, [(name, tuple(p.shape)) for name, p in module.named_parameters()]


@QUICK
@given(specs())
def test_forced_reduced_report_equals_torch_at_full_size(spec: Spec) -> None:
    report = explain(spec, max_memory=1)
    assert report.run.mode == "reduced"
    assert report.spec == spec
    assert report.checks[0].id == "theory-matches-reduced-run" and report.ok
    shapes, parameters = _torch_shapes(spec)
    assert {name: t.shape for name, t in report.tensors.items()} == shapes
    assert [(p.name, p.shape) for p in report.parameters] == parameters
    assert report.parameter_count == sum(
        p[1][0] * (p[1][1] if len(p[1]) > 1 else 1) for p in parameters
    )
    full = explain(spec, full=True)
    assert full.run.mode == "full"
    assert full.tensors == report.tensors and full.parameters == report.parameters


def test_the_100_000_step_configuration_is_answered_reduced() -> None:
    report = explain(
        input_size=4096,
        hidden_size=8192,
        num_layers=4,
        bidirectional=True,
        batch=512,
        seq_len=100_000,
        max_memory="2GiB",
    )
    assert report.run.mode == "reduced"
    assert report.tensors["output"].shape == (100_000, 512, 16384)
    assert report.tensors["hn"].shape == (8, 512, 8192)
    assert report.parameter_count == 5_637_668_864
    run = report.as_dict()["run"]
    assert run["reason"] == (
        "this tool's check at full size needs about 22.1 TiB and 4.92 years, over the memory "
        "budget of 2 GiB (--max-memory)"
    )
    assert run["reduced_sizes"] == "N=3 L=4 H_in=5 D=2 num_layers=4 H_out=7 H_cell=7"
    assert set(run["full_size_estimate"]) == {
        "memory_bytes",
        "seconds",
        "parameter_count",
        "parameter_bytes",
        "forward_flops",
        "forward_backward_flops",
        "inference_bytes",
        "training_bytes",
    }
    assert run["full_size_estimate"]["parameter_bytes"] == 4 * 5_637_668_864


def test_deep_stacks_are_probed_with_three_layers() -> None:
    report = explain(input_size=3, hidden_size=4, num_layers=100_000, seq_len=2, batch=1)
    assert report.run.mode == "reduced"
    assert "over the time budget" in (report.run.reason or "")
    assert "num_layers=3" in (report.run.reduced_sizes or "")
    assert report.tensors["hn"].shape == (100_000, 1, 4)
    # layers 0, 1 and the last are listed; the others are alike and counted
    assert [p.name for p in report.parameters[-4:]] == [
        "weight_ih_l99999",
        "weight_hh_l99999",
        "bias_ih_l99999",
        "bias_hh_l99999",
    ]
    assert len(report.parameters) == 12
    assert report.parameter_count == 16 * 3 + 16 * 4 + 32 + 99_999 * (2 * 16 * 4 + 32)
    assert report.as_dict()["run"]["parameters_elided"] == {"from_layer": 2, "to_layer": 99_998}
    assert report.notes[-1] == (
        "Parameters: layers 2 to 99998 are not listed; each has the same parameters as "
        "layer 1 (the count above includes them)."
    )


def test_a_stack_too_deep_to_estimate_is_refused_word_for_word() -> None:
    with pytest.raises(SpecError) as error:
        explain(input_size=3, hidden_size=4, num_layers=2_147_483_647, bidirectional=True)
    assert str(error.value) == (
        "too large: num_layers=2147483647 with D=2 is 4,294,967,294 layers and directions; "
        "lstm-shapes estimates at most 100,000 (--num-layers up to 50,000)"
    )


def test_a_small_run_stays_full_and_json_unchanged() -> None:
    report = explain(input_size=10, hidden_size=20)
    assert report.run.mode == "full"
    data = report.as_dict()
    assert "reason" not in data["run"] and "cost" not in data


def test_full_mode_cost_is_measured_and_matches_flop_counter(cli: Callable[..., Any]) -> None:
    result = cli(
        "explain", "-i", "6", "-H", "8", "--proj-size", "3", "-l", "2",
        "--time", "--backward", "--verify-flops", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["cost"]
    measured = data["measured"]
    assert measured["measured"] == "forward"
    assert measured["flop_counter_forward"] == data["flops"]["forward_matmul"]
    assert measured["flop_counter_forward_backward"] == data["flops"]["forward_backward_matmul"]
    assert measured["runs"] == 7
    assert len(measured["forward_seconds_runs"]) == 7
    assert measured["forward_seconds_median"] > 0
    assert measured["forward_backward_seconds_median"] > 0
    assert data["flop_counter"].startswith("torch counted the step-by-step matmuls")


def test_fused_path_says_torch_counted_zero(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "6", "-H", "8", "--verify-flops", "-f", "json")
    data = json.loads(result.stdout)["cost"]
    assert data["measured"]["flop_counter_forward"] == 0
    assert data["flop_counter"].startswith(
        "torch counted 0 on the forward: it ran as one fused kernel"
    )


def test_cost_counts_flops_only_with_verify_flops(cli: Callable[..., Any]) -> None:
    result = cli("explain", "-i", "6", "-H", "8", "--cost", "-f", "json")
    data = json.loads(result.stdout)["cost"]
    assert data["measured"]["flop_counter_forward"] is None
    assert data["flop_counter"].startswith("not counted in this run (--verify-flops counts them")


def test_packed_cost_measures_the_packed_forward(cli: Callable[..., Any]) -> None:
    result = cli(
        "explain", "-i", "4", "-H", "8", "-N", "3", "-L", "5", "--lengths", "5,3,2",
        "--verify-flops", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["cost"]
    assert data["measured"]["measured"] == "packed forward"
    # 10 real steps of 2*(4+8)*32 matmul FLOPs each: torch counts the packed steps
    assert data["measured"]["flop_counter_forward"] == data["flops"]["forward_matmul"] == 7680
    assert data["flop_counter"].startswith("torch counted the step-by-step matmuls")


REDUCED_ARGS = ("explain", "-i", "10", "-H", "20", "-l", "2", "--bidirectional", "-N", "3")


def test_golden_reduced_table(cli: Callable[..., Any], golden: Callable[[str, str], None]) -> None:
    result = cli(*REDUCED_ARGS, "--max-memory", "1KiB")
    assert result.exit_code == 0, result.stderr
    assert "REDUCED RUN: " in result.stdout
    golden("scale/reduced.txt", result.stdout)


def test_golden_reduced_markdown_with_cost(
    cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    result = cli(*REDUCED_ARGS, "--max-memory", "1KiB", "--cost", "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    golden("scale/reduced-cost.md", result.stdout)


def test_golden_reduced_json_run(
    cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    result = cli(*REDUCED_ARGS, "--max-memory", "1KiB", "-f", "json")
    data = json.loads(result.stdout)
    golden("scale/reduced-run.json", json.dumps(data["run"], indent=2) + "\n")


def test_bad_budget_fails_before_torch_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        from lstm_shapes.cli import run
        code = run(["explain", "-i", "10", "-H", "20", "--max-memory", "lots"])
        print(code, "torch" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout == "2 False\n"


@pytest.mark.parametrize("flag", ["--time", "--backward"])
def test_time_and_backward_imply_cost_and_say_why_nothing_was_measured(
    cli: Callable[..., Any], flag: str
) -> None:
    result = cli(*REDUCED_ARGS, "--max-memory", "1KiB", flag)
    assert result.exit_code == 0, result.stderr
    assert (
        "measured nothing: the full-size run is over budget (reduced run); --full measures it"
        in " ".join(result.stdout.split())
    )


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script's path (``python -m lstm_shapes``), which leaves through
    ``os._exit`` once torch is imported."""
    return subprocess.run(
        [sys.executable, "-m", "lstm_shapes", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, "NO_COLOR": "1", "COLUMNS": "100"},
        timeout=120,
    )


def test_the_quick_exit_keeps_output_and_exit_code() -> None:
    done = _run_cli(*REDUCED_ARGS, "--max-memory", "1KiB", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["run"]["mode"] == "reduced"  # all of it was flushed
    table = _run_cli(*REDUCED_ARGS)
    assert table.returncode == 0
    assert table.stdout.rstrip().endswith("below it.")


def test_importing_the_cli_imports_neither_torch_nor_the_report() -> None:
    code = (
        "import sys, lstm_shapes.cli; "
        "print(sorted(m for m in "
        "('torch', 'rich', 'lstm_shapes.report.explain', 'lstm_shapes.probe.forward') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout == "[]\n", done.stderr


def test_variants_say_when_they_were_reduced() -> None:
    from lstm_shapes.render.cost_text import variants_reduced_line
    from lstm_shapes.report.variants import variant_specs

    reports = [
        explain(s, max_memory=1) for s in variant_specs(make_spec(input_size=4, hidden_size=6))
    ]
    line = variants_reduced_line(reports)
    assert line is not None and line.startswith("REDUCED RUN for all 4 variants; for the first, ")
    assert variants_reduced_line([explain(input_size=4, hidden_size=6)]) is None


def test_a_deep_stacks_cost_table_shows_one_row_for_the_layers_between() -> None:
    from lstm_shapes.render.cost_text import per_layer_rows

    report = explain(input_size=3, hidden_size=4, num_layers=20, bidirectional=True, cost=True)
    assert report.cost is not None
    rows = per_layer_rows(report.cost)
    assert [(layer, direction) for layer, direction, *_ in rows] == [
        ("0", "forward"),
        ("0", "backward"),
        ("1", "forward"),
        ("1", "backward"),
        ("2 to 18, each", "forward"),
        ("2 to 18, each", "backward"),
        ("19", "forward"),
        ("19", "backward"),
    ]
    assert rows[4][2:] == rows[2][2:]


def test_a_cells_memory_line_names_h1_and_c1_not_an_empty_output(
    cli: Callable[..., Any],
) -> None:
    result = cli(
        "explain", "--kind", "lstmcell", "-i", "4", "-H", "8", "--cost", "--max-memory", "1KiB"
    )
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "forward, memory" in x)
    assert "h1/c1 192 B" in line
    assert "output" not in line
