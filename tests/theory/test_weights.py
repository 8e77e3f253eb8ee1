"""The pure inference from parameter names and shapes to a module's configuration (no torch)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_shapes import SpecError, infer_modules
from lstm_shapes.spec.core import ModuleSpec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.weights import recurrent_groups


def state_shapes(m: ModuleSpec, prefix: str = "") -> dict[str, tuple[int, ...]]:
    """What ``module.state_dict()`` would hold, as ``{key: shape}``, from the theory."""
    dot = f"{prefix}." if prefix else ""
    return {f"{dot}{p.name}": p.shape for p in theory.parameter_shapes(m)}


@st.composite
def module_specs(draw: st.DrawFn) -> ModuleSpec:
    kind = draw(st.sampled_from(["lstm", "gru", "rnn"]))
    hidden_size = draw(st.integers(1, 40))
    proj_size = 0
    if kind == "lstm" and hidden_size > 1 and draw(st.booleans()):
        proj_size = draw(st.integers(1, hidden_size - 1))
    return ModuleSpec(
        input_size=draw(st.integers(1, 40)),
        hidden_size=hidden_size,
        num_layers=draw(st.integers(1, 4)),
        bias=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
        proj_size=proj_size,
        kind=kind,
    )


@given(module_specs(), st.sampled_from(["", "lstm", "module.encoder.rnn", "model.layers.0"]))
@settings(max_examples=400, deadline=None)
def test_inference_recovers_every_config(m: ModuleSpec, prefix: str) -> None:
    (found,) = infer_modules(state_shapes(m, prefix))
    assert found.name == prefix
    assert found.module == m  # batch_first, dropout, nonlinearity: the defaults


@given(st.lists(module_specs(), min_size=1, max_size=4))
@settings(max_examples=100, deadline=None)
def test_several_modules_side_by_side(modules: list[ModuleSpec]) -> None:
    shapes: dict[str, tuple[int, ...]] = {"embedding.weight": (100, 8)}
    for k, m in enumerate(modules):
        shapes.update(state_shapes(m, f"block{k}.rnn"))
    shapes["head.weight"] = (5, 7)
    found = infer_modules(shapes)
    assert [f.name for f in found] == [f"block{k}.rnn" for k in range(len(modules))]
    assert [f.module for f in found] == modules


def test_hidden_size_comes_from_weight_hr_with_a_projection() -> None:
    # weight_hh is (4*20, 5): its columns are proj_size, not hidden_size
    m = ModuleSpec(input_size=10, hidden_size=20, proj_size=5)
    (found,) = infer_modules(state_shapes(m, "lstm"))
    assert (found.module.hidden_size, found.module.proj_size, found.kind) == (20, 5, "lstm")


def test_gate_count_decides_the_kind() -> None:
    # 60 rows: LSTM with hidden 15, GRU with hidden 20, RNN with hidden 60; the columns of
    # weight_hh settle it
    for hidden, kind in ((15, "lstm"), (20, "gru"), (60, "rnn")):
        shapes = {"weight_ih_l0": (60, 10), "weight_hh_l0": (60, hidden)}
        (found,) = infer_modules(shapes)
        assert (found.kind, found.module.hidden_size) == (kind, hidden)


def test_no_recurrent_names_gives_an_empty_list() -> None:
    assert infer_modules({"fc.weight": (3, 4), "cell.weight": (12, 4)}) == []


def test_groups_keep_their_prefix() -> None:
    groups = recurrent_groups({"a.b.weight_ih_l0": (4, 1), "weight_hh_l0": (4, 1)})
    assert list(groups) == ["a.b", ""]
    assert groups["a.b"] == {"weight_ih_l0": (4, 1)}


LSTM_2x_BI = ModuleSpec(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
BUILT = (
    "nn.LSTM(input_size=10, hidden_size=20, num_layers=2, bidirectional=True) "
    "(inferred from its layer-0 weights)"
)


def broken(**changes: tuple[int, ...] | None) -> dict[str, tuple[int, ...]]:
    shapes = state_shapes(LSTM_2x_BI, "enc.lstm")
    for key, shape in changes.items():
        if shape is None:
            del shapes[f"enc.lstm.{key}"]
        else:
            shapes[f"enc.lstm.{key}"] = shape
    return shapes


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (
            broken(weight_hh_l1=(80, 19)),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.weight_hh_l1 has shape "
            f"(80, 19), but {BUILT} needs (80, 20)",
        ),
        (
            broken(weight_ih_l1=(80, 20)),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.weight_ih_l1 has shape "
            f"(80, 20), but {BUILT} needs (80, 40)",
        ),
        (
            broken(bias_hh_l1_reverse=None),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.bias_hh_l1_reverse is "
            f"missing, but {BUILT} has it",
        ),
        (
            broken(weight_hh_l0=(80, 19)),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.weight_ih_l0 has 80 rows, "
            "which is not 4, 3 or 1 gate blocks of hidden_size=19 (LSTM 76, GRU 57, RNN 19)",
        ),
        (
            broken(weight_ih_l0=None),
            "inconsistent shapes in module 'enc.lstm': it has enc.lstm.bias_hh_l0 but no "
            "enc.lstm.weight_ih_l0; every nn.LSTM, nn.GRU and nn.RNN has both weight_ih_l0 "
            "and weight_hh_l0",
        ),
        (
            broken(weight_hr_l3=(5, 20)),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.weight_ih_l2 is missing, but "
            "nn.LSTM(input_size=10, hidden_size=20, num_layers=4, bidirectional=True) "
            "(inferred from its layer-0 weights) has it",
        ),
        (
            broken(weight_ih_l0=(80, 10, 1)),
            "inconsistent shapes in module 'enc.lstm': enc.lstm.weight_ih_l0 has shape "
            "(80, 10, 1), but a recurrent weight is a non-empty matrix (rows, columns)",
        ),
        (
            {"weight_ih_l0": (60, 10), "weight_hh_l0": (60, 5), "weight_hr_l0": (5, 20)},
            "inconsistent shapes in the top-level module: it has weight_hr_l0 (a projection), "
            "which only nn.LSTM has, but weight_ih_l0 has 3 gate blocks, not 4",
        ),
        (
            {"weight_ih_l0": (80, 10), "weight_hh_l0": (80, 20), "weight_hr_l0": (20, 20)},
            "inconsistent shapes in the top-level module: weight_hr_l0 is (20, 20) = "
            "(proj_size, hidden_size), but nn.LSTM needs proj_size < hidden_size",
        ),
        (
            {"weight_ih_l0": (80, 10), "weight_hh_l0": (80, 20), "weight_ih_l0_reverse": (80, 10)},
            "inconsistent shapes in the top-level module: weight_hh_l0_reverse is missing, "
            "but nn.LSTM(input_size=10, hidden_size=20, bias=False, bidirectional=True) "
            "(inferred from its layer-0 weights) has it",
        ),
        (
            {"weight_ih_l0": (4, 3), "weight_hh_l0": (4, 4), "bias_ih_l0_reverse": (4,)},
            "inconsistent shapes in the top-level module: bias_ih_l0_reverse does not belong "
            "to nn.RNN(input_size=3, hidden_size=4, bias=False) (inferred from its layer-0 "
            "weights)",
        ),
    ],
)
def test_inconsistent_shapes_are_named_word_for_word(
    shapes: dict[str, tuple[int, ...]], message: str
) -> None:
    with pytest.raises(SpecError) as error:
        infer_modules(shapes)
    assert str(error.value) == message


def test_an_extra_parameter_is_named() -> None:
    shapes = state_shapes(ModuleSpec(input_size=3, hidden_size=4, bias=False), "rnn")
    shapes["rnn.bias_ih_l0"] = (16,)
    with pytest.raises(SpecError) as error:
        infer_modules(shapes)
    assert str(error.value) == (
        "inconsistent shapes in module 'rnn': rnn.bias_hh_l0 is missing, but "
        "nn.LSTM(input_size=3, hidden_size=4) (inferred from its layer-0 weights) has it"
    )
    shapes["rnn.bias_hh_l0"] = (16,)
    shapes["rnn.bias_hh_l1"] = (16,)
    with pytest.raises(SpecError) as error:
        infer_modules(shapes)
    assert str(error.value) == (
        "inconsistent shapes in module 'rnn': rnn.weight_ih_l1 is missing, but "
        "nn.LSTM(input_size=3, hidden_size=4, num_layers=2) (inferred from its layer-0 "
        "weights) has it"
    )


def _stored_as(style: str, key: str, shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """What a state dict holds for ``key`` when the weight is stored the ``style`` way."""
    prefix, _, name = key.rpartition(".")
    dot = f"{prefix}." if prefix else ""
    if style == "weight_norm":
        base = f"{dot}parametrizations.{name}"
        return {f"{base}.original0": (shape[0], 1), f"{base}.original1": shape}
    if style == "legacy_weight_norm":
        return {f"{key}_g": (shape[0], 1), f"{key}_v": shape}
    if style == "parametrization":
        return {f"{dot}parametrizations.{name}.original": shape}
    return {f"{key}_raw": shape}  # weight drop


@given(
    module_specs(),
    st.sampled_from(["weight_norm", "legacy_weight_norm", "parametrization", "weight_drop"]),
    st.data(),
)
@settings(max_examples=200, deadline=None)
def test_weights_stored_under_other_names_are_read_as_themselves(
    m: ModuleSpec, style: str, data: st.DataObject
) -> None:
    plain = state_shapes(m, "enc.rnn")
    weights = [k for k in plain if ".weight_" in k]
    chosen = data.draw(st.sets(st.sampled_from(weights), min_size=1), label="stored otherwise")
    shapes: dict[str, tuple[int, ...]] = {}
    for key, shape in plain.items():
        shapes.update(_stored_as(style, key, shape) if key in chosen else {key: shape})
    (found,) = infer_modules(shapes)
    assert (found.name, found.module) == ("enc.rnn", m)
    kind = {"legacy_weight_norm": "weight_norm"}.get(style, style)
    assert sorted((v.kind, v.key) for v in found.variants) == sorted((kind, k) for k in chosen)


def test_cells_are_found_without_a_layer_suffix() -> None:
    (found,) = infer_modules({"decoder.weight_ih": (48, 8), "decoder.weight_hh": (48, 16)})
    assert (found.name, found.kind, found.module.constructor()) == (
        "decoder",
        "grucell",
        "nn.GRUCell(input_size=8, hidden_size=16, bias=False)",
    )
