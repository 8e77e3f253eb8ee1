"""Every diagnosis of `check`: the message word for word (golden files under
tests/golden/diagnose/), and every suggested fix applied with real torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from lstm_shapes.probe.runtime import build_module, without_onednn
from lstm_shapes.render.check import check_message
from lstm_shapes.render.diagnosis import problem_sentences
from lstm_shapes.report.check import check, spec_from_module
from lstm_shapes.spec.core import INTEGER_DTYPES, ModuleSpec, make_spec, parse_shape
from lstm_shapes.theory.diagnosis import (
    Given,
    LayerContext,
    Problem,
    diagnose,
    diagnose_failure,
    torch_accepts,
)

BF2 = dict(input_size=10, hidden_size=20, num_layers=2, batch_first=True, bidirectional=True)
CASES = {
    "input-features": (BF2, dict(input_shape="3,7,12")),
    "input-conv1d-layout": (
        dict(input_size=10, hidden_size=20, batch_first=True),
        dict(input_shape="3,10,7"),
    ),
    "h0-c0-num-layers": (BF2, dict(input_shape="3,7,10", h0_shape="2,3,20", c0_shape="2,3,20")),
    "h0-c0-batch-first": (BF2, dict(input_shape="3,7,10", h0_shape="3,4,20", c0_shape="3,4,20")),
    "h0-c0-stale-batch": (BF2, dict(input_shape="2,7,10", h0_shape="4,3,20", c0_shape="4,3,20")),
    "proj-size": (
        dict(input_size=10, hidden_size=20, proj_size=5),
        dict(input_shape="7,3,10", h0_shape="1,3,20", c0_shape="1,3,5"),
    ),
    "input-rank-1": (dict(input_size=10, hidden_size=20), dict(input_shape="10")),
    "input-rank-1-one-feature": (dict(input_size=1, hidden_size=20), dict(input_shape="7")),
    "input-rank-4": (
        dict(input_size=10, hidden_size=20, batch_first=True),
        dict(input_shape="3,7,10,1"),
    ),
    "input-rank-4-flatten": (
        dict(input_size=32, hidden_size=20, batch_first=True),
        dict(input_shape="3,7,4,8"),
    ),
    "unbatched-input-batched-h0": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="7,10", h0_shape="1,3,20"),
    ),
    "unbatched-input-h0-batch-of-one": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="7,10", h0_shape="1,1,20", c0_shape="1,1,20"),
    ),
    "one-step-for-a-batch": (
        dict(input_size=10, hidden_size=20, batch_first=True),
        dict(input_shape="3,10", h0_shape="1,3,20", c0_shape="1,3,20"),
    ),
    "batched-input-unbatched-h0": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="7,3,10", h0_shape="1,20", c0_shape="1,20"),
    ),
    "token-ids": (
        dict(input_size=10, hidden_size=20, batch_first=True),
        dict(input_shape="3,7", input_dtype="int64"),
    ),
    "token-ids-unbatched": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="7", input_dtype="int64"),
    ),
    "input-float64": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="7,3,10", input_dtype="float64"),
    ),
    "silent-batch-read-as-length": (
        dict(input_size=10, hidden_size=20, batch=3),
        dict(input_shape="3,7,10"),
    ),
    "layout-from-h0": (
        dict(input_size=10, hidden_size=20),
        dict(input_shape="3,7,10", h0_shape="1,3,20"),
    ),
    "silent-seq-len-read-as-batch": (
        dict(input_size=10, hidden_size=20, batch_first=True, seq_len=7),
        dict(input_shape="7,3,10"),
    ),
    "silent-batch-nowhere": (
        dict(input_size=10, hidden_size=20, batch=5),
        dict(input_shape="7,3,10"),
    ),
    "silent-unbatched-step": (
        dict(input_size=10, hidden_size=20, batch_first=True, batch=3),
        dict(input_shape="3,10"),
    ),
    "token-ids-trailing-one": (
        dict(input_size=10, hidden_size=20, batch_first=True),
        dict(input_shape="3,7,1", input_dtype="int64"),
    ),
    "silent-unbatched-read-as-batch": (
        dict(input_size=10, hidden_size=20, batch_first=True, unbatched=True),
        dict(input_shape="1,7,10"),
    ),
    "cell-h0-c0-layers": (
        dict(input_size=10, hidden_size=20, kind="lstmcell"),
        dict(input_shape="3,10", h0_shape="1,3,20", c0_shape="1,3,20"),
    ),
    "cell-sequence-input": (
        dict(input_size=10, hidden_size=20, kind="grucell"),
        dict(input_shape="7,3,10", h0_shape="3,20"),
    ),
    "cell-h0-stale-batch": (
        dict(input_size=10, hidden_size=20, kind="rnncell"),
        dict(input_shape="3,10", h0_shape="32,20"),
    ),
    "cell-token-ids": (
        dict(input_size=10, hidden_size=20, kind="lstmcell"),
        dict(input_shape="3", input_dtype="int64"),
    ),
    # torch 2.13 crashes on these (a cell's state of the other rank): judged without torch
    "cell-state-rank-not-run": (
        dict(input_size=3, hidden_size=2, kind="lstmcell"),
        dict(input_shape="3", h0_shape="2,2", c0_shape="2,2"),
    ),
    "gru-h0-num-layers": (
        dict(input_size=10, hidden_size=20, kind="gru", num_layers=2, bidirectional=True),
        dict(input_shape="7,3,10", h0_shape="2,3,20"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_diagnosis_message(case: str, golden: Callable[[str, str], None]) -> None:
    module, given = CASES[case]
    result = check(**given, **module)
    assert not result.passed
    golden(f"diagnose/{case}.txt", check_message(result))


def _apply_fix(module: dict[str, Any], given: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """Build the user's module and tensors, run the suggested fix, and return the module
    and namespace after it."""
    spec = make_spec(**module)
    result = check(**given, **module)
    assert result.diagnosis is not None
    torch.manual_seed(0)
    var = spec.module.kind
    namespace: dict[str, Any] = {"torch": torch, "nn": nn, var: build_module(torch, spec.module)}
    shape = parse_shape("--input-shape", given["input_shape"])
    dtype = given.get("input_dtype", "float32")
    if dtype in INTEGER_DTYPES:
        namespace["x"] = torch.randint(0, 50, shape, dtype=getattr(torch, dtype))
        namespace["vocab_size"] = 50
    else:
        namespace["x"] = torch.randn(shape, dtype=getattr(torch, dtype))
    for name in ("h0", "c0"):
        if f"{name}_shape" in given:
            namespace[name] = torch.zeros(parse_shape(name, given[f"{name}_shape"]))
    fix = [line for p in result.diagnosis.problems for line in p.fix]
    assert fix, "every diagnosis here suggests a fix"
    exec("\n".join(fix), namespace)
    return namespace[var], namespace


FIXABLE = sorted(set(CASES) - {"silent-batch-nowhere"})


@pytest.mark.parametrize("case", FIXABLE)
def test_fix_works_with_real_torch(case: str) -> None:
    module_args, given = CASES[case]
    module, ns = _apply_fix(module_args, given)
    x = ns["x"]
    state: Any = None
    if "h0" in ns or "c0" in ns:
        h0 = ns.get("h0")
        if isinstance(module, (nn.LSTM, nn.LSTMCell)):
            rows, *rest = h0.shape if h0 is not None else ns["c0"].shape
            c_shape = (rows, *rest[:-1], module.hidden_size)
            c0 = ns.get("c0", torch.zeros(c_shape))
            if h0 is None:
                h_out = getattr(module, "proj_size", 0) or module.hidden_size
                h0 = torch.zeros((*c0.shape[:-1], h_out))
            state = (h0, c0)
        else:
            state = h0
    with without_onednn(torch):  # no oneDNN warning for proj_size
        result = module(x) if state is None else module(x, state)  # torch accepts the fix
    if isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell)):
        spec = spec_from_module(module)
        fixed = Given(
            tuple(x.shape),
            h0=tuple(state[0].shape) if isinstance(state, tuple) else None,
            c0=tuple(state[1].shape) if isinstance(state, tuple) else None,
            input_dtype=str(x.dtype).removeprefix("torch."),
        )
        assert diagnose(spec.module, fixed, spec.run.dtype).problems == ()
        return
    output, _ = result
    # ... and lstm-shapes finds nothing left to fix, with what the user said about the data
    spec = spec_from_module(module)
    fixed = Given(
        tuple(x.shape),
        h0=tuple(state[0].shape) if isinstance(state, tuple) else None,
        c0=tuple(state[1].shape) if isinstance(state, tuple) else None,
        input_dtype=str(x.dtype).removeprefix("torch."),
        batch=module_args.get("batch"),
        seq_len=module_args.get("seq_len"),
    )
    if state is not None and not isinstance(state, tuple):
        fixed = Given(fixed.input, h0=tuple(state.shape), input_dtype=fixed.input_dtype)
    diagnosis = diagnose(spec.module, fixed, spec.run.dtype)
    assert diagnosis.problems == ()
    if "batch" in module_args:
        n_dim = 0 if module.batch_first else 1
        assert output.shape[n_dim] == module_args["batch"]
    if "seq_len" in module_args:
        l_dim = 1 if module.batch_first else 0
        assert output.shape[l_dim] == module_args["seq_len"]


def test_token_ids_fix_is_not_model_to_int64() -> None:
    """torch's own message suggests model.to(torch.int64); that cannot run an LSTM."""
    module, given = CASES["token-ids"]
    result = check(**given, **module)
    assert result.torch_error is not None and "model.to(torch.int64)" in result.torch_error
    fix = "\n".join(result.diagnosis.problems[0].fix) if result.diagnosis else ""
    assert "nn.Embedding(num_embeddings=vocab_size, embedding_dim=10)" in fix
    assert "model.to" not in fix
    with pytest.raises(TypeError, match="only accepts floating point"):
        nn.LSTM(10, 20, batch_first=True).to(torch.int64)


def test_torch_message_is_verbatim() -> None:
    module, given = CASES["h0-c0-num-layers"]
    result = check(**given, **module)
    assert result.torch_error == "RuntimeError: Expected hidden[0] size (4, 3, 20), got [2, 3, 20]"
    assert check_message(result).splitlines()[:2] == [
        "torch rejected these shapes:",
        "    RuntimeError: Expected hidden[0] size (4, 3, 20), got [2, 3, 20]",
    ]
    assert "  N=3 L=7 H_in=10 D=2 num_layers=2 H_out=20 H_cell=20" in check_message(result)


def test_accepted_shapes_pass_and_explain() -> None:
    result = check(
        input_size=10,
        hidden_size=20,
        num_layers=2,
        bidirectional=True,
        input_shape="7,3,10",
        h0_shape="4,3,20",
        c0_shape="4,3,20",
        batch=3,
    )
    assert result.passed and result.report is not None
    assert result.report.tensors["output"].shape == (7, 3, 40)
    assert result.spec.input.batch == 3 and result.spec.input.seq_len == 7


def test_big_input_is_judged_without_allocating_it() -> None:
    """4e9 elements: torch's verdict does not depend on L, so it is fed with L=1."""
    result = check(
        input_size=10,
        hidden_size=20,
        num_layers=2,
        bidirectional=True,
        input_shape="100000,4000,10",
        h0_shape="2,4000,20",
    )
    assert result.torch_error == (
        "RuntimeError: Expected hidden[0] size (4, 4000, 20), got [2, 4000, 20]"
    )
    rank = check(input_size=10, hidden_size=20, input_shape="100000,4000,10,5")
    assert rank.torch_error == "ValueError: LSTM: Expected input to be 2D or 3D, got 4D instead"


# --- trace: the same diagnosis, for the layer a user's model failed in ---------------------

BI = ModuleSpec(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)


def layer(m: ModuleSpec = BI, **shapes: tuple[int, ...]) -> LayerContext:
    return LayerContext("enc", m, **shapes)


def ids(problems: tuple[Problem, ...]) -> list[str]:
    return [p.id for p in problems]


def test_a_failing_layer_gets_checks_diagnosis() -> None:
    """The shapes the layer was given, not torch's message, decide: as in `check`."""
    for given, kwargs in (
        (dict(input_shape=(7, 3, 12)), dict(input_shape="7,3,12")),
        (dict(input_shape=(7, 3, 10), h0_shape=(2, 3, 20), c0_shape=(2, 3, 20)),
         dict(input_shape="7,3,10", h0_shape="2,3,20", c0_shape="2,3,20")),
    ):  # fmt: skip
        problems = diagnose_failure("any message", layer(**given))
        result = check(input_size=10, hidden_size=20, num_layers=2, bidirectional=True, **kwargs)
        assert result.diagnosis is not None and problems == result.diagnosis.problems


def test_trace_diagnoses_word_for_word() -> None:
    message = "input.size(-1) must be equal to input_size. Expected 10, got 7"
    assert problem_sentences(diagnose_failure(message, layer(input_shape=(3, 10, 7)))) == [
        "input dim 2 (H_in) is 7, but input_size is 10: input must be (L, N, H_in) with H_in=10.",
        "the features (H_in=10) are in dim 1: the layout (N, H_in, L) of nn.Conv1d, not the "
        "(time, features) layout an nn.LSTM reads; move them last. Fix: x = x.permute(2, 0, 1)",
    ]
    given = dict(input_shape=(7, 3, 10), h0_shape=(2, 3, 20), c0_shape=(4, 3, 20))
    problems = diagnose_failure("x", layer(**given))
    assert problems[0].why == (
        "dim 0 is num_layers = 2, but must be D*num_layers = 2*2 = 4: bidirectional=True gives "
        "every layer two directions, each with its own row."
    )
    gru = ModuleSpec(input_size=10, hidden_size=20, kind="gru", batch_first=True)
    (problem,) = diagnose_failure("x", layer(gru, input_shape=(17, 5, 10), h0_shape=(1, 32, 20)))
    assert problem.fix == (
        "h0 = torch.zeros(1, x.size(0), 20, device=x.device)  # (D*num_layers, N, H_out)",
    )
    projected = ModuleSpec(input_size=10, hidden_size=20, proj_size=5)
    given = dict(input_shape=(7, 3, 10), h0_shape=(1, 3, 5), c0_shape=(1, 3, 5))
    (problem,) = diagnose_failure("x", layer(projected, **given))
    assert problem.why == (
        "dim 2 is proj_size = 5, but c0 ends in H_cell = hidden_size = 20: only h is projected."
    )


def test_trace_diagnoses_rank_packing_and_unknown_messages() -> None:
    assert ids(diagnose_failure("x", layer(input_shape=(2, 3, 4, 10)))) == [
        "input-rank",
        "input-features",
    ]
    given = dict(input_shape=(7, 3, 10), h0_shape=(4, 20), c0_shape=(4, 20))
    assert ids(diagnose_failure("x", layer(**given))) == ["h0-rank", "c0-rank"]
    # a PackedSequence is diagnosed as the padded batch it stands for: N = batch_sizes[0]
    packed = layer(input_shape=(9, 10), h0_shape=(4, 2, 20), c0_shape=(4, 3, 20),
                   batch_sizes=(3, 3, 2, 1))  # fmt: skip
    assert ids(diagnose_failure("x", packed)) == ["h0-shape"]
    assert diagnose_failure("CUDA out of memory", layer(input_shape=(7, 3, 10))) == ()
    assert diagnose_failure("mat1 and mat2 shapes cannot be multiplied (3x4 and 5x6)", None) == ()
    assert ids(
        diagnose_failure("Expected tensor for argument #1 'indices' ... embedding", None)
    ) == ["input-float-ids"]


def test_the_state_in_the_wrong_form() -> None:
    gru = ModuleSpec(input_size=3, hidden_size=4, kind="gru")
    given = dict(input_shape=(5, 2, 3), h0_shape=(1, 2, 4), c0_shape=(1, 2, 4))
    assert ids(diagnose_failure("x", layer(gru, **given))) == ["state-tuple"]
    lstm = ModuleSpec(input_size=3, hidden_size=4)
    (problem,) = diagnose_failure("x", layer(lstm, input_shape=(5, 2, 3), h0_shape=(1, 2, 4)))
    assert problem.id == "state-not-tuple"
    assert not torch_accepts(lstm, Given((5, 2, 3), h0=(1, 2, 4), h0_alone=True), "float32")


def test_a_failing_cell_gets_the_cell_rules() -> None:
    """trace will hook cells (issue 11): the diagnosis already knows them."""
    cell = ModuleSpec(input_size=10, hidden_size=20, kind="lstmcell")
    given = dict(input_shape=(3, 10), h0_shape=(1, 3, 20), c0_shape=(1, 3, 20))
    assert ids(diagnose_failure("x", layer(cell, **given))) == ["h0-layers", "c0-layers"]
    (alone,) = diagnose_failure("x", layer(cell, input_shape=(3, 10), h0_shape=(3, 20)))
    assert alone.fix == ("h1, c1 = lstmcell(x, (h0, c0))  # c0: (N, H); or lstmcell(x): zeros",)
    gru = ModuleSpec(input_size=10, hidden_size=20, kind="grucell")
    assert ids(diagnose_failure("x", layer(gru, input_shape=(7, 3, 10)))) == ["input-rank"]
