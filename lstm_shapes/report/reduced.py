"""Any size answered at once: the reduced probe's configuration and its report.

Above the budget (:mod:`lstm_shapes.theory.budget`) the probe runs a *reduced* configuration
with the same structure (``num_layers``, ``bidirectional``, ``batch_first``, ``bias``,
``proj_size > 0``, unbatched or packed) at small sizes. Theory is checked against that run,
and the report gives the full-size shapes from the verified theory, labelled as such.
No torch import here.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from lstm_shapes.report.explain import Report, build_report, code_for, notes_for
from lstm_shapes.report.observation import Observation, VerifiedFact
from lstm_shapes.spec.core import InputSpec, Spec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.budget import Decision
from lstm_shapes.theory.cost import CostEstimate

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
