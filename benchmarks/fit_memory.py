"""Fit the memory model's coefficients (lstm_shapes.theory.cost.MEMORY_MODEL) to the
measured peaks of the fitting grid, and print them with their worst errors.

    .venv/bin/python benchmarks/memory_grid.py   # measure the fitting grid (minutes)
    .venv/bin/python benchmarks/fit_memory.py    # fit; --write puts the table into cost.py

Per path (fused oneDNN / step-by-step) and pass (forward / training), the coefficients of
the terms already named in MEMORY_MODEL are fitted to the relative error (estimate /
measured - 1) of every configuration whose measured peak is at least 8 MiB, by robust
least squares (soft L1: a minimax fit followed a few odd rows and did worse on the first
held-out grid, seed 21, which has since joined the fitting grid, as have seeds 28, 35 and
56: their misses led to the single-sequence term, the largest-over-moments training models
and the heap terms), each coefficient drawn gently to 1 (PRIOR).
The forward models are not fitted: read from torch's and oneDNN's sources, each of their
terms is one allocation, held at 1 (STRUCTURAL). Coefficients are not negative; the
gradients of the layers the backward pass has reached stay at exactly 1 (FIXED), and so
does every tensor of the step-by-step training model, read from the sources (FIXED_ON).
The training models are the largest over their moments (lstm_shapes.theory.cost.phases_for).
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
#: How strongly each coefficient is drawn to 1 (most terms are tensors the kernel allocates,
#: so 1 is their physical value; the step-by-step bookkeeping term is in KiB per kept tensor,
#: and the pull on it is as weak): where the grid cannot tell two terms apart, the fit keeps
#: both near 1 instead of trading one for the other (the fused training fit moved `output`
#: from 5.6 to 12.5 and `kept_gates` from 1.3 to 0.04 for the same worst error, on peaks
#: re-measured within 4%).
PRIOR = 0.02
#: Terms held at exactly 1: each parameter of the layers the backward pass has reached has
#: its gradient; a batch_first input's time-major copy (measured, and no grid row has one).
FIXED = {"grads_above": 1.0, "batch_first_input": 1.0}
#: ... and per path and pass: oneDNN's own layout of a layer's weight gradients, copied out,
#: is sized exactly; step by step, every tensor of the training model is read from the
#: sources (lstm_shapes.theory.cost.step_training_phases) and held at 1, but for the
#: bookkeeping per kept tensor, the share of whole pages and the heap.
FIXED_ON = {
    ("fused", "training"): {"layer_reordered_gradients": 1.0},
    ("step-by-step", "training"): dict.fromkeys(
        (
            "saved",
            "grads",
            "accumulation",
            "incoming",
            "input_grads",
            "gate_grads",
            "projections",
            "stacked",
            "output",
        ),
        1.0,
    ),
}
#: Models read from the sources, every term sized exactly: not fitted, only judged.
STRUCTURAL = {("fused", "forward"), ("step-by-step", "forward")}


def fit(rows: list[dict[str, Any]], path: str, kind: str) -> tuple[dict[str, float], float]:
    """The coefficients of ``path``/``kind`` and their worst error on peaks of 16 MiB or
    more. The model is the largest over the backward pass's moments (one per layer), so
    the fit is piecewise linear: least squares from a start of 1 per term."""
    import numpy as np
    from scipy.optimize import least_squares

    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    names = list(cost.MEMORY_MODEL[path][kind])
    samples = []
    for row in rows:
        spec = make_spec(**row["config"])
        measured = row[f"{kind}_measured"]
        on_path = (cost.kernel(spec) == "onednn") == (path == "fused")
        if on_path and measured and measured >= FLOOR:
            phases = cost.phases_for(spec, path, kind)
            samples.append((np.array([[p[n] for n in names] for p in phases]), measured))
    measured = np.array([m for _, m in samples])
    fixed = {**FIXED, **FIXED_ON.get((path, kind), {})}
    if (path, kind) in STRUCTURAL:
        fixed = {name: 1.0 for name in names}
    low = np.array([fixed.get(n, 0.0) for n in names])
    high = np.array([fixed[n] + 1e-9 if n in fixed else np.inf for n in names])

    def estimates(k: Any) -> Any:
        return np.array([(terms @ k).max() for terms, _ in samples])

    done = least_squares(
        lambda k: np.concatenate([estimates(k) / measured - 1, PRIOR * (k - 1)]),
        np.maximum(low, 1.0),
        bounds=(low, high),
        loss="soft_l1",
        f_scale=SCALE,
    )
    errors = estimates(done.x) / measured - 1
    big = errors[measured >= 16 * MiB]
    pairs = zip(names, done.x, strict=True)
    fitted = {n: fixed.get(n, round(float(k), 3)) for n, k in pairs}
    return fitted, float(np.abs(big).max())


def main() -> None:
    try:
        import scipy  # noqa: F401
    except ImportError:
        raise SystemExit(f"{Path(__file__).name} needs scipy: pip install scipy") from None
    rows = json.loads(RESULTS.read_text())["rows"]
    from lstm_shapes.theory import cost

    model: dict[str, dict[str, dict[str, float]]] = {}
    for path, kinds in cost.MEMORY_MODEL.items():
        for kind in kinds:
            coefficients, worst = fit(rows, path, kind)
            model.setdefault(path, {})[kind] = coefficients
            print(f"# {path} {kind}: worst error {worst:.3f} on peaks of 16 MiB or more")
    import model_table

    model_table.finish("MEMORY_MODEL", model)


if __name__ == "__main__":
    main()
