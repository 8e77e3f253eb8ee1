"""The budget decision: reduced or refused, and the words for each. Pure: no torch."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import make_spec
from lstm_shapes.theory import budget, cost
from lstm_shapes.theory import shapes as theory

GIB = 1024**3


def test_max_time_sets_the_time_budget_and_says_so() -> None:
    spec = make_spec(input_size=10, hidden_size=20)
    limits = budget.make_budget(None, 1e-6, 64 * GIB)
    assert (limits.max_memory, limits.max_seconds, limits.time_source) == (
        2 * GIB,
        1e-6,
        "--max-time",
    )
    _, decision = budget.plan(spec, limits)
    assert (decision.mode, decision.over) == ("reduced", "time")
    assert decision.reason.endswith("over the time budget of 1 µs (--max-time)")
    default = budget.make_budget(GIB, None, None)
    assert (default.max_memory, default.memory_source, default.max_seconds) == (
        GIB,
        "--max-memory",
        budget.MAX_SECONDS,
    )


def test_too_large_names_the_budget_it_is_over_word_for_word() -> None:
    limits = budget.make_budget(GIB, 2.0, None)
    over_memory = budget.too_large(3 * GIB, 10.0, limits, "why")
    assert (
        str(over_memory)
        == "too large: needs about 3 GiB, over the budget 1 GiB (--max-memory); why"
    )
    over_time = budget.too_large(GIB, 150.0, limits, "why")
    assert str(over_time) == "too large: needs about 2.5 min, over the budget 2 s (--max-time); why"
    assert budget.too_large(GIB, 2.0, limits, "why") is None


def test_require_full_refuses_a_reduced_decision_only() -> None:
    limits = budget.make_budget(GIB, None, None)
    budget.require_full(budget.Decision("full", "", 2 * GIB, 9.0), limits, "why")
    with pytest.raises(SpecError) as error:
        budget.require_full(budget.Decision("reduced", "", 2 * GIB, 0.1, "memory"), limits, "why")
    assert str(error.value) == (
        "too large: needs about 2 GiB, over the budget 1 GiB (--max-memory); why"
    )


def test_a_stack_too_deep_to_estimate_is_refused_before_the_estimate() -> None:
    spec = make_spec(input_size=1, hidden_size=1, num_layers=2_147_483_647)
    with pytest.raises(SpecError) as error:
        budget.plan(spec, budget.make_budget(None, None, None))
    assert str(error.value) == (
        "too large: num_layers=2147483647 with D=1 is 2,147,483,647 layers and directions; "
        "lstm-shapes estimates at most 100,000 (--num-layers up to 100,000)"
    )
    deepest = make_spec(input_size=1, hidden_size=1, num_layers=budget.MAX_LAYER_DIRECTIONS)
    budget.check_depth(deepest)


def test_given_tensors_are_counted_before_anything_is_allocated() -> None:
    spec = make_spec(input_size=10, hidden_size=20)
    limits = budget.make_budget(GIB, None, None)
    budget.check_tensors(spec, limits, [((7, 3, 10), 4), ((1, 3, 20), 4)], "why")
    with pytest.raises(SpecError) as error:
        budget.check_tensors(spec, limits, [((7, 3, 10), 4), ((100_000, 100_000, 100), 4)], "why")
    assert str(error.value) == (
        "too large: needs about 3.64 TiB, over the budget 1 GiB (--max-memory); why"
    )


def test_an_input_alone_over_the_memory_budget_is_refused() -> None:
    limits = budget.make_budget(GIB, None, None)
    budget.check_input((32, 50), "int64", limits, "why")
    with pytest.raises(SpecError) as error:
        budget.check_input((100_000, 100_000), "int64", limits, "why")
    assert str(error.value) == (
        "too large: needs about 74.5 GiB, over the budget 1 GiB (--max-memory); why"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["lstm", "gru", "rnn"]),
    st.integers(0, 3),
)
def test_parameter_count_equals_the_listed_parameters(
    num_layers: int, bidirectional: bool, bias: bool, kind: str, proj_size: int
) -> None:
    spec = make_spec(
        input_size=5,
        hidden_size=7,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
        kind=kind,
        proj_size=proj_size if kind == "lstm" else 0,
    )
    listed = theory.parameter_shapes(spec.module)
    assert theory.parameter_count(spec.module) == sum(p.numel for p in listed)
    last = [p for p in listed if p.layer == num_layers - 1]
    assert theory.parameter_shapes(spec.module, [num_layers - 1]) == last


def test_a_deep_stack_is_estimated_quickly_enough_to_decide() -> None:
    # 100,000 layers: the estimate is linear in the depth, the count is not
    spec = make_spec(input_size=3, hidden_size=4, num_layers=100_000)
    assert theory.parameter_count(spec.module) == 16 * 3 + 16 * 4 + 32 + 99_999 * (16 * 8 + 32)
    estimate, decision = budget.plan(spec, budget.make_budget(None, None, None))
    assert decision.mode == "reduced" and decision.over == "time"
    assert estimate.parameter_count == theory.parameter_count(spec.module)
    assert cost.estimate(spec).memory.parameters == estimate.memory.parameters


def test_a_tensor_torch_cannot_address_is_refused_even_on_meta() -> None:
    budget.check_addressable([((100_000, 100_000), 4)], "why")
    with pytest.raises(SpecError) as error:
        budget.check_addressable([((3, 10), 4), ((2**31 - 1,) * 3, 4)], "why")
    assert str(error.value) == (
        "too large: a tensor of shape (2147483647, 2147483647, 2147483647) needs more bytes "
        "than torch can address (2**63); why"
    )
