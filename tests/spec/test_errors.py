"""Every bad input: exit 2, exactly one line naming the option, the value and what is
allowed, no traceback. Messages are asserted word for word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lstm_shapes import SpecError, make_spec
from lstm_shapes.probe.runtime import run_forward
from tests.conftest import Result

BASE = ["explain", "-i", "10", "-H", "20"]

CASES = [
    (["-i", "0"], "--input-size must be a whole number from 1 to 2147483647 (got 0)"),
    (["-H", "-5"], "--hidden-size must be a whole number from 1 to 2147483647 (got -5)"),
    (["-l", "2.5"], "--num-layers must be a whole number from 1 to 2147483647 (got '2.5')"),
    (["-l", "0"], "--num-layers must be a whole number from 1 to 2147483647 (got 0)"),
    (["-N", "three"], "--batch must be a whole number from 1 to 2147483647 (got 'three')"),
    (
        ["-L", "99999999999"],
        "--seq-len must be a whole number from 1 to 2147483647 (got 99999999999)",
    ),
    (
        ["-i", "2147483648"],
        "--input-size must be a whole number from 1 to 2147483647 (got 2147483648)",
    ),
    (["--seed", "-1"], "--seed must be a whole number from 0 to 2147483647 (got -1)"),
    (["--proj-size", "20"], "--proj-size must be smaller than --hidden-size (got 20 >= 20)"),
    (["--proj-size", "25"], "--proj-size must be smaller than --hidden-size (got 25 >= 20)"),
    (["--proj-size", "-1"], "--proj-size must be a whole number from 0 to 2147483647 (got -1)"),
    (["--dropout", "1.5"], "--dropout must be a number from 0 to 1 (got 1.5)"),
    (["--dropout", "-0.1"], "--dropout must be a number from 0 to 1 (got -0.1)"),
    (["--dropout", "nan"], "--dropout must be a number from 0 to 1 (got nan)"),
    (["--dropout", "half"], "--dropout must be a number from 0 to 1 (got 'half')"),
    (
        ["--dtype", "float8"],
        "--dtype must be one of float32, float64, float16, bfloat16 (got 'float8')",
    ),
    (["--device", "tpu"], "--device must be one of auto, cpu, cuda, cuda:K or mps (got 'tpu')"),
    (
        ["--device", "cuda:x"],
        "--device must be one of auto, cpu, cuda, cuda:K or mps (got 'cuda:x')",
    ),
    (["--format", "yaml"], "--format must be one of table, json, markdown (got 'yaml')"),
    (
        ["--kind", "lstm2"],
        "--kind must be one of lstm, gru, rnn, lstmcell, grucell, rnncell (got 'lstm2')",
    ),
    (
        ["--kind", "gru", "--proj-size", "5"],
        "--proj-size is only for --kind lstm (got --proj-size 5 with --kind gru)",
    ),
    (
        ["--nonlinearity", "relu"],
        "--nonlinearity is only for --kind rnn or rnncell (got --nonlinearity relu with "
        "--kind lstm)",
    ),
    (
        ["--kind", "rnn", "--nonlinearity", "gelu"],
        "--nonlinearity must be one of tanh, relu (got 'gelu')",
    ),
]

#: Options of the sequence modules refused for a cell, each named.
CELL_CASES = [
    (
        ["--kind", "lstmcell", "--num-layers", "2"],
        "--num-layers does not apply to --kind lstmcell: a cell is one layer (stack cells in "
        "your own loop) (got --num-layers 2)",
    ),
    (
        ["--kind", "grucell", "--batch-first"],
        "--batch-first does not apply to --kind grucell: a cell's input (N, H_in) has no time "
        "dimension to move (got --batch-first)",
    ),
    (
        ["--kind", "rnncell", "--bidirectional"],
        "--bidirectional does not apply to --kind rnncell: a cell runs one step in one "
        "direction (got --bidirectional)",
    ),
    (
        ["--kind", "lstmcell", "--proj-size", "5"],
        "--proj-size does not apply to --kind lstmcell: only nn.LSTM projects h "
        "(got --proj-size 5)",
    ),
    (
        ["--kind", "lstmcell", "--dropout", "0.5"],
        "--dropout does not apply to --kind lstmcell: torch drops out between stacked layers, "
        "and a cell is one layer (got --dropout 0.5)",
    ),
    (
        ["--kind", "grucell", "-L", "7"],
        "--seq-len does not apply to --kind grucell: a cell takes one time step, input "
        "(N, H_in) with no L (got --seq-len 7)",
    ),
    (
        ["--kind", "rnncell", "--lengths", "3,2"],
        "--lengths does not apply to --kind rnncell: a cell takes one time step, so there are "
        "no sequences to pack (got --lengths 3,2)",
    ),
    (
        ["--kind", "lstmcell", "--unbatched", "-N", "3"],
        "--batch cannot be used with --unbatched: an unbatched input is one step (H_in) with "
        "no N (got --batch 3)",
    ),
]


def assert_one_line_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result
    assert result.stderr == f"lstm-shapes: error: {message}\n"
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_explain(cli: Callable[..., Result], args: list[str], message: str) -> None:
    assert_one_line_error(cli(*BASE, *args), message)


@pytest.mark.parametrize(("args", "message"), CELL_CASES)
def test_options_a_cell_does_not_have(
    cli: Callable[..., Result], args: list[str], message: str
) -> None:
    assert_one_line_error(cli(*BASE, *args), message)
    check = ["check", "-i", "10", "-H", "20", "--input-shape", "3,10", *args]
    assert_one_line_error(cli(*check), message)


def test_variants_refuses_a_cell(cli: Callable[..., Result]) -> None:
    assert_one_line_error(
        cli("variants", "-i", "10", "-H", "20", "--kind", "grucell"),
        "--kind grucell has no variants: batch_first and bidirectional do not apply to "
        "nn.GRUCell, which takes one time step (see: lstm-shapes explain --kind grucell)",
    )


@pytest.mark.parametrize(("args", "message"), CASES[:6] + CASES[8:10] + CASES[15:19])
def test_bad_input_variants(cli: Callable[..., Result], args: list[str], message: str) -> None:
    assert_one_line_error(cli("variants", "-i", "10", "-H", "20", *args), message)


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("cuda", "--device cuda was asked for, but CUDA is not available here (available: cpu)"),
        (
            "cuda:1",
            "--device cuda:1 was asked for, but CUDA is not available here (available: cpu)",
        ),
        ("mps", "--device mps was asked for, but MPS is not available here (available: cpu)"),
    ],
)
def test_unavailable_device(
    cli: Callable[..., Result], device: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert_one_line_error(cli(*BASE, "--device", device), message)


def test_cuda_index_out_of_range(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two GPUs, cuda:2 asked for: name what exists (simulated; no GPU here)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert_one_line_error(
        cli(*BASE, "--device", "cuda:2"),
        "--device cuda:2 was asked for, but there is no such CUDA device "
        "(available: cpu, cuda:0, cuda:1)",
    )


def test_auto_device_prefers_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from lstm_shapes.probe.runtime import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert str(resolve_device(torch, "auto")) == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert str(resolve_device(torch, "auto")) == "cpu"


def test_dtype_the_device_cannot_run() -> None:
    """torch's "not implemented for 'Half'" becomes our one-line error naming the option."""

    class HalfUnsupported:
        def __call__(self, *args: Any) -> Any:
            raise RuntimeError("\"addmm_impl_cpu_\" not implemented for 'Half'\nmore detail")

    spec = make_spec(input_size=3, hidden_size=4, dtype="float16", device="cpu")
    with pytest.raises(SpecError) as caught:
        run_forward(HalfUnsupported(), (), spec)
    assert str(caught.value) == (
        '--dtype float16 cannot run nn.LSTM on cpu (torch: "addmm_impl_cpu_" not '
        "implemented for 'Half'); use float32 or float64"
    )


def test_float64_on_mps_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from lstm_shapes.probe.forward import observe

    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    spec = make_spec(input_size=3, hidden_size=4, dtype="float64", device="mps")
    with pytest.raises(
        SpecError,
        match=r"^--dtype float64 cannot run on --device mps "
        r"\(allowed: float32, float16, bfloat16\)$",
    ):
        observe(spec)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            dict(input_size=True, hidden_size=3),
            "--input-size must be a whole number from 1 to 2147483647 (got True)",
        ),
        (
            dict(input_size=3.0, hidden_size=3),
            "--input-size must be a whole number from 1 to 2147483647 (got 3.0)",
        ),
        (
            dict(input_size=3, hidden_size=3, lengths=[]),
            "--lengths must be whole numbers from 1 up, separated by commas, e.g. 7,4,2 (got [])",
        ),
    ],
)
def test_library_values(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        make_spec(**options)
    assert str(caught.value) == message


def test_missing_required_option(cli: Callable[..., Result]) -> None:
    result = cli("explain", "-H", "20")
    assert result.exit_code == 2
    assert result.stderr == (
        "lstm-shapes: error: Missing option '--input-size' / '-i'. "
        "(see 'lstm-shapes explain --help')\n"
    )


def test_unknown_option(cli: Callable[..., Result]) -> None:
    result = cli(*BASE, "--hidden", "3")
    assert result.exit_code == 2
    assert result.stderr.startswith("lstm-shapes: error: No such option: --hidden")
    assert result.stderr.count("\n") == 1


def test_internal_inconsistency_exits_3(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If theory and torch disagree, we say it is our bug, print both, and exit 3."""
    from lstm_shapes.theory import shapes as theory
    from lstm_shapes.theory.shapes import Dim, TensorShape

    real = theory.tensor_shapes

    def wrong(spec: Any) -> dict[str, TensorShape]:
        shapes = real(spec)
        hn = shapes["hn"]
        shapes["hn"] = TensorShape("hn", (Dim("D*num_layers", 99, "wrong"), *hn.dims[1:]))
        return shapes

    monkeypatch.setattr(theory, "tensor_shapes", wrong)
    result = cli(*BASE, "-N", "3", "-L", "7")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "lstm-shapes: internal error: theory and torch disagree for "
        "nn.LSTM(input_size=10, hidden_size=20) "
        "(N=3 L=7 H_in=10 D=1 num_layers=1 H_out=20 H_cell=20):\n"
        "  hn: theory predicted (D*num_layers, N, H_out) = [99, 3, 20], torch gave [1, 3, 20]\n"
        "This is a bug in lstm-shapes, not in your input: please report it.\n"
    )


def test_unexpected_exception_is_reported_as_our_bug(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lstm_shapes.report.explain

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(lstm_shapes.report.explain, "build_report", broken)
    result = cli(*BASE)
    assert result.exit_code == 3
    assert result.stderr == (
        "lstm-shapes: internal error: ZeroDivisionError: division by zero\n"
        "This is a bug in lstm-shapes, not in your input: please report it "
        "(LSTM_SHAPES_TRACEBACK=1 shows the traceback).\n"
    )
    monkeypatch.setenv("LSTM_SHAPES_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        cli(*BASE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--unbatched", "-N", "4"],
            "--batch cannot be used with --unbatched: an unbatched input is one sequence "
            "(L, H_in) with no N (got --batch 4)",
        ),
        (["-i", "5_0"], "--input-size must be a whole number from 1 to 2147483647 (got '5_0')"),
        (["-i", "1e3"], "--input-size must be a whole number from 1 to 2147483647 (got '1e3')"),
    ],
)
def test_more_bad_input(cli: Callable[..., Result], args: list[str], message: str) -> None:
    assert_one_line_error(
        cli("explain", "-H", "20", *(["-i", "10"] if "-i" not in args else []), *args), message
    )


@pytest.mark.parametrize("columns", ["", "abc", "0", "-5", "10"])
def test_odd_columns_values_fall_back_to_100(
    cli: Callable[..., Result], columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    result = cli("explain", "-i", "3", "-H", "4")
    assert result.exit_code == 0
    assert "D*num_layers" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100


def test_a_check_that_does_not_hold_exits_1(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lstm_shapes.probe import forward as probe
    from lstm_shapes.report.observation import VerifiedFact

    real = probe._checks

    def failing(*args: Any) -> list[VerifiedFact]:
        return [*real(*args), VerifiedFact("made-up", "a statement that fails", False, 1.0)]

    monkeypatch.setattr(probe, "_checks", failing)
    result = cli("explain", "-i", "3", "-H", "4")
    assert result.exit_code == 1
    assert "✗   a statement that fails" in result.stdout
    assert cli("variants", "-i", "3", "-H", "4", "-f", "json").exit_code == 1
