"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run."""

from lstm_shapes._version import __version__
from lstm_shapes.api import explain
from lstm_shapes.checking import CheckResult, assert_lstm_shapes, check
from lstm_shapes.checkpoint import CheckpointReport, inspect_checkpoint
from lstm_shapes.errors import InconsistencyError, SpecError
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
