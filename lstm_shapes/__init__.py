"""lstm-shapes: the tensor shapes of PyTorch's ``nn.LSTM``, observed from a real run."""

from lstm_shapes._version import __version__
from lstm_shapes.api import explain
from lstm_shapes.checking import CheckResult, assert_lstm_shapes, check
from lstm_shapes.errors import InconsistencyError, SpecError
from lstm_shapes.report import Report
from lstm_shapes.spec import InputSpec, ModuleSpec, RunSpec, Spec, make_spec

__all__ = [
    "CheckResult",
    "InconsistencyError",
    "InputSpec",
    "ModuleSpec",
    "Report",
    "RunSpec",
    "Spec",
    "SpecError",
    "__version__",
    "assert_lstm_shapes",
    "check",
    "explain",
    "make_spec",
]
