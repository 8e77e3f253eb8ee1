"""``trace`` reports: plain data about one forward pass of a user's model.

The probe (:mod:`lstm_shapes.probe.tracing`) fills these in; the renderers read them. A
module called many times is kept once, with each distinct set of shapes and its count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lstm_shapes.spec.core import ModuleSpec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.diagnosis import Problem

#: Trace's own JSON version (each command's JSON keeps its own). 2: ``path``, ``calls`` and
#: ``shapes`` per recurrent module, several inputs (``inputs``), ``run``.
SCHEMA_VERSION = 2

#: nn.LSTM / GRU / RNN, or a cell (``kind`` lstmcell, grucell, rnncell)
Recurrent = ModuleSpec


@dataclass(frozen=True)
class TracedTensor:
    """One tensor a recurrent module was given or returned. ``dims`` names every dimension
    when the shape is what the module's configuration predicts (``None`` otherwise, e.g. the
    wrong ``h0`` that made it fail). ``given`` is False for a state the caller did not pass
    (torch then uses zeros of the shape in ``dims``)."""

    name: str
    shape: tuple[int, ...]
    dims: tuple[theory.Dim, ...] | None
    given: bool = True

    @property
    def symbols(self) -> str | None:
        if self.dims is None:
            return None
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"

    def as_dict(self) -> dict[str, Any]:
        return {
            "shape": list(self.shape),
            "given": self.given,
            "dims": [d.as_dict() for d in self.dims] if self.dims is not None else None,
        }


@dataclass(frozen=True)
class PackedStages:
    """What ``pack_padded_sequence`` made of a padded batch, seen at the layer that read it.
    ``lengths`` are in the batch's own order; ``padded`` / ``unpacked`` are ``None`` when the
    model did not call ``pack_padded_sequence`` / ``pad_packed_sequence`` itself."""

    lengths: tuple[int, ...]
    batch_sizes: tuple[int, ...]
    packed_input: tuple[int, ...]
    packed_output: tuple[int, ...] | None
    padded: tuple[int, ...] | None = None
    padded_batch_first: bool | None = None
    unpacked: tuple[int, ...] | None = None
    inside: bool = False  # packed inside the layer's own forward: lengths longest first

    @property
    def last_steps(self) -> tuple[int, ...]:
        """The step each sequence's hn was taken at: its last real one."""
        return tuple(length - 1 for length in self.lengths)

    def as_dict(self) -> dict[str, Any]:
        def listed(shape: tuple[int, ...] | None) -> list[int] | None:
            return list(shape) if shape is not None else None

        return {
            "lengths": list(self.lengths),
            "batch_sizes": list(self.batch_sizes),
            "padded": listed(self.padded),
            "padded_batch_first": self.padded_batch_first,
            "packed_input": list(self.packed_input),
            "packed_output": listed(self.packed_output),
            "unpacked": listed(self.unpacked),
            "hn_steps": list(self.last_steps),
            "inside_layer": self.inside,
        }


@dataclass(frozen=True)
class ShapeSet:
    """One distinct set of shapes a recurrent module was called with, and how often.
    ``keywords`` are the other keyword arguments of the call (e.g. ``lengths=``), described
    as JSON, and ``keywords_text`` the same as text."""

    calls: int
    tensors: dict[str, TracedTensor]
    packed: PackedStages | None = None
    keywords: dict[str, Any] = field(default_factory=dict)
    finished: bool = True
    keywords_text: str = ""
    sizes: str = ""  # "N=3 L=9 H_in=64 D=2 ...", as explain prints them; "" when it raised

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "finished": self.finished,
            "sizes": self.sizes,
            "keyword_arguments": dict(self.keywords),
            "packed": self.packed.as_dict() if self.packed is not None else None,
            "tensors": {name: t.as_dict() for name, t in self.tensors.items()},
        }


@dataclass(frozen=True)
class RecurrentLayer:
    """One recurrent module of the model (nn.LSTM / GRU / RNN, a cell, or a subclass, named
    by ``class_name``), every call of it grouped by shapes."""

    name: str
    class_name: str
    module: Recurrent
    shape_sets: list[ShapeSet]

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.shape_sets)

    @property
    def finished(self) -> bool:
        return all(s.finished for s in self.shape_sets)

    @property
    def subclass(self) -> bool:
        return self.class_name != self.module.class_name

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "class": self.class_name,
            "kind": self.module.kind,
            "constructor": self.module.constructor(),
            "config": self.module.as_dict(),
            "calls": self.calls,
            "finished": self.finished,
            "shapes": [s.as_dict() for s in self.shape_sets],
        }


@dataclass(frozen=True)
class Shapes:
    """What one call received and returned, as JSON-ready structures and as text."""

    input: Any
    input_text: str
    output: Any
    output_text: str
    calls: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "input": self.input, "output": self.output}


@dataclass(frozen=True)
class PathStep:
    """A leaf module on the path through the model (a recurrent module counts as a leaf),
    its calls at this point of the path grouped by shapes. ``output`` is ``None`` in a shape
    set whose call raised."""

    name: str
    class_name: str
    parameters: int
    shapes: list[Shapes]

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.shapes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "class": self.class_name,
            "calls": self.calls,
            "parameters": self.parameters,
            "shapes": [s.as_dict() for s in self.shapes],
        }


@dataclass(frozen=True)
class PathLoop:
    """Steps repeated ``count`` times in a row (a decoding loop): shown once."""

    count: int
    steps: list[PathStep]

    def as_dict(self) -> dict[str, Any]:
        return {"loop": self.count, "steps": [s.as_dict() for s in self.steps]}


PathItem = PathStep | PathLoop


@dataclass(frozen=True)
class Failure:
    """The exception the model raised: in which module (``None``: in the model's own code),
    after which leaf module, and what it means."""

    layer: str | None
    class_name: str | None
    call: int | None
    after: str | None
    error_type: str
    message: str
    diagnosis: tuple[Problem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "class": self.class_name,
            "call": self.call,
            "after": self.after,
            "error_type": self.error_type,
            "message": self.message,
            "diagnosis": [problem.as_dict() for problem in self.diagnosis],
        }


@dataclass(frozen=True)
class TraceInputs:
    """What the model was called with: positional and keyword arguments (tensors as
    ``{"shape", "dtype"}``), the same as text, and where they came from."""

    args: list[Any]
    kwargs: dict[str, Any]
    text: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"args": self.args, "kwargs": self.kwargs, "source": self.source}


@dataclass(frozen=True)
class TraceReport:
    model: str
    inputs: TraceInputs
    torch_version: str
    device: str
    seed: int | None
    path: list[PathItem]
    parameter_count: int
    layers: list[RecurrentLayer]
    output: Any  # shapes in the structure of the model's return value (JSON-ready)
    output_text: str | None
    failure: Failure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def recurrent_calls(self) -> int:
        return sum(layer.calls for layer in self.layers)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "model": self.model,
            "inputs": self.inputs.as_dict(),
            "run": {"torch_version": self.torch_version, "device": self.device, "seed": self.seed},
            "path": [item.as_dict() for item in self.path],
            "parameter_count": self.parameter_count,
            "layers": [layer.as_dict() for layer in self.layers],
            "output": self.output,
            "error": self.failure.as_dict() if self.failure is not None else None,
            "notes": list(self.notes),
        }


def loops(keys: list[str], longest: int = 32) -> list[tuple[int, int, int]]:
    """Runs of a block of keys repeated back to back: ``(start, block length, count)``,
    covering ``keys`` in order (count 1 where nothing repeats). At each position the block
    that covers most calls wins (the shorter one on a tie), so ``a b a b a b`` is one loop of
    ``a b``, three times. ``longest`` bounds the block length, so this stays linear-ish."""
    found: list[tuple[int, int, int]] = []
    i, n = 0, len(keys)
    while i < n:
        best_k, best_count = 1, 1
        for k in range(1, min(longest, (n - i) // 2) + 1):
            if keys[i + k] != keys[i]:
                continue
            count = 1
            while i + (count + 1) * k <= n and (
                keys[i + count * k : i + (count + 1) * k] == keys[i : i + k]
            ):
                count += 1
            if count > 1 and count * k > best_count * best_k:
                best_k, best_count = k, count
        found.append((i, best_k, best_count))
        i += best_k * best_count
    return found
