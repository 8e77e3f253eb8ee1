"""What ``inspect`` found in a checkpoint, as plain data: the modules its weights imply,
the shapes those modules expect, what ``--run`` observed, and the notes that explain the
file. The probe (:mod:`lstm_shapes.probe.checkpoint`) fills these in; the renderers read
them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lstm_shapes.spec.core import InputSpec, Spec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.weights import InferredModule

SCHEMA_VERSION = 1

#: The JSON's ``format`` values, and what the title calls them.
FORMATS = {
    "torch.save": "a torch.save zip archive",
    "torch.save-legacy": "a legacy torch.save file",
    "torchscript": "a TorchScript archive",
    "safetensors": "a safetensors file",
    "pickle": "a pickle",
}


@dataclass(frozen=True)
class ExpectedTensor:
    """A tensor the module expects or returns: ``sizes`` holds ``"N"``/``"L"`` where the
    batch size or sequence length was not given. ``batch_first`` is ``None`` for the
    states, whose layout never depends on it, and for every tensor of a cell."""

    name: str
    batch_first: bool | None
    dims: tuple[theory.Dim, ...]
    sizes: tuple[int | str, ...]

    @property
    def shape_text(self) -> str:
        return "(" + ", ".join(str(s) for s in self.sizes) + ")"

    @property
    def symbols(self) -> str:
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "batch_first": self.batch_first,
            "shape": list(self.sizes),
            "symbols": [d.symbol for d in self.dims],
        }


@dataclass(frozen=True)
class RunResult:
    """What ``--run`` did: the weights loaded with ``strict=True`` and one forward pass
    produced these shapes (time-major input, ``batch_first=False``; one step for a cell)."""

    torch_version: str
    batch: int
    seq_len: int | None
    shapes: dict[str, tuple[int, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "torch_version": self.torch_version,
            "load_state_dict": "strict",
            "batch": self.batch,
            "seq_len": self.seq_len,
            "shapes": {name: list(shape) for name, shape in self.shapes.items()},
        }


@dataclass(frozen=True)
class ModuleReport:
    found: InferredModule
    #: where the state dict sits in the file: ``""`` top level, ``"state_dict"``, ``"model.net"``
    source: str
    tensors: list[ExpectedTensor]
    parameter_count: int
    run: RunResult | None = None

    @property
    def name(self) -> str:
        return self.found.name

    @property
    def sizes(self) -> str:
        """The bound sizes as ``name=value`` pairs: ``H_in=8 D=2 num_layers=2 H_out=16``."""
        m = self.found.module
        if m.is_cell:
            return f"H_in={m.input_size} H={m.hidden_size}"
        line = f"H_in={m.input_size} D={m.D} num_layers={m.num_layers} H_out={m.H_out}"
        return line + (f" H_cell={m.H_cell}" if m.has_cell else "")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.found.as_dict())
        data.update(
            {
                "state_dict_key": self.source,
                "constructor": self.found.module.constructor(),
                "not_in_weights": list(self.found.unknown),
                "stored_as": {
                    v.key: {"kind": v.kind, "keys": list(v.stored)} for v in self.found.variants
                },
                "parameter_count": self.parameter_count,
                "tensors": [t.as_dict() for t in self.tensors],
                "run": self.run.as_dict() if self.run is not None else None,
            }
        )
        return data


@dataclass(frozen=True)
class CheckpointReport:
    path: str
    tensor_count: int
    modules: list[ModuleReport]
    batch: int | None = None
    seq_len: int | None = None
    notes: list[str] = field(default_factory=list)
    #: a key of :data:`FORMATS`
    format: str = "torch.save"
    #: the classes and functions the file names that were read as inert placeholders
    #: (never imported, never called), e.g. ``"numpy.dtype"``
    placeholders: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "path": self.path,
            "format": self.format,
            "tensor_count": self.tensor_count,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "modules": [m.as_dict() for m in self.modules],
            "placeholders": list(self.placeholders),
            "notes": list(self.notes),
        }


def expected_tensors(
    found: InferredModule, batch: int | None = None, seq_len: int | None = None
) -> list[ExpectedTensor]:
    """``input`` and ``output`` under both ``batch_first`` values (the weights cannot tell
    which one the model uses), then ``h0``/``c0``/``hn``/``cn``. A cell's tensors are one
    time step: ``input``, ``h0``/``c0`` in, ``h1``/``c1`` out."""
    if found.module.is_cell:
        return _cell_tensors(found, batch)
    tensors: list[ExpectedTensor] = []
    symbolic = {"N": batch is None, "L": seq_len is None}
    for batch_first in (False, True):
        spec = Spec(
            module=replace(found.module, batch_first=batch_first),
            input=InputSpec(batch=batch or 1, seq_len=seq_len or 1),
        )
        for name, shape in theory.tensor_shapes(spec).items():
            if name in ("input", "output") or not batch_first:
                sizes = tuple(d.symbol if symbolic.get(d.symbol) else d.size for d in shape.dims)
                layout = batch_first if name in ("input", "output") else None
                tensors.append(ExpectedTensor(name, layout, shape.dims, sizes))
    order = theory.tensor_names(found.module)
    return sorted(tensors, key=lambda t: (order.index(t.name), bool(t.batch_first)))


def _cell_tensors(found: InferredModule, batch: int | None) -> list[ExpectedTensor]:
    spec = Spec(module=found.module, input=InputSpec(batch=batch or 1, seq_len=1))
    tensors = []
    for name, shape in theory.tensor_shapes(spec).items():
        sizes = tuple("N" if d.symbol == "N" and batch is None else d.size for d in shape.dims)
        tensors.append(ExpectedTensor(name, None, shape.dims, sizes))
    return tensors


def source_expr(source: str) -> str:
    """Where a state dict sits, as Python: ``"model.net"`` -> ``checkpoint['model']['net']``
    (list positions, stored as digits, are shown as numbers)."""
    parts = (f"[{p}]" if p.isdigit() else f"[{p!r}]" for p in source.split(".")) if source else ()
    return "checkpoint" + "".join(parts)
