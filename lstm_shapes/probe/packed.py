"""Packed (variable-length) input: ``pack_padded_sequence`` -> the module ->
``pad_packed_sequence``, with every stage recorded and the packed identities verified.

Like :mod:`lstm_shapes.probe.forward`, torch is imported by the caller and passed in; nothing
returned holds a torch object.
"""

from __future__ import annotations

from typing import Any

from lstm_shapes.probe.runtime import default_state_check, max_abs_diff, run_forward, tolerance
from lstm_shapes.report.observation import VerifiedFact
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory


def step_index(spec: Spec, step: str, batch: str, half: str = "") -> str:
    """``output[b, t, :H]`` (batch_first) or ``output[t, b, :H]`` as text."""
    index = f"{batch}, {step}" if spec.module.batch_first else f"{step}, {batch}"
    return f"output[{index}{half}]"


def run_packed(
    torch: Any, spec: Spec, module: Any, x: Any
) -> tuple[dict[str, tuple[int, ...]], list[VerifiedFact]]:
    """Run ``module`` on ``x`` packed by ``spec.input.lengths``; shapes of every stage and
    the checks of design.md's fact 6."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    m = spec.module
    lengths = spec.input.lengths
    assert lengths is not None
    bf = m.batch_first
    seq_len = spec.input.seq_len
    x = x.clone()
    for b, length in enumerate(lengths):  # padding: zeros, as a real padded batch has
        if bf:
            x[b, length:] = 0
        else:
            x[length:, b] = 0
    # lengths stay on the CPU: pack_padded_sequence requires it
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    with torch.no_grad():
        packed_output, state = run_forward(module, (packed,), spec)
        hn, cn = state if m.has_cell else (state, None)
        h0 = torch.zeros_like(hn)
        c0 = torch.zeros_like(cn) if cn is not None else None
        explicit = (h0, c0) if c0 is not None else h0
        packed_zeros, _ = run_forward(module, (packed, explicit), spec)
    output, _ = pad_packed_sequence(packed_output, batch_first=bf, total_length=seq_len)
    output_zeros, _ = pad_packed_sequence(packed_zeros, batch_first=bf, total_length=seq_len)
    shapes: dict[str, tuple[int, ...]] = {
        "input": tuple(x.shape),
        "packed_input_data": tuple(packed.data.shape),
        "packed_input_batch_sizes": tuple(packed.batch_sizes.shape),
        "h0": tuple(h0.shape),
        "packed_output_data": tuple(packed_output.data.shape),
        "output": tuple(output.shape),
        "hn": tuple(hn.shape),
    }
    if cn is not None and c0 is not None:
        shapes["c0"] = tuple(c0.shape)
        shapes["cn"] = tuple(cn.shape)
    return shapes, _checks(spec, packed, output, hn, output_zeros)


def _checks(spec: Spec, packed: Any, output: Any, hn: Any, output_zeros: Any) -> list[VerifiedFact]:
    m = spec.module
    lengths = spec.input.lengths
    assert lengths is not None
    tol = tolerance(spec.run.dtype)
    H = m.H_out
    bf = m.batch_first

    def at(b: int, t: int) -> Any:
        return output[b, t] if bf else output[t, b]

    checks = []
    expected_sizes = theory.batch_sizes(lengths)
    actual_sizes = [int(v) for v in packed.batch_sizes.tolist()]
    checks.append(
        VerifiedFact(
            "packed-batch-sizes",
            f"packed.batch_sizes == {expected_sizes}: at step t, the number of sequences "
            "longer than t",
            actual_sizes == expected_sizes,
        )
    )
    forward_row = -2 if m.D == 2 else -1
    half = f", :{H}" if m.D == 2 else ""
    diff = max(
        max_abs_diff(hn[forward_row, b], at(b, length - 1)[:H]) for b, length in enumerate(lengths)
    )
    checks.append(
        VerifiedFact(
            "packed-hn-last-real-step",
            f"hn[{forward_row}][b] == {step_index(spec, 'lengths[b]-1', 'b', half)} for every "
            "sequence b: the forward direction ends at each sequence's last real step",
            diff <= tol,
            diff,
        )
    )
    short = [b for b, length in enumerate(lengths) if length < spec.input.seq_len]
    dead_relu = m.kind == "rnn" and m.nonlinearity == "relu"
    diff = min((max_abs_diff(hn[forward_row, b], at(b, -1)[:H]) for b in short), default=0.0)
    # as in probe._checks: a dead ReLU unit is zero everywhere, the padded end included
    if short and not (dead_relu and diff == 0.0):
        checks.append(
            VerifiedFact(
                "packed-hn-not-padded-end",
                f"hn[{forward_row}][b] != {step_index(spec, '-1', 'b', half)} for the "
                f"{len(short)} sequence(s) shorter than L={spec.input.seq_len}: "
                "the padded end is not the last step",
                diff > tol,
                diff,
            )
        )
    if m.D == 2:
        expr = theory.step_expr(spec, 0, "backward")
        diff = max_abs_diff(hn[-1], eval(expr, {}, {"output": output}))
        checks.append(
            VerifiedFact(
                "packed-hn-backward-first-step",
                f"hn[-1] == {expr}: the backward direction starts at each sequence's last "
                "real step and ends at t=0",
                diff <= tol,
                diff,
            )
        )
    padding = 0.0
    for b, length in enumerate(lengths):
        tail = output[b, length:] if bf else output[length:, b]
        if tail.numel():
            padding = max(padding, float(tail.abs().max().item()))
    checks.append(
        VerifiedFact(
            "packed-padding-zeros",
            f"{step_index(spec, 't', 'b')} == 0 for every t >= lengths[b]: "
            "pad_packed_sequence fills the padded steps with zeros",
            padding == 0.0,
            padding,
        )
    )
    checks.append(default_state_check(spec, output, output_zeros))
    return checks
