"""Write the measured error bands of the cost model into docs/cost.md.

    .venv/bin/python benchmarks/cost_doc.py

Reads the results of memory_grid.py and time_grid.py on the fitting and the held-out grids
(benchmarks/*-results.json) and replaces the section "## Measured error bands" of
docs/cost.md, so that the doc's claims are the figures of the last run; writes the wider of
the two grids' memory error bands into lstm_shapes/theory/cost.py (MEMORY_ERROR_BANDS).
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cost.md"
HEADING = "## Measured error bands"
MiB = 2**20


def _load(name: str) -> dict[str, Any] | None:
    path = ROOT / "benchmarks" / name
    return json.loads(path.read_text()) if path.exists() else None


def _pct(value: float) -> str:
    return f"{value:+.0%}"


GRIDS = (("fitting", "memory-grid-results.json"), ("held out", "holdout-memory-results.json"))
TIME_GRIDS = (("fitting", "time-grid-results.json"), ("held out", "holdout-time-results.json"))


def bands_row(grid: str, path: str, data: dict[str, Any]) -> str:
    kinds = data["bands"].get(path, {})
    cells = [
        f"{_pct(kinds[k][0])} to {_pct(kinds[k][1])}" if k in kinds else "-"
        for k in ("forward", "training")
    ]
    counts = [
        sum(
            1
            for r in data["rows"]
            if r["fused"] == (path == "fused") and (r[f"{k}_measured"] or 0) >= 16 * MiB
        )
        for k in ("forward", "training")
    ]
    return f"| {path} | {grid} | {cells[0]} | {cells[1]} | {counts[0]} / {counts[1]} |"


def memory_part(grids: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [
        "Memory (`benchmarks/memory_grid.py`; estimate / measured - 1 over the configurations "
        "whose measured peak is at least 16 MiB; the peak is what a call adds on top of the "
        "parameters and input, the median of 3 calls after a first one, each configuration "
        "in a fresh process):",
        "",
        "| path | grid | forward | training step (forward + backward) | configurations |",
        "| --- | --- | --- | --- | ---: |",
    ]
    for path in ("fused", "step-by-step"):
        lines += [bands_row(grid, path, data) for grid, data in grids]
    lines += [
        "",
        "How the grids were used:",
        "",
        "- The coefficients of `lstm_shapes.theory.cost.MEMORY_MODEL` were fitted on the "
        "fitting grid (`benchmarks/fit_memory.py`). The held-out grid (seeds 63, 70 and 77) "
        "was drawn apart, and no coefficient is fitted on it.",
        "- Earlier held-out grids (seeds 21, 28, 35 and 56) joined the fitting grid once "
        "judged, each after showing a weakness (seed 56: two step-by-step configurations 25% "
        "and 29% low, whose per-step tensors fragment the heap; the `heap_hidden` term came "
        "from them). Seeds 42 and 49 were measured after one fit and before the next.",
        "- The two forward models and the step-by-step training model's tensors are not "
        "fitted: they "
        "are read from torch's and oneDNN's sources. The fused forward model was rebuilt "
        "after seed 63 showed a bidirectional layer with a small input 24% low (the "
        "right-to-left direction's copies into oneDNN's padded state workspace), so seed "
        "63's fused forward band is not a blind one.",
        "- Seeds 70 and 77 (40 configurations) were drawn and measured blind, against the "
        "model of commit 44ede8f: -2% to +1% (fused forward), -13% to +15% (fused "
        "training), +0% to +8% (step-by-step forward) and -6% to +10% (step-by-step "
        "training) on the peaks of 16 MiB or more. Then the step-by-step training model was "
        "rebuilt from the sources (prompted by a fitting-grid configuration 25% high, and "
        "checked against the live tensors torch's profiler records), and its four "
        "remaining coefficients were refitted on the fitting grid alone: on seeds 70 and 77 "
        "it is now -7% to +12%.",
        "- The fused training model then gained oneDNN's gradients of the states "
        "(`layer_diff_states`: `(L+1)*N` rows as wide as the wider of the "
        "layer's input and hidden size; it replaced the gradient of the layer's input, "
        "fitted at 3.3) and, for bidirectional layers, weights and kept gates of their own "
        "(fitted below 1: perhaps the second direction reuses pages the first one freed; "
        "not checked). It was chosen among five "
        "variants by looking at the held-out grid as well, so its held-out band is not a "
        "blind one: fitting -14% to +16% before, held out -14% to +15% before.",
        "- Seeds 84 and 91 (40 configurations) were then measured blind: -1% to +0% (fused "
        "forward), -10% to +11% (fused training), -9% to +2% (step-by-step forward), -17% to "
        "+18% (step-by-step training). They joined the fitting grid (both models refitted), "
        "and seeds 98 and 105 were measured blind against the refit: -1% to +0%, -4% to "
        "+10%, -1% to +5%, and -6% to +32% for step-by-step training, where one RNN "
        "(`H=1143`, `N=114`, 12 steps, bidirectional) peaks in its forward pass, before any "
        "gradient exists, and the estimate had added the gradients on top (now it is "
        "the larger of the modelled peak and what the forward pass holds, and the JSON "
        "says `peak_in_forward`; no coefficient changed): -6% to +9% since.",
        "- `lstm_shapes.theory.cost.MEMORY_ERROR_BANDS` is the wider of the two grids' bands "
        "per path and pass, and `--cost` prints it beside each estimate.",
    ]
    repeat = _load("repeat-memory-results.json")
    if repeat and repeat.get("disagreement") is not None:
        lines += [
            "",
            "Identical runs (`memory_grid.py --grid repeat`: the hand-picked configurations "
            "measured twice, each run in a fresh process) agreed within "
            f"{repeat['disagreement']:.1%} on every peak of at least 16 MiB.",
        ]
    return lines


def time_rows(grid: str, data: dict[str, Any]) -> list[str]:
    lines = []
    for kind, label in (
        ("forward", "forward, default path"),
        ("stepwise", "forward, step-by-step path"),
        ("training", "forward + backward"),
    ):
        ratios = [r[f"{kind}_estimate"] / r[f"{kind}_measured"] for r in data["rows"]]
        lines.append(
            f"| {label} | {grid} | {statistics.median(ratios):.2f}x | {min(ratios):.2f}x to "
            f"{max(ratios):.2f}x | {len(ratios)} |"
        )
    return lines


def time_part(grids: list[tuple[str, dict[str, Any]]]) -> list[str]:
    machines = "; ".join(f"{grid}: {data['machine']}" for grid, data in grids)
    lines = [
        "",
        "Time (`benchmarks/time_grid.py`; estimate / measured median of 7 runs after a "
        "warm-up, as `--time` measures (3 when one run takes over 0.5 s), in one process "
        "after the calibration of this machine; "
        f"{machines}):",
        "",
        "| what | grid | median ratio | range | configurations |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for grid, data in grids:
        lines += time_rows(grid, data)
    lines += [
        "",
        "The coefficients of `lstm_shapes.theory.cost.TIME_MODEL` were fitted on the fitting "
        "grid (`benchmarks/fit_time.py`), the held-out grid measured after. Seeds 42 and 49 "
        "showed the previous model up to 2.97x too high where a single sequence or two meet "
        "recurrent weights of 8 to 40 MiB (one layer and direction): those weights stream "
        "from the 32 MiB L3, not from memory, so the cache threshold moved from 8 to 16 MiB "
        "(`CACHE_BYTES`, the best of 4, 8, 16, 24 and 32 MiB on the fitting grid). Seeds 70 "
        "and 77 first measured step-by-step training up to 3.1x slower than the estimate: "
        "the measurement, not the model, was at fault (glibc's mmap threshold left at "
        "128 KiB during timed runs, a page fault per page of every temporary; now the timed "
        "runs use `loop_heap`). Measured again, one float64 configuration (`H=1113`, `N=4`) "
        "was 2.15x too high, so the weight-traffic terms are now fitted per dtype (`*_f64`, "
        "on the fitting grid alone; every step-by-step row with recurrent weights beyond "
        "the L3 is float64, so dtype and cache are not told apart). That row prompted the "
        "change, so the held-out time band is not a blind one. "
        "Both grids were re-measured with the code of 8bcac90 (the warm-up run inside "
        "`loop_heap`). Between that run and the one before, the ratio of the same "
        "configuration's measured times was 0.81 to 1.21 (10th to 90th percentile, each "
        "pass) and 0.43 to 2.14 at the extremes: most of the scatter is the machine. On "
        "this 2-vCPU machine, for seconds to a minute at a time, a product of a few "
        "thousand multiply-adds takes 1.7x as long with two threads (4.8 us against 2.8 "
        "us), not with one; the calibration times one thread, so it does not see these "
        "phases, and a step-by-step run of many tiny steps measures up to 1.7x slower in "
        "them (an RNN with `H=51`, `N=7` and 1,850 steps: 0.044 s or 0.085 s, the 0.46x "
        "rows of the fitting grid). A minimax refit on that run alone chased such rows "
        "and widened the held-out band to 0.41x to 1.92x, so it was not kept. Seeds 84 "
        "and 91 were then measured blind: 4 of 40 configurations outside 2x (one sequence"
        " on the fused path with weights beyond the L3: forward 2.04x and 2.32x, training"
        " 0.52x and 0.36x; a step-by-step LSTM with proj_size and `N=170`: 2.2x to 2.3x)."
        " They joined the fitting grid, the model was refitted on its 220 configurations "
        "with that run's step ratios, and seeds 98 and 105 were measured blind against "
        "the refit: one of 40 over 2x (a step-by-step LSTM with proj_size and `N=122`: "
        "2.03x, 2.09x and 1.98x). Step-by-step runs whose time is mostly gate traffic are"
        " the most overestimated (LSTM: median 1.7x where one step's gates exceed torch's"
        " parallel grain of 32,768 elements, 1.5x below it); a term of their own fitted "
        "the fitting grid better and the held-out grid worse (up to 2.77x), so it was not"
        " kept. "
        "The target is "
        "within 2x on a quiet machine: a busy one (threads waiting for a core) makes the "
        "runs many times slower than the calibration, which takes the fastest of its runs. "
        "Re-measure with `.venv/bin/python benchmarks/time_grid.py` (and `--grid holdout`), "
        "then `cost_doc.py`.",
    ]
    return lines


def section() -> str:
    memory = [(grid, data) for grid, name in GRIDS if (data := _load(name))]
    timing = [(grid, data) for grid, name in TIME_GRIDS if (data := _load(name))]
    body = [HEADING, "", "Written by `benchmarks/cost_doc.py` from the last `make bench`.", ""]
    body += memory_part(memory) if memory else ["Memory: not measured yet."]
    body += time_part(timing) if timing else ["", "Time: not measured yet."]
    return "\n".join(body) + "\n"


def wider_bands() -> dict[str, dict[str, tuple[float, float]]]:
    """Per path and pass, the wider of the fitting and held-out grids' error bands: what
    `--cost` prints beside each estimate (MEMORY_ERROR_BANDS)."""
    wider: dict[str, dict[str, tuple[float, float]]] = {}
    for _, name in GRIDS:
        data = _load(name)
        for path, kinds in (data or {}).get("bands", {}).items():
            for kind, (low, high) in kinds.items():
                known = wider.setdefault(path, {}).get(kind, (low, high))
                wider[path][kind] = (min(low, known[0]), max(high, known[1]))
    return {path: wider[path] for path in sorted(wider)}


def main() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import model_table

    model_table.write_bands(wider_bands())
    text = section()
    old = DOC.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + text
    DOC.write_text(new, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
