"""Pure shape algebra for ``nn.LSTM`` (and ``nn.GRU`` / ``nn.RNN``). No torch import.

Every shape here is a *prediction*; the probe observes the real one and the report
refuses to print anything where the two disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from lstm_shapes.spec.core import ModuleSpec, Spec

#: keyed by ``ModuleSpec.family``: a cell has the gates of its sequence module
GATE_NAMES = {
    "lstm": ("input", "forget", "cell", "output"),
    "gru": ("reset", "update", "new"),
    "rnn": ("hidden",),
}
GATE_SYMBOLS = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}


@dataclass(frozen=True)
class Dim:
    """One named dimension: ``symbol`` as in torch's docs, its size, what it means, and
    the arithmetic when it is a product (``"2*2 = 4"``)."""

    symbol: str
    size: int
    meaning: str
    arithmetic: str | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "symbol": self.symbol,
            "size": self.size,
            "meaning": self.meaning,
        }
        if self.arithmetic is not None:
            data["arithmetic"] = self.arithmetic
        return data


@dataclass(frozen=True)
class TensorShape:
    name: str
    dims: tuple[Dim, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def symbols(self) -> str:
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"


@dataclass(frozen=True)
class ParamShape:
    """One entry of ``named_parameters()``: name, shape, and what rows/columns hold."""

    name: str
    shape: tuple[int, ...]
    layer: int
    direction: str  # "forward" | "backward"
    rows: str
    columns: str | None

    @property
    def numel(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count


TENSOR_NAMES = ("input", "h0", "c0", "output", "hn", "cn")
#: a cell's tensors: one step from h_0 (and c_0) to h_1 (and c_1), no separate output
CELL_TENSOR_NAMES = ("input", "h0", "c0", "h1", "c1")
DOCS_NAMES = {
    "input": "input",
    "h0": "h_0",
    "c0": "c_0",
    "output": "output",
    "hn": "h_n",
    "cn": "c_n",
    "h1": "h_1",
    "c1": "c_1",
    "packed_input_data": "packed.data",
    "packed_input_batch_sizes": "packed.batch_sizes",
    "packed_output_data": "packed_output.data",
}
#: with ``--lengths``: the stages of a packed run, in the order they happen
PACKED_NAMES = ("packed_input_data", "packed_input_batch_sizes", "packed_output_data")


DESCRIPTIONS = {
    "input": "the input sequences",
    "h0": "initial hidden state of every layer and direction (zeros when omitted)",
    "c0": "initial cell state of every layer and direction (zeros when omitted)",
    "output": "the top layer's hidden state at every time step",
    "hn": "hidden state after the last step, for every layer and direction",
    "cn": "cell state after the last step, for every layer and direction",
    "h1": "hidden state after this step (the cell's output)",
    "c1": "cell state after this step",
    "packed_input_data": "pack_padded_sequence(x, lengths, enforce_sorted=False).data: "
    "the real steps only",
    "packed_input_batch_sizes": "packed.batch_sizes: sequences still running at each step",
    "packed_output_data": "the packed output's .data, one row per real step",
}


#: what ``h0``/``c0`` hold for a cell, where the sequence modules' words do not fit
CELL_DESCRIPTIONS = {
    "input": "one time step of the input",
    "h0": "hidden state before this step (zeros when omitted)",
    "c0": "cell state before this step (zeros when omitted)",
}


def tensor_names(module: ModuleSpec) -> tuple[str, ...]:
    if module.is_cell:
        return CELL_TENSOR_NAMES if module.has_cell else ("input", "h0", "h1")
    return TENSOR_NAMES if module.has_cell else ("input", "h0", "output", "hn")


def cell_shapes(spec: Spec) -> dict[str, TensorShape]:
    """A cell's ``input`` ``(N, H_in)`` and states ``(N, H)``; unbatched, ``N`` is gone."""
    m = spec.module
    batch = () if spec.input.unbatched else (_n(spec),)
    hidden = Dim("H", m.hidden_size, "hidden features (= hidden_size)")
    dims = {
        "input": (*batch, Dim("H_in", m.input_size, "input features (= input_size)")),
        "h0": (*batch, hidden),
        "c0": (*batch, hidden),
        "h1": (*batch, hidden),
        "c1": (*batch, hidden),
    }
    return {name: TensorShape(name, dims[name]) for name in tensor_names(m)}


def _n(spec: Spec) -> Dim:
    return Dim("N", spec.input.batch, "batch size")


def _l(spec: Spec) -> Dim:
    return Dim("L", spec.input.seq_len, "sequence length")


def _state_rows(m: ModuleSpec) -> Dim:
    return Dim(
        "D*num_layers",
        m.D * m.num_layers,
        "directions x layers",
        f"{m.D}*{m.num_layers} = {m.D * m.num_layers}",
    )


def _h_out(m: ModuleSpec) -> Dim:
    if m.proj_size > 0:
        return Dim("H_out", m.H_out, "hidden-state features (= proj_size)")
    return Dim("H_out", m.H_out, "hidden-state features (= hidden_size)")


def _h_cell(m: ModuleSpec) -> Dim:
    return Dim("H_cell", m.H_cell, "cell-state features (= hidden_size)")


def _time_major(spec: Spec, features: Dim) -> tuple[Dim, ...]:
    if spec.input.unbatched:
        return (_l(spec), features)
    if spec.module.batch_first:
        return (_n(spec), _l(spec), features)
    return (_l(spec), _n(spec), features)


def _state(spec: Spec, features: Dim) -> tuple[Dim, ...]:
    """``h``/``c`` never follow ``batch_first``: always ``(D*num_layers, N, H)``."""
    rows = _state_rows(spec.module)
    if spec.input.unbatched:
        return (rows, features)
    return (rows, _n(spec), features)


def tensor_shapes(spec: Spec) -> dict[str, TensorShape]:
    """Predicted ``input``, ``h0``, ``c0``, ``output``, ``hn``, ``cn`` (no ``c`` for GRU/RNN)."""
    m = spec.module
    if m.is_cell:
        return cell_shapes(spec)
    h_in = Dim("H_in", m.input_size, "input features (= input_size)")
    out_features = Dim(
        "D*H_out",
        m.D * m.H_out,
        "directions x hidden-state features",
        f"{m.D}*{m.H_out} = {m.D * m.H_out}",
    )
    shapes = {
        "input": TensorShape("input", _time_major(spec, h_in)),
        "h0": TensorShape("h0", _state(spec, _h_out(m))),
        "output": TensorShape("output", _time_major(spec, out_features)),
        "hn": TensorShape("hn", _state(spec, _h_out(m))),
    }
    if m.has_cell:
        shapes["c0"] = TensorShape("c0", _state(spec, _h_cell(m)))
        shapes["cn"] = TensorShape("cn", _state(spec, _h_cell(m)))
    if spec.input.lengths is not None:
        shapes.update(packed_shapes(spec))
        order = ["input", *PACKED_NAMES[:2], "h0", "c0", PACKED_NAMES[2], "output", "hn", "cn"]
        return {name: shapes[name] for name in order if name in shapes}
    return {name: shapes[name] for name in tensor_names(m)}


def batch_sizes(lengths: tuple[int, ...]) -> list[int]:
    """``PackedSequence.batch_sizes``: at step ``t``, how many sequences are longer than ``t``."""
    return [sum(1 for length in lengths if length > t) for t in range(max(lengths))]


def batch_sizes_text(lengths: tuple[int, ...], limit: int = 16) -> str:
    """:func:`batch_sizes` for people: the list when short, else its runs (``3 sequences
    for t < 2, ...``), computed from the sorted lengths so a long L costs nothing."""
    if max(lengths) <= limit:
        return str(batch_sizes(lengths))
    runs = []
    start = 0
    for count, end in zip(range(len(lengths), 0, -1), sorted(lengths), strict=True):
        if end > start:
            runs.append(
                f"{count} for t < {end}" if start == 0 else f"{count} for {start} <= t < {end}"
            )
            start = end
    return "[" + "; ".join(runs) + "]"


def packed_shapes(spec: Spec) -> dict[str, TensorShape]:
    """The packed stages: ``pack_padded_sequence`` keeps only the real steps, time-major
    (``data``), with the batch size of every step (``batch_sizes``)."""
    lengths = spec.input.lengths
    assert lengths is not None
    m = spec.module
    listed = ",".join(map(str, lengths))
    steps = Dim(
        "sum(lengths)",
        sum(lengths),
        "real time steps of all sequences, step-major",
        f"{'+'.join(map(str, lengths))} = {sum(lengths)}",
    )
    return {
        "packed_input_data": TensorShape(
            "packed_input_data", (steps, Dim("H_in", m.input_size, "input features"))
        ),
        "packed_input_batch_sizes": TensorShape(
            "packed_input_batch_sizes",
            (
                Dim(
                    "max(lengths)",
                    max(lengths),
                    "time steps; entry t counts the sequences still running at step t",
                    f"max({listed}) = {max(lengths)}",
                ),
            ),
        ),
        "packed_output_data": TensorShape(
            "packed_output_data",
            (
                steps,
                Dim(
                    "D*H_out",
                    m.D * m.H_out,
                    "directions x hidden-state features",
                    f"{m.D}*{m.H_out} = {m.D * m.H_out}",
                ),
            ),
        ),
    }


def layer_input_size(m: ModuleSpec, layer: int) -> int:
    """Layer 0 reads ``H_in``; every layer above reads both directions of the one below."""
    return m.input_size if layer == 0 else m.D * m.H_out


def parameter_shapes(m: ModuleSpec, layers: Iterable[int] | None = None) -> list[ParamShape]:
    """Exactly what ``named_parameters()`` yields, in the same order; ``layers`` lists
    only those layers (a deep stack's reduced report names a few)."""
    if m.is_cell:
        return cell_parameter_shapes(m)
    width = "H_cell" if m.kind == "lstm" else "hidden_size"
    if m.gates > 1:
        block = f"{m.gates}*{width} = {m.gates}*{m.hidden_size}"
    else:
        block = f"{width} = {m.hidden_size}"
    rows = m.gates * m.hidden_size
    params: list[ParamShape] = []
    for layer in range(m.num_layers) if layers is None else layers:
        for direction in range(m.D):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            dname = "backward" if direction else "forward"
            if layer == 0:
                in_cols = f"H_in = {m.input_size}"
            else:
                in_cols = f"D*H_out = {m.D}*{m.H_out} (layer {layer - 1}'s output)"
            params.append(
                ParamShape(
                    f"weight_ih{suffix}",
                    (rows, layer_input_size(m, layer)),
                    layer,
                    dname,
                    block,
                    in_cols,
                )
            )
            params.append(
                ParamShape(
                    f"weight_hh{suffix}", (rows, m.H_out), layer, dname, block, f"H_out = {m.H_out}"
                )
            )
            if m.bias:
                params.append(ParamShape(f"bias_ih{suffix}", (rows,), layer, dname, block, None))
                params.append(ParamShape(f"bias_hh{suffix}", (rows,), layer, dname, block, None))
            if m.proj_size > 0:
                params.append(
                    ParamShape(
                        f"weight_hr{suffix}",
                        (m.proj_size, m.hidden_size),
                        layer,
                        dname,
                        f"H_out = proj_size = {m.proj_size}",
                        f"H_cell = {m.H_cell}",
                    )
                )
    return params


def cell_parameter_shapes(m: ModuleSpec) -> list[ParamShape]:
    """A cell's ``weight_ih`` ``(k*H, H_in)``, ``weight_hh`` ``(k*H, H)`` and biases, with
    k gate blocks and no ``_l0`` suffix."""
    rows = m.gates * m.hidden_size
    block = f"{m.gates}*H = {m.gates}*{m.hidden_size}" if m.gates > 1 else f"H = {m.hidden_size}"
    params = [
        ParamShape(
            "weight_ih", (rows, m.input_size), 0, "forward", block, f"H_in = {m.input_size}"
        ),
        ParamShape("weight_hh", (rows, m.hidden_size), 0, "forward", block, f"H = {m.hidden_size}"),
    ]
    if m.bias:
        params.append(ParamShape("bias_ih", (rows,), 0, "forward", block, None))
        params.append(ParamShape("bias_hh", (rows,), 0, "forward", block, None))
    return params


@functools.lru_cache(maxsize=1024)
def parameter_count(m: ModuleSpec) -> int:
    """The sum of :func:`parameter_shapes`' sizes, without listing them (deep stacks);
    remembered per module (``check --spec`` asks again for every case)."""
    per_layer = sum(p.numel for p in parameter_shapes(m, range(min(m.num_layers, 2))))
    if m.num_layers <= 2:
        return per_layer
    upper = sum(p.numel for p in parameter_shapes(m, [1]))  # every layer above 0 is alike
    return per_layer + (m.num_layers - 2) * upper


def step_expr(spec: Spec, step: int, half: str | None = None) -> str:
    """Python indexing of ``output`` at time step ``step`` (0 or -1), optionally only the
    forward (``"forward"``) or backward (``"backward"``) half of the features."""
    m = spec.module
    if spec.input.unbatched or not m.batch_first:
        index = f"{step}" if spec.input.unbatched else f"{step}, :"
    else:
        index = f":, {step}"
    if half == "forward":
        index += f", :{m.H_out}"
    elif half == "backward":
        index += f", {m.H_out}:"
    return f"output[{index}]"


def hn_slices(spec: Spec) -> list[tuple[str, str, str]]:
    """The identities between ``hn`` and ``output`` that hold for this layout, as
    ``(id, hn expression, output expression)`` in Python indexing."""
    if spec.module.D == 1:
        return [("hn-last-step", "hn[-1]", step_expr(spec, -1))]
    return [
        ("hn-forward-last-step", "hn[-2]", step_expr(spec, -1, "forward")),
        ("hn-backward-first-step", "hn[-1]", step_expr(spec, 0, "backward")),
    ]
