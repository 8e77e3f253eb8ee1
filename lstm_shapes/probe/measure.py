"""Measuring what a run really costs: free device memory, peak memory, FLOPs as torch
counts them, and time. torch is imported inside functions only.

Peak memory is measured, not inferred: on CUDA with ``torch.cuda.max_memory_allocated``
(tensors only); on the CPU as the rise of the process's peak resident set size (``VmHWM``
in ``/proc/self/status``, reset beforehand through ``/proc/self/clear_refs``). The CPU
figure includes allocator overhead and misses memory that the allocator reuses from earlier
frees, so it is honest to a few MiB, not to the byte.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lstm_shapes.probe.runtime import build_module, import_torch, resolve_device
from lstm_shapes.report.cost import CPU_PEAK_METHOD, CUDA_PEAK_METHOD, Measurement
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory


@contextmanager
def native_cpu_kernels() -> Iterator[None]:
    """Run the shape probe on torch's native CPU kernels instead of oneDNN's: the first
    oneDNN LSTM call JIT-compiles its kernels (about a second on a small CPU), and the
    shapes and identities the probe checks are the same on both. ``--cost``/``--time``
    measure the default path."""
    torch = import_torch()
    mkldnn = torch.backends.mkldnn
    before = mkldnn.enabled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that its TF32 setting is deprecated
        mkldnn.enabled = False
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mkldnn.enabled = before


def device_free_memory(spec: Spec) -> tuple[int | None, str]:
    """Free memory where the run will happen: VRAM on CUDA, else ``MemAvailable``."""
    from lstm_shapes.theory.budget import available_ram

    if spec.run.device == "cpu" or spec.run.device == "mps":
        return available_ram(), "RAM"
    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free), "VRAM"
    return available_ram(), "RAM"


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _release_free_heap() -> None:
    """Give freed heap pages back to the OS (glibc ``malloc_trim``), so that memory reused
    from earlier frees shows up in the RSS again instead of hiding from the measurement."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        return


def _reset_peak_rss() -> bool:
    _release_free_heap()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakMeter:
    """The peak memory a block of code adds, on the device the tensors live on."""

    def __init__(self, torch: Any, device: Any) -> None:
        self.torch = torch
        self.device = device
        self.method: str | None = None
        self.peak: int | None = None

    def __enter__(self) -> PeakMeter:
        import gc

        gc.collect()
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)
            self.torch.cuda.reset_peak_memory_stats(self.device)
            self.base = int(self.torch.cuda.memory_allocated(self.device))
            self.method = CUDA_PEAK_METHOD
        elif self.device.type == "cpu" and _reset_peak_rss():
            self.base = _status_kib("VmRSS") or 0
            self.method = CPU_PEAK_METHOD
        return self

    def __exit__(self, *exc: object) -> None:
        if self.method == CUDA_PEAK_METHOD:
            self.torch.cuda.synchronize(self.device)
            self.peak = int(self.torch.cuda.max_memory_allocated(self.device)) - self.base
        elif self.method == CPU_PEAK_METHOD:
            high = _status_kib("VmHWM")
            self.peak = None if high is None else max(0, high - self.base)


def _median_seconds(run: Callable[[], Any], sync: Callable[[], None], repeats: int) -> float:
    run()  # warm-up: first-call allocations, oneDNN primitive creation
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(
    spec: Spec, *, timing: bool = False, backward: bool = False, repeats: int = 5
) -> Measurement:
    """Run ``spec`` at full size: peak memory and FlopCounterMode's count of one forward
    pass (and forward + backward), and with ``timing`` the median of ``repeats`` runs."""
    from torch.utils.flop_counter import FlopCounterMode

    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    dtype = getattr(torch, spec.run.dtype)
    input_shape = theory.tensor_shapes(spec)["input"].shape

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(spec.run.seed)
        generator = torch.Generator().manual_seed(spec.run.seed)
        with PeakMeter(torch, device) as forward_meter:
            module = build_module(torch, spec.module).to(device=device, dtype=dtype).eval()
            x = torch.randn(input_shape, generator=generator).to(device=device, dtype=dtype)
            with torch.no_grad():
                result = module(x)
            sync()
        del result

        def forward() -> Any:
            with torch.no_grad():
                return module(x)

        with FlopCounterMode(display=False) as counter:
            forward()
        flops_forward = int(counter.get_total_flops())
        forward_seconds = _median_seconds(forward, sync, repeats) if timing else None

        flops_training = peak_training = training_seconds = None
        if backward:
            module.train()

            def train_step() -> None:
                output, _state = module(x)
                output.sum().backward()
                module.zero_grad(set_to_none=True)

            with PeakMeter(torch, device) as training_meter:
                train_step()
            peak_training = training_meter.peak
            with FlopCounterMode(display=False) as counter:
                output, _state = module(x)
                output.sum().backward()
            module.zero_grad(set_to_none=True)
            del output, _state
            flops_training = int(counter.get_total_flops())
            if timing:
                training_seconds = _median_seconds(train_step, sync, repeats)

    return Measurement(
        device=str(device),
        flop_counter_forward=flops_forward,
        flop_counter_training=flops_training,
        peak_method=forward_meter.method,
        peak_forward=forward_meter.peak,
        peak_training=peak_training,
        runs=repeats if timing else 0,
        forward_seconds=forward_seconds,
        training_seconds=training_seconds,
    )
