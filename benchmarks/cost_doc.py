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


GRIDS = (
    ("fitting", "memory-grid-results.json"),
    ("held out", "holdout-memory-results.json"),
    ("held out (heap)", "heap-holdout-memory-results.json"),
)
TIME_GRIDS = (("fitting", "time-grid-results.json"), ("held out", "holdout-time-results.json"))


def time_grids() -> list[tuple[str, str]]:
    """(label, results file) of the time grids: the fitting grid on this machine and on the
    earlier ones it was measured on (time-grid-results.<machine>.json), the held-out grid."""
    earlier = sorted((ROOT / "benchmarks").glob("time-grid-results.*.json"))
    fitting, held_out = TIME_GRIDS
    return [
        fitting,
        *((f"fitting ({path.stem.split('.', 1)[1]})", path.name) for path in earlier),
        held_out,
    ]


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
        lines += [bands_row(grid, path, data) for grid, data in grids if path in data["bands"]]
    lines += [
        "",
        "How the grids were used:",
        "",
        "- The coefficients of `lstm_shapes.theory.cost.MEMORY_MODEL` were fitted on the "
        "fitting grid (`benchmarks/fit_memory.py`). The held-out grid (seeds 63, 70, 77, 98, "
        "105, 112, 119, 126, 133, 140, 147, 154 and 161) "
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
        "- Seeds 112 and 119 (40 configurations) were measured blind on a second machine "
        "(another Xeon, 105 MiB of L3 against 32 MiB), with no change to the memory model: "
        "-1% to +1% (fused forward), -11% to +4% (fused training), -4% to +2% (step-by-step "
        "forward), -8% to +15% (step-by-step training).",
        "- Seeds 126 and 133 (40 configurations) were then measured blind on the second "
        "machine: -1% to +3% (fused forward), -4% to +9% (fused training), -2% to +8% "
        "(step-by-step forward), and -13% to +36% (step-by-step training): one RNN "
        "(`H_in=193`, `H=119`, `N=6`, 680 steps, bidirectional, one layer) measures "
        "18.1 MiB against 24.7 MiB estimated, the same in three fresh processes, while the "
        "other RNNs of both grids sit at -19% to +7%. Varied alone, the miss follows the "
        "heap and the second direction: with 3 sequences +24%, with 9 (each step's "
        "tensor then 4,284 bytes, a mapping of its own while the peak is measured) +0%, "
        "with one direction +2%, and with 1,500 steps +34%: the bidirectional moments of "
        "`step_training_phases` (the concatenation of the two directions' outputs) count "
        "something the heap reuses when a step's tensors are under 4 KiB.",
        "- That miss was then found and fixed on the third machine. The graph of that RNN's "
        "forward pass peaks at 18.3 MiB (the modelled concatenation moment: 24.7 MiB), and "
        "glibc's own count (`mallinfo2`) grows by about 7 KiB per step and direction, where "
        "the model charged about 11.6: an RNN step allocates `W_hh h`, then the kept `h` of "
        "the same size, and frees the first, whose hole the next step's `W_hh h` fills "
        "exactly, so the heap terms (fitted on LSTMs and GRUs, whose steps leave holes) do "
        "not belong in an RNN's forward moments, and no longer count there. A one-layer "
        "bidirectional RNN peaks at that moment; other RNNs peak in the backward pass, "
        "which keeps the heap terms, and so the miss showed only there. Since the fitting "
        "grid held few configurations whose per-step tensors are under 4 KiB, 40 such "
        "(RNN, GRU, float64 LSTM, 300-2,000 steps; `benchmarks/heap-grid.json`, drawn "
        "once) were measured and joined it, the heap terms were split into the first "
        "layer and direction and the others (`*_more`: the later ones find the holes the "
        "first left; the second direction's `h` is fitted to 0), and the six step-by-step "
        "training coefficients were refitted (the split, chosen after the blind check "
        "below, took the held-out grids' highs from +15% and +18% to +12% and +14%). "
        "Before the fix they had measured -11% to +34% (seven "
        "bidirectional RNNs and GRUs above +15%). 20 more (`heap-holdout-grid.json`, "
        "drawn the same way) were then measured blind against the refit: -17% to +18% "
        "(training), -18% to -3% (forward); the RNN of seeds 126 and 133 is now +3%.",
        "- Seeds 140 and 147 (40 configurations) were measured blind on a third machine "
        "(a 2-vCPU Xeon whose L3 reads 480 MiB), with no change to the memory model: -2% "
        "to +0% (fused forward), -11% to +10% (fused training), -1% to +4% (step-by-step "
        "forward), -10% to +13% (step-by-step training). Seeds 154 and 161 (40 more) were "
        "measured blind there after every change above: -2% to +1% (fused forward), -3% to "
        "+4% (fused training), +0% to +1% (step-by-step forward), -11% to +2% "
        "(step-by-step training).",
        "- `lstm_shapes.theory.cost.MEMORY_ERROR_BANDS` is the widest of the grids' bands "
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
        "grid (`benchmarks/fit_time.py`: least squares on the logarithm of estimate / "
        "measured), and no coefficient is fitted on the held-out grid. Both grids were "
        "first measured on a second machine (another 2-vCPU Xeon, 105 MiB of L3 against the "
        "first one's 32 MiB). There the model fitted on the first machine missed by 2x to "
        "4x on seeds 112 and 119, drawn and measured blind: the fused oneDNN kernel's "
        "cost per step had moved 3x against the step-by-step kernel's (it synchronizes its "
        "threads at every step), and the calibration timed only the step-by-step one. Now "
        "the calibration also times the fused kernel's step and call at torch's threads, "
        "the bytes per second of a matrix-vector product (the weights a step of a few "
        "sequences reads) and of an element-wise operation (a step's gates), and each term "
        "is counted at the rate of its kind of work, so a coefficient is a count of "
        "calibrated seconds (about 1 for a step or a call; about 19 passes over a "
        "step-by-step LSTM's gates). The coefficients were refitted on the second "
        "machine's fitting grid, and seeds 112 and 119 joined the held-out grid: 0.66x to "
        "1.71x (forward) and 0.62x to 1.87x (training) against the refit. Those seeds "
        "prompted the new calibration, so they are held out but not blind. Seeds 126 and "
        "133 were then drawn and measured blind against it: 0.67x to 1.70x (forward, "
        "default path), 0.58x to 1.87x (step-by-step forward) and 0.55x to 1.72x "
        "(training), none of 120 runs outside 2x. Two choices "
        "were made by looking at held-out runs as well: least squares instead of the "
        "minimax fit used before (on the first machine's held-out grid 0.60x to 1.67x "
        "against 0.54x to 2.09x: minimax followed the few runs the machine slowed in a "
        "phase of its own), and fitting the cost per step and per call instead of "
        "fixing them at ratios measured apart on modules with hidden size 2 (these left "
        "runs of many tiny steps 2x to 3x slower than estimated; `fit_time.py` prints "
        "them beside the fitted ones). "
        "Then a third machine (a 2-vCPU Xeon whose L3 reads 480 MiB): seeds 140 and 147, "
        "drawn and measured blind there, missed twice, both fused forwards: a bidirectional "
        "LSTM with `H_in=929`, `H=543` and 2 sequences 0.47x (its fused forward takes twice "
        "as long as the step-by-step one) and one sequence through 3 layers 2.41x. oneDNN's "
        "brgemm kernels, which it uses on x64 CPUs with AVX2 (`ONEDNN_VERBOSE=1` names "
        "them), compute a layer's input "
        "projection one step at a time and read `W_ih` again at every step; only a "
        "forward call of one sequence merges the steps into one product (oneDNN's "
        "`merged_layer_compute`; torch calls oneDNN once per layer and direction). The model "
        "gained that read (`unmerged_input_weights`, and `input_weights` for the backward "
        "pass, which the fit leaves at 0), fitted on the second machine's fitting grid "
        "alone: seeds 140 and 147 then measure 0.68x to 1.92x, none of 120 runs outside 2x. "
        "The fitting grid was then measured on the third machine too (the second "
        "machine's runs are kept in `time-grid-results.l3-105mib.json`), and the table is "
        "fitted on both machines' runs at once: with the second machine's table, the third "
        "machine's fitting grid had measured 0.51x to 2.08x (one of 660 runs outside "
        "2x), a check on 220 configurations no coefficient had seen. "
        "Against the table fitted on both, four of the 1,320 fitting runs remain outside "
        "2x, all on the second machine and all between 0.39x and 0.50x: an RNN with "
        "`H=2025` whose training step accumulates a gradient just under the 16 MiB cache "
        "threshold (0.39x), the step-by-step forward of a fused configuration with "
        "`H=1714` (0.43x: the path of this tool's check, not of `--time`), and two "
        "forwards at 0.498x. "
        "A last term followed: weights read at every step beyond 2 MiB leave the cores' "
        "own caches (`spilled_weights`: on the third machine a matrix-vector product "
        "streams 2 MiB of weights at about 115 GB/s and 4 to 64 MiB at about 60); a "
        "fused LSTM with `H=940` and 4 sequences had measured 0.54x to 0.57x there on "
        "every path. Fitted on both machines, it brings the typical miss (root mean "
        "square of the log ratio) from 0.206 to 0.181 on the third machine's fitting "
        "grid, 0.225 to 0.219 on the second's, and 0.227 to 0.223 on the held-out grid; "
        "five of the second machine's 660 fitting runs are outside 2x (0.42x to 0.50x "
        "and one 2.10x), none of the third's. "
        "Seeds 154 and 161 were then drawn and measured blind on the third machine "
        "against the final table: 0.70x to 1.56x, none of 120 runs outside 2x. On the "
        "whole held-out grid one run of 780 is outside 2x, a step-by-step forward of "
        "the second machine at 2.10x. "
        "The second machine has phases of "
        "its own: for "
        "seconds at a time, the same tiny-step run measures up to 2x slower, and "
        "identical runs of a configuration on the first machine differed by 0.81x to "
        "1.21x (10th to 90th percentile) and 0.43x to 2.14x at the extremes. "
        "The target is within 2x on a quiet machine: a busy one (threads waiting for a "
        "core) makes the runs many times slower than the calibration, which takes the "
        "fastest of its runs. "
        "Re-measure with `.venv/bin/python benchmarks/time_grid.py` (and `--grid holdout`), "
        "then `cost_doc.py`.",
    ]
    return lines


def section() -> str:
    memory = [(grid, data) for grid, name in GRIDS if (data := _load(name))]
    timing = [(grid, data) for grid, name in time_grids() if (data := _load(name))]
    body = [HEADING, "", "Written by `benchmarks/cost_doc.py` from the last `make bench`.", ""]
    body += memory_part(memory) if memory else ["Memory: not measured yet."]
    body += time_part(timing) if timing else ["", "Time: not measured yet."]
    return "\n".join(body) + "\n"


def wider_bands() -> dict[str, dict[str, tuple[float, float]]]:
    """Per path and pass, the widest of the fitting and held-out grids' error bands: what
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
