"""Worked examples and exercises: what torch printed agrees with theory's predictions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes.probe.worked import packed_lengths, run_worked
from lstm_shapes.report.teaching import fmt_shape
from lstm_shapes.spec.core import Spec, make_spec
from lstm_shapes.theory import shapes as theory


@st.composite
def teaching_specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(("lstm", "gru", "rnn")))
    return make_spec(
        kind=kind,
        input_size=draw(st.integers(1, 6)),
        hidden_size=draw(st.integers(1, 6)),
        num_layers=draw(st.integers(1, 3)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        batch=draw(st.integers(1, 4)),
        seq_len=draw(st.integers(1, 9)),
        device="cpu",
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(teaching_specs())
def test_worked_examples_match_theory(spec: Spec) -> None:
    worked, exercises, packed = run_worked(spec)
    by_id = {w.id: dict(w.shapes) for w in worked}
    unbatched = replace(spec, input=replace(spec.input, unbatched=True))
    predicted = theory.tensor_shapes(unbatched)
    for name in ("output", "hn"):
        assert by_id["unbatched"][name] == fmt_shape(predicted[name].shape)
    if spec.module.kind == "lstm" and spec.module.hidden_size > 1:
        assert dict(by_id["proj"])["cn"].endswith(f"{spec.module.hidden_size})")
    assert packed.lengths == packed_lengths(spec)
    assert sum(packed.batch_sizes) == sum(packed.lengths)
    answers = {e.key: e.answer for e in exercises}
    full = theory.tensor_shapes(spec)
    assert answers["ex.output"] == fmt_shape(full["output"].shape)
    assert answers["ex.hn"] == fmt_shape(full["hn"].shape)
    assert answers["ex.in_features"] == str(spec.module.D * spec.module.H_out)
    assert len(exercises) >= 9


def test_exercises_for_the_handout_example() -> None:
    spec = make_spec(
        input_size=10, hidden_size=20, num_layers=2, batch_first=True, bidirectional=True
    )
    _, exercises, packed = run_worked(spec)
    answers = {e.key: e.answer for e in exercises}
    assert answers == {
        "ex.output": "(3, 7, 40)",
        "ex.hn": "(4, 3, 20)",
        "ex.cn": "(4, 3, 20)",
        "ex.last": "(3, 40)",
        "ex.in_features": "40",
        "ex.backward": "output[:, 0, 20:]",
        "ex.params": "15,040",
        "ex.weight_ih_l1": "(80, 40)",
        "ex.flip": "(7, 3, 40)",
        "ex.unbatched": "(4, 20)",
        "ex.proj": "(4, 3, 10), (4, 3, 20)",
        "ex.packed": "output[1, 4, :20]",
        "ex.cn_holds": "(4, 3, 20)",
    }
    assert packed.lengths == (7, 5, 3) and packed.batch_sizes == (3, 3, 3, 2, 2, 1, 1)
