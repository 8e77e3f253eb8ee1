"""``nn.LSTMCell``, proven equal: the loop a learner writes, run next to ``nn.LSTM``.

The code shown to the user is the code that runs: :func:`loop_code` writes it for the
configuration and :func:`run_cell` executes exactly that text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import live


@dataclass(frozen=True)
class FirstStep:
    """One ``cell(x_t, (h, c))`` call at t=0."""

    layer: int
    direction: str  # "forward" | "backward"
    cell: str
    x_t: str
    h_in: str
    c_in: str
    h_out: str
    c_out: str

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"layer": self.layer, "direction": self.direction}
        data["cell"] = self.cell
        for name in ("x_t", "h_in", "c_in", "h_out", "c_out"):
            data[name] = live.shape_list(getattr(self, name))
        return data


@dataclass(frozen=True)
class Comparison:
    name: str
    lstm_shape: str
    loop_shape: str
    max_abs_diff: float

    @property
    def equal(self) -> bool:
        return self.lstm_shape == self.loop_shape and self.max_abs_diff <= live.TOLERANCE

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lstm_shape": live.shape_list(self.lstm_shape),
            "loop_shape": live.shape_list(self.loop_shape),
            "max_abs_diff": self.max_abs_diff,
            "equal": self.equal,
        }


@dataclass(frozen=True)
class CellRun:
    spec: Spec
    code: str
    cells: tuple[tuple[str, str], ...]  # (name, repr) per layer and direction
    first_step: tuple[FirstStep, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def ok(self) -> bool:
        return all(c.equal for c in self.comparisons)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cells": [{"name": n, "module": r} for n, r in self.cells],
            "first_step": [s.as_dict() for s in self.first_step],
            "comparisons": [c.as_dict() for c in self.comparisons],
            "tolerance": live.TOLERANCE,
            "equal": self.ok,
            "code": self.code,
        }


def check_supported(spec: Spec) -> None:
    if spec.module.proj_size:
        raise SpecError(
            f"--proj-size cannot be shown with nn.LSTMCell: LSTMCell has no proj_size "
            f"(got --proj-size {spec.module.proj_size}); drop --proj-size, or see "
            "'lstm-shapes gates' for the projection"
        )


def loop_code(spec: Spec) -> str:
    """A learner's LSTMCell loop for this configuration, checked against nn.LSTM."""
    m, n, length = spec.module, spec.input.batch, spec.input.seq_len
    x_shape = (n, length, m.input_size) if m.batch_first else (length, n, m.input_size)
    x_symbols = "(N, L, H_in)" if m.batch_first else "(L, N, H_in)"
    to_time_major = "x.transpose(0, 1)" if m.batch_first else "x"
    from_time_major = "seq.transpose(0, 1)" if m.batch_first else "seq"
    bias = "" if m.bias else ", bias=False"
    keys = (
        '("weight_ih", "weight_hh", "bias_ih", "bias_hh")'
        if m.bias
        else '("weight_ih", "weight_hh")'
    )
    return f"""\
import torch
from torch import nn

torch.manual_seed({spec.run.seed})
lstm = {_wrapped_constructor(spec)}
lstm.eval()
generator = torch.Generator().manual_seed({spec.run.seed})
x = torch.randn({", ".join(map(str, x_shape))}, generator=generator)  # {x_symbols}
D, H, num_layers = {m.D}, {m.hidden_size}, {m.num_layers}
names = {keys}

# One LSTMCell per layer and direction, holding the LSTM's own weights.
cells = {{}}
for layer in range(num_layers):
    for d, suffix in enumerate(["", "_reverse"][:D]):
        cell = nn.LSTMCell({m.input_size} if layer == 0 else D * H, H{bias})
        cell.load_state_dict({{k: getattr(lstm, f"{{k}}_l{{layer}}{{suffix}}") for k in names}})
        cells[layer, d] = cell

with torch.no_grad():
    output, (hn, cn) = lstm(x)

    seq = {to_time_major}  # (L, N, H_in): the loop walks the time axis
    L, N = seq.shape[0], seq.shape[1]
    hs, cs, first_step = [], [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            h, c = torch.zeros(N, H), torch.zeros(N, H)  # what nn.LSTM uses by default
            # the backward direction walks from t=L-1 down to t=0
            steps = range(L) if d == 0 else reversed(range(L))
            out_d = [None] * L
            for t in steps:
                h_in, c_in = h, c
                h, c = cells[layer, d](seq[t], (h, c))
                out_d[t] = h
                if t == 0:
                    first_step.append((layer, d, seq[t], h_in, c_in, h, c))
            outs.append(torch.stack(out_d))  # (L, N, H)
            hs.append(h)  # after the last step: t=L-1 forward, t=0 backward
            cs.append(c)
        seq = torch.cat(outs, dim=2)  # (L, N, D*H): the next layer's input
    loop_output = {from_time_major}  # the top layer, back in the input's layout
    loop_hn, loop_cn = torch.stack(hs), torch.stack(cs)

checks = {{"output": (output, loop_output), "hn": (hn, loop_hn), "cn": (cn, loop_cn)}}
for name, (a, b) in checks.items():
    print(name, tuple(a.shape), tuple(b.shape), (a - b).abs().max().item())
"""


def _wrapped_constructor(spec: Spec) -> str:
    """``nn.LSTM(...)``, one argument per line when it would not fit in 88 columns."""
    call = spec.module.constructor()
    if len(call) <= 72:  # after "lstm = "
        return call
    args = call[len("nn.LSTM(") : -1].split(", ")
    return "nn.LSTM(\n" + "".join(f"    {a},\n" for a in args) + ")"


def run_cell(spec: Spec) -> CellRun:
    """One torch thread when the configuration is small (see :func:`live.single_thread`)."""
    with live.single_thread(live.is_small(spec)):
        return _run_cell(spec)


def _run_cell(spec: Spec) -> CellRun:
    check_supported(spec)
    torch = live.torch_module()
    code = loop_code(spec)
    scope: dict[str, Any] = {"print": lambda *args: None}
    with live.quiet():
        exec(compile(code, "<lstm-shapes cell loop>", "exec"), scope)
    shape = live.fmt_shape
    comparisons = tuple(
        Comparison(
            name,
            shape(scope[name].shape),
            shape(scope[f"loop_{name}"].shape),
            live.max_abs_diff(scope[name], scope[f"loop_{name}"]),
        )
        for name in ("output", "hn", "cn")
    )
    steps = tuple(
        FirstStep(
            layer,
            "backward" if d else "forward",
            f"cells[{layer}, {d}]",
            shape(x_t.shape),
            shape(h_in.shape),
            shape(c_in.shape),
            shape(h.shape),
            shape(c.shape),
        )
        for layer, d, x_t, h_in, c_in, h, c in scope["first_step"]
    )
    cells = tuple(
        (f"cells[{layer}, {d}]", repr(cell)) for (layer, d), cell in scope["cells"].items()
    )
    del torch
    return CellRun(spec, code, cells, steps, comparisons)
