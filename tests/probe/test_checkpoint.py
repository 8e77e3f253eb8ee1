"""``inspect``: real checkpoints written by torch.save, read back from their weights alone."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from lstm_shapes import inspect_checkpoint
from lstm_shapes.probe.runtime import build_module
from lstm_shapes.spec.core import ModuleSpec
from tests.theory.test_weights import module_specs


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(100, 16)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=True)


class Zoo(nn.Module):
    """Nested modules, a bidirectional LSTM, a projection, GRU and RNN side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.projected = nn.LSTM(64, 40, proj_size=12, dropout=0.2, num_layers=3)
        self.gru = nn.GRU(12, 24, bias=False)
        self.rnn = nn.RNN(24, 6, num_layers=2, nonlinearity="relu", bidirectional=True)
        self.head = nn.Linear(12, 3)


ZOO = [
    (
        "encoder.lstm",
        ModuleSpec(input_size=16, hidden_size=32, num_layers=2, bidirectional=True),
    ),
    ("projected", ModuleSpec(input_size=64, hidden_size=40, num_layers=3, proj_size=12)),
    ("gru", ModuleSpec(input_size=12, hidden_size=24, bias=False, kind="gru")),
    (
        "rnn",
        ModuleSpec(input_size=24, hidden_size=6, num_layers=2, bidirectional=True, kind="rnn"),
    ),
]


@pytest.fixture
def save(tmp_path: Path) -> Callable[..., Path]:
    def write(obj: Any, name: str = "model.pt", **kwargs: Any) -> Path:
        path = tmp_path / name
        torch.save(obj, path, **kwargs)
        return path

    return write


def found(path: Path, **kwargs: Any) -> list[tuple[str, ModuleSpec]]:
    return [(m.name, m.found.module) for m in inspect_checkpoint(path, **kwargs).modules]


def test_nested_bidirectional_projection_gru_rnn_side_by_side(
    save: Callable[..., Path],
) -> None:
    assert found(save(Zoo().state_dict())) == ZOO


@pytest.mark.parametrize(
    "wrap",
    [
        lambda sd: {"state_dict": sd, "epoch": 3},
        lambda sd: {"model_state_dict": sd, "optimizer_state_dict": {}, "loss": 0.5},
        lambda sd: {"model": sd},
        lambda sd: {"net": sd},
        lambda sd: {"checkpoint": {"module": sd}, "step": 10},
        lambda sd: [sd],
    ],
    ids=["state_dict", "model_state_dict", "model", "net", "nested", "list"],
)
def test_state_dict_found_under_common_keys(
    save: Callable[..., Path], wrap: Callable[[Any], Any]
) -> None:
    assert found(save(wrap(Zoo().state_dict()))) == ZOO


def test_with_optimizer_state_alongside(save: Callable[..., Path]) -> None:
    model = Zoo()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sum(p.sum() for p in model.parameters()).backward()
    optimizer.step()  # momentum buffers: tensors under integer keys in the optimizer state
    path = save({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    report = inspect_checkpoint(path)
    assert [(m.name, m.found.module) for m in report.modules] == ZOO
    assert {m.source for m in report.modules} == {"model"}
    assert report.tensor_count == 2 * len(model.state_dict())  # + a momentum buffer each


def test_argparse_options_saved_next_to_the_weights(save: Callable[..., Path]) -> None:
    import argparse

    args = argparse.Namespace(arch="zoo", lr=0.1, layers=[2, 3])
    assert found(save({"args": args, "model": Zoo().state_dict()})) == ZOO


def test_dataparallel_and_lightning_prefixes(save: Callable[..., Path]) -> None:
    wrapped = nn.DataParallel(Zoo())  # keys start with "module."
    report = inspect_checkpoint(save({"state_dict": wrapped.state_dict()}))
    assert [m.name for m in report.modules] == [f"module.{name}" for name, _ in ZOO]
    assert any("nn.DataParallel" in note for note in report.notes)
    lightning = {f"model.{k}": v for k, v in Zoo().state_dict().items()}
    assert found(save({"state_dict": lightning}, "lightning.ckpt")) == [
        (f"model.{name}", m) for name, m in ZOO
    ]


def test_bare_module_and_legacy_format(save: Callable[..., Path]) -> None:
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    path = save(lstm.state_dict(), _use_new_zipfile_serialization=False)
    assert found(path) == [
        ("", ModuleSpec(input_size=10, hidden_size=20, num_layers=2, bidirectional=True))
    ]


def test_half_precision_weights(save: Callable[..., Path]) -> None:
    model = Zoo().half()
    assert found(save(model.state_dict()), run=True) == ZOO


def test_two_state_dicts_in_one_file(save: Callable[..., Path]) -> None:
    gru = nn.GRU(3, 4).state_dict()
    report = inspect_checkpoint(save({"model": gru, "ema": gru}))
    assert [(m.source, m.name) for m in report.modules] == [("model", ""), ("ema", "")]
    assert "checkpoint['ema'], checkpoint['model']" in report.notes[-1]


@given(st.lists(module_specs(), min_size=1, max_size=3))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_random_configs_round_trip_through_torch_save(
    tmp_path: Path, modules: list[ModuleSpec]
) -> None:
    model = nn.ModuleDict({f"m{k}": build_module(torch, m) for k, m in enumerate(modules)})
    path = tmp_path / "random.pt"
    torch.save({"state_dict": model.state_dict()}, path)
    assert found(path) == [(f"m{k}", m) for k, m in enumerate(modules)]


def test_run_loads_strict_and_runs(save: Callable[..., Path]) -> None:
    report = inspect_checkpoint(save(Zoo().state_dict()), run=True, batch=2, seq_len=5)
    shapes = {m.name: m.run.shapes for m in report.modules if m.run is not None}
    assert shapes["encoder.lstm"] == {
        "input": (5, 2, 16),
        "output": (5, 2, 64),
        "hn": (4, 2, 32),
        "cn": (4, 2, 32),
    }
    assert shapes["projected"]["hn"] == (3, 2, 12)
    assert shapes["projected"]["cn"] == (3, 2, 40)
    assert shapes["gru"] == {"input": (5, 2, 12), "output": (5, 2, 24), "hn": (1, 2, 24)}


def test_expected_shapes_symbolic_and_concrete(save: Callable[..., Path]) -> None:
    path = save(Zoo().state_dict())
    (lstm, *_) = inspect_checkpoint(path).modules
    shapes = {(t.name, t.batch_first): t.shape_text for t in lstm.tensors}
    assert shapes == {
        ("input", False): "(L, N, 16)",
        ("input", True): "(N, L, 16)",
        ("h0", None): "(4, N, 32)",
        ("c0", None): "(4, N, 32)",
        ("output", False): "(L, N, 64)",
        ("output", True): "(N, L, 64)",
        ("hn", None): "(4, N, 32)",
        ("cn", None): "(4, N, 32)",
    }
    (lstm, *_) = inspect_checkpoint(path, batch=8, seq_len=30).modules
    assert [t.shape_text for t in lstm.tensors][:2] == ["(30, 8, 16)", "(8, 30, 16)"]


# --- errors -------------------------------------------------------------------------------


class Payload:
    """Unpickling this calls exec(), which writes a file: what a malicious checkpoint does."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        code = f"with open({str(self.target)!r}, 'w') as f:\n    f.write('pwned')"
        return (exec, (code,))


@pytest.mark.parametrize("container", ["zip", "legacy"])
def test_malicious_pickle_never_runs_and_is_named(
    tmp_path: Path, cli: Callable[..., Any], container: str
) -> None:
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pt"
    payload = {"state_dict": nn.GRU(3, 4).state_dict(), "x": Payload(marker)}
    torch.save(payload, path, _use_new_zipfile_serialization=container == "zip")
    result = cli("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    report = inspect_checkpoint(path)
    assert [(m.source, m.name) for m in report.modules] == [("state_dict", "")]
    assert report.placeholders == ["builtins.exec"]
    assert (
        "Warning: the file names builtins.exec, which torch.load(weights_only=False) would "
        "call: do not load it with torch.load." in report.notes
    )
    assert not marker.exists()


def test_a_plain_pickle_naming_exec(tmp_path: Path, cli: Callable[..., Any]) -> None:
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": Payload(marker)}, protocol=2))
    result = cli("inspect", str(path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: CHECKPOINT {str(path)!r} holds no state dict: it is a dict with "
        "keys 'x'; it names builtins.exec, which torch.load(weights_only=False) would call: "
        "lstm-shapes never did\n"
    )
    assert not marker.exists()


def test_the_payload_is_real(tmp_path: Path) -> None:
    """The tests above would catch a loader that runs code: this payload does write its file."""
    marker = tmp_path / "pwned.txt"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.read_text() == "pwned"


def test_whole_model_pickle_is_read_not_run(save: Callable[..., Path]) -> None:
    path = save(nn.LSTM(3, 4))
    report = inspect_checkpoint(path)
    assert [(m.name, m.found.module) for m in report.modules] == [
        ("", ModuleSpec(input_size=3, hidden_size=4))
    ]
    assert report.notes[2] == (
        "This file holds a whole model pickled with torch.save(model) "
        "(torch.nn.modules.rnn.LSTM): its classes were not imported and nothing in it ran; "
        "the weights were read from the pickled parameters. torch.load(weights_only=True) "
        "refuses such a file: save model.state_dict() to share it."
    )


def _truncated(tmp_path: Path, legacy: bool) -> Path:
    kind = "legacy" if legacy else "zip"
    path = tmp_path / f"full-{kind}.pt"
    torch.save(Zoo().state_dict(), path, _use_new_zipfile_serialization=not legacy)
    data = path.read_bytes()
    cut = tmp_path / f"cut-{kind}.pt"
    cut.write_bytes(data[: len(data) // 2] if not legacy else data[:300])
    return cut


def test_error_messages_word_for_word(tmp_path: Path, cli: Callable[..., Any]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello world\n")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    cut = _truncated(tmp_path, legacy=False)
    size = cut.stat().st_size
    legacy_cut = _truncated(tmp_path, legacy=True)
    no_rnn = tmp_path / "linear.pt"
    torch.save(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).state_dict(), no_rnn)
    no_tensors = tmp_path / "meta.pt"
    torch.save({"epoch": 3, "lr": 0.1}, no_tensors)
    markdown = tmp_path / "README.md"
    markdown.write_text("# lstm-shapes\n\nA text file, not weights.\n")
    bare_tensor = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), bare_tensor)
    bad = tmp_path / "bad.pt"
    state = nn.GRU(3, 4).state_dict()
    state["weight_hh_l0"] = torch.zeros(12, 5)
    torch.save({"model": state}, bad)
    zip_other = tmp_path / "photos.zip"
    import zipfile

    with zipfile.ZipFile(zip_other, "w") as archive:
        archive.writestr("a.txt", "not a model")
    cases = {
        tmp_path / "missing.pt": "does not exist",
        tmp_path: "is a directory, not a checkpoint file",
        text: "is not a PyTorch checkpoint: it is neither a torch.save zip archive nor a pickle",
        markdown: "is not a PyTorch checkpoint: it is neither a torch.save zip archive nor a "
        "pickle",
        empty: "is empty (0 bytes), not a checkpoint",
        cut: "is truncated or corrupt: it starts like a torch.save zip archive but its end is "
        f"missing ({size} bytes)",
        no_rnn: "has no recurrent weights: none of its 4 tensors is named like "
        "<module>.weight_ih_l0 or <cell>.weight_ih (it has 0.weight, 0.bias, 2.weight, 2.bias)",
        no_tensors: "holds no state dict: it is a dict with keys 'epoch', 'lr'",
        bare_tensor: "holds no state dict: it is a Tensor",
        bad: "(in checkpoint['model']): inconsistent shapes in the top-level module: "
        "weight_ih_l0 has 12 rows, which is not 4, 3 or 1 gate blocks of hidden_size=5 "
        "(LSTM 20, GRU 15, RNN 5)",
    }
    for path, message in cases.items():
        result = cli("inspect", str(path))
        assert (result.exit_code, result.stdout) == (2, ""), path
        assert result.stderr == f"lstm-shapes: error: CHECKPOINT {str(path)!r} {message}\n"
    result = cli("inspect", str(legacy_cut))
    assert result.exit_code == 2
    assert result.stderr.startswith(  # then torch's own words, which vary with the damage
        f"lstm-shapes: error: CHECKPOINT {str(legacy_cut)!r} is truncated or corrupt: it "
        "starts like a legacy torch.save file but "
    )
    result = cli("inspect", str(zip_other))
    assert result.exit_code == 2
    assert result.stderr == (
        f"lstm-shapes: error: CHECKPOINT {str(zip_other)!r} is a zip archive but not a "
        "PyTorch checkpoint (no data.pkl among its 1 file)\n"
    )
    result = cli("inspect", str(text), "--batch", "0")
    assert result.stderr == (
        "lstm-shapes: error: --batch must be a whole number from 1 to 2147483647 (got 0)\n"
    )


# --- CLI output ---------------------------------------------------------------------------


@pytest.fixture
def zoo_path(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "zoo.pt"
    torch.save({"model_state_dict": nn.DataParallel(Zoo()).state_dict(), "epoch": 3}, path)
    return path


def _stable(text: str, path: Path) -> str:
    return text.replace(str(path), "zoo.pt")


def test_table_golden(
    zoo_path: Path, cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    result = cli("inspect", str(zoo_path), "--run", "-N", "2")
    assert result.exit_code == 0, result.stderr
    golden("inspect_zoo.txt", _stable(result.stdout, zoo_path))


def test_markdown_golden(
    zoo_path: Path, cli: Callable[..., Any], golden: Callable[[str, str], None]
) -> None:
    result = cli("inspect", str(zoo_path), "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    golden("inspect_zoo.md", _stable(result.stdout, zoo_path))


def test_json_contract(zoo_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("inspect", str(zoo_path), "--format", "json", "--run")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    keys = ["name", "kind", "input_size", "hidden_size", "num_layers", "bias"]
    keys += ["bidirectional", "proj_size"]
    assert [{k: m[k] for k in keys} for m in data["modules"]] == [
        {
            "name": f"module.{name}",
            "kind": m.kind,
            "input_size": m.input_size,
            "hidden_size": m.hidden_size,
            "num_layers": m.num_layers,
            "bias": m.bias,
            "bidirectional": m.bidirectional,
            "proj_size": m.proj_size,
        }
        for name, m in ZOO
    ]
    gru = data["modules"][2]
    assert [t["name"] for t in gru["tensors"]] == ["input", "input", "h0", "output", "output", "hn"]
    assert gru["tensors"][2] == {
        "name": "h0",
        "batch_first": None,
        "shape": [1, "N", 24],
        "symbols": ["D*num_layers", "N", "H_out"],
    }
    assert gru["not_in_weights"] == ["batch_first", "dropout"]
    assert data["modules"][3]["not_in_weights"] == ["batch_first", "dropout", "nonlinearity"]
    assert gru["run"]["shapes"] == {"input": [7, 3, 12], "output": [7, 3, 24], "hn": [1, 3, 24]}


# --- safetensors --------------------------------------------------------------------------

SAFETENSORS_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """The safetensors format by hand (8-byte header length, JSON header, raw bytes), so
    that the tests need no extra package."""
    import ctypes
    import struct

    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, tensor in tensors.items():
        tensor = tensor.contiguous()
        data = ctypes.string_at(tensor.data_ptr(), tensor.numel() * tensor.element_size())
        header[name] = {
            "dtype": SAFETENSORS_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def test_safetensors_files(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    model = Zoo()
    model.gru.to(torch.bfloat16)
    save_safetensors(model.state_dict(), path)
    report = inspect_checkpoint(path, run=True)
    assert [(m.name, m.found.module) for m in report.modules] == ZOO
    assert all(m.run is not None for m in report.modules)
    assert report.tensor_count == len(model.state_dict())


def test_damaged_safetensors_files(tmp_path: Path, cli: Callable[..., Any]) -> None:
    path = tmp_path / "model.safetensors"
    save_safetensors(nn.GRU(3, 4).state_dict(), path)
    data = path.read_bytes()
    header = int.from_bytes(data[:8], "little")
    cut_header = tmp_path / "cut-header.safetensors"
    cut_header.write_bytes(data[:100])
    cut_data = tmp_path / "cut-data.safetensors"
    cut_data.write_bytes(data[:-4])
    data_size = len(data) - 8 - header
    cases = {
        cut_header: "is truncated or corrupt: its safetensors header says "
        f"{header} bytes but the file has 100 bytes",
        cut_data: "is truncated or corrupt: the data of 'bias_hh_l0' ends at byte "
        f"{data_size} but the file holds {data_size - 4} bytes of data",
    }
    for damaged, message in cases.items():
        result = cli("inspect", str(damaged))
        assert result.exit_code == 2
        assert result.stderr == f"lstm-shapes: error: CHECKPOINT {str(damaged)!r} {message}\n"


def test_nested_state_dicts_are_named_as_python(
    save: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    path = save({"checkpoint": {"models": [nn.GRU(3, 4).state_dict()]}})
    result = cli("inspect", str(path))
    assert "module '' (a bare module's state dict) in checkpoint['checkpoint']['models'][0]" in (
        result.stdout
    )
    data = json.loads(cli("inspect", str(path), "-f", "json").stdout)
    assert data["modules"][0]["state_dict_key"] == "checkpoint.models.0"
