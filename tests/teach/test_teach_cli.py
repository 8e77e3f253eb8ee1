"""The teaching commands' new outputs: one SVG picture, JSON with explain's run block, the
gates named, --kind gru|rnn."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from lstm_shapes.render.picture_names import PICTURES
from tests.conftest import Result

SIZES = ("-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional")


@pytest.mark.parametrize("picture", PICTURES)
def test_diagram_svg_picture(cli: Callable[..., Result], picture: str) -> None:
    result = cli("diagram", *SIZES, "--format", "svg", "--picture", picture)
    assert result.exit_code == 0, result.stderr
    svg = ET.fromstring(result.stdout)
    assert svg.get("data-name") == picture
    assert svg.findtext("{http://www.w3.org/2000/svg}title")


def test_bad_picture(cli: Callable[..., Result]) -> None:
    result = cli("diagram", *SIZES, "--format", "svg", "--picture", "cubes")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --picture must be one of cube, unrolled, halves, cell, packed, "
        "heads (got 'cubes')\n"
    )


@pytest.mark.parametrize("command", ["diagram", "gates", "cell", "heads"])
def test_json_carries_explains_run_block(cli: Callable[..., Result], command: str) -> None:
    result = cli(command, *SIZES, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    explained = json.loads(cli("explain", *SIZES, "--format", "json").stdout)
    assert data["run"] == explained["run"]
    assert data["lstm"] == explained["lstm"]


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("lstm", ["input gate", "forget gate", "cell candidate", "output gate"]),
        ("gru", ["reset gate", "update gate", "candidate state"]),
        ("rnn", ["new hidden state"]),
    ],
)
def test_gates_are_named(cli: Callable[..., Result], kind: str, names: list[str]) -> None:
    result = cli("gates", *SIZES, "--kind", kind, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [g["name"] for g in data["gates"]] == names
    assert all(g["what"].endswith(".") for g in data["gates"])
    assert all(layer["matches"] for layer in data["layers"])
    table = cli("gates", *SIZES, "--kind", kind)
    for name in names:
        assert name in table.stdout


def test_gates_named_in_chinese(cli: Callable[..., Result]) -> None:
    result = cli("gates", *SIZES, "--lang", "zh")
    for name in ("输入门", "遗忘门", "候选细胞状态", "输出门"):
        assert name in result.stdout


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_cell_loop_for_other_kinds(cli: Callable[..., Result], kind: str) -> None:
    result = cli("cell", *SIZES, "--kind", kind, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["equal"] is True
    assert [c["name"] for c in data["comparisons"]] == ["output", "hn"]
    assert f"nn.{kind.upper()}Cell(" in data["code"]


def test_cell_kinds_are_refused(cli: Callable[..., Result]) -> None:
    result = cli("gates", "-i", "4", "-H", "5", "--kind", "lstmcell")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: --kind lstmcell is not available for the teaching pages yet: "
        "they teach lstm, gru, rnn (got --kind lstmcell); 'lstm-shapes explain' shows a "
        "cell's shapes\n"
    )


def test_reduced_diagram_pictures_say_so(cli: Callable[..., Result]) -> None:
    result = cli("diagram", "-i", "10", "-H", "20", "--max-time", "1e-6", "-f", "svg")
    assert result.exit_code == 0, result.stderr
    assert "reduced run: the sizes are the full configuration&apos;s" in result.stdout or (
        "reduced run: the sizes are the full configuration's" in result.stdout
    )
    heads = cli(
        "diagram", "-i", "10", "-H", "20", "--max-time", "1e-6", "-f", "svg", "--picture", "heads"
    )
    assert (heads.exit_code, heads.stdout) == (2, "")
    assert heads.stderr.startswith(
        "lstm-shapes: error: --picture heads needs a full-size run, and this one is reduced ("
    )
    assert heads.stderr.endswith("): give smaller sizes or a larger budget\n")
