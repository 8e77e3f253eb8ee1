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
