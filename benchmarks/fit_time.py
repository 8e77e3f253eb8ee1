"""Fit the time model's coefficients (lstm_shapes.theory.cost.TIME_MODEL) to the measured
runs of the fitting grid, and print them with their worst ratios.

    .venv/bin/python benchmarks/time_grid.py   # measure the fitting grid (on a quiet machine)
    python3 benchmarks/fit_time.py             # fit; --write puts the table into cost.py

Per path (fused oneDNN / step-by-step) and pass (forward / training), the coefficients of
the terms named in TIME_MODEL are chosen by least squares on the logarithm of the ratio
estimate / measured: the geometric mean ratio is 1 and the typical ratio as close to 1 as
the terms allow. (A minimax fit, the smallest worst ratio, was used before: it followed the
few runs the machine slowed in a phase of its own, overestimated everything else by 1.2x
to 1.3x and did worse on the held-out grid: 0.54x to 2.09x against 0.60x to 1.67x.) The
terms are seconds at the rates calibrated in the same run as the measurement
(lstm_shapes.probe.calibrate), so a coefficient is how many of the calibrated seconds the
kernel takes: near 1 for the cost of a step or a call, the number of passes over the gates
for the gate bytes. Every coefficient is fitted, the cost per step and per call too: on
the second machine the per-step costs measured apart (time_grid.py's step_ratios: modules
with hidden size 2, whose products cost nothing, timed outside the timed runs' heap) left
the runs of many tiny steps 2x to 3x slower than estimated, while the fit puts them within
the band; fit_time.py prints those measured ratios beside the fitted ones.
The fitting grid's runs on every machine it was measured on count alike (this machine's in
benchmarks/time-grid-results.json, earlier ones' in time-grid-results.<machine>.json): each
run's terms are at the rates calibrated in that run, so one table has to serve every
machine, as it has to on the machines of people who run the tool.
Every measured run of a path counts once: the step-by-step forward of every configuration
(``stepwise``; on a configuration whose default path is step-by-step, that is its default
forward), the default forward and training step of each on its path.
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
        if kind == "training":
            if on_path:
                out.append((terms, row["training_measured"]))
        elif path == "step-by-step":
            out.append((terms, row["stepwise_measured"]))
        elif on_path:
            out.append((terms, row["forward_measured"]))
    return out


def fit(
    rows: list[dict[str, Any]], path: str, kind: str
) -> tuple[dict[str, float], tuple[float, float]]:
    """The coefficients of ``path``/``kind`` (not negative) and the band of ratios they
    leave on ``rows``."""
    import numpy as np
    from scipy.optimize import least_squares

    from lstm_shapes.theory import cost

    names = list(cost.TIME_MODEL[path][kind])
    data = samples(rows, path, kind)
    shares = np.array([[terms[n] / measured for n in names] for terms, measured in data])

    def log_ratios(k: Any) -> Any:
        return np.log(shares @ k)

    start = np.array([max(cost.TIME_MODEL[path][kind][n], 1e-3) for n in names])
    done = least_squares(log_ratios, start, bounds=(0, np.inf))
    fitted = {n: round(float(k), 3) for n, k in zip(names, done.x, strict=True)}
    ratios = np.exp(log_ratios(np.array(list(fitted.values()))))
    return fitted, (float(ratios.min()), float(ratios.max()))


def measured_apart(stored: dict[str, Any], path: str, kind: str) -> dict[str, float]:
    """The per-step and per-call ratios time_grid.py measured on tiny modules (step_ratios),
    under the names of the terms they compare with."""
    ratios = (stored.get("step_ratios") or {}).get(path, {}).get(kind, {})
    if path == "fused":
        names = {"call": "fused_call", "layer": "fused_layer_calls", "lstm": "fused_steps"}
    else:
        names = {"call": "call", "layer": "layer_calls"}
    return {names.get(key, f"{key}_steps"): k for key, k in ratios.items()}


def main() -> None:
    try:
        import scipy  # noqa: F401
    except ImportError:
        raise SystemExit(f"{Path(__file__).name} needs scipy: pip install scipy") from None
    paths = time_grid.results_files("fit")
    documents = [json.loads(path.read_text()) for path in paths]
    stored = documents[0]
    rows = [row for document in documents for row in document["rows"]]
    for path, document in zip(paths, documents, strict=True):
        print(f"# {path.name}: {len(document['rows'])} rows, {document['machine']}")
    from lstm_shapes.theory import cost

    model: dict[str, dict[str, dict[str, float]]] = {}
    for path, kinds in cost.TIME_MODEL.items():
        for kind in kinds:
            coefficients, (low, high) = fit(rows, path, kind)
            model.setdefault(path, {})[kind] = coefficients
            print(f"# {path} {kind}: ratios {low:.2f}x to {high:.2f}x")
            apart = measured_apart(stored, path, kind)
            print("#   measured apart: " + ", ".join(f"{n} {k}" for n, k in apart.items()))
    import model_table

    model_table.finish("TIME_MODEL", model)


if __name__ == "__main__":
    main()
