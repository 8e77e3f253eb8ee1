"""Build the teaching pages from real runs. The words come from the catalogue, the
numbers from torch; nothing here imports torch itself (the runs do, lazily)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lstm_shapes._version import __version__
from lstm_shapes.report.explain import Report
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import diagram, live
from lstm_shapes.teach.catalogue import Messages
from lstm_shapes.teach.cell import CellRun
from lstm_shapes.teach.doc import Block, Bullets, Page, Para, Pre, Section, Table, section
from lstm_shapes.teach.gates import GatesRun
from lstm_shapes.teach.heads import HeadsRun
from lstm_shapes.teach.myths import MythRun

SYMBOLS = ("N", "L", "D", "H_in", "H_cell", "H_out", "num_layers")


def _shape(shape: Sequence[int]) -> str:
    return live.fmt_shape(shape)


def run_line(t: Messages, report: Report) -> Para:
    run = report.run
    if run.mode == "reduced":  # the shapes are theory's, checked at small sizes
        return Para(
            t(
                "run.line.reduced",
                torch=run.torch_version,
                seed=run.seed,
                sizes=run.reduced_sizes,
                reason=run.reason,
            )
        )
    return Para(t("run.line", torch=run.torch_version, seed=run.seed))


def cube_section(t: Messages, report: Report) -> Section:
    spec = report.spec
    key = "cube.lead.bf" if spec.module.batch_first else "cube.lead.tm"
    shape = _shape(report.tensors["input"].shape)
    return section(
        t("cube.title"),
        Para(t(key, shape=shape)),
        Pre(diagram.cube(spec), name="cube", compact=diagram.cube_compact(spec)),
        anchor="cube",
    )


def diagram_section(t: Messages, report: Report) -> Section:
    spec, m = report.spec, report.spec.module
    shapes = {name: _shape(tensor.shape) for name, tensor in report.tensors.items()}
    bi = m.D == 2
    picture = diagram.unrolled(spec)
    lead = [Para(t("diagram.lead"))]
    if bi:
        lead.append(Para(t("diagram.lead.bi")))
    legend = [
        t("diagram.output.bi", shape=shapes["output"], dh=m.D * m.H_out)
        if bi
        else t("diagram.output", shape=shapes["output"]),
        t("diagram.hn.bi" if bi else "diagram.hn", shape=shapes["hn"]),
        t("diagram.cn", shape=shapes["cn"], hc=m.H_cell),
        t("diagram.h0", h0=shapes["h0"], c0=shapes["c0"]),
    ]
    if "…" in picture or m.num_layers > diagram.MAX_LAYERS:
        legend.append(t("diagram.elided", steps=spec.input.seq_len, layers=m.num_layers))
    return section(
        t("diagram.title"),
        lead,
        Pre(picture, name="unrolled", compact=diagram.unrolled_compact(spec)),
        Bullets(tuple(legend)),
        anchor="diagram",
    )


def symbols_section(t: Messages, spec: Spec) -> Section:
    m = spec.module
    values = {
        "N": spec.input.batch,
        "L": spec.input.seq_len,
        "D": m.D,
        "H_in": m.input_size,
        "H_cell": m.H_cell,
        "H_out": m.H_out,
        "num_layers": m.num_layers,
    }
    rows = tuple((s, t(f"sym.{s}"), str(values[s])) for s in SYMBOLS)
    table = Table(
        (t("col.symbol"), t("col.meaning"), t("col.value")),
        rows,
        ("l", "l", "r"),
        (0,),
        "symbols",
    )
    return section(t("symbols.title"), table, anchor="symbols")


def args_section(t: Messages, spec: Spec) -> Section:
    m = spec.module
    rows = []
    for name in (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
    ):
        rows.append((name, str(getattr(m, name)), t(f"arg.{name}")))
    table = Table(
        (t("col.argument"), t("col.value"), t("col.effect")),
        tuple(rows),
        ("l", "l", "l"),
        (0, 1),
        "arguments",
    )
    return section(t("args.title"), Pre(m.constructor(), "code"), table, anchor="arguments")


def shapes_section(t: Messages, report: Report, variants: Sequence[Report] = ()) -> Section:
    rows = tuple(
        (name, _shape(tensor.shape), tensor.symbols, t(f"tensor.{name}"))
        for name, tensor in report.tensors.items()
    )
    blocks: list[Block] = [
        Table(
            (t("col.tensor"), t("col.shape"), t("col.symbols"), t("col.meaning")),
            rows,
            ("l", "l", "l", "l"),
            (0, 1, 2),
            "shapes",
        )
    ]
    if variants:
        header = (
            t("col.tensor") + " \\ (batch_first, bidirectional)",
            *(f"({r.spec.module.batch_first}, {r.spec.module.bidirectional})" for r in variants),
        )
        vrows = tuple(
            (name, *(_shape(r.tensors[name].shape) for r in variants)) for name in report.tensors
        )
        blocks += [
            Para(t("variants.lead")),
            Table(header, vrows, ("l",) * len(header), tuple(range(len(header))), "variants"),
            Bullets((t("variants.rule.batch_first"), t("variants.rule.bidirectional"))),
        ]
    return section(t("shapes.title"), blocks, anchor="shapes")


def params_section(t: Messages, report: Report) -> Section:
    m = report.spec.module
    rows = []
    for p in report.parameters:
        kind = p.name.split("_l")[0]
        columns = "H_in" if p.layer == 0 else "D*H_out"
        symbols = {
            "weight_ih": f"(4*H_cell, {columns})",
            "weight_hh": "(4*H_cell, H_out)",
            "bias_ih": "(4*H_cell,)",
            "bias_hh": "(4*H_cell,)",
            "weight_hr": "(H_out, H_cell)",
        }[kind]
        rows.append((p.name, _shape(p.shape), symbols, f"{p.numel:,}"))
    del m
    table = Table(
        (t("col.parameter"), t("col.shape"), t("col.symbols"), t("col.count")),
        tuple(rows),
        ("l", "l", "l", "r"),
        (0, 1, 2),
        "parameters",
    )
    lead = Para(t("params.lead", count=f"{report.parameter_count:,}"))
    return section(t("params.title"), lead, table, anchor="parameters")


EQUATIONS = """\
i_t = σ(x_t W_iiᵀ + b_ii + h_{t-1} W_hiᵀ + b_hi)
f_t = σ(x_t W_ifᵀ + b_if + h_{t-1} W_hfᵀ + b_hf)
g_t = tanh(x_t W_igᵀ + b_ig + h_{t-1} W_hgᵀ + b_hg)
o_t = σ(x_t W_ioᵀ + b_io + h_{t-1} W_hoᵀ + b_ho)
c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
"""


def gates_section(t: Messages, run: GatesRun) -> Section:
    m = run.spec.module
    # without bias, torch adds no b_* terms: the equations show what ran
    equations = EQUATIONS if m.bias else re.sub(r" \+ b_\w\w", "", EQUATIONS)
    if m.proj_size:
        equations += "h_t = (o_t ⊙ tanh(c_t)) W_hrᵀ\n"
    else:
        equations += "h_t = o_t ⊙ tanh(c_t)\n"
    blocks: list[Block] = [Para(t("gates.lead")), Pre(equations, "picture", "equations")]
    if m.proj_size:
        blocks.append(Para(t("gates.proj", p=m.proj_size, hc=m.H_cell)))
    for layer in run.layers[:2]:
        title = "gates.layer.above" if layer.layer == 1 and m.num_layers > 2 else "gates.layer"
        rows = []
        for term in layer.terms:
            source = term.source
            if term.symbol == "x_t" and not source:
                key = "gates.x.above.bi" if m.D == 2 else "gates.x.above"
                source = t(key, below=layer.layer - 1)
            rows.append((term.symbol, source, term.shape, term.symbols))
        blocks.append(Para(t(title, layer=layer.layer)))
        blocks.append(
            Table(
                (t("col.term"), t("col.torch"), t("col.shape"), t("col.symbols")),
                tuple(rows),
                ("l", "l", "l", "l"),
                (0, 1, 2, 3),
                f"gates-layer-{layer.layer}",
            )
        )
    checks = tuple(
        t(
            "gates.check" if layer.max_abs_diff <= live.TOLERANCE else "gates.check.failed",
            layer=layer.layer,
            diff=live.fmt_diff(layer.max_abs_diff),
        )
        for layer in run.layers
    )
    blocks.append(Bullets(checks + ((t("gates.reverse"),) if m.D == 2 else ())))
    return section(t("gates.title"), blocks, anchor="gates")


def cell_section(t: Messages, run: CellRun | None, spec: Spec) -> Section:
    if run is None:
        return section(
            t("cell.title"), Para(t("cell.proj", p=spec.module.proj_size)), anchor="cell"
        )
    steps = tuple(
        (
            s.cell,
            t(f"dir.{s.direction}"),
            s.x_t,
            f"{s.h_in}, {s.c_in}",
            f"{s.h_out}, {s.c_out}",
        )
        for s in run.first_step
    )
    compare = tuple(
        (
            c.name,
            c.lstm_shape,
            c.loop_shape,
            live.fmt_diff(c.max_abs_diff),
            t("verdict.equal" if c.equal else "verdict.differs"),
        )
        for c in run.comparisons
    )
    return section(
        t("cell.title"),
        Para(t("cell.lead")),
        Pre(run.code, "code", "cell-loop"),
        Para(t("cell.first.title")),
        Table(
            (
                t("col.cell"),
                t("col.direction"),
                t("col.x_t"),
                t("col.state_in"),
                t("col.state_out"),
            ),
            steps,
            ("l", "l", "l", "l", "l"),
            (0, 2, 3, 4),
            "cell-first-step",
        ),
        Para(t("cell.compare.title")),
        Table(
            (t("col.tensor"), t("col.lstm"), t("col.loop"), t("col.diff"), t("col.verdict")),
            compare,
            ("l", "l", "l", "r", "l"),
            (0, 1, 2),
            "cell-comparison",
        ),
        Para(t("cell.ok", tol=live.TOLERANCE) if run.ok else t("cell.bad")),
        anchor="cell",
    )


def heads_section(t: Messages, run: HeadsRun) -> Section:
    spec, m = run.spec, run.spec.module
    rows = tuple(
        (h.head, h.features_expr, h.features_shape, f"{h.result_shape} {h.result_symbols}")
        for h in run.heads
    )
    notes = [t(f"heads.{h.head}") for h in run.heads]
    if m.D == 1:
        expr = "output[:, -1]" if m.batch_first else "output[-1]"
        notes.append(t("heads.summary.uni", expr=expr, diff=live.fmt_diff(run.summary_diff)))
    else:
        h = m.H_out
        fwd = f"output[:, -1, :{h}]" if m.batch_first else f"output[-1, :, :{h}]"
        bwd = f"output[:, 0, {h}:]" if m.batch_first else f"output[0, :, {h}:]"
        wrong = f"output[:, -1, {h}:]" if m.batch_first else f"output[-1, :, {h}:]"
        notes.append(t("heads.summary.bi", fwd=fwd, bwd=bwd, diff=live.fmt_diff(run.summary_diff)))
        if spec.input.seq_len > 1:  # with one step, the last step is also t=0
            diff = live.fmt_diff(run.backward_last_step_diff or 0)
            notes.append(t("heads.not_last", wrong=wrong, diff=diff))
    if run.wrong_in_features_error:
        notes.append(
            t("heads.wrong", h=m.hidden_size, k=run.out_features, error=run.wrong_in_features_error)
        )
    else:
        notes.append(t("heads.coincide", h=m.hidden_size))
    return section(
        t("heads.title"),
        Para(t("heads.lead", d=m.D, h=m.H_out, dh=run.in_features)),
        Table(
            (t("col.head"), t("col.reads"), t("col.features"), t("col.result")),
            rows,
            ("l", "l", "l", "l"),
            (0, 1, 2, 3),
            "heads",
        ),
        Bullets(tuple(notes)),
        Pre("\n\n".join(h.code for h in run.heads) + "\n", "code", "heads-code"),
        anchor="heads",
    )


def myth_texts(t: Messages, myths: Sequence[MythRun]) -> list[dict[str, object]]:
    """The JSON objects of ``myths --format json``: claim and evidence in ``t``'s language."""
    return [
        {
            "id": m.id,
            "claim": t(f"myth.{m.id}.claim"),
            "holds": m.holds,
            "evidence": t(f"myth.{m.id}.evidence", **m.values),
            "setup": m.setup,
        }
        for m in myths
    ]


def myths_section(t: Messages, myths: Sequence[MythRun], torch_version: str) -> Section:
    rows = tuple(
        (
            str(k + 1),
            str(item["claim"]),
            t("verdict.holds" if item["holds"] else "verdict.fails"),
            f"{item['evidence']}\n`{item['setup']}`",
        )
        for k, item in enumerate(myth_texts(t, myths))
    )
    wrong = sum(not m.holds for m in myths)
    return section(
        t("myths.title"),
        Para(t("myths.lead", torch=torch_version, count=len(myths), wrong=wrong)),
        Table(
            ("#", t("col.claim"), t("col.verdict"), t("col.evidence")),
            rows,
            ("r", "l", "l", "l"),
            (),
            "myths",
        ),
        anchor="myths",
    )


def code_section(t: Messages, report: Report) -> Section:
    names = list(report.tensors)
    code = (
        "\n".join(report.code)
        + "\n"
        + "".join(
            f"print({name!r}, tuple({'x' if name == 'input' else name}.shape))\n"
            for name in names
            if name not in ("h0", "c0")
        )
    )
    return section(t("code.title"), Para(t("code.lead")), Pre(code, "code", "code"), anchor="code")


def page(
    t: Messages, title: str, report: Report, sections: Sequence[Section], command: str
) -> Page:
    """A page of one or more sections; a one-section page keeps its title once."""
    if len(sections) == 1:
        sections = [Section("", sections[0].blocks, sections[0].anchor)]
    return Page(
        title=title,
        subtitle=report.spec.module.constructor(),
        sections=(
            Section(
                "",
                (
                    run_line(t, report),
                    Para(t("run.sizes", sizes=report.spec.sizes_line())),
                ),
            ),
            *sections,
        ),
        lang=t.lang,
        footer=t("footer", version=__version__, command=command),
    )
