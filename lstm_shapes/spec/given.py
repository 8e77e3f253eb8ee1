"""The user's own tensors, as ``check`` and ``trace`` see them: plain data, no torch.

Validated by ``check`` (``--input-shape``, ``--h0-shape``, ...) or recorded by ``trace``;
:mod:`lstm_shapes.theory.diagnosis` says what is wrong with them.
"""

from __future__ import annotations

from dataclasses import dataclass


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
