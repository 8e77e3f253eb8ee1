"""The words and figures of ``--cost`` and of a reduced run, shared by the table and
Markdown renderers. No rich, no torch."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

from lstm_shapes.report.cost import CPU_PEAK_METHOD, CostReport
from lstm_shapes.report.explain import Report
from lstm_shapes.report.reduced import listed_layers
from lstm_shapes.spec.units import format_bytes, format_flops, format_seconds
from lstm_shapes.theory.cost import MEMORY_ERROR_BANDS, CostEstimate, Memory


def reduced_line(report: Report) -> str | None:
    """The one line every text format shows for a reduced run."""
    run = report.run
    if run.mode != "reduced":
        return None
    return (
        f"REDUCED RUN: {run.reason}. Shapes are theory at full size, verified by torch at "
        f"{run.reduced_sizes}. --full forces a full run."
    )


def variants_reduced_line(reports: Sequence[Report]) -> str | None:
    """One line for ``variants`` when any of its runs was reduced."""
    reduced = [r for r in reports if r.run.mode == "reduced"]
    if not reduced:
        return None
    which = (
        "all 4 variants"
        if len(reduced) == len(reports)
        else (
            "; ".join(
                f"batch_first={r.spec.module.batch_first}, "
                f"bidirectional={r.spec.module.bidirectional}"
                for r in reduced
            )
        )
    )
    return (
        f"REDUCED RUN for {which}; for the first, {reduced[0].run.reason}. "
        f"Shapes are theory at full size, verified by torch at {reduced[0].run.reduced_sizes} "
        "(D by column). variants has no --full: explain --full runs one variant at full size."
    )


def _spread(values: Sequence[float], show: Callable[[float], str]) -> str:
    """``median 4.1 ms (3.9 ms to 5.2 ms over 7 runs)``."""
    ordered = sorted(values)
    middle = statistics.median(ordered)
    if len(ordered) == 1:
        return f"{show(middle)} (1 run)"
    return (
        f"median {show(middle)} ({show(ordered[0])} to {show(ordered[-1])} over "
        f"{len(ordered)} runs)"
    )


def _rates_text(cost: CostReport) -> str:
    """The calibrated rates the estimate of this path is built on."""
    rates = cost.rates
    if cost.estimate.fused:
        step, call = rates.seconds_per_fused_step, rates.seconds_per_fused_call
    else:
        step, call = rates.seconds_per_step, rates.seconds_per_call
    speed = (
        f"{format_flops(rates.flops_per_second)}/s for a matrix product, "
        f"{format_bytes(round(rates.weight_bytes_per_second))}/s of weights, "
        f"{format_bytes(round(rates.gate_bytes_per_second))}/s of gates, "
        f"{format_seconds(step)} per step and {format_seconds(call)} per call"
    )
    if rates.calibrated:
        return f"{speed}, calibrated on this machine in {format_seconds(rates.calibration_seconds)}"
    return f"{speed}, assumed (not calibrated: LSTM_SHAPES_CALIBRATE=0)"


KERNEL_WORDS = {
    "onednn": "one fused oneDNN kernel",
    "step-by-step": "step-by-step kernels",
    "cudnn": "cuDNN, a model on paper that no GPU has checked yet",
}


def _training_parts(mem: Memory) -> str:
    """What the training step's memory holds at its peak: what autograd keeps and the
    gradients, or (a step that peaks in its forward pass) that the gradients come later."""
    gradients = format_bytes(mem.gradients)
    if mem.peak_in_forward:
        return f"peaks in the forward pass, before the gradients ({gradients}) exist"
    if mem.freed_before_peak:
        freed = "the forward's workspace partly freed"
        return f"peaks in the backward pass, {freed}; gradients {gradients}"
    return f"keeps {format_bytes(mem.saved_for_backward)} for backward, gradients {gradients}"


def _band(kernel: str, kind: str) -> str:
    """The measured error of the memory model on this kernel's path, as text."""
    path = {"onednn": "fused", "step-by-step": "step-by-step"}.get(kernel)
    band = MEMORY_ERROR_BANDS.get(path or "", {}).get(kind)
    if band is None:
        return "its error is not measured on this path"
    low, high = band
    return f"measured error on this path {low:+.0%} to {high:+.0%} above 16 MiB"


def _estimate_lines(cost: CostReport) -> list[tuple[str, str]]:
    est, mem, decision = cost.estimate, cost.estimate.memory, cost.decision
    path = KERNEL_WORDS[est.kernel]
    return [
        (
            "parameters",
            f"{est.parameter_count:,} ({format_bytes(est.parameter_bytes)} in "
            f"{est.spec.run.dtype})",
        ),
        (
            "forward FLOPs",
            f"{format_flops(est.forward)} = {format_flops(est.forward_matmul)} matmul + "
            f"{format_flops(est.forward_elementwise)} element-wise",
        ),
        (
            "forward + backward FLOPs",
            f"{format_flops(est.training)} ({format_flops(est.training_matmul)} matmul)",
        ),
        ("FlopCounterMode", cost.flop_counter_note),
        (
            "this tool's check",
            f"about {format_bytes(decision.memory)} and {format_seconds(decision.seconds)} "
            f"at full size (two forward passes on the step-by-step kernels): "
            f"{'ran at full size' if decision.mode == 'full' else 'reduced run'}",
        ),
        (
            "your model's forward, memory",
            f"{format_bytes(mem.inference)} = parameters {format_bytes(mem.parameters)} + "
            f"input {format_bytes(mem.input)} + {_outputs_text(est)} + "
            f"workspace {format_bytes(mem.workspace)} "
            f"(torch's default path: {path}; {_band(est.kernel, 'forward')})",
        ),
        (
            "your model's training step, memory",
            f"{format_bytes(mem.training)} ({_training_parts(mem)}; "
            f"{_band(est.kernel, 'training')})",
        ),
        *_training_lines(cost),
        (
            "your model's forward, time",
            f"about {format_seconds(cost.forward_seconds)}, forward + backward about "
            f"{format_seconds(cost.training_seconds)}, at {_rates_text(cost)}",
        ),
    ]


def _outputs_text(est: CostEstimate) -> str:
    """What the forward returns: a cell's h1 (and c1) are its only outputs."""
    mem = est.memory
    if est.spec.module.is_cell:
        names = "h1/c1" if est.spec.module.has_cell else "h1"
        return f"{names} {format_bytes(mem.states)}"
    return f"output {format_bytes(mem.output)} + h/c {format_bytes(mem.states)}"


def _training_lines(cost: CostReport) -> list[tuple[str, str]]:
    training = cost.training
    if training is None:
        return []
    amp = ", bfloat16 autocast" if training.amp else ""
    parts = [
        f"parameters {format_bytes(training.parameters)}",
        f"gradients {format_bytes(training.gradients)}",
        f"{training.optimizer} state {format_bytes(training.optimizer_state)}",
        f"activations {format_bytes(training.activations)}",
    ]
    if training.weight_copies:
        parts.append(f"bfloat16 weight copies {format_bytes(training.weight_copies)}")
    return [
        (
            f"your model's training step with {training.optimizer}{amp}",
            f"{format_bytes(training.total)} = {' + '.join(parts)}",
        )
    ]


def _measured_lines(cost: CostReport) -> list[tuple[str, str]]:
    est, mem, measured = cost.estimate, cost.estimate.memory, cost.measurement
    assert measured is not None
    what = f"your model's {measured.measured}"
    rows = []
    if measured.peak_forward is not None:
        small = (
            " Below about 16 MiB, pages, the allocator and oneDNN's one-time setup dominate it."
            if (measured.peak_method == CPU_PEAK_METHOD and mem.inference < 16 * 2**20)
            else ""
        )
        first = measured.peak_forward_first
        rows.append(
            (
                f"measured peak, {what}",
                f"{_spread(measured.peak_forward_runs, format_bytes)} on top of parameters "
                f"and input, after a first call of {format_bytes(first or 0)}; estimate "
                f"{format_bytes(mem.inference - mem.parameters - mem.input)} "
                f"({measured.peak_method}).{small}",
            )
        )
    if measured.peak_training is not None:
        rows.append(
            (
                "measured peak, your model's training step",
                f"{_spread(measured.peak_training_runs, format_bytes)} on top of parameters "
                f"and input; estimate "
                f"{format_bytes(mem.training - mem.parameters - mem.input)}",
            )
        )
    if measured.forward_seconds is not None:
        rows.append(
            (
                f"time, {what}",
                f"{_spread(measured.forward_times, format_seconds)} after a warm-up, "
                f"{format_flops(est.forward / measured.forward_seconds)}/s "
                f"(estimate {format_seconds(cost.forward_seconds)})",
            )
        )
    if measured.training_seconds is not None:
        rows.append(
            (
                "time, your model's training step",
                f"{_spread(measured.training_times, format_seconds)}, "
                f"{format_flops(est.training / measured.training_seconds)}/s "
                f"(estimate {format_seconds(cost.training_seconds)})",
            )
        )
    return rows


def cost_lines(cost: CostReport) -> list[tuple[str, str]]:
    """``(label, value)`` pairs shared by the table and Markdown renderers: first what
    this tool's check needs, then what the user's model needs (estimated at full size),
    then what a full-size run of the user's model measured."""
    rows = _estimate_lines(cost)
    if cost.measurement is None:
        rows.append(("measured", f"nothing: {cost.not_measured}"))
    else:
        rows += _measured_lines(cost)
    return rows


PER_LAYER_HEADER = (
    "layer",
    "direction",
    "input proj",
    "recurrent proj",
    "proj_size proj",
    "element-wise",
)


def per_layer_rows(cost: CostReport) -> list[tuple[str, str, str, str, str, str]]:
    """``(layer, direction, input proj, recurrent proj, projection, element-wise)``; a
    deep stack shows layers 0, 1 and the last, and one row for each layer between (they
    cost the same as layer 1), so the table stays short."""
    num_layers = cost.estimate.spec.module.num_layers
    layers = listed_layers(num_layers)
    rows: list[tuple[str, str, str, str, str, str]] = []
    between: list[tuple[str, str, str, str, str, str]] = []
    for c in cost.estimate.layers:
        if layers is not None and c.layer not in layers:
            continue
        row = (
            str(c.layer),
            c.direction,
            format_flops(c.input_projection),
            format_flops(c.recurrent_projection),
            format_flops(c.projection) if c.projection else "-",
            format_flops(c.elementwise),
        )
        if layers is not None and c.layer == num_layers - 1:
            rows += between
            between = []
        rows.append(row)
        if layers is not None and c.layer == 1:
            between.append((f"2 to {num_layers - 2}, each", *row[1:]))
    return rows
