"""The teaching pictures as SVG, drawn from a :class:`~lstm_shapes.teach.doc.Figure`.

Every label is a name or a size from the run (``facts``), or one of the few words the
page's language gives (``labels``). Long sequences and deep stacks are elided as in the
terminal picture (the same step and layer choices); elements that belong to time step t
carry ``data-t`` so the handout's stepper can highlight them.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from lstm_shapes.render.svg import Drawing, text_width
from lstm_shapes.teach.diagram import shown_layers, shown_steps
from lstm_shapes.teach.doc import Figure


def draw(figure: Figure) -> str:
    """The SVG text of ``figure``."""
    drawing = Drawing(figure.name, figure.title, figure.desc)
    top = _reduced_banner(drawing, figure)
    DRAWERS[figure.name](drawing, figure.facts, figure.labels, top)
    return drawing.finish()


def _reduced_banner(d: Drawing, figure: Figure) -> float:
    """A reduced run says so above the picture, as ``explain`` does."""
    note = figure.labels.get("reduced", "")
    if not figure.facts.get("reduced") or not note:
        return 8.0
    d.text(8, 18, note, cls="note", anchor="start")
    return 30.0


def _step(facts: dict[str, Any], name: str, t: int | str) -> str:
    if facts.get("unbatched"):
        return f"{name}[{t}]"
    return f"{name}[:, {t}]" if facts["batch_first"] else f"{name}[{t}]"


def _label_box(
    d: Drawing,
    x: float,
    y: float,
    lines: list[str],
    cls: str = "box",
    min_width: float = 0.0,
    **attrs: Any,
) -> tuple[float, float, str]:
    """A box sized to hold ``lines`` (centred); returns its width, height and id."""
    width = max([min_width] + [text_width(line) + 14 for line in lines])
    height = 8 + 15 * len(lines)
    box = d.rect(x, y, width, height, cls, **attrs)
    for k, line in enumerate(lines):
        d.text(x + width / 2, y + 18 + 15 * k, line, inside=box, **attrs)
    return width, height, box


# the data cube ------------------------------------------------------------------------


def cube(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """An oblique box: dim 0 upright, dim 1 in depth, dim 2 (H_in) across, cut into one
    slice per time step, and slice t lifted out beside it."""
    n, length, h_in = facts["batch"], facts["seq_len"], facts["input_size"]
    bf = facts["batch_first"]
    dims = [("N", n), ("L", length)] if bf else [("L", length), ("N", n)]
    dims.append(("H_in", h_in))
    across, up, depth = 150.0, 110.0, 90.0
    dx, dy = depth * 0.7, depth * 0.5
    x0, y0 = 120.0, top + dy + 20

    def at(a: float, u: float, p: float) -> tuple[float, float]:
        """across a, up u (from the bottom), depth p, in 0..1."""
        return (x0 + a * across + p * dx, y0 + up - u * up - p * dy)

    d.polygon([at(0, 1, 0), at(1, 1, 0), at(1, 1, 1), at(0, 1, 1)], "face top")
    d.polygon([at(1, 0, 0), at(1, 0, 1), at(1, 1, 1), at(1, 1, 0)], "face side")
    d.polygon([at(0, 0, 0), at(1, 0, 0), at(1, 1, 0), at(0, 1, 0)], "face")
    steps = shown_steps(length)
    drawn = [t for t in steps if t is not None]
    for k, t in enumerate(drawn):
        f = (t + 0.5) / length if len(drawn) == length else (k + 0.5) / len(drawn)
        if bf:  # time runs in depth: a slice is an upright (N, H_in) plane
            plane = [at(0, 0, f), at(1, 0, f), at(1, 1, f), at(0, 1, f)]
        else:  # time runs upright: a slice is a flat (N, H_in) plane
            plane = [at(0, 1 - f, 0), at(1, 1 - f, 0), at(1, 1 - f, 1), at(0, 1 - f, 1)]
        d.polygon(plane, "slice", data_t=t)
    # the three dimensions, named and sized
    name0, name1, name2 = (f"dim {k}: {s}={v}" for k, (s, v) in enumerate(dims))
    d.text(x0 - 8, y0 + up / 2 + 4, name0, anchor="end")
    lx, ly = at(1, 0.5, 1)
    d.text(lx + 10, ly + 4, name1, anchor="start")
    bx, by = at(0.5, 0, 0)
    d.text(bx, by + 18, name2)
    # one slice lifted out: the (N, H_in) matrix the layer reads at step t
    sx = x0 + across + dx + 30 + text_width(name1)
    side = min(up, 90.0)
    sy = y0 + (up - side) / 2
    d.line([(x0 + across + dx + 8, y0 + up / 2 + 20), (sx - 6, y0 + up / 2 + 20)])
    box = d.rect(sx, sy, 140, side, "lifted")
    label = d.text(sx + 70, sy + side / 2 - 6, _step(facts, "x", drawn[0]), inside=box)
    label.set("data-step-label", _step(facts, "x", "{t}"))
    d.text(sx + 70, sy + side / 2 + 12, f"({n}, {h_in})", inside=box)
    d.text(sx + 70, sy + side / 2 + 28, "(N, H_in)", cls="muted small", inside=box)
    d.text(sx + 70, sy + side + 18, labels.get("slice", ""), cls="muted small")


# the unrolled network -----------------------------------------------------------------


def unrolled(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """Layers x directions as rows (top layer first), time steps as columns."""
    length, D = facts["seq_len"], facts["D"]
    layers = shown_layers(facts["num_layers"])
    steps = shown_steps(length)
    has_c = facts["has_cell"]
    last = D * facts["num_layers"] - 1
    col_w = max(76.0, text_width(_step(facts, "output", length - 1)) + 16)
    box_w, box_h, row_h = 62.0, 26.0, 44.0
    edge = text_width(f"h0[{last}], c0[{last}]" if has_c else f"h0[{last}]") + 22
    left = 8 + 56 + edge
    rows: list[tuple[int | None, int]] = []
    for layer in reversed(layers):
        for dd in (1, 0) if D == 2 else (0,):
            rows.append((layer, dd))
            if layer is None:
                break
    xs: list[float] = []
    x = left
    for t in steps:
        xs.append(x + (col_w if t is not None else 30) / 2)
        x += col_w if t is not None else 30
    right = x
    y = top + 12
    for t, cx in zip(steps, xs, strict=True):
        d.text(cx, y, "…" if t is None else f"t={t}", cls="muted", data_t=t)
    y += 20
    for t, cx in zip(steps, xs, strict=True):
        if t is not None:
            d.text(cx, y, _step(facts, "output", t), cls="small", data_t=t)
    y += 10
    first_row_y = y + 22
    geometry = (xs, right, first_row_y, row_h, box_w, box_h)
    for r in range(len(rows)):
        _unrolled_row(d, facts, rows, r, steps, geometry)
    bottom = first_row_y + len(rows) * row_h
    for t, cx in zip(steps, xs, strict=True):
        if t is not None:
            d.line([(cx, bottom + 4), (cx, bottom - row_h + box_h + 4)], cls="arrow")
            d.text(cx, bottom + 20, _step(facts, "x", t), cls="small", data_t=t)
    d.text(8, bottom + 44, labels.get("legend", ""), anchor="start", cls="muted small")


def _unrolled_row(
    d: Drawing,
    facts: dict[str, Any],
    rows: list[tuple[int | None, int]],
    r: int,
    steps: list[int | None],
    geometry: tuple[list[float], float, float, float, float, float],
) -> None:
    """Row ``r`` of the unrolled network: its boxes, the arrows along it and up from it,
    and the states where it starts and ends."""
    xs, right, first_row_y, row_h, box_w, box_h = geometry
    layer, dd = rows[r]
    D, has_c = facts["D"], facts["has_cell"]
    ry = first_row_y + r * row_h
    mid = ry + box_h / 2
    if layer is None:
        d.text(8 + 28, mid + 4, "⋮")
        for t, cx in zip(steps, xs, strict=True):
            if t is not None:
                d.text(cx, mid + 4, "⋮")
        return
    k = layer * D + dd
    backward = dd == 1
    arrow = "←" if backward else "→"
    d.text(8, mid + 4, f"l{layer} {arrow}", anchor="start")
    start = f"h0[{k}], c0[{k}]" if has_c else f"h0[{k}]"
    end = f"hn[{k}], cn[{k}]" if has_c else f"hn[{k}]"
    cls = "box back" if backward else ("box top" if r == 0 else "box")
    for t, cx in zip(steps, xs, strict=True):
        if t is None:
            d.text(cx, mid + 4, "…")
            continue
        box = d.rect(cx - box_w / 2, ry, box_w, box_h, cls, data_t=t)
        d.text(cx, mid + 4, f"l{layer} {arrow}", inside=box, cls="small")
        if r == 0:  # the top layer's h is output at this step
            d.line([(cx, ry), (cx, first_row_y - 22 + 6)], cls="arrow")
        elif rows[r - 1][0] != layer:  # h goes up to the layer above
            d.line([(cx, ry), (cx, ry - row_h + box_h + 2)], cls="arrow")
    # h (and c) along the row, in the direction of the row's time
    for a, b in pairwise(xs):
        p, q = a + box_w / 2 + 2, b - box_w / 2 - 2
        if backward:
            p, q = q, p
        d.line([(p, mid), (q, mid)], cls="arrow back" if backward else "arrow")
    first_x, last_x = xs[0] - box_w / 2, xs[-1] + box_w / 2
    if backward:
        d.text(right + 4, mid + 4, start, anchor="start", cls="small")
        d.line([(right + 2, mid), (last_x + 2, mid)], cls="arrow back")
        d.text(first_x - 14, mid + 4, end, anchor="end", cls="small")
        d.line([(first_x - 2, mid), (first_x - 12, mid)], cls="arrow back")
    else:
        d.text(first_x - 14, mid + 4, start, anchor="end", cls="small")
        d.line([(first_x - 12, mid), (first_x - 2, mid)], cls="arrow")
        d.text(last_x + 6, mid + 4, end, anchor="start", cls="small")


# output's two halves -------------------------------------------------------------------


def halves(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """output at the last step and at t=0, split into the forward and backward halves,
    with arrows to the hn rows each half equals."""
    length, D, h = facts["seq_len"], facts["D"], facts["H_out"]
    bar = 240.0
    x0 = 8 + max(text_width(_step(facts, "output", length - 1)), text_width("output")) + 16
    y = top + 14
    rows = [length - 1, 0] if D == 2 and length > 1 else [length - 1]
    hn_x = x0 + bar + 150
    for r, t in enumerate(rows):
        ry = y + r * 70
        d.text(x0 - 10, ry + 20, _step(facts, "output", t), anchor="end")
        if D == 1:
            box = d.rect(x0, ry, bar, 30, "box top", data_t=t)
            d.text(x0 + bar / 2, ry + 20, f"[:{h}] {labels['forward']}", inside=box)
            d.line([(x0 + bar + 4, ry + 15), (hn_x - 6, ry + 15)])
            d.text(hn_x, ry + 20, "hn[-1]", anchor="start")
            continue
        fwd = d.rect(x0, ry, bar / 2, 30, "box top", data_t=t)
        d.text(x0 + bar / 4, ry + 20, f"[:{h}] {labels['forward']}", inside=fwd, cls="small")
        bwd = d.rect(x0 + bar / 2, ry, bar / 2, 30, "box back", data_t=t)
        d.text(x0 + 3 * bar / 4, ry + 20, f"[{h}:] {labels['backward']}", inside=bwd, cls="small")
        if t == length - 1:
            d.line([(x0 + bar / 4, ry - 2), (x0 + bar / 4, ry - 8), (hn_x - 6, ry - 8)])
            d.text(hn_x, ry - 4, "hn[-2]", anchor="start")
            if length > 1:
                cx = x0 + 3 * bar / 4
                d.line([(cx - 10, ry + 34), (cx + 10, ry + 46)], cls="cross")
                d.line([(cx - 10, ry + 46), (cx + 10, ry + 34)], cls="cross")
                wrong = f"output[:, -1, {h}:]" if facts["batch_first"] else f"output[-1, :, {h}:]"
                d.text(cx + 16, ry + 46, f"{wrong} ≠ hn[-1]", anchor="start", cls="bad small")
        if t == 0:
            cx = x0 + 3 * bar / 4
            d.line([(x0 + bar + 4, ry + 15), (hn_x - 6, ry + 15)], cls="arrow back")
            d.text(hn_x, ry + 20, "hn[-1]", anchor="start")
            d.text(cx, ry + 48, labels.get("backward_end", ""), cls="muted small")
    d.text(8, y + len(rows) * 70 + 10, f"D*H_out = {D}*{h} = {D * h}", anchor="start")


# one cell -------------------------------------------------------------------------------

GATE_ORDER = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ("h",)}


def cell(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """One step of one layer: the inputs at the bottom, the gates in a row, the state
    update on top, with each term's shape."""
    kind = facts["kind"]
    n_part = "" if facts.get("unbatched") else f"{facts['batch']}, "
    hc, ho = facts["H_cell"], facts["H_out"]
    gates = GATE_ORDER[kind]
    x, y = 8.0, top + 10
    # the state line on top
    if kind == "lstm":
        d.text(x, y + 14, f"c_(t-1) ({n_part}{hc})", anchor="start", cls="small")
    gate_y = y + 70
    gx = x
    centres = []
    for g in gates:
        name = labels.get(f"gate.{g}", g)
        act = "σ" if (kind, g) not in (("lstm", "g"), ("gru", "n"), ("rnn", "h")) else "tanh"
        if kind == "rnn":
            act = facts.get("nonlinearity", "tanh")
        lines = [f"{g}_t = {act}(…)", name, f"({n_part}{hc})"]
        w, _, _ = _label_box(d, gx, gate_y, lines, "box gate", min_width=120)
        centres.append(gx + w / 2)
        gx += w + 14
    right = gx - 14
    state_y = y + 24
    if kind == "lstm":
        d.line([(x + 4, state_y + 6), (right - 120, state_y + 6)], cls="arrow c")
        d.text(right - 116, state_y + 10, f"c_t ({n_part}{hc})", anchor="start", cls="small")
    else:  # no cell state: the gates make h_t
        d.line([(centres[0], state_y + 6), (right + 6, state_y + 6)], cls="arrow")
        d.text(right + 10, state_y + 10, f"h_t ({n_part}{ho})", anchor="start", cls="small")
    for cx in centres:
        d.line([(cx, gate_y), (cx, state_y + 12)])
    # the inputs below
    in_y = gate_y + 8 + 15 * 3 + 36
    d.text(x, in_y, f"x_t ({n_part}{facts['layer0_in']})", anchor="start")
    d.text(x + 200, in_y, f"h_(t-1) ({n_part}{ho})", anchor="start")
    for cx in centres:
        d.line([(cx, in_y - 14), (cx, gate_y + 8 + 45 + 2)])
    out_y = in_y + 30
    h_rule = {
        "lstm": "h_t = o_t ⊙ tanh(c_t)",
        "gru": "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_(t-1)",
        "rnn": "h_t",
    }[kind]
    if facts.get("proj_size"):
        h_rule = "h_t = (o_t ⊙ tanh(c_t)) W_hrᵀ"
    h_text = f"{h_rule}  ({n_part}{ho})"
    if facts.get("proj_size"):
        _label_box(
            d,
            x,
            out_y,
            [f"W_hr ({ho}, {hc}): {labels.get('proj', 'projection')}", h_text],
            "box state",
        )
    else:
        d.text(x, out_y + 14, h_text, anchor="start")
    d.text(
        x,
        out_y + (64 if facts.get("proj_size") else 44),
        labels.get("weights", ""),
        anchor="start",
        cls="muted small",
    )


# a packed batch -------------------------------------------------------------------------


def packed(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """Sequences as rows, steps as columns: real steps filled, padding greyed, torch's
    batch_sizes under each step, and each sequence's hn at its last real step."""
    lengths, sizes = facts["lengths"], facts["batch_sizes"]
    length = facts["seq_len"]
    steps = _packed_steps(length)
    cw, ch = 34.0, 24.0
    label_w = 8 + text_width(f"b={len(lengths) - 1}, n={length}") + 12
    y = top + 14
    xs = []
    x = label_w
    for t in steps:
        xs.append(x)
        x += cw if t is not None else 24
    for t, cx in zip(steps, xs, strict=True):
        d.text(
            cx + cw / 2 if t is not None else cx + 12,
            y,
            "…" if t is None else str(t),
            cls="muted small",
            data_t=t,
        )
    y += 8
    rows = _packed_rows(len(lengths))
    for r, b in enumerate(rows):
        ry = y + r * (ch + 6)
        if b is None:  # sequences left out
            d.text(8 + 20, ry + 16, "⋮")
            continue
        real = lengths[b]
        d.text(8, ry + 16, f"b={b}, n={real}", anchor="start", cls="small")
        for t, cx in zip(steps, xs, strict=True):
            if t is None:
                d.text(cx + 12, ry + 16, "…")
                continue
            cls = "box" if t < real else "box pad"
            box = d.rect(cx, ry, cw - 4, ch, cls, data_t=t)
            if t == real - 1:
                d.text(cx + (cw - 4) / 2, ry + 16, "hn", inside=box, cls="small bad")
        if real - 1 not in steps:
            d.text(x + 8, ry + 16, f"hn @ t={real - 1}", anchor="start", cls="small bad")
    sy = y + len(rows) * (ch + 6) + 16
    d.text(8, sy, "batch_sizes", anchor="start", cls="small")
    for t, cx in zip(steps, xs, strict=True):
        if t is not None:
            d.text(
                cx + (cw - 4) / 2,
                sy,
                str(sizes[t]) if t < len(sizes) else "0",
                cls="small",
                data_t=t,
            )
    d.text(8, sy + 24, labels.get("legend", ""), anchor="start", cls="muted small")


def _packed_rows(batch: int) -> list[int | None]:
    """Sequences to draw: all up to 8, else the first 4, ⋮, the last 2."""
    if batch <= 8:
        return list(range(batch))
    return [0, 1, 2, 3, None, batch - 2, batch - 1]


def _packed_steps(length: int) -> list[int | None]:
    if length <= 12:
        return list(range(length))
    return [*range(6), None, *range(length - 5, length)]


# the two heads --------------------------------------------------------------------------


def heads(d: Drawing, facts: dict[str, Any], labels: dict[str, str], top: float) -> None:
    """Two rows: the last-step head (N, K) and the every-step head (N, L, K)."""
    k = facts["out_features"]
    features = facts["D"] * facts["H_out"]
    shapes = facts["shapes"]
    y = top + 8
    rows = [
        (
            labels.get("last", "last"),
            facts["summary_expr"],
            facts["summary_shape"],
            facts["last_shape"],
            "(N, K)",
        ),
        (
            labels.get("every", "every"),
            "output",
            shapes["output"],
            facts["every_shape"],
            "(N, L, K)" if facts["batch_first"] else "(L, N, K)",
        ),
    ]
    for name, expr, shape, result, symbols in rows:
        d.text(8, y + 14, name, anchor="start", cls="title")
        y += 22
        w1, h1, _ = _label_box(d, 8, y, [expr, shape])
        lin_x = 8 + w1 + 40
        d.line([(8 + w1 + 2, y + h1 / 2), (lin_x - 2, y + h1 / 2)])
        w2, h2, _ = _label_box(
            d, lin_x, y, [f"nn.Linear({features}, {k})", "in_features = D*H_out"], "box gate"
        )
        out_x = lin_x + w2 + 40
        d.line([(lin_x + w2 + 2, y + h1 / 2), (out_x - 2, y + h1 / 2)])
        _label_box(d, out_x, y, [result, symbols], "box top")
        y += max(h1, h2) + 18


DRAWERS: dict[str, Callable[[Drawing, dict[str, Any], dict[str, str], float], None]] = {
    "cube": cube,
    "unrolled": unrolled,
    "halves": halves,
    "cell": cell,
    "packed": packed,
    "heads": heads,
}
