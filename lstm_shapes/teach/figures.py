"""The pictures of the teaching pages, as :class:`~lstm_shapes.teach.doc.Figure` blocks:
the names and sizes of the run, and the few words each drawing needs in the page's
language. ``render/pictures.py`` draws them; the terminal keeps the text pictures."""

from __future__ import annotations

from typing import Any

from lstm_shapes.report.explain import Report
from lstm_shapes.report.teaching import HeadsRun, PackedPicture, fmt_shape
from lstm_shapes.teach import diagram
from lstm_shapes.teach.catalogue import Messages
from lstm_shapes.teach.doc import Figure


def facts_of(report: Report) -> dict[str, Any]:
    """The sizes every picture may show, from the run."""
    spec, m = report.spec, report.spec.module
    return {
        "kind": m.kind,
        "batch": spec.input.batch,
        "seq_len": spec.input.seq_len,
        "unbatched": spec.input.unbatched,
        "input_size": m.input_size,
        "layer0_in": m.input_size,
        "batch_first": m.batch_first,
        "D": m.D,
        "num_layers": m.num_layers,
        "H_out": m.H_out,
        "H_cell": m.H_cell,
        "proj_size": m.proj_size,
        "has_cell": m.has_cell,
        "nonlinearity": m.nonlinearity,
        "shapes": {name: fmt_shape(tensor.shape) for name, tensor in report.tensors.items()},
        "reduced": report.run.mode == "reduced",
    }


def _common(t: Messages, report: Report) -> dict[str, str]:
    labels = {"forward": t("fig.forward"), "backward": t("fig.backward")}
    if report.run.mode == "reduced":
        labels["reduced"] = t("fig.reduced")
    return labels


def cube(t: Messages, report: Report) -> Figure:
    spec = report.spec
    shape = fmt_shape(report.tensors["input"].shape)
    layout = "(N, L, H_in)" if spec.module.batch_first else "(L, N, H_in)"
    return Figure(
        "cube",
        t("fig.cube.title", shape=shape),
        t(
            "fig.cube.desc",
            shape=shape,
            layout=layout,
            n=spec.input.batch,
            h_in=spec.module.input_size,
        ),
        facts_of(report),
        _common(t, report) | {"slice": t("fig.cube.slice")},
        diagram.cube(spec),
    )


def unrolled(t: Messages, report: Report) -> Figure:
    spec, m = report.spec, report.spec.module
    facts = facts_of(report)
    return Figure(
        "unrolled",
        t("fig.unrolled.title", kind=m.class_name),
        t(
            "fig.unrolled.desc",
            layers=m.num_layers,
            steps=spec.input.seq_len,
            d=m.D,
            output=facts["shapes"]["output"],
            hn=facts["shapes"]["hn"],
        ),
        facts,
        _common(t, report) | {"legend": t("fig.unrolled.legend")},
        diagram.unrolled(spec),
    )


def halves(t: Messages, report: Report) -> Figure:
    m = report.spec.module
    key = "fig.halves.desc.bi" if m.D == 2 else "fig.halves.desc.uni"
    return Figure(
        "halves",
        t("fig.halves.title"),
        t(key, h=m.H_out, dh=m.D * m.H_out),
        facts_of(report),
        _common(t, report) | {"backward_end": t("fig.halves.backward_end")},
    )


def cell(t: Messages, report: Report) -> Figure:
    m = report.spec.module
    labels = _common(t, report) | {
        f"gate.{g}": t(f"gate.{m.kind}.{g}.name")
        for g in {"lstm": "ifgo", "gru": "rzn", "rnn": "h"}[m.kind]
    }
    labels["proj"] = t("fig.cell.proj")
    labels["weights"] = t("fig.cell.weights", k=m.gates, h=m.H_cell)
    return Figure(
        "cell",
        t("fig.cell.title", kind=m.class_name),
        t(f"fig.cell.desc.{m.kind}", hc=m.H_cell, ho=m.H_out),
        facts_of(report),
        labels,
    )


def packed(t: Messages, report: Report, picture: PackedPicture) -> Figure:
    facts = facts_of(report) | {
        "lengths": list(picture.lengths),
        "batch_sizes": list(picture.batch_sizes),
    }
    lengths = ", ".join(map(str, picture.lengths))
    return Figure(
        "packed",
        t("fig.packed.title", lengths=lengths),
        t("fig.packed.desc", lengths=lengths),
        facts,
        _common(t, report) | {"legend": t("fig.packed.legend")},
    )


def heads(t: Messages, report: Report, run: HeadsRun) -> Figure:
    by_head = {h.head: h for h in run.heads}
    facts = facts_of(report) | {
        "out_features": run.out_features,
        "summary_expr": by_head["last"].features_expr,
        "summary_shape": by_head["last"].features_shape,
        "last_shape": by_head["last"].result_shape,
        "every_shape": by_head["every"].result_shape,
    }
    return Figure(
        "heads",
        t("fig.heads.title"),
        t("fig.heads.desc", dh=run.in_features, k=run.out_features),
        facts,
        _common(t, report) | {"last": t("heads.last"), "every": t("heads.every")},
    )
