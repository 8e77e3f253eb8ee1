"""The LSTM equations with the shape of every term, taken from the real module's weights.

For each layer, the first time step of the forward direction is recomputed by hand from
row blocks of ``weight_ih_l{k}`` / ``weight_hh_l{k}`` (gate order i, f, g, o) and compared
with what ``nn.LSTM`` returned, so the equations shown are the ones torch runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import live

#: (symbol, activation) in the order of the row blocks of weight_ih / weight_hh
GATES = (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid"))


@dataclass(frozen=True)
class Term:
    """One term of the equations: its symbol, where torch keeps it, its observed shape
    and that shape in the vocabulary's symbols."""

    symbol: str
    source: str
    shape: str
    symbols: str

    def as_dict(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "source": self.source,
            "shape": live.shape_list(self.shape),
            "symbols": self.symbols,
        }


@dataclass(frozen=True)
class LayerGates:
    layer: int
    terms: tuple[Term, ...]
    #: hand-computed h at t=0 against torch's, forward direction
    max_abs_diff: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "terms": [t.as_dict() for t in self.terms],
            "max_abs_diff": self.max_abs_diff,
            "matches": self.max_abs_diff <= live.TOLERANCE,
        }


@dataclass(frozen=True)
class GatesRun:
    spec: Spec
    layers: tuple[LayerGates, ...]

    @property
    def ok(self) -> bool:
        return all(layer.max_abs_diff <= live.TOLERANCE for layer in self.layers)


def lstm_step(
    torch: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, x_t: Any, h: Any, c: Any
) -> dict[str, Any]:
    """One step of the recurrence written out: the four gates from row blocks, then
    ``c`` and ``h`` (before any projection)."""
    rows = w_ih.shape[0] // 4
    out: dict[str, Any] = {}
    for k, (symbol, activation) in enumerate(GATES):
        block = slice(k * rows, (k + 1) * rows)
        pre = x_t @ w_ih[block].T + h @ w_hh[block].T
        if b_ih is not None:
            pre = pre + b_ih[block] + b_hh[block]
        out[symbol] = torch.sigmoid(pre) if activation == "sigmoid" else torch.tanh(pre)
    out["c"] = out["f"] * c + out["i"] * out["g"]
    out["h"] = out["o"] * torch.tanh(out["c"])
    return out


def _key_layer(name: str) -> int:
    """``weight_ih_l1_reverse`` -> 1."""
    return int(name.rsplit("_l", 1)[1].split("_")[0])


def layer_outputs_t0(torch: Any, lstm: Any, spec: Spec, x: Any) -> list[Any]:
    """For every layer, its output (both directions) at t=0, from real runs: each layer is
    run as a one-layer ``nn.LSTM`` holding that layer's weights, on the layer below's
    output (torch's own stack does exactly this, plus dropout in training mode)."""
    m = spec.module
    outputs = []
    state = lstm.state_dict()
    layer_input = x
    for layer in range(m.num_layers):
        one = replace(m, num_layers=1, dropout=0.0, input_size=layer_input.shape[-1])
        single = live.build(torch, one, spec.run.seed)
        single.load_state_dict(
            {
                name.replace(f"_l{layer}", "_l0"): value
                for name, value in state.items()
                if _key_layer(name) == layer
            }
        )
        layer_input, _ = single(layer_input)
        outputs.append(live.time_major(layer_input, m.batch_first)[0])
    return outputs


def run_gates(spec: Spec) -> GatesRun:
    """One torch thread when the configuration is small (see :func:`live.single_thread`)."""
    with live.single_thread(live.is_small(spec)):
        return _run_gates(spec)


def _run_gates(spec: Spec) -> GatesRun:
    torch = live.torch_module()
    m = spec.module
    lstm = live.build(torch, m, spec.run.seed)
    x = live.make_input(torch, spec)
    layers = []
    with torch.no_grad(), live.quiet():
        outs_t0 = layer_outputs_t0(torch, lstm, spec, x)
        for layer in range(m.num_layers):
            k = f"_l{layer}"
            w_ih, w_hh = getattr(lstm, f"weight_ih{k}"), getattr(lstm, f"weight_hh{k}")
            b_ih, b_hh = getattr(lstm, f"bias_ih{k}", None), getattr(lstm, f"bias_hh{k}", None)
            x_t = live.time_major(x, m.batch_first)[0] if layer == 0 else outs_t0[layer - 1]
            h_prev = torch.zeros(x_t.shape[0], m.H_out)
            c_prev = torch.zeros(x_t.shape[0], m.H_cell)
            step = lstm_step(torch, w_ih, w_hh, b_ih, b_hh, x_t, h_prev, c_prev)
            h = step["h"] @ getattr(lstm, f"weight_hr{k}").T if m.proj_size else step["h"]
            diff = live.max_abs_diff(h, outs_t0[layer][..., : m.H_out])
            layers.append(LayerGates(layer, _terms(spec, lstm, layer, x_t, step, h), diff))
    return GatesRun(spec, tuple(layers))


def _terms(
    spec: Spec, lstm: Any, layer: int, x_t: Any, step: dict[str, Any], h: Any
) -> tuple[Term, ...]:
    m = spec.module
    k = f"_l{layer}"
    features = "H_in" if layer == 0 else "D*H_out"
    rows = m.H_cell
    w_ih, w_hh = getattr(lstm, f"weight_ih{k}"), getattr(lstm, f"weight_hh{k}")
    blocks = [f"[{j * rows}:{(j + 1) * rows}]" for j in range(4)]

    def shape_of(tensors: list[Any]) -> str:
        shapes = {live.fmt_shape(t.shape) for t in tensors}
        assert len(shapes) == 1, shapes  # the four blocks always agree
        return shapes.pop()

    source_x = "x[:, 0]" if m.batch_first else "x[0]"
    terms = [
        Term("x_t", source_x if layer == 0 else "", live.fmt_shape(x_t.shape), f"(N, {features})"),
        Term(
            "h_{t-1}", f"h0[{layer * m.D}]", live.fmt_shape((x_t.shape[0], m.H_out)), "(N, H_out)"
        ),
        Term(
            "c_{t-1}", f"c0[{layer * m.D}]", live.fmt_shape((x_t.shape[0], m.H_cell)), "(N, H_cell)"
        ),
        Term(
            "W_ii, W_if, W_ig, W_io",
            f"weight_ih{k}" + ", ".join(blocks),
            shape_of([w_ih[j * rows : (j + 1) * rows] for j in range(4)]),
            f"(H_cell, {features})",
        ),
        Term(
            "W_hi, W_hf, W_hg, W_ho",
            f"weight_hh{k}" + ", ".join(blocks),
            shape_of([w_hh[j * rows : (j + 1) * rows] for j in range(4)]),
            "(H_cell, H_out)",
        ),
    ]
    if m.bias:
        b_ih = getattr(lstm, f"bias_ih{k}")
        terms.append(
            Term(
                "b_ii + b_hi, …",
                f"bias_ih{k}[…] + bias_hh{k}[…]",
                shape_of([b_ih[j * rows : (j + 1) * rows] for j in range(4)]),
                "(H_cell,)",
            )
        )
    terms.append(
        Term("i_t, f_t, g_t, o_t", "", shape_of([step[s] for s, _ in GATES]), "(N, H_cell)")
    )
    terms.append(Term("c_t", "", live.fmt_shape(step["c"].shape), "(N, H_cell)"))
    if m.proj_size:
        w_hr = getattr(lstm, f"weight_hr{k}")
        terms.append(Term("W_hr", f"weight_hr{k}", live.fmt_shape(w_hr.shape), "(H_out, H_cell)"))
    terms.append(Term("h_t", "", live.fmt_shape(h.shape), "(N, H_out)"))
    return tuple(terms)
