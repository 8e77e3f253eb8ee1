"""Any size answered at once: the reduced probe, and the cost report of ``--cost``.

Above the budget (:mod:`lstm_shapes.theory.budget`) the probe runs a *reduced* configuration with
the same structure (``num_layers``, ``bidirectional``, ``batch_first``, ``bias``,
``proj_size > 0``, unbatched or packed) at small sizes. Theory is checked against that run,
and the report gives the full-size shapes from the verified theory, labelled as such.
No torch import here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lstm_shapes.report.explain import Report, build_report, code_for, notes_for
from lstm_shapes.report.observation import Observation, VerifiedFact
from lstm_shapes.spec.core import InputSpec, Spec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.budget import Budget, Decision
from lstm_shapes.theory.cost import CostEstimate, format_bytes, format_flops, format_seconds

if TYPE_CHECKING:
    from lstm_shapes.probe.measure import Measurement

#: How lstm_shapes.probe.measure measures the CPU peak (defined here, where reports read it).
CPU_PEAK_METHOD = (
    "rise of the process's peak RSS (malloc_trim, then VmHWM reset via /proc/self/clear_refs)"
)

#: The small sizes of the reduced probe: distinct, so a swapped dimension cannot hide.
REDUCED_INPUT_SIZE = 5
REDUCED_HIDDEN_SIZE = 7
REDUCED_PROJ_SIZE = 3
REDUCED_BATCH = 3
REDUCED_SEQ_LEN = 4
#: Deeper stacks are probed with 3 layers: the first, a middle one and the last differ.
REDUCED_MAX_LAYERS = 8


def listed_layers(num_layers: int) -> list[int] | None:
    """The layers whose parameters a reduced report lists: all (None) up to
    :data:`REDUCED_MAX_LAYERS`, else the first, the second and the last (every layer
    above the first has the same parameters), so a deep stack's report stays short."""
    if num_layers <= REDUCED_MAX_LAYERS:
        return None
    return [0, 1, num_layers - 1]


def reduced_spec(spec: Spec) -> Spec:
    """The same structure at small sizes; every size only ever shrinks."""
    m = spec.module
    hidden = min(m.hidden_size, REDUCED_HIDDEN_SIZE)
    proj = min(m.proj_size, REDUCED_PROJ_SIZE, hidden - 1) if m.proj_size else 0
    layers = m.num_layers if m.num_layers <= REDUCED_MAX_LAYERS else 3
    module = replace(
        m,
        input_size=min(m.input_size, REDUCED_INPUT_SIZE),
        hidden_size=hidden,
        proj_size=proj,
        num_layers=layers,
    )
    seq_len = min(spec.input.seq_len, REDUCED_SEQ_LEN)
    batch = min(spec.input.batch, REDUCED_BATCH)
    lengths = spec.input.lengths
    if lengths is not None:
        # keep the pattern of the first sequences: which are shorter, which are full
        scale = seq_len / spec.input.seq_len
        lengths = tuple(max(1, min(seq_len, math.ceil(n * scale))) for n in lengths[:batch])
    return replace(
        spec,
        module=module,
        input=InputSpec(
            batch=batch,
            seq_len=seq_len,
            unbatched=spec.input.unbatched,
            lengths=lengths,
        ),
    )


def full_size_estimate(estimate: CostEstimate, decision: Decision) -> dict[str, Any]:
    """What a full run would need, for ``run.full_size_estimate`` in JSON."""
    mem = estimate.memory
    return {
        "memory_bytes": decision.memory,
        "seconds": round(decision.seconds, 3),
        "parameter_count": estimate.parameter_count,
        "parameter_bytes": estimate.parameter_bytes,
        "forward_flops": estimate.forward,
        "forward_backward_flops": estimate.training,
        "inference_bytes": mem.inference,
        "training_bytes": mem.training,
    }


def reduced_report(
    spec: Spec, observation: Observation, estimate: CostEstimate, decision: Decision
) -> Report:
    """The full-size report from theory, verified by ``observation`` of
    :func:`reduced_spec` (raises InconsistencyError when theory and torch disagree)."""
    small = reduced_spec(spec)
    verified = build_report(small, observation)
    predicted = theory.tensor_shapes(spec)
    verified_check = VerifiedFact(
        "theory-matches-reduced-run",
        f"theory's shapes and parameter names equal torch's on the reduced run "
        f"({small.sizes_line()})",
        True,
    )
    checks = [verified_check] + [
        replace(c, statement=f"{c.statement} (reduced run)") for c in verified.checks
    ]
    note = (
        f"Reduced run: {decision.reason}. torch ran the same structure at "
        f"{small.sizes_line()}; the shapes above are theory at full size, verified by that run."
    )
    run = replace(
        verified.run,
        mode="reduced",
        reason=decision.reason,
        full_size_estimate=full_size_estimate(estimate, decision),
        reduced_sizes=small.sizes_line(),
    )
    tensors = {name: replace(verified.tensors[name], dims=t.dims) for name, t in predicted.items()}
    layers = listed_layers(spec.module.num_layers)
    notes = [*notes_for(spec, observation.torch_warnings), note]
    if layers is not None:
        last = spec.module.num_layers - 1
        run = replace(run, parameters_elided=(2, last - 1))
        notes.append(
            f"Parameters: layers 2 to {last - 1} are not listed; each has the same "
            "parameters as layer 1 (the count above includes them)."
        )
    return replace(
        verified,
        spec=spec,
        run=run,
        tensors=tensors,
        parameters=theory.parameter_shapes(spec.module, layers),
        parameter_count=theory.parameter_count(spec.module),
        checks=checks,
        notes=notes,
        code=code_for(spec, observation.device),
    )


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


@dataclass(frozen=True)
class CostReport:
    """``explain --cost``: the estimate, the budget decision and, when the run was full
    size, what was measured."""

    estimate: CostEstimate
    budget: Budget
    decision: Decision
    measurement: Measurement | None
    not_measured: str | None = None

    @property
    def flop_counter_note(self) -> str:
        """What FlopCounterMode's count means for this path."""
        m = self.measurement
        if m is None:
            return f"not measured: {self.not_measured}"
        predicted = self.estimate.forward_matmul
        if m.flop_counter_forward == 0 and predicted > 0:
            return (
                "torch counted 0: the forward ran as one fused kernel (oneDNN on the CPU, "
                "cuDNN on CUDA), which FlopCounterMode cannot see into; the matmul FLOPs "
                "here are from the model only"
            )
        if m.flop_counter_forward == predicted:
            return "torch counted the step-by-step matmuls (aten.addmm/mm): equal to the model"
        return (
            f"torch counted {m.flop_counter_forward:,} matmul FLOPs, the model "
            f"{predicted:,}: they differ"
        )

    def as_dict(self) -> dict[str, Any]:
        data = self.estimate.as_dict()
        data["budget"] = self.budget.as_dict()
        data["decision"] = {
            "mode": self.decision.mode,
            "reason": self.decision.reason,
            "probe_memory_bytes": self.decision.memory,
            "probe_seconds": round(self.decision.seconds, 6),
        }
        data["measured"] = self.measurement.as_dict() if self.measurement else None
        data["flop_counter"] = self.flop_counter_note
        if self.not_measured:
            data["not_measured"] = self.not_measured
        return data


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
