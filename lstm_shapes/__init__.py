"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_shapes._version import __version__
from lstm_shapes.errors import InconsistencyError, SpecError

if TYPE_CHECKING:
    from lstm_shapes.api import explain
    from lstm_shapes.report import Report
    from lstm_shapes.spec import InputSpec, ModuleSpec, RunSpec, Spec, make_spec

__all__ = [
    "InconsistencyError",
    "InputSpec",
    "ModuleSpec",
    "Report",
    "RunSpec",
    "Spec",
    "SpecError",
    "__version__",
    "explain",
    "make_spec",
]

# Imported on first use, so that `lstm-shapes --help` (which imports this package first)
# does not pay for the report and probe modules.
_LAZY = {
    "explain": "lstm_shapes.api",
    "Report": "lstm_shapes.report",
    "InputSpec": "lstm_shapes.spec",
    "ModuleSpec": "lstm_shapes.spec",
    "RunSpec": "lstm_shapes.spec",
    "Spec": "lstm_shapes.spec",
    "make_spec": "lstm_shapes.spec",
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
