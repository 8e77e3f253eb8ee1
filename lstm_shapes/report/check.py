"""``check``: run the user's own shapes through torch, diagnose, compare with expectations.

Plain data and validation, no torch: :func:`lstm_shapes.api.check` runs the module and
returns a :class:`CheckResult`; :func:`lstm_shapes.render.check.check_message` is the text
the CLI prints and :func:`lstm_shapes.testing.assert_lstm_shapes` raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.report.explain import SCHEMA_VERSION, Report
from lstm_shapes.spec.core import InputSpec, ModuleSpec, Spec, make_spec, parse_pattern, show_value
from lstm_shapes.spec.given import Given, Pattern, make_given, parse_expect
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.diagnosis import (
    Diagnosis,
    Reading,
    shape_str,
)


def pattern_str(pattern: Pattern) -> str:
    inner = ", ".join("_" if size is None else str(size) for size in pattern)
    return f"({inner},)" if len(pattern) == 1 else f"({inner})"


@dataclass(frozen=True)
class ExpectationResult:
    name: str
    expected: Pattern
    actual: tuple[int, ...]
    symbols: tuple[str, ...]
    holds: bool

    def message(self) -> str:
        """Expected against actual, with every dimension named."""
        head = f"{self.name}: expected {pattern_str(self.expected)}, got {shape_str(self.actual)}"
        if len(self.expected) != len(self.actual):
            head += (
                f" ({len(self.expected)} dimensions expected, {self.name} has {len(self.actual)})"
            )
        lines = [head]
        width = max((len(s) for s in self.symbols), default=0)
        for k in range(max(len(self.expected), len(self.actual))):
            symbol = self.symbols[k] if k < len(self.actual) else "-"
            want = "-" if k >= len(self.expected) else self.expected[k]
            got = str(self.actual[k]) if k < len(self.actual) else "-"
            shown = "_" if want is None else str(want)
            differs = want is not None and shown != got
            mark = "  <- differs" if differs else ""
            lines.append(f"  dim {k}  {symbol:<{width}}  expected {shown:<5} got {got}{mark}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": list(self.expected),
            "actual": list(self.actual),
            "symbols": list(self.symbols),
            "holds": self.holds,
        }


def compare(name: str, expected: Pattern, report: Report) -> ExpectationResult:
    tensor = report.tensors[name]
    actual = tensor.shape
    holds = len(expected) == len(actual) and all(
        want is None or want == size for want, size in zip(expected, actual, strict=True)
    )
    return ExpectationResult(name, expected, actual, tuple(d.symbol for d in tensor.dims), holds)


@dataclass(frozen=True)
class CheckResult:
    """One checked case: ``rejected`` when the shapes were diagnosed wrong (the
    ``diagnosis`` says why), ``failures`` for expectations and verified facts that did not
    hold; ``passed`` when neither."""

    name: str
    spec: Spec
    given: Given | None = None
    diagnosis: Diagnosis | None = None
    torch_error: str | None = None
    #: why torch was not given these shapes (see theory.diagnosis.unchecked_by_torch)
    not_run: str | None = None
    report: Report | None = None
    expectations: tuple[ExpectationResult, ...] = ()
    failures: tuple[str, ...] = field(default_factory=tuple)
    #: every failure as the CLI words it, the diagnosis first (the api fills it in with
    #: lstm_shapes.render.check.failure_messages); ``None``: ``failures`` alone
    failure_texts: tuple[str, ...] | None = None

    @property
    def rejected(self) -> bool:
        """The given shapes are wrong: torch rejected them, or took them as not meant."""
        return self.report is None and self.diagnosis is not None and bool(self.diagnosis.problems)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.rejected

    @property
    def headline(self) -> str:
        """One line saying why the case failed (empty when it passed)."""
        if self.passed:
            return ""
        if self.diagnosis is not None and self.diagnosis.problems:
            return self.diagnosis.problems[0].what
        failed = [e for e in self.expectations if not e.holds]
        if failed:
            return failed[0].message().splitlines()[0]
        return self.failures[0].splitlines()[0]

    def as_dict(self) -> dict[str, Any]:
        """What ``lstm-shapes check --format json`` prints for this one case."""
        return results_dict([self])

    def case_dict(self) -> dict[str, Any]:
        """This case as one entry of ``cases`` in the JSON."""
        data: dict[str, Any] = {
            "name": self.name,
            "passed": self.passed,
            "headline": self.headline,
            "failures": list(
                self.failure_texts if self.failure_texts is not None else self.failures
            ),
            "torch_error": self.torch_error,
            "not_run": self.not_run,
            "diagnosis": ([p.as_dict() for p in self.diagnosis.problems] if self.diagnosis else []),
            "sizes": self.diagnosis.sizes_line() if self.diagnosis else self.spec.sizes_line(),
            "expectations": [e.as_dict() for e in self.expectations],
            "report": self.report.as_dict() if self.report else None,
        }
        if self.given is not None:
            data["given"] = {
                "input": list(self.given.input),
                "h0": list(self.given.h0) if self.given.h0 else None,
                "c0": list(self.given.c0) if self.given.c0 else None,
                "input_dtype": self.given.input_dtype,
            }
        return data


def results_dict(results: Iterable[CheckResult]) -> dict[str, Any]:
    cases = list(results)
    passed = sum(1 for r in cases if r.passed)
    return {
        "schema_version": SCHEMA_VERSION,
        "passed": passed,
        "failed": len(cases) - passed,
        "cases": [r.case_dict() for r in cases],
    }


@dataclass(frozen=True)
class SpecResults:
    """Every case of one or more spec files, checked (``check --spec``)."""

    cases: tuple[CheckResult, ...]
    #: the files' names, as the summary line shows them
    source: str = "spec"

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(case for case in self.cases if not case.passed)

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def as_dict(self) -> dict[str, Any]:
        """What ``lstm-shapes check --spec FILE --format json`` prints."""
        return results_dict(self.cases)


#: torch's cell classes (by name, so that no torch import is needed to recognise them)
CELL_CLASSES = {"LSTMCell": "lstmcell", "GRUCell": "grucell", "RNNCell": "rnncell"}


def _cell_kind(module: Any) -> str | None:
    for cls in type(module).__mro__:
        if cls.__name__ in CELL_CLASSES and cls.__module__.startswith("torch.nn"):
            return CELL_CLASSES[cls.__name__]
    return None


def spec_from_module(module: Any) -> Spec:
    """A Spec from a real ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` or one of their cells (read
    from its attributes)."""
    mode = getattr(module, "mode", None)
    kinds = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}
    cell = _cell_kind(module)
    if mode not in kinds and cell is None:
        raise SpecError(
            "expected an nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell or nn.RNNCell module "
            f"or a Spec (got {type(module).__name__})"
        )
    first = next(iter(module.parameters()))
    dtype = str(first.dtype).removeprefix("torch.")
    if cell is not None:
        return make_spec(
            input_size=module.input_size,
            hidden_size=module.hidden_size,
            bias=module.bias,
            kind=cell,
            nonlinearity=getattr(module, "nonlinearity", "tanh"),
            device=str(first.device.type),
            dtype=dtype,
        )
    return make_spec(
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bias=module.bias,
        batch_first=module.batch_first,
        dropout=module.dropout,
        bidirectional=module.bidirectional,
        proj_size=getattr(module, "proj_size", 0),
        kind=kinds[str(mode)],
        nonlinearity="relu" if mode == "RNN_RELU" else "tanh",
        device=str(first.device.type),
        dtype=dtype,
    )


def with_reading(spec: Spec, reading: Reading) -> Spec:
    """The spec of the run once the input is read as torch reads it."""
    lengths = spec.input.lengths
    if lengths is not None:
        if reading.batch is None:
            raise SpecError("--lengths needs a batch: the input shape is 2-D (unbatched)")
        if len(lengths) != reading.batch:
            hint = ""
            if len(lengths) == reading.seq_len:  # the count fits the other dimension
                if spec.module.batch_first:
                    hint = (
                        "; batch_first=True reads dim 0 as N and dim 1 as L: is your batch "
                        "dim 1? then leave out --batch-first"
                    )
                else:
                    hint = (
                        "; batch_first=False reads dim 0 as L and dim 1 as N: is your batch "
                        "dim 0? then use --batch-first"
                    )
            raise SpecError(
                f"--lengths must give one length per sequence: the input has N={reading.batch} "
                f"(got {len(lengths)} lengths: {','.join(map(str, lengths))}){hint}"
            )
        if max(lengths) > reading.seq_len:
            raise SpecError(
                f"--lengths must be at most the input's L={reading.seq_len} "
                f"(got {','.join(map(str, lengths))})"
            )
    return replace(
        spec,
        input=InputSpec(
            batch=reading.batch if reading.batch is not None else spec.input.batch,
            seq_len=reading.seq_len,
            unbatched=reading.batch is None,
            lengths=lengths,
        ),
    )


def parse_expectations(
    spec: Spec, expect: Mapping[str, object] | Iterable[str] | None
) -> list[tuple[str, Pattern]]:
    """Validate expected shapes (a mapping, or ``NAME=SIZES`` strings) for this module."""
    if expect is None:
        return []
    if isinstance(expect, Mapping):
        pairs = [(str(k), parse_pattern(f"--expect {k}", v)) for k, v in expect.items()]
    else:
        pairs = [parse_expect(item) for item in expect]
    return check_expected_names(spec, pairs)


def check_expected_names(
    spec: Spec, pairs: Iterable[tuple[str, Pattern]]
) -> list[tuple[str, Pattern]]:
    """Every expected tensor is one this module returns (a SpecError names the first not),
    each given once or with the same shape (repeats are dropped)."""
    names = list(theory.tensor_shapes(spec))
    unique: dict[str, Pattern] = {}
    for name, pattern in pairs:
        if name not in names:
            raise SpecError(
                f"--expect NAME must be one of {', '.join(names)} for this "
                f"nn.{spec.module.class_name} (got {show_value(name)})"
            )
        if name in unique and unique[name] != pattern:
            raise SpecError(
                f"--expect {name} is given twice with different shapes "
                f"({pattern_str(unique[name])} and {pattern_str(pattern)}): give it once"
            )
        unique[name] = pattern
    return list(unique.items())


def check_arguments(
    spec: Spec | Any = None,
    /,
    *,
    input_shape: object = None,
    h0_shape: object = None,
    c0_shape: object = None,
    input_dtype: object = None,
    expect: Mapping[str, object] | Iterable[str] | None = None,
    **options: Any,
) -> tuple[Spec, Given | None, list[tuple[str, Pattern]]]:
    """The validated arguments of ``check``: the spec, the user's tensors, the expectations.

    ``spec`` is a :class:`Spec`, a :class:`ModuleSpec`, a real ``nn.LSTM``/``GRU``/``RNN`` or
    one of their cells (read from its attributes, no torch call), or ``None`` with the
    options by name. The budget (``max_memory``, ``max_time``) is applied by the api when
    the check runs."""
    stated_batch = options.get("batch")
    stated_seq_len = options.get("seq_len")
    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("check() takes either a Spec/module or options, not both")
    elif isinstance(spec, ModuleSpec):
        spec = Spec(spec)
    elif not isinstance(spec, Spec):
        spec = spec_from_module(spec)
    given = make_given(
        spec,
        input_shape=input_shape,
        h0_shape=h0_shape,
        c0_shape=c0_shape,
        input_dtype=input_dtype,
        stated_batch=stated_batch is not None,
        stated_seq_len=stated_seq_len is not None,
    )
    return spec, given, parse_expectations(spec, expect)


def expectation_failures(report: Report, results: Iterable[ExpectationResult]) -> tuple[str, ...]:
    failed = [r for r in results if not r.holds]
    failures = []
    if failed:
        failures.append(
            "expected shapes do not match:\n"
            + "\n".join(r.message() for r in failed)
            + f"\nSizes:\n  {report.spec.sizes_line()}\n"
        )
    for c in report.checks:
        if not c.holds:
            failures.append(f"check failed on this run: {c.statement}\n")
    return tuple(failures)
