"""Helpers shared by the teaching runs: torch is imported lazily, through the probe.

Every teaching number comes from a real module built here on the CPU in float32 and
eval mode, with a fixed seed, so that the same command prints the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from lstm_shapes.spec.core import ModuleSpec, Spec

#: float32 on the CPU: two ways of computing the same recurrence agree to this.
TOLERANCE = 1e-5


def torch_module() -> ModuleType:
    from lstm_shapes.probe.runtime import import_torch

    return import_torch()


def fmt_shape(shape: Any) -> str:
    """Python's spelling of a shape: ``(3, 7, 10)``, ``(80,)``."""
    return str(tuple(int(s) for s in shape))


def shape_list(text: str) -> list[int]:
    """``"(3, 7, 10)"`` -> ``[3, 7, 10]``: shapes are lists in JSON, as in ``explain``."""
    return [int(part) for part in text.strip("()").split(",") if part.strip()]


def fmt_diff(value: float) -> str:
    """As :func:`lstm_shapes.render.numbers.format_diff`: 7 characters, whatever the CPU."""
    return f"{value:.1e}"


def max_abs_diff(a: Any, b: Any) -> float:
    return float((a.double() - b.double()).abs().max().item()) if a.numel() else 0.0


def first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


@contextmanager
def quiet() -> Iterator[list[warnings.WarningMessage]]:
    """Collect warnings (torch's dropout warning is evidence, not noise)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


#: multiply-adds of one LSTM step below which one thread is faster than torch's pool
SMALL_STEP = 2_000_000


def is_small(spec: Spec) -> bool:
    m = spec.module
    width = max(m.input_size, m.D * m.H_out) + m.H_out
    return spec.input.batch * 4 * m.H_cell * width <= SMALL_STEP


@contextmanager
def single_thread(enabled: bool = True) -> Iterator[None]:
    """Run torch on one thread, then restore the caller's setting.

    Teaching examples are tiny: on a busy machine torch's thread pool makes them ~50x
    slower than one thread does. Large configurations keep the pool (``enabled=False``)."""
    if not enabled:
        yield
        return
    torch = torch_module()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build(torch: ModuleType, m: ModuleSpec, seed: int) -> Any:
    from lstm_shapes.probe.runtime import build_module

    torch.manual_seed(seed)
    with quiet():
        return build_module(torch, m).eval()


def make_input(torch: ModuleType, spec: Spec) -> Any:
    from lstm_shapes.theory import shapes as theory

    generator = torch.Generator().manual_seed(spec.run.seed)
    return torch.randn(theory.tensor_shapes(spec)["input"].shape, generator=generator)


def time_major(x: Any, batch_first: bool) -> Any:
    """``(L, N, F)`` whatever the layout, for loops over time."""
    return x.transpose(0, 1) if batch_first else x
