"""The Python API: build a spec, run torch, return a report. Nothing here prints."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from lstm_shapes.errors import SpecError
from lstm_shapes.report.explain import Report
from lstm_shapes.report.trace import TraceReport
from lstm_shapes.spec.core import Spec, make_spec, parse_choice

if TYPE_CHECKING:
    from lstm_shapes.report.check import CheckResult
    from lstm_shapes.report.cost import Measurement
    from lstm_shapes.spec.specfile import Case
    from lstm_shapes.teach.handout import Built
    from lstm_shapes.theory.budget import Decision
    from lstm_shapes.theory.cost import CostEstimate


def explain(
    spec: Spec | None = None,
    /,
    *,
    max_memory: object | None = None,
    max_time: object | None = None,
    full: bool = False,
    cost: bool = False,
    time: bool = False,
    backward: bool = False,
    verify_flops: bool = False,
    optimizer: str = "adam",
    amp: bool = False,
    **options: Any,
) -> Report:
    """Run the real module and return a :class:`Report` of every shape.

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
    >>> big = explain(input_size=4096, hidden_size=8192, batch=512, seq_len=100_000)
    >>> big.run.mode, big.tensors["output"].shape
    ('reduced', (100000, 512, 8192))
    """
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

    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("explain() takes either a Spec or options, not both")
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
    runs = 3 if estimate.memory.inference >= 16 * 2**20 else 1
    return measure(
        spec, timing=time, backward=backward, verify_flops=verify_flops, peak_runs=runs
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
    :class:`SpecError` names the file, the case and the key). Torch is imported once,
    runs on one thread (the modules are tiny: splitting each small matrix across cores
    costs more than it gains), and builds one module per distinct configuration.
    """
    from lstm_shapes.probe.runtime import import_torch, reusing_modules
    from lstm_shapes.report.check import check_expected_names, run_check
    from lstm_shapes.spec.specfile import key_for

    listed = list(cases)
    for index, case in enumerate(listed, start=1):
        try:
            check_expected_names(case.spec, case.expect)
        except SpecError as error:
            where = f"{source}: case {index} ({case.name})"
            raise SpecError(f"{where}: key {key_for(str(error))}: {error}") from None
    torch = import_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with reusing_modules():
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
    finally:
        torch.set_num_threads(threads)


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
    N, for the note on a ``batch_first=False`` layer that reads N first. Raises
    :class:`SpecError` when the call does not fit ``forward``'s signature or an option is
    invalid.

    >>> import torch
    >>> report = trace(torch.nn.LSTMCell(4, 8), torch.zeros(3, 4))
    >>> report.layers[0].calls, report.output
    (1, [[3, 8], [3, 8]])
    """
    from lstm_shapes.errors import SpecError
    from lstm_shapes.probe.runtime import import_torch, resolve_device
    from lstm_shapes.probe.trace_target import arguments, load_target
    from lstm_shapes.probe.tracing import run_trace
    from lstm_shapes.spec.core import parse_device, parse_size

    torch = import_torch()
    if isinstance(model, str):
        name = name or model
        model = load_target(model)
    if not isinstance(model, torch.nn.Module):
        raise SpecError(f"trace() needs a torch.nn.Module (got {type(model).__name__})")
    seed_ = parse_size("--seed", seed, minimum=0)
    batch_ = parse_size("--batch", batch) if batch is not None else None
    if device is not None:
        model.to(resolve_device(torch, parse_device(device)))
    shapes = _shape_list(input_shape) if input_shape is not None else None
    if isinstance(input_dtype, torch.dtype) or (
        isinstance(input_dtype, (list, tuple))
        and any(isinstance(d, torch.dtype) for d in input_dtype)
    ):  # torch.int64 as well as "int64"
        dtypes = input_dtype if isinstance(input_dtype, (list, tuple)) else [input_dtype]
        input_dtype = [str(d).removeprefix("torch.") for d in dtypes]
    args, kwargs_, inputs, notes = arguments(model, input_data, kwargs, shapes, input_dtype, seed_)
    label = name or type(model).__name__
    return run_trace(
        model, args, kwargs_, inputs, label=label, seed=seed_, notes=notes, batch=batch_
    )


def _shape_list(value: Any) -> list[object]:
    """One shape (``"3,9"``, ``(3, 9)``) or several (``["3,9", (3,)]``)."""
    if isinstance(value, str) or (
        isinstance(value, (tuple, list)) and all(isinstance(v, int) for v in value)
    ):
        return [value]
    return list(value)


# The teaching commands. Each runs what its page needs (probe/), then lays the page out
# (teach/) from the plain results; rendering is the caller's choice (render/).


#: the kinds the teaching pages cover (the cells are explained by ``explain``)
TEACHING_KINDS = ("lstm", "gru", "rnn")


def _teaching_spec(spec: Spec | None, options: dict[str, Any]) -> Spec:
    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("pass either a Spec or options, not both")
    if spec.module.kind not in TEACHING_KINDS:
        raise SpecError(
            f"--kind {spec.module.kind} is not available for the teaching pages yet: they "
            f"teach {', '.join(TEACHING_KINDS)} (got --kind {spec.module.kind}); "
            "'lstm-shapes explain' shows a cell's shapes"
        )
    return spec


def diagram(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    max_memory: object | None = None,
    max_time: object | None = None,
    **options: Any,
) -> Built:
    """The pictures: the data cube, the unrolled network, output's halves, one step, a
    packed batch and the heads, each labelled from a real run. Over the budget
    (``max_memory``, ``max_time`` as in :func:`explain`) the run is reduced and the page
    says so; the packed batch and the heads, whose numbers need the full-size module,
    are then left out."""
    from lstm_shapes.probe.teaching import is_small, run_heads, single_thread
    from lstm_shapes.probe.worked import worked_packed
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        full = report.run.mode == "full" and not spec.input.unbatched
        heads = run_heads(spec, "both", 1) if full else None
        packed = worked_packed(spec)[1] if full else None
        return build("diagram", spec, lang, report, heads=heads, packed=packed)


def gates(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    max_memory: object | None = None,
    max_time: object | None = None,
    **options: Any,
) -> Built:
    """The equations with every term's shape, recomputed by hand from the real weights.
    Over the budget it raises SpecError before torch runs."""
    from lstm_shapes.probe.teaching import is_small, run_gates, single_thread
    from lstm_shapes.teach.handout import build, check_budget

    spec = _teaching_spec(spec, options)
    check_budget("gates", spec, max_memory, max_time)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        return build("gates", spec, lang, report, gates=run_gates(spec))


def cell(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    max_memory: object | None = None,
    max_time: object | None = None,
    **options: Any,
) -> Built:
    """A loop of cells holding the module's weights, run next to the module. Over the
    budget it raises SpecError before torch runs."""
    from lstm_shapes.probe.teaching import check_cell_supported, is_small, run_cell, single_thread
    from lstm_shapes.teach.handout import build, check_budget

    spec = _teaching_spec(spec, options)
    check_cell_supported(spec)
    check_budget("cell", spec, max_memory, max_time)
    with single_thread(is_small(spec)):
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        return build("cell", spec, lang, report, cell=run_cell(spec))


def heads(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    head: str = "both",
    out_features: int = 1,
    max_memory: object | None = None,
    max_time: object | None = None,
    **options: Any,
) -> Built:
    """A Linear head on the last step and/or every step, run on the module's output."""
    from lstm_shapes.probe.teaching import is_small, run_heads, single_thread
    from lstm_shapes.teach.handout import build, check_budget

    spec = _teaching_spec(spec, options)
    check_budget("heads", spec, max_memory, max_time, out_features)
    with single_thread(is_small(spec)):
        run = run_heads(spec, head, out_features)
        report = explain(spec, max_memory=max_memory, max_time=max_time)
        return build("heads", spec, lang, report, heads=run)


def myths(seed: int = 0, /, *, lang: str = "en") -> Built:
    """Claims often taught about LSTM shapes, each decided by a live run."""
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.teach.handout import build

    spec = make_spec(input_size=10, hidden_size=20, seed=seed)
    return build("myths", spec, lang, explain(spec), myths=run_myths(seed))


def handout(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    max_memory: object | None = None,
    max_time: object | None = None,
    **options: Any,
) -> Built:
    """Everything above on one page, with worked examples and exercises for this
    configuration."""
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.probe.teaching import is_small, run_cell, run_gates, run_heads, single_thread
    from lstm_shapes.probe.worked import run_worked
    from lstm_shapes.report.teaching import TeachingRuns
    from lstm_shapes.teach.handout import build, check_budget

    spec = _teaching_spec(spec, options)
    if spec.input.unbatched:
        raise SpecError(
            "--unbatched is not available for handout: it teaches a batch and shows the "
            "unbatched case as a worked example (drop --unbatched)"
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
        others = [
            explain(
                spec.with_module(batch_first=bf, bidirectional=bi),
                max_memory=max_memory,
                max_time=max_time,
            )
            for bf, bi in ((False, False), (True, False), (False, True), (True, True))
        ]
        return build("handout", spec, lang, report, runs=runs, variants=others)
