"""Claims people are taught about LSTM shapes, each decided by a live torch run.

Every myth runs its own small module (sizes H_in=10, H=20, N=3, L=7 unless it needs
others) and returns the numbers that decide it; the words come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lstm_shapes.probe import teaching as live
from lstm_shapes.probe.runtime import single_thread
from lstm_shapes.report.teaching import TOLERANCE, MythRun, fmt_diff, fmt_shape

H_IN, HIDDEN, BATCH, SEQ_LEN = 10, 20, 3, 7


class _Lab:
    def __init__(self, seed: int) -> None:
        self.torch = live.torch_module()
        self.nn = self.torch.nn
        self.seed = seed

    def lstm(self, **kwargs: Any) -> Any:
        self.torch.manual_seed(self.seed)
        with live.quiet():
            return self.nn.LSTM(**{"input_size": H_IN, "hidden_size": HIDDEN, **kwargs}).eval()

    def x(self, *shape: int) -> Any:
        generator = self.torch.Generator().manual_seed(self.seed)
        return self.torch.randn(*shape, generator=generator)

    def error(self, call: Callable[[], Any]) -> str:
        try:
            call()
        except RuntimeError as exc:
            return live.first_line(exc)
        return ""


S = fmt_shape
D_ = fmt_diff


def _setup(call: str, x: tuple[int, ...]) -> str:
    return f"{call}; x = torch.randn{x}"


def batch_first_moves_state(lab: _Lab) -> MythRun:
    lstm = lab.lstm(num_layers=2, batch_first=True, bidirectional=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    _, (hn, cn) = lstm(x)
    wrong = (BATCH, 4, HIDDEN)
    error = lab.error(lambda: lstm(x, (lab.torch.zeros(wrong), lab.torch.zeros(wrong))))
    holds = tuple(hn.shape) == wrong and not error
    setup = _setup(
        "nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)", tuple(x.shape)
    )
    return MythRun(
        "batch-first-moves-state",
        holds,
        setup,
        {"hn": S(hn.shape), "cn": S(cn.shape), "wrong": S(wrong), "error": error},
    )


def cn_is_forget_gate(lab: _Lab) -> MythRun:
    from lstm_shapes.probe.teaching import lstm_step

    torch = lab.torch
    lstm = lab.lstm()
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    _, (_, cn) = lstm(x)
    # the last step by hand, from the state torch reached one step earlier
    _, (h_prev, c_prev) = lstm(x[:-1])
    step = lstm_step(
        torch,
        lstm.weight_ih_l0,
        lstm.weight_hh_l0,
        lstm.bias_ih_l0,
        lstm.bias_hh_l0,
        x[-1],
        h_prev[0],
        c_prev[0],
    )
    diff_c = live.max_abs_diff(cn[0], step["c"])
    diff_f = live.max_abs_diff(cn[0], step["f"])
    holds = diff_f <= TOLERANCE
    return MythRun(
        "cn-is-forget-gate",
        holds,
        _setup("nn.LSTM(10, 20)", tuple(x.shape)),
        {
            "diff_c": D_(diff_c),
            "diff_f": D_(diff_f),
            "cmin": f"{float(cn.min()):.2f}",
            "cmax": f"{float(cn.max()):.2f}",
        },
    )


def bidirectional_state_time(lab: _Lab) -> MythRun:
    lstm = lab.lstm(num_layers=2, bidirectional=True)
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    _, (hn, _) = lstm(x)
    holds = hn.shape[0] == 2 * SEQ_LEN
    return MythRun(
        "bidirectional-state-is-time-x2",
        holds,
        _setup("nn.LSTM(10, 20, num_layers=2, bidirectional=True)", tuple(x.shape)),
        {"hn": S(hn.shape), "rows": str(hn.shape[0]), "time2": str(2 * SEQ_LEN)},
    )


def output_is_last_step(lab: _Lab) -> MythRun:
    lstm = lab.lstm(num_layers=2, batch_first=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, _ = lstm(x)
    diff = live.max_abs_diff(output[:, 0], output[:, -1])
    holds = output.dim() == 2
    return MythRun(
        "output-is-last-step",
        holds,
        _setup("nn.LSTM(10, 20, num_layers=2, batch_first=True)", tuple(x.shape)),
        {"output": S(output.shape), "steps": str(output.shape[1]), "diff": D_(diff)},
    )


def output_top_layer(lab: _Lab) -> MythRun:
    lstm = lab.lstm(num_layers=2, batch_first=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, (hn, _) = lstm(x)
    top = live.max_abs_diff(hn[-1], output[:, -1])
    lower = live.max_abs_diff(hn[0], output[:, -1])
    holds = top <= TOLERANCE and lower > TOLERANCE and hn.shape[0] == 2
    return MythRun(
        "output-top-layer-hn-every-layer",
        holds,
        _setup("nn.LSTM(10, 20, num_layers=2, batch_first=True)", tuple(x.shape)),
        {"output": S(output.shape), "hn": S(hn.shape), "top": D_(top), "lower": D_(lower)},
    )


def bidirectional_slices(lab: _Lab) -> MythRun:
    lstm = lab.lstm(batch_first=True, bidirectional=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, (hn, _) = lstm(x)
    fwd = live.max_abs_diff(hn[-2], output[:, -1, :HIDDEN])
    bwd = live.max_abs_diff(hn[-1], output[:, 0, HIDDEN:])
    holds = fwd <= TOLERANCE and bwd <= TOLERANCE
    return MythRun(
        "bidirectional-hn-slices",
        holds,
        _setup("nn.LSTM(10, 20, batch_first=True, bidirectional=True)", tuple(x.shape)),
        {"fwd": D_(fwd), "bwd": D_(bwd)},
    )


def last_step_both_directions(lab: _Lab) -> MythRun:
    lstm = lab.lstm(batch_first=True, bidirectional=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, (hn, _) = lstm(x)
    vs_hn = live.max_abs_diff(output[:, -1, HIDDEN:], hn[-1])
    # the backward half at the last step has read one input: the last one, alone
    alone, _ = lstm(x[:, -1:])
    vs_alone = live.max_abs_diff(output[:, -1, HIDDEN:], alone[:, 0, HIDDEN:])
    holds = vs_hn <= TOLERANCE
    return MythRun(
        "last-step-is-both-directions",
        holds,
        _setup("nn.LSTM(10, 20, batch_first=True, bidirectional=True)", tuple(x.shape)),
        {"vs_hn": D_(vs_hn), "vs_alone": D_(vs_alone)},
    )


def default_state_random(lab: _Lab) -> MythRun:
    torch = lab.torch
    lstm = lab.lstm(num_layers=2)
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    first, _ = lstm(x)
    second, _ = lstm(x)
    zeros = torch.zeros(2, BATCH, HIDDEN)
    explicit, _ = lstm(x, (zeros, zeros))
    again = live.max_abs_diff(first, second)
    vs_zeros = live.max_abs_diff(first, explicit)
    holds = again > TOLERANCE
    return MythRun(
        "default-state-random",
        holds,
        _setup("nn.LSTM(10, 20, num_layers=2)", tuple(x.shape)),
        {"again": D_(again), "zeros": D_(vs_zeros)},
    )


def state_must_be_passed(lab: _Lab) -> MythRun:
    lstm = lab.lstm(batch_first=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    error = lab.error(lambda: lstm(x))
    output, (hn, cn) = lstm(x)
    return MythRun(
        "state-must-be-passed",
        bool(error),
        _setup("nn.LSTM(10, 20, batch_first=True)", tuple(x.shape)),
        {"output": S(output.shape), "hn": S(hn.shape), "cn": S(cn.shape)},
    )


def zeros_num_layers(lab: _Lab) -> MythRun:
    torch = lab.torch
    lstm = lab.lstm(num_layers=2, batch_first=True, bidirectional=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    shape = (2, BATCH, HIDDEN)
    error = lab.error(lambda: lstm(x, (torch.zeros(shape), torch.zeros(shape))))
    return MythRun(
        "zeros-num-layers",
        not error,
        _setup(
            "nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)", tuple(x.shape)
        ),
        {"shape": S(shape), "right": S((4, BATCH, HIDDEN)), "error": error},
    )


def zeros_without_device(lab: _Lab) -> MythRun:
    torch = lab.torch
    # The meta device stands in for a GPU: same device check, no GPU needed.
    lstm = lab.lstm(batch_first=True).to("meta")
    x = torch.empty(BATCH, SEQ_LEN, H_IN, device="meta")
    shape = (1, BATCH, HIDDEN)
    h0 = torch.zeros(shape)
    error = lab.error(lambda: lstm(x, (h0, torch.zeros(shape))))
    # The fix is run on the CPU: a forward pass on meta tensors loads torch's compiler
    # (seconds, for a decomposition of addmm); the device check it passes is the same.
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    good = torch.zeros(shape, device=x.device)
    fixed, _ = lab.lstm(batch_first=True)(x, (good, good))
    return MythRun(
        "zeros-without-device",
        not error,
        "nn.LSTM(10, 20, batch_first=True).to('meta'); x = torch.empty(3, 7, 10, device='meta')",
        {"device": str(h0.device), "error": error, "fixed": S(fixed.shape)},
    )


def linear_hidden_size(lab: _Lab) -> MythRun:
    nn = lab.nn
    lstm = lab.lstm(batch_first=True, bidirectional=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, _ = lstm(x)
    lab.torch.manual_seed(lab.seed)
    error = lab.error(lambda: nn.Linear(HIDDEN, 1)(output))
    right = nn.Linear(2 * HIDDEN, 1)(output)
    return MythRun(
        "linear-takes-hidden-size",
        not error,
        _setup("nn.LSTM(10, 20, batch_first=True, bidirectional=True)", tuple(x.shape)),
        {"output": S(output.shape), "error": error, "right": S(right.shape)},
    )


def three_gates(lab: _Lab) -> MythRun:
    from lstm_shapes.probe.teaching import lstm_step

    torch = lab.torch
    lstm = lab.lstm()
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    output, _ = lstm(x)
    zeros = torch.zeros(BATCH, HIDDEN)
    step = lstm_step(
        torch,
        lstm.weight_ih_l0,
        lstm.weight_hh_l0,
        lstm.bias_ih_l0,
        lstm.bias_hh_l0,
        x[0],
        zeros,
        zeros,
    )
    diff = live.max_abs_diff(step["h"], output[0])
    rows = lstm.weight_ih_l0.shape[0]
    return MythRun(
        "three-gate-blocks",
        rows == 3 * HIDDEN,
        _setup("nn.LSTM(10, 20)", tuple(x.shape)),
        {"weight": S(lstm.weight_ih_l0.shape), "rows": str(rows), "diff": D_(diff)},
    )


def concat_one_matrix(lab: _Lab) -> MythRun:
    torch = lab.torch
    lstm = lab.lstm()
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    output, _ = lstm(x)
    w = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1)
    b = lstm.bias_ih_l0 + lstm.bias_hh_l0
    h, c = torch.zeros(BATCH, HIDDEN), torch.zeros(BATCH, HIDDEN)
    pre = torch.cat([x[0], h], dim=1) @ w.T + b
    i, f, g, o = pre.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    diff = live.max_abs_diff(h, output[0])
    return MythRun(
        "concat-one-matrix",
        diff <= TOLERANCE,
        _setup("nn.LSTM(10, 20)", tuple(x.shape)),
        {"w": S(w.shape), "diff": D_(diff)},
    )


def proj_size_shrinks_c(lab: _Lab) -> MythRun:
    lstm = lab.lstm(batch_first=True, proj_size=5)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    output, (hn, cn) = lstm(x)
    return MythRun(
        "proj-size-shrinks-c",
        cn.shape[-1] == 5,
        _setup("nn.LSTM(10, 20, batch_first=True, proj_size=5)", tuple(x.shape)),
        {
            "output": S(output.shape),
            "hn": S(hn.shape),
            "cn": S(cn.shape),
            "weight_hr": S(lstm.weight_hr_l0.shape),
        },
    )


def packed_hn_padded_end(lab: _Lab) -> MythRun:
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch = lab.torch
    lstm = lab.lstm(batch_first=True)
    x = lab.x(BATCH, SEQ_LEN, H_IN)
    lengths = [7, 4, 2]
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    out_packed, (hn, _) = lstm(packed)
    output, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=SEQ_LEN)
    real = max(live.max_abs_diff(hn[-1][b], output[b, n - 1]) for b, n in enumerate(lengths))
    end = live.max_abs_diff(hn[-1][1:], output[1:, -1])
    tail = max(float(output[b, n:].abs().max()) for b, n in enumerate(lengths) if n < SEQ_LEN)
    return MythRun(
        "packed-hn-is-padded-end",
        end <= TOLERANCE,
        _setup("nn.LSTM(10, 20, batch_first=True)", tuple(x.shape))
        + "; lengths = [7, 4, 2], pack_padded_sequence",
        {"real": D_(real), "end": D_(end), "tail": D_(tail)},
    )


def input_must_be_3d(lab: _Lab) -> MythRun:
    lstm = lab.lstm()
    x = lab.x(SEQ_LEN, H_IN)
    error = lab.error(lambda: lstm(x))
    output, (hn, cn) = lstm(x)
    return MythRun(
        "input-must-be-3d",
        bool(error),
        _setup("nn.LSTM(10, 20)", tuple(x.shape)),
        {"output": S(output.shape), "hn": S(hn.shape), "cn": S(cn.shape)},
    )


def bidirectional_doubles_parameters(lab: _Lab) -> MythRun:
    def count(**kwargs: Any) -> int:
        return sum(p.numel() for p in lab.lstm(**kwargs).parameters())

    one, one_bi = count(), count(bidirectional=True)
    two, two_bi = count(num_layers=2), count(num_layers=2, bidirectional=True)
    wide = lab.lstm(num_layers=2, bidirectional=True).weight_ih_l1.shape
    return MythRun(
        "bidirectional-doubles-parameters",
        one_bi == 2 * one and two_bi == 2 * two,
        "nn.LSTM(10, 20, num_layers=1 | 2, bidirectional=False | True)",
        {
            "one": f"{one:,}",
            "one_bi": f"{one_bi:,}",
            "two": f"{two:,}",
            "two_bi": f"{two_bi:,}",
            "ratio": f"{two_bi / two:.2f}",
            "wide": S(wide),
        },
    )


def dropout_last_layer(lab: _Lab) -> MythRun:
    torch = lab.torch
    with live.quiet() as caught:
        torch.manual_seed(lab.seed)
        lstm = lab.nn.LSTM(H_IN, HIDDEN, dropout=0.5)
    x = lab.x(SEQ_LEN, BATCH, H_IN)
    lstm.train()
    torch.manual_seed(1)
    trained, _ = lstm(x)
    lstm.eval()
    evaluated, _ = lstm(x)
    diff = live.max_abs_diff(trained, evaluated)
    warned = [str(w.message).split(",")[0] for w in caught if "dropout" in str(w.message)]
    return MythRun(
        "dropout-skips-last-layer",
        diff <= TOLERANCE,
        _setup("nn.LSTM(10, 20, dropout=0.5)", tuple(x.shape)),
        {"diff": D_(diff), "warning": warned[0] if warned else "-"},
    )


MYTHS: tuple[Callable[[_Lab], MythRun], ...] = (
    batch_first_moves_state,
    cn_is_forget_gate,
    bidirectional_state_time,
    output_is_last_step,
    output_top_layer,
    bidirectional_slices,
    last_step_both_directions,
    default_state_random,
    state_must_be_passed,
    zeros_num_layers,
    zeros_without_device,
    linear_hidden_size,
    three_gates,
    concat_one_matrix,
    proj_size_shrinks_c,
    packed_hn_padded_end,
    input_must_be_3d,
    bidirectional_doubles_parameters,
    dropout_last_layer,
)


def run_myths(seed: int = 0) -> list[MythRun]:
    """Every claim, on one torch thread (:func:`lstm_shapes.probe.runtime.single_thread`)."""
    with single_thread():
        return _run_myths(seed)


def _run_myths(seed: int = 0) -> list[MythRun]:
    lab = _Lab(seed)
    with lab.torch.no_grad(), live.quiet():
        return [myth(lab) for myth in MYTHS]
