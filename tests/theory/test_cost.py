"""The cost model against torch: parameter counts, FlopCounterMode's matmul FLOPs, and the
budget's messages word for word."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes.errors import SpecError
from lstm_shapes.spec import units
from lstm_shapes.spec.core import Spec, make_spec
from lstm_shapes.theory import budget, cost
from tests.strategies import cell_specs

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from lstm_shapes.probe.runtime import build_module  # noqa: E402

QUICK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw: Callable[..., Any], *, stepwise: bool = False) -> Spec:
    """Small random specs; ``stepwise`` keeps to what torch runs step by step on the CPU
    (GRU, RNN, LSTM with proj_size or in float64), where FlopCounterMode sees the matmuls."""
    kind = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    hidden = draw(st.integers(2, 9))
    proj = draw(st.integers(0, hidden - 1)) if kind == "lstm" else 0
    dtype = "float32"
    if stepwise and kind == "lstm" and proj == 0:
        dtype = "float64"
    unbatched = draw(st.booleans())
    return make_spec(
        kind=kind,
        input_size=draw(st.integers(1, 9)),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, 3)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        proj_size=proj,
        batch=None if unbatched else draw(st.integers(1, 4)),
        seq_len=draw(st.integers(1, 5)),
        unbatched=unbatched,
        dtype=dtype,
        device="cpu",
    )


def _module_and_input(spec: Spec) -> tuple[Any, Any]:
    from lstm_shapes.theory import shapes as theory

    dtype = getattr(torch, spec.run.dtype)
    module = build_module(torch, spec.module).to(dtype=dtype)
    x = torch.randn(theory.tensor_shapes(spec)["input"].shape, dtype=dtype)
    return module, x


@QUICK
@given(specs())
def test_parameter_count_and_bytes_equal_torch(spec: Spec) -> None:
    module, _ = _module_and_input(spec)
    estimate = cost.estimate(spec)
    assert estimate.parameter_count == sum(p.numel() for p in module.parameters())
    assert estimate.parameter_bytes == sum(
        p.numel() * p.element_size() for p in module.parameters()
    )


@QUICK
@given(specs(stepwise=True))
def test_matmul_flops_equal_flop_counter_on_the_stepwise_path(spec: Spec) -> None:
    module, x = _module_and_input(spec)
    estimate = cost.estimate(spec)
    assert not estimate.fused
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad(), FlopCounterMode(display=False) as forward:
            module(x)
        with FlopCounterMode(display=False) as training:
            output, _ = module(x)
            output.sum().backward()
    assert forward.get_total_flops() == estimate.forward_matmul
    assert training.get_total_flops() == estimate.training_matmul


@QUICK
@given(cell_specs())
def test_a_cells_step_costs_what_flop_counter_counts(spec: Spec) -> None:
    """One step of a cell: its parameters, and its matmuls forward and backward."""
    module, x = _module_and_input(spec)
    estimate = cost.estimate(spec)
    assert estimate.parameter_count == sum(p.numel() for p in module.parameters())
    assert not estimate.fused and estimate.steps == 1
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        module(x)
    with FlopCounterMode(display=False) as training:
        state = module(x)
        (state[0] if isinstance(state, tuple) else state).sum().backward()
    assert forward.get_total_flops() == estimate.forward_matmul
    assert training.get_total_flops() == estimate.training_matmul


def test_the_fused_cpu_lstm_is_invisible_to_flop_counter() -> None:
    """Why the report says which path ran: torch counts 0 for the oneDNN kernel."""
    spec = make_spec(input_size=5, hidden_size=7, batch=2, seq_len=3, device="cpu")
    module, x = _module_and_input(spec)
    assert cost.estimate(spec).fused
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(x)
    assert counter.get_total_flops() == 0
    assert cost.estimate(spec).forward_matmul == 2 * 3 * 2 * 4 * 7 * (5 + 7)


def test_flops_per_layer_and_direction_by_hand() -> None:
    spec = make_spec(
        input_size=10, hidden_size=20, num_layers=2, bidirectional=True, proj_size=5, batch=3
    )
    layers = cost.estimate(spec).layers
    assert [(c.layer, c.direction, c.in_features) for c in layers] == [
        (0, "forward", 10),
        (0, "backward", 10),
        (1, "forward", 10),
        (1, "backward", 10),
    ]
    tokens = 3 * 7  # N*L
    assert layers[0].input_projection == 2 * tokens * 80 * 10
    assert layers[0].recurrent_projection == 2 * tokens * 80 * 5
    assert layers[0].projection == 2 * tokens * 5 * 20
    assert layers[0].elementwise == tokens * (13 + 8) * 20


def test_memory_parts_by_hand() -> None:
    spec = make_spec(input_size=10, hidden_size=20, batch=3, seq_len=7, dtype="float64")
    mem = cost.estimate(spec).memory
    assert mem.parameters == (80 * 10 + 80 * 20 + 80 + 80) * 8
    assert mem.input == 3 * 7 * 10 * 8
    assert mem.output == 3 * 7 * 20 * 8
    assert mem.states == 1 * 3 * (20 + 20) * 8
    assert mem.inference == mem.parameters + mem.input + mem.output + mem.states + mem.workspace


@QUICK
@given(
    st.sampled_from(["lstm", "gru", "rnn"]),
    st.integers(1, 3),
    st.booleans(),
    st.integers(1, 200),
    st.integers(4, 1200),
    st.integers(1, 40),
)
def test_training_memory_is_the_modelled_peak_on_top_of_parameters_and_input(
    kind: str, layers: int, bidirectional: bool, batch: int, hidden: int, steps: int
) -> None:
    """Whether the training step peaks in its backward pass (gradients alive) or in its
    forward pass (none yet: an RNN with a short sequence and a large batch), the total is
    the parameters, the input and the modelled peak, but never below what the forward pass
    holds; a peak in the forward pass is a moment without gradients."""
    spec = make_spec(kind=kind, num_layers=layers, bidirectional=bidirectional, batch=batch,
                     input_size=31, hidden_size=hidden, seq_len=steps)  # fmt: skip
    mem = cost.estimate(spec).memory
    path = "fused" if cost.kernel(spec) == "onednn" else "step-by-step"
    moments = cost.phases_for(spec, path, "training")
    peak = cost.modelled_peak(moments, path, "training")
    forward_side = mem.output + 2 * mem.states + mem.workspace
    assert mem.training == mem.parameters + mem.input + max(peak, forward_side)
    assert mem.training >= mem.inference
    assert 0 <= mem.freed_before_peak <= mem.gradients
    at_peak = cost.largest_phase(moments, path, "training")
    grads_at_peak = at_peak.get("grads", 0) + at_peak.get("grads_above", 0)
    assert not (mem.peak_in_forward and grads_at_peak)
    sgd = cost.training_memory(spec, "sgd")
    assert sgd.total == mem.training


def test_a_training_step_that_peaks_before_its_gradients_exist() -> None:
    """The measured case (held-out seed 98): 42.6 MiB for the forward pass and for the
    training step alike; the gradients (10.3 MiB) come after the peak. The estimate is
    the forward's (the training step never holds less), +5%."""
    spec = make_spec(kind="rnn", input_size=31, hidden_size=1143, batch=114, seq_len=12,
                     bidirectional=True)  # fmt: skip
    mem = cost.estimate(spec).memory
    assert mem.peak_in_forward
    assert mem.training == mem.inference + mem.states
    assert 1.0 < (mem.training - mem.parameters - mem.input) / (42.6 * 2**20) < 1.08
    adam = cost.training_memory(spec, "adam")
    assert adam.gradients == 0  # none at the peak
    assert adam.total == mem.training + adam.optimizer_state


def test_a_fused_step_whose_workspace_is_freed_before_its_peak() -> None:
    """oneDNN's training model peaks in the backward pass (every moment has gradients),
    below the forward's workspace and the gradients added up: not a forward-pass peak."""
    spec = make_spec(input_size=139, hidden_size=1408, num_layers=3, batch=5, seq_len=19)
    mem = cost.estimate(spec).memory
    assert mem.freed_before_peak > 0
    assert not mem.peak_in_forward


@QUICK
@given(
    st.sampled_from(["lstm", "gru", "rnn"]),
    st.integers(3, 9),
    st.booleans(),
    st.integers(1, 40),
    st.integers(4, 300),
    st.booleans(),
)
def test_step_training_walks_only_the_layers_that_can_peak(
    kind: str, layers: int, bidirectional: bool, batch: int, hidden: int, proj: bool
) -> None:
    """Layers above the first are alike, so a moment's bytes change evenly from one to the
    next: walking layers 0, 1 and the top two finds the same peak as walking them all."""
    proj_size = hidden // 4 if kind == "lstm" and proj else 0
    sizes = {"input_size": 7, "hidden_size": hidden, "proj_size": proj_size, "seq_len": 5}
    spec = make_spec(kind=kind, num_layers=layers, bidirectional=bidirectional, batch=batch,
                     **sizes)  # fmt: skip
    walked = cost.step_training_phases(spec)
    every = cost.step_training_phases(spec, every_layer=True)
    assert len(walked) < len(every) or layers <= 4
    peak = cost.modelled_peak(walked, "step-by-step", "training")
    assert peak == cost.modelled_peak(every, "step-by-step", "training")


def test_fused_training_phases_walk_the_backward_pass_by_hand() -> None:
    """One moment per layer: at layer 0 every gradient exists and only layer 0 still keeps
    its gates; at the top layer its gradients alone exist and every layer keeps them."""
    spec = make_spec(input_size=10, hidden_size=20, num_layers=3, bidirectional=True,
                     batch=3, seq_len=7)  # fmt: skip
    phases = cost.fused_training_phases(spec)
    assert len(phases) == 3
    tokens, size = 3 * 7, 4
    layer0 = 80 * (10 + 20 + 2)  # one direction: W_ih, W_hh and the two biases
    upper = 80 * (40 + 20 + 2)
    assert phases[0]["grads_above"] == cost.parameter_count(spec.module) * size
    assert phases[0]["grads_above"] == 2 * (layer0 + 2 * upper) * size
    assert phases[2]["grads_above"] == 2 * upper * size
    weights = [p["layer_weights_bidirectional"] for p in phases]
    assert weights == [layer0 * size, upper * size, upper * size]
    inputs = [tokens * 10 * size, tokens * 40 * size, tokens * 40 * size]
    assert [p["layer_input_both"] for p in phases] == [2 * n for n in inputs]
    gates = [p["kept_gates_bidirectional"] for p in phases]
    assert gates == [tokens * 2 * 80 * k * size for k in (1, 2, 3)]
    assert all(p["layer_weights"] == p["kept_gates"] == 0 for p in phases)
    # (7 steps + 1) x 3 sequences, as wide as max(10, 20) -> 32, then max(40, 20) -> 48
    diff_states = [p["layer_diff_states"] for p in phases]
    assert diff_states == [24 * 32 * size, 24 * 48 * size, 24 * 48 * size]


def test_fused_training_phases_keep_one_direction_apart() -> None:
    """A unidirectional stack has the plain terms; the bidirectional ones are 0."""
    spec = make_spec(input_size=10, hidden_size=20, num_layers=2, batch=3, seq_len=7)
    phases = cost.fused_training_phases(spec)
    assert [p["layer_weights"] for p in phases] == [80 * 32 * 4, 80 * 42 * 4]
    assert [p["kept_gates"] for p in phases] == [21 * 80 * k * 4 for k in (1, 2)]
    assert all(p["layer_weights_bidirectional"] == p["kept_gates_bidirectional"] == 0
               for p in phases)  # fmt: skip


def test_step_training_phases_walk_forward_and_backward_by_hand() -> None:
    """Forward: each layer and direction, then a bidirectional layer's concatenation. Backward,
    from the top layer down and one direction after the other: its first steps (two steps'
    gradients of W_hh and b_hh and their sum), the stack of its gate gradients, then the
    gradients of its input and of W_ih."""
    spec = make_spec(input_size=10, hidden_size=20, num_layers=2, bidirectional=True,
                     batch=3, seq_len=7)  # fmt: skip
    phases = cost.step_training_phases(spec)
    tokens, size = 3 * 7, 4
    assert len(phases) == 2 * 3 + 2 * 2 * 3
    everything = cost.saved_for_backward(spec) * size
    kept, tensors, _ = cost.kept_per_direction(spec)
    assert kept == tokens * 7 * 20  # the gates, c, tanh(c) and h of every step
    assert tensors == 4
    # the end of the forward pass: everything kept, and the two stacks and their concatenation
    assert phases[5]["saved"] == everything
    assert phases[5]["stacked"] == 4 * tokens * 20 * size
    assert phases[5]["output"] == 0  # the concatenation is the output
    # the first steps of the top layer's backward pass
    first = phases[6]
    assert first["saved"] == everything - (kept - kept * 5 // 7) * size  # its last two steps done
    assert first["accumulation"] == 3 * (80 * 20 + 80) * size
    assert first["grads"] == 0
    assert first["output"] == tokens * 40 * size
    assert first["kept_tensors"] == (7 * 3 + 5) * tensors * 1024  # 3 directions and 5 steps
    # the top layer's second direction: the first's input gradient waits
    assert phases[9]["input_grads"] == tokens * 40 * size
    assert phases[9]["grads"] == 80 * (40 + 20 + 2) * size
    # layer 0 gets the gradient of layer 1's input; its input needs none
    last = phases[-1]
    assert last["saved"] == 0
    assert last["grads"] == cost.parameter_count(spec.module) * size
    assert last["input_grads"] == 0
    assert phases[12]["incoming"] == tokens * 40 * size
    assert phases[13]["incoming"] == tokens * 40 * size  # the second direction still needs it
    assert phases[16]["incoming"] == 0  # its steps are done: freed
    assert last["incoming"] == 0  # freed with the last direction's steps


@pytest.mark.parametrize(
    ("columns", "ld"),
    [
        (100, 112),
        (139, 144),
        (200, 208),
        (1000, 1008),
        (1408, 1408),
        (1024, 1040),
        (2048, 2064),
    ],
)
def test_good_leading_dimension_is_onednns(columns: int, ld: int) -> None:
    assert cost.good_leading_dimension(columns) == ld


def test_fused_backward_copies_only_the_gradients_onednn_lays_out_itself() -> None:
    # strace of the backward pass: layer 0 (139 inputs) copies W_ih's gradient (5632 x
    # 144), not W_hh's (1408 columns are a good leading dimension already); layers 1 and
    # 2 copy neither; a 1024 x 2048 layer copies both, padded to 1040 and 2064
    spec = make_spec(input_size=139, hidden_size=1408, num_layers=3, batch=5, seq_len=19)
    phases = cost.fused_training_phases(spec)
    assert [p["layer_reordered_gradients"] for p in phases] == [5632 * 144 * 4, 0, 0]
    wide = make_spec(input_size=1024, hidden_size=2048, batch=16, seq_len=50)
    reordered = cost.fused_training_phases(wide)[0]["layer_reordered_gradients"]
    assert reordered == 8192 * (1040 + 2064) * 4


def test_heap_terms_count_only_steps_whose_tensors_come_from_the_heap() -> None:
    # h is N*H_out: 6 * 159 * 4 bytes = 3816 (the heap); 7 * 159 * 4 = 4452 (a mapping)
    small = make_spec(input_size=34, hidden_size=159, batch=6, seq_len=10, kind="rnn")
    large = make_spec(input_size=34, hidden_size=159, batch=7, seq_len=10, kind="rnn")
    assert cost.MAPPED_BYTES == 4 * 1024
    assert cost.heap_terms(small)["heap_output"] == 6 * 10 * 159 * 4
    assert cost.heap_terms(small)["heap_hidden"] == 6 * 10 * 159 * 4
    assert cost.heap_terms(large)["heap_output"] == 0
    assert cost.heap_terms(large)["heap_hidden"] == 0
    # with proj_size the kept h is N*proj_size, the temporaries N*H
    proj = make_spec(input_size=8, hidden_size=256, proj_size=16, batch=60, seq_len=10)
    assert cost.heap_terms(proj)["heap_output"] == 60 * 10 * 16 * 4
    assert cost.heap_terms(proj)["heap_hidden"] == 0  # 60 * 256 * 4 = 60 KiB


def test_fused_forward_phases_walk_the_calls_by_hand() -> None:
    """torch calls oneDNN once per layer and direction (mkldnn_rnn); T = N*L = 15 tokens."""
    spec = make_spec(
        input_size=21, hidden_size=100, num_layers=2, bidirectional=True, batch=3, seq_len=5
    )
    phases = cost.fused_forward_phases(spec)
    assert len(phases) == 7  # 4 calls, 2 concatenations, the end
    zero = 2 * 4 * 3 * 100  # h_0 and c_0 of 4 layer-directions
    common = {"batch_first_input": 0, "gates_scratch": 3 * 400}  # a step's 4H gates, N rows
    first_reverse = {
        **common,
        "outputs_alive": 15 * 100,  # the left-to-right output
        "call_output": 15 * 100,
        "weights_copy": 400 * (21 + 100),
        "cell_states": (5 + 1) * 3 * 100,
        # its rows are good_leading_dimension(max(21, 100)) = 112 long: input and h copied
        "reverse_copies": 15 * (112 + 112),
        "states": zero + 2 * 2 * 300,  # h_n and c_n of the two calls so far
    }
    assert phases[1] == {name: value * 4 for name, value in first_reverse.items()}
    upper_reverse = {
        **common,
        # layer 1's input (2H wide), layer 0's reverse output not yet replaced, layer 1's
        # left-to-right output
        "outputs_alive": 15 * 200 + 15 * 100 + 15 * 100,
        "call_output": 15 * 100,
        "weights_copy": 400 * (200 + 100),
        "cell_states": (5 + 1) * 3 * 100,
        "reverse_copies": 15 * (208 + 208),  # good_leading_dimension(200) = 208
        "states": zero + 2 * 4 * 300,
    }
    assert phases[4] == {name: value * 4 for name, value in upper_reverse.items()}
    concatenation = {**common, "outputs_alive": 15 * 200 + 2 * 15 * 200, "states": zero + 2400}
    assert {n: v for n, v in phases[5].items() if v} == {
        name: value * 4 for name, value in concatenation.items() if value
    }
    assert phases[6]["outputs_alive"] == 15 * 200 * 4 and phases[6]["states"] == 3 * zero * 4


def test_step_forward_phases_walk_the_layers_by_hand() -> None:
    """torch's FullBidirectionalLayer on the CPU; T = N*L = 15 tokens, float32."""
    spec = make_spec(
        input_size=10, hidden_size=100, num_layers=2, bidirectional=True, batch=3, seq_len=5,
        kind="gru",
    )  # fmt: skip
    phases = cost.step_forward_phases(spec)
    assert len(phases) == 4  # per layer: both projections alive, then the concatenation
    step = 3 * 100 * 4  # a step's h: 1200 bytes, below 4 KiB, so a heap block of its size
    common = {"step_temporaries": 3 * 300 * 4 + 3 * step}
    assert phases[0] == {
        **common,
        "upper_input": 0,
        "states": 2 * 2 * 3 * 100 * 4,  # h_0 of 2 layers and 2 directions
        "input_projections": 2 * 15 * 300 * 4,
        "kept_steps": 5 * step,
        "stacked_outputs": 15 * 100 * 4,
    }
    assert phases[3] == {
        **common,
        "upper_input": 15 * 200 * 4,
        "states": 3 * 2 * 3 * 100 * 4,  # ... and layer 0's final h
        "input_projections": 15 * 300 * 4,
        "kept_steps": 2 * 5 * step,
        "stacked_outputs": 4 * 15 * 100 * 4,  # two stacked, their concatenation (2H wide)
    }


def test_a_tensor_of_4_kib_or_more_is_counted_in_whole_pages() -> None:
    assert cost.MAPPED_BYTES == 4096
    assert cost.mapped_bytes(3000) == 3000
    assert cost.mapped_bytes(3968) == 4096  # with malloc's header and the alignment
    assert cost.mapped_bytes(4096) == 8192
    assert cost.mapped_bytes(100_000) == 25 * 4096


def test_a_single_sequence_keeps_the_gates_of_every_step_on_the_fused_path() -> None:
    one = make_spec(input_size=128, hidden_size=256, batch=1, seq_len=400)
    two = make_spec(input_size=128, hidden_size=256, batch=2, seq_len=400)
    # oneDNN's merged layer GEMM (mb <= 1): every step's 4H gates, rows of 1040 (not 1024)
    assert cost.fused_forward_phases(one)[0]["gates_scratch"] == 400 * 1040 * 4
    assert cost.fused_forward_phases(two)[0]["gates_scratch"] == 2 * 1040 * 4
    # measured on the forward (eval, no grad): 3.8 MiB for one sequence, 3.0 MiB for two
    fwd = {n: cost.memory(s).inference - cost.memory(s).parameters for n, s in ((1, one), (2, two))}
    assert fwd[1] > fwd[2]


def test_a_batch_first_input_is_copied_time_major() -> None:
    first = make_spec(input_size=256, hidden_size=512, batch=64, seq_len=200, batch_first=True)
    plain = make_spec(input_size=256, hidden_size=512, batch=64, seq_len=200)
    one = make_spec(input_size=256, hidden_size=512, batch=1, seq_len=200, batch_first=True)
    copy = 64 * 200 * 256 * 4  # measured: 12.4 MiB more, forward and training
    assert cost.memory(first).inference - cost.memory(plain).inference == copy
    assert cost.memory(first).training - cost.memory(plain).training == copy
    assert cost.memory_terms(one)["batch_first_input"] == 0  # transposed, still contiguous


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512MiB", 512 * 1024**2),
        ("2GiB", 2 * 1024**3),
        ("2 gib", 2 * 1024**3),
        ("1.5GB", 1_500_000_000),
        ("1e9", 1_000_000_000),
        ("4096", 4096),
        ("1KiB", 1024),
        (1, 1),
    ],
)
def test_parse_memory_accepts(text: object, size: int) -> None:
    assert budget.parse_memory(text) == size


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "'0'"),
        ("lots", "'lots'"),
        ("-1GiB", "'-1GiB'"),
        ("3 parsecs", "'3 parsecs'"),
        ("1e999", "'1e999'"),
        ("", "''"),
        (0, "0"),
        (True, "True"),
    ],
)
def test_parse_memory_rejects_word_for_word(value: object, shown: str) -> None:
    with pytest.raises(SpecError) as error:
        budget.parse_memory(value)
    assert str(error.value) == (
        "--max-memory must be a size greater than 0, e.g. 512MiB, 2GiB, 1.5GB or 1e9 "
        f"(bytes) (got {shown})"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "2G",
            "--max-memory has no unit 'G': write GB (powers of 1000) or GiB (powers of 1024), "
            "e.g. 2GiB (got '2G')",
        ),
        (
            "0.5",
            "--max-memory must be at least 1 byte: a number without a unit counts bytes, "
            "e.g. 512MiB, 2GiB or 1e9 (got '0.5')",
        ),
    ],
)
def test_parse_memory_says_which_units_and_forms(value: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        budget.parse_memory(value)
    assert str(error.value) == message


@pytest.mark.parametrize("value", ["0", "lots"])
def test_cli_bad_budget_exits_2_with_one_line(cli: Callable[..., Any], value: str) -> None:
    result = cli("explain", "-i", "10", "-H", "20", "--max-memory", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "lstm-shapes: error: --max-memory must be a size greater than 0, e.g. 512MiB, 2GiB, "
        f"1.5GB or 1e9 (bytes) (got '{value}')\n"
    )


def test_default_budget_is_2_gib_or_half_the_free_memory() -> None:
    gib = 1024**3
    assert budget.default_budget(64 * gib).max_memory == 2 * gib
    assert budget.default_budget(3 * gib).max_memory == 3 * gib // 2
    assert budget.default_budget(None).max_memory == 2 * gib
    assert budget.default_budget(3 * gib, "VRAM").memory_source == (
        "the smaller of 2 GiB and half the free VRAM"
    )


def test_available_ram_reads_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 42 kB\n")
    assert budget.available_ram(meminfo) == 42 * 1024
    assert budget.available_ram(tmp_path / "missing") is None


BIG = make_spec(
    input_size=4096,
    hidden_size=8192,
    num_layers=4,
    bidirectional=True,
    batch=512,
    seq_len=100_000,
)


def test_decide_reduces_over_memory_and_over_time() -> None:
    gib = 1024**3
    over_memory = budget.decide(cost.estimate(BIG), budget.default_budget(64 * gib))
    assert over_memory.mode == "reduced"
    assert over_memory.reason.endswith(
        "over the memory budget of 2 GiB (the smaller of 2 GiB and half the free RAM)"
    )
    long = make_spec(input_size=1, hidden_size=1, seq_len=200_000, kind="gru")
    over_time = budget.decide(cost.estimate(long), budget.default_budget(64 * gib))
    assert over_time.mode == "reduced"
    assert over_time.reason.endswith("over the time budget of about 1 s")
    small = make_spec(input_size=10, hidden_size=20)
    assert budget.decide(cost.estimate(small), budget.default_budget(64 * gib)).mode == "full"


def test_full_still_refuses_what_cannot_fit_word_for_word() -> None:
    estimate = cost.estimate(BIG)
    with pytest.raises(SpecError) as error:
        budget.decide(estimate, budget.default_budget(16 * 1024**3), full=True)
    assert str(error.value) == (
        "--full would need about 22.1 TiB but only 16 GiB is free; drop --full to get the "
        "reduced probe"
    )


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * 1024**3, "3 GiB")],
)
def test_format_bytes(count: int, text: str) -> None:
    assert units.format_bytes(count) == text


@pytest.mark.parametrize(
    ("count", "text"), [(999, "999 FLOP"), (2.5e9, "2.5 GFLOP"), (5.77e17, "577 PFLOP")]
)
def test_format_flops(count: float, text: str) -> None:
    assert units.format_flops(count) == text


def test_packed_input_costs_only_its_real_steps() -> None:
    padded = make_spec(input_size=5, hidden_size=7, batch=3, seq_len=7)
    packed = make_spec(input_size=5, hidden_size=7, lengths="7,4,2")
    assert cost.estimate(packed).forward_matmul * 21 == cost.estimate(padded).forward_matmul * 13


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5e-7, "0.5 µs"),
        (0.0021, "2.1 ms"),
        (3.0, "3 s"),
        (600.0, "10 min"),
        (7200.0, "2 h"),
        (86400.0 * 3, "3 days"),
        (86400.0 * 365.25 * 4.57, "4.57 years"),
        (86400.0 * 365.25 * 12345, "12,345 years"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert units.format_seconds(seconds) == text


@pytest.mark.parametrize(("optimizer", "states"), [("sgd", 0), ("adam", 2), ("adamw", 2)])
def test_training_memory_counts_the_optimizer_state(optimizer: str, states: int) -> None:
    spec = make_spec(input_size=10, hidden_size=20, num_layers=2)
    params = 4 * cost.parameter_count(spec.module)
    training = cost.training_memory(spec, optimizer)
    assert training.optimizer_state == states * params
    assert training.parameters == training.gradients == params
    assert training.total == 2 * params + states * params + training.activations


def test_amp_keeps_activations_in_bfloat16_and_copies_the_weights() -> None:
    spec = make_spec(input_size=10, hidden_size=20, batch=8, seq_len=30)
    plain, amp = cost.training_memory(spec), cost.training_memory(spec, amp=True)
    assert amp.activations == plain.activations // 2
    assert amp.weight_copies == 2 * cost.parameter_count(spec.module)
    assert amp.parameters == plain.parameters  # the float32 master weights stay
