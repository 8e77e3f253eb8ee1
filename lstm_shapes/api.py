"""The Python API: build a spec, run torch, return a report. Nothing here prints."""

from __future__ import annotations

from typing import Any

from lstm_shapes.report import Report, build_report
from lstm_shapes.spec import Spec, make_spec


def explain(spec: Spec | None = None, /, **options: Any) -> Report:
    """Run the real module and return a :class:`Report` of every shape.

    Either pass a :class:`Spec`, or the options by name as on the command line
    (``input_size=10, hidden_size=20, batch_first=True, batch=3, seq_len=7``).

    >>> report = explain(input_size=10, hidden_size=20, num_layers=2, bidirectional=True)
    >>> report.tensors["hn"].shape
    (4, 3, 20)
    """
    from lstm_shapes.probe import observe

    if spec is None:
        spec = make_spec(**options)
    elif options:
        raise TypeError("explain() takes either a Spec or options, not both")
    return build_report(spec, observe(spec))
