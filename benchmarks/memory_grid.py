"""The memory model against measured peaks, on the fitting grid (benchmarks/time-grid.json,
benchmarks/drawn-grid.json and the heap regime's benchmarks/heap-grid.json) or the held-out
one.

    .venv/bin/python benchmarks/memory_grid.py            # measure, print, write the results
    .venv/bin/python benchmarks/memory_grid.py --device cuda
    .venv/bin/python benchmarks/memory_grid.py --grid holdout   # the held-out grid
    .venv/bin/python benchmarks/memory_grid.py --grid repeat    # each twice: repeatability
    .venv/bin/python benchmarks/memory_grid.py --missing        # only what has no stored row

For every configuration, each in a fresh process: lstm_shapes.probe.measure.measure with
backward (the median peak of 3 calls after a first one, on top of the parameters and the
input, which exist before the call), against the estimate of lstm_shapes.theory.cost on
the same footing (without parameters and input). Writes
benchmarks/memory-grid-results.json, with the error band per path (fused oneDNN /
step-by-step) over the configurations whose peak is at least 16 MiB. With ``--grid
holdout``: benchmarks/holdout-grid.json, which no constant is fitted on, into
benchmarks/holdout-memory-results.json. Memory does not
depend on the machine's load, so a busy machine only makes it slow.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: grid name: (configuration files, results)
GRIDS = {
    "fit": (("time-grid.json", "drawn-grid.json", "heap-grid.json"), "memory-grid-results.json"),
    "holdout": (("holdout-grid.json",), "holdout-memory-results.json"),
    # the heap regime's held-out configurations (small per-step tensors, many steps)
    "heap-holdout": (("heap-holdout-grid.json",), "heap-holdout-memory-results.json"),
    # the hand-picked configurations, each measured twice: how far identical runs agree
    "repeat": (("time-grid.json",), "repeat-memory-results.json"),
}


def configurations(files: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        config
        for name in files
        for config in json.loads((ROOT / "benchmarks" / name).read_text())["configurations"]
    ]


MiB = 2**20

ONE = """
import json, sys, warnings
warnings.simplefilter("ignore")
from lstm_shapes.probe.measure import measure
from lstm_shapes.spec.core import make_spec
from lstm_shapes.theory import cost
spec = make_spec(**json.loads(sys.argv[1]))
m = measure(spec, backward=True)
est = cost.estimate(spec)
print(json.dumps({
    "fused": est.fused,
    "forward_measured": m.peak_forward,
    "forward_first_call": m.peak_forward_first,
    "forward_estimate": est.memory.inference - est.memory.parameters - est.memory.input,
    "training_measured": m.peak_training,
    "training_estimate": est.memory.training - est.memory.parameters - est.memory.input,
}))
"""


def measure_one(config: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", ONE, json.dumps(config)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    return {"config": config, **json.loads(done.stdout.splitlines()[-1])}


def measured_twice(config: dict[str, Any]) -> dict[str, Any]:
    """Two identical runs, each in a fresh process: the row of the first, with the second's
    peaks beside it (``*_again``), to show how far identical runs agree."""
    first, second = measure_one(config), measure_one(config)
    return {
        **first,
        "forward_again": second["forward_measured"],
        "training_again": second["training_measured"],
    }


def disagreement(rows: list[dict[str, Any]]) -> float | None:
    """The largest difference between two identical runs, relative to the first, over the
    peaks of at least 16 MiB (None when no row was measured twice)."""
    gaps = [
        abs(row[f"{kind}_again"] - row[f"{kind}_measured"]) / row[f"{kind}_measured"]
        for row in rows
        for kind in ("forward", "training")
        if row.get(f"{kind}_again") is not None and (row[f"{kind}_measured"] or 0) >= 16 * MiB
    ]
    return round(max(gaps), 3) if gaps else None


def with_estimates(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the current model's estimates (so that a change of the model is
    judged on the stored measurements without measuring again)."""
    sys.path.insert(0, str(ROOT))
    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    spec = make_spec(**row["config"])
    mem = cost.memory(spec)
    base = mem.parameters + mem.input
    return {
        **row,
        "fused": cost.kernel(spec) == "onednn",
        "forward_estimate": mem.inference - base,
        "training_estimate": mem.training - base,
    }


def bands(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """(estimate / measured - 1) per path and kind, over peaks of at least 16 MiB."""
    out: dict[str, dict[str, list[float]]] = {}
    for row in map(with_estimates, rows):
        path = "fused" if row["fused"] else "step-by-step"
        for kind in ("forward", "training"):
            measured = row[f"{kind}_measured"]
            if measured and measured >= 16 * MiB:
                error = row[f"{kind}_estimate"] / measured - 1
                out.setdefault(path, {}).setdefault(kind, []).append(round(error, 3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="fit")
    parser.add_argument(
        "--missing", action="store_true", help="measure only configurations without a stored row"
    )
    parser.add_argument(
        "--summary", action="store_true", help="re-judge the stored results, measure nothing"
    )
    args = parser.parse_args()
    files, name = GRIDS[args.grid]
    if args.device != "cpu":  # another device's peaks are not the CPU model's bands
        name = name.replace("-results.json", f"-{args.device.replace(':', '')}-results.json")
    results = ROOT / "benchmarks" / name
    if args.summary:
        stored = json.loads(results.read_text())
        write(results, stored["device"], stored["rows"])
        return
    rows, stored_rows = [], []
    if args.missing and results.exists():
        stored_rows = json.loads(results.read_text())["rows"]
    stored = {_key(row["config"]): row for row in stored_rows}
    for config in configurations(files):
        if _key(config) in stored:
            rows.append(stored[_key(config)])
            continue
        measure = measured_twice if args.grid == "repeat" else measure_one
        row = measure({**config, "device": args.device})
        rows.append(row)
        write(results, args.device, rows)  # after each configuration: a long run keeps what it has
        print(
            config,
            f"forward {row['forward_measured'] / MiB:.1f} MiB "
            f"(est {row['forward_estimate'] / MiB:.1f})",
            f"training {(row['training_measured'] or 0) / MiB:.1f} MiB "
            f"(est {row['training_estimate'] / MiB:.1f})",
            flush=True,
        )


def _key(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in config.items() if k != "device"}, sort_keys=True)


def write(results: Path, device: str, rows: list[dict[str, Any]]) -> None:
    summary = {
        path: {kind: [min(v), max(v)] for kind, v in kinds.items()}
        for path, kinds in bands(rows).items()
    }
    print(json.dumps(summary))
    rows = [with_estimates(row) for row in rows]
    document = {"device": device, "bands": summary, "disagreement": disagreement(rows)}
    results.write_text(json.dumps({**document, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
