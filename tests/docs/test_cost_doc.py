"""docs/cost.md's error bands are the figures of the stored benchmark results."""

from __future__ import annotations

import importlib.util
import dataclasses
import json
from pathlib import Path

from lstm_shapes.theory import cost

ROOT = Path(__file__).resolve().parents[2]


def _cost_doc() -> object:
    spec = importlib.util.spec_from_file_location("cost_doc", ROOT / "benchmarks" / "cost_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_cost_md_shows_the_stored_results() -> None:
    section = _cost_doc().section()  # type: ignore[attr-defined]
    assert section in (ROOT / "docs" / "cost.md").read_text(encoding="utf-8"), (
        "docs/cost.md is stale: run `.venv/bin/python benchmarks/cost_doc.py`"
    )


def test_the_reported_error_bands_are_the_measured_ones() -> None:
    """--cost prints, per path and pass, the widest of the fitting and held-out bands."""
    assert _cost_doc().wider_bands() == cost.MEMORY_ERROR_BANDS  # type: ignore[attr-defined]


def test_the_stored_estimates_are_the_current_models() -> None:
    """The results files hold the estimates of the model as it is: rerun
    `memory_grid.py --summary` / `time_grid.py --summary` after changing it."""
    from lstm_shapes.spec.core import make_spec

    for name in [name for _, name in _cost_doc().GRIDS]:  # type: ignore[attr-defined]
        for row in json.loads((ROOT / "benchmarks" / name).read_text())["rows"]:
            mem = cost.memory(make_spec(**row["config"]))
            base = mem.parameters + mem.input
            assert row["forward_estimate"] == mem.inference - base, (name, row["config"])
            assert row["training_estimate"] == mem.training - base, (name, row["config"])
    for name in [name for _, name in _cost_doc().time_grids()]:  # type: ignore[attr-defined]
        for row in json.loads((ROOT / "benchmarks" / name).read_text())["rows"]:
            estimate = cost.estimate(make_spec(**row["config"]))
            fields = [f.name for f in dataclasses.fields(cost.MachineRates)]
            rates = cost.MachineRates(**{k: v for k, v in row["rates"].items() if k in fields})
            assert row["forward_estimate"] == estimate.forward_seconds(rates=rates)
            assert row["stepwise_estimate"] == estimate.forward_seconds(stepwise=True, rates=rates)
            assert row["training_estimate"] == estimate.training_seconds(rates=rates)
