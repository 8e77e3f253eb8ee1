"""Fit the memory model's coefficients (lstm_shapes.theory.cost.MEMORY_MODEL) to the
measured peaks of the fitting grid, and print them with their worst errors.

    .venv/bin/python benchmarks/memory_grid.py   # measure the fitting grid (minutes)
    .venv/bin/python benchmarks/fit_memory.py    # fit; --write puts the table into cost.py

Per path (fused oneDNN / step-by-step) and pass (forward / training), the coefficients of
the terms already named in MEMORY_MODEL are chosen by a linear program that minimises the
worst relative error (estimate / measured - 1) over the configurations whose measured peak
is at least 16 MiB, while those of 8 to 16 MiB may miss by SLACK more. Coefficients are
not negative; ``gradients`` stays at exactly 1 (every parameter gets one gradient).
Needs scipy (``pip install scipy``), which lstm-shapes itself does not use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "memory-grid-results.json"
MiB = 2**20
FLOOR, SMALL_FLOOR = 16 * MiB, 8 * MiB
SLACK = {"forward": 0.1, "training": 0.15}


def fit(rows: list[dict[str, Any]], path: str, kind: str) -> tuple[dict[str, float], float]:
    from scipy.optimize import linprog

    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    names = [n for n in cost.MEMORY_MODEL[path][kind] if n != "gradients"]
    bounds_lhs, bounds_rhs = [], []
    for row in rows:
        spec = make_spec(**row["config"])
        measured = row[f"{kind}_measured"]
        on_path = (cost.kernel(spec) == "onednn") == (path == "fused")
        if not on_path or not measured or measured < SMALL_FLOOR:
            continue
        terms = cost.memory_terms(spec)
        fixed = terms["gradients"] if "gradients" in cost.MEMORY_MODEL[path][kind] else 0
        shares = [terms[n] / measured for n in names]
        slack = SLACK[kind] if measured < FLOOR else 0.0
        # |sum(k * share) + fixed/measured - 1| <= worst (+ slack)
        bounds_lhs += [[*shares, -1.0], [-s for s in shares] + [-1.0]]
        bounds_rhs += [1 - fixed / measured + slack, -(1 - fixed / measured) + slack]
    objective = [0.0] * len(names) + [1.0]
    done = linprog(objective, A_ub=bounds_lhs, b_ub=bounds_rhs, bounds=(0, None))
    if not done.success:
        raise SystemExit(f"{path} {kind}: {done.message}")
    coefficients = {n: round(float(k), 3) for n, k in zip(names, done.x)}
    if "gradients" in cost.MEMORY_MODEL[path][kind]:
        coefficients = {"gradients": 1.0, **coefficients}
    return coefficients, float(done.x[-1])


def main() -> None:
    rows = json.loads(RESULTS.read_text())["rows"]
    write = "--write" in sys.argv[1:]
    from lstm_shapes.theory import cost

    model: dict[str, dict[str, dict[str, float]]] = {}
    for path, kinds in cost.MEMORY_MODEL.items():
        for kind in kinds:
            coefficients, worst = fit(rows, path, kind)
            model.setdefault(path, {})[kind] = coefficients
            print(f"# {path} {kind}: worst error {worst:.3f} on peaks of 16 MiB or more")
    print(json.dumps(model, indent=4))
    if write:
        import model_table

        model_table.write("MEMORY_MODEL", model)
        print("written into lstm_shapes/theory/cost.py")


if __name__ == "__main__":
    main()
