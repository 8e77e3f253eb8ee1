"""The memory model against measured peaks, on the grid in benchmarks/time-grid.json.

    .venv/bin/python benchmarks/memory_grid.py            # measure, print, write the results
    .venv/bin/python benchmarks/memory_grid.py --device cuda

For every configuration, each in a fresh process: lstm_shapes.probe.measure.measure with
backward (the median peak of 3 calls after a first one, on top of the parameters and the
input, which exist before the call), against the estimate of lstm_shapes.theory.cost on
the same footing (without parameters and input). Writes
benchmarks/memory-grid-results.json, with the error band per path (fused oneDNN /
step-by-step) over the configurations whose peak is at least 16 MiB. Memory does not
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
GRID = ROOT / "benchmarks" / "time-grid.json"
RESULTS = ROOT / "benchmarks" / "memory-grid-results.json"
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
        "fused": cost.kernel(spec) != "step-by-step",
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
    parser.add_argument(
        "--summary", action="store_true", help="re-judge the stored results, measure nothing"
    )
    args = parser.parse_args()
    if args.summary:
        stored = json.loads(RESULTS.read_text())
        write(stored["device"], stored["rows"])
        return
    rows = []
    for config in json.loads(GRID.read_text())["configurations"]:
        row = measure_one({**config, "device": args.device})
        rows.append(row)
        write(args.device, rows)  # after each configuration: a long run keeps what it has
        print(
            config,
            f"forward {row['forward_measured'] / MiB:.1f} MiB "
            f"(est {row['forward_estimate'] / MiB:.1f})",
            f"training {(row['training_measured'] or 0) / MiB:.1f} MiB "
            f"(est {row['training_estimate'] / MiB:.1f})",
            flush=True,
        )


def write(device: str, rows: list[dict[str, Any]]) -> None:
    summary = {
        path: {kind: [min(v), max(v)] for kind, v in kinds.items()}
        for path, kinds in bands(rows).items()
    }
    print(json.dumps(summary))
    rows = [with_estimates(row) for row in rows]
    RESULTS.write_text(
        json.dumps({"device": device, "bands": summary, "rows": rows}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
