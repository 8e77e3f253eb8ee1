"""Assemble the teaching pages: run what each needs, then lay it out.

``build(kind, spec, lang)`` is the whole library API of the teaching commands; the CLI
only parses options and picks a renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_shapes._version import __version__
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import doc, pages
from lstm_shapes.teach.catalogue import Messages, messages
from lstm_shapes.teach.doc import Page

KINDS = ("diagram", "gates", "cell", "heads", "myths", "handout")
FORMATS_BY_EXTENSION = {".md": "markdown", ".html": "html", ".htm": "html", ".svg": "svg"}


@dataclass(frozen=True)
class Built:
    page: Page
    #: the plain data behind the page, for ``--format json``
    data: dict[str, Any]
    #: the words for "holds" / "does not hold", to colour verdicts
    verdicts: tuple[str, str]
    ok: bool = True


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


def _report(spec: Spec, max_memory: object, max_time: object) -> Any:
    from lstm_shapes.api import explain

    return explain(spec, max_memory=max_memory, max_time=max_time)


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


def _title(t: Messages, key: str) -> str:
    return t(key)


def build(
    kind: str,
    spec: Spec,
    lang: str = "en",
    *,
    head: str = "both",
    out_features: int = 1,
    max_memory: object = None,
    max_time: object = None,
) -> Built:
    """Run what page ``kind`` needs and lay it out in ``lang``. Over the budget
    (``max_memory``, ``max_time`` as in :func:`lstm_shapes.explain`) a page raises
    SpecError before torch runs; ``diagram`` takes a reduced run and says so."""
    from lstm_shapes.teach.live import is_small, single_thread

    check_budget(kind, spec, max_memory, max_time, out_features)
    with single_thread(is_small(spec)):
        report = _report(spec, max_memory, max_time)
        return _build(kind, spec, lang, head, out_features, report)


def _build(kind: str, spec: Spec, lang: str, head: str, out_features: int, report: Any) -> Built:
    t = messages(lang)
    verdicts = (t("verdict.holds"), t("verdict.fails"))
    command = command_line(kind, spec, lang)
    if kind == "diagram":
        sections = [pages.cube_section(t, report), pages.diagram_section(t, report)]
        page = pages.page(t, "lstm-shapes diagram", report, sections, command)
        data: dict[str, Any] = {
            "cube": _pre(page, "cube"),
            "unrolled": _pre(page, "unrolled"),
            "tensors": {n: list(r.shape) for n, r in report.tensors.items()},
            # mode "full" or "reduced" (with its reason), as explain's run
            "run": report.run.as_dict(),
        }
        return Built(page, data, verdicts)
    if kind == "gates":
        from lstm_shapes.teach.gates import run_gates

        gates = run_gates(spec)
        page = pages.page(t, t("gates.title"), report, [pages.gates_section(t, gates)], command)
        return Built(page, {"layers": [g.as_dict() for g in gates.layers]}, verdicts, gates.ok)
    if kind == "cell":
        from lstm_shapes.teach.cell import check_supported, run_cell

        check_supported(spec)
        cell = run_cell(spec)
        page = pages.page(t, t("cell.title"), report, [pages.cell_section(t, cell, spec)], command)
        return Built(page, cell.as_dict(), verdicts, cell.ok)
    if kind == "heads":
        from lstm_shapes.teach.heads import run_heads

        heads = run_heads(spec, head, out_features)
        command = command_line(kind, spec, lang, f"--head {head} --out-features {out_features}")
        page = pages.page(t, t("heads.title"), report, [pages.heads_section(t, heads)], command)
        return Built(page, heads.as_dict(), verdicts)
    if kind == "myths":
        from lstm_shapes.teach.myths import run_myths

        myths = run_myths(spec.run.seed)
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
        return _handout(t, spec, report, command, verdicts, out_features)
    raise ValueError(f"unknown page {kind!r}")


def _handout(
    t: Messages,
    spec: Spec,
    report: Any,
    command: str,
    verdicts: tuple[str, str],
    out_features: int,
) -> Built:
    from lstm_shapes.report.variants import variants
    from lstm_shapes.teach.cell import run_cell
    from lstm_shapes.teach.gates import run_gates
    from lstm_shapes.teach.heads import run_heads
    from lstm_shapes.teach.myths import run_myths

    gates = run_gates(spec)
    cell = None if spec.module.proj_size else run_cell(spec)
    heads = run_heads(spec, "both", out_features)
    myths = run_myths(spec.run.seed)
    sections = [
        pages.cube_section(t, report),
        pages.symbols_section(t, spec),
        pages.args_section(t, spec),
        pages.shapes_section(t, report, variants(spec)),
        pages.diagram_section(t, report),
        pages.gates_section(t, gates),
        pages.params_section(t, report),
        pages.cell_section(t, cell, spec),
        pages.heads_section(t, heads),
        pages.myths_section(t, myths, report.run.torch_version),
        pages.code_section(t, report),
    ]
    page = pages.page(t, t("handout.title"), report, sections, command)
    ok = gates.ok and (cell is None or cell.ok)
    return Built(page, {}, verdicts, ok)


def _pre(page: Page, name: str) -> str:
    from lstm_shapes.teach.doc import Pre

    for sec in page.sections:
        for block in sec.blocks:
            if isinstance(block, Pre) and block.name == name:
                return block.text
    raise KeyError(name)
