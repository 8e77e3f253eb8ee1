"""The heart of the suite: for random valid specs, every shape theory predicts equals what
real torch gives, checked against an oracle written here independently of the probe."""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from lstm_shapes import explain
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory
from tests.strategies import cell_specs, specs

# At least 300 examples in CI (the bar); fewer locally for a quick loop.
EXAMPLES = int(os.environ.get("LSTM_SHAPES_EXAMPLES", "300" if os.environ.get("CI") else "120"))
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def oracle(spec: Spec) -> dict[str, Any]:
    """Build the module straight from torch.nn and run it with explicit h0/c0 of the
    documented shapes: torch itself rejects a wrong h0/c0 shape."""
    m = spec.module
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[m.kind]
    kwargs: dict[str, Any] = dict(
        num_layers=m.num_layers,
        bias=m.bias,
        batch_first=m.batch_first,
        dropout=m.dropout,
        bidirectional=m.bidirectional,
    )
    if m.kind == "lstm":
        kwargs["proj_size"] = m.proj_size
    if m.kind == "rnn":
        kwargs["nonlinearity"] = m.nonlinearity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = cls(m.input_size, m.hidden_size, **kwargs)
    D = 2 if m.bidirectional else 1
    H_out = m.proj_size or m.hidden_size
    N, L = spec.input.batch, spec.input.seq_len
    if spec.input.unbatched:
        x_shape: tuple[int, ...] = (L, m.input_size)
        h_shape: tuple[int, ...] = (D * m.num_layers, H_out)
        c_shape: tuple[int, ...] = (D * m.num_layers, m.hidden_size)
    else:
        x_shape = (N, L, m.input_size) if m.batch_first else (L, N, m.input_size)
        h_shape = (D * m.num_layers, N, H_out)
        c_shape = (D * m.num_layers, N, m.hidden_size)
    x = torch.randn(x_shape)
    h0 = torch.zeros(h_shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if m.kind == "lstm":
            c0 = torch.zeros(c_shape)
            output, (hn, cn) = module(x, (h0, c0))
            shapes = {"c0": tuple(c0.shape), "cn": tuple(cn.shape)}
        else:
            output, hn = module(x, h0)
            shapes = {}
    shapes.update(
        input=tuple(x.shape), h0=tuple(h0.shape), output=tuple(output.shape), hn=tuple(hn.shape)
    )
    return {
        "shapes": shapes,
        "parameters": [(n, tuple(p.shape)) for n, p in module.named_parameters()],
    }


@PROPERTY
@given(specs())
def test_theory_predicts_every_shape_torch_gives(spec: Spec) -> None:
    truth = oracle(spec)
    predicted = theory.tensor_shapes(spec)
    assert {name: t.shape for name, t in predicted.items()} == truth["shapes"]
    assert [(p.name, p.shape) for p in theory.parameter_shapes(spec.module)] == truth["parameters"]
    assert theory.parameter_count(spec.module) == sum(
        torch.Size(shape).numel() for _, shape in truth["parameters"]
    )


@settings(max_examples=max(EXAMPLES // 3, 40), deadline=None)
@given(specs())
def test_json_report_equals_torch(spec: Spec) -> None:
    """What CI users read: the JSON's tensors, dims and parameters, end to end."""
    truth = oracle(spec)
    data = explain(spec).as_dict()
    assert {name: tuple(t["shape"]) for name, t in data["tensors"].items()} == truth["shapes"]
    for tensor in data["tensors"].values():
        assert [d["size"] for d in tensor["dims"]] == tensor["shape"]
    assert [(p["name"], tuple(p["shape"])) for p in data["parameters"]] == truth["parameters"]
    assert all(check["holds"] for check in data["checks"]), data["checks"]


@settings(max_examples=60, deadline=None)
@given(specs(kinds=("lstm",)))
def test_dimension_symbols_follow_the_layout(spec: Spec) -> None:
    shapes = theory.tensor_shapes(spec)
    m = spec.module
    symbols = {name: [d.symbol for d in t.dims] for name, t in shapes.items()}
    state = ["D*num_layers"] if spec.input.unbatched else ["D*num_layers", "N"]
    assert symbols["h0"] == [*state, "H_out"] and symbols["hn"] == [*state, "H_out"]
    assert symbols["c0"] == [*state, "H_cell"] and symbols["cn"] == [*state, "H_cell"]
    time_major = ["L"] if spec.input.unbatched else ["N", "L"] if m.batch_first else ["L", "N"]
    assert symbols["input"] == [*time_major, "H_in"]
    assert symbols["output"] == [*time_major, "D*H_out"]
    rows = shapes["hn"].dims[0]
    assert rows.arithmetic == f"{m.D}*{m.num_layers} = {m.D * m.num_layers}"


def cell_oracle(spec: Spec) -> dict[str, Any]:
    """A cell straight from torch.nn, given explicit states of the documented shapes
    (torch rejects a wrong one): input (N, H_in) or (H_in), states (N, H) or (H)."""
    m = spec.module
    cls = {"lstmcell": torch.nn.LSTMCell, "grucell": torch.nn.GRUCell}.get(m.kind)
    if cls is None:
        module = torch.nn.RNNCell(m.input_size, m.hidden_size, m.bias, m.nonlinearity)
    else:
        module = cls(m.input_size, m.hidden_size, m.bias)
    batch = () if spec.input.unbatched else (spec.input.batch,)
    x = torch.randn((*batch, m.input_size))
    h0 = torch.zeros((*batch, m.hidden_size))
    with torch.no_grad():
        if m.kind == "lstmcell":
            c0 = torch.zeros((*batch, m.hidden_size))
            h1, c1 = module(x, (h0, c0))
            shapes = {"c0": tuple(c0.shape), "c1": tuple(c1.shape)}
        else:
            h1 = module(x, h0)
            shapes = {}
    shapes.update(input=tuple(x.shape), h0=tuple(h0.shape), h1=tuple(h1.shape))
    return {
        "shapes": shapes,
        "parameters": [(n, tuple(p.shape)) for n, p in module.named_parameters()],
    }


@PROPERTY
@given(cell_specs())
def test_theory_predicts_every_shape_of_a_cell(spec: Spec) -> None:
    truth = cell_oracle(spec)
    predicted = theory.tensor_shapes(spec)
    assert {name: t.shape for name, t in predicted.items()} == truth["shapes"]
    assert list(predicted) == list(theory.tensor_names(spec.module))
    assert [(p.name, p.shape) for p in theory.parameter_shapes(spec.module)] == truth["parameters"]
    assert theory.parameter_count(spec.module) == sum(
        torch.Size(shape).numel() for _, shape in truth["parameters"]
    )
    symbols = {name: [d.symbol for d in t.dims] for name, t in predicted.items()}
    batch = [] if spec.input.unbatched else ["N"]
    assert symbols["input"] == [*batch, "H_in"] and symbols["h1"] == [*batch, "H"]


@settings(max_examples=max(EXAMPLES // 3, 40), deadline=None)
@given(cell_specs())
def test_json_report_of_a_cell_equals_torch(spec: Spec) -> None:
    truth = cell_oracle(spec)
    data = explain(spec).as_dict()
    assert {name: tuple(t["shape"]) for name, t in data["tensors"].items()} == truth["shapes"]
    assert [(p["name"], tuple(p["shape"])) for p in data["parameters"]] == truth["parameters"]
    assert all(check["holds"] for check in data["checks"]), data["checks"]
    # the module keys that do not apply to one time step are left out, not defaulted
    assert set(data["lstm"]) <= {"input_size", "hidden_size", "bias", "kind", "nonlinearity"}
    assert set(data["input"]) == {"batch", "unbatched"}


@pytest.mark.parametrize(
    ("options", "hn_shape"),
    [
        # Facts 1 and 3 of design.md: batch_first never moves hn; bidirectional doubles rows.
        (
            dict(
                input_size=10,
                hidden_size=20,
                num_layers=2,
                batch_first=True,
                bidirectional=True,
                batch=3,
                seq_len=7,
            ),
            (4, 3, 20),
        ),
        (
            dict(
                input_size=10,
                hidden_size=20,
                num_layers=2,
                batch_first=False,
                bidirectional=True,
                batch=3,
                seq_len=7,
            ),
            (4, 3, 20),
        ),
        # Fact 7: proj_size shrinks h, not c.
        (dict(input_size=10, hidden_size=20, proj_size=5, batch=3, seq_len=7), (1, 3, 5)),
        # Fact 8: unbatched drops N from h too.
        (dict(input_size=10, hidden_size=20, num_layers=3, unbatched=True, seq_len=7), (3, 20)),
    ],
)
def test_documented_facts(options: dict[str, Any], hn_shape: tuple[int, ...]) -> None:
    report = explain(device="cpu", **options)
    assert report.tensors["hn"].shape == hn_shape
    if options.get("proj_size"):
        assert report.tensors["cn"].shape == (1, 3, 20)
        assert report.parameters[-1].name == "weight_hr_l0"
        assert report.parameters[-1].shape == (5, 20)
