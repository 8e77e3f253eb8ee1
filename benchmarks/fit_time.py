"""Fit the time model's coefficients (lstm_shapes.theory.cost.TIME_MODEL) to the measured
runs of the fitting grid, and print them with their worst ratios.

    .venv/bin/python benchmarks/time_grid.py   # measure the fitting grid (on a quiet machine)
    python3 benchmarks/fit_time.py             # fit; --write puts the table into cost.py

Per path (fused oneDNN / step-by-step) and pass (forward / training), the coefficients of
the terms named in TIME_MODEL are chosen to make the worst ratio estimate / measured (or
its inverse) as small as possible: a bisection over that ratio, each step a linear
feasibility problem. The terms are seconds at the rates calibrated in the same run as the
measurement. The cost per step of each family, of a call and of each layer and direction
is not fitted but measured apart (time_grid.py's step_ratios: modules whose products cost
nothing), so that long sequences of tiny steps and deep stacks of tiny layers are right by
construction. Every measured run of a path counts: the
step-by-step forward of every configuration (``stepwise``), the default forward and
training step of each on its path.
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

import time_grid  # noqa: E402

RESULTS = ROOT / "benchmarks" / "time-grid-results.json"


def samples(
    rows: list[dict[str, Any]], path: str, kind: str
) -> list[tuple[dict[str, float], float]]:
    """(terms, measured seconds) of every run of ``path`` and ``kind``."""
    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    out = []
    for row in rows:
        estimate = cost.estimate(make_spec(**row["config"]))
        terms = estimate.time_terms(time_grid.stored_rates(row))
        on_path = estimate.fused == (path == "fused")
        if kind == "forward":
            if path == "step-by-step":
                out.append((terms, row["stepwise_measured"]))
            if on_path:
                out.append((terms, row["forward_measured"]))
        elif on_path:
            out.append((terms, row["training_measured"]))
    return out


def feasible(data: list[tuple[dict[str, float], float]], names: list[str], ratio: float) -> Any:
    from scipy.optimize import linprog

    lhs, rhs = [], []
    for terms, measured in data:
        shares = [terms[n] / measured for n in names]
        known = terms["_fixed"] / measured
        lhs += [shares, [-s for s in shares]]  # estimate/measured <= ratio, >= 1/ratio
        rhs += [ratio - known, -1 / ratio + known]
    done = linprog([0.0] * len(names), A_ub=lhs, b_ub=rhs, bounds=(0, None))
    return done.x if done.success else None


def fit(
    rows: list[dict[str, Any]], path: str, kind: str, fixed: dict[str, float]
) -> tuple[dict[str, float], float]:
    """The coefficients of ``path``/``kind``; those in ``fixed`` (the cost per step, measured
    apart by time_grid.py's step_ratios) are kept as they are."""
    from lstm_shapes.theory import cost

    names = [n for n in cost.TIME_MODEL[path][kind] if n not in fixed]
    data = [
        ({**terms, "_fixed": sum(terms[n] * k for n, k in fixed.items())}, measured)
        for terms, measured in samples(rows, path, kind)
    ]
    low, high = 1.0, 64.0
    best = feasible(data, names, high)
    if best is None:
        raise SystemExit(f"{path} {kind}: no fit within {high}x")
    while high / low > 1.005:
        middle = (low * high) ** 0.5
        found = feasible(data, names, middle)
        if found is None:
            low = middle
        else:
            high, best = middle, found
    fitted = {n: round(float(k), 3) for n, k in zip(names, best, strict=True)}
    return {n: fixed.get(n, fitted.get(n, 0.0)) for n in cost.TIME_MODEL[path][kind]}, high


def fixed_steps(stored: dict[str, Any], path: str, kind: str) -> dict[str, float]:
    """The *_steps coefficients measured by time_grid.py (step_ratios)."""
    ratios = (stored.get("step_ratios") or {}).get(path, {}).get(kind, {})
    names = {"call": "call", "layer": "layer_calls"}
    return {names.get(key, f"{key}_steps"): k for key, k in ratios.items()}


def main() -> None:
    try:
        import scipy  # noqa: F401
    except ImportError:
        raise SystemExit(f"{Path(__file__).name} needs scipy: pip install scipy") from None
    stored = json.loads(RESULTS.read_text())
    rows = stored["rows"]
    from lstm_shapes.theory import cost

    model: dict[str, dict[str, dict[str, float]]] = {}
    for path, kinds in cost.TIME_MODEL.items():
        for kind in kinds:
            coefficients, worst = fit(rows, path, kind, fixed_steps(stored, path, kind))
            model.setdefault(path, {})[kind] = coefficients
            print(f"# {path} {kind}: worst ratio {worst:.2f}x")
    import model_table

    model_table.finish("TIME_MODEL", model)


if __name__ == "__main__":
    main()
