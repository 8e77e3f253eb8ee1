"""Property tests of ``check`` against real torch, on shapes not written down anywhere:
lstm-shapes predicts torch's verdict, explains every rejection, and every fix it suggests
makes torch accept the tensors."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_shapes.probe.runtime import build_module, without_onednn
from lstm_shapes.report.check import check
from lstm_shapes.spec.core import make_spec


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    kind = draw(st.sampled_from(["lstm", "lstm", "gru", "rnn"]))
    hidden = draw(st.integers(2, 6))
    module: dict[str, Any] = {
        "kind": kind,
        "input_size": draw(st.integers(1, 5)),
        "hidden_size": hidden,
        "num_layers": draw(st.integers(1, 3)),
        "batch_first": draw(st.booleans()),
        "bidirectional": draw(st.booleans()),
    }
    if kind == "lstm" and draw(st.booleans()):
        module["proj_size"] = draw(st.integers(1, hidden - 1))
    spec = make_spec(**module)
    m = spec.module
    n, seq = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sizes = st.sampled_from(sorted({n, seq, m.input_size, m.H_out, m.H_cell, 1, 2, 3}))
    rows = st.sampled_from(sorted({m.num_layers, m.D * m.num_layers, n, 1}))
    base = (n, seq, m.input_size) if m.batch_first else (seq, n, m.input_size)
    input_shape = draw(
        st.one_of(
            st.just(base),
            st.lists(sizes, min_size=1, max_size=4).map(tuple),
            st.just(base[1:]),
            st.just((*base, 1)),
        )
    )
    given: dict[str, Any] = {"input_shape": input_shape}
    state = st.one_of(
        st.tuples(rows, st.just(n), st.sampled_from([m.H_out, m.H_cell])),
        st.tuples(rows, sizes, sizes),
        st.tuples(st.just(n), rows, sizes),
        st.tuples(rows, sizes),
    )
    if draw(st.booleans()):
        given["h0_shape"] = draw(state)
    if m.has_cell and draw(st.booleans()):
        given["c0_shape"] = draw(state)
    if draw(st.integers(0, 4)) == 0:
        given["input_dtype"] = "int64"
    stated = draw(st.sampled_from(["nothing", "batch", "seq_len", "unbatched"]))
    if stated == "batch":
        module["batch"] = n
    elif stated == "seq_len":
        module["seq_len"] = seq
    elif stated == "unbatched":
        module["unbatched"] = True
    return module, given


@st.composite
def cell_cases(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A cell's shapes, right and wrong: sequences, nn.LSTM-style states, other batches."""
    kind = draw(st.sampled_from(["lstmcell", "grucell", "rnncell"]))
    module: dict[str, Any] = {
        "kind": kind,
        "input_size": draw(st.integers(1, 5)),
        "hidden_size": draw(st.integers(2, 6)),
    }
    m = make_spec(**module).module
    n, seq = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sizes = st.sampled_from(sorted({n, seq, m.input_size, m.hidden_size, 1, 2}))
    input_shape = draw(
        st.one_of(
            st.just((n, m.input_size)),
            st.just((m.input_size,)),
            st.just((seq, n, m.input_size)),
            st.lists(sizes, min_size=1, max_size=4).map(tuple),
        )
    )
    given: dict[str, Any] = {"input_shape": input_shape}
    state = st.one_of(
        st.tuples(st.just(n), st.just(m.hidden_size)),
        st.tuples(st.just(1), st.just(n), st.just(m.hidden_size)),
        st.tuples(sizes, sizes),
        st.tuples(sizes),
    )
    if draw(st.booleans()):
        given["h0_shape"] = draw(state)
    if m.has_cell and draw(st.booleans()):
        given["c0_shape"] = draw(state)
    if draw(st.integers(0, 4)) == 0:
        given["input_dtype"] = "int64"
    stated = draw(st.sampled_from(["nothing", "batch", "unbatched"]))
    if stated == "batch":
        module["batch"] = n
    elif stated == "unbatched":
        module["unbatched"] = True
    return module, given


def _state_for(module: Any, x: Any, ns: dict[str, Any], names: set[str]) -> Any:
    if not names:
        return None
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        h0, c0 = ns.get("h0"), ns.get("c0")
        if h0 is None:
            h_out = getattr(module, "proj_size", 0) or module.hidden_size
            h0 = torch.zeros((*c0.shape[:-1], h_out))
        if c0 is None:
            c0 = torch.zeros((*h0.shape[:-1], module.hidden_size))
        return (h0, c0)
    return ns["h0"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(cases())
def test_check_predicts_torch_and_its_fixes_work(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _check_and_fix(*case)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(cell_cases())
def test_check_of_a_cell_predicts_torch_and_its_fixes_work(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _check_and_fix(*case)


def _check_and_fix(module_args: dict[str, Any], given_args: dict[str, Any]) -> None:
    result = check(**given_args, **module_args)  # InconsistencyError if we mispredict torch
    if result.passed:
        return
    assert result.diagnosis is not None and result.diagnosis.problems
    if result.torch_error is None and result.not_run is None:
        assert any(p.silent for p in result.diagnosis.problems)
    fix = [line for p in result.diagnosis.problems for line in p.fix]
    if not fix:
        return
    spec = make_spec(**module_args)
    var = spec.module.kind
    ns: dict[str, Any] = {"torch": torch, "nn": nn, var: build_module(torch, spec.module)}
    if given_args.get("input_dtype") == "int64":
        ns["x"] = torch.randint(0, 9, given_args["input_shape"])
        ns["vocab_size"] = 9
    else:
        ns["x"] = torch.randn(given_args["input_shape"])
    names = set()
    for name in ("h0", "c0"):
        if f"{name}_shape" in given_args:
            ns[name] = torch.zeros(given_args[f"{name}_shape"])
            names.add(name)
    exec("\n".join(fix), ns)
    module = ns[var]
    state = _state_for(module, ns["x"], ns, names)
    with torch.no_grad(), without_onednn(torch):
        module(ns["x"]) if state is None else module(ns["x"], state)
