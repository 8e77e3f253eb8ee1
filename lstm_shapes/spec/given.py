"""The user's own tensors, as ``check`` and ``trace`` see them, and expected shapes: no torch.

Validated by ``check`` (``--input-shape``, ``--h0-shape``, ...) and spec files, or recorded
by ``trace``; :mod:`lstm_shapes.theory.diagnosis` says what is wrong with them. Which tensor
names a module has is theory's to say (:func:`lstm_shapes.report.check.parse_expectations`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import (
    INPUT_DTYPES,
    Spec,
    parse_choice,
    parse_pattern,
    parse_shape,
    show_value,
)

#: An expected shape: a size per dimension, ``None`` for any size.
Pattern = tuple[int | None, ...]


@dataclass(frozen=True)
class Given:
    """The user's tensors: shapes, the input's dtype, and what they say their data is."""

    input: tuple[int, ...]
    h0: tuple[int, ...] | None = None
    c0: tuple[int, ...] | None = None
    input_dtype: str = "float32"
    #: ``--batch`` / ``--seq-len`` when the user stated them: torch cannot check these.
    batch: int | None = None
    seq_len: int | None = None
    unbatched: bool = False
    #: the state was passed as one tensor where an LSTM takes the tuple ``(h0, c0)``
    #: (``check`` cannot say this; ``trace`` sees the call)
    h0_alone: bool = False


def parse_expect(value: object) -> tuple[str, Pattern]:
    """``"output=3,7,40"`` (``_`` for any size) into ``("output", (3, 7, 40))``."""
    allowed = "--expect must be NAME=SIZES, e.g. output=3,7,40"
    if not isinstance(value, str) or "=" not in value:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    name, _, sizes = value.partition("=")
    if not name.strip():
        raise SpecError(f"{allowed}: the NAME before = is missing (got {show_value(value)})")
    if not sizes.strip():
        raise SpecError(f"{allowed}: the SIZES after = are missing (got {show_value(value)})")
    return name.strip(), parse_pattern(f"--expect {name.strip()}", sizes)


def make_given(
    spec: Spec,
    *,
    input_shape: object = None,
    h0_shape: object = None,
    c0_shape: object = None,
    input_dtype: object = None,
    stated_batch: bool = False,
    stated_seq_len: bool = False,
) -> Given | None:
    """Validate the user's tensor shapes (``None`` when no input shape is given);
    ``stated_*``: the spec's batch / seq_len are what the user says the data is."""
    if input_shape is None:
        for option, value in (
            ("--h0-shape", h0_shape),
            ("--c0-shape", c0_shape),
            ("--input-dtype", input_dtype),
        ):
            if value is not None:
                raise SpecError(f"{option} needs --input-shape (got {option} {value})")
        return None
    if c0_shape is not None and not spec.module.has_cell:
        raise SpecError(
            f"--c0-shape is only for --kind lstm (got --c0-shape {c0_shape} with --kind "
            f"{spec.module.kind})"
        )
    dtype = spec.run.dtype if input_dtype is None else input_dtype
    return Given(
        input=parse_shape("--input-shape", input_shape),
        h0=parse_shape("--h0-shape", h0_shape) if h0_shape is not None else None,
        c0=parse_shape("--c0-shape", c0_shape) if c0_shape is not None else None,
        input_dtype=parse_choice("--input-dtype", dtype, INPUT_DTYPES),
        batch=spec.input.batch if stated_batch else None,
        seq_len=spec.input.seq_len if stated_seq_len else None,
        unbatched=spec.input.unbatched,
    )
