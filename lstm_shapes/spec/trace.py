"""``trace``'s own options, validated: the inputs to build (``--input-shape`` with
``--input-dtype``), the model's constructor arguments (``--init key=value``). No torch."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import TRACE_INPUT_DTYPES, parse_choice, parse_shape

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class RandomInput:
    """One positional tensor of random values to build: its shape and dtype."""

    shape: tuple[int, ...]
    dtype: str


def random_inputs(
    shapes: Sequence[object], dtypes: Sequence[object] | object = "float32"
) -> list[RandomInput]:
    """One :class:`RandomInput` per shape; ``dtypes`` is one dtype for all, or one per shape."""
    parsed = [parse_shape("--input-shape", shape) for shape in shapes]
    given = [dtypes] if isinstance(dtypes, str) else list(dtypes)  # type: ignore[call-overload]
    kinds = [parse_choice("--input-dtype", d, TRACE_INPUT_DTYPES) for d in given]
    if not kinds:
        kinds = ["float32"]
    if len(kinds) == 1:
        kinds = kinds * len(parsed)
    if len(kinds) != len(parsed):
        raise SpecError(
            "--input-dtype must be given once for all inputs or once per --input-shape "
            f"(got {len(kinds)} --input-dtype for {len(parsed)} --input-shape)"
        )
    return [RandomInput(shape, dtype) for shape, dtype in zip(parsed, kinds, strict=True)]


def parse_init(items: Sequence[str]) -> dict[str, object]:
    """``--init key=value`` pairs: each value a Python literal (``128``, ``0.1``, ``True``,
    ``(3, 4)``, ``'gru'``) or, failing that, the text itself."""
    init: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise SpecError(
                "--init must be key=value with a Python name as key, e.g. hidden_size=128 "
                f"(got {item!r})"
            )
        if key in init:
            raise SpecError(f"--init gives {key} twice (got {item!r})")
        try:
            init[key] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            init[key] = text.strip()
    return init


def lengths_for(shapes: Sequence[tuple[int, ...]], index: int) -> tuple[int, ...] | None:
    """Valid sequence lengths for the 1-D input ``index`` of ``shapes`` (a ``lengths``
    parameter): one per sequence, longest first and the longest ``L``, where N and L are read
    from the first input of 2 or more dimensions that has N in its first two (``(N, L, ...)``
    or ``(L, N, ...)``). ``None`` when no input says what L is."""
    shape = shapes[index]
    if len(shape) != 1:
        return None
    n = shape[0]
    for other in shapes:
        if len(other) < 2 or other is shape:
            continue
        if other[0] == n:
            seq_len = other[1]
        elif other[1] == n:
            seq_len = other[0]
        else:
            continue
        return tuple(max(1, -(-seq_len * (n - j) // n)) for j in range(n))
    return None
