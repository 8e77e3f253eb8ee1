"""How much a run may use, decided before anything is allocated. No torch import.

A full-size run is allowed when its estimated peak memory fits the memory budget (at most
2 GiB or half the free RAM/VRAM, whichever is smaller, unless ``--max-memory``) and its
estimated time fits the time budget (about a second). Otherwise the reduced probe runs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.units import format_bytes, format_seconds
from lstm_shapes.theory.cost import ASSUMED_RATES, CostEstimate, MachineRates

DEFAULT_MAX_MEMORY = 2 * 1024**3
#: A full run (the probe makes two forward passes) should finish in about this long.
MAX_SECONDS = 1.0

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
    shown = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        raise SpecError(f"{allowed} (got {shown})")
    if isinstance(value, int):
        number, unit = float(value), ""
    elif isinstance(value, float):
        number, unit = value, ""
    elif isinstance(value, str) and (match := _SIZE.match(value)):
        number, unit = float(match.group(1)), match.group(2).lower()
    else:
        raise SpecError(f"{allowed} (got {shown})")
    if unit not in _UNITS or not math.isfinite(number):
        raise SpecError(f"{allowed} (got {shown})")
    size = int(number * _UNITS[unit])
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

    def as_dict(self) -> dict[str, object]:
        return {
            "max_memory": self.max_memory,
            "memory_source": self.memory_source,
            "max_seconds": self.max_seconds,
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


@dataclass(frozen=True)
class Decision:
    """Full or reduced, and why. ``memory`` and ``seconds`` are what a full run needs."""

    mode: str  # "full" | "reduced"
    reason: str
    memory: int
    seconds: float


def probe_memory(estimate: CostEstimate, backward: bool = False) -> int:
    """Peak bytes of the probe at this size: it keeps the first forward pass's output and
    states while it runs the second one (with zero h0/c0), on the step-by-step kernels."""
    mem = estimate.stepwise_memory
    if backward:
        return mem.training + mem.output + 2 * mem.states
    return mem.inference + mem.output + 2 * mem.states


def probe_seconds(
    estimate: CostEstimate, *, backward: bool = False, rates: MachineRates = ASSUMED_RATES
) -> float:
    """Seconds of the probe at this size on a machine with ``rates``
    (:func:`lstm_shapes.probe.calibrate.machine_rates` measures this one's): building the
    module, its two forward passes on torch's step-by-step CPU kernels (see
    ``probe.measure.native_cpu_kernels``), and with ``backward`` a training step."""
    seconds = estimate.build_seconds() + 2 * estimate.forward_seconds(stepwise=True, rates=rates)
    if backward:
        seconds += estimate.training_seconds(rates=rates)
    return seconds


def decide(
    estimate: CostEstimate,
    budget: Budget,
    *,
    full: bool = False,
    backward: bool = False,
    rates: MachineRates = ASSUMED_RATES,
) -> Decision:
    """Whether the probe may run at full size. ``full`` (``--full``) skips the budget but
    still refuses what cannot fit in the free memory at all. ``rates``: this machine's
    speed, calibrated (else a slow machine is assumed)."""
    memory = probe_memory(estimate, backward)
    seconds = probe_seconds(estimate, backward=backward, rates=rates)
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
        )
    if seconds > budget.max_seconds:
        return Decision(
            "reduced",
            f"{needs}, over the time budget of about {format_seconds(budget.max_seconds)}",
            memory,
            seconds,
        )
    return Decision("full", f"{needs}, within budget", memory, seconds)
