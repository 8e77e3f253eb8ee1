"""Fit the memory model's coefficients (lstm_shapes.theory.cost.MEMORY_MODEL) to the
measured peaks of the fitting grid, and print them with their worst errors.

    .venv/bin/python benchmarks/memory_grid.py   # measure the fitting grid (minutes)
    .venv/bin/python benchmarks/fit_memory.py    # fit; --write puts the table into cost.py

Per path (fused oneDNN / step-by-step) and pass (forward / training), the coefficients of
the terms already named in MEMORY_MODEL are fitted to the relative error (estimate /
measured - 1) of every configuration whose measured peak is at least 8 MiB, by robust
least squares (soft L1: a minimax fit followed a few odd rows and did worse on the first
held-out grid, seed 21, which has since joined the fitting grid; seed 28 chose nothing).
Coefficients are not negative, some are at least 1 (AT_LEAST: tensors certainly alive at
the peak), and ``gradients`` stays at exactly 1 (every parameter gets one gradient).
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
#: Peaks below this are left out: pages and the allocator dominate them.
FLOOR = 8 * MiB
#: The relative error beyond which a configuration counts less (soft L1): one odd
#: measurement must not pull every estimate.
SCALE = 0.1
#: Terms that are certainly alive at the peak, at least once: what autograd keeps (equal to
#: torch's saved-tensor hooks) is alive when the backward pass starts, and while it sums a
#: layer's weight gradient over the steps, one step's gradient of that layer's weights
#: sits beside the running sum.
AT_LEAST = {("step-by-step", "training"): {"saved": 1.0, "weights_copy": 1.0}}


def fit(rows: list[dict[str, Any]], path: str, kind: str) -> tuple[dict[str, float], float]:
    """The coefficients of ``path``/``kind`` and their worst error on peaks of 16 MiB or more."""
    import numpy as np
    from scipy.optimize import least_squares

    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    coefficients = cost.MEMORY_MODEL[path][kind]
    names = [n for n in coefficients if n != "gradients"]
    samples = []
    for row in rows:
        spec = make_spec(**row["config"])
        measured = row[f"{kind}_measured"]
        on_path = (cost.kernel(spec) == "onednn") == (path == "fused")
        if on_path and measured and measured >= FLOOR:
            samples.append((cost.memory_terms(spec), measured))
    terms = np.array([[t[n] for n in names] for t, _ in samples])
    measured = np.array([m for _, m in samples])
    fixed = np.array([t["gradients"] if "gradients" in coefficients else 0 for t, _ in samples])
    least = AT_LEAST.get((path, kind), {})
    low = np.array([least.get(n, 0.0) for n in names])
    done = least_squares(
        lambda k: (terms @ k + fixed) / measured - 1,
        np.maximum(low, 0.5),
        bounds=(low, np.inf),
        loss="soft_l1",
        f_scale=SCALE,
    )
    errors = (terms @ done.x + fixed) / measured - 1
    big = errors[measured >= 16 * MiB]
    fitted = {n: round(float(k), 3) for n, k in zip(names, done.x, strict=True)}
    if "gradients" in coefficients:
        fitted = {"gradients": 1.0, **fitted}
    return fitted, float(np.abs(big).max())


def main() -> None:
    try:
        import scipy  # noqa: F401
    except ImportError:
        raise SystemExit(f"{Path(__file__).name} needs scipy: pip install scipy") from None
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
