"""``trace`` on models as real code has them (tests/probe/trace_models.py): several inputs,
a dict, states passed in, cells in a loop, packing inside ``forward``, an ``nn.LSTM``
subclass taking ``lengths=``, no recurrent layer at all."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch

from lstm_shapes import SpecError, trace
from lstm_shapes.render.trace import layer_summary, trace_json
from lstm_shapes.report.trace import PathLoop, PathStep
from tests.conftest import ROOT
from tests.probe import trace_models as models

MODELS = "tests/probe/trace_models.py"


@pytest.fixture(autouse=True)
def from_the_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(ROOT)
    yield
    sys.modules.pop("trace_models", None)


def run_json(cli: Callable[..., Any], *args: str, code: int = 0) -> Any:
    result = cli("trace", *args, "-f", "json")
    assert result.exit_code == code, result.stderr
    return json.loads(result.stdout)


def steps(path: list[Any]) -> list[Any]:
    """(name, calls) of the path, a loop as ("loop", count, [its steps])."""
    return [
        ("loop", item["loop"], [(s["name"], s["calls"]) for s in item["steps"]])
        if "loop" in item
        else (item["name"], item["calls"])
        for item in path
    ]


def test_speller_tokens_and_lengths_packed_encoder_and_a_cell_decoder(
    cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    args = (f"{MODELS}:Speller", "--inputs", f"{MODELS}:speller_inputs")
    data = run_json(cli, *args)
    assert data["inputs"]["args"] == [
        {"shape": [3, 9], "dtype": "int64"},
        {"shape": [3], "dtype": "int64"},
    ]
    assert steps(data["path"]) == [
        ("embedding", 1),
        ("encoder", 1),
        ("loop", 5, [("cell1", 5), ("cell2", 5), ("out", 5)]),
    ]
    encoder, cell1, _ = data["layers"]
    assert [(x["name"], x["class"], x["kind"], x["calls"]) for x in data["layers"]] == [
        ("encoder", "LSTM", "lstm", 1),
        ("cell1", "LSTMCell", "lstmcell", 5),
        ("cell2", "LSTMCell", "lstmcell", 5),
    ]
    assert encoder["shapes"][0]["packed"] == {
        "lengths": [9, 4, 6],
        "batch_sizes": [3, 3, 3, 3, 2, 2, 1, 1, 1],
        "padded": [3, 9, 8],
        "padded_batch_first": True,
        "packed_input": [19, 8],
        "packed_output": [19, 32],
        "unpacked": [3, 9, 32],
        "hn_steps": [8, 3, 5],
        "inside_layer": False,
    }
    assert cell1["constructor"] == "nn.LSTMCell(input_size=32, hidden_size=16)"
    (shapes,) = cell1["shapes"]
    assert shapes["calls"] == 5
    assert {n: (t["shape"], t["given"]) for n, t in shapes["tensors"].items()} == {
        "input": ([3, 32], True),
        "h0": ([3, 16], True),
        "c0": ([3, 16], True),
        "h1": ([3, 16], True),
        "c1": ([3, 16], True),
    }
    assert [d["symbol"] for d in shapes["tensors"]["c1"]["dims"]] == ["N", "H"]
    assert data["output"] == [3, 5, 30]
    golden("trace_speller.txt", cli("trace", *args).stdout)
    golden("trace_speller.md", cli("trace", *args, "-f", "markdown").stdout)


def test_the_library_gives_the_same_report_as_the_cli(cli: Callable[..., Any]) -> None:
    torch.manual_seed(0)
    model = models.Speller()
    report = trace(model, models.speller_inputs(), name="speller")
    data = run_json(cli, f"{MODELS}:Speller", "--inputs", f"{MODELS}:speller_inputs")
    data["model"] = "speller"
    assert report.as_dict() == data
    assert json.loads(trace_json(report)) == data
    assert layer_summary(report.layers[1]) == [
        "cell1: LSTMCell, 5 calls, each (3, 32); h0, c0 (3, 16) -> h1, c1 (3, 16)"
    ]


def test_a_forecaster_taking_a_dict(cli: Callable[..., Any]) -> None:
    data = run_json(cli, f"{MODELS}:Forecaster", "--inputs", f"{MODELS}:forecaster_inputs")
    assert data["inputs"]["kwargs"] == {
        "x": {
            "encoder_cont": {"shape": [2, 10, 4], "dtype": "float32"},
            "encoder_lengths": {"shape": [2], "dtype": "int64"},
        }
    }
    assert data["output"] == {"prediction": [2, 2]}
    assert steps(data["path"]) == [("gru", 1), ("head", 1)]
    report = trace(models.Forecaster(), models.forecaster_inputs())  # a dict: keyword arguments
    assert report.ok and report.output == {"prediction": [2, 2]}
    x = models.forecaster_inputs()["x"]
    assert trace(models.Forecaster(), (x,)).output == {"prediction": [2, 2]}
    assert trace(models.Forecaster(), kwargs={"x": x}).output == {"prediction": [2, 2]}


@pytest.mark.parametrize("inputs", ["word_inputs", "word_inputs_as_args_and_kwargs"])
def test_a_word_model_taking_input_and_hidden(cli: Callable[..., Any], inputs: str) -> None:
    data = run_json(cli, f"{MODELS}:WordModel", "--inputs", f"{MODELS}:{inputs}")
    (rnn,) = data["layers"]
    tensors = rnn["shapes"][0]["tensors"]
    assert (tensors["h0"]["shape"], tensors["h0"]["given"]) == ([2, 3, 20], True)
    assert [d["symbol"] for d in tensors["c0"]["dims"]] == ["D*num_layers", "N", "H_cell"]
    assert data["output"] == [[7, 3, 50], [[2, 3, 20], [2, 3, 20]]]


def test_a_missing_argument_is_named_before_running(cli: Callable[..., Any]) -> None:
    result = cli("trace", f"{MODELS}:WordModel", "-s", "7,3", "--input-dtype", "int64")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"lstm-shapes: error: {MODELS}:WordModel: the model's forward(input, hidden) needs "
        "'hidden', which the call does not give (given 1 positional argument); give one "
        "--input-shape per positional parameter, or --inputs FILE:function\n"
    )
    with pytest.raises(SpecError) as error:
        trace(models.WordModel(), kwargs={"hidden": None, "state": 1})
    assert str(error.value) == (
        "WordModel: the model's forward(input, hidden) cannot take what was given: got an "
        "unexpected keyword argument 'state' (given 0 positional arguments and keywords "
        "hidden, state)"
    )


def test_a_cells_only_loop(cli: Callable[..., Any], golden: Callable[[str, str], None]) -> None:
    args = (f"{MODELS}:CellLoop", "-s", "4,2,5")
    data = run_json(cli, *args)
    assert steps(data["path"]) == [("loop", 4, [("gru", 4), ("rnn", 4)])]
    gru, rnn = data["layers"]
    assert (gru["calls"], rnn["calls"]) == (4, 4)
    first, rest = gru["shapes"]  # the first step starts from zeros, the others from h
    assert (first["calls"], first["tensors"]["h0"]["given"]) == (1, False)
    assert (rest["calls"], rest["tensors"]["h0"]["given"]) == (3, True)
    assert rnn["constructor"] == "nn.RNNCell(input_size=6, hidden_size=3, nonlinearity='relu')"
    assert "c0" not in rnn["shapes"][0]["tensors"]
    golden("trace_cells.txt", cli("trace", *args).stdout)


def test_a_model_with_no_recurrent_layer_gets_the_path(
    cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    result = cli("trace", f"{MODELS}:NoRecurrent", "-s", "2,4")
    assert result.exit_code == 0
    golden("trace_no_recurrent.txt", result.stdout)
    report = trace(torch.nn.Identity(), torch.zeros(3))
    assert report.ok and report.layers == [] and report.parameter_count == 0
    assert report.path == [PathStep("the model", "Identity", 0, report.path[0].shapes)]  # type: ignore[union-attr]
    assert report.notes[-1] == (
        "No nn.LSTM, nn.GRU, nn.RNN or cell in this model: the path above is all there is to show."
    )


def test_a_subclass_called_with_lengths(cli: Callable[..., Any]) -> None:
    data = run_json(cli, f"{MODELS}:WithLengths", "--inputs", f"{MODELS}:with_lengths_inputs")
    (lstm,) = data["layers"]
    assert (lstm["class"], lstm["kind"]) == ("LengthsLSTM", "lstm")
    (shapes,) = lstm["shapes"]
    assert shapes["keyword_arguments"] == {"lengths": {"shape": [4], "dtype": "int64"}}
    assert shapes["packed"]["lengths"] == [5, 3, 2, 1]  # packed inside: longest first
    assert shapes["packed"]["inside_layer"] is True
    assert shapes["packed"]["padded"] == [4, 5, 3]
    assert shapes["tensors"]["input"]["shape"] == [4, 5, 3]
    text = cli("trace", f"{MODELS}:WithLengths", "--inputs", f"{MODELS}:with_lengths_inputs")
    assert "lstm: LengthsLSTM (a subclass of nn.LSTM), 1 call" in text.stdout
    assert "called with lengths=(4,) int64" in text.stdout


def test_batch_first_false_reading_the_batch_first(cli: Callable[..., Any]) -> None:
    data = run_json(cli, f"{MODELS}:TimeMajorByMistake", "-s", "8,5,3", "--batch", "8")
    assert data["notes"][-1] == (
        "lstm has batch_first=False, so it reads its input (8, 5, 3) as (L, N, H_in) with "
        "L = 8 and N = 5; but the batch size is N = 8 (stated with --batch). Build lstm with "
        "batch_first=True, or pass it x.transpose(0, 1)."
    )
    # one input alone does not say which dimension is N: no note without --batch
    assert not any(
        "batch_first=False" in n
        for n in run_json(cli, f"{MODELS}:TimeMajorByMistake", "-s", "8,5,3")["notes"]
    )
    report = trace(models.TimeMajorByMistake(), (torch.zeros(8, 5, 3), torch.zeros(8)))
    assert "(the first dimension of every input)" in report.notes[-1]


def test_a_cell_that_raises_on_its_third_call(cli: Callable[..., Any]) -> None:
    result = cli("trace", f"{MODELS}:RaisingCell", "-s", "4,2,4")
    assert result.exit_code == 1
    assert "The model raised RuntimeError inside cell (LSTMCell, call 3):" in result.stdout
    data = run_json(cli, f"{MODELS}:RaisingCell", "-s", "4,2,4", code=1)
    assert data["error"]["layer"] == "cell" and data["error"]["call"] == 3
    # the diagnosis check gives a cell (tests/theory/test_diagnosis.py)
    assert [p["what"] for p in data["error"]["diagnosis"]] == [
        "h0 is (3, 5), but a cell's h0 must be (N, H) = (2, 5)",
        "c0 is (3, 5), but a cell's c0 must be (N, H) = (2, 5)",
    ]
    ok, failed = data["layers"][0]["shapes"]
    assert (ok["calls"], ok["finished"], failed["calls"], failed["finished"]) == (2, True, 1, False)
    (loop,) = data["path"]
    assert loop["steps"][0]["shapes"][-1]["output"] is None


def test_constructor_arguments_with_init(cli: Callable[..., Any]) -> None:
    data = run_json(
        cli, f"{MODELS}:build_tagger", "-s", "5,2,3", "--init", "hidden_size=4",
        "--init", "bidirectional=True",
    )  # fmt: skip
    assert data["layers"][0]["constructor"] == (
        "nn.LSTM(input_size=3, hidden_size=4, bidirectional=True)"
    )
    result = cli("trace", f"{MODELS}:build_tagger", "-s", "5,2,3", "--init", "size=4")
    assert result.stderr == (
        f"lstm-shapes: error: TARGET '{MODELS}:build_tagger': calling build_tagger(size=4) "
        "failed (TypeError: build_tagger() got an unexpected keyword argument 'size'); check "
        "the --init names\n"
    )


def test_inputs_that_are_not_inputs(cli: Callable[..., Any]) -> None:
    result = cli("trace", f"{MODELS}:Speller", "--inputs", f"{MODELS}:not_inputs")
    assert (result.exit_code, result.stderr) == (
        2,
        f"lstm-shapes: error: --inputs '{MODELS}:not_inputs': not_inputs() returned an int; "
        "return a tensor, a tuple of positional arguments, a dict of keyword arguments, or "
        "(args, kwargs)\n",
    )
    result = cli("trace", f"{MODELS}:Speller", "--inputs", f"{MODELS}:nothing")
    assert result.stderr == (
        f"lstm-shapes: error: --inputs '{MODELS}:nothing': {MODELS} has no attribute 'nothing'\n"
    )


def test_several_input_shapes_and_dtypes(cli: Callable[..., Any]) -> None:
    report = trace(
        models.WithLengths(), input_shape=["4,5,3", (4,)], input_dtype=["float32", "int64"]
    )
    assert report.ok  # a `lengths` parameter gets valid lengths, not token ids
    assert report.inputs.args == [
        {"shape": [4, 5, 3], "dtype": "float32"},
        {"shape": [4], "dtype": "int64"},
    ]
    assert report.notes[0] == (
        "The inputs were x: random normal values, float32; lengths: [5, 4, 3, 2], int64 (valid "
        "lengths, longest first)."
    )
    data = run_json(cli, f"{MODELS}:Speller", "-s", "3,9", "-s", "3", "--input-dtype", "int64")
    assert data["layers"][0]["shapes"][0]["packed"]["lengths"] == [9, 6, 3]


def test_lengths_for_a_lengths_parameter() -> None:
    from lstm_shapes.spec.trace import lengths_for

    assert lengths_for([(3, 9), (3,)], 1) == (9, 6, 3)
    assert lengths_for([(9, 3, 4), (3,)], 1) == (9, 6, 3)  # time-major
    assert lengths_for([(1, 7), (1,)], 1) == (7,)
    assert lengths_for([(2, 5), (4,)], 1) is None  # no input has N = 4
    assert lengths_for([(3, 9), (3,)], 0) is None  # not 1-D
    assert lengths_for([(5,), (5,)], 1) is None  # nothing says what L is


def test_loops_are_found_in_the_call_order() -> None:
    from lstm_shapes.report.trace import loops

    assert loops(list("abcbcbcd")) == [(0, 1, 1), (1, 2, 3), (7, 1, 1)]
    assert loops(list("aaaa")) == [(0, 1, 4)]
    assert loops(list("abab" + "c")) == [(0, 2, 2), (4, 1, 1)]
    assert loops([]) == []
    assert isinstance(trace(models.CellLoop(), input_shape="3,2,5").path[0], PathLoop)


def test_a_batch_dict_is_the_one_positional_argument(cli: Callable[..., Any]) -> None:
    batch = models.forecaster_inputs()["x"]
    report = trace(models.Forecaster(), batch)  # keys are not forward's parameters
    assert report.ok and report.inputs.args[0]["encoder_cont"]["shape"] == [2, 10, 4]
    data = run_json(cli, f"{MODELS}:Forecaster", "--inputs", f"{MODELS}:forecaster_batch")
    assert data["inputs"]["kwargs"] == {} and data["output"] == {"prediction": [2, 2]}


def test_a_wrapper_calling_forward_directly_is_a_leaf_of_the_path() -> None:
    report = trace(models.Wrapped(), input_shape="5,2,4")
    assert [(s.name, s.class_name) for s in report.path] == [  # type: ignore[union-attr]
        ("rnn", "WeightDrop"),
        ("gru", "GRU"),
    ]
    (gru,) = report.layers  # called with input= and hx= by keyword
    assert gru.shape_sets[0].tensors["input"].shape == (5, 2, 6)
    assert gru.shape_sets[0].keywords == {}
    assert report.notes[1] == (
        "Never called in this forward pass (or called as .forward(...), which skips hooks): "
        "rnn.module."
    )


def test_an_unbatched_cell_and_a_bare_cell() -> None:
    report = trace(torch.nn.LSTMCell(4, 8), torch.zeros(4))
    (cell,) = report.layers
    tensors = cell.shape_sets[0].tensors
    assert {n: (t.shape, t.symbols, t.given) for n, t in tensors.items()} == {
        "input": ((4,), "(H_in)", True),
        "h0": ((8,), "(H)", False),
        "c0": ((8,), "(H)", False),
        "h1": ((8,), "(H)", True),
        "c1": ((8,), "(H)", True),
    }
    assert cell.name == "the model" and report.output == [[8], [8]]
    assert layer_summary(cell) == ["the model: LSTMCell, 1 call, (4,) -> h1, c1 (8,)"]


def test_input_dtype_as_a_torch_dtype() -> None:
    report = trace(models.Speller(), input_shape=[(3, 9), (3,)], input_dtype=torch.int64)
    assert report.ok and [a["dtype"] for a in report.inputs.args] == ["int64", "int64"]


def test_many_sets_of_shapes_are_cut_in_text_not_in_json(cli: Callable[..., Any]) -> None:
    data = run_json(cli, f"{MODELS}:Growing", "-s", "2,7,3")
    (gru,) = data["layers"]
    assert [s["tensors"]["input"]["shape"][1] for s in gru["shapes"]] == [1, 2, 3, 4, 5, 6, 7]
    text = cli("trace", f"{MODELS}:Growing", "-s", "2,7,3").stdout
    assert "      … 3 more sets of shapes (3 calls); --format json lists them all\n" in text
    assert text.count("… 3 more sets of shapes") == 3  # path, summary, expansion
    markdown = cli("trace", f"{MODELS}:Growing", "-s", "2,7,3", "-f", "markdown").stdout
    assert markdown.count("… 3 more sets of shapes") == 3


def test_a_cell_of_ones_own_on_rnncellbase_is_a_plain_leaf() -> None:
    class MyCell(torch.nn.RNNCellBase):
        def __init__(self) -> None:
            super().__init__(3, 4, bias=True, num_chunks=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.tanh(x @ self.weight_ih.T)

    report = trace(MyCell(), torch.zeros(2, 3))
    assert report.ok and report.layers == [] and report.output == [2, 4]
