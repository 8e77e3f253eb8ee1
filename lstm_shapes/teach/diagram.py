"""The unrolled picture and the data cube, drawn as plain text. No torch, no rich.

Rows are layers (and directions), columns are time steps; long sequences and deep stacks
are elided with ``…`` so that the picture fits in 100 columns. The labels are Python
indexing expressions, so the same picture serves every language.
"""

from __future__ import annotations

from lstm_shapes.spec.core import Spec
from lstm_shapes.teach.doc import cell_len, pad

ELLIPSIS = "…"
#: columns of time steps drawn before eliding the middle
MAX_STEPS = 4
#: layers drawn before eliding the middle
MAX_LAYERS = 3


#: the picture's width budget, in terminal columns
WIDTH = 100


def step_choices(seq_len: int) -> list[list[int | None]]:
    """Time steps to draw, the most complete first; ``None`` marks the elided middle."""
    choices: list[list[int | None]] = []
    if seq_len <= MAX_STEPS + 1:
        choices.append(list(range(seq_len)))
    if seq_len > 4:
        choices.append([0, 1, None, seq_len - 2, seq_len - 1])
    if seq_len > 2:
        choices.append([0, None, seq_len - 1])
    return choices or [list(range(seq_len))]


def shown_steps(seq_len: int) -> list[int | None]:
    return step_choices(seq_len)[0]


def shown_layers(num_layers: int) -> list[int | None]:
    if num_layers <= MAX_LAYERS:
        return list(range(num_layers))
    return [0, None, num_layers - 1]


def _step(spec: Spec, name: str, t: int) -> str:
    return f"{name}[:, {t}]" if spec.module.batch_first else f"{name}[{t}]"


def unrolled(spec: Spec) -> str:
    """The network unrolled in time, top layer first, in at most :data:`WIDTH` columns
    when the sizes allow it (fewer time steps are drawn when the labels are wide)."""
    for steps in step_choices(spec.input.seq_len):
        for gap in (2, 1):
            picture = _unrolled(spec, steps, gap)
            if max(cell_len(line) for line in picture.splitlines()) <= WIDTH:
                return picture
    return picture


def _unrolled(spec: Spec, steps: list[int | None], gap: int) -> str:
    m = spec.module
    layers = shown_layers(m.num_layers)
    last = m.D * m.num_layers - 1
    label_w = len(f"l{m.num_layers - 1} ←") + 2
    edge_w = len(f"h0[{last}],c0[{last}] ─▶")
    col_w = max(len(_step(spec, "output", spec.input.seq_len - 1)), 7) + gap

    def row(label: str, left: str, cells: list[str], right: str, fill: str = " ") -> str:
        body = ""
        for k, text in enumerate(cells):
            width = col_w if steps[k] is not None else 3
            body += _fill(text, width, fill)
        line = pad(label, label_w) + pad(left, edge_w, "r") + body + right
        return line.rstrip()

    def per_step(text: str, elided: str = "") -> list[str]:
        return [elided if t is None else text for t in steps]

    lines = [row("", "", [f"t={t}" if t is not None else "" for t in steps], "")]
    lines.append(
        row("", "", [ELLIPSIS if t is None else _step(spec, "output", t) for t in steps], "")
    )
    up = per_step("↑")
    lines.append(row("", "", up, ""))
    for layer in reversed(layers):
        if layer is None:
            lines.append(row("⋮", "", per_step("⋮"), ""))
            lines.append(row("", "", up, ""))
            continue
        for d in (1, 0) if m.D == 2 else (0,):
            k = layer * m.D + d
            if d == 0:
                box = [ELLIPSIS if t is None else f"[l{layer} →]" for t in steps]
                cells = [c if t is None else c + "─▶" for c, t in zip(box, steps, strict=True)]
                lines.append(
                    row(f"l{layer} →", f"h0[{k}],c0[{k}] ─▶", cells, f" hn[{k}],cn[{k}]", "─")
                )
            else:
                box = [ELLIPSIS if t is None else f"◀─[l{layer} ←]" for t in steps]
                lines.append(
                    row(f"l{layer} ←", f"hn[{k}],cn[{k}] ", box, f"◀─ h0[{k}],c0[{k}]", "─")
                )
        lines.append(row("", "", up, ""))
    lines.append(row("", "", [ELLIPSIS if t is None else _step(spec, "x", t) for t in steps], ""))
    return "\n".join(lines) + "\n"


def _fill(text: str, width: int, fill: str) -> str:
    gap = max(0, width - cell_len(text))
    return fill * (gap // 2) + text + fill * (gap - gap // 2)


def cube(spec: Spec) -> str:
    """The input as a box of its three dimensions, in their order for this layout, then
    cut into time slices: one ``(N, H_in)`` matrix per step."""
    length = spec.input.seq_len
    for steps in step_choices(length):
        slices = _cube(spec, steps)
        if max(cell_len(line) for line in slices.splitlines()) <= WIDTH:
            break
    return box(spec) + "\n" + slices


def box(spec: Spec) -> str:
    """An oblique box: dim 0 drawn upright, dim 1 in depth, dim 2 across."""
    m, n, length = spec.module, spec.input.batch, spec.input.seq_len
    dims = [f"N={n}", f"L={length}"] if m.batch_first else [f"L={length}", f"N={n}"]
    dims.append(f"H_in={m.input_size}")
    upright, depth, across = (f"dim {k}: {d}" for k, d in enumerate(dims))
    width, depth_rows = 22, 3  # front face width (inside), rows of depth
    right = width + 1
    grid = [[" "] * (right + depth_rows + 1) for _ in range(8)]

    def put(row: int, col: int, text: str) -> None:
        for k, ch in enumerate(text):
            grid[row][col + k] = ch

    put(0, depth_rows, "┌" + "─" * width + "┐")
    for k in (1, 2):
        put(k, depth_rows - k, "╱")
        put(k, right + depth_rows - k, "╱")
        put(k, right + depth_rows, "│")
    put(3, 0, "┌" + "─" * width + "┐")
    put(3, right + depth_rows, "│")
    put(4, right + depth_rows, "┘")
    for row in (4, 5, 6):
        put(row, 0, "│")
        put(row, right, "│")
    put(5, right + 2, "╱")
    put(6, right + 1, "╱")
    put(7, 0, "└" + "─" * width + "┘")
    lines = ["".join(row).rstrip() for row in grid]
    margin = len(upright) + 1
    out = []
    for k, line in enumerate(lines):
        label = upright if k == 5 else ""
        extra = f"  ↗ {depth}" if k == 1 else ""
        out.append((pad(label, margin) + line + extra).rstrip())
    out.append(" " * margin + pad(across, width + 2, "c").rstrip())
    return "\n".join(out) + "\n"


def _cube(spec: Spec, steps: list[int | None]) -> str:
    m, n, length = spec.module, spec.input.batch, spec.input.seq_len
    width = max(len(_step(spec, "x", length - 1)), len(f"({n}, {m.input_size})")) + 2
    tops: list[str] = []
    mids: list[str] = []
    shapes: list[str] = []
    bots: list[str] = []
    heads: list[str] = []
    for t in steps:
        if t is None:
            for part in (tops, shapes, bots, heads):
                part.append("   ")
            mids.append(f" {ELLIPSIS} ")
            continue
        heads.append(pad(f"t={t}", width + 2, "c"))
        tops.append("┌" + "─" * width + "┐")
        mids.append("│" + pad(_step(spec, "x", t), width, "c") + "│")
        shapes.append("│" + pad(f"({n}, {m.input_size})", width, "c") + "│")
        bots.append("└" + "─" * width + "┘")
    left = f"N={n} "
    blank = " " * cell_len(left)
    lines = [
        blank + " ".join(heads),
        blank + " ".join(tops),
        left + " ".join(mids),
        blank + " ".join(shapes),
        blank + " ".join(bots),
        blank + pad(f"H_in={m.input_size}", width + 2, "c"),
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"
