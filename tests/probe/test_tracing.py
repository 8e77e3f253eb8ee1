"""``trace``: a user's model run once, the path through it and every recurrent layer
recorded, failures placed and explained."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from lstm_shapes import SpecError, load_target, trace
from lstm_shapes.render.diagnosis import problem_sentences
from lstm_shapes.report.trace import PackedStages, PathLoop
from tests.conftest import ROOT

TAGGER = "docs/examples/tagger.py"


@pytest.fixture(autouse=True)
def restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``trace`` puts the current directory on sys.path, as pytest does: undo it."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    modules = set(sys.modules)
    monkeypatch.chdir(ROOT)
    yield
    for name in set(sys.modules) - modules:
        if name in ("tagger", "userpkg", "userpkg.models", "broken_import", "raises"):
            del sys.modules[name]


def test_example_model_embedding_bilstm_head(cli: Callable[..., Any]) -> None:
    args = ("trace", f"{TAGGER}:Tagger", "--input-shape", "32,50", "--input-dtype", "int64")
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert "model output: (32, 5)" in result.stdout
    data = json.loads(cli(*args, "-f", "json").stdout)
    assert data["schema_version"] == 2
    assert data["inputs"]["args"] == [{"shape": [32, 50], "dtype": "int64"}]
    assert data["inputs"]["kwargs"] == {}
    assert data["run"]["device"] == "cpu" and data["run"]["seed"] == 0
    assert data["output"] == [32, 5]
    assert data["error"] is None
    assert [(s["name"], s["class"], s["calls"], s["parameters"]) for s in data["path"]] == [
        ("embedding", "Embedding", 1, 64_000),
        ("lstm", "LSTM", 1, 593_920),
        ("head", "Linear", 1, 1_285),
    ]
    assert data["path"][0]["shapes"] == [{"calls": 1, "input": [32, 50], "output": [32, 50, 64]}]
    assert data["parameter_count"] == 64_000 + 593_920 + 1_285
    (lstm,) = data["layers"]
    assert (lstm["name"], lstm["class"], lstm["calls"]) == ("lstm", "LSTM", 1)
    assert lstm["constructor"] == (
        "nn.LSTM(input_size=64, hidden_size=128, num_layers=2, batch_first=True, "
        "bidirectional=True)"
    )
    (shapes,) = lstm["shapes"]
    tensors = shapes["tensors"]
    assert {name: t["shape"] for name, t in tensors.items()} == {
        "input": [32, 50, 64],
        "h0": [4, 32, 128],
        "c0": [4, 32, 128],
        "output": [32, 50, 256],
        "hn": [4, 32, 128],
        "cn": [4, 32, 128],
    }
    assert [tensors["h0"]["given"], tensors["input"]["given"]] == [False, True]
    assert [d["symbol"] for d in tensors["output"]["dims"]] == ["N", "L", "D*H_out"]
    assert [d["symbol"] for d in tensors["hn"]["dims"]] == ["D*num_layers", "N", "H_out"]


def test_example_table_golden(cli: Callable[..., Any], golden: Callable[[str, str], None]) -> None:
    args = ("trace", f"{TAGGER}:Tagger", "--input-shape", "3,9", "--input-dtype", "int64")
    golden("trace_tagger.txt", cli(*args).stdout)
    golden("trace_tagger.md", cli(*args, "-f", "markdown").stdout)


def test_head_built_for_one_direction(cli: Callable[..., Any]) -> None:
    args = ("trace", f"{TAGGER}:broken_head", "-s", "32,50", "--input-dtype", "int64")
    result = cli(*args)
    assert result.exit_code == 1
    assert "The model raised RuntimeError inside head (Linear), after lstm:" in result.stdout
    data = json.loads(cli(*args, "-f", "json").stdout)
    assert data["error"] == {
        "layer": "head",
        "class": "Linear",
        "call": 1,
        "after": "lstm",
        "error_type": "RuntimeError",
        "message": "mat1 and mat2 shapes cannot be multiplied (32x256 and 128x5)",
        "diagnosis": [
            {
                "id": "head-in-features",
                "tensor": "output",
                "what": "A layer after lstm expects 128 input features but receives 256 (32x256)",
                "why": "lstm is bidirectional: its output has D*H_out = 2*128 = 256 features. "
                "Build the next layer with in_features = 2 * hidden_size, or use one direction "
                "(e.g. hn[-2] or hn[-1], each H_out wide).",
                "fix": [],
                "silent": False,
            }
        ],
    }
    assert data["path"][-1]["name"] == "head"
    assert data["path"][-1]["shapes"] == [{"calls": 1, "input": [32, 256], "output": None}]


def test_batch_first_h0_is_placed_and_diagnosed(cli: Callable[..., Any]) -> None:
    result = cli(
        "trace", f"{TAGGER}:batch_first_h0", "--input-shape", "32,50", "--input-dtype", "int64",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["error"]["layer"], data["error"]["after"]) == ("lstm", "embedding")
    # the diagnosis check gives for the same shapes (tests/theory/test_diagnosis.py)
    problem, c0_problem = data["error"]["diagnosis"]
    assert [problem["id"], c0_problem["id"]] == ["h0-batch-first", "c0-batch-first"]
    assert problem["what"] == (
        "h0 (32, 4, 128) is laid out batch-first (N, D*num_layers, H_out); it must be "
        "(D*num_layers, N, H_out) = (4, 32, 128)"
    )
    assert problem["fix"] == ["h0 = h0.transpose(0, 1).contiguous()"]
    (lstm,) = data["layers"]
    assert lstm["finished"] is False
    assert lstm["shapes"][0]["tensors"]["h0"] == {
        "shape": [32, 4, 128],
        "given": True,
        "dims": None,
    }


def test_module_target_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    package = tmp_path / "userpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            class Stacked(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.gru = nn.GRU(10, 20)
                    self.rnn = nn.RNN(20, 5, nonlinearity="relu")

                def forward(self, x):
                    o, h = self.gru(x, hx=torch.zeros(1, x.size(1), 20))
                    o, _ = self.rnn(o)
                    return {"out": o, "both": (o, h)}

            def build():
                return Stacked()

            model = Stacked()
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    for target in ("userpkg.models:Stacked", "userpkg.models:build", "userpkg.models:model"):
        result = cli("trace", target, "--input-shape", "7,3,10", "-f", "json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert [layer["name"] for layer in data["layers"]] == ["gru", "rnn"]
        gru, rnn = (layer["shapes"][0]["tensors"] for layer in data["layers"])
        assert gru["h0"]["given"] is True  # passed as hx=...
        assert rnn["h0"]["given"] is False
        assert data["layers"][1]["config"]["nonlinearity"] == "relu"
        assert "c0" not in gru and "cn" not in rnn
        assert data["output"] == {"out": [7, 3, 5], "both": [[7, 3, 5], [1, 3, 20]]}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "nocolon",
            "TARGET must be module:factory, e.g. mypackage.models:build_model or models.py:Net "
            "(got 'nocolon')",
        ),
        (
            "no_such_module_xyz.models:f",
            "TARGET 'no_such_module_xyz.models:f': no module named 'no_such_module_xyz' "
            "(looked in the current directory and on sys.path)",
        ),
        (f"{TAGGER}:nope", f"TARGET '{TAGGER}:nope': {TAGGER} has no attribute 'nope'"),
        (
            f"{TAGGER}:annotations",
            f"TARGET '{TAGGER}:annotations' is a _Feature, not an nn.Module class or a "
            "function that returns a model",
        ),
        ("nofile.py:f", "TARGET 'nofile.py:f': there is no file 'nofile.py'"),
        (
            "lstm_shapes.spec.core:make_spec",
            "TARGET 'lstm_shapes.spec.core:make_spec': calling make_spec() failed (TypeError: "
            "make_spec() missing 2 required keyword-only arguments: 'input_size' and "
            "'hidden_size'); give its arguments with --init key=value, or name a function "
            "that builds it",
        ),
        (
            "lstm_shapes.spec.core:RunSpec",
            "TARGET 'lstm_shapes.spec.core:RunSpec': RunSpec() returned a RunSpec, not a "
            "torch.nn.Module",
        ),
    ],
)
def test_bad_targets_exit_2_word_for_word(
    cli: Callable[..., Any], target: str, message: str
) -> None:
    result = cli("trace", target, "--input-shape", "3,4")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_import_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]
) -> None:
    (tmp_path / "broken_import.py").write_text("import no_such_dependency_xyz\n")
    (tmp_path / "bad_syntax.py").write_text("def f(:\n")
    (tmp_path / "raises.py").write_text("def build():\n    raise ValueError('no GPU\\nmore')\n")
    monkeypatch.chdir(tmp_path)
    cases = {
        "broken_import:f": "TARGET 'broken_import:f': importing broken_import raised "
        "ModuleNotFoundError: No module named 'no_such_dependency_xyz'",
        "bad_syntax.py:f": "TARGET 'bad_syntax.py:f': importing bad_syntax.py raised "
        "SyntaxError: invalid syntax (bad_syntax.py, line 1)",
        "raises:build": "TARGET 'raises:build': building the model raised ValueError: no GPU",
    }
    for target, message in cases.items():
        result = cli("trace", target, "--input-shape", "3,4")
        assert result.exit_code == 2
        assert result.stderr == f"lstm-shapes: error: {message}\n"


def test_bad_options_word_for_word(cli: Callable[..., Any]) -> None:
    tagger = f"{TAGGER}:Tagger"
    cases = {
        ("-s", "32x50"): "--input-shape must be whole numbers from 1 up, separated by commas, "
        "e.g. 3,7,12 (got '32x50')",
        ("-s", "3,4", "--input-dtype", "int8"): "--input-dtype must be one of float32, "
        "float64, float16, bfloat16, int64, int32 (got 'int8')",
        ("-s", "3,4", "-s", "3", "--input-dtype", "int64", "--input-dtype", "int64",
         "--input-dtype", "int64"): "--input-dtype must be given once for all inputs or once "
        "per --input-shape (got 3 --input-dtype for 2 --input-shape)",
        (): "trace needs the model's inputs: --input-shape (once per positional tensor) or "
        "--inputs FILE:function",
        ("-s", "3,4", "--inputs", "x.py:f"): "--inputs gives the inputs itself: leave out "
        "--input-shape",
        ("--inputs", "x.py:f", "--input-dtype", "int64"): "--inputs gives the inputs itself: "
        "leave out --input-dtype",
        ("-s", "3,4", "--init", "3=4"): "--init must be key=value with a Python name as key, "
        "e.g. hidden_size=128 (got '3=4')",
        ("-s", "3,4", "--init", "a=1", "--init", "a=2"): "--init gives a twice (got 'a=2')",
        ("-s", "3,4", "--seed", "-1"): "--seed must be a whole number from 0 to 2147483647 "
        "(got -1)",
        ("-s", "3,4", "--device", "tpu"): "--device must be one of auto, cpu, cuda, cuda:K or "
        "mps (got 'tpu')",
        ("-s", "3,4", "--init", "vocab_size=10"): "--init needs a class or a function to call, "
        "but TARGET 'x' is a model instance already",
    }  # fmt: skip
    for options, message in cases.items():
        target = "tests/probe/trace_models.py:instance" if "vocab_size=10" in options else tagger
        result = cli("trace", target, *options)
        if "instance already" in message:
            message = message.replace("'x'", f"'{target}'")
        assert (result.exit_code, result.stderr) == (2, f"lstm-shapes: error: {message}\n")


# --- the library --------------------------------------------------------------------------


class Twice(nn.Module):
    """One LSTM called twice; the second call receives an explicit state."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, proj_size=3, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, state = self.lstm(x)
        out, _ = self.lstm(x, state)
        return out


def test_library_trace_with_a_tensor_and_repeated_calls() -> None:
    model = Twice()
    model.lstm.eval()  # a mixed state: trace must restore it module by module
    report = trace(model, torch.randn(2, 5, 4))
    assert report.ok and report.output == [2, 5, 3]
    (lstm,) = report.layers
    assert lstm.calls == 2 and len(lstm.shape_sets) == 2
    first, second = lstm.shape_sets
    assert (first.tensors["h0"].given, second.tensors["h0"].given) == (False, True)
    assert second.tensors["h0"].shape == (1, 2, 3)  # H_out = proj_size
    assert second.tensors["c0"].shape == (1, 2, 6)  # H_cell = hidden_size
    (loop,) = report.path
    assert isinstance(loop, PathLoop) and loop.count == 2
    assert model.training and not model.lstm.training  # restored as found
    assert not model.lstm._forward_hooks and not model.lstm._forward_pre_hooks


def test_packed_sequence_input() -> None:
    class Packed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(3, 5, batch_first=True, bidirectional=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            packed = nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1], batch_first=True)
            _, hn = self.gru(packed)
            return hn

    report = trace(Packed(), input_shape=(3, 4, 3))
    (gru,) = report.layers
    (shapes,) = gru.shape_sets
    assert shapes.packed == PackedStages(
        lengths=(4, 2, 1),
        batch_sizes=(3, 2, 1, 1),
        packed_input=(7, 3),
        packed_output=(7, 10),
        padded=(3, 4, 3),
        padded_batch_first=True,
    )
    assert shapes.packed.last_steps == (3, 1, 0)
    assert shapes.tensors["input"].shape == (7, 3)
    assert shapes.tensors["input"].symbols == "(sum(lengths), H_in)"
    assert shapes.tensors["hn"].symbols == "(D*num_layers, N, H_out)"
    assert shapes.tensors["hn"].shape == (2, 3, 5)
    assert torch._VF._pack_padded_sequence is torch._C._VariableFunctions._pack_padded_sequence


def test_an_unbatched_bare_module() -> None:
    report = trace(nn.RNN(3, 4, num_layers=2), input_shape="6,3")
    (rnn,) = report.layers
    assert rnn.name == "the model"
    assert rnn.shape_sets[0].tensors["h0"].symbols == "(D*num_layers, H_out)"
    assert report.output == [[6, 4], [2, 4]]


def test_error_before_any_recurrent_layer() -> None:
    report = trace(load_target(f"{TAGGER}:Tagger"), input_shape=(2, 3), input_dtype="float32")
    assert report.failure is not None
    assert (report.failure.layer, report.failure.after) == ("embedding", None)
    assert report.failure.error_type == "RuntimeError"
    assert report.layers == []


def test_library_errors() -> None:
    with pytest.raises(SpecError) as error:
        trace("model", input_shape=(1, 2))
    assert str(error.value) == (
        "TARGET must be module:factory, e.g. mypackage.models:build_model or models.py:Net "
        "(got 'model')"
    )
    with pytest.raises(SpecError) as error:
        trace(3, input_shape=(1, 2))
    assert str(error.value) == "trace() needs a torch.nn.Module (got int)"
    with pytest.raises(SpecError) as error:
        trace(nn.Linear(2, 3))
    assert str(error.value) == "trace() needs input_data, kwargs or input_shape"
    with pytest.raises(SpecError) as error:
        trace(nn.Linear(2, 3), torch.zeros(1, 2), input_shape=(1, 2))
    assert str(error.value) == "trace() takes input_data or input_shape, not both"
    with pytest.raises(SpecError) as error:
        trace(nn.Linear(2, 3), (1, 2))  # a tuple holds the positional arguments
    assert str(error.value) == (
        "Linear: the model's forward(input) cannot take what was given: too many positional "
        "arguments (given 2 positional arguments)"
    )


class WrongStates(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.lstm = nn.LSTM(3, 4)
        self.gru = nn.GRU(3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0 = torch.zeros(1, x.size(1), 4)
        if self.kind == "gru":
            return self.gru(x, (h0, h0))[0]  # a GRU has no c0
        return self.lstm(x, h0)[0]  # an LSTM needs (h0, c0)


def test_state_tuple_mix_ups() -> None:
    failure = trace(WrongStates("gru"), input_shape=(5, 2, 3)).failure
    assert failure is not None and failure.layer == "gru"
    assert problem_sentences(failure.diagnosis) == [
        "An nn.GRU takes its state as one tensor h0, but a tuple (h0, c0) was passed.",
        "only nn.LSTM and nn.LSTMCell have a cell state c; nn.GRU's state is h alone. "
        "Fix: output, hn = gru(x, h0)",
    ]
    report = trace(WrongStates("lstm"), input_shape=(5, 2, 3))
    assert list(report.layers[0].shape_sets[0].tensors) == ["input", "h0"]  # no invented c0
    failure = report.failure
    assert failure is not None and failure.layer == "lstm"
    assert problem_sentences(failure.diagnosis) == [
        "An nn.LSTM takes its state as a tuple (h0, c0), but h0 was passed alone.",
        "the hidden state h and the cell state c go in together; pass neither to start both "
        "from zeros. Fix: output, (hn, cn) = lstm(x, (h0, c0))",
    ]
