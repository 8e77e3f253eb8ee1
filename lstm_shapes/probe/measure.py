"""Measuring what a run really costs: free device memory, peak memory, FLOPs as torch
counts them, and time. torch is imported inside functions only.

Peak memory is measured, not inferred: on CUDA with ``torch.cuda.max_memory_allocated``
(tensors only); on the CPU as the rise of the process's peak resident set size (``VmHWM``
in ``/proc/self/status``, reset beforehand through ``/proc/self/clear_refs``). The CPU
figure includes allocator overhead and misses memory that the allocator reuses from earlier
frees, so it is honest to a few MiB, not to the byte.

glibc's malloc moves its mmap threshold up to the largest block freed so far (up to
32 MiB), after which blocks below it come from the heap and stay there when freed, as free
chunks that later tensors are cut from: the same forward pass then peaks up to 60% higher
or not, depending on what the process ran before. lstm-shapes fixes the threshold at
128 KiB before torch allocates anything, and again whenever it asks for torch
(:func:`~lstm_shapes.probe.runtime.fix_mmap_threshold`, in ``import_torch``, so also in a
process that imported torch itself). While a peak is measured the threshold is 4 KiB
(:func:`~lstm_shapes.probe.runtime.mapped_tensors`): every tensor of 4 KiB or more, the
step-by-step path's per-step tensors among them, is then a mapping of its own, and the
peak is that of the tensors alive at once, in whole pages: two identical runs agree to a
few percent. Peaks of 16 MiB or more are measured in a new process
(:func:`measure_in_fresh_process`), where nothing ran before. Timed runs come after every
peak, with the heap as a training loop has it
(:func:`~lstm_shapes.probe.runtime.loop_heap`): a time is that of your program's loop.
"""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lstm_shapes.probe.runtime import (
    build_module,
    import_torch,
    libc,
    loop_heap,
    mapped_tensors,
    resolve_device,
)
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
    if spec.run.device == "cpu" or spec.run.device == "mps":
        return _recent_available_ram(), "RAM"
    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free), "VRAM"
    return _recent_available_ram(), "RAM"


_ram_read: tuple[float, int | None] | None = None
#: How long a reading of MemAvailable is reused (``check --spec`` asks for every case).
RAM_READING_SECONDS = 0.5


def _recent_available_ram() -> int | None:
    from lstm_shapes.theory.budget import available_ram

    global _ram_read
    now = time.monotonic()
    if _ram_read is None or now - _ram_read[0] > RAM_READING_SECONDS:
        _ram_read = (now, available_ram())
    return _ram_read[1]


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
    c = libc()
    try:
        if c is not None:
            c.malloc_trim(0)
    except AttributeError:
        return


#: Writing 5 here resets the process's peak RSS (``VmHWM``): Linux only.
CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak_rss() -> bool:
    _release_free_heap()
    try:
        CLEAR_REFS.write_text("5")
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

    def method_name(self) -> str | None:
        """How the peak is measured on this device (``None``: it cannot be)."""
        if self.device.type == "cuda":
            return CUDA_PEAK_METHOD
        if self.device.type == "cpu" and CLEAR_REFS.exists():
            return CPU_PEAK_METHOD
        return None

    def __exit__(self, *exc: object) -> None:
        if self.method == CUDA_PEAK_METHOD:
            self.torch.cuda.synchronize(self.device)
            self.peak = int(self.torch.cuda.max_memory_allocated(self.device)) - self.base
        elif self.method == CPU_PEAK_METHOD:
            high = _status_kib("VmHWM")
            self.peak = None if high is None else max(0, high - self.base)


def timed_runs(run: Callable[[], Any], sync: Callable[[], None], repeats: int) -> tuple[float, ...]:
    """Seconds of ``repeats`` calls of ``run``, after one untimed call, with the heap as a
    training loop has it (:func:`~lstm_shapes.probe.runtime.loop_heap`)."""
    times = []
    with loop_heap():
        run()
        sync()
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            sync()
            times.append(time.perf_counter() - start)
    return tuple(times)


def _peaks(torch: Any, device: Any, run: Callable[[], Any], runs: int) -> tuple[int | None, ...]:
    """The peak each call of ``run`` adds, measured separately for each call."""
    peaks = []
    for _ in range(runs):
        with mapped_tensors(), PeakMeter(torch, device) as meter:
            run()
        peaks.append(meter.peak)
    return tuple(peaks)


def _model_input(torch: Any, spec: Spec, device: Any, dtype: Any) -> Any:
    """What the user's model is fed: the input tensor, or packed by ``--lengths``."""
    shape = theory.tensor_shapes(spec)["input"].shape
    generator = torch.Generator().manual_seed(spec.run.seed)
    x = torch.randn(shape, generator=generator).to(device=device, dtype=dtype)
    if spec.input.lengths is None:
        return x
    from torch.nn.utils.rnn import pack_padded_sequence

    lengths = torch.tensor(spec.input.lengths)
    return pack_padded_sequence(
        x, lengths, batch_first=spec.module.batch_first, enforce_sorted=False
    )


def count_flops(run: Callable[[], Any]) -> int:
    """FLOPs of ``run`` as torch's FlopCounterMode counts them. Its first use loads torch's
    compiler (seconds), hence ``--verify-flops`` only."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        run()
    return int(counter.get_total_flops())


def measure(
    spec: Spec,
    *,
    timing: bool = False,
    backward: bool = False,
    verify_flops: bool = False,
    repeats: int = 7,
    peak_runs: int = 3,
    fresh: bool = False,
) -> Measurement:
    """Run the user's model at full size on torch's default path (packed when ``spec``
    has lengths): the peak memory of the first call and the median of ``peak_runs``
    calls after it, with ``timing`` the seconds of ``repeats`` calls, with
    ``verify_flops`` FlopCounterMode's count; with ``backward`` the same for a training
    step (forward + backward). ``fresh``: on the CPU, in a new Python process
    (:func:`measure_in_fresh_process`), here if that cannot start: a process that freed
    large blocks before lstm-shapes first imported torch, or that ran timed measurements,
    measures here peaks cut from its free heap chunks (up to 19% more; after timed runs
    +2% to +17%)."""
    torch = import_torch()
    options = {"timing": timing, "backward": backward, "verify_flops": verify_flops,
               "repeats": repeats, "peak_runs": peak_runs}  # fmt: skip
    on_cpu = resolve_device(torch, spec.run.device).type == "cpu"
    if fresh and on_cpu and CLEAR_REFS.exists():  # a peak it can measure
        measured = measure_in_fresh_process(spec, options, torch.get_num_threads())
        if measured is not None:
            return measured
    # Every object alive now (torch's own, tens of thousands) is left out of the garbage
    # collections the peak meter makes, so that each takes milliseconds, not a third of a
    # second; what the run leaves behind is still collected.
    gc.freeze()
    try:
        return _measure(spec, torch, timing, backward, verify_flops, repeats, peak_runs)
    finally:
        gc.unfreeze()


def measure_in_fresh_process(
    spec: Spec, options: dict[str, Any], threads: int
) -> Measurement | None:
    """:func:`measure` in a new Python process on ``threads`` threads, or None if it
    cannot start or fails. A CPU peak counts the resident pages the run adds, and what this
    process ran before (the shape check at full size, a notebook's training) leaves freed
    heap chunks that the run's tensors would be cut from: in a new process nothing has.
    Costs an import of torch (about a second), so ``explain`` asks for it only where the
    estimate is 16 MiB or more."""
    import dataclasses
    import json
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[2])  # where this lstm_shapes is imported from
    code = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "from lstm_shapes.probe.measure import measure_requested; measure_requested()"
    )
    request = {"spec": dataclasses.asdict(spec), "options": options, "threads": threads}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(request), capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        fields = json.loads(done.stdout.splitlines()[-1]) if done.returncode == 0 else None
    except (OSError, ValueError, IndexError):
        return None
    if not isinstance(fields, dict):
        return None
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return Measurement(**values)


def measure_requested() -> None:
    """The new process's side of :func:`measure_in_fresh_process`: the request on stdin,
    the measurement as JSON on stdout."""
    import dataclasses
    import json
    import sys

    from lstm_shapes.spec.core import InputSpec, ModuleSpec, RunSpec

    request = json.loads(sys.stdin.read())
    given = request["spec"]
    lengths = given["input"]["lengths"]
    spec = Spec(
        ModuleSpec(**given["module"]),
        InputSpec(**{**given["input"], "lengths": None if lengths is None else tuple(lengths)}),
        RunSpec(**given["run"]),
    )
    import_torch().set_num_threads(request["threads"])
    measured = measure(spec, **request["options"])
    print(json.dumps(dataclasses.asdict(measured)))


def _measure(
    spec: Spec,
    torch: Any,
    timing: bool,
    backward: bool,
    verify_flops: bool,
    repeats: int,
    peak_runs: int,
) -> Measurement:
    device = resolve_device(torch, spec.run.device)
    dtype = getattr(torch, spec.run.dtype)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.default_generator.manual_seed(spec.run.seed)
        module = build_module(torch, spec.module).to(device=device, dtype=dtype).eval()
        model_input = _model_input(torch, spec, device, dtype)

        def forward() -> None:
            with torch.no_grad():
                module(model_input)
            sync()

        # every peak before any other run: a timed or counted run (timed: blocks under
        # 32 MiB from the heap) leaves heap holes that a later measured run would be cut from
        first = _peaks(torch, device, forward, 1)[0]
        forward_peaks = _peaks(torch, device, forward, peak_runs)
        first_training = None
        training_peaks: tuple[int | None, ...] = ()
        if backward:
            module.train()

            def train_step() -> None:
                result = module(model_input)
                # output (a PackedSequence with lengths), or a cell's h1 (LSTMCell: h1, c1)
                output = result[0] if isinstance(result, tuple) else result
                data = output.data if spec.input.lengths is not None else output
                data.sum().backward()
                module.zero_grad(set_to_none=True)
                sync()

            first_training = _peaks(torch, device, train_step, 1)[0]
            training_peaks = _peaks(torch, device, train_step, peak_runs)
            module.eval()
        flops_forward = count_flops(forward) if verify_flops else None
        forward_times = timed_runs(forward, sync, repeats) if timing else ()

        flops_training = None
        training_times: tuple[float, ...] = ()
        if backward:
            module.train()
            flops_training = count_flops(train_step) if verify_flops else None
            training_times = timed_runs(train_step, sync, repeats) if timing else ()

    method = PeakMeter(torch, device).method_name()
    return Measurement(
        device=str(device),
        measured="packed forward" if spec.input.lengths is not None else "forward",
        flop_counter_forward=flops_forward,
        flop_counter_training=flops_training,
        peak_method=method,
        peak_forward_first=first,
        peak_forward_runs=_known(forward_peaks),
        peak_training_first=first_training,
        peak_training_runs=_known(training_peaks),
        forward_times=forward_times,
        training_times=training_times,
    )


def _known(peaks: tuple[int | None, ...]) -> tuple[int, ...]:
    return tuple(p for p in peaks if p is not None)
