"""Input a hostile user might type or hand over: exit 2 and one line naming the problem,
never exit 3 (our bug), never a traceback or a torch warning beside the line."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result, run_subprocess

Cli = Callable[..., Result]
BIG = "1" * 5000


def refused(result: Result, message: str) -> None:
    assert (result.exit_code, result.stdout) == (2, ""), result.stderr
    assert result.stderr == f"lstm-shapes: error: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["explain", "-i", BIG, "-H", "3"],
            "--input-size must be a whole number from 1 to 2147483647 "
            "(got a whole number of 5000 digits)",
        ),
        (
            ["check", "-i", "3", "-H", "3", "--seed", "-" + BIG],
            "--seed must be a whole number from 0 to 2147483647 "
            "(got a whole number of 5000 digits)",
        ),
        (
            ["explain", "-i", "3", "-H", "3", "--dropout", BIG],
            "--dropout must be a number from 0 to 1 "
            "(got '1111111111111111111111111111111111111111'... (5000 characters))",
        ),
    ],
)
def test_huge_integers_on_options(cli: Cli, args: list[str], message: str) -> None:
    refused(cli(*args), message)


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


CASE = '{"name": "a", "lstm": {"input_size": 3, "hidden_size": 3}}'


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "big.json",
            '{"case": [{"lstm": {"input_size": ' + BIG + ', "hidden_size": 3}}]}',
            "big.json: not valid JSON: a number has more than 4,300 digits",
        ),
        (
            "big.toml",
            "[[case]]\nlstm = {input_size = " + BIG + ", hidden_size = 3}\n",
            "big.toml: not valid TOML: a number has more than 4,300 digits",
        ),
        (
            "deep.json",
            '{"case": ' + "[" * 5000 + "]" * 5000 + "}",
            "deep.json: not valid JSON: nested too deeply",
        ),
        (
            "deep.toml",
            "x = " + "[" * 5000 + "]" * 5000 + "\n",
            "deep.toml: not valid TOML: nested too deeply",
        ),
        (
            "deepish.json",
            '{"case": ' + "[" * 100 + "]" * 100 + "}",
            "deepish.json: not valid JSON: nested more than 32 levels deep",
        ),
        (
            "surrogate.json",
            '{"case": [{"name": "a\\ud800", "lstm": {"input_size": 3, "hidden_size": 3}}]}',
            "surrogate.json: not valid JSON: a string holds a lone surrogate (\\ud800), which "
            "is not Unicode text",
        ),
        (
            "long.json",
            '{"case": [{"lstm": {"input_size": "' + "x" * 100 + '", "hidden_size": 3}}]}',
            "long.json: case 1 (case 1): key lstm.input_size: --input-size must be a whole "
            "number from 1 to 2147483647 "
            "(got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100 characters))",
        ),
    ],
)
def test_hostile_spec_files(cli: Cli, tmp_path: Path, name: str, text: str, message: str) -> None:
    refused(cli("check", "--spec", _write(tmp_path / name, text)), message)


def test_a_spec_file_with_a_utf8_bom_loads(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + ('{"case": [' + CASE + "]}").encode())
    result = cli("check", "--spec", str(path))
    assert result.exit_code == 0, result.stderr


CONTROL_NAME = "a\x00b\x1b[31mred\nline<&>"


def _control_case_file(tmp_path: Path) -> str:
    cases = [
        {"name": CONTROL_NAME, "lstm": {"input_size": 3, "hidden_size": 3}},
        {
            "name": "\x07bell",
            "lstm": {"input_size": 3, "hidden_size": 3},
            "input": {"shape": [3, 3, 4]},
        },
    ]
    return _write(tmp_path / "control.json", json.dumps({"case": cases}))


def test_junit_stays_valid_xml_whatever_the_names_hold(cli: Cli, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    result = cli("check", "--spec", _control_case_file(tmp_path), "-f", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout.encode())
    names = [case.get("name") for case in root.iter("testcase")]
    assert names == ["a\\x00b\\x1b[31mred\\nline<&>", "\\x07bell"]


def test_table_output_escapes_control_characters(cli: Cli, tmp_path: Path) -> None:
    result = cli("check", "--spec", _control_case_file(tmp_path))
    assert result.exit_code == 1
    assert "✓ a\\x00b\\x1b[31mred\\nline<&>\n" in result.stdout
    assert "✗ \\x07bell\n" in result.stdout
    assert "\x00" not in result.stdout and "\x1b" not in result.stdout


# --- checkpoints -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state_dict() -> dict[str, Any]:
    import torch

    torch.manual_seed(0)
    return dict(torch.nn.LSTM(3, 4).state_dict())


def _safetensors(path: Path, entries: dict[str, tuple[list[int], int]]) -> str:
    header: dict[str, Any] = {}
    data = b""
    for name, (shape, size) in entries.items():
        header[name] = {
            "dtype": "F32",
            "shape": shape,
            "data_offsets": [len(data), len(data) + size],
        }
        data += b"\x00" * size
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return str(path)


@pytest.mark.parametrize("run", [False, True])
def test_safetensors_shapes_that_do_not_fit_the_data(
    cli: Cli, tmp_path: Path, state_dict: dict[str, Any], run: bool
) -> None:
    entries = {name: (list(t.shape), t.numel() * 4) for name, t in state_dict.items()}
    entries["weight_ih_l0"] = ([16, 3 * 10**18], 16 * 3 * 4)
    path = _safetensors(tmp_path / "lie.safetensors", entries)
    refused(
        cli("inspect", path, *(["--run"] if run else [])),
        f"CHECKPOINT {path!r} is corrupt: the safetensors entry 'weight_ih_l0' has shape "
        "[16, 3000000000000000000] of F32, which does not fit its 192 bytes of data",
    )


def test_a_damaged_zip_directory(cli: Cli, tmp_path: Path, state_dict: dict[str, Any]) -> None:
    import torch

    path = tmp_path / "damaged.pt"
    torch.save(state_dict, path)
    data = bytearray(path.read_bytes())
    where = data.rfind(b"PK\x01\x02")
    data[where : where + 4] = b"XXXX"
    path.write_bytes(bytes(data))
    refused(
        cli("inspect", str(path)),
        f"CHECKPOINT {str(path)!r} is truncated or corrupt (Bad magic number for central "
        "directory)",
    )


@pytest.mark.parametrize(
    ("convert", "problem"),
    [
        ("meta", "it is a meta-device tensor, which has a shape but no data"),
        ("complex", "it is complex (complex64); recurrent modules' parameters are real"),
    ],
)
def test_weights_run_cannot_load(
    cli: Cli, tmp_path: Path, state_dict: dict[str, Any], convert: str, problem: str
) -> None:
    import torch

    converters: dict[str, Callable[[Any], Any]] = {
        "meta": lambda t: t.to("meta"),
        "complex": lambda t: t.to(torch.complex64),
    }
    path = tmp_path / f"{convert}.pt"
    torch.save({k: converters[convert](v) for k, v in state_dict.items()}, path)
    assert cli("inspect", str(path)).exit_code == 0  # the shapes alone are fine
    refused(
        cli("inspect", str(path), "--run"),
        f"--run cannot load the weight 'weight_ih_l0': {problem}",
    )


def test_sparse_weights_are_bad_input(cli: Cli, tmp_path: Path, state_dict: dict[str, Any]) -> None:
    import torch

    path = tmp_path / "sparse.pt"
    torch.save({k: v.to_sparse() for k, v in state_dict.items()}, path)
    for args in ([], ["--run"]):
        result = cli("inspect", str(path), *args)
        assert (result.exit_code, result.stdout) == (2, "")
        assert len(result.stderr.splitlines()) == 1


def test_no_torch_warning_beside_the_error_line(tmp_path: Path, state_dict: dict[str, Any]) -> None:
    import torch

    path = tmp_path / "meta.pt"
    torch.save({k: v.to("meta") for k, v in state_dict.items()}, path)
    result = run_subprocess("inspect", str(path), "--run")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "lstm-shapes: error: --run cannot load the weight 'weight_ih_l0': it is a meta-device "
        "tensor, which has a shape but no data"
    ]


# --- clear words ---------------------------------------------------------------------------


def test_inspect_names_what_is_not_a_file(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    cases = {
        str(fifo): "a named pipe (FIFO)",
        "/dev/zero": "a character device",
        str(tmp_path): "a directory",
    }
    for path, kind in cases.items():
        refused(cli("inspect", path), f"CHECKPOINT {path!r} is {kind}, not a checkpoint file")


def test_inspect_says_when_the_state_dict_is_deeper_than_it_looks(
    cli: Cli, tmp_path: Path, state_dict: dict[str, Any]
) -> None:
    import torch

    nested: Any = state_dict
    for level in range(8):
        nested = {f"level{level}": nested}
    path = tmp_path / "deep.pt"
    torch.save(nested, path)
    refused(
        cli("inspect", str(path)),
        f"CHECKPOINT {str(path)!r} holds no state dict in its first 6 levels of nesting "
        "(lstm-shapes searches no deeper): it is a dict with keys 'level7'",
    )


def test_lengths_that_fit_the_other_dimension_point_at_batch_first(cli: Cli) -> None:
    refused(
        cli("check", "-i", "10", "-H", "20", "-s", "3,7,10", "--lengths", "7,4,2"),
        "--lengths must give one length per sequence: the input has N=7 (got 3 lengths: "
        "7,4,2); batch_first=False reads dim 0 as L and dim 1 as N: is your batch dim 0? "
        "then use --batch-first",
    )


def test_gates_without_bias_shows_no_bias_terms(cli: Cli) -> None:
    result = cli("gates", "-i", "3", "-H", "4", "--no-bias")
    assert result.exit_code == 0
    assert "  i_t = σ(x_t W_iiᵀ + h_{t-1} W_hiᵀ)\n" in result.stdout  # noqa: RUF001
    assert "b_ii" not in result.stdout


def test_the_code_passes_the_h0_you_gave(cli: Cli) -> None:
    result = cli("check", "-i", "3", "-H", "4", "-s", "7,3,3", "--h0-shape", "1,3,4")
    assert result.exit_code == 0
    assert (
        "    h0 = torch.zeros(1, 3, 4)  # (D*num_layers, N, H_out)\n"
        "    c0 = torch.zeros(1, 3, 4)  # (D*num_layers, N, H_cell), not given: zeros, as "
        "torch would use\n"
        "    output, (hn, cn) = lstm(x, (h0, c0))\n"
    ) in result.stdout
