"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run.

One function per command (``explain``, ``variants``, ``check``, ``run_spec``, ``trace``,
``inspect_checkpoint``, ``diagram``, ``gates``, ``cell``, ``heads``, ``myths``,
``handout``, and ``assert_lstm_shapes`` for tests), each returning a report whose
``as_dict()`` is the command's JSON. Importing the package does not import torch.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from lstm_shapes._version import __version__
from lstm_shapes.errors import InconsistencyError, SpecError

if TYPE_CHECKING:
    from lstm_shapes.api import (
        assert_lstm_shapes,
        cell,
        check,
        diagram,
        explain,
        gates,
        handout,
        heads,
        inspect_checkpoint,
        myths,
        run_spec,
        trace,
        variants,
    )
    from lstm_shapes.probe.trace_target import load_target
    from lstm_shapes.report.check import CheckResult, SpecResults
    from lstm_shapes.report.explain import Report
    from lstm_shapes.report.inspect import CheckpointReport
    from lstm_shapes.report.trace import TraceReport
    from lstm_shapes.report.variants import VariantsReport
    from lstm_shapes.spec.core import InputSpec, ModuleSpec, RunSpec, Spec, make_spec
    from lstm_shapes.teach.page_report import PageReport
    from lstm_shapes.theory.weights import InferredModule, infer_modules

#: The commands, in the order of ``lstm-shapes --help``.
COMMANDS = (
    "explain",
    "variants",
    "check",
    "run_spec",
    "trace",
    "inspect_checkpoint",
    "diagram",
    "gates",
    "cell",
    "heads",
    "myths",
    "handout",
    "assert_lstm_shapes",
)

__all__ = [
    "CheckResult",
    "CheckpointReport",
    "InconsistencyError",
    "InferredModule",
    "InputSpec",
    "ModuleSpec",
    "PageReport",
    "Report",
    "RunSpec",
    "Spec",
    "SpecError",
    "SpecResults",
    "TraceReport",
    "VariantsReport",
    "__version__",
    "assert_lstm_shapes",
    "cell",
    "check",
    "diagram",
    "explain",
    "gates",
    "handout",
    "heads",
    "infer_modules",
    "inspect_checkpoint",
    "load_target",
    "make_spec",
    "myths",
    "run_spec",
    "trace",
    "variants",
]

# Imported on first use, so that `lstm-shapes --help` (which imports this package first)
# does not pay for the report, probe and command modules.
_LAZY = {
    **dict.fromkeys(COMMANDS, "lstm_shapes.api"),
    "CheckResult": "lstm_shapes.report.check",
    "SpecResults": "lstm_shapes.report.check",
    "CheckpointReport": "lstm_shapes.report.inspect",
    "Report": "lstm_shapes.report.explain",
    "VariantsReport": "lstm_shapes.report.variants",
    "PageReport": "lstm_shapes.teach.page_report",
    "InputSpec": "lstm_shapes.spec.core",
    "ModuleSpec": "lstm_shapes.spec.core",
    "RunSpec": "lstm_shapes.spec.core",
    "Spec": "lstm_shapes.spec.core",
    "make_spec": "lstm_shapes.spec.core",
    "TraceReport": "lstm_shapes.report.trace",
    "load_target": "lstm_shapes.probe.trace_target",
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


if "IPython" in sys.modules:  # a notebook: every report displays itself as HTML tables
    from lstm_shapes.api import register_notebook_display

    register_notebook_display()
