"""Worked examples and exercises at the user's configuration, every number from torch.

Each worked example is a short program written for the configuration and then executed
exactly as shown (as the cell loop is), so the page can print the code and the shapes it
produced side by side. The exercises are answered from the same runs and from the module.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lstm_shapes.probe.teaching import (
    build,
    make_input,
    max_abs_diff,
    quiet,
    time_major,
    torch_module,
    wrapped_constructor,
)
from lstm_shapes.report.teaching import Exercise, PackedPicture, Worked, fmt_diff, fmt_shape
from lstm_shapes.spec.core import Spec

#: batch_sizes longer than this are shown with their middle elided
SHOWN_STEPS = 12


def packed_lengths(spec: Spec) -> tuple[int, ...]:
    """The user's ``--lengths``, else lengths falling from L so that every sequence but the
    first has a padded tail."""
    if spec.input.lengths is not None:
        return spec.input.lengths
    n, length = spec.input.batch, spec.input.seq_len
    step = max(1, length // max(n, 1))
    return tuple(max(1, length - b * step) for b in range(n))


def _header(spec: Spec) -> str:
    return f"import torch\nfrom torch import nn\n\ntorch.manual_seed({spec.run.seed})\n"


def _state(spec: Spec) -> str:
    return "(hn, cn)" if spec.module.has_cell else "hn"


def _execute(code: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"print": lambda *args: None}
    with quiet(), torch_module().no_grad():
        exec(compile(code, "<lstm-shapes worked example>", "exec"), scope)
    return scope


def proj_size_of(spec: Spec) -> int:
    """The projection the example shows: the user's, else half of hidden_size."""
    m = spec.module
    return m.proj_size or m.hidden_size // 2


def worked_proj(spec: Spec) -> Worked | None:
    m = spec.module
    p = proj_size_of(spec)
    if m.kind != "lstm" or p < 1:
        return None
    module = replace(m, proj_size=p)
    n, length = spec.input.batch, spec.input.seq_len
    x = (n, length, m.input_size) if m.batch_first else (length, n, m.input_size)
    code = (
        _header(spec)
        + f"lstm = {wrapped_constructor(module)}\n"
        + f"x = torch.randn{x}\n"
        + "output, (hn, cn) = lstm(x)\n"
        + "print(output.shape, hn.shape, cn.shape, lstm.weight_hr_l0.shape)\n"
    )
    scope = _execute(code)
    names = ("x", "output", "hn", "cn")
    shapes = tuple((name, fmt_shape(scope[name].shape)) for name in names)
    shapes += (("weight_hr_l0", fmt_shape(scope["lstm"].weight_hr_l0.shape)),)
    return Worked("proj", code, shapes, {"p": str(p), "h": str(m.hidden_size)})


def worked_unbatched(spec: Spec) -> Worked:
    m = spec.module
    var = m.kind
    code = (
        _header(spec)
        + f"{var} = {wrapped_constructor(m)}\n"
        + f"x = torch.randn({spec.input.seq_len}, {m.input_size})  # (L, H_in)\n"
        + f"output, {_state(spec)} = {var}(x)\n"
    )
    scope = _execute(code)
    names = ("x", "output", "hn", "cn") if m.has_cell else ("x", "output", "hn")
    return Worked("unbatched", code, tuple((k, fmt_shape(scope[k].shape)) for k in names))


def worked_packed(spec: Spec) -> tuple[Worked, PackedPicture]:
    m = spec.module
    var = m.kind
    lengths = packed_lengths(spec)
    n, length = spec.input.batch, spec.input.seq_len
    x = (n, length, m.input_size) if m.batch_first else (length, n, m.input_size)
    bf = ", batch_first=True" if m.batch_first else ""
    last = "output[b, n - 1]" if m.batch_first else "output[n - 1, b]"
    top = "hn[-2]" if m.D == 2 else "hn[-1]"
    forward = f"[..., :{m.H_out}]" if m.D == 2 else ""
    code = (
        _header(spec)
        + "from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence\n\n"
        + f"{var} = {wrapped_constructor(m)}\n"
        + f"x = torch.randn{x}\n"
        + f"lengths = torch.tensor([{', '.join(map(str, lengths))}])"
        + "  # real length of each sequence\n"
        + f"packed = pack_padded_sequence(x, lengths{bf}, enforce_sorted=False)\n"
        + f"packed_output, {_state(spec)} = {var}(packed)\n"
        + f"output, out_lengths = pad_packed_sequence(packed_output{bf}, total_length={length})\n"
        + "# each sequence's hn is taken at its own last real step\n"
        + "for b, n in enumerate(lengths.tolist()):\n"
        + f"    print(b, n, ({top}[b] - {last}{forward}).abs().max().item())\n"
    )
    scope = _execute(code)
    output, hn = scope["output"], scope["hn"]
    forward_slice = slice(0, m.H_out)
    worst = 0.0
    for b, real in enumerate(lengths):
        at = output[b, real - 1] if m.batch_first else output[real - 1, b]
        worst = max(worst, max_abs_diff(hn[-m.D][b], at[forward_slice]))
    tm = time_major(output, m.batch_first)
    tails = [tm[real:, b] for b, real in enumerate(lengths) if real < length]
    tail = max((float(t.abs().max()) for t in tails), default=0.0)
    batch_sizes = tuple(int(s) for s in scope["packed"].batch_sizes)
    b_asked = 1 if n > 1 else 0
    step = lengths[b_asked] - 1
    half = f", :{m.H_out}" if m.D == 2 else ""
    at_asked = (
        f"output[{b_asked}, {step}{half}]" if m.batch_first else f"output[{step}, {b_asked}{half}]"
    )
    shapes = (
        ("x", fmt_shape(scope["x"].shape)),
        ("packed.data", fmt_shape(scope["packed"].data.shape)),
        ("packed.batch_sizes", fmt_shape(scope["packed"].batch_sizes.shape)),
        ("packed_output.data", fmt_shape(scope["packed_output"].data.shape)),
        ("output", fmt_shape(output.shape)),
        ("hn", fmt_shape(hn.shape)),
    )
    values = {
        "lengths": ", ".join(map(str, lengths)),
        "batch_sizes": _elided(batch_sizes),
        "total": str(sum(lengths)),
        "diff": fmt_diff(worst),
        "tail": fmt_diff(tail),
        "top": top,
        "b": str(b_asked),
        "at": at_asked,
    }
    return Worked("packed", code, shapes, values), PackedPicture(lengths, batch_sizes)


def _elided(values: tuple[int, ...]) -> str:
    if len(values) <= SHOWN_STEPS:
        return ", ".join(map(str, values))
    half = SHOWN_STEPS // 2
    return ", ".join(map(str, values[:half])) + ", …, " + ", ".join(map(str, values[-half:]))


def worked_params(spec: Spec, module: Any) -> Worked:
    """The parameter count, layer by layer, from ``named_parameters()``."""
    m = spec.module
    per_layer = []
    for layer in range(m.num_layers):
        count = sum(
            p.numel()
            for name, p in module.named_parameters()
            if name.rsplit("_l", 1)[1].split("_")[0] == str(layer)
        )
        per_layer.append(count)
    total = sum(p.numel() for p in module.parameters())
    var = m.kind
    code = (
        _header(spec)
        + f"{var} = {wrapped_constructor(m)}\n"
        + f"print(sum(p.numel() for p in {var}.parameters()))\n"
    )
    values = {
        "k": str(m.gates),
        "per_layer": ", ".join(f"{c:,}" for c in per_layer),
        "total": f"{total:,}",
        "layer0": f"{per_layer[0]:,}",
    }
    if m.num_layers > 1:
        values["above"] = f"{per_layer[1]:,}"
    return Worked("params", code, (), values)


def run_worked(
    spec: Spec,
) -> tuple[tuple[Worked, ...], tuple[Exercise, ...], PackedPicture]:
    """The worked examples, the exercises and the packed picture's numbers."""
    torch = torch_module()
    m = spec.module
    module = build(torch, m, spec.run.seed)
    x = make_input(torch, spec)
    with torch.no_grad(), quiet():
        output, state = module(x)
        proj = worked_proj(spec)
        unbatched = worked_unbatched(spec)
        packed, picture = worked_packed(spec)
        params = worked_params(spec, module)
        hn, cn = state if m.has_cell else (state, None)
        flipped = build(torch, replace(m, batch_first=not m.batch_first), spec.run.seed)
        flipped_output, _ = flipped(x.transpose(0, 1))
        last = output[:, -1] if m.batch_first else output[-1]
        worked = tuple(w for w in (proj, unbatched, packed, params) if w is not None)
        exercises = _exercises(
            spec, module, output, hn, cn, last, flipped_output, proj, unbatched, packed, params
        )
    return worked, exercises, picture


def _exercises(
    spec: Spec,
    module: Any,
    output: Any,
    hn: Any,
    cn: Any,
    last: Any,
    flipped_output: Any,
    proj: Worked | None,
    unbatched: Worked,
    packed: Worked,
    params: Worked,
) -> tuple[Exercise, ...]:
    m = spec.module
    s = fmt_shape
    bf = m.batch_first
    h = m.H_out
    out: list[Exercise] = [
        Exercise("ex.output", {}, s(output.shape)),
        Exercise("ex.hn", {}, s(hn.shape)),
    ]
    if cn is not None:
        out.append(Exercise("ex.cn", {}, s(cn.shape)))
    out.append(
        Exercise("ex.last", {"expr": "output[:, -1]" if bf else "output[-1]"}, s(last.shape))
    )
    out.append(Exercise("ex.in_features", {}, str(int(output.shape[-1]))))
    if m.D == 2:
        first = output[:, 0, h:] if bf else output[0, :, h:]
        assert max_abs_diff(first, hn[-1]) <= 1e-5
        answer = f"output[:, 0, {h}:]" if bf else f"output[0, :, {h}:]"
        out.append(Exercise("ex.backward", {}, answer))
    else:
        assert max_abs_diff(last, hn[-1]) <= 1e-5
        out.append(Exercise("ex.top", {}, "output[:, -1]" if bf else "output[-1]"))
    out.append(Exercise("ex.params", {}, params.values["total"]))
    if m.num_layers > 1:
        w = module.weight_ih_l1
        out.append(Exercise("ex.weight_ih_l1", {}, s(w.shape)))
    else:
        out.append(Exercise("ex.weight_hh_l0", {}, s(module.weight_hh_l0.shape)))
    out.append(Exercise("ex.flip", {"flip": str(not bf)}, s(flipped_output.shape)))
    shapes = dict(unbatched.shapes)
    out.append(Exercise("ex.unbatched", {"L": str(spec.input.seq_len)}, shapes["hn"]))
    if proj is not None:
        pshapes = dict(proj.shapes)
        out.append(
            Exercise("ex.proj", {"p": proj.values["p"]}, f"{pshapes['hn']}, {pshapes['cn']}")
        )
    packed_values = packed.values
    out.append(
        Exercise(
            "ex.packed",
            {
                "lengths": packed_values["lengths"],
                "b": packed_values["b"],
                "top": packed_values["top"],
            },
            packed_values["at"],
        )
    )
    if cn is not None:
        out.append(Exercise("ex.cn_holds", {}, s(cn.shape)))
    return tuple(out)
