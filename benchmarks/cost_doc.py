"""Write the measured error bands of the cost model into docs/cost.md.

    .venv/bin/python benchmarks/cost_doc.py

Reads benchmarks/memory-grid-results.json and benchmarks/time-grid-results.json (written by
memory_grid.py and time_grid.py) and replaces the section "## Measured error bands" of
docs/cost.md, so that the doc's claims are the figures of the last run.
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


def memory_part(data: dict[str, Any]) -> list[str]:
    lines = [
        "Memory (`benchmarks/memory_grid.py`; estimate / measured - 1, configurations whose "
        "measured peak is at least 16 MiB; the peak is what a call adds on top of the "
        "parameters and input, the median of 3 calls after a first one):",
        "",
        "| path | forward | training step (forward + backward) | configurations |",
        "| --- | --- | --- | ---: |",
    ]
    for path, kinds in sorted(data["bands"].items()):
        counts = [
            r
            for r in data["rows"]
            if (r["fused"] == (path == "fused")) and (r["forward_measured"] or 0) >= 16 * MiB
        ]
        cells = [
            f"{_pct(kinds[k][0])} to {_pct(kinds[k][1])}" if k in kinds else "-"
            for k in ("forward", "training")
        ]
        lines.append(f"| {path} | {cells[0]} | {cells[1]} | {len(counts)} |")
    lines += [
        "",
        "The step-by-step path's two fitted terms (`STEP_HOLES`, GRU's extra tensors kept for "
        "backward) were chosen on this grid, so these bands are in-sample; configurations "
        "outside its range may fall outside them. `lstm_shapes.theory.cost.MEMORY_ERROR_BANDS` "
        "holds the same figures, and `--cost` prints the band of its path beside each "
        "estimate.",
    ]
    return lines


def time_part(data: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "Time (`benchmarks/time_grid.py`; estimate / measured median, in one process, after "
        f"the calibration of this machine; {data['machine']}):",
        "",
        "| what | median ratio | range | configurations |",
        "| --- | ---: | --- | ---: |",
    ]
    for kind, label in (
        ("forward", "forward, default path"),
        ("stepwise", "forward, step-by-step path"),
        ("training", "forward + backward"),
    ):
        ratios = [r[f"{kind}_estimate"] / r[f"{kind}_measured"] for r in data["rows"]]
        lines.append(
            f"| {label} | {statistics.median(ratios):.2f}x | {min(ratios):.2f}x to "
            f"{max(ratios):.2f}x | {len(ratios)} |"
        )
    lines += [
        "",
        "A ratio far below 1 means the run was slower than the calibration says the machine "
        "can be: the calibration takes the fastest of its runs, so on a shared, busy machine "
        "(threads waiting for a core) the measured runs fall behind. The target is within 2x "
        "on a quiet machine. The throughput ratios of `lstm_shapes.theory.cost` were fitted "
        "on this grid (in-sample); the fixed cost of one call is not modelled, so the "
        "smallest configurations come out fast (0.4x for 16 -> 32, N=1, L=10). Re-measure "
        "with `.venv/bin/python benchmarks/time_grid.py`, then `cost_doc.py`.",
    ]
    return lines


def section() -> str:
    memory, timing = _load("memory-grid-results.json"), _load("time-grid-results.json")
    body = [HEADING, "", "Written by `benchmarks/cost_doc.py` from the last `make bench`.", ""]
    body += memory_part(memory) if memory else ["Memory: not measured yet."]
    body += time_part(timing) if timing else ["", "Time: not measured yet."]
    return "\n".join(body) + "\n"


def main() -> None:
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
