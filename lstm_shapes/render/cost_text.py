"""The words and figures of ``--cost`` and of a reduced run, shared by the table and
Markdown renderers. No rich, no torch."""

from __future__ import annotations

from collections.abc import Sequence

from lstm_shapes.report.cost import CPU_PEAK_METHOD, CostReport
from lstm_shapes.report.explain import Report
from lstm_shapes.spec.units import format_bytes, format_flops, format_seconds


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
        "(D by column). --full forces full runs."
    )


def cost_lines(cost: CostReport) -> list[tuple[str, str]]:
    """``(label, value)`` pairs shared by the table and Markdown renderers."""
    est, mem, measured = cost.estimate, cost.estimate.memory, cost.measurement
    rows = [
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
            "memory, inference",
            f"{format_bytes(mem.inference)} = parameters {format_bytes(mem.parameters)} + "
            f"input {format_bytes(mem.input)} + output {format_bytes(mem.output)} + "
            f"h/c {format_bytes(mem.states)} + workspace {format_bytes(mem.workspace)}",
        ),
        (
            "memory, training",
            f"{format_bytes(mem.training)} (keeps {format_bytes(mem.saved_for_backward)} "
            f"for backward, gradients {format_bytes(mem.gradients)})",
        ),
    ]
    if measured is not None and measured.peak_forward is not None:
        small = (
            " Below about 16 MiB, pages, the allocator and oneDNN's one-time setup dominate it."
            if (measured.peak_method == CPU_PEAK_METHOD and mem.inference < 16 * 2**20)
            else ""
        )
        rows.append(
            (
                "measured peak, forward",
                f"{format_bytes(measured.peak_forward)} vs estimate "
                f"{format_bytes(mem.inference)} ({measured.peak_method}).{small}",
            )
        )
    if measured is not None and measured.peak_training is not None:
        rows.append(
            (
                "measured peak, training",
                f"{format_bytes(measured.peak_training)} on top of parameters and input, "
                f"vs estimate {format_bytes(mem.training - mem.parameters - mem.input)}",
            )
        )
    if measured is not None and measured.forward_seconds is not None:
        rows.append(
            (
                "time, forward",
                f"{format_seconds(measured.forward_seconds)} median of {measured.runs} runs "
                f"after a warm-up, {format_flops(est.forward / measured.forward_seconds)}/s "
                f"(estimate {format_seconds(est.forward_seconds())})",
            )
        )
    if measured is not None and measured.training_seconds is not None:
        rows.append(
            (
                "time, forward + backward",
                f"{format_seconds(measured.training_seconds)} median of {measured.runs} runs, "
                f"{format_flops(est.training / measured.training_seconds)}/s",
            )
        )
    if measured is None:
        rows.append(("measured", f"nothing: {cost.not_measured}"))
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
    """``(layer, direction, input proj, recurrent proj, projection, element-wise)``."""
    return [
        (
            str(c.layer),
            c.direction,
            format_flops(c.input_projection),
            format_flops(c.recurrent_projection),
            format_flops(c.projection) if c.projection else "-",
            format_flops(c.elementwise),
        )
        for c in cost.estimate.layers
    ]
