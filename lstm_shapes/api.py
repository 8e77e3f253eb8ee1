"""The Python API: build a spec, run torch, return a report. Nothing here prints."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from lstm_shapes.errors import SpecError
from lstm_shapes.report.explain import Report
from lstm_shapes.spec.core import Spec, make_spec, parse_choice

if TYPE_CHECKING:
    from lstm_shapes.report.check import CheckResult
    from lstm_shapes.spec.specfile import Case


def explain(
    spec: Spec | None = None,
    /,
    *,
    max_memory: object | None = None,
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
    (``max_memory``, default 2 GiB or half the free memory, and about a second) a reduced
    run with the same structure checks theory and the report says ``run.mode ==
    "reduced"``. ``full=True`` skips the budget. ``cost`` adds :attr:`Report.cost`
    (FLOPs, memory, measured where the run was full size); ``time`` times it, and
    ``backward`` adds forward + backward; ``verify_flops`` counts the FLOPs with torch's
    FlopCounterMode too (it loads torch's compiler: seconds). ``optimizer`` (``sgd``,
    ``adam``, ``adamw``) and ``amp`` (bfloat16 autocast) shape the training-memory estimate.

    >>> report = explain(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> report.tensors["hn"].shape
    (4, 3, 20)
    >>> big = explain(input_size=4096, hidden_size=8192, batch=512, seq_len=100_000)
    >>> big.run.mode, big.tensors["output"].shape
    ('reduced', (100000, 512, 8192))
    """
    from dataclasses import replace

    from lstm_shapes.probe.calibrate import machine_rates
    from lstm_shapes.probe.forward import observe
    from lstm_shapes.probe.measure import device_free_memory, native_cpu_kernels
    from lstm_shapes.report.cost import CostReport
    from lstm_shapes.report.explain import build_report
    from lstm_shapes.report.reduced import reduced_report, reduced_spec
    from lstm_shapes.theory import budget as budgets
    from lstm_shapes.theory import cost as costs

    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("explain() takes either a Spec or options, not both")
    limit = budgets.parse_memory(max_memory) if max_memory is not None else None
    optimizer = parse_choice("--optimizer", optimizer, costs.OPTIMIZERS)
    measure_backward = backward and (cost or time or verify_flops)
    estimate = costs.estimate(spec)
    free, where = device_free_memory(spec)
    budget = budgets.user_budget(limit, free) if limit else budgets.default_budget(free, where)
    rates = machine_rates()
    decision = budgets.decide(estimate, budget, full=full, backward=measure_backward, rates=rates)
    with native_cpu_kernels():
        if decision.mode == "full":
            report = build_report(spec, observe(spec))
        else:
            report = reduced_report(spec, observe(reduced_spec(spec)), estimate, decision)
    if not (cost or time or verify_flops):
        return report
    measurement, not_measured = None, None
    if decision.mode == "full":
        from lstm_shapes.probe.measure import measure

        measurement = measure(
            spec, timing=time, backward=measure_backward, verify_flops=verify_flops
        )
    else:
        not_measured = "the full-size run is over budget (reduced run); --full measures it"
    training = costs.training_memory(spec, optimizer, amp)
    return replace(
        report,
        cost=CostReport(estimate, budget, decision, measurement, not_measured, rates, training),
    )


def check_cases(cases: Iterable[Case], source: str = "spec") -> Iterator[CheckResult]:
    """Check the cases of a spec file one by one, yielding each result as it is done.

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
                    yield run_check(case.spec, case.given, case.expect, name=case.name)
                except SpecError as error:
                    where = f"{source}: case {index} ({case.name})"
                    raise SpecError(f"{where}: key {key_for(str(error))}: {error}") from None
    finally:
        torch.set_num_threads(threads)
