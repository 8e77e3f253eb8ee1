"""The unrolled picture and the data cube: pure text, readable at 100 columns."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from lstm_shapes.spec.core import make_spec
from lstm_shapes.teach.diagram import cube, unrolled
from lstm_shapes.teach.doc import cell_len
from tests.conftest import ROOT, Result


@pytest.mark.parametrize(
    ("num_layers", "seq_len", "bidirectional", "batch_first"),
    list(itertools.product([1, 2, 3, 12], [1, 5, 6, 300], [False, True], [False, True])),
)
def test_fits_in_100_columns(
    num_layers: int, seq_len: int, bidirectional: bool, batch_first: bool
) -> None:
    spec = make_spec(
        input_size=10,
        hidden_size=20,
        num_layers=num_layers,
        seq_len=seq_len,
        bidirectional=bidirectional,
        batch_first=batch_first,
        batch=100000,
    )
    picture = unrolled(spec)
    assert max(cell_len(line) for line in picture.splitlines()) <= 100
    assert max(cell_len(line) for line in cube(spec).splitlines()) <= 100
    last = 2 * num_layers - 1 if bidirectional else num_layers - 1
    assert f"hn[{last}],cn[{last}]" in picture
    assert ("⋮" in picture) == (num_layers > 3)
    step = f"output[:, {seq_len - 1}]" if batch_first else f"output[{seq_len - 1}]"
    assert step in picture
    if seq_len > 5:
        assert "…" in picture
    elif seq_len < 5:
        assert "…" not in picture


def test_backward_rows_end_at_t0() -> None:
    spec = make_spec(input_size=3, hidden_size=4, bidirectional=True, seq_len=3)
    lines = unrolled(spec).splitlines()
    backward = next(line for line in lines if "l0 ←" in line)
    # the backward row starts from h0 on the right and hands hn out on the left, at t=0
    assert backward.index("hn[1],cn[1]") < backward.index("[l0 ←]")
    assert backward.rstrip().endswith("h0[1],c0[1]")


def test_pure_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import lstm_shapes.teach.diagram, lstm_shapes.teach.doc, lstm_shapes.render.markup\n"
        "import lstm_shapes.teach.pages, lstm_shapes.teach.catalogue\n"
        "import lstm_shapes.cli.teach\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"


def test_cli(cli: Callable[..., Result], golden: Callable[[str, str], None]) -> None:
    args = ("diagram", "-i", "10", "-H", "20", "-l", "2", "--batch-first", "--bidirectional")
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    golden("teach/diagram.txt", result.stdout)
    result = cli(*args, "--lang", "zh", "-L", "30", "-l", "4")
    golden("teach/diagram.zh.txt", result.stdout)
    data = json.loads(cli(*args, "-f", "json").stdout)
    assert data["tensors"]["hn"] == [4, 3, 20]
    assert "hn[3],cn[3]" in data["unrolled"]


@pytest.mark.parametrize("batch_first", [False, True])
def test_cube_names_dimensions_in_layout_order(batch_first: bool) -> None:
    spec = make_spec(input_size=10, hidden_size=20, batch=3, seq_len=7, batch_first=batch_first)
    picture = cube(spec)
    first, second = ("N=3", "L=7") if batch_first else ("L=7", "N=3")
    assert f"dim 0: {first}" in picture
    assert f"dim 1: {second}" in picture
    assert "dim 2: H_in=10" in picture
    assert ("x[:, 6]" in picture) == batch_first
