"""What torch's shape errors mean, for the common mistakes with recurrent layers.

Pure text logic, no torch: given torch's message and what the failing layer was built
with and fed, say which rule was broken and how to fix it. ``trace`` uses it when a
user's model fails; it is deliberately small and self-contained so that it can later
defer to the full diagnosis of ``check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lstm_shapes.spec.core import ModuleSpec

_INPUT_SIZE = re.compile(
    r"input\.size\(-1\) must be equal to input_size\. Expected (\d+), got (\d+)"
)
_HIDDEN = re.compile(r"Expected hidden(?:\[(\d)\])? size \(([\d, ]+)\), got \[([\d, ]+)\]")
_INPUT_RANK = re.compile(r"Expected input to be 2D or 3D, got (\d+)D")
_STATE_RANK = re.compile(r"For (batched 3-D|unbatched 2-D) input, hx")
_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


@dataclass(frozen=True)
class LayerContext:
    """A recurrent layer as the diagnosis sees it: its configuration and the shapes it was
    given (``None``: not passed) and, when it finished, the shape of its ``output``."""

    name: str
    module: ModuleSpec
    input_shape: tuple[int, ...] | None = None
    h0_shape: tuple[int, ...] | None = None
    c0_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.replace(" ", "").split(",") if part)


def _batch_axis(m: ModuleSpec) -> int:
    return 0 if m.batch_first else 1


def _layout(m: ModuleSpec) -> str:
    return "(N, L, H_in)" if m.batch_first else "(L, N, H_in)"


def _input_size(layer: LayerContext, expected: int, got: int) -> list[str]:
    m = layer.module
    lines = [
        f"{layer.name} was built with input_size={expected}, but the last dimension of its "
        f"input has {got} features (input {layer.input_shape}): the last dimension must be "
        f"H_in = {expected}."
    ]
    shape = layer.input_shape or ()
    if expected in shape[:-1]:
        axis = shape.index(expected)
        lines.append(
            f"Dimension {axis} of the input is {expected}: the input looks transposed. With "
            f"batch_first={m.batch_first} a batched input is {_layout(m)}; move the feature "
            "dimension last (e.g. x.permute / x.transpose), not with .view or .reshape."
        )
    else:
        lines.append(
            f"Either build the layer with input_size={got}, or make the layer before it "
            f"produce {expected} features."
        )
    return lines


def _state(
    layer: LayerContext, which: str, expected: tuple[int, ...], got: tuple[int, ...]
) -> list[str]:
    m = layer.module
    H = "H_cell" if which == "c0" else "H_out"
    lines = [
        f"{which} of {layer.name} must be (D*num_layers, N, {H}) = {expected}, but it is {got}."
    ]
    if len(expected) != len(got):
        return lines
    if len(got) == 3 and got == (expected[1], expected[0], expected[2]) and got != expected:
        lines.append(
            f"{which} is batch-first, (N, D*num_layers, {H}): h0 and c0 never follow "
            f"batch_first=True. Build it as torch.zeros(D * num_layers, N, {H}) or pass "
            f"{which}.transpose(0, 1).contiguous()."
        )
        return lines
    if got[0] != expected[0]:
        if m.D == 2 and got[0] == m.num_layers:
            lines.append(
                f"{which} has num_layers = {got[0]} rows, but a bidirectional layer needs "
                f"D*num_layers = 2*{m.num_layers} = {expected[0]}: create it with "
                "2 * num_layers rows (bidirectional=True doubles them)."
            )
        else:
            lines.append(
                f"The first dimension must be D*num_layers = {m.D}*{m.num_layers} = "
                f"{expected[0]} (got {got[0]})."
            )
    if len(got) == 3 and got[1] != expected[1]:
        axis = _batch_axis(m)
        lines.append(
            f"{which} was made for N = {got[1]} sequences but this batch has N = "
            f"{expected[1]}: take N from the input (x.size({axis})) instead of a fixed "
            "number; a smaller last batch is the usual cause."
        )
    if got[-1] != expected[-1]:
        if which == "c0" and m.proj_size:
            lines.append(
                f"c0 keeps H_cell = hidden_size = {m.hidden_size} features even with "
                f"proj_size={m.proj_size}; only h0 uses H_out = proj_size."
            )
        elif which == "h0" and m.proj_size:
            lines.append(
                f"With proj_size={m.proj_size}, h0 has H_out = proj_size = {m.proj_size} "
                f"features, not hidden_size = {m.hidden_size}."
            )
        else:
            lines.append(f"The last dimension must be {H} = {expected[-1]} (got {got[-1]}).")
    return lines


def _after(last: LayerContext, rows: int, cols: int, in_features: int) -> list[str]:
    """A matrix product right after a recurrent layer: usually a head built for the wrong
    width."""
    m = last.module
    lines = [
        f"A layer after {last.name} expects {in_features} input features but receives "
        f"{cols} ({rows}x{cols})."
    ]
    if m.D == 2 and cols == 2 * m.H_out and in_features == m.H_out:
        lines.append(
            f"{last.name} is bidirectional: its output has D*H_out = 2*{m.H_out} = "
            f"{2 * m.H_out} features. Build the next layer with in_features = "
            f"2 * {'proj_size' if m.proj_size else 'hidden_size'}, or use one direction "
            "(e.g. hn[-2] or hn[-1], each H_out wide)."
        )
    elif in_features == m.D * m.H_out:
        lines.append(
            f"{last.name}'s output has D*H_out = {in_features} features per step, so the "
            f"right width arrives only after taking one step (output[:, -1] with batch_first, "
            f"output[-1] without) or hn[-1]; {cols} suggests the time steps were flattened "
            "into the features."
        )
    else:
        lines.append(
            f"{last.name}'s output has D*H_out = {m.D}*{m.H_out} = {m.D * m.H_out} features "
            f"per step (output {last.output_shape})."
        )
    return lines


def diagnose(
    message: str, failing: LayerContext | None, last_finished: LayerContext | None = None
) -> list[str]:
    """Sentences explaining torch's ``message``; empty when it is not a shape error we
    recognise. ``failing`` is the recurrent layer the error happened in, if any;
    ``last_finished`` the last recurrent layer that completed before it."""
    if "'indices'" in message and "embedding" in message:
        return [
            "The model looks up an nn.Embedding, which takes integer token ids, but the input "
            "was floating point: trace it with --input-dtype int64 (the ids are drawn below "
            "the embedding's num_embeddings)."
        ]
    if failing is not None:
        match = _INPUT_SIZE.search(message)
        if match:
            return _input_size(failing, int(match.group(1)), int(match.group(2)))
        match = _HIDDEN.search(message)
        if match:
            which = "c0" if match.group(1) == "1" else "h0"
            return _state(failing, which, _ints(match.group(2)), _ints(match.group(3)))
        m = failing.module
        if not m.has_cell and failing.c0_shape is not None and "tuple" in message:
            return [
                f"{failing.name} is an nn.{m.class_name}: its state is one tensor h0, not a "
                f"tuple (h0, c0); only nn.LSTM has a cell state. Call it as "
                f"{m.kind}(x, h0) with h0 of shape (D*num_layers, N, H_out)."
            ]
        if m.has_cell and failing.h0_shape is not None and failing.c0_shape is None:
            return [
                f"{failing.name} is an nn.LSTM: its state is a tuple (h0, c0), not one tensor. "
                "Call it as lstm(x, (h0, c0)), or pass neither to start from zeros."
            ]
        match = _INPUT_RANK.search(message)
        if match:
            return [
                f"{failing.name} takes a 3-D input {_layout(m)} (batch_first={m.batch_first}) "
                f"or a 2-D unbatched one (L, H_in); it got {match.group(1)}-D "
                f"{failing.input_shape}. Merge or remove the extra dimensions first."
            ]
        match = _STATE_RANK.search(message)
        if match:
            batched = match.group(1).startswith("batched")
            rank = "3-D (D*num_layers, N, H)" if batched else "2-D (D*num_layers, H)"
            return [
                f"With a {'batched 3-D' if batched else 'unbatched 2-D'} input, h0 (and c0) "
                f"of {failing.name} must be {rank}; got h0 {failing.h0_shape}"
                + (f", c0 {failing.c0_shape}" if failing.c0_shape is not None else "")
                + "."
            ]
        return []
    match = _MATMUL.search(message)
    if match and last_finished is not None:
        rows, cols, in_features, _ = (int(g) for g in match.groups())
        return _after(last_finished, rows, cols, in_features)
    return []
