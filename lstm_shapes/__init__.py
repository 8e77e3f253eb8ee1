"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_shapes._version import __version__
from lstm_shapes.errors import InconsistencyError, SpecError

if TYPE_CHECKING:
    from lstm_shapes.api import explain, trace
    from lstm_shapes.probe.checkpoint import inspect_checkpoint
    from lstm_shapes.probe.trace_target import load_target
    from lstm_shapes.report.check import CheckResult, check
    from lstm_shapes.report.explain import Report
    from lstm_shapes.report.inspect import CheckpointReport
    from lstm_shapes.report.trace import TraceReport
    from lstm_shapes.spec.core import InputSpec, ModuleSpec, RunSpec, Spec, make_spec
    from lstm_shapes.testing import assert_lstm_shapes
    from lstm_shapes.theory.weights import InferredModule, infer_modules

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
    "CheckResult": "lstm_shapes.report.check",
    "assert_lstm_shapes": "lstm_shapes.testing",
    "check": "lstm_shapes.report.check",
    "CheckpointReport": "lstm_shapes.report.inspect",
    "inspect_checkpoint": "lstm_shapes.probe.checkpoint",
    "Report": "lstm_shapes.report.explain",
    "InputSpec": "lstm_shapes.spec.core",
    "ModuleSpec": "lstm_shapes.spec.core",
    "RunSpec": "lstm_shapes.spec.core",
    "Spec": "lstm_shapes.spec.core",
    "make_spec": "lstm_shapes.spec.core",
    "TraceReport": "lstm_shapes.report.trace",
    "load_target": "lstm_shapes.probe.trace_target",
    "trace": "lstm_shapes.api",
    "InferredModule": "lstm_shapes.theory.weights",
    "infer_modules": "lstm_shapes.theory.weights",
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
