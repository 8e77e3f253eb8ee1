"""How fast this machine runs what the time model counts, measured once per process.

A short run (tens of milliseconds) times a matrix product of the size the recurrent
layers multiply, a matrix-vector product (the weights a step of one sequence reads), an
element-wise operation (a step's gates), and the cost of torch's two CPU kernels on a tiny
module: per step and per call, step by step (64 steps against one) and fused (oneDNN:
256 steps against 16, at torch's threads, which it meets at every step).
:func:`lstm_shapes.theory.cost.CostEstimate.forward_seconds` builds the time estimate on
these rates, and the budget decision uses it.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstm_shapes.probe.runtime import import_torch, without_onednn
from lstm_shapes.theory.budget import use_rates
from lstm_shapes.theory.cost import ASSUMED_RATES, MachineRates

#: The product timed: (CAL_ROWS, CAL_INNER) @ (CAL_INNER, CAL_COLUMNS), 67 MFLOP.
CAL_ROWS, CAL_INNER, CAL_COLUMNS = 128, 256, 1024
#: Steps of the tiny module (LSTM(4, 8), one sequence) whose time per step is the overhead.
CAL_STEPS = 64
#: The fused kernel's steps: (short, long) sequences of the tiny module, whose difference
#: is its cost per step (a one-step call sets up as much as a short one, so it is not used)
CAL_FUSED_STEPS = (16, 256)
#: The matrix-vector product: (1, CAL_VECTOR[0]) @ (CAL_VECTOR[0], CAL_VECTOR[1]), 2 MiB
#: of float32 weights (within the L2 or L3 cache, as most recurrent weights are)
CAL_VECTOR = (512, 1024)
#: Elements of the element-wise operation timed (a sigmoid: reads and writes each once)
CAL_ELEMENTS = 65536
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
    """Time the products, the element-wise operation and both kernels' steps now."""
    torch = import_torch()
    start = time.perf_counter()
    threads = torch.get_num_threads()
    # One thread: on a shared machine, threads that wait for a core make a product up to
    # 100x slower; the rate of all threads is scaled from it.
    torch.set_num_threads(1)
    try:
        mm, stepwise, one_step, matvec, sigmoid = _time_all(torch)
    finally:
        torch.set_num_threads(threads)
    short, long = _time_fused(torch)
    flops = 2 * CAL_ROWS * CAL_INNER * CAL_COLUMNS
    per_step = _per_step(stepwise, one_step, CAL_STEPS, 1)
    fused_step = _per_step(long, short, *reversed(CAL_FUSED_STEPS))
    return MachineRates(
        flops_per_second=flops / mm * (1 + (threads - 1) * PARALLEL_EFFICIENCY),
        seconds_per_step=per_step,
        seconds_per_call=max(0.0, one_step - per_step),
        calibration_seconds=time.perf_counter() - start,
        seconds_per_fused_step=fused_step,
        seconds_per_fused_call=max(0.0, short - CAL_FUSED_STEPS[0] * fused_step),
        weight_bytes_per_second=4 * CAL_VECTOR[0] * CAL_VECTOR[1] / matvec,
        gate_bytes_per_second=2 * 4 * CAL_ELEMENTS / sigmoid,
        onednn_brgemm=onednn_brgemm(),
    )


def _per_step(long: float, short: float, long_steps: int, short_steps: int) -> float:
    """The cost of one step: what ``long_steps`` cost beyond ``short_steps``. Where a busy
    machine made the short run the slower one, the long run's time per step instead (an
    upper bound: it includes the call), never 0."""
    if long > short:
        return (long - short) / (long_steps - short_steps)
    return long / long_steps


#: The CPU flags of oneDNN's ``avx2`` ISA, the least on which its x64 RNN kernels are
#: brgemm ones (``ONEDNN_VERBOSE=1`` names ``brgemm:avx2`` under ``ONEDNN_MAX_CPU_ISA=AVX2``
#: and ``ref`` under ``AVX``, with torch 2.13)
BRGEMM_FLAGS = ("avx2",)
#: The ISA caps below which oneDNN's RNN falls back to its reference (gemm) kernels
BELOW_BRGEMM = ("SSE41", "AVX")


def onednn_brgemm(cpuinfo: str | None = None, environ: dict[str, str] | None = None) -> bool:
    """Whether oneDNN runs its brgemm RNN kernels on this CPU: on x64, those with AVX2,
    unless ``ONEDNN_MAX_CPU_ISA`` (or ``DNNL_MAX_CPU_ISA``) caps it below. Where the
    CPU's flags cannot be read (not Linux, not x64), assumed so: they read more per step,
    and the estimate errs long."""
    env = os.environ if environ is None else environ
    cap = (env.get("ONEDNN_MAX_CPU_ISA") or env.get("DNNL_MAX_CPU_ISA") or "").upper()
    if cap in BELOW_BRGEMM:
        return False
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return True
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return all(flag in flags for flag in BRGEMM_FLAGS)
    return True


def _time_all(torch: Any) -> tuple[float, float, float, float, float]:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        a = torch.randn(CAL_ROWS, CAL_INNER)
        b = torch.randn(CAL_INNER, CAL_COLUMNS)
        mm = _best_seconds(lambda: torch.mm(a, b))
        vector = torch.randn(1, CAL_VECTOR[0])
        weights = torch.randn(CAL_VECTOR)
        matvec = _best_seconds(lambda: torch.mm(vector, weights))
        gates = torch.randn(CAL_ELEMENTS)
        out = torch.empty(CAL_ELEMENTS)
        sigmoid = _best_seconds(lambda: torch.sigmoid(gates, out=out))
        module = torch.nn.LSTM(4, 8).eval()
        x = torch.randn(CAL_STEPS, 1, 4)
        with without_onednn(torch):
            stepwise = _best_seconds(lambda: module(x))
            one_step = _best_seconds(lambda: module(x[:1]))
    return mm, stepwise, one_step, matvec, sigmoid


def _time_fused(torch: Any) -> tuple[float, float]:
    """The tiny module's short and long sequences on the fused kernel, at torch's threads."""
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        module = torch.nn.LSTM(4, 8).eval()
        short, long = (torch.randn(steps, 1, 4) for steps in CAL_FUSED_STEPS)
        return _best_seconds(lambda: module(short)), _best_seconds(lambda: module(long))
