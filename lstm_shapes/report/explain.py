"""Plain data joining theory and the probe. If they disagree, that is our bug."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstm_shapes.errors import InconsistencyError
from lstm_shapes.report.observation import Observation, VerifiedFact
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory

if TYPE_CHECKING:
    from lstm_shapes.report.cost import CostReport

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TensorReport:
    name: str
    docs_name: str
    dims: tuple[theory.Dim, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def symbols(self) -> str:
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"

    bidirectional: bool = False
    cell: bool = False  # a tensor of nn.LSTMCell / GRUCell / RNNCell

    @property
    def description(self) -> str:
        text = theory.CELL_DESCRIPTIONS.get(self.name, "") if self.cell else ""
        text = text or theory.DESCRIPTIONS[self.name]
        if self.name == "output" and self.bidirectional:
            text += " (both directions side by side)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "shape": list(self.shape),
            "dims": [d.as_dict() for d in self.dims],
            "description": self.description,
        }


@dataclass(frozen=True)
class RunInfo:
    torch_version: str
    device: str
    dtype: str
    seed: int
    mode: str = "full"
    # mode "reduced" (lstm_shapes.report.cost): why, what a full run needs, the sizes that ran
    reason: str | None = None
    full_size_estimate: dict[str, Any] | None = None
    reduced_sizes: str | None = None
    # a deep stack's reduced report lists some layers' parameters: these (first, last) not
    parameters_elided: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "torch_version": self.torch_version,
            "device": self.device,
            "dtype": self.dtype,
            "seed": self.seed,
            "mode": self.mode,
            "training": False,
        }
        if self.mode == "reduced":
            data["reason"] = self.reason
            data["full_size_estimate"] = self.full_size_estimate
            data["reduced_sizes"] = self.reduced_sizes
            if self.parameters_elided is not None:
                first, last = self.parameters_elided
                data["parameters_elided"] = {"from_layer": first, "to_layer": last}
        return data


@dataclass(frozen=True)
class Report:
    spec: Spec
    run: RunInfo
    tensors: dict[str, TensorReport]
    parameters: list[theory.ParamShape]
    parameter_count: int
    checks: list[VerifiedFact]
    notes: list[str]
    code: list[str] = field(default_factory=list)
    cost: CostReport | None = None  # explain --cost / --time (lstm_shapes.report.cost)

    @property
    def ok(self) -> bool:
        return all(c.holds for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of design.md (``schema_version`` 1)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "lstm": self.spec.module.as_dict(),
            "input": self.spec.input.as_dict(cell=self.spec.module.is_cell),
            "run": self.run.as_dict(),
            "tensors": {name: t.as_dict() for name, t in self.tensors.items()},
            "parameters": [{"name": p.name, "shape": list(p.shape)} for p in self.parameters],
            "parameter_count": self.parameter_count,
            "checks": [c.as_dict() for c in self.checks],
            "notes": list(self.notes),
            "code": "\n".join(self.code),
            **({"cost": self.cost.as_dict()} if self.cost is not None else {}),
        }


def build_report(spec: Spec, observation: Observation) -> Report:
    """Join the prediction with what torch did; refuse to report a guess."""
    predicted = theory.tensor_shapes(spec)
    mismatches = []
    for name, tensor in predicted.items():
        actual = observation.shapes.get(name)
        if actual != tensor.shape:
            mismatches.append(
                f"{name}: theory predicted {tensor.symbols} = "
                f"{list(tensor.shape)}, torch gave {list(actual or ())}"
            )
    params = theory.parameter_shapes(spec.module)
    expected_params = [(p.name, p.shape) for p in params]
    if expected_params != observation.parameters:
        mismatches.append(
            f"parameters: theory predicted {expected_params}, torch gave {observation.parameters}"
        )
    if mismatches:
        raise InconsistencyError(
            f"theory and torch disagree for {spec.module.constructor()} "
            f"({spec.sizes_line()}):\n  " + "\n  ".join(mismatches)
        )
    tensors = {
        name: TensorReport(
            name, theory.DOCS_NAMES[name], t.dims, spec.module.bidirectional, spec.module.is_cell
        )
        for name, t in predicted.items()
    }
    return Report(
        spec=spec,
        run=RunInfo(
            observation.torch_version, observation.device, observation.dtype, spec.run.seed
        ),
        tensors=tensors,
        parameters=params,
        parameter_count=theory.parameter_count(spec.module),
        checks=list(observation.checks),
        notes=notes_for(spec, observation.torch_warnings),
        code=code_for(spec, observation.device),
    )


def cell_notes(spec: Spec) -> list[str]:
    m = spec.module
    state_vars = "(h0, c0)" if m.has_cell else "h0"
    returns = "the tuple (h_1, c_1)" if m.has_cell else "h_1 alone, which is also the step's output"
    notes = [
        f"nn.{m.class_name} takes one time step: input (N, H_in), states (N, H). Loop over "
        f"the time steps yourself, feeding each step's result back as the next {state_vars}.",
        f"The states are (N, H), with no D*num_layers dimension: not (1, N, H) as for "
        f"nn.{m.family.upper()}. The cell returns {returns}.",
    ]
    if spec.input.unbatched:
        notes.append(
            "Unbatched: a 1-D input (H_in) is one step of one sequence; the states lose "
            "their N dimension too, (H)."
        )
    return notes


def notes_for(spec: Spec, torch_warnings: list[str]) -> list[str]:
    m = spec.module
    if m.is_cell:
        return [*cell_notes(spec), *(f"torch warned: {w}" for w in torch_warnings)]
    state = "h0/c0/hn/cn" if m.has_cell else "h0/hn"
    notes = []
    if spec.input.unbatched:
        notes.append(
            f"Unbatched: a 2-D input is one sequence (L, H_in); {state} lose their N "
            "dimension too, and batch_first has no effect."
        )
    elif m.batch_first:
        notes.append(
            f"batch_first=True puts N first in input and output only; {state} stay "
            "(D*num_layers, N, H) all the same."
        )
    else:
        notes.append(
            "batch_first=False (the default): input and output are time-major (L, N, ...); "
            f"{state} are (D*num_layers, N, H) either way."
        )
    if m.bidirectional:
        notes.append(
            "bidirectional=True doubles the last dimension of output (forward half first) and "
            f"the first dimension of {state}: row layer*2 is the forward direction, "
            "layer*2+1 the backward one."
        )
    if m.num_layers > 1:
        top = "hn[-1]" if m.D == 1 else "hn[-2:]"
        notes.append(
            f"output holds only the top layer (at every step); hn holds every layer (at the "
            f"last step): {top} is the top layer, hn[:-{m.D}] the {m.num_layers - 1} "
            f"layer{'s' if m.num_layers > 2 else ''} below it."
        )
    lengths = spec.input.lengths
    if lengths is not None:
        total = sum(lengths)
        notes.append(
            f"Packed: pack_padded_sequence keeps only the {total} real steps of the "
            f"{len(lengths)} sequences, time-major and sorted longest first "
            f"(enforce_sorted=False sorts them for you and restores the order in hn); "
            f"batch_sizes {theory.batch_sizes_text(lengths)} says how many sequences run at each "
            f"step. pad_packed_sequence(..., total_length={spec.input.seq_len}) pads output "
            "back to L with zeros; hn holds each sequence's last real step."
        )
    if m.proj_size > 0:
        notes.append(
            f"proj_size={m.proj_size} projects h: output, h0 and hn end in "
            f"H_out={m.H_out}, while c0 and cn keep H_cell={m.H_cell}; each layer and "
            "direction gains weight_hr."
        )
    if m.dropout > 0 and m.num_layers == 1:
        notes.append(
            f"dropout={m.dropout} has no effect with num_layers=1: torch applies dropout "
            "between stacked layers only, never to the last layer's output."
        )
    elif m.dropout > 0:
        notes.append(
            f"dropout={m.dropout} applies between layers in training mode only; "
            "this run is in eval mode, so it did not drop anything."
        )
    for message in torch_warnings:
        if "dropout option adds dropout" in message:
            continue  # turned into the note above
        notes.append(f"torch warned: {message}")
    return notes


def code_for(spec: Spec, device: str, states: tuple[str, ...] = ()) -> list[str]:
    """The PyTorch code of the run; ``states`` names the initial states the user gave
    (``("h0",)``, ``("h0", "c0")``): they are passed, as zeros of their shapes."""
    m = spec.module
    var = m.kind
    to_args = []
    if device != "cpu":
        to_args.append(f"device={device!r}")
    if spec.run.dtype != "float32":
        to_args.append(f"dtype=torch.{spec.run.dtype}")
    to = f".to({', '.join(to_args)})" if to_args else ""
    x_shape = theory.tensor_shapes(spec)["input"]
    x_kwargs = "".join(f", {a}" for a in to_args)
    build = f"{var} = {m.constructor()}{to}"
    if len(build) > 88:
        args = m.constructor()[len(f"nn.{m.class_name}(") : -1]
        wrapped = textwrap.fill(
            args + ",",
            width=84,
            initial_indent="    ",
            subsequent_indent="    ",
            break_on_hyphens=False,
        )
        build = f"{var} = nn.{m.class_name}(\n{wrapped}\n){to}"
    lines = [
        "import torch",
        "from torch import nn",
        "",
        *build.split("\n"),
        f"x = torch.randn({', '.join(map(str, x_shape.shape))}{x_kwargs})  # {x_shape.symbols}",
    ]
    if m.is_cell:
        if m.has_cell:
            lines.append(f"h1, c1 = {var}(x)  # h_0 and c_0 default to zeros")
        else:
            lines.append(f"h1 = {var}(x)  # h_0 defaults to zeros")
    elif spec.input.lengths is not None:
        lines[2:2] = ["from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence"]
        lines[-1] = lines[-1] + " padded: steps past each length are ignored"
        lines += packed_code_lines(spec)
    elif states:
        lines += _state_lines(spec, states, x_kwargs)
    elif m.has_cell:
        lines.append(f"output, (hn, cn) = {var}(x)  # h0 and c0 default to zeros")
    else:
        lines.append(f"output, hn = {var}(x)  # h0 defaults to zeros")
    return lines


def _state_lines(spec: Spec, states: tuple[str, ...], x_kwargs: str) -> list[str]:
    """``h0 = torch.zeros(...)`` for each state, then the call that passes them."""
    shapes = theory.tensor_shapes(spec)
    names = ("h0", "c0") if spec.module.has_cell else ("h0",)
    lines = []
    for name in names:
        shape = shapes[name]
        note = "" if name in states else ", not given: zeros, as torch would use"
        sizes = ", ".join(map(str, shape.shape))
        lines.append(f"{name} = torch.zeros({sizes}{x_kwargs})  # {shape.symbols}{note}")
    var = spec.module.kind
    if spec.module.has_cell:
        lines.append(f"output, (hn, cn) = {var}(x, (h0, c0))")
    else:
        lines.append(f"output, hn = {var}(x, h0)")
    return lines


def packed_code_lines(spec: Spec) -> list[str]:
    """The packed calls, as the code block shows them."""
    lengths = spec.input.lengths
    assert lengths is not None
    bf = ", batch_first=True" if spec.module.batch_first else ""
    var = spec.module.kind
    state = "(hn, cn)" if spec.module.has_cell else "hn"
    return [
        f"lengths = torch.tensor([{', '.join(map(str, lengths))}])  # real length of each sequence",
        f"packed = pack_padded_sequence(x, lengths{bf}, enforce_sorted=False)",
        f"packed_output, {state} = {var}(packed)",
        f"output, _ = pad_packed_sequence(packed_output{bf}, total_length={spec.input.seq_len})",
    ]
