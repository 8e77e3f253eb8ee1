"""How fast this machine runs what the time model counts, measured once per process.

A short run (tens of milliseconds) times a matrix product of the size the recurrent
layers multiply, and the cost of torch's step-by-step CPU kernel on a tiny module: per
step (64 steps against one) and per call (one step's call, less that step).
:func:`lstm_shapes.theory.cost.CostEstimate.forward_seconds` builds the time estimate on
these rates, and the budget decision uses it.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from typing import Any

from lstm_shapes.probe.runtime import import_torch, without_onednn
from lstm_shapes.theory.budget import use_rates
from lstm_shapes.theory.cost import ASSUMED_RATES, MachineRates

#: The product timed: (CAL_ROWS, CAL_INNER) @ (CAL_INNER, CAL_COLUMNS), 67 MFLOP.
CAL_ROWS, CAL_INNER, CAL_COLUMNS = 128, 256, 1024
#: Steps of the tiny module (LSTM(4, 8), one sequence) whose time per step is the overhead.
CAL_STEPS = 64
CAL_REPEATS = 7
#: Each timing stops repeating after this long (a very busy machine).
CAL_MAX_SECONDS = 0.02

#: What each further thread adds to a product's throughput (benchmarks/time_grid.py).
PARALLEL_EFFICIENCY = 0.7

_cached: MachineRates | None = None


def _best_seconds(run: Callable[[], Any]) -> float:
    """The fastest of a few calls after a warm-up: what the machine can do. The median
    would follow a shared machine's busy moments (threads waiting for a core can make one
    product 100x slower), which the quiet-machine estimate should not."""
    run()  # warm-up: first-call allocations
    best = float("inf")
    deadline = time.perf_counter() + CAL_MAX_SECONDS
    for _ in range(CAL_REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        if start > deadline:
            break
    return best


def machine_rates() -> MachineRates:
    """This machine's rates, calibrated on the first call and cached for the process.
    ``LSTM_SHAPES_CALIBRATE=0`` gives the assumed rates instead (for output that is the
    same on every machine: the docs and the tests use it)."""
    global _cached
    if os.environ.get("LSTM_SHAPES_CALIBRATE") == "0":
        rates = ASSUMED_RATES
    else:
        if _cached is None:
            _cached = calibrate()
        rates = _cached
    use_rates(rates)
    return rates


def calibrate() -> MachineRates:
    """Time the matrix product and the step overhead now."""
    torch = import_torch()
    start = time.perf_counter()
    threads = torch.get_num_threads()
    # One thread: on a shared machine, threads that wait for a core make a product up to
    # 100x slower; the rate of all threads is scaled from it.
    torch.set_num_threads(1)
    try:
        mm, stepwise, one_step = _time_all(torch)
    finally:
        torch.set_num_threads(threads)
    flops = 2 * CAL_ROWS * CAL_INNER * CAL_COLUMNS
    return MachineRates(
        flops_per_second=flops / mm * (1 + (threads - 1) * PARALLEL_EFFICIENCY),
        seconds_per_step=(stepwise - one_step) / (CAL_STEPS - 1),
        seconds_per_call=max(0.0, one_step - (stepwise - one_step) / (CAL_STEPS - 1)),
        calibration_seconds=time.perf_counter() - start,
    )


def _time_all(torch: Any) -> tuple[float, float, float]:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        a = torch.randn(CAL_ROWS, CAL_INNER)
        b = torch.randn(CAL_INNER, CAL_COLUMNS)
        mm = _best_seconds(lambda: torch.mm(a, b))
        module = torch.nn.LSTM(4, 8).eval()
        x = torch.randn(CAL_STEPS, 1, 4)
        with without_onednn(torch):
            stepwise = _best_seconds(lambda: module(x))
            one_step = _best_seconds(lambda: module(x[:1]))
    return mm, stepwise, one_step
