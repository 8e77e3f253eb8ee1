"""The memory model's exact parts against torch's own count: what autograd keeps for
backward on the step-by-step path, read with ``torch.autograd.graph.saved_tensors_hooks``,
and the tensors alive at a training step's peak, read from the allocations torch's
profiler records."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
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
    per_step = {kind: len(units) for kind, units in cost.SAVED_TENSOR_UNITS.items()}
    cases = [(kind, 0, n) for kind, n in per_step.items()]
    cases.append(("lstm", 2, per_step["lstm"] + 1))
    for kind, proj, per_step in cases:
        sizes = {"kind": kind, "input_size": 3, "hidden_size": 4, "proj_size": proj}
        short = make_spec(**sizes, seq_len=2, dtype="float64")
        long = make_spec(**sizes, seq_len=12, dtype="float64")
        assert saved_by_torch(long)[1] - saved_by_torch(short)[1] == 10 * per_step, kind


def live_tensor_peak(spec: Any, trace: Path) -> int:
    """The most bytes of tensors alive at once during one training step on the step path
    (forward, backward, gradients set to None), from the allocations and frees torch's
    profiler records, less what existed before (the parameters and the input)."""
    torch = import_torch()
    torch.manual_seed(0)
    dtype = getattr(torch, spec.run.dtype)
    module = build_module(torch, spec.module).to(dtype)
    x = torch.randn(spec.input.seq_len, spec.input.batch, spec.module.input_size, dtype=dtype)

    def step() -> None:
        output = module(x)[0]
        output.sum().backward()
        module.zero_grad(set_to_none=True)

    with warnings.catch_warnings(), without_onednn(torch):
        warnings.simplefilter("ignore")
        step()
        activities = [torch.profiler.ProfilerActivity.CPU]
        with torch.profiler.profile(activities=activities, profile_memory=True) as profile:
            step()
    profile.export_chrome_trace(str(trace))
    events = json.loads(trace.read_text())["traceEvents"]
    changes = sorted((e["ts"], e["args"]["Bytes"]) for e in events if e.get("name") == "[memory]")
    alive = peak = 0
    for _, change in changes:
        alive += change
        peak = max(peak, alive)
    return peak


#: The fitted terms: what the measured peak holds beyond the tensors.
BEYOND_TENSORS = (
    "kept_tensors",
    "kept_rounding",
    "heap_output",
    "heap_output_more",
    "heap_hidden",
    "heap_hidden_more",
)


@settings(max_examples=12, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["lstm", "gru", "rnn"]),
            "input_size": st.integers(1, 64),
            "hidden_size": st.integers(8, 96),
            "num_layers": st.integers(1, 3),
            "bidirectional": st.booleans(),
            "batch": st.integers(1, 8),
            "seq_len": st.integers(2, 12),
        }
    ),
    st.sampled_from([0, 2, 4]),
)
def test_step_training_tensors_are_those_alive_at_torchs_peak(
    tmp_path_factory: Any, config: dict[str, Any], proj_divisor: int
) -> None:
    """The step-by-step training model without its fitted terms: the largest of its
    moments is the peak of the tensors torch allocates (within 3%, and h_0/c_0 and
    the loss, which it leaves out)."""
    proj = config["hidden_size"] // proj_divisor if proj_divisor and config["kind"] == "lstm" else 0
    _check_alive_at_peak(make_spec(**config, proj_size=proj, dtype="float64"), tmp_path_factory)


@pytest.mark.parametrize(
    "config",
    [
        # the peak at the end of the forward pass: the second direction's projection and
        # the concatenation
        {"input_size": 65, "hidden_size": 307, "batch": 4, "seq_len": 150, "proj_size": 38},
        {"input_size": 568, "hidden_size": 91, "batch": 142, "seq_len": 79, "kind": "rnn"},
        # ... at the first steps of the backward pass: W_hh's running sum, W_hr's done
        {"input_size": 88, "hidden_size": 300, "batch": 1, "seq_len": 50, "proj_size": 150},
        # ... in the second layer's backward pass
        {"input_size": 30, "hidden_size": 500, "batch": 2, "seq_len": 40, "num_layers": 2},
    ],
)
def test_step_training_tensors_at_the_grids_peaks(
    config: dict[str, Any], tmp_path_factory: Any
) -> None:
    """Configurations of the measured grids, each peaking at another moment (float32)."""
    _check_alive_at_peak(make_spec(**config, bidirectional=True), tmp_path_factory)


def _check_alive_at_peak(spec: Any, tmp_path_factory: Any) -> None:
    phases = cost.step_training_phases(spec)
    modelled = max(sum(v for n, v in p.items() if n not in BEYOND_TENSORS) for p in phases)
    torchs = live_tensor_peak(spec, tmp_path_factory.mktemp("trace") / "trace.json")
    m = spec.module
    size = cost.DTYPE_BYTES[spec.run.dtype]
    small = 3 * m.D * m.num_layers * spec.input.batch * m.hidden_size * size + 1024
    assert abs(modelled - torchs) <= 0.03 * torchs + small, (modelled, torchs)
