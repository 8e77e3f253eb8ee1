"""``inspect`` on checkpoints as libraries write them: Lightning dicts with a user's class in
the hyper-parameters, numpy values, whole pickled models, TorchScript archives, cells, weight
norm, weight drop, torch.compile's prefix and dynamic quantization. None of them may import
or run anything the file names."""

from __future__ import annotations

import os
import struct
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_shapes import SpecError, inspect_checkpoint
from lstm_shapes.probe.runtime import build_module
from lstm_shapes.spec.core import ModuleSpec

#: A user's module: importing it, creating, calling or restoring its class writes the marker.
HOSTILE_MODULE = """
import os, pathlib

MARKER = pathlib.Path(os.environ["LSTM_SHAPES_TEST_MARKER"])
MARKER.write_text("imported")


class Config:
    def __new__(cls, *args, **kwargs):
        MARKER.write_text("created")
        return super().__new__(cls)

    def __init__(self, hidden=16):
        MARKER.write_text("called")
        self.hidden = hidden

    def __setstate__(self, state):
        MARKER.write_text("restored")
        self.__dict__.update(state)


class Net(__import__("torch").nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = __import__("torch").nn.LSTM(8, 16, bidirectional=True)

    def __setstate__(self, state):
        MARKER.write_text("restored")
        super().__setstate__(state)
"""


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Path]]:
    """The user's module, importable from sys.path, and its marker file (absent)."""
    marker = tmp_path / "marker.txt"
    (tmp_path / "user_config_11b.py").write_text(HOSTILE_MODULE)
    monkeypatch.setenv("LSTM_SHAPES_TEST_MARKER", str(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_config_11b

    yield user_config_11b, marker
    sys.modules.pop("user_config_11b", None)


def forget(module: Any, marker: Path) -> None:
    """As in a fresh process: the module not yet imported, the marker not yet written."""
    sys.modules.pop(module.__name__, None)
    marker.unlink(missing_ok=True)


class Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.encoder = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
        self.head = nn.Linear(32, 5)


TAGGER = (
    "model.encoder",
    ModuleSpec(input_size=8, hidden_size=16, num_layers=2, bidirectional=True),
)


def lightning_checkpoint(config: Any) -> dict[str, Any]:
    """What pytorch_lightning's Trainer.save_checkpoint writes, with numpy values in it."""
    model = Tagger()
    optimizer = torch.optim.Adam(model.parameters())
    sum(p.sum() for p in model.parameters()).backward()
    optimizer.step()
    return {
        "epoch": 4,
        "global_step": np.int64(1200),
        "pytorch-lightning_version": "2.4.0",
        "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 5}}}},
        "callbacks": {"ModelCheckpoint": {"best_model_score": torch.tensor(0.25)}},
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [],
        "hyper_parameters": {"config": config, "lr": np.float64(1e-3), "dims": np.arange(4)},
        "stats": {"mean": np.zeros((3, 2), dtype=np.float32)},
    }


def found(path: Path, **kwargs: Any) -> list[tuple[str, Any]]:
    return [(m.name, m.found.module) for m in inspect_checkpoint(path, **kwargs).modules]


def test_lightning_checkpoint_with_a_user_class_and_numpy_values(
    tmp_path: Path, hostile: tuple[Any, Path], cli: Callable[..., Any]
) -> None:
    module, marker = hostile
    path = tmp_path / "last.ckpt"
    torch.save(lightning_checkpoint(module.Config(hidden=16)), path)
    forget(module, marker)
    report = inspect_checkpoint(path, run=True)
    assert [(m.name, m.found.module) for m in report.modules] == [TAGGER]
    assert report.modules[0].source == "state_dict"
    assert "user_config_11b.Config" in report.placeholders
    assert any(name.startswith("numpy.") for name in report.placeholders)
    result = cli("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    assert not marker.exists()
    assert "user_config_11b" not in sys.modules


def test_the_user_class_would_run_if_torch_loaded_the_file(
    tmp_path: Path, hostile: tuple[Any, Path]
) -> None:
    """The test above would catch a loader that imports or calls: torch.load does both."""
    module, marker = hostile
    path = tmp_path / "last.ckpt"
    torch.save(lightning_checkpoint(module.Config()), path)
    forget(module, marker)
    torch.load(path, weights_only=False)
    assert marker.read_text() == "restored"


def test_a_whole_pickled_model_is_read_without_running_it(
    tmp_path: Path, hostile: tuple[Any, Path]
) -> None:
    module, marker = hostile
    path = tmp_path / "whole.pt"
    torch.save(module.Net(), path)
    forget(module, marker)
    report = inspect_checkpoint(path, run=True)
    assert [(m.name, m.found.module) for m in report.modules] == [
        ("encoder", ModuleSpec(input_size=8, hidden_size=16, bidirectional=True))
    ]
    assert any(
        note.startswith(
            "This file holds a whole model pickled with torch.save(model) "
            "(user_config_11b.Net): its classes were not imported and nothing in it ran"
        )
        for note in report.notes
    )
    assert not marker.exists()
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_the_whole_model_note_only_for_a_whole_model(tmp_path: Path) -> None:
    path = tmp_path / "mixed.pt"
    checkpoint = lightning_checkpoint(config=None)
    checkpoint["hyper_parameters"]["loss"] = nn.CrossEntropyLoss()  # a module, no weights
    torch.save(checkpoint, path)
    report = inspect_checkpoint(path)
    assert not any("whole model" in note for note in report.notes)
    assert "torch.nn.modules.loss.CrossEntropyLoss" in report.placeholders
    torch.save({"model": Tagger(), "epoch": 3}, path)
    report = inspect_checkpoint(path)
    assert [m.name for m in report.modules] == ["encoder"]
    assert any(
        note.startswith(
            "checkpoint['model'] is a whole model pickled with torch.save(model) "
            "(tests.probe.test_checkpoint_formats.Tagger): its classes were not imported"
        )
        for note in report.notes
    )


def test_a_file_of_other_objects_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "meta.pt"
    torch.save({"args": {"lr": np.float64(0.1)}, "vocab": ["a", "b"]}, path)
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(path)
    assert str(error.value) == (
        f"CHECKPOINT {str(path)!r} holds no state dict: it is a dict with keys 'args', 'vocab'"
    )


# --- TorchScript ----------------------------------------------------------------------------


class Decoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2)
        self.cell = nn.GRUCell(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(x)
        return self.cell(y[0])


def jit_save(make: Callable[[], Any], path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated, not gone
        torch.jit.save(make(), path)


def test_torchscript_archives_are_read_without_their_code(tmp_path: Path) -> None:
    path = tmp_path / "scripted.pt"
    jit_save(lambda: torch.jit.script(Decoder()), path)
    report = inspect_checkpoint(path, run=True)
    assert report.format == "torchscript"
    assert [(m.name, m.found.module) for m in report.modules] == [
        ("lstm", ModuleSpec(input_size=3, hidden_size=4, num_layers=2)),
        ("cell", ModuleSpec(input_size=4, hidden_size=5, kind="grucell")),
    ]
    assert report.modules[1].run is not None
    assert report.modules[1].run.shapes == {"input": (3, 4), "h1": (3, 5)}
    assert any(note.startswith("This is a TorchScript archive") for note in report.notes)


def test_traced_modules_too(tmp_path: Path) -> None:
    path = tmp_path / "traced.pt"
    model = nn.Sequential(nn.GRU(6, 7, batch_first=True))
    jit_save(lambda: torch.jit.trace(model, torch.zeros(2, 3, 6), check_trace=False), path)
    assert found(path) == [("0", ModuleSpec(input_size=6, hidden_size=7, kind="gru"))]


# --- cells ------------------------------------------------------------------------------------


class Cells(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.LSTMCell(8, 16)
        self.decoder = nn.GRUCell(16, 4, bias=False)
        self.out = nn.RNNCell(4, 2, nonlinearity="relu")


CELLS = [
    ("encoder", ModuleSpec(input_size=8, hidden_size=16, kind="lstmcell")),
    ("decoder", ModuleSpec(input_size=16, hidden_size=4, bias=False, kind="grucell")),
    ("out", ModuleSpec(input_size=4, hidden_size=2, kind="rnncell")),
]


def test_cells_are_inferred_and_run(tmp_path: Path) -> None:
    path = tmp_path / "cells.pt"
    torch.save(Cells().state_dict(), path)
    report = inspect_checkpoint(path, run=True, batch=5)
    assert [(m.name, m.found.module) for m in report.modules] == CELLS
    lstm_cell = report.modules[0]
    assert lstm_cell.run is not None
    assert lstm_cell.run.shapes == {"input": (5, 8), "h1": (5, 16), "c1": (5, 16)}
    assert [(t.name, t.shape_text, t.symbols) for t in lstm_cell.tensors] == [
        ("input", "(5, 8)", "(N, H_in)"),
        ("h0", "(5, 16)", "(N, H)"),
        ("c0", "(5, 16)", "(N, H)"),
        ("h1", "(5, 16)", "(N, H)"),
        ("c1", "(5, 16)", "(N, H)"),
    ]
    assert lstm_cell.parameter_count == sum(p.numel() for p in nn.LSTMCell(8, 16).parameters())
    assert report.modules[2].found.unknown == ("nonlinearity",)


def test_cells_in_json_leave_out_what_does_not_apply(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    import json

    path = tmp_path / "cells.pt"
    torch.save(Cells().state_dict(), path)
    result = cli("inspect", str(path), "-f", "json")
    module = json.loads(result.stdout)["modules"][0]
    assert {k: module[k] for k in ("name", "kind", "input_size", "hidden_size", "bias")} == {
        "name": "encoder",
        "kind": "lstmcell",
        "input_size": 8,
        "hidden_size": 16,
        "bias": True,
    }
    assert "num_layers" not in module and "proj_size" not in module
    assert [t["name"] for t in module["tensors"]] == ["input", "h0", "c0", "h1", "c1"]
    assert module["tensors"][0] == {
        "name": "input",
        "batch_first": None,
        "shape": ["N", 8],
        "symbols": ["N", "H_in"],
    }


def test_a_cell_missing_weight_hh_is_named(tmp_path: Path) -> None:
    path = tmp_path / "half.pt"
    state = nn.LSTMCell(3, 4).state_dict()
    del state["weight_hh"]
    torch.save({"decoder." + k: v for k, v in state.items()}, path)
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(path)
    assert str(error.value) == (
        f"CHECKPOINT {str(path)!r}: inconsistent shapes in module 'decoder': it has "
        "decoder.bias_hh but no decoder.weight_hh; every nn.LSTMCell, nn.GRUCell and "
        "nn.RNNCell has both weight_ih and weight_hh"
    )


# --- weight variants --------------------------------------------------------------------------


def test_weight_norm_parametrization(tmp_path: Path) -> None:
    from torch.nn.utils.parametrizations import weight_norm

    model = nn.Module()
    model.rnn = weight_norm(nn.LSTM(5, 6, num_layers=2), name="weight_hh_l1")
    path = tmp_path / "wn.pt"
    torch.save(model.state_dict(), path)
    report = inspect_checkpoint(path, run=True)
    assert [(m.name, m.found.module) for m in report.modules] == [
        ("rnn", ModuleSpec(input_size=5, hidden_size=6, num_layers=2))
    ]
    (variant,) = report.modules[0].found.variants
    assert (variant.kind, variant.key, variant.stored) == (
        "weight_norm",
        "rnn.weight_hh_l1",
        (
            "rnn.parametrizations.weight_hh_l1.original0",
            "rnn.parametrizations.weight_hh_l1.original1",
        ),
    )
    assert (
        "'rnn': rnn.weight_hh_l1 is stored as weight norm's g and v "
        "(rnn.parametrizations.weight_hh_l1.original0 and "
        "rnn.parametrizations.weight_hh_l1.original1): the weight is g * v / ||v||, with the "
        "shape of v." in report.notes
    )


def test_weight_norm_computes_the_same_weight_as_torch(tmp_path: Path) -> None:
    from torch.nn.utils.parametrizations import weight_norm

    from lstm_shapes.probe.checkpoint import contents, module_state
    from lstm_shapes.probe.unpickle import read_zip

    lstm = weight_norm(nn.LSTM(5, 6), name="weight_hh_l0")
    with torch.no_grad():
        lstm.parametrizations.weight_hh_l0.original0.mul_(3.0)
    path = tmp_path / "wn.pt"
    torch.save(lstm.state_dict(), path)
    ((_source, tensors),) = contents(read_zip(str(path)).obj).state_dicts
    (module,) = inspect_checkpoint(path).modules
    state = module_state(torch, module.found, tensors)
    assert torch.allclose(state["weight_hh_l0"], lstm.weight_hh_l0)


def test_old_style_weight_norm(tmp_path: Path) -> None:
    model = nn.Module()
    with pytest.warns(FutureWarning):
        model.rnn = torch.nn.utils.weight_norm(nn.GRU(5, 6), name="weight_ih_l0")
    path = tmp_path / "wn-old.pt"
    torch.save(model.state_dict(), path)
    assert found(path, run=True) == [("rnn", ModuleSpec(input_size=5, hidden_size=6, kind="gru"))]


def _lstm_state(prefix: str, **renames: str) -> dict[str, torch.Tensor]:
    state = nn.LSTM(10, 20).state_dict()
    return {prefix + renames.get(k, k): v for k, v in state.items()}


@pytest.mark.parametrize(
    ("state", "name"),
    [
        # AWD-LSTM's WeightDrop: the raw weight replaces the plain one inside the module
        (_lstm_state("rnns.0.module.", weight_hh_l0="weight_hh_l0_raw"), "rnns.0.module"),
        # fastai's WeightDropout: the raw weight sits in the wrapper, the rest in .module
        (
            {
                **{k: v for k, v in _lstm_state("rnns.0.module.").items() if "weight_hh" not in k},
                "rnns.0.weight_hh_l0_raw": torch.zeros(80, 20),
            },
            "rnns.0.module",
        ),
        # fastai v1 stores the dropped-out copy as well
        (
            {**_lstm_state("rnns.0.module."), "rnns.0.weight_hh_l0_raw": torch.zeros(80, 20)},
            "rnns.0.module",
        ),
    ],
    ids=["awd-lstm", "fastai", "fastai-v1"],
)
def test_weight_drop(tmp_path: Path, state: dict[str, torch.Tensor], name: str) -> None:
    path = tmp_path / "awd.pt"
    torch.save({"model": state}, path)
    assert found(path, run=True) == [(name, ModuleSpec(input_size=10, hidden_size=20))]


def test_torch_compile_prefix(tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # importing torch._dynamo warns about torch.jit
        compiled = torch.compile(Tagger())
    path = tmp_path / "compiled.pt"
    torch.save(compiled.state_dict(), path)
    report = inspect_checkpoint(path)
    assert [m.name for m in report.modules] == ["_orig_mod.encoder"]
    assert (
        "Keys contain '_orig_mod.': the model was saved from the wrapper that "
        "torch.compile(model) returns; strip that prefix (or save model._orig_mod's state "
        "dict) to load it into the bare model." in report.notes
    )


def _quantized(tmp_path: Path, model: nn.Module, kinds: set[type]) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eager-mode quantization is deprecated, not gone
        quantized = torch.ao.quantization.quantize_dynamic(model, kinds, dtype=torch.qint8)
    path = tmp_path / "quantized.pt"
    torch.save(quantized.state_dict(), path)
    return path


def test_dynamic_quantized_modules_are_read_from_their_packed_weights(tmp_path: Path) -> None:
    model = nn.Sequential(
        nn.LSTM(3, 4, num_layers=2, bidirectional=True),
        nn.GRUCell(8, 5),
        nn.GRU(5, 6),
        nn.Linear(6, 2),
    )
    path = _quantized(tmp_path, model, {nn.LSTM, nn.GRUCell, nn.GRU})
    report = inspect_checkpoint(path, run=True)
    assert [(m.name, m.found.module) for m in report.modules] == [
        ("0", ModuleSpec(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
        ("1", ModuleSpec(input_size=8, hidden_size=5, kind="grucell")),
        ("2", ModuleSpec(input_size=5, hidden_size=6, kind="gru")),
    ]
    assert all(m.run is None for m in report.modules)
    assert (
        "'0', '1', '2': dynamic-quantized (torch.ao.quantization.quantize_dynamic); the qint8 "
        "weights were read from the packed parameters, and the module shown is the float one "
        "they were quantized from. --run skips it: its weights are not float." in report.notes
    )


def test_packed_layers_that_fit_two_modules_are_not_guessed(tmp_path: Path) -> None:
    # 2 packed entries with input_size == hidden_size: 2 layers, or 1 bidirectional layer
    path = _quantized(tmp_path, nn.Sequential(nn.LSTM(4, 4, num_layers=2)), {nn.LSTM})
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(path)
    assert str(error.value) == (
        f"CHECKPOINT {str(path)!r}: the dynamic-quantized module '0' has 2 packed layers "
        "whose shapes fit both a bidirectional module and a one-directional one with twice "
        "the layers; its packed weights cannot tell which"
    )


def test_packed_weights_that_cannot_be_read_are_named(tmp_path: Path) -> None:
    path = tmp_path / "packed.pt"
    torch.save(
        {"lstm._all_weight_values.0.param": {"not": "packed"}, "fc.weight": torch.zeros(2)}, path
    )
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(path)
    assert str(error.value) == (
        f"CHECKPOINT {str(path)!r} has no recurrent weights: none of its 1 tensors is named "
        "like <module>.weight_ih_l0 or <cell>.weight_ih (it has fc.weight); 'lstm' is a "
        "dynamic-quantized module (torch.ao.quantization.quantize_dynamic), whose weights are "
        "packed objects, not tensors: inspect the float model's state dict, saved before "
        "quantizing"
    )


def test_reading_needs_no_torch(tmp_path: Path) -> None:
    """Without --run nothing is materialized: the unpickler builds records, not tensors."""
    import subprocess

    path = tmp_path / "cells.pt"
    torch.save(Cells().state_dict(), path)
    code = textwrap.dedent(
        f"""
        import sys
        from lstm_shapes import inspect_checkpoint
        report = inspect_checkpoint({str(path)!r})
        assert [m.name for m in report.modules] == ['encoder', 'decoder', 'out']
        print('torch' in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.strip() == "False"


# --- damaged or hostile pickles ---------------------------------------------------------------


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _text(value: str) -> bytes:
    return b"X" + struct.pack("<I", len(value)) + value.encode()


_STORAGE = b"((" + _text("storage") + _global("torch", "FloatStorage") + _text("0")
_STORAGE += _text("cpu") + b"K\x04tQ"
HOSTILE_PICKLES = {
    "a length of 1 TiB": (
        b"\x80\x04\x8d" + struct.pack("<Q", 2**40) + b"abc",
        "its pickle cannot be read (UnpicklingError: pickle data was truncated)",
    ),
    "a tensor rebuilt from numbers": (
        b"\x80\x02" + _global("torch._utils", "_rebuild_tensor_v2") + b"(K\x01K\x02K\x03K\x04tR.",
        "a tensor is rebuilt from something that is not a storage",
    ),
    "a tensor changed after it is built": (
        b"\x80\x02"
        + _global("torch._utils", "_rebuild_tensor_v2")
        + _STORAGE
        + b"K\x00K\x04\x85K\x01\x85\x89}tR}"
        + _text("shape")
        + b"K\x07sb.",
        "it changes a storage or tensor record after building it",
    ),
    "a storage reference of another kind": (
        b"\x80\x02" + _text("abc") + b"Q.",
        "a persistent id is not one torch writes: 'abc'",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_PICKLES))
def test_damaged_pickles_give_one_line(tmp_path: Path, cli: Callable[..., Any], case: str) -> None:
    data, message = HOSTILE_PICKLES[case]
    path = tmp_path / "damaged.pt"
    path.write_bytes(data)
    result = cli("inspect", str(path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"lstm-shapes: error: CHECKPOINT {str(path)!r} is truncated or corrupt: it starts like "
        f"a legacy torch.save file but {message}\n"
    )


def test_a_deeply_nested_pickle_is_read_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.pt"
    path.write_bytes(b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".")
    with pytest.raises(SpecError, match=r"holds no state dict: it is a list$"):
        inspect_checkpoint(path)


# --- properties -------------------------------------------------------------------------------


@st.composite
def cell_specs(draw: st.DrawFn) -> ModuleSpec:
    return ModuleSpec(
        input_size=draw(st.integers(1, 40)),
        hidden_size=draw(st.integers(1, 40)),
        bias=draw(st.booleans()),
        kind=draw(st.sampled_from(["lstmcell", "grucell", "rnncell"])),
    )


def build_cell(cell: ModuleSpec) -> nn.Module:
    return build_module(torch, cell)


@given(st.lists(cell_specs(), min_size=1, max_size=3), st.data())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_random_cells_and_weight_norm_round_trip(
    tmp_path: Path, cells: list[ModuleSpec], data: st.DataObject
) -> None:
    from torch.nn.utils.parametrizations import weight_norm

    model = nn.ModuleDict()
    for k, cell in enumerate(cells):
        module = build_cell(cell)
        if data.draw(st.booleans(), label=f"weight norm on cell {k}"):
            name = data.draw(st.sampled_from(["weight_ih", "weight_hh"]))
            module = weight_norm(module, name)
        model[f"c{k}"] = module
    path = tmp_path / "cells.pt"
    torch.save({"model": model.state_dict()}, path)
    assert found(path, run=True) == [(f"c{k}", cell) for k, cell in enumerate(cells)]


def test_speller_markdown_golden(
    cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    """docs/examples/speller.ckpt: Lightning's layout, weight norm, two LSTMCells."""
    from tests.conftest import ROOT

    path = ROOT / "docs" / "examples" / "speller.ckpt"
    result = cli("inspect", str(path), "-f", "markdown", "--run", "-N", "2", "-L", "5")
    assert result.exit_code == 0, result.stderr
    golden("inspect_speller.md", result.stdout.replace(str(path), "speller.ckpt"))


def test_meta_and_complex_weights_have_shapes_but_do_not_run(tmp_path: Path) -> None:
    with torch.device("meta"):
        meta = nn.GRU(3, 4, num_layers=2)
    path = tmp_path / "meta.pt"
    torch.save(meta.state_dict(), path)
    assert found(path) == [("", ModuleSpec(input_size=3, hidden_size=4, num_layers=2, kind="gru"))]
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(path, run=True)
    assert str(error.value) == (
        "--run cannot load the weight 'weight_ih_l0': it is a meta-device tensor, which has a "
        "shape but no data"
    )
    complex_path = tmp_path / "complex.pt"
    torch.save(
        {k: v.to(torch.complex64) for k, v in nn.LSTM(3, 4).state_dict().items()}, complex_path
    )
    with pytest.raises(SpecError) as error:
        inspect_checkpoint(complex_path, run=True)
    assert str(error.value) == (
        "--run cannot load the weight 'weight_ih_l0': it is complex (complex64); recurrent "
        "modules' parameters are real"
    )


def test_a_damaged_compressed_data_pkl(tmp_path: Path, cli: Callable[..., Any]) -> None:
    import zipfile

    path = tmp_path / "deflated.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00." * 50)
    data = bytearray(path.read_bytes())
    data[48:56] = b"\xff" * 8  # inside the compressed stream
    path.write_bytes(bytes(data))
    result = cli("inspect", str(path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"lstm-shapes: error: CHECKPOINT {str(path)!r} is truncated or corrupt"
    )
    assert result.stderr.count("\n") == 1
