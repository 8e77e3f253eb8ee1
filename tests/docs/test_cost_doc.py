"""docs/cost.md's error bands are the figures of the stored benchmark results."""

from __future__ import annotations

import importlib.util
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
    stored = json.loads((ROOT / "benchmarks" / "memory-grid-results.json").read_text())
    for path, kinds in stored["bands"].items():
        for kind, (low, high) in kinds.items():
            assert cost.MEMORY_ERROR_BANDS[path][kind] == (low, high), (path, kind)
