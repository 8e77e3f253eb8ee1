"""The teaching runs: the gates recomputed by hand, a loop of cells, the heads.

Every teaching number comes from a real module built here on the CPU in float32 and eval
mode, with a fixed seed, so that the same command prints the same numbers. The results are
plain data (:mod:`lstm_shapes.report.teaching`); ``teach/`` lays them out.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import ModuleType
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.probe.runtime import single_thread
from lstm_shapes.report.teaching import (
    GATES,
    CellRun,
    Comparison,
    FirstStep,
    GatesRun,
    HeadRun,
    HeadsRun,
    LayerGates,
    Term,
    fmt_shape,
)
from lstm_shapes.spec.core import ModuleSpec, Spec


def torch_module() -> ModuleType:
    from lstm_shapes.probe.runtime import import_torch

    return import_torch()


def max_abs_diff(a: Any, b: Any) -> float:
    from lstm_shapes.probe.runtime import max_abs_diff as diff

    return diff(a, b)


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


@contextmanager
def quiet() -> Iterator[list[warnings.WarningMessage]]:
    """Collect warnings (torch's dropout warning is evidence, not noise)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


#: multiply-adds of one LSTM step below which one thread is faster than torch's pool
SMALL_STEP = 2_000_000


def is_small(spec: Spec) -> bool:
    m = spec.module
    width = max(m.input_size, m.D * m.H_out) + m.H_out
    return spec.input.batch * m.gates * m.H_cell * width <= SMALL_STEP


def build(torch: ModuleType, m: ModuleSpec, seed: int) -> Any:
    from lstm_shapes.probe.runtime import build_module

    torch.manual_seed(seed)
    with quiet():
        return build_module(torch, m).eval()


def make_input(torch: ModuleType, spec: Spec) -> Any:
    from lstm_shapes.theory import shapes as theory

    generator = torch.Generator().manual_seed(spec.run.seed)
    return torch.randn(theory.tensor_shapes(spec)["input"].shape, generator=generator)


def time_major(x: Any, batch_first: bool) -> Any:
    """``(L, N, F)`` whatever the layout, for loops over time."""
    return x.transpose(0, 1) if batch_first else x


def recurrent_step(
    torch: Any,
    kind: str,
    weights: tuple[Any, Any, Any, Any],
    x_t: Any,
    h: Any,
    c: Any = None,
    nonlinearity: str = "tanh",
) -> dict[str, Any]:
    """One step of the recurrence written out from the row blocks of ``weight_ih`` /
    ``weight_hh``: the gates, then ``c`` and ``h`` (before any projection)."""
    w_ih, w_hh, b_ih, b_hh = weights
    gates = GATES[kind]
    rows = w_ih.shape[0] // len(gates)
    parts: dict[str, tuple[Any, Any]] = {}
    for k, (symbol, _) in enumerate(gates):
        block = slice(k * rows, (k + 1) * rows)
        from_x, from_h = x_t @ w_ih[block].T, h @ w_hh[block].T
        if b_ih is not None:
            from_x, from_h = from_x + b_ih[block], from_h + b_hh[block]
        parts[symbol] = (from_x, from_h)
    out: dict[str, Any] = {}
    if kind == "rnn":
        pre = parts["h"][0] + parts["h"][1]
        out["h"] = torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)
        return out
    if kind == "gru":
        out["r"] = torch.sigmoid(parts["r"][0] + parts["r"][1])
        out["z"] = torch.sigmoid(parts["z"][0] + parts["z"][1])
        out["n"] = torch.tanh(parts["n"][0] + out["r"] * parts["n"][1])
        out["h"] = (1 - out["z"]) * out["n"] + out["z"] * h
        return out
    for symbol, activation in gates:
        pre = parts[symbol][0] + parts[symbol][1]
        out[symbol] = torch.sigmoid(pre) if activation == "sigmoid" else torch.tanh(pre)
    out["c"] = out["f"] * c + out["i"] * out["g"]
    out["h"] = out["o"] * torch.tanh(out["c"])
    return out


def lstm_step(
    torch: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, x_t: Any, h: Any, c: Any
) -> dict[str, Any]:
    """One LSTM step: the four gates i, f, g, o, then ``c`` and ``h``."""
    return recurrent_step(torch, "lstm", (w_ih, w_hh, b_ih, b_hh), x_t, h, c)


def _key_layer(name: str) -> int:
    """``weight_ih_l1_reverse`` -> 1."""
    return int(name.rsplit("_l", 1)[1].split("_")[0])


def layer_outputs_t0(torch: Any, module: Any, spec: Spec, x: Any) -> list[Any]:
    """For every layer, its output (both directions) at t=0, from real runs: each layer is
    run as a one-layer module holding that layer's weights, on the layer below's output
    (torch's own stack does exactly this, plus dropout in training mode)."""
    m = spec.module
    outputs = []
    state = module.state_dict()
    layer_input = x
    for layer in range(m.num_layers):
        one = replace(m, num_layers=1, dropout=0.0, input_size=layer_input.shape[-1])
        single = build(torch, one, spec.run.seed)
        single.load_state_dict(
            {
                name.replace(f"_l{layer}", "_l0"): value
                for name, value in state.items()
                if _key_layer(name) == layer
            }
        )
        layer_input, _ = single(layer_input)
        outputs.append(time_major(layer_input, m.batch_first)[0])
    return outputs


def run_gates(spec: Spec) -> GatesRun:
    """The equations with every term's shape, recomputed by hand at t=0 for each layer
    (forward direction) and compared with what the module returned."""
    with single_thread(is_small(spec)):
        return _run_gates(spec)


def _run_gates(spec: Spec) -> GatesRun:
    torch = torch_module()
    m = spec.module
    module = build(torch, m, spec.run.seed)
    x = make_input(torch, spec)
    layers = []
    with torch.no_grad(), quiet():
        outs_t0 = layer_outputs_t0(torch, module, spec, x)
        for layer in range(m.num_layers):
            k = f"_l{layer}"
            weights = (
                getattr(module, f"weight_ih{k}"),
                getattr(module, f"weight_hh{k}"),
                getattr(module, f"bias_ih{k}", None),
                getattr(module, f"bias_hh{k}", None),
            )
            x_t = time_major(x, m.batch_first)[0] if layer == 0 else outs_t0[layer - 1]
            batch = x_t.shape[:-1]
            h_prev = torch.zeros(*batch, m.H_out)
            c_prev = torch.zeros(*batch, m.H_cell) if m.has_cell else None
            step = recurrent_step(torch, m.kind, weights, x_t, h_prev, c_prev, m.nonlinearity)
            h = step["h"] @ getattr(module, f"weight_hr{k}").T if m.proj_size else step["h"]
            diff = max_abs_diff(h, outs_t0[layer][..., : m.H_out])
            layers.append(LayerGates(layer, _terms(spec, module, layer, x_t, step, h), diff))
    return GatesRun(spec, tuple(layers))


def _terms(
    spec: Spec, module: Any, layer: int, x_t: Any, step: dict[str, Any], h: Any
) -> tuple[Term, ...]:
    m = spec.module
    k = f"_l{layer}"
    features = "H_in" if layer == 0 else "D*H_out"
    rows = m.H_cell
    gates = GATES[m.kind]
    letters = [s for s, _ in gates]
    w_ih, w_hh = getattr(module, f"weight_ih{k}"), getattr(module, f"weight_hh{k}")
    blocks = [f"[{j * rows}:{(j + 1) * rows}]" for j in range(len(gates))]
    batch = tuple(x_t.shape[:-1])
    n_sym = "(N, " if batch else "("

    def shape_of(tensors: list[Any]) -> str:
        shapes = {fmt_shape(t.shape) for t in tensors}
        assert len(shapes) == 1, shapes  # the blocks always agree
        return shapes.pop()

    source_x = "x[:, 0]" if m.batch_first and batch else "x[0]"
    terms = [
        Term("x_t", source_x if layer == 0 else "", fmt_shape(x_t.shape), f"{n_sym}{features})"),
        Term("h_{t-1}", f"h0[{layer * m.D}]", fmt_shape((*batch, m.H_out)), f"{n_sym}H_out)"),
    ]
    if m.has_cell:
        terms.append(
            Term("c_{t-1}", f"c0[{layer * m.D}]", fmt_shape((*batch, m.H_cell)), f"{n_sym}H_cell)")
        )
    many = len(gates) > 1
    terms += [
        Term(
            ", ".join(f"W_i{s}" for s in letters) if many else "W_ih",
            f"weight_ih{k}" + (", ".join(blocks) if many else ""),
            shape_of([w_ih[j * rows : (j + 1) * rows] for j in range(len(gates))]),
            f"(H_cell, {features})" if m.has_cell else f"(H_out, {features})",
        ),
        Term(
            ", ".join(f"W_h{s}" for s in letters) if many else "W_hh",
            f"weight_hh{k}" + (", ".join(blocks) if many else ""),
            shape_of([w_hh[j * rows : (j + 1) * rows] for j in range(len(gates))]),
            "(H_cell, H_out)" if m.has_cell else "(H_out, H_out)",
        ),
    ]
    if m.bias:
        b_ih = getattr(module, f"bias_ih{k}")
        terms.append(
            Term(
                f"b_i{letters[0]} + b_h{letters[0]}, …" if many else "b_ih + b_hh",
                f"bias_ih{k}[…] + bias_hh{k}[…]" if many else f"bias_ih{k} + bias_hh{k}",
                shape_of([b_ih[j * rows : (j + 1) * rows] for j in range(len(gates))]),
                "(H_cell,)" if m.has_cell else "(H_out,)",
            )
        )
    if many:
        symbols = f"{n_sym}H_cell)" if m.has_cell else f"{n_sym}H_out)"
        terms.append(
            Term(
                ", ".join(f"{s}_t" for s in letters),
                "",
                shape_of([step[s] for s in letters]),
                symbols,
            )
        )
    if m.has_cell:
        terms.append(Term("c_t", "", fmt_shape(step["c"].shape), f"{n_sym}H_cell)"))
    if m.proj_size:
        w_hr = getattr(module, f"weight_hr{k}")
        terms.append(Term("W_hr", f"weight_hr{k}", fmt_shape(w_hr.shape), "(H_out, H_cell)"))
    terms.append(Term("h_t", "", fmt_shape(h.shape), f"{n_sym}H_out)"))
    return tuple(terms)


def check_cell_supported(spec: Spec) -> None:
    if spec.module.proj_size:
        raise SpecError(
            f"--proj-size cannot be shown with nn.LSTMCell: LSTMCell has no proj_size "
            f"(got --proj-size {spec.module.proj_size}); drop --proj-size, or see "
            "'lstm-shapes gates' for the projection"
        )


def loop_code(spec: Spec) -> str:
    """A learner's loop of cells for this configuration, checked against the module."""
    m, n, length = spec.module, spec.input.batch, spec.input.seq_len
    cell_class = f"{m.class_name}Cell"
    var = m.kind
    x_shape = (n, length, m.input_size) if m.batch_first else (length, n, m.input_size)
    x_symbols = "(N, L, H_in)" if m.batch_first else "(L, N, H_in)"
    to_time_major = "x.transpose(0, 1)" if m.batch_first else "x"
    from_time_major = "seq.transpose(0, 1)" if m.batch_first else "seq"
    extra = "" if m.bias else ", bias=False"
    if m.kind == "rnn" and m.nonlinearity != "tanh":
        extra += f", nonlinearity={m.nonlinearity!r}"
    keys = (
        '("weight_ih", "weight_hh", "bias_ih", "bias_hh")'
        if m.bias
        else '("weight_ih", "weight_hh")'
    )
    state_init, step, record, before, returned, keep_c, stack, checks = _loop_state(m.has_cell, var)
    return f"""\
import torch
from torch import nn

torch.manual_seed({spec.run.seed})
{var} = {wrapped_constructor(m)}
{var}.eval()
generator = torch.Generator().manual_seed({spec.run.seed})
x = torch.randn({", ".join(map(str, x_shape))}, generator=generator)  # {x_symbols}
D, H, num_layers = {m.D}, {m.hidden_size}, {m.num_layers}
names = {keys}

# One {cell_class} per layer and direction, holding the {m.class_name}'s own weights.
cells = {{}}
for layer in range(num_layers):
    for d, suffix in enumerate(["", "_reverse"][:D]):
        cell = nn.{cell_class}({m.input_size} if layer == 0 else D * H, H{extra})
        cell.load_state_dict({{k: getattr({var}, f"{{k}}_l{{layer}}{{suffix}}") for k in names}})
        cells[layer, d] = cell

with torch.no_grad():
    {returned}

    seq = {to_time_major}  # (L, N, H_in): the loop walks the time axis
    L, N = seq.shape[0], seq.shape[1]
    hs, cs, first_step = [], [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            {state_init}  # what nn.{m.class_name} uses by default
            # the backward direction walks from t=L-1 down to t=0
            steps = range(L) if d == 0 else reversed(range(L))
            out_d = [None] * L
            for t in steps:
                {before}
                {step}
                out_d[t] = h
                if t == 0:
                    {record}
            outs.append(torch.stack(out_d))  # (L, N, H)
            hs.append(h)  # after the last step: t=L-1 forward, t=0 backward{keep_c}
        seq = torch.cat(outs, dim=2)  # (L, N, D*H): the next layer's input
    loop_output = {from_time_major}  # the top layer, back in the input's layout
    {stack}

checks = {checks}
for name, (a, b) in checks.items():
    print(name, tuple(a.shape), tuple(b.shape), (a - b).abs().max().item())
"""


def _loop_state(has_cell: bool, var: str) -> tuple[str, ...]:
    """The lines of the cell loop that differ between (h, c) and h alone."""
    if has_cell:
        state_init = "h, c = torch.zeros(N, H), torch.zeros(N, H)"
        step = "h, c = cells[layer, d](seq[t], (h, c))"
        record = "first_step.append((layer, d, seq[t], h_in, c_in, h, c))"
        before = "h_in, c_in = h, c"
        returned = "output, (hn, cn) = " + var + "(x)"
        keep_c = "\n            cs.append(c)"
        stack = "loop_hn, loop_cn = torch.stack(hs), torch.stack(cs)"
        checks = '{"output": (output, loop_output), "hn": (hn, loop_hn), "cn": (cn, loop_cn)}'
    else:
        state_init = "h = torch.zeros(N, H)"
        step = "h = cells[layer, d](seq[t], h)"
        record = "first_step.append((layer, d, seq[t], h_in, None, h, None))"
        before = "h_in = h"
        returned = "output, hn = " + var + "(x)"
        keep_c = ""
        stack = "loop_hn = torch.stack(hs)"
        checks = '{"output": (output, loop_output), "hn": (hn, loop_hn)}'
    return state_init, step, record, before, returned, keep_c, stack, checks


def wrapped_constructor(m: ModuleSpec) -> str:
    """``nn.LSTM(...)``, one argument per line when it would not fit in 88 columns."""
    call = m.constructor()
    if len(call) <= 72:  # after "lstm = "
        return call
    head = f"nn.{m.class_name}("
    args = call[len(head) : -1].split(", ")
    return head + "\n" + "".join(f"    {a},\n" for a in args) + ")"


def run_cell(spec: Spec) -> CellRun:
    """Run :func:`loop_code`'s text, exactly as shown, and compare it with the module."""
    check_cell_supported(spec)
    with single_thread(is_small(spec)):
        return _run_cell(spec)


def _run_cell(spec: Spec) -> CellRun:
    code = loop_code(spec)
    scope: dict[str, Any] = {"print": lambda *args: None}
    with quiet():
        exec(compile(code, "<lstm-shapes cell loop>", "exec"), scope)
    names = ("output", "hn", "cn") if spec.module.has_cell else ("output", "hn")
    comparisons = tuple(
        Comparison(
            name,
            fmt_shape(scope[name].shape),
            fmt_shape(scope[f"loop_{name}"].shape),
            max_abs_diff(scope[name], scope[f"loop_{name}"]),
        )
        for name in names
    )
    steps = tuple(
        FirstStep(
            layer,
            "backward" if d else "forward",
            f"cells[{layer}, {d}]",
            fmt_shape(x_t.shape),
            fmt_shape(h_in.shape),
            fmt_shape(c_in.shape) if c_in is not None else "",
            fmt_shape(h.shape),
            fmt_shape(c.shape) if c is not None else "",
        )
        for layer, d, x_t, h_in, c_in, h, c in scope["first_step"]
    )
    cells = tuple(
        (f"cells[{layer}, {d}]", repr(cell)) for (layer, d), cell in scope["cells"].items()
    )
    return CellRun(spec, code, cells, steps, comparisons)


def last_step_expr(spec: Spec) -> str:
    """The summary of each sequence: ``hn[-1]``, or both directions of the top layer."""
    if spec.module.D == 1:
        return "hn[-1]"
    return "torch.cat([hn[-2], hn[-1]], dim=1)"


def run_heads(spec: Spec, head: str, out_features: int) -> HeadsRun:
    """A Linear head on the last step and/or on every step, run on the module's output."""
    with single_thread(is_small(spec)):
        return _run_heads(spec, head, out_features)


def _forward(module: Any, x: Any, has_cell: bool) -> tuple[Any, Any]:
    output, state = module(x)
    return output, (state[0] if has_cell else state)


def _run_heads(spec: Spec, head: str, out_features: int) -> HeadsRun:
    torch = torch_module()
    m = spec.module
    module = build(torch, m, spec.run.seed)
    x = make_input(torch, spec)
    in_features = m.D * m.H_out
    torch.manual_seed(spec.run.seed)
    linear = torch.nn.Linear(in_features, out_features)
    runs = []
    bf = m.batch_first
    with torch.no_grad(), quiet():
        output, hn = _forward(module, x, m.has_cell)
        # the expression shown by last_step_expr(), computed
        summary = hn[-1] if m.D == 1 else torch.cat([hn[-2], hn[-1]], dim=1)
        if m.D == 1:
            expected = output[:, -1] if bf else output[-1]
            backward_diff = None
        else:
            fwd = output[:, -1, : m.H_out] if bf else output[-1, :, : m.H_out]
            bwd = output[:, 0, m.H_out :] if bf else output[0, :, m.H_out :]
            expected = torch.cat([fwd, bwd], dim=1)
            wrong = output[:, -1, m.H_out :] if bf else output[-1, :, m.H_out :]
            backward_diff = max_abs_diff(wrong, hn[-1])
        summary_diff = max_abs_diff(summary, expected)
        linear_text = f"nn.Linear(in_features={in_features}, out_features={out_features})"
        if head in ("last", "both"):
            y = linear(summary)
            runs.append(
                HeadRun(
                    "last",
                    last_step_expr(spec),
                    fmt_shape(summary.shape),
                    linear_text,
                    fmt_shape(y.shape),
                    "(N, K)",
                    f"head = {linear_text}\ny = head({last_step_expr(spec)})",
                )
            )
        if head in ("every", "both"):
            y = linear(output)
            runs.append(
                HeadRun(
                    "every",
                    "output",
                    fmt_shape(output.shape),
                    linear_text,
                    fmt_shape(y.shape),
                    "(N, L, K)" if bf else "(L, N, K)",
                    f"head = {linear_text}\ny = head(output)",
                )
            )
        error = None
        if in_features != m.hidden_size:
            try:
                torch.nn.Linear(m.hidden_size, out_features)(output)
            except RuntimeError as exc:
                error = first_line(exc)
    return HeadsRun(
        spec, out_features, in_features, tuple(runs), error, backward_diff, summary_diff
    )
