"""Plain results of the teaching runs (filled in by ``probe/teaching.py`` and
``probe/myths.py``, laid out by ``teach/``). No torch.

Shapes are kept as Python's spelling, ``"(3, 7, 10)"``, because the pages show them so;
``as_dict`` turns them into lists for JSON, as in ``explain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lstm_shapes.spec.core import Spec

#: float32 on the CPU: two ways of computing the same recurrence agree to this.
TOLERANCE = 1e-5

#: (symbol, activation) in the order of the row blocks of weight_ih / weight_hh, by kind
GATES: dict[str, tuple[tuple[str, str], ...]] = {
    "lstm": (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid")),
    "gru": (("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")),
    "rnn": (("h", "tanh"),),
}

HEADS = ("last", "every", "both")


def fmt_shape(shape: Sequence[int]) -> str:
    """Python's spelling of a shape: ``(3, 7, 10)``, ``(80,)``."""
    return str(tuple(int(s) for s in shape))


def shape_list(text: str) -> list[int]:
    """``"(3, 7, 10)"`` -> ``[3, 7, 10]``: shapes are lists in JSON, as in ``explain``."""
    return [int(part) for part in text.strip("()").split(",") if part.strip()]


def fmt_diff(value: float) -> str:
    """As :func:`lstm_shapes.render.numbers.format_diff`: 7 characters, whatever the CPU."""
    return f"{value:.1e}"


def within(diff: float) -> bool:
    """Two computations of the same numbers agree (read at call time, so tests can
    tighten :data:`TOLERANCE`)."""
    return diff <= TOLERANCE


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
            "shape": shape_list(self.shape),
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
            "matches": within(self.max_abs_diff),
        }


@dataclass(frozen=True)
class GatesRun:
    spec: Spec
    layers: tuple[LayerGates, ...]

    @property
    def ok(self) -> bool:
        return all(within(layer.max_abs_diff) for layer in self.layers)


@dataclass(frozen=True)
class FirstStep:
    """One ``cell(x_t, (h, c))`` call at t=0 (``c_in``/``c_out`` empty without a cell state)."""

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
            value = getattr(self, name)
            if value:
                data[name] = shape_list(value)
        return data


@dataclass(frozen=True)
class Comparison:
    name: str
    lstm_shape: str
    loop_shape: str
    max_abs_diff: float

    @property
    def equal(self) -> bool:
        return self.lstm_shape == self.loop_shape and within(self.max_abs_diff)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lstm_shape": shape_list(self.lstm_shape),
            "loop_shape": shape_list(self.loop_shape),
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
            "tolerance": TOLERANCE,
            "equal": self.ok,
            "code": self.code,
        }


@dataclass(frozen=True)
class HeadRun:
    head: str  # "last" | "every"
    features_expr: str
    features_shape: str
    linear: str
    result_shape: str
    result_symbols: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.__dict__)
        data["features_shape"] = shape_list(self.features_shape)
        data["result_shape"] = shape_list(self.result_shape)
        return data


@dataclass(frozen=True)
class HeadsRun:
    spec: Spec
    out_features: int
    in_features: int
    heads: tuple[HeadRun, ...]
    #: what torch says to ``Linear(hidden_size, K)`` on ``output``; None when it runs
    wrong_in_features_error: str | None
    #: the last step's backward half against ``hn[-1]`` (bidirectional only)
    backward_last_step_diff: float | None
    #: the summary used by the ``last`` head against the two halves of output
    summary_diff: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_features": self.out_features,
            "in_features": self.in_features,
            "heads": [h.as_dict() for h in self.heads],
            "wrong_in_features_error": self.wrong_in_features_error,
            "backward_last_step_diff": self.backward_last_step_diff,
            "summary_diff": self.summary_diff,
        }


@dataclass(frozen=True)
class MythRun:
    """``values`` fill the evidence sentence of the catalogue (``myth.<id>.evidence``)."""

    id: str
    holds: bool
    setup: str
    values: dict[str, str]


@dataclass(frozen=True)
class Worked:
    """One worked example at the user's configuration: the code that ran and what torch
    printed, as ``(name, shape)`` pairs, plus named numbers for the sentences around it."""

    id: str  # "proj" | "unbatched" | "packed" | "params"
    code: str
    shapes: tuple[tuple[str, str], ...]
    values: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "shapes": {name: shape_list(shape) for name, shape in self.shapes},
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class Exercise:
    """A question with the answer torch gave; ``key`` picks the catalogue's wording and
    ``values`` fill it (the question's and the answer's placeholders alike)."""

    key: str
    values: dict[str, str]
    answer: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "values": dict(self.values), "answer": self.answer}


@dataclass(frozen=True)
class PackedPicture:
    """What the packed picture needs: each sequence's length and torch's ``batch_sizes``."""

    lengths: tuple[int, ...]
    batch_sizes: tuple[int, ...]


@dataclass(frozen=True)
class TeachingRuns:
    """Everything the handout shows beyond ``explain``'s report."""

    gates: GatesRun
    cell: CellRun | None
    heads: HeadsRun
    myths: tuple[MythRun, ...]
    worked: tuple[Worked, ...]
    exercises: tuple[Exercise, ...]
    packed: PackedPicture | None
