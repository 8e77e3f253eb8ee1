"""The budget of one run: what the user allowed (``--max-memory``, ``--max-time``), what the
device has free, and how fast this machine is (calibrated once per process). The decision
itself is pure: :mod:`lstm_shapes.theory.budget`."""

from __future__ import annotations

from lstm_shapes.spec.core import Spec
from lstm_shapes.spec.limits import parse_max_time
from lstm_shapes.theory.budget import Budget, make_budget, parse_memory


def budget_for(spec: Spec, max_memory: object = None, max_time: object = None) -> Budget:
    """``max_memory`` and ``max_time`` as typed (None: the defaults), validated first so a
    bad value is refused before torch is imported."""
    limit = parse_memory(max_memory) if max_memory is not None else None
    seconds = parse_max_time(max_time) if max_time is not None else None
    from lstm_shapes.probe.calibrate import machine_rates
    from lstm_shapes.probe.measure import device_free_memory

    free, where = device_free_memory(spec)
    machine_rates()  # every time estimate from here on is on this machine's rates
    return make_budget(limit, seconds, free, where)
