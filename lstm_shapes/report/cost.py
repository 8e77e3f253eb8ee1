"""What ``--cost`` reports: the estimate, the budget decision and what a full-size run
measured. Plain data: :mod:`lstm_shapes.probe.measure` fills in :class:`Measurement`, the
renderers turn a :class:`CostReport` into text. No torch import here.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lstm_shapes.theory.budget import Budget, Decision
from lstm_shapes.theory.cost import ASSUMED_RATES, CostEstimate, MachineRates, TrainingMemory

#: How lstm_shapes.probe.measure measures the peak, as the reports name it.
CPU_PEAK_METHOD = (
    "rise of the process's peak RSS (glibc's mmap threshold at 4 KiB during the call, malloc_trim, "
    "then VmHWM reset via /proc/self/clear_refs)"
)
CUDA_PEAK_METHOD = "torch.cuda.max_memory_allocated() rise (tensors only)"


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass(frozen=True)
class Measurement:
    """What the user's model cost when it ran once at full size (``measured`` says what
    ran: ``forward`` or ``packed forward``). Peaks are bytes: the first call's (one-time
    setup included) and each later call's; empty or ``None`` where not measured."""

    device: str
    measured: str
    flop_counter_forward: int | None
    flop_counter_training: int | None
    peak_method: str | None
    peak_forward_first: int | None
    peak_forward_runs: tuple[int, ...]
    peak_training_first: int | None = None
    peak_training_runs: tuple[int, ...] = ()
    forward_times: tuple[float, ...] = ()
    training_times: tuple[float, ...] = ()

    @property
    def peak_forward(self) -> int | None:
        """The median peak of the calls after the first."""
        return int(median(self.peak_forward_runs)) if self.peak_forward_runs else None

    @property
    def peak_training(self) -> int | None:
        return int(median(self.peak_training_runs)) if self.peak_training_runs else None

    @property
    def runs(self) -> int:
        return len(self.forward_times)

    @property
    def forward_seconds(self) -> float | None:
        return median(self.forward_times) if self.forward_times else None

    @property
    def training_seconds(self) -> float | None:
        return median(self.training_times) if self.training_times else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "measured": self.measured,
            "flop_counter_forward": self.flop_counter_forward,
            "flop_counter_forward_backward": self.flop_counter_training,
            "peak_method": self.peak_method,
            "peak_forward": self.peak_forward,
            "peak_forward_first_call": self.peak_forward_first,
            "peak_forward_runs": list(self.peak_forward_runs),
            "peak_forward_backward": self.peak_training,
            "peak_forward_backward_first_call": self.peak_training_first,
            "peak_forward_backward_runs": list(self.peak_training_runs),
            "runs": self.runs,
            "forward_seconds_median": self.forward_seconds,
            "forward_seconds_runs": list(self.forward_times),
            "forward_backward_seconds_median": self.training_seconds,
            "forward_backward_seconds_runs": list(self.training_times),
        }


@dataclass(frozen=True)
class CostReport:
    """``explain --cost``: the estimate, the budget decision and, when the run was full
    size, what was measured."""

    estimate: CostEstimate
    budget: Budget
    decision: Decision
    measurement: Measurement | None
    not_measured: str | None = None
    #: the machine's speed the time estimates are built on
    rates: MachineRates = ASSUMED_RATES
    #: one training step as people run it (optimizer, mixed precision)
    training: TrainingMemory | None = None

    @property
    def forward_seconds(self) -> float:
        """The estimated seconds of the user's model's forward, on this machine."""
        return self.estimate.forward_seconds(rates=self.rates)

    @property
    def training_seconds(self) -> float:
        return self.estimate.training_seconds(rates=self.rates)

    @property
    def flop_counter_note(self) -> str:
        """What FlopCounterMode's count means for this path."""
        m = self.measurement
        if m is None:
            return f"not measured: {self.not_measured}"
        if m.flop_counter_forward is None:
            return (
                "not counted in this run (--verify-flops counts them; it loads torch's "
                "compiler, seconds); the model's counts equal FlopCounterMode's on the "
                "step-by-step path, checked in the test suite"
            )
        predicted = self.estimate.forward_matmul
        if m.flop_counter_forward == 0 and predicted > 0:
            return (
                f"torch counted 0 on the {m.measured}: it ran as one fused kernel (oneDNN "
                "on the CPU, cuDNN on CUDA), which FlopCounterMode cannot see into; the "
                "matmul FLOPs here are from the model only"
            )
        if m.flop_counter_forward == predicted:
            return (
                f"torch counted the step-by-step matmuls (aten.addmm/mm) of the "
                f"{m.measured}: {predicted:,}, equal to the model"
            )
        return (
            f"torch counted {m.flop_counter_forward:,} matmul FLOPs on the {m.measured}, "
            f"the model {predicted:,}: they differ"
        )

    def as_dict(self) -> dict[str, Any]:
        data = self.estimate.as_dict()
        data["forward_seconds_estimate"] = round(self.forward_seconds, 6)
        data["forward_backward_seconds_estimate"] = round(self.training_seconds, 6)
        data["time_model"] = self.rates.as_dict()
        if self.training is not None:
            data["training_memory"] = self.training.as_dict()
        data["budget"] = self.budget.as_dict()
        data["decision"] = {
            "mode": self.decision.mode,
            "reason": self.decision.reason,
            "probe_memory_bytes": self.decision.memory,
            "probe_seconds": round(self.decision.seconds, 6),
        }
        data["measured"] = self.measurement.as_dict() if self.measurement else None
        if data["measured"] is not None:
            # the estimates on the measurement's footing: what a call adds on top of the
            # parameters and the input, which exist before it
            mem = self.estimate.memory
            before = mem.parameters + mem.input
            data["measured"]["peak_forward_estimate"] = mem.inference - before
            data["measured"]["peak_forward_backward_estimate"] = mem.training - before
        data["flop_counter"] = self.flop_counter_note
        if self.not_measured:
            data["not_measured"] = self.not_measured
        return data
