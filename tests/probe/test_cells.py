"""The cells run for real: explain at any size, check with a real cell, huge shapes judged
without allocating them."""

from __future__ import annotations

from torch import nn

from lstm_shapes import check, explain


def test_a_huge_cell_is_answered_by_a_reduced_run() -> None:
    report = explain(input_size=100_000, hidden_size=100_000, kind="lstmcell", batch=1000)
    assert report.run.mode == "reduced"
    assert report.tensors["c1"].shape == (1000, 100_000)
    assert report.parameters[0].shape == (400_000, 100_000)


def test_check_takes_a_real_cell() -> None:
    result = check(nn.GRUCell(4, 6), input_shape=(2, 4), h0_shape=(2, 6), expect=["h1=2,6"])
    assert result.passed and result.spec.module.kind == "grucell"
    wrong = check(nn.LSTMCell(4, 6), input_shape=(2, 4), h0_shape=(1, 2, 6))
    assert wrong.diagnosis is not None
    assert [p.id for p in wrong.diagnosis.problems] == ["h0-layers"]
    assert (
        wrong.torch_error == "ValueError: LSTMCell: Expected hx[0] to be 1D or 2D, got 3D instead"
    )


def test_huge_cell_shapes_are_judged_without_allocating_them() -> None:
    """8e9 elements of input and states: torch's checks run on the meta device."""
    result = check(
        input_size=10,
        hidden_size=20,
        kind="lstmcell",
        input_shape="100000000,12",
        h0_shape="100000000,20",
        c0_shape="100000000,20",
    )
    assert (
        result.torch_error == "RuntimeError: input has inconsistent input_size: got 12 expected 10"
    )
    stale = check(input_size=10, hidden_size=20, kind="rnncell", input_shape="100000000,10",
                  h0_shape="3,20")  # fmt: skip
    assert stale.torch_error == (
        "RuntimeError: Input batch size 100000000 doesn't match hidden0 batch size 3"
    )
