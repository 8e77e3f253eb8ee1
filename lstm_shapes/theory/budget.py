"""How much a run may use, decided before anything is allocated. No torch import.

A full-size run is allowed when its estimated peak memory fits the memory budget (at most
2 GiB or half the free RAM/VRAM, whichever is smaller, unless ``--max-memory``) and its
estimated time fits the time budget (about a second, unless ``--max-time``). Otherwise
``explain`` runs the reduced probe, and a command that can only run at full size refuses
with :func:`too_large` (exit 2).

:func:`plan` estimates and decides for every command; :func:`run_seconds` is the one
place that asks the cost model for a time, so a better time model plugs in there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import Spec, show_value
from lstm_shapes.spec.units import format_bytes, format_seconds
from lstm_shapes.theory import cost as costs
from lstm_shapes.theory.cost import ASSUMED_RATES, CostEstimate, MachineRates

DEFAULT_MAX_MEMORY = 2 * 1024**3
#: A full run (the probe makes two forward passes) should finish in about this long.
MAX_SECONDS = 1.0
#: Layers x directions that theory estimates and a report lists. The estimate and the
#: report grow with the depth; beyond this even theory's answer would take minutes.
MAX_LAYER_DIRECTIONS = 100_000

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")
MEMORY_HELP = "a size greater than 0, e.g. 512MiB, 2GiB, 1.5GB or 1e9 (bytes)"


def parse_memory(value: object, option: str = "--max-memory") -> int:
    """``"512MiB"``, ``"2GiB"``, ``"1.5GB"``, ``"1e9"`` or an int: a number of bytes >= 1."""
    allowed = f"{option} must be {MEMORY_HELP}"
    shown = show_value(value)
    typed_unit = ""
    if isinstance(value, bool):
        raise SpecError(f"{allowed} (got {shown})")
    if isinstance(value, int):
        number, unit = float(min(value, 2**1000)), ""
    elif isinstance(value, float):
        number, unit = value, ""
    elif isinstance(value, str) and (match := _SIZE.match(value)):
        number, unit = float(match.group(1)), match.group(2).lower()
        typed_unit = match.group(2)
    else:
        raise SpecError(f"{allowed} (got {shown})")
    if unit.removesuffix("i") in ("k", "m", "g", "t") and unit not in _UNITS:
        big = unit[0].upper()
        raise SpecError(
            f"{option} has no unit {typed_unit!r}: write {big}B (powers of 1000) or "
            f"{big}iB (powers of 1024), e.g. 2GiB (got {shown})"
        )
    if unit not in _UNITS or not math.isfinite(number):
        raise SpecError(f"{allowed} (got {shown})")
    size = int(number * _UNITS[unit])
    if size < 1 and number > 0:
        raise SpecError(
            f"{option} must be at least 1 byte: a number without a unit counts bytes, "
            f"e.g. 512MiB, 2GiB or 1e9 (got {shown})"
        )
    if size < 1:
        raise SpecError(f"{allowed} (got {shown})")
    return size


def available_ram(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """``MemAvailable`` in bytes (Linux), or None where it cannot be read."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True)
class Budget:
    max_memory: int
    memory_source: str  # how max_memory was chosen, for the report
    max_seconds: float = MAX_SECONDS
    free_memory: int | None = None  # what the device has free, when known
    time_source: str = "the default"  # "--max-time" when the user gave it

    def as_dict(self) -> dict[str, object]:
        return {
            "max_memory": self.max_memory,
            "memory_source": self.memory_source,
            "max_seconds": self.max_seconds,
            "time_source": self.time_source,
            "free_memory": self.free_memory,
        }


def default_budget(free: int | None, where: str = "RAM") -> Budget:
    """2 GiB or half of what is free, whichever is smaller."""
    if free is None:
        return Budget(DEFAULT_MAX_MEMORY, f"the default; free {where} unknown")
    source = f"the smaller of 2 GiB and half the free {where}"
    return Budget(min(DEFAULT_MAX_MEMORY, free // 2), source, free_memory=free)


def user_budget(max_memory: int, free: int | None) -> Budget:
    return Budget(max_memory, "--max-memory", free_memory=free)


def make_budget(
    max_memory: int | None, max_seconds: float | None, free: int | None, where: str = "RAM"
) -> Budget:
    """The budget from ``--max-memory`` / ``--max-time`` (parsed; None when not given)."""
    if max_memory is not None:
        budget = user_budget(max_memory, free)
    else:
        budget = default_budget(free, where)
    if max_seconds is not None:
        budget = replace(budget, max_seconds=max_seconds, time_source="--max-time")
    return budget


@dataclass(frozen=True)
class Decision:
    """Full or reduced, and why. ``memory`` and ``seconds`` are what a full run needs;
    ``over`` names the budget a reduced run was over: "memory" or "time"."""

    mode: str  # "full" | "reduced"
    reason: str
    memory: int
    seconds: float
    over: str | None = None


def probe_memory(estimate: CostEstimate, backward: bool = False) -> int:
    """Peak bytes of the probe at this size: it keeps the first forward pass's output and
    states while it runs the second one (with zero h0/c0), on the step-by-step kernels."""
    mem = estimate.stepwise_memory
    if backward:
        return mem.training + mem.output + 2 * mem.states
    return mem.inference + mem.output + 2 * mem.states


#: This machine's speed for every time estimate of the process: the assumed rates until
#: :func:`lstm_shapes.probe.calibrate.machine_rates` calibrates them (it calls use_rates).
_rates: MachineRates = ASSUMED_RATES


def use_rates(rates: MachineRates) -> None:
    """Build every later time estimate on ``rates`` (this machine's, once calibrated)."""
    global _rates
    _rates = rates


def current_rates() -> MachineRates:
    return _rates


def run_seconds(estimate: CostEstimate, passes: int, rates: MachineRates | None = None) -> float:
    """Building the module and ``passes`` forward passes (a backward pass counts as two),
    on the calibrated rates of this machine (:func:`use_rates`) unless ``rates`` is given.
    The only place that asks the cost model for a time."""
    # the probe runs torch's native kernels on the CPU (measure.native_cpu_kernels)
    speed = rates if rates is not None else _rates
    return estimate.build_seconds() + passes * estimate.forward_seconds(stepwise=True, rates=speed)


def _time_budget(budget: Budget) -> str:
    if budget.time_source == "--max-time":
        return f"{format_seconds(budget.max_seconds)} (--max-time)"
    return f"about {format_seconds(budget.max_seconds)}"


def decide(
    estimate: CostEstimate,
    budget: Budget,
    *,
    full: bool = False,
    backward: bool = False,
    passes: int = 2,
    rates: MachineRates | None = None,
) -> Decision:
    """Whether the probe may run at full size. ``full`` (``--full``) skips the budget but
    still refuses what cannot fit in the free memory at all. ``passes`` is how many
    forward passes the command makes (the probe makes two); ``rates`` as in
    :func:`run_seconds`."""
    memory = probe_memory(estimate, backward)
    seconds = run_seconds(estimate, passes + (2 if backward else 0), rates)
    needs = (
        f"this tool's check at full size needs about {format_bytes(memory)} and "
        f"{format_seconds(seconds)}"
    )
    if full:
        if budget.free_memory is not None and memory > budget.free_memory:
            raise SpecError(
                f"--full would need about {format_bytes(memory)} but only "
                f"{format_bytes(budget.free_memory)} is free; drop --full to get the "
                "reduced probe"
            )
        return Decision("full", f"--full: {needs}", memory, seconds)
    if memory > budget.max_memory:
        return Decision(
            "reduced",
            f"{needs}, over the memory budget of {format_bytes(budget.max_memory)} "
            f"({budget.memory_source})",
            memory,
            seconds,
            "memory",
        )
    if seconds > budget.max_seconds:
        return Decision(
            "reduced",
            f"{needs}, over the time budget of {_time_budget(budget)}",
            memory,
            seconds,
            "time",
        )
    return Decision("full", f"{needs}, within budget", memory, seconds)


def check_depth(spec: Spec) -> None:
    """Refuse a stack so deep that theory's own estimate and report would take minutes."""
    m = spec.module
    if m.num_layers * m.D > MAX_LAYER_DIRECTIONS:
        raise SpecError(
            f"too large: num_layers={m.num_layers} with D={m.D} is "
            f"{m.num_layers * m.D:,} layers and directions; lstm-shapes estimates at most "
            f"{MAX_LAYER_DIRECTIONS:,} (--num-layers up to {MAX_LAYER_DIRECTIONS // m.D:,})"
        )


def plan(
    spec: Spec,
    budget: Budget,
    *,
    full: bool = False,
    backward: bool = False,
    passes: int = 2,
) -> tuple[CostEstimate, Decision]:
    """The estimate of ``spec`` at full size and the decision, before anything is
    allocated (raises SpecError for a stack too deep to estimate)."""
    check_depth(spec)
    estimate = costs.estimate(spec)
    return estimate, decide(estimate, budget, full=full, backward=backward, passes=passes)


def check_tensors(
    spec: Spec, budget: Budget, tensors: list[tuple[tuple[int, ...], int]], why: str
) -> None:
    """Refuse to build ``spec``'s module and allocate ``tensors`` (shape, bytes per
    element) over the budget: :func:`too_large`'s error. The forward pass of shapes torch
    rejects stops at its checks, so building the module is the time that counts."""
    estimate = plan(spec, budget, passes=0)[0]
    memory = estimate.memory.parameters + sum(math.prod(shape) * size for shape, size in tensors)
    error = too_large(memory, run_seconds(estimate, 0), budget, why)
    if error is not None:
        raise error


#: torch indexes a tensor's bytes with a signed 64-bit integer
MAX_TENSOR_BYTES = 2**63 - 1


def check_addressable(tensors: list[tuple[tuple[int, ...], int]], why: str) -> None:
    """Refuse a (shape, bytes per element) that even the meta device cannot describe."""
    for shape, size in tensors:
        if math.prod(shape) * size > MAX_TENSOR_BYTES:
            shown = ", ".join(map(str, shape))
            raise SpecError(
                f"too large: a tensor of shape ({shown}) needs more bytes than torch can "
                f"address (2**63); {why}"
            )


#: bytes per element of every dtype an input may have
ELEMENT_BYTES = {**costs.DTYPE_BYTES, "int64": 8, "int32": 4, "int16": 2, "int8": 1, "uint8": 1}


def check_input(shape: tuple[int, ...], dtype: str, budget: Budget, why: str) -> None:
    """Refuse an input tensor that alone is over the memory budget (:func:`too_large`)."""
    error = too_large(math.prod(shape) * ELEMENT_BYTES[dtype], 0.0, budget, why)
    if error is not None:
        raise error


def too_large(memory: int, seconds: float, budget: Budget, why: str) -> SpecError | None:
    """The refusal of a command that only runs at full size, or None when it fits:
    ``too large: needs about X, over the budget Y (--max-memory); <why>``."""
    if memory > budget.max_memory:
        needs, limit, option = format_bytes(memory), format_bytes(budget.max_memory), "--max-memory"
    elif seconds > budget.max_seconds:
        needs, limit = format_seconds(seconds), format_seconds(budget.max_seconds)
        option = "--max-time"
    else:
        return None
    return SpecError(f"too large: needs about {needs}, over the budget {limit} ({option}); {why}")


def require_full(decision: Decision, budget: Budget, why: str) -> None:
    """Raise :func:`too_large`'s error unless ``decision`` is a full run."""
    if decision.mode != "full":
        error = too_large(decision.memory, decision.seconds, budget, why)
        if error is not None:
            raise error
