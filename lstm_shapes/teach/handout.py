"""Assemble the teaching pages from runs already made, in the language asked for.

``lstm_shapes.api`` runs torch (through ``probe/``) and hands the plain results to
:func:`build`; the CLI only parses options and picks a renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_shapes._version import __version__
from lstm_shapes.report.explain import Report
from lstm_shapes.report.teaching import (
    CellRun,
    GatesRun,
    HeadsRun,
    MythRun,
    PackedPicture,
    TeachingRuns,
)
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import doc, pages
from lstm_shapes.teach.catalogue import Messages, messages
from lstm_shapes.teach.doc import Figure, Page

KINDS = ("diagram", "gates", "cell", "heads", "myths", "handout")


@dataclass(frozen=True)
class Built:
    page: Page
    #: the plain data behind the page, for ``--format json``
    data: dict[str, Any]
    #: the words for "holds" / "does not hold", to colour verdicts
    verdicts: tuple[str, str]
    ok: bool = True
    #: the run block of ``explain --format json`` (torch version, device, dtype, seed, mode)
    run: dict[str, Any] = field(default_factory=dict)


def command_line(kind: str, spec: Spec, lang: str, extra: str = "") -> str:
    m = spec.module
    parts = ["lstm-shapes", kind]
    if kind != "myths":
        parts += [f"-i {m.input_size}", f"-H {m.hidden_size}"]
        if m.num_layers != 1:
            parts.append(f"-l {m.num_layers}")
        if not m.bias:
            parts.append("--no-bias")
        if m.batch_first:
            parts.append("--batch-first")
        if m.bidirectional:
            parts.append("--bidirectional")
        if m.proj_size:
            parts.append(f"--proj-size {m.proj_size}")
        parts += [f"-N {spec.input.batch}", f"-L {spec.input.seq_len}"]
    if spec.run.seed:
        parts.append(f"--seed {spec.run.seed}")
    if extra:
        parts.append(extra)
    parts.append(f"--lang {lang}")
    return " ".join(parts)


#: Forward passes of each page at full size, for the budget: explain's probe makes two,
#: the gates and heads one more, the cell loop about two, the handout all of them plus
#: the four variants (two passes each, the bidirectional ones twice the work).
PASSES = {"gates": 3, "cell": 4, "heads": 3, "handout": 18}


def check_budget(
    kind: str,
    spec: Spec,
    max_memory: object = None,
    max_time: object = None,
    out_features: int = 1,
) -> None:
    """Refuse a page that would run torch over the budget. Pages run at full size (their
    numbers come from the real module), except ``diagram``, which shows shapes only and
    takes ``explain``'s reduced run, and ``myths``, whose runs are fixed and small."""
    if kind not in PASSES:
        return
    from lstm_shapes.spec.limits import parse_max_time
    from lstm_shapes.theory import budget as budgets

    limit = budgets.parse_memory(max_memory) if max_memory is not None else None
    seconds = parse_max_time(max_time) if max_time is not None else None
    # teaching pages always run on the CPU
    budget = budgets.make_budget(limit, seconds, budgets.available_ram())
    _, decision = budgets.plan(spec, budget, passes=PASSES[kind])
    m, steps = spec.module, spec.input.batch * spec.input.seq_len
    # the heads' nn.Linear(D*H_out, K), its output on every step and on the last one
    head = out_features * (m.D * m.H_out + 1 + steps + spec.input.batch) * 4
    error = budgets.too_large(
        decision.memory + head,
        decision.seconds,
        budget,
        f"the {kind} page runs torch at full size only: give smaller sizes",
    )
    if error is not None:
        raise error


def build(
    kind: str,
    spec: Spec,
    lang: str,
    report: Report,
    *,
    gates: GatesRun | None = None,
    cell: CellRun | None = None,
    heads: HeadsRun | None = None,
    myths: Sequence[MythRun] = (),
    runs: TeachingRuns | None = None,
    variants: Sequence[Report] = (),
    packed: PackedPicture | None = None,
) -> Built:
    """Lay out page ``kind`` in ``lang`` from runs already made (``lstm_shapes.api`` makes
    them: nothing here runs torch)."""
    if kind == "diagram":
        built = _diagram(messages(lang), spec, lang, report, heads, packed)
    else:
        built = _build(kind, spec, lang, report, gates, cell, heads, myths, runs, variants)
    return replace(built, run=report.run.as_dict())


def _diagram(
    t: Messages,
    spec: Spec,
    lang: str,
    report: Report,
    heads: HeadsRun | None,
    packed: PackedPicture | None,
) -> Built:
    sections = [
        pages.cube_section(t, report),
        pages.diagram_section(t, report),
        pages.halves_section(t, report),
        pages.more_pictures_section(t, report, heads, packed),
    ]
    page = pages.page(
        t, "lstm-shapes diagram", report, sections, command_line("diagram", spec, lang)
    )
    data: dict[str, Any] = {
        "cube": _figure(page, "cube").text,
        "unrolled": _figure(page, "unrolled").text,
        "tensors": {n: list(r.shape) for n, r in report.tensors.items()},
        "pictures": {f.name: {"title": f.title, "desc": f.desc} for f in _figures(page)},
    }
    return Built(page, data, (t("verdict.holds"), t("verdict.fails")))


def _build(
    kind: str,
    spec: Spec,
    lang: str,
    report: Report,
    gates: GatesRun | None,
    cell: CellRun | None,
    heads: HeadsRun | None,
    myths: Sequence[MythRun],
    runs: TeachingRuns | None,
    variants: Sequence[Report],
) -> Built:
    t = messages(lang)
    verdicts = (t("verdict.holds"), t("verdict.fails"))
    command = command_line(kind, spec, lang)
    if kind == "gates":
        assert gates is not None
        section = pages.gates_section(t, gates, report)
        page = pages.page(t, t("gates.title"), report, [section], command)
        equations = pages.equations_block(t, gates)
        data = {
            "gates": [
                {"symbol": g, "name": name, "what": what}
                for g, (name, what) in equations.names.items()
            ],
            "equations": equations.text.splitlines(),
            "layers": [g.as_dict() for g in gates.layers],
        }
        return Built(page, data, verdicts, gates.ok)
    if kind == "cell":
        assert cell is not None
        page = pages.page(
            t,
            pages.kinded(t, spec, "cell.title"),
            report,
            [pages.cell_section(t, cell, spec)],
            command,
        )
        return Built(page, cell.as_dict(), verdicts, cell.ok)
    if kind == "heads":
        assert heads is not None
        head = "both" if len(heads.heads) == 2 else heads.heads[0].head
        extra = f"--head {head} --out-features {heads.out_features}"
        command = command_line(kind, spec, lang, extra)
        section = pages.heads_section(t, heads, report)
        page = pages.page(t, pages.kinded(t, spec, "heads.title"), report, [section], command)
        return Built(page, heads.as_dict(), verdicts)
    if kind == "myths":
        section = pages.myths_section(t, myths, report.run.torch_version)
        # the myths run their own small modules, each named in its evidence
        page = Page(
            t("myths.title"),
            "torch.nn.LSTM",
            (doc.Section("", section.blocks, "myths"),),
            lang,
            t("footer", version=__version__, command=command),
        )
        return Built(page, {"myths": pages.myth_texts(t, myths)}, verdicts)
    if kind == "handout":
        assert runs is not None
        return _handout(t, spec, report, command, verdicts, runs, variants)
    raise ValueError(f"unknown page {kind!r}")


def _handout(
    t: Messages,
    spec: Spec,
    report: Report,
    command: str,
    verdicts: tuple[str, str],
    runs: TeachingRuns,
    variants: Sequence[Report],
) -> Built:
    sections = [
        pages.cube_section(t, report),
        pages.symbols_section(t, spec),
        pages.args_section(t, spec),
        pages.shapes_section(t, report, variants),
        pages.diagram_section(t, report),
        pages.halves_section(t, report),
        pages.gates_section(t, runs.gates, report),
        pages.params_section(t, report),
        pages.cell_section(t, runs.cell, spec),
        pages.heads_section(t, runs.heads, report),
        pages.worked_section(t, report, runs.worked, runs.packed),
        pages.myths_section(t, runs.myths, report.run.torch_version),
        pages.code_section(t, report),
        pages.exercises_section(t, runs.exercises),
        pages.answers_section(t, runs.exercises),
    ]
    page = pages.page(t, pages.kinded(t, spec, "handout.title"), report, sections, command)
    ok = runs.gates.ok and (runs.cell is None or runs.cell.ok)
    return Built(page, {}, verdicts, ok)


def _figures(page: Page) -> list[Figure]:
    return [b for sec in page.sections for b in sec.blocks if isinstance(b, Figure)]


def _figure(page: Page, name: str) -> Figure:
    for figure in _figures(page):
        if figure.name == name:
            return figure
    raise KeyError(name)
