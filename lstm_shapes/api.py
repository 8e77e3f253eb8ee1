"""The Python API: build a spec, run torch, return a report. Nothing here prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lstm_shapes.errors import SpecError
from lstm_shapes.report.explain import Report
from lstm_shapes.spec.core import Spec, make_spec

if TYPE_CHECKING:
    from lstm_shapes.teach.handout import Built


def explain(
    spec: Spec | None = None,
    /,
    *,
    max_memory: object | None = None,
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
    (``max_memory``, default 2 GiB or half the free memory, and about a second) a reduced
    run with the same structure checks theory and the report says ``run.mode ==
    "reduced"``. ``full=True`` skips the budget. ``cost`` adds :attr:`Report.cost`
    (FLOPs, memory, measured where the run was full size); ``time`` times it, and
    ``backward`` adds forward + backward.

    >>> report = explain(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> report.tensors["hn"].shape
    (4, 3, 20)
    >>> big = explain(input_size=4096, hidden_size=8192, batch=512, seq_len=100_000)
    >>> big.run.mode, big.tensors["output"].shape
    ('reduced', (100000, 512, 8192))
    """
    from dataclasses import replace

    from lstm_shapes.probe.forward import observe
    from lstm_shapes.probe.measure import device_free_memory, native_cpu_kernels
    from lstm_shapes.report.cost import CostReport, reduced_report, reduced_spec
    from lstm_shapes.report.explain import build_report
    from lstm_shapes.theory import budget as budgets
    from lstm_shapes.theory import cost as costs

    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("explain() takes either a Spec or options, not both")
    limit = budgets.parse_memory(max_memory) if max_memory is not None else None
    measure_backward = backward and (cost or time)
    estimate = costs.estimate(spec)
    free, where = device_free_memory(spec)
    budget = (
        budgets.user_budget(limit, free)
        if limit is not None
        else budgets.default_budget(free, where)
    )
    decision = budgets.decide(estimate, budget, full=full, backward=measure_backward)
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


def diagram(spec: Spec | None = None, /, *, lang: str = "en", **options: Any) -> Built:
    """The pictures: the data cube, the unrolled network, output's halves, one step, a
    packed batch and the heads, each labelled from a real run."""
    from lstm_shapes.probe.teaching import is_small, run_heads, single_thread
    from lstm_shapes.probe.worked import worked_packed
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    with single_thread(is_small(spec)):
        report = explain(spec)
        heads = run_heads(spec, "both", 1) if not spec.input.unbatched else None
        packed = worked_packed(spec)[1] if not spec.input.unbatched else None
        return build("diagram", spec, lang, report, heads=heads, packed=packed)


def gates(spec: Spec | None = None, /, *, lang: str = "en", **options: Any) -> Built:
    """The equations with every term's shape, recomputed by hand from the real weights."""
    from lstm_shapes.probe.teaching import is_small, run_gates, single_thread
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    with single_thread(is_small(spec)):
        return build("gates", spec, lang, explain(spec), gates=run_gates(spec))


def cell(spec: Spec | None = None, /, *, lang: str = "en", **options: Any) -> Built:
    """A loop of cells holding the module's weights, run next to the module."""
    from lstm_shapes.probe.teaching import check_cell_supported, is_small, run_cell, single_thread
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    check_cell_supported(spec)
    with single_thread(is_small(spec)):
        return build("cell", spec, lang, explain(spec), cell=run_cell(spec))


def heads(
    spec: Spec | None = None,
    /,
    *,
    lang: str = "en",
    head: str = "both",
    out_features: int = 1,
    **options: Any,
) -> Built:
    """A Linear head on the last step and/or every step, run on the module's output."""
    from lstm_shapes.probe.teaching import is_small, run_heads, single_thread
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    with single_thread(is_small(spec)):
        run = run_heads(spec, head, out_features)
        return build("heads", spec, lang, explain(spec), heads=run)


def myths(seed: int = 0, /, *, lang: str = "en") -> Built:
    """Claims often taught about LSTM shapes, each decided by a live run."""
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.teach.handout import build

    spec = make_spec(input_size=10, hidden_size=20, seed=seed)
    return build("myths", spec, lang, explain(spec), myths=run_myths(seed))


def handout(spec: Spec | None = None, /, *, lang: str = "en", **options: Any) -> Built:
    """Everything above on one page, with worked examples and exercises for this
    configuration."""
    from lstm_shapes.probe.myths import run_myths
    from lstm_shapes.probe.teaching import is_small, run_cell, run_gates, run_heads, single_thread
    from lstm_shapes.probe.worked import run_worked
    from lstm_shapes.report.teaching import TeachingRuns
    from lstm_shapes.teach.handout import build

    spec = _teaching_spec(spec, options)
    if spec.input.unbatched:
        raise SpecError(
            "--unbatched is not available for handout: it teaches a batch and shows the "
            "unbatched case as a worked example (drop --unbatched)"
        )
    with single_thread(is_small(spec)):
        report = explain(spec)
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
            explain(spec.with_module(batch_first=bf, bidirectional=bi))
            for bf, bi in ((False, False), (True, False), (False, True), (True, True))
        ]
        return build("handout", spec, lang, report, runs=runs, variants=others)
