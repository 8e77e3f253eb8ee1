"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_shapes._version import __version__
from lstm_shapes.errors import InconsistencyError, SpecError

if TYPE_CHECKING:
    from lstm_shapes.api import explain
    from lstm_shapes.checking import CheckResult, assert_lstm_shapes, check
    from lstm_shapes.checkpoint import CheckpointReport, inspect_checkpoint
    from lstm_shapes.report import Report
    from lstm_shapes.spec import InputSpec, ModuleSpec, RunSpec, Spec, make_spec
    from lstm_shapes.tracing import TraceReport, load_target, trace
    from lstm_shapes.weights import InferredModule, infer_modules

__all__ = [
    "CheckResult",
    "CheckpointReport",
    "InconsistencyError",
    "InferredModule",
    "InputSpec",
    "ModuleSpec",
    "Report",
    "RunSpec",
    "Spec",
    "SpecError",
    "TraceReport",
    "__version__",
    "assert_lstm_shapes",
    "check",
    "explain",
    "infer_modules",
    "inspect_checkpoint",
    "load_target",
    "make_spec",
    "trace",
]

# Imported on first use, so that `lstm-shapes --help` (which imports this package first)
# does not pay for the report, probe and command modules.
_LAZY = {
    "explain": "lstm_shapes.api",
    "CheckResult": "lstm_shapes.checking",
    "assert_lstm_shapes": "lstm_shapes.checking",
    "check": "lstm_shapes.checking",
    "CheckpointReport": "lstm_shapes.checkpoint",
    "inspect_checkpoint": "lstm_shapes.checkpoint",
    "Report": "lstm_shapes.report",
    "InputSpec": "lstm_shapes.spec",
    "ModuleSpec": "lstm_shapes.spec",
    "RunSpec": "lstm_shapes.spec",
    "Spec": "lstm_shapes.spec",
    "make_spec": "lstm_shapes.spec",
    "TraceReport": "lstm_shapes.tracing",
    "load_target": "lstm_shapes.tracing",
    "trace": "lstm_shapes.tracing",
    "InferredModule": "lstm_shapes.weights",
    "infer_modules": "lstm_shapes.weights",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lstm_shapes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
