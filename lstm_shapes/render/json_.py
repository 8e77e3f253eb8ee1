"""``--format json``: the contract of design.md, pretty-printed."""

from __future__ import annotations

import json
from collections.abc import Sequence

from lstm_shapes.report.explain import Report
from lstm_shapes.report.variants import VariantsReport


def explain_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def variants_json(reports: Sequence[Report]) -> str:
    data = VariantsReport(tuple(reports)).as_dict()
    return json.dumps(data, indent=2) + "\n"
