"""The cells in the spec: what a cell is made of, what it refuses, and its JSON keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import make_spec
from lstm_shapes.spec.specfile import load_cases


def test_a_cell_is_one_step_of_one_layer() -> None:
    spec = make_spec(input_size=10, hidden_size=20, kind="lstmcell", batch=3)
    m = spec.module
    assert (m.is_cell, m.family, m.gates, m.has_cell) == (True, "lstm", 4, True)
    assert (m.num_layers, m.D, spec.input.seq_len) == (1, 1, 1)
    assert m.constructor() == "nn.LSTMCell(input_size=10, hidden_size=20)"
    assert spec.sizes_line() == "N=3 H_in=10 H=20"
    assert m.as_dict() == {"input_size": 10, "hidden_size": 20, "bias": True, "kind": "lstmcell"}
    assert spec.input.as_dict(cell=True) == {"batch": 3, "unbatched": False}
    relu = make_spec(input_size=4, hidden_size=5, kind="rnncell", nonlinearity="relu", bias=False)
    assert relu.module.constructor() == (
        "nn.RNNCell(input_size=4, hidden_size=5, nonlinearity='relu', bias=False)"
    )
    assert relu.module.as_dict()["nonlinearity"] == "relu"
    assert make_spec(input_size=4, hidden_size=5, kind="grucell").module.gates == 3


def test_the_library_refuses_what_a_cell_does_not_have() -> None:
    with pytest.raises(SpecError) as error:
        make_spec(input_size=10, hidden_size=20, kind="grucell", lengths=[3, 2])
    assert str(error.value) == (
        "--lengths does not apply to --kind grucell: a cell takes one time step, so there are "
        "no sequences to pack (got --lengths 3,2)"
    )
    # the defaults are what a cell is anyway: given explicitly, they are not an error
    spec = make_spec(input_size=10, hidden_size=20, kind="lstmcell", num_layers=1, dropout=0)
    assert spec.module.num_layers == 1


def test_a_spec_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "cells.toml"
    path.write_text(
        '[[case]]\nname = "bad"\n'
        'lstm = { input_size = 10, hidden_size = 20, kind = "lstmcell", bidirectional = true }\n'
    )
    with pytest.raises(SpecError) as error:
        load_cases(path)
    assert str(error.value) == (
        "cells.toml: case 1 (bad): key lstm.bidirectional: --bidirectional does not apply to "
        "--kind lstmcell: a cell runs one step in one direction (got --bidirectional)"
    )
