"""The Python API: one function per command, each returning a report. Nothing here prints.

Every function takes the command's options by their snake_case names and returns a report
whose ``as_dict()`` is exactly what the command prints with ``--format json``. In Jupyter
each report displays itself as the tables of the HTML handout.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_shapes.errors import InconsistencyError, SpecError
from lstm_shapes.render import notebook as _notebook
from lstm_shapes.report.check import (
    CheckResult,
    SpecResults,
    check_arguments,
    compare,
    expectation_failures,
    with_reading,
)
from lstm_shapes.report.explain import Report, code_for
from lstm_shapes.report.trace import TraceReport
from lstm_shapes.report.variants import VariantsReport, variant_specs
from lstm_shapes.spec.core import Spec, make_spec, parse_choice
from lstm_shapes.spec.given import Given, Pattern
from lstm_shapes.teach.page_report import PageReport
from lstm_shapes.theory.diagnosis import (
    complete,
    diagnose,
    shape_str,
    torch_accepts,
    unchecked_by_torch,
)

if TYPE_CHECKING:
    from lstm_shapes.report.cost import Measurement
    from lstm_shapes.report.inspect import CheckpointReport
    from lstm_shapes.spec.specfile import Case, SpecCases
    from lstm_shapes.teach.handout import Built
    from lstm_shapes.theory.budget import Decision
    from lstm_shapes.theory.cost import CostEstimate

__all__ = [
    "assert_lstm_shapes",
    "cell",
    "check",
    "diagram",
    "explain",
    "gates",
    "handout",
    "heads",
    "inspect_checkpoint",
    "myths",
    "run_spec",
    "trace",
    "variants",
]


def register_notebook_display() -> bool:
    """Show every report as HTML tables in IPython and Jupyter; False outside them.

    ``import lstm_shapes`` calls this when IPython is loaded, so a notebook needs nothing
    more: the last expression of a cell, e.g. ``lstm_shapes.explain(...)``, displays itself.
    """
    shell = _notebook.ipython_shell()
    if shell is None:
        return False
    # through the package's lazy names, which follow these classes if they move
    from lstm_shapes import CheckpointReport, TraceReport

    html = shell.display_formatter.formatters["text/html"]
    html.for_type(Report, _notebook.explain_html)
    html.for_type(VariantsReport, _notebook.variants_html)
    html.for_type(CheckResult, _notebook.check_html)
    html.for_type(SpecResults, _notebook.spec_results_html)
    html.for_type(TraceReport, lambda report: _notebook.trace_html(report.as_dict()))
    html.for_type(CheckpointReport, lambda report: _notebook.checkpoint_html(report.as_dict()))
    html.for_type(
        PageReport,
        lambda report: _notebook.page_html(report.page, report.verdicts, report.command),
    )
    return True


def explain(
    spec: Spec | None = None,
    /,
    *,
    input_size: int | str | None = None,
    hidden_size: int | str | None = None,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float | str = 0.0,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    unbatched: bool = False,
    lengths: Iterable[int] | str | None = None,
    device: str = "auto",
    dtype: str = "float32",
    seed: int | str = 0,
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    full: bool = False,
    cost: bool = False,
    time: bool = False,
    backward: bool = False,
    verify_flops: bool = False,
    optimizer: str = "adam",
    amp: bool = False,
) -> Report:
    """Run the real module and return a :class:`Report` of every shape (``explain``).

    Either pass a :class:`Spec`, or the options by name as on the command line
    (``input_size=10, hidden_size=20, batch_first=True, batch=3, seq_len=7``).

    Before anything is allocated, the full-size run is estimated; above the budget
    (``max_memory``, default 2 GiB or half the free memory, and ``max_time`` in seconds,
    default about one) a reduced run with the same structure checks theory and the report
    says ``run.mode == "reduced"``. ``full=True`` skips the budget. ``cost`` adds
    :attr:`Report.cost` (FLOPs, memory, measured where the run was full size); ``time``
    times it, and ``backward`` adds forward + backward; ``verify_flops`` counts the FLOPs
    with torch's FlopCounterMode too (it loads torch's compiler: seconds). ``optimizer``
    (``sgd``, ``adam``, ``adamw``) and ``amp`` (bfloat16 autocast) shape the
    training-memory estimate. The time budget is built on this machine's speed,
    calibrated once per process.

    >>> report = explain(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> report.tensors["hn"].shape
    (4, 3, 20)
    >>> report.as_dict()["tensors"]["output"]["shape"]
    [7, 3, 40]
    >>> big = explain(input_size=4096, hidden_size=8192, batch=512, seq_len=100_000)
    >>> big.run.mode, big.tensors["output"].shape
    ('reduced', (100000, 512, 8192))
    """
    if spec is None:
        spec = make_spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=dropout,
            bidirectional=bidirectional,
            proj_size=proj_size,
            kind=kind,
            nonlinearity=nonlinearity,
            batch=batch,
            seq_len=seq_len,
            unbatched=unbatched,
            lengths=lengths,
            device=device,
            dtype=dtype,
            seed=seed,
        )
    elif input_size is not None or hidden_size is not None:
        raise TypeError("explain() takes either a Spec or options, not both")
    return run_explain(
        spec,
        max_memory=max_memory,
        max_time=max_time,
        full=full,
        cost=cost,
        time=time,
        backward=backward,
        verify_flops=verify_flops,
        optimizer=optimizer,
        amp=amp,
    )


def run_explain(
    spec: Spec,
    *,
    max_memory: object = None,
    max_time: object = None,
    full: bool = False,
    cost: bool = False,
    time: bool = False,
    backward: bool = False,
    verify_flops: bool = False,
    optimizer: str = "adam",
    amp: bool = False,
) -> Report:
    """:func:`explain` once its spec is validated: the budget decides full or reduced."""
    from dataclasses import replace

    from lstm_shapes.probe.budget import budget_for
    from lstm_shapes.probe.calibrate import machine_rates
    from lstm_shapes.probe.forward import observe
    from lstm_shapes.probe.measure import native_cpu_kernels
    from lstm_shapes.report.cost import CostReport
    from lstm_shapes.report.explain import build_report
    from lstm_shapes.report.reduced import reduced_report, reduced_spec
    from lstm_shapes.theory import cost as costs
    from lstm_shapes.theory.budget import check_depth, plan

    optimizer = parse_choice("--optimizer", optimizer, costs.OPTIMIZERS)
    measure_backward = backward and (cost or time or verify_flops)
    check_depth(spec)  # before torch is imported to find the free memory
    budget = budget_for(spec, max_memory, max_time)
    estimate, decision = plan(spec, budget, full=full, backward=measure_backward)
    rates = machine_rates()  # calibrated by budget_for
    with native_cpu_kernels():
        if decision.mode == "full":
            report = build_report(spec, observe(spec))
        else:
            report = reduced_report(spec, observe(reduced_spec(spec)), estimate, decision)
    if not (cost or time or verify_flops):
        return report
    measurement, not_measured = _measured(
        spec, estimate, decision, time, measure_backward, verify_flops
    )
    training = costs.training_memory(spec, optimizer, amp)
    cost_report = CostReport(estimate, budget, decision, measurement, not_measured, rates, training)
    return replace(report, cost=cost_report)


def _measured(
    spec: Spec,
    estimate: CostEstimate,
    decision: Decision,
    time: bool,
    backward: bool,
    verify_flops: bool,
) -> tuple[Measurement | None, str | None]:
    """The full-size run of the user's model, measured, or why it was not."""
    if decision.mode != "full":
        return None, "the full-size run is over budget (reduced run); --full measures it"
    from lstm_shapes.probe.measure import measure

    # below 16 MiB the CPU peak is pages and the allocator (the report says so): one call
    largest = estimate.memory.training if backward else estimate.memory.inference
    runs = 3 if largest >= 16 * 2**20 else 1
    # ... and from 16 MiB in a new process, where nothing ran before that could change it
    return measure(
        spec,
        timing=time,
        backward=backward,
        verify_flops=verify_flops,
        peak_runs=runs,
        fresh=runs > 1,
    ), None


def check_cases(
    cases: Iterable[Case],
    source: str = "spec",
    *,
    max_memory: object = None,
    max_time: object = None,
) -> Iterator[CheckResult]:
    """Check the cases of a spec file one by one, yielding each result as it is done;
    ``max_memory`` and ``max_time`` are each case's budget.

    Every case's expected tensor names are checked before the first one runs (a
    :class:`SpecError` names the file, the case and the key): here for a list, by
    :func:`spec_cases` for a file read case by case (the results then stream with flat
    memory: nothing is held but the case being run). Torch is imported once,
    runs on one thread (the modules are tiny: splitting each small matrix across cores
    costs more than it gains), and builds one module per distinct configuration.
    """
    from lstm_shapes.probe.runtime import reusing_modules, single_thread
    from lstm_shapes.spec.specfile import SpecCases, key_for

    listed: Iterable[Case]
    if isinstance(cases, SpecCases):  # checked as it was read, and held compressed
        listed = cases
    else:
        listed = list(cases)
        for index, case in enumerate(listed, start=1):
            _check_names(source, index, case)
    with single_thread(), reusing_modules():
        for index, case in enumerate(listed, start=1):
            try:
                yield run_check(
                    case.spec,
                    case.given,
                    case.expect,
                    name=case.name,
                    max_memory=max_memory,
                    max_time=max_time,
                )
            except SpecError as error:
                where = f"{source}: case {index} ({case.name})"
                raise SpecError(f"{where}: key {key_for(str(error))}: {error}") from None


def spec_cases(path: str | os.PathLike[str]) -> SpecCases:
    """The cases of a spec file, every one validated (a :class:`SpecError` names the file,
    the case and the key) and its expected tensor names checked, but none kept: iterate
    to read them again one by one (:func:`check_cases` runs them with flat memory)."""
    from lstm_shapes.spec.specfile import SpecCases

    source = Path(path).name
    valid: set[tuple[Spec, tuple[tuple[str, Pattern], ...]]] = set()  # checked already

    def check(index: int, case: Case) -> None:
        names = (case.spec, case.expect)  # a file repeats a few configurations
        if names not in valid:
            _check_names(source, index, case)
            if len(valid) >= 4096:
                valid.clear()
            valid.add(names)

    return SpecCases(path, check=check)


def _check_names(source: str, index: int, case: Case) -> None:
    """The tensors a case expects are ones its module returns."""
    from lstm_shapes.report.check import check_expected_names
    from lstm_shapes.spec.specfile import key_for

    try:
        check_expected_names(case.spec, case.expect)
    except SpecError as error:
        where = f"{source}: case {index} ({case.name})"
        raise SpecError(f"{where}: key {key_for(str(error))}: {error}") from None


def variants(
    spec: Spec | None = None,
    /,
    *,
    input_size: int | str | None = None,
    hidden_size: int | str | None = None,
    num_layers: int | str = 1,
    bias: bool = True,
    dropout: float | str = 0.0,
    proj_size: int | str = 0,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    unbatched: bool = False,
    lengths: Iterable[int] | str | None = None,
    device: str = "auto",
    dtype: str = "float32",
    seed: int | str = 0,
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
) -> VariantsReport:
    """The same sizes under the four ``batch_first`` x ``bidirectional`` combinations, each
    run for real (``variants``); the baseline (both off) first.

    >>> four = variants(input_size=10, hidden_size=20, num_layers=2)
    >>> [r.tensors["output"].shape for r in four]
    [(7, 3, 20), (3, 7, 20), (7, 3, 40), (3, 7, 40)]
    >>> sorted(four.as_dict())
    ['schema_version', 'variants']
    """
    if spec is None:
        spec = make_spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            dropout=dropout,
            proj_size=proj_size,
            kind=kind,
            nonlinearity=nonlinearity,
            batch=batch,
            seq_len=seq_len,
            unbatched=unbatched,
            lengths=lengths,
            device=device,
            dtype=dtype,
            seed=seed,
        )
    elif input_size is not None or hidden_size is not None:
        raise TypeError("variants() takes either a Spec or options, not both")
    return VariantsReport(
        tuple(explain(s, max_memory=max_memory, max_time=max_time) for s in variant_specs(spec))
    )


def check(
    spec: Spec | Any = None,
    /,
    *,
    input_shape: object = None,
    h0_shape: object = None,
    c0_shape: object = None,
    input_dtype: str | None = None,
    expect: Mapping[str, object] | Iterable[str] | None = None,
    name: str = "check",
    input_size: int | str | None = None,
    hidden_size: int | str | None = None,
    num_layers: int | str | None = None,
    bias: bool | None = None,
    batch_first: bool | None = None,
    dropout: float | str | None = None,
    bidirectional: bool | None = None,
    proj_size: int | str | None = None,
    kind: str | None = None,
    nonlinearity: str | None = None,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    unbatched: bool | None = None,
    lengths: Iterable[int] | str | None = None,
    device: str | None = None,
    dtype: str | None = None,
    seed: int | str | None = None,
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
) -> CheckResult:
    """Feed your own shapes to the real module (``check``); never raises on a failed check.

    ``spec`` is a :class:`Spec`, a real ``nn.LSTM``/``GRU``/``RNN``, or ``None`` with the
    module options by name as on the command line (``input_size=10, hidden_size=20, ...``;
    an option left at ``None`` takes the command's default).
    With ``input_shape`` (and optionally ``h0_shape``, ``c0_shape``, ``input_dtype``),
    tensors of exactly those shapes are fed to torch; ``batch``/``seq_len`` given as
    options are what you say the data is, checked against how torch reads it.
    ``expect`` maps tensor names to shapes (``None`` or ``"_"`` for any size), or is a list
    of ``"NAME=SIZES"`` as ``--expect`` takes them.

    >>> result = check(input_size=10, hidden_size=20, input_shape=(3, 7, 12))
    >>> result.passed
    False
    >>> print(result.headline)
    input dim 2 (H_in) is 12, but input_size is 10: input must be (L, N, H_in) with H_in=10
    >>> check(input_size=10, hidden_size=20, expect={"hn": (1, 3, 20)}).passed
    True
    """
    given_options = {
        "input_size": input_size,
        "hidden_size": hidden_size,
        "num_layers": num_layers,
        "bias": bias,
        "batch_first": batch_first,
        "dropout": dropout,
        "bidirectional": bidirectional,
        "proj_size": proj_size,
        "kind": kind,
        "nonlinearity": nonlinearity,
        "batch": batch,
        "seq_len": seq_len,
        "unbatched": unbatched,
        "lengths": lengths,
        "device": device,
        "dtype": dtype,
        "seed": seed,
    }
    # unset options keep make_spec's defaults; batch/seq_len given say what the data is
    options = {key: value for key, value in given_options.items() if value is not None}
    spec_, given, pairs = check_arguments(
        spec,
        input_shape=input_shape,
        h0_shape=h0_shape,
        c0_shape=c0_shape,
        input_dtype=input_dtype,
        expect=expect,
        **options,
    )
    return run_check(spec_, given, pairs, name=name, max_memory=max_memory, max_time=max_time)


def run_check(
    spec: Spec,
    given: Given | None,
    expect: Iterable[tuple[str, Pattern]],
    *,
    name: str = "check",
    max_memory: object = None,
    max_time: object = None,
) -> CheckResult:
    """:func:`check` once its arguments are validated (one case of a spec file); the
    result carries the failures as the CLI words them, so that its JSON is the CLI's."""
    from dataclasses import replace

    from lstm_shapes.render.check import failure_messages

    within = {"max_memory": max_memory, "max_time": max_time}  # the budget
    result = _run_check(spec, given, expect, name=name, within=within)
    return replace(result, failure_texts=tuple(failure_messages(result)))


def _run_check(
    spec: Spec,
    given: Given | None,
    expect: Iterable[tuple[str, Pattern]],
    *,
    name: str,
    within: dict[str, object],
) -> CheckResult:
    from lstm_shapes.probe.forward import run_given

    pairs = list(expect)
    if given is None:
        report = run_explain(spec, max_memory=within["max_memory"], max_time=within["max_time"])
        results = tuple(compare(n, p, report) for n, p in pairs)
        failures = expectation_failures(report, results)
        return CheckResult(name, spec, report=report, expectations=results, failures=failures)
    diagnosis = diagnose(spec.module, given, spec.run.dtype)
    predicted = torch_accepts(spec.module, given, spec.run.dtype)
    context = (
        f"{spec.module.constructor()} with input {shape_str(given.input)} ({given.input_dtype})"
    )
    if predicted and not diagnosis.problems:
        # explain() feeds torch exactly these shapes (h0/c0 as zeros of the given shapes):
        # its run is torch's verdict, no need for a separate one
        assert diagnosis.reading is not None
        read_spec = with_reading(spec, diagnosis.reading)
        try:
            report = run_explain(
                read_spec, max_memory=within["max_memory"], max_time=within["max_time"]
            )
        except SpecError:
            raise
        except (RuntimeError, ValueError) as error:
            raise InconsistencyError(
                f"lstm-shapes predicted torch accepts {context}, but torch said: "
                f"{type(error).__name__}: {error}"
            ) from None
        states = tuple(n for n, shape in (("h0", given.h0), ("c0", given.c0)) if shape)
        if states:  # the code shows the states the user passed
            from dataclasses import replace

            report = replace(report, code=code_for(read_spec, report.run.device, states))
        results = tuple(compare(n, p, report) for n, p in pairs)
        return CheckResult(
            name,
            read_spec,
            given=given,
            diagnosis=diagnosis,
            report=report,
            expectations=results,
            failures=expectation_failures(report, results),
        )
    full = complete(spec.module, given)
    not_run = unchecked_by_torch(spec.module, full)
    if not_run is not None:
        if not diagnosis.problems:
            raise InconsistencyError(f"no diagnosis for {context}")
        return CheckResult(name, spec, given=given, diagnosis=diagnosis, not_run=not_run)
    torch_error = run_given(spec, full.input, full.input_dtype, full.h0, full.c0, **within)
    if predicted != (torch_error is None):
        verdict = "accepts" if predicted else "rejects"
        raise InconsistencyError(
            f"lstm-shapes predicted torch {verdict} {context}, but torch said: "
            f"{torch_error or 'nothing (it ran)'}"
        )
    if torch_error is not None and not diagnosis.problems:
        raise InconsistencyError(f"torch rejected {context} ({torch_error}); no diagnosis found")
    if not diagnosis.problems:  # cannot be: torch_accepts() was False
        raise InconsistencyError(f"no diagnosis for {context}")
    return CheckResult(name, spec, given=given, diagnosis=diagnosis, torch_error=torch_error)


def run_spec(
    *spec: str | os.PathLike[str],
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
) -> SpecResults:
    """Check every case of one or more TOML/JSON spec files (``check --spec``), all in
    this process; the results are held, in file order.

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "shapes.toml"
    >>> _ = path.write_text('''
    ... [[case]]
    ... name = "encoder"
    ... lstm = { input_size = 32, hidden_size = 64, num_layers = 2, bidirectional = true }
    ... input = { batch = 8, seq_len = 50 }
    ... expect = { output = [50, 8, 128], hn = [4, 8, 64] }
    ... ''')
    >>> results = run_spec(path)
    >>> results.passed, [case.name for case in results]
    (True, ['encoder'])
    >>> results.as_dict()["failed"]
    0
    """
    if not spec:
        raise SpecError("--spec needs at least one file")
    cases: list[CheckResult] = []
    for path in spec:
        within = {"max_memory": max_memory, "max_time": max_time}  # each case's budget
        cases += check_cases(spec_cases(path), Path(path).name, **within)
    return SpecResults(tuple(cases), ", ".join(Path(p).name for p in spec))


class ShapeAssertionError(AssertionError):
    """Raised by :func:`assert_lstm_shapes`; the message is what ``lstm-shapes check``
    prints (pytest shows it as the failure, see lstm_shapes.pytest_plugin)."""


def assert_lstm_shapes(
    module_or_spec: Any,
    /,
    *,
    input: object = None,
    h0: object = None,
    c0: object = None,
    input_dtype: str | None = None,
    **expect: object,
) -> CheckResult:
    """Raise ``AssertionError`` (a :class:`ShapeAssertionError`) with the CLI's message
    unless the shapes check out.

    ``module_or_spec`` is a real ``nn.LSTM``/``GRU``/``RNN``, one of their cells, or a
    :class:`Spec`; ``input``/``h0``/``c0`` are shapes to feed; every other keyword is an
    expected shape (``output=(3, 7, 40)``, ``None`` for any size in a dimension). Also
    importable from :mod:`lstm_shapes.testing`, like ``torch.testing``.

    >>> spec = make_spec(input_size=10, hidden_size=20, batch_first=True)
    >>> _ = assert_lstm_shapes(spec, input=(3, 7, 10), output=(3, 7, 20), hn=(1, 3, 20))
    >>> cell = make_spec(input_size=10, hidden_size=20, kind="lstmcell")
    >>> _ = assert_lstm_shapes(cell, input=(3, 10), h0=(3, 20), h1=(3, 20), c1=(3, 20))
    >>> assert_lstm_shapes(spec, input=(3, 7, 10), hn=(3, 1, 20))
    Traceback (most recent call last):
    ...
    lstm_shapes.api.ShapeAssertionError: expected shapes do not match:
    hn: expected (3, 1, 20), got (1, 3, 20)
    ...
    """
    __tracebackhide__ = True  # pytest: the failure is in the caller's test, not here
    result = check(
        module_or_spec,
        input_shape=input,
        h0_shape=h0,
        c0_shape=c0,
        input_dtype=input_dtype,
        expect=expect,
    )
    if not result.passed:
        from lstm_shapes.render.check import check_message

        raise ShapeAssertionError(check_message(result))
    return result


def trace(
    model: Any,
    input_data: Any = None,
    *,
    kwargs: dict[str, Any] | None = None,
    input_shape: Any = None,
    input_dtype: Any = "float32",
    device: str | None = None,
    seed: int = 0,
    name: str | None = None,
    batch: int | None = None,
    max_memory: int | str | None = None,
) -> TraceReport:
    """Run ``model`` once and return a :class:`TraceReport`: the path through it (every
    leaf module's shapes, loops shown once), every recurrent module with its calls grouped
    and every dimension named, and the model's output.

    As torchinfo's ``summary(model, input_data=...)``: a tensor is the one positional
    argument, a tuple or list holds the positional arguments, a dict holds keyword
    arguments (unless its keys are not ``forward``'s parameters and ``forward`` takes one
    positional argument: then the dict is that argument, a batch dict); ``kwargs`` adds
    keyword arguments. Or ``input_shape`` (one shape, or a list
    of shapes for several positional tensors) builds random inputs of ``input_dtype`` (one
    dtype, or one per shape; ``int64`` gives token ids below the model's smallest
    embedding). ``model`` may also be a ``module:factory`` text, as on the command line.

    The model runs in eval mode under ``torch.no_grad()``, on ``device`` (``None``: where
    its parameters are). An exception from the model does not propagate: the report's
    ``failure`` says where it happened and what it means. ``batch`` states the batch size
    N, for the note on a ``batch_first=False`` layer that reads N first. An
    ``input_shape`` tensor that alone is over ``max_memory`` is refused before a
    ``module:factory`` text is imported. Raises :class:`SpecError` when the call does not
    fit ``forward``'s signature or an option is invalid.

    >>> import torch
    >>> report = trace(torch.nn.LSTMCell(4, 8), torch.zeros(3, 4))
    >>> report.layers[0].calls, report.output
    (1, [[3, 8], [3, 8]])
    """
    from lstm_shapes.probe.trace_target import arguments, dtype_names, load_target, placed_model
    from lstm_shapes.probe.tracing import run_trace
    from lstm_shapes.spec.core import parse_device, parse_size

    shapes = _shape_list(input_shape) if input_shape is not None else None
    if shapes:
        check_trace_inputs(shapes, input_dtype, max_memory)
    if isinstance(model, str):
        name = name or model
        model = load_target(model)
    seed_ = parse_size("--seed", seed, minimum=0)
    batch_ = parse_size("--batch", batch) if batch is not None else None
    model = placed_model(model, parse_device(device) if device is not None else None)
    input_dtype = dtype_names(input_dtype)
    args, kwargs_, inputs, notes = arguments(model, input_data, kwargs, shapes, input_dtype, seed_)
    label = name or type(model).__name__
    return run_trace(
        model, args, kwargs_, inputs, label=label, seed=seed_, notes=notes, batch=batch_
    )


def check_trace_inputs(shapes: list[object], dtypes: Any, max_memory: object) -> None:
    """Refuse an input tensor over the memory budget before the user's code is imported."""
    from lstm_shapes.spec.core import parse_shape
    from lstm_shapes.theory import budget as budgets

    given = list(dtypes) if isinstance(dtypes, (list, tuple)) else [dtypes]
    limit = budgets.parse_memory(max_memory) if max_memory is not None else None
    budget = budgets.make_budget(limit, None, budgets.available_ram())
    for index, value in enumerate(shapes):
        shape = parse_shape("--input-shape", value)
        dtype = given[index] if len(given) == len(shapes) else (given or ["float32"])[0]
        shown = ",".join(map(str, shape))
        budgets.check_input(
            shape,
            str(dtype).removeprefix("torch."),
            budget,
            f"the input tensor alone (--input-shape {shown}) is that large",
        )


def _shape_list(value: Any) -> list[object]:
    """One shape (``"3,9"``, ``(3, 9)``) or several (``["3,9", (3,)]``)."""
    if isinstance(value, str) or (
        isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value)
    ):
        return [value]
    return list(value)


def inspect_checkpoint(
    checkpoint: str | os.PathLike[str],
    *,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    run: bool = False,
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
) -> CheckpointReport:
    """Find every ``nn.LSTM``/``GRU``/``RNN`` and cell in a checkpoint from its weights
    alone (``inspect``). The file is read by lstm-shapes' own unpickler (tensors only) or as
    safetensors: nothing it names is imported or called. With ``run``, each module is
    estimated first and refused over the budget (``max_memory``, ``max_time``).

    ``batch``/``seq_len`` make the expected shapes concrete (else ``N`` and ``L``);
    ``run=True`` loads the weights into the inferred module (strict) and runs it.

    >>> import tempfile, torch
    >>> path = tempfile.mkdtemp() + "/model.pt"
    >>> torch.save(torch.nn.LSTM(8, 16, num_layers=2).state_dict(), path)
    >>> report = inspect_checkpoint(path, batch=3, seq_len=7)
    >>> report.modules[0].found.module.constructor()
    'nn.LSTM(input_size=8, hidden_size=16, num_layers=2)'
    >>> [t.shape_text for t in report.modules[0].tensors if t.name == "hn"]
    ['(2, 3, 16)']
    """
    from lstm_shapes.probe.checkpoint import inspect_checkpoint as inspect

    return inspect(
        checkpoint, batch=batch, seq_len=seq_len, run=run, max_memory=max_memory, max_time=max_time
    )


# The teaching commands. Each runs what its page needs (probe/), then lays the page out
# (teach/) from the plain results; rendering is the caller's choice (render/).


#: the kinds the teaching pages cover (the cells are explained by ``explain``)
TEACHING_KINDS = ("lstm", "gru", "rnn")


def _teaching_spec(**options: Any) -> Spec:
    # Teaching pages always run on the CPU in float32, so that every page and handout
    # shows the same numbers wherever it is made.
    spec = make_spec(device="cpu", dtype="float32", **options)
    if spec.module.kind not in TEACHING_KINDS:
        raise SpecError(
            f"--kind {spec.module.kind} is not available for the teaching pages yet: they "
            f"teach {', '.join(TEACHING_KINDS)} (got --kind {spec.module.kind}); "
            "'lstm-shapes explain' shows a cell's shapes"
        )
    return spec


def _page(command: str, spec: Spec, lang: str, built: Built) -> PageReport:
    return PageReport(
        command, lang, spec, built.page, built.data, built.verdicts, built.ok, run=built.run
    )


def _lang(lang: str) -> str:
    from lstm_shapes.spec.core import parse_choice
    from lstm_shapes.teach.catalogue import LANGS

    return parse_choice("--lang", lang, LANGS)


def diagram(
    *,
    input_size: int | str,
    hidden_size: int | str,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    seed: int | str = 0,
    lang: str = "en",
) -> PageReport:
    """The pictures (``diagram``): the data cube, the unrolled network, output's halves,
    one step, a packed batch and the heads, each labelled from a real run. Over the budget
    (``max_memory``, ``max_time`` as in :func:`explain`) the run is reduced and the page
    says so; the packed batch and the heads, whose numbers need the full-size module, are
    then left out.

    >>> page = diagram(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> page.as_dict()["tensors"]["hn"]
    [4, 3, 20]
    """
    from lstm_shapes.probe.runtime import single_thread
    from lstm_shapes.probe.teaching import is_small, run_heads
    from lstm_shapes.probe.worked import worked_packed
    from lstm_shapes.teach.handout import build

    lang = _lang(lang)
    spec = _teaching_spec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        seq_len=seq_len,
        kind=kind,
        nonlinearity=nonlinearity,
        seed=seed,
    )
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        full = report.run.mode == "full" and not spec.input.unbatched
        heads = run_heads(spec, "both", 1) if full else None
        packed = worked_packed(spec)[1] if full else None
        built = build("diagram", spec, lang, report, heads=heads, packed=packed)
    return _page("diagram", spec, lang, built)


def gates(
    *,
    input_size: int | str,
    hidden_size: int | str,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    seed: int | str = 0,
    lang: str = "en",
) -> PageReport:
    """The equations with every term's shape, the gates named, recomputed by hand from the
    real weights (``gates``). Over the budget it raises SpecError before torch runs.

    >>> page = gates(input_size=10, hidden_size=20)
    >>> page.ok, len(page.as_dict()["layers"])
    (True, 1)
    """
    from lstm_shapes.probe.runtime import single_thread
    from lstm_shapes.probe.teaching import is_small, run_gates
    from lstm_shapes.teach.handout import build, check_budget

    lang = _lang(lang)
    spec = _teaching_spec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        seq_len=seq_len,
        kind=kind,
        nonlinearity=nonlinearity,
        seed=seed,
    )
    check_budget("gates", spec, max_memory, max_time)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        built = build("gates", spec, lang, report, gates=run_gates(spec))
    return _page("gates", spec, lang, built)


def cell(
    *,
    input_size: int | str,
    hidden_size: int | str,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    seed: int | str = 0,
    lang: str = "en",
) -> PageReport:
    """A loop of cells holding the module's weights, run next to the module and proven
    equal to it (``cell``). Over the budget it raises SpecError before torch runs.

    >>> page = cell(input_size=10, hidden_size=20, num_layers=2)
    >>> page.ok
    True
    """
    from lstm_shapes.probe.runtime import single_thread
    from lstm_shapes.probe.teaching import check_cell_supported, is_small, run_cell
    from lstm_shapes.teach.handout import build, check_budget

    lang = _lang(lang)
    spec = _teaching_spec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        seq_len=seq_len,
        kind=kind,
        nonlinearity=nonlinearity,
        seed=seed,
    )
    check_cell_supported(spec)
    check_budget("cell", spec, max_memory, max_time)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        built = build("cell", spec, lang, report, cell=run_cell(spec))
    return _page("cell", spec, lang, built)


def heads(
    *,
    input_size: int | str,
    hidden_size: int | str,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    head: str = "both",
    out_features: int | str = 1,
    seed: int | str = 0,
    lang: str = "en",
) -> PageReport:
    """A ``Linear`` head on the last step and/or every step, run on the module's output
    (``heads``).

    >>> page = heads(input_size=10, hidden_size=20, batch_first=True, head="last", out_features=5)
    >>> page.ok
    True
    """
    from lstm_shapes.probe.runtime import single_thread
    from lstm_shapes.probe.teaching import is_small, run_heads
    from lstm_shapes.report.teaching import HEADS
    from lstm_shapes.spec.core import parse_choice, parse_size
    from lstm_shapes.teach.handout import build, check_budget

    lang = _lang(lang)
    head_ = parse_choice("--head", head, HEADS)
    k = parse_size("--out-features", out_features)
    spec = _teaching_spec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        seq_len=seq_len,
        kind=kind,
        nonlinearity=nonlinearity,
        seed=seed,
    )
    check_budget("heads", spec, max_memory, max_time, k)
    with single_thread(is_small(spec)):
        run = run_heads(spec, head_, k)
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        built = build("heads", spec, lang, report, heads=run)
    return _page("heads", spec, lang, built)


def myths(*, seed: int | str = 0, lang: str = "en") -> PageReport:
    """Claims often taught about LSTM shapes, each decided by a live torch run (``myths``).

    >>> verdicts = {m["id"]: m["holds"] for m in myths().as_dict()["myths"]}
    >>> verdicts["batch-first-moves-state"]
    False
    """
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.teach.handout import build

    lang = _lang(lang)
    spec = _teaching_spec(input_size=10, hidden_size=20, seed=seed)
    built = build("myths", spec, lang, explain(spec), myths=run_myths(spec.run.seed))
    return _page("myths", spec, lang, built)


def handout(
    *,
    input_size: int | str,
    hidden_size: int | str,
    out: str | os.PathLike[str] | None = None,
    num_layers: int | str = 1,
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    proj_size: int | str = 0,
    batch: int | str | None = None,
    seq_len: int | str | None = None,
    kind: str = "lstm",
    nonlinearity: str = "tanh",
    max_memory: int | str | None = None,
    max_time: float | str | None = None,
    seed: int | str = 0,
    lang: str = "en",
) -> PageReport:
    """Everything on one printable page, with worked examples and exercises for this
    configuration (``handout``). With ``out`` it is also written as the command writes it:
    ``.md`` (its pictures as ``.svg`` files beside it), ``.html`` or ``.svg``.

    >>> page = handout(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
    >>> [section.title for section in page.page.sections][1:3]
    ['The data cube', 'The symbols']
    """
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.probe.runtime import single_thread
    from lstm_shapes.probe.teaching import is_small, run_cell, run_gates, run_heads
    from lstm_shapes.probe.worked import run_worked
    from lstm_shapes.render.handout_files import handout_format
    from lstm_shapes.report.teaching import TeachingRuns
    from lstm_shapes.teach.handout import build, check_budget

    lang = _lang(lang)
    fmt = handout_format(str(out), None) if out is not None else None
    spec = _teaching_spec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        proj_size=proj_size,
        batch=batch,
        seq_len=seq_len,
        kind=kind,
        nonlinearity=nonlinearity,
        seed=seed,
    )
    check_budget("handout", spec, max_memory, max_time)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        worked, exercises, packed = run_worked(spec)
        runs = TeachingRuns(
            gates=run_gates(spec),
            cell=None if spec.module.proj_size else run_cell(spec),
            heads=run_heads(spec, "both", 1),
            myths=tuple(run_myths(spec.run.seed)),
            worked=worked,
            exercises=exercises,
            packed=packed,
        )
        # the four batch_first x bidirectional variants, as ``variants`` runs them
        others = [explain(s, max_memory=max_memory, max_time=max_time) for s in variant_specs(spec)]
        built = build("handout", spec, lang, report, runs=runs, variants=others)
    page = _page("handout", spec, lang, built)
    if out is not None and fmt is not None:
        write_handout(page, fmt, Path(out))
    return page


def write_handout(page: PageReport, fmt: str, out: Path) -> None:
    """The handout as the file ``fmt`` asks for, and for Markdown its pictures beside it."""
    from lstm_shapes.render.handout_files import handout_files

    for path, text in handout_files(page.page, page.verdicts, fmt, out).items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise SpecError(
                f"--out cannot be written: {error.strerror} (got {str(path)!r})"
            ) from None
