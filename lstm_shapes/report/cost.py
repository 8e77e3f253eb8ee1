"""What ``--cost`` reports: the estimate, the budget decision and what a full-size run
measured. Plain data: :mod:`lstm_shapes.probe.measure` fills in :class:`Measurement`, the
renderers turn a :class:`CostReport` into text. No torch import here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_shapes.theory.budget import Budget, Decision
from lstm_shapes.theory.cost import CostEstimate

#: How lstm_shapes.probe.measure measures the peak, as the reports name it.
CPU_PEAK_METHOD = (
    "rise of the process's peak RSS (malloc_trim, then VmHWM reset via /proc/self/clear_refs)"
)
CUDA_PEAK_METHOD = "torch.cuda.max_memory_allocated() rise (tensors only)"


@dataclass(frozen=True)
class Measurement:
    """What one real run at full size cost. ``None`` where it was not measured."""

    device: str
    flop_counter_forward: int
    flop_counter_training: int | None
    peak_method: str | None
    peak_forward: int | None
    peak_training: int | None
    runs: int
    forward_seconds: float | None
    training_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "flop_counter_forward": self.flop_counter_forward,
            "flop_counter_forward_backward": self.flop_counter_training,
            "peak_method": self.peak_method,
            "peak_forward": self.peak_forward,
            "peak_forward_backward": self.peak_training,
            "runs": self.runs,
            "forward_seconds_median": self.forward_seconds,
            "forward_backward_seconds_median": self.training_seconds,
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

    @property
    def flop_counter_note(self) -> str:
        """What FlopCounterMode's count means for this path."""
        m = self.measurement
        if m is None:
            return f"not measured: {self.not_measured}"
        predicted = self.estimate.forward_matmul
        if m.flop_counter_forward == 0 and predicted > 0:
            return (
                "torch counted 0: the forward ran as one fused kernel (oneDNN on the CPU, "
                "cuDNN on CUDA), which FlopCounterMode cannot see into; the matmul FLOPs "
                "here are from the model only"
            )
        if m.flop_counter_forward == predicted:
            return "torch counted the step-by-step matmuls (aten.addmm/mm): equal to the model"
        return (
            f"torch counted {m.flop_counter_forward:,} matmul FLOPs, the model "
            f"{predicted:,}: they differ"
        )

    def as_dict(self) -> dict[str, Any]:
        data = self.estimate.as_dict()
        data["budget"] = self.budget.as_dict()
        data["decision"] = {
            "mode": self.decision.mode,
            "reason": self.decision.reason,
            "probe_memory_bytes": self.decision.memory,
            "probe_seconds": round(self.decision.seconds, 6),
        }
        data["measured"] = self.measurement.as_dict() if self.measurement else None
        data["flop_counter"] = self.flop_counter_note
        if self.not_measured:
            data["not_measured"] = self.not_measured
        return data
