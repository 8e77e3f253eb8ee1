"""The same sizes under the four combinations of ``batch_first`` x ``bidirectional``."""

from __future__ import annotations

from dataclasses import replace

from lstm_shapes.errors import SpecError
from lstm_shapes.report.explain import Report
from lstm_shapes.spec.core import Spec

#: (batch_first, bidirectional), the baseline first.
COMBINATIONS = ((False, False), (True, False), (False, True), (True, True))


def rules(spec: Spec) -> tuple[str, ...]:
    """What each switch does, one line each, in this module's tensor names."""
    state = "h0/c0/hn/cn" if spec.module.has_cell else "h0/hn"
    if spec.input.unbatched:
        batch_first = (
            "batch_first has no effect on an unbatched input (L, H_in): there is no N to move."
        )
    else:
        batch_first = (
            f"batch_first=True swaps N and L in input and output only; {state} never move."
        )
    return (
        batch_first,
        "bidirectional=True doubles output's last dimension (D*H_out) and the first "
        f"dimension of {state} (D*num_layers).",
        "Neither changes a parameter's shape, except that bidirectional adds the _reverse "
        "set and widens weight_ih of every layer above the first to D*H_out columns.",
    )


def variant_label(spec: Spec) -> str:
    m = spec.module
    return f"batch_first={m.batch_first}, bidirectional={m.bidirectional}"


def variant_specs(spec: Spec) -> list[Spec]:
    m = spec.module
    if m.is_cell:
        raise SpecError(
            f"--kind {m.kind} has no variants: batch_first and bidirectional do not apply to "
            f"nn.{m.class_name}, which takes one time step (see: lstm-shapes explain --kind "
            f"{m.kind})"
        )
    return [
        replace(spec, module=replace(spec.module, batch_first=bf, bidirectional=bi))
        for bf, bi in COMBINATIONS
    ]


def variants(spec: Spec, *, max_memory: object = None, max_time: object = None) -> list[Report]:
    """Run all four variants for real and return their reports, baseline first; each
    within the budget (``max_memory``, ``max_time``), else reduced."""
    from lstm_shapes.api import explain

    return [explain(s, max_memory=max_memory, max_time=max_time) for s in variant_specs(spec)]


def changed_dims(baseline: Report, report: Report, name: str) -> list[bool]:
    """For each dimension of ``name`` in ``report``: does it differ from the baseline's
    (in symbol or in size)?"""
    base = baseline.tensors[name].dims
    dims = report.tensors[name].dims
    return [
        k >= len(base) or dim.symbol != base[k].symbol or dim.size != base[k].size
        for k, dim in enumerate(dims)
    ]
