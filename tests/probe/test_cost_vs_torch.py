"""The memory model's exact parts against torch's own count: what autograd keeps for
backward on the step-by-step path, read with ``torch.autograd.graph.saved_tensors_hooks``."""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_shapes.probe.runtime import build_module, import_torch, without_onednn
from lstm_shapes.spec.core import make_spec
from lstm_shapes.theory import cost

configurations = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["lstm", "gru", "rnn"]),
        "input_size": st.integers(1, 12),
        "hidden_size": st.integers(2, 12),
        "num_layers": st.integers(1, 3),
        "bidirectional": st.booleans(),
        "batch": st.integers(1, 4),
        "seq_len": st.integers(1, 6),
    }
)


def saved_by_torch(spec: Any) -> tuple[int, int]:
    """Elements and tensors autograd saves in one training forward on the step path, less
    the parameters and the input (which exist before the call)."""
    torch = import_torch()
    torch.manual_seed(0)
    module = build_module(torch, spec.module).double()
    x = torch.randn(spec.input.seq_len, spec.input.batch, spec.module.input_size).double()
    storages: dict[int, int] = {}
    tensors = 0

    def pack(tensor: Any) -> Any:
        nonlocal tensors
        tensors += 1
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes() // 8
        return tensor

    with warnings.catch_warnings(), without_onednn(torch):
        warnings.simplefilter("ignore")
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            module(x)
    existing = {p.untyped_storage().data_ptr() for p in module.parameters()}
    existing.add(x.untyped_storage().data_ptr())
    elements = sum(n for ptr, n in storages.items() if ptr not in existing)
    return elements, len(storages)


@settings(max_examples=40, deadline=None)
@given(configurations, st.integers(0, 4))
def test_saved_for_backward_equals_torchs_saved_tensors(config: dict[str, Any], proj: int) -> None:
    if config["kind"] != "lstm" or proj >= config["hidden_size"]:
        proj = 0
    spec = make_spec(**config, proj_size=proj, dtype="float64")
    elements, _ = saved_by_torch(spec)
    assert cost.saved_for_backward(spec) == elements


def test_saved_tensors_per_step_are_torchs() -> None:
    cases = [(kind, 0, n) for kind, n in cost.SAVED_TENSORS_PER_STEP.items()]
    cases.append(("lstm", 2, cost.SAVED_TENSORS_PER_STEP["lstm"] + 1))
    for kind, proj, per_step in cases:
        sizes = {"kind": kind, "input_size": 3, "hidden_size": 4, "proj_size": proj}
        short = make_spec(**sizes, seq_len=2, dtype="float64")
        long = make_spec(**sizes, seq_len=12, dtype="float64")
        assert saved_by_torch(long)[1] - saved_by_torch(short)[1] == 10 * per_step, kind
