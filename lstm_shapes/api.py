"""The Python API: build a spec, run torch, return a report. Nothing here prints."""

from __future__ import annotations

from typing import Any

from lstm_shapes.report.explain import Report
from lstm_shapes.spec.core import Spec, make_spec


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
    times it, and ``backward`` adds forward + backward.

    >>> report = explain(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> report.tensors["hn"].shape
    (4, 3, 20)
    >>> big = explain(input_size=4096, hidden_size=8192, batch=512, seq_len=100_000)
    >>> big.run.mode, big.tensors["output"].shape
    ('reduced', (100000, 512, 8192))
    """
    from dataclasses import replace

    from lstm_shapes.probe.budget import budget_for
    from lstm_shapes.probe.forward import observe
    from lstm_shapes.probe.measure import native_cpu_kernels
    from lstm_shapes.report.cost import CostReport, reduced_report, reduced_spec
    from lstm_shapes.report.explain import build_report
    from lstm_shapes.theory.budget import check_depth, plan

    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("explain() takes either a Spec or options, not both")
    measure_backward = backward and (cost or time)
    check_depth(spec)  # before torch is imported to find the free memory
    budget = budget_for(spec, max_memory, max_time)
    estimate, decision = plan(spec, budget, full=full, backward=measure_backward)
    with native_cpu_kernels():
        if decision.mode == "full":
            report = build_report(spec, observe(spec))
        else:
            report = reduced_report(spec, observe(reduced_spec(spec)), estimate, decision)
    if not (cost or time):
        return report
    measurement, not_measured = None, None
    if decision.mode == "full":
        from lstm_shapes.probe.measure import measure

        measurement = measure(spec, timing=time, backward=measure_backward)
    else:
        not_measured = "the full-size run is over budget (reduced run); --full measures it"
    return replace(report, cost=CostReport(estimate, budget, decision, measurement, not_measured))
