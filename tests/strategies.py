"""Hypothesis strategies for valid specs covering every option of `explain`."""

from __future__ import annotations

from hypothesis import strategies as st

from lstm_shapes.spec.core import Spec, make_spec


@st.composite
def specs(draw: st.DrawFn, *, kinds: tuple[str, ...] = ("lstm", "gru", "rnn")) -> Spec:
    kind = draw(st.sampled_from(kinds))
    hidden_size = draw(st.integers(1, 12))
    proj_size = draw(st.integers(0, hidden_size - 1)) if kind == "lstm" and hidden_size > 1 else 0
    unbatched = draw(st.booleans())
    return make_spec(
        kind=kind,
        nonlinearity=draw(st.sampled_from(("tanh", "relu"))) if kind == "rnn" else "tanh",
        input_size=draw(st.integers(1, 12)),
        hidden_size=hidden_size,
        num_layers=draw(st.integers(1, 3)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        dropout=draw(st.sampled_from((0.0, 0.25, 1.0))),
        bidirectional=draw(st.booleans()),
        proj_size=proj_size,
        batch=None if unbatched else draw(st.integers(1, 5)),
        seq_len=draw(st.integers(1, 6)),
        unbatched=unbatched,
        device="cpu",
        dtype=draw(st.sampled_from(("float32", "float64", "bfloat16", "float16"))),
        seed=draw(st.integers(0, 2**16)),
    )


@st.composite
def cell_specs(
    draw: st.DrawFn, *, kinds: tuple[str, ...] = ("lstmcell", "grucell", "rnncell")
) -> Spec:
    """A cell takes only sizes, bias, the RNN cell's nonlinearity and one step's input."""
    kind = draw(st.sampled_from(kinds))
    unbatched = draw(st.booleans())
    return make_spec(
        kind=kind,
        nonlinearity=draw(st.sampled_from(("tanh", "relu"))) if kind == "rnncell" else "tanh",
        input_size=draw(st.integers(1, 12)),
        hidden_size=draw(st.integers(1, 12)),
        bias=draw(st.booleans()),
        batch=None if unbatched else draw(st.integers(1, 5)),
        unbatched=unbatched,
        device="cpu",
        dtype=draw(st.sampled_from(("float32", "float64", "bfloat16", "float16"))),
        seed=draw(st.integers(0, 2**16)),
    )
