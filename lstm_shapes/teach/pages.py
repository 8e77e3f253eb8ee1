"""Build the teaching pages from real runs. The words come from the catalogue, the
numbers from torch; nothing here imports torch itself (the runs do, lazily)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lstm_shapes._version import __version__
from lstm_shapes.report.explain import Report
from lstm_shapes.report.teaching import (
    TOLERANCE,
    CellRun,
    Exercise,
    GatesRun,
    HeadsRun,
    MythRun,
    PackedPicture,
    Worked,
    fmt_diff,
    fmt_shape,
    within,
)
from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import diagram, figures
from lstm_shapes.teach.catalogue import Messages
from lstm_shapes.teach.doc import (
    Block,
    Bullets,
    Equations,
    Page,
    Para,
    Pre,
    Section,
    Stepper,
    Table,
    section,
)

SYMBOLS = ("N", "L", "D", "H_in", "H_cell", "H_out", "num_layers")


def _shape(shape: Sequence[int]) -> str:
    return fmt_shape(shape)


def kinded(t: Messages, spec: Spec, key: str, **values: object) -> str:
    """A message that names nn.LSTM, for the module's own kind (nn.GRU, nn.RNN)."""
    text = t(key, **values)
    return text if spec.module.kind == "lstm" else text.replace("LSTM", spec.module.class_name)


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
        Stepper(spec.input.seq_len, t("stepper.label")),
        figures.cube(t, report),
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
    ]
    if m.has_cell:
        legend.append(t("diagram.cn", shape=shapes["cn"], hc=m.H_cell))
        legend.append(t("diagram.h0", h0=shapes["h0"], c0=shapes["c0"]))
    else:
        legend.append(t("diagram.h0.only", h0=shapes["h0"]))
    if "…" in picture or m.num_layers > diagram.MAX_LAYERS:
        legend.append(t("diagram.elided", steps=spec.input.seq_len, layers=m.num_layers))
    return section(
        t("diagram.title"),
        lead,
        figures.unrolled(t, report),
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
        "proj_size" if m.kind == "lstm" else "nonlinearity" if m.kind == "rnn" else "",
    ):
        if name:
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
    # the row blocks: 4 gates for LSTM, 3 for GRU, 1 for RNN
    rows_of = f"{m.gates}*H_cell" if m.has_cell else f"{m.gates}*H_out" if m.gates > 1 else "H_out"
    rows = []
    for p in report.parameters:
        kind = p.name.split("_l")[0]
        columns = "H_in" if p.layer == 0 else "D*H_out"
        symbols = {
            "weight_ih": f"({rows_of}, {columns})",
            "weight_hh": f"({rows_of}, H_out)",
            "bias_ih": f"({rows_of},)",
            "bias_hh": f"({rows_of},)",
            "weight_hr": "(H_out, H_cell)",
        }[kind]
        rows.append((p.name, _shape(p.shape), symbols, f"{p.numel:,}"))
    table = Table(
        (t("col.parameter"), t("col.shape"), t("col.symbols"), t("col.count")),
        tuple(rows),
        ("l", "l", "l", "r"),
        (0, 1, 2),
        "parameters",
    )
    lead = Para(t("params.lead", count=f"{report.parameter_count:,}"))
    return section(t("params.title"), lead, table, anchor="parameters")


EQUATIONS = {
    "lstm": (
        "i_t = σ(x_t W_iiᵀ + b_ii + h_{t-1} W_hiᵀ + b_hi)",
        "f_t = σ(x_t W_ifᵀ + b_if + h_{t-1} W_hfᵀ + b_hf)",
        "g_t = tanh(x_t W_igᵀ + b_ig + h_{t-1} W_hgᵀ + b_hg)",
        "o_t = σ(x_t W_ioᵀ + b_io + h_{t-1} W_hoᵀ + b_ho)",
        "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t",
        "h_t = o_t ⊙ tanh(c_t)",
    ),
    "gru": (
        "r_t = σ(x_t W_irᵀ + b_ir + h_{t-1} W_hrᵀ + b_hr)",
        "z_t = σ(x_t W_izᵀ + b_iz + h_{t-1} W_hzᵀ + b_hz)",
        "n_t = tanh(x_t W_inᵀ + b_in + r_t ⊙ (h_{t-1} W_hnᵀ + b_hn))",
        "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}",
    ),
    "rnn": ("h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)",),
}
GATE_LETTERS = {"lstm": "ifgo", "gru": "rzn", "rnn": "h"}


def equations_block(t: Messages, run: GatesRun) -> Equations:
    """The recurrence of the module's kind, each left-hand side with its shape at layer 0."""
    m = run.spec.module
    lines = list(EQUATIONS[m.kind])
    if m.kind == "rnn" and m.nonlinearity == "relu":
        lines = [line.replace("tanh", "relu") for line in lines]
    if m.proj_size:
        lines[-1] = "h_t = (o_t ⊙ tanh(c_t)) W_hrᵀ"
    terms = {term.symbol: term.shape for term in run.layers[0].terms}
    gate_shape = next((v for k, v in terms.items() if k.endswith("_t") and "," in k), "")
    shapes: dict[str, str] = {}
    for line in lines:
        lhs = line.split(" = ")[0]
        shapes[lhs] = terms.get(lhs, gate_shape)
    names = {
        g: (t(f"gate.{m.kind}.{g}.name"), t(f"gate.{m.kind}.{g}.what"))
        for g in GATE_LETTERS[m.kind]
    }
    step = "x[:, {t}]" if m.batch_first else "x[{t}]"
    return Equations(
        m.kind, "\n".join(lines) + "\n", shapes, names, bool(m.proj_size), m.nonlinearity, step
    )


def gates_section(t: Messages, run: GatesRun, report: Report | None = None) -> Section:
    m = run.spec.module
    equations = equations_block(t, run)
    order = ", ".join(GATE_LETTERS[m.kind]) if m.kind != "rnn" else "ih, hh"
    blocks: list[Block] = [Para(t("gates.lead", order=order)), equations]
    if report is not None:
        blocks.append(figures.cell(t, report))
    blocks.append(Para(t("gates.names.title")))
    blocks.append(
        Bullets(tuple(f"`{g}_t` {name}: {what}" for g, (name, what) in equations.names.items()))
    )
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
            "gates.check" if within(layer.max_abs_diff) else "gates.check.failed",
            layer=layer.layer,
            diff=fmt_diff(layer.max_abs_diff),
        )
        for layer in run.layers
    )
    blocks.append(Bullets(checks + ((t("gates.reverse"),) if m.D == 2 else ())))
    return section(t("gates.title"), blocks, anchor="gates")


def cell_section(t: Messages, run: CellRun | None, spec: Spec) -> Section:
    if run is None:
        return section(
            kinded(t, spec, "cell.title"),
            Para(t("cell.proj", p=spec.module.proj_size)),
            anchor="cell",
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
            fmt_diff(c.max_abs_diff),
            t("verdict.equal" if c.equal else "verdict.differs"),
        )
        for c in run.comparisons
    )
    return section(
        kinded(t, spec, "cell.title"),
        Para(kinded(t, spec, "cell.lead")),
        Pre(localize_code(t, run.code), "code", "cell-loop"),
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
        Para(kinded(t, spec, "cell.compare.title")),
        Table(
            (
                t("col.tensor"),
                kinded(t, spec, "col.lstm"),
                kinded(t, spec, "col.loop"),
                t("col.diff"),
                t("col.verdict"),
            ),
            compare,
            ("l", "l", "l", "r", "l"),
            (0, 1, 2),
            "cell-comparison",
        ),
        Para(
            t("cell.ok" if spec.module.has_cell else "cell.ok.h", tol=TOLERANCE)
            if run.ok
            else kinded(t, spec, "cell.bad")
        ),
        anchor="cell",
    )


def heads_section(t: Messages, run: HeadsRun, report: Report | None = None) -> Section:
    spec, m = run.spec, run.spec.module
    rows = tuple(
        (h.head, h.features_expr, h.features_shape, f"{h.result_shape} {h.result_symbols}")
        for h in run.heads
    )
    notes = [t(f"heads.{h.head}") for h in run.heads]
    if m.D == 1:
        expr = "output[:, -1]" if m.batch_first else "output[-1]"
        notes.append(t("heads.summary.uni", expr=expr, diff=fmt_diff(run.summary_diff)))
    else:
        h = m.H_out
        fwd = f"output[:, -1, :{h}]" if m.batch_first else f"output[-1, :, :{h}]"
        bwd = f"output[:, 0, {h}:]" if m.batch_first else f"output[0, :, {h}:]"
        wrong = f"output[:, -1, {h}:]" if m.batch_first else f"output[-1, :, {h}:]"
        notes.append(t("heads.summary.bi", fwd=fwd, bwd=bwd, diff=fmt_diff(run.summary_diff)))
        if spec.input.seq_len > 1:  # with one step, the last step is also t=0
            diff = fmt_diff(run.backward_last_step_diff or 0)
            notes.append(t("heads.not_last", wrong=wrong, diff=diff))
    if run.wrong_in_features_error:
        notes.append(
            t("heads.wrong", h=m.hidden_size, k=run.out_features, error=run.wrong_in_features_error)
        )
    else:
        notes.append(t("heads.coincide", h=m.hidden_size))
    return section(
        kinded(t, spec, "heads.title"),
        Para(t("heads.lead", d=m.D, h=m.H_out, dh=run.in_features)),
        Table(
            (t("col.head"), t("col.reads"), t("col.features"), t("col.result")),
            rows,
            ("l", "l", "l", "l"),
            (0, 1, 2, 3),
            "heads",
        ),
        Bullets(tuple(notes)),
        figures.heads(t, report, run) if report is not None and len(run.heads) == 2 else None,
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
    return section(
        t("code.title"),
        Para(t("code.lead")),
        Pre(localize_code(t, code), "code", "code"),
        anchor="code",
    )


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


def halves_section(t: Messages, report: Report) -> Section:
    """Where hn sits inside output: the two halves when bidirectional."""
    facts = tuple(
        f"`{fact.statement.split(': ')[0]}`: "
        + t("verdict.holds" if fact.holds else "verdict.fails")
        for fact in report.checks
        if fact.id.startswith("hn-")
    )
    return section(
        t("halves.title"),
        Para(t("halves.lead")),
        figures.halves(t, report),
        Bullets(facts) if facts else None,
        anchor="halves",
    )


def worked_section(
    t: Messages, report: Report, worked: Sequence[Worked], packed: PackedPicture | None
) -> Section:
    """The worked examples: proj_size, unbatched, packed, the parameter count."""
    blocks: list[Block] = [Para(t("worked.lead"))]
    by_id = {w.id: w for w in worked}
    m = report.spec.module
    if "proj" in by_id:
        w = by_id["proj"]
        blocks += _worked_block(t, w, t("worked.proj.title", p=w.values["p"]))
        blocks.append(Para(t("worked.proj.after", **w.values)))
    if "unbatched" in by_id:
        w = by_id["unbatched"]
        blocks += _worked_block(t, w, t("worked.unbatched.title"))
        blocks.append(Para(t("worked.unbatched.after")))
    if "packed" in by_id:
        w = by_id["packed"]
        blocks += _worked_block(t, w, t("worked.packed.title"))
        blocks.append(Para(t("worked.packed.after", **w.values)))
        if packed is not None:
            blocks.append(figures.packed(t, report, packed))
    if "params" in by_id:
        w = by_id["params"]
        proj = t("worked.params.proj") if m.proj_size else ""
        blocks.append(Para(t("worked.params.title")))
        blocks.append(Para(t("worked.params.lead", k=w.values["k"], proj=proj)))
        blocks.append(Pre(params_formula(report) + "\n", "code", "params-formula"))
        blocks.append(Para(t("worked.params.after", **w.values)))
    return section(t("worked.title"), blocks, anchor="worked")


def _worked_block(t: Messages, w: Worked, title: str) -> list[Block]:
    rows = tuple((name, shape) for name, shape in w.shapes)
    return [
        Para(title),
        Pre(localize_code(t, w.code), "code", f"worked-{w.id}"),
        Table(
            (t("col.expression"), t("col.shape")),
            rows,
            ("l", "l"),
            (0, 1),
            f"worked-{w.id}",
        ),
    ]


def params_formula(report: Report) -> str:
    """The count of each layer written out with this configuration's sizes, and the sum
    (the numbers are those of ``named_parameters()``)."""
    m = report.spec.module
    k = m.gates
    lines = []
    total = 0
    for layer in range(m.num_layers):
        width = m.input_size if layer == 0 else m.D * m.H_out
        terms = [f"{k}*{m.H_cell}*{width}", f"{k}*{m.H_cell}*{m.H_out}"]
        if m.bias:
            terms.append(f"2*{k}*{m.H_cell}")
        if m.proj_size:
            terms.append(f"{m.H_out}*{m.H_cell}")
        count = sum(p.numel for p in report.parameters if p.layer == layer)
        total += count
        times = f"{m.D}*" if m.D == 2 else ""
        lines.append(f"layer {layer}: {times}({' + '.join(terms)}) = {count:,}")
    assert total == report.parameter_count
    lines.append(f"total: {report.parameter_count:,}")
    return "\n".join(lines)


def exercises_section(t: Messages, exercises: Sequence[Exercise]) -> Section:
    items = tuple(t(e.key, **e.values) for e in exercises)
    return section(
        t("exercises.title"),
        Para(t("exercises.lead")),
        Bullets(items, ordered=True),
        anchor="exercises",
    )


def answers_section(t: Messages, exercises: Sequence[Exercise]) -> Section:
    rows = []
    for k, e in enumerate(exercises):
        answer = f"`{e.answer}`"
        if e.key == "ex.cn_holds":
            answer = f"{t('ex.cn_holds.answer')}: `{e.answer}`"
        rows.append((str(k + 1), answer))
    table = Table(("#", t("answers.title")), tuple(rows), ("r", "l"), (), "answers")
    return section(t("answers.title"), table, anchor="answers")


_COMMENT = re.compile(r"(#\s*)(.+)$")


def localize_code(t: Messages, code: str) -> str:
    """Code comments in the page's language (the code itself is the code that ran)."""
    comments = t.comments
    if not comments:
        return code
    out = []
    for line in code.split("\n"):
        match = _COMMENT.search(line)
        if match and match.group(2) in comments:
            line = line[: match.start(2)] + comments[match.group(2)]
        out.append(line)
    return "\n".join(out)


def more_pictures_section(
    t: Messages, report: Report, heads: HeadsRun | None, packed: PackedPicture | None
) -> Section:
    """The pictures the ``diagram`` page adds: one cell, a packed batch, the heads."""
    return section(
        t("pictures.title"),
        figures.cell(t, report),
        figures.packed(t, report, packed) if packed is not None else None,
        figures.heads(t, report, heads) if heads is not None and len(heads.heads) == 2 else None,
        anchor="pictures",
    )
