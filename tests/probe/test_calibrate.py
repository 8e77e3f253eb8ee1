"""The time model's calibration: what it measures and how it is cached. No timed
assertions: only that the rates are plausible numbers and that the cache holds."""

from __future__ import annotations

import dataclasses

import pytest

from lstm_shapes.probe import calibrate
from lstm_shapes.spec.core import make_spec
from lstm_shapes.theory import budget, cost


def test_calibration_measures_positive_rates() -> None:
    rates = calibrate.calibrate()
    assert rates.calibrated
    assert rates.flops_per_second > 1e8
    assert 0 < rates.seconds_per_step < 1e-2
    assert 0 <= rates.seconds_per_call < 1e-1
    assert 0 < rates.seconds_per_fused_step < 1e-2
    assert 0 <= rates.seconds_per_fused_call < 1e-1
    assert rates.weight_bytes_per_second > 1e8
    assert rates.gate_bytes_per_second > 1e8
    stored = rates.as_dict()
    assert stored["seconds_per_call"] == rates.seconds_per_call
    assert stored["seconds_per_fused_step"] == rates.seconds_per_fused_step
    assert stored["weight_bytes_per_second"] == round(rates.weight_bytes_per_second)


def test_uncalibrated_rates_stand_in_for_the_ones_not_measured() -> None:
    """Rates stored before the fused kernel and the byte rates were calibrated (0) fall
    back to the step-by-step kernel's and the matrix product's."""
    estimate = cost.estimate(make_spec(input_size=16, hidden_size=32))
    old = cost.MachineRates(flops_per_second=1e10, seconds_per_step=1e-5, seconds_per_call=1e-4)
    same = dataclasses.replace(
        old,
        seconds_per_fused_step=old.seconds_per_step,
        seconds_per_fused_call=old.seconds_per_call,
        weight_bytes_per_second=old.flops_per_second,
        gate_bytes_per_second=old.flops_per_second,
    )
    assert estimate.time_terms(old) == estimate.time_terms(same)


def test_rates_are_cached_per_process_and_feed_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LSTM_SHAPES_CALIBRATE")
    monkeypatch.setattr(calibrate, "_cached", None)
    monkeypatch.setattr(budget, "_rates", budget.current_rates())  # restored afterwards
    first = calibrate.machine_rates()
    assert calibrate.machine_rates() is first
    assert budget.current_rates() is first


def test_calibrate_0_gives_the_assumed_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSTM_SHAPES_CALIBRATE", "0")
    assert calibrate.machine_rates() is cost.ASSUMED_RATES


def test_the_budget_decides_on_the_rates_it_is_given() -> None:
    spec = make_spec(input_size=64, hidden_size=128, batch=32, seq_len=2000)
    estimate = cost.estimate(spec)
    generous = budget.default_budget(None)
    slow = cost.MachineRates(flops_per_second=1e8, seconds_per_step=1e-3)
    fast = cost.MachineRates(flops_per_second=1e12, seconds_per_step=1e-7)
    assert budget.decide(estimate, generous, rates=slow).mode == "reduced"
    assert budget.decide(estimate, generous, rates=fast).mode == "full"
    assert "over the time budget" in budget.decide(estimate, generous, rates=slow).reason


def test_faster_rates_give_shorter_estimates() -> None:
    estimate = cost.estimate(make_spec(input_size=16, hidden_size=32, kind="gru"))
    slow = cost.MachineRates(flops_per_second=1e9, seconds_per_step=1e-4)
    fast = cost.MachineRates(flops_per_second=1e10, seconds_per_step=1e-5)
    assert estimate.forward_seconds(rates=fast) < estimate.forward_seconds(rates=slow)
    assert estimate.training_seconds(rates=fast) > estimate.forward_seconds(rates=fast)


AVX_FLAGS = "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_1 avx\n"
AVX2_FLAGS = "flags\t\t: fpu sse4_1 avx avx2\n"
AMX_FLAGS = "flags\t\t: fpu avx avx2 fma avx512f avx512bw amx_tile\n"


@pytest.mark.parametrize(
    ("cpuinfo", "environ", "brgemm"),
    [
        (AMX_FLAGS, {}, True),
        (AVX2_FLAGS, {}, True),
        (AVX_FLAGS, {}, False),
        (AMX_FLAGS, {"ONEDNN_MAX_CPU_ISA": "AVX2"}, True),
        (AMX_FLAGS, {"ONEDNN_MAX_CPU_ISA": "avx"}, False),
        (AMX_FLAGS, {"DNNL_MAX_CPU_ISA": "SSE41"}, False),
        (AMX_FLAGS, {"ONEDNN_MAX_CPU_ISA": "ALL"}, True),
        ("processor\t: 0\nFeatures\t: fp asimd\n", {}, True),  # no x64 flags: assumed
    ],
)
def test_onednn_brgemm_reads_the_cpu_flags_and_the_isa_cap(
    cpuinfo: str, environ: dict[str, str], brgemm: bool
) -> None:
    assert calibrate.onednn_brgemm(cpuinfo, environ) is brgemm


def test_input_weights_are_read_per_step_only_where_onednn_does() -> None:
    """brgemm kernels read W_ih at every step, forward (but for one sequence) and backward;
    oneDNN's other kernels merge the steps, but for a forward pass of 128 sequences or more."""
    rates = cost.MachineRates(flops_per_second=1e10, seconds_per_step=1e-5)
    other = dataclasses.replace(rates, onednn_brgemm=False)

    def terms(batch: int, machine: cost.MachineRates) -> tuple[float, float]:
        spec = make_spec(input_size=64, hidden_size=32, batch=batch, seq_len=10, num_layers=2)
        t = cost.estimate(spec).time_terms(machine)
        return t["input_weights"], t["unmerged_input_weights"]

    # 10 steps x (4*32*64 + 4*32*32) float32 weights, at 1e10 B/s
    per_call = 10 * (4 * 32 * 64 + 4 * 32 * 32) * 4 / 1e10
    assert terms(1, rates) == pytest.approx((per_call, 0.0))
    assert terms(2, rates) == pytest.approx((per_call, per_call))
    assert terms(2, other) == (0.0, 0.0)
    assert terms(127, other) == (0.0, 0.0)
    assert terms(128, other) == pytest.approx((0.0, per_call))
    assert rates.as_dict()["onednn_brgemm"] is True
    unbatched = make_spec(input_size=64, hidden_size=32, seq_len=10, unbatched=True)
    assert cost.estimate(unbatched).time_terms(rates)["unmerged_input_weights"] == 0.0


def test_a_step_never_costs_nothing_on_a_busy_machine() -> None:
    """The cost per step is the long run's time beyond the short one's; where a busy
    machine slowed the short run past the long one, the long run's time per step."""
    assert calibrate._per_step(0.0256, 0.0016, 256, 16) == pytest.approx(0.0001)
    assert calibrate._per_step(0.0020, 0.0030, 256, 16) == pytest.approx(0.0020 / 256)
