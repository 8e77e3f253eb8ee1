"""The torch plumbing every probe shares: importing torch quietly, choosing the device,
building the module, running it and comparing tensors."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any, TypeVar, cast

from lstm_shapes.errors import SpecError
from lstm_shapes.report.observation import VerifiedFact
from lstm_shapes.spec.core import ModuleSpec, Spec
from lstm_shapes.theory.cost import MAPPED_BYTES

T = TypeVar("T")


def import_torch() -> ModuleType:
    """Import torch without letting its import-time warnings (e.g. no NumPy) leak, with
    glibc's mmap threshold fixed first (:func:`fix_mmap_threshold`)."""
    fix_mmap_threshold()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch

    return torch  # type: ignore[no-any-return]


#: glibc's ``mallopt`` parameters: the mmap threshold, the heap's top pad (what the heap
#: grows by beyond a request, from which later requests of any size are then cut) and the
#: trim threshold (the free room at the heap's top it keeps instead of returning).
M_MMAP_THRESHOLD = -3
M_TOP_PAD = -2
M_TRIM_THRESHOLD = -1
#: glibc's initial mmap threshold, where lstm-shapes fixes it, and its initial top pad and
#: trim threshold.
MMAP_THRESHOLD_BYTES = 128 * 1024
TOP_PAD_BYTES = 128 * 1024
TRIM_THRESHOLD_BYTES = 128 * 1024
#: Where glibc's dynamic mmap threshold ends in a program that has freed blocks of 32 MiB
#: (its maximum on 64-bit systems, ``DEFAULT_MMAP_THRESHOLD_MAX``), and the trim threshold
#: it sets beside it (twice that): the heap a training loop runs with.
LOOP_MMAP_THRESHOLD_BYTES = 32 * 2**20
LOOP_TRIM_THRESHOLD_BYTES = 64 * 2**20


@cache
def libc() -> Any:
    """The C library this process runs on (its symbols are the process's own), or None."""
    import ctypes

    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


#: The threshold while a peak is measured (:func:`mapped_tensors`): the memory model counts
#: tensors from this size on in whole pages.
PEAK_MMAP_THRESHOLD_BYTES = MAPPED_BYTES


def _mallopt(parameter: int, value: int) -> bool:
    """glibc's ``mallopt``; False where the C library has none or refuses."""
    c = libc()
    try:
        return bool(c is not None and c.mallopt(parameter, value))
    except AttributeError:
        return False


def fix_mmap_threshold() -> bool:
    """Stop glibc from raising its mmap threshold, for the rest of the process (in the
    Python API, your process too); False where the C library is not glibc.

    glibc moves the threshold up to the largest block freed so far (up to 32 MiB); blocks
    below it then come from the heap, and a freed one stays there as a free chunk that a
    later tensor of any size may be cut from. A measured peak then depends on what the
    process ran before (a full-size shape check first: up to 15% more; a program's earlier
    work: up to 19%). Fixed at glibc's initial 128 KiB before torch allocates anything,
    every tensor of 128 KiB or more is its own mapping, returned when it is freed. Calling
    it again is cheap and changes nothing."""
    return _mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


@contextmanager
def mapped_tensors() -> Iterator[None]:
    """Every block of 4 KiB or more its own mapping while the block runs (then 128 KiB
    again): the step-by-step path's per-step tensors (a step's ``h``, often 10-100 KiB)
    would otherwise come from glibc's heap, where a freed one leaves a hole that the next
    step's aligned request of the same size does not fit, and the peak would depend on how
    the holes happen to merge (the same RNN forward measured 467 or 621 MiB in one
    process). Mapped, a freed tensor is returned at once, and the peak is the tensors
    alive at once, each rounded up to whole pages. The heap's top pad is 0 meanwhile: a
    4 KiB tensor would otherwise be cut from the room the heap keeps beyond its last small
    block, and fragment it (an LSTM's training step in float64, N=29, H=38: 59.7 MiB,
    49.5 MiB without the pad)."""
    _mallopt(M_MMAP_THRESHOLD, PEAK_MMAP_THRESHOLD_BYTES)
    _mallopt(M_TOP_PAD, 0)
    try:
        yield
    finally:
        fix_mmap_threshold()
        _mallopt(M_TOP_PAD, TOP_PAD_BYTES)


@contextmanager
def loop_heap() -> Iterator[None]:
    """glibc's heap as a training loop has it while the block runs: blocks below 32 MiB
    from the heap, used again, and up to 64 MiB of free room kept at its top (where glibc's
    own dynamic threshold takes a program that frees such blocks). Timed runs run here: at
    the fixed 128 KiB every temporary would be a mapping of its own, with a page fault per
    page at every step (an RNN's training step, ``H=1495``, ``N=2``: 2.1 s instead of
    0.7 s). Afterwards 128 KiB again."""
    _mallopt(M_MMAP_THRESHOLD, LOOP_MMAP_THRESHOLD_BYTES)
    _mallopt(M_TRIM_THRESHOLD, LOOP_TRIM_THRESHOLD_BYTES)
    try:
        yield
    finally:
        fix_mmap_threshold()
        _mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)


@contextmanager
def without_onednn(torch: ModuleType) -> Iterator[None]:
    """A context without oneDNN (mkldnn) RNN kernels: for the tiny modules we run, building
    a oneDNN primitive for every new shape costs ~100 ms a call, the plain CPU kernel ~2 ms
    (it matters for ``check --spec`` with many cases); results are the same.
    (``torch.backends.mkldnn.flags()`` would do it too, but warns on every use.)"""
    backend = torch.backends.mkldnn
    previous = backend.enabled
    backend.enabled = False
    try:
        yield
    finally:
        backend.enabled = previous


def available_devices(torch: ModuleType) -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{k}" for k in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(torch: ModuleType, requested: str) -> Any:
    """``auto`` is CUDA when available, else CPU; an unavailable device is a SpecError."""
    available = available_devices(torch)
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cpu":
        return torch.device("cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SpecError(
                f"--device {requested} was asked for, but CUDA is not available here "
                f"(available: {', '.join(available)})"
            )
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise SpecError(
                f"--device {requested} was asked for, but there is no such CUDA device "
                f"(available: {', '.join(available)})"
            )
        return torch.device("cuda", index)
    if requested == "mps":
        if "mps" not in available:
            raise SpecError(
                f"--device mps was asked for, but MPS is not available here "
                f"(available: {', '.join(available)})"
            )
        return torch.device("mps")
    raise SpecError(f"--device must be one of auto, cpu, cuda, cuda:K or mps (got {requested!r})")


def build_module(torch: ModuleType, m: ModuleSpec) -> Any:
    if m.is_cell:
        if m.kind == "lstmcell":
            return torch.nn.LSTMCell(m.input_size, m.hidden_size, bias=m.bias)
        if m.kind == "grucell":
            return torch.nn.GRUCell(m.input_size, m.hidden_size, bias=m.bias)
        return torch.nn.RNNCell(
            m.input_size, m.hidden_size, bias=m.bias, nonlinearity=m.nonlinearity
        )
    common: dict[str, Any] = {
        "num_layers": m.num_layers,
        "bias": m.bias,
        "batch_first": m.batch_first,
        "dropout": m.dropout,
        "bidirectional": m.bidirectional,
    }
    if m.kind == "lstm":
        return torch.nn.LSTM(m.input_size, m.hidden_size, proj_size=m.proj_size, **common)
    if m.kind == "gru":
        return torch.nn.GRU(m.input_size, m.hidden_size, **common)
    return torch.nn.RNN(m.input_size, m.hidden_size, nonlinearity=m.nonlinearity, **common)


def placed(module: Any, torch: Any, device: Any, dtype: Any) -> Any:
    """The module on ``device`` in ``dtype``, in eval mode (``.to`` is skipped when it would
    change nothing: it walks every parameter, a third of the cost of a tiny module)."""
    if device.type != "cpu" or dtype != torch.float32:
        module = module.to(device=device, dtype=dtype)
    return module.eval()


#: Modules kept while :func:`reusing_modules` is active, by configuration, device, dtype
#: and seed, with their parameter counts; ``None`` outside it. The oldest go first once
#: they hold more than REUSE_MAX_PARAMETERS in all (16 MiB in float32).
_reused: dict[tuple[Any, ...], tuple[Any, int, tuple[Any, ...]]] | None = None
REUSE_MAX_PARAMETERS = 4_000_000


#: Results of runs kept while :func:`reusing_modules` is active (see :func:`remembered`).
#: A result holds about 5 KiB of shapes and checks: 1,024 of them, about 5 MiB, is what
#: a spec file of many distinct configurations adds to the peak at most.
_runs: dict[tuple[Any, ...], Any] | None = None
REUSE_MAX_RUNS = 1024


@contextmanager
def reusing_modules() -> Iterator[None]:
    """Within this context :func:`seeded_module` builds each distinct configuration once
    and :func:`remembered` runs each distinct probe once (``check --spec`` runs thousands
    of cases that share a few configurations). The probe only runs modules without
    autograd, so a reused module is the one a fresh build would give, and a run with the
    same module and seeded input gives the same result."""
    global _reused, _runs
    previous, _reused = _reused, {}
    previous_runs, _runs = _runs, {}
    try:
        yield
    finally:
        _reused, _runs = previous, previous_runs


def remembered(key: tuple[Any, ...], run: Callable[[], T]) -> T:
    """``run()``, or within :func:`reusing_modules` its earlier result for ``key`` (which
    must hold everything the result depends on). Results hold no torch object."""
    if _runs is None:
        return run()
    if key not in _runs:
        if len(_runs) >= REUSE_MAX_RUNS:
            _runs.pop(next(iter(_runs)))
        _runs[key] = run()
    return cast(T, _runs[key])


def seeded_module(torch: Any, spec: Spec, device: Any, dtype: Any) -> Any:
    """The module of ``spec`` with weights drawn from its seed, placed on ``device``.
    A reused module repeats the warnings its construction gave (e.g. about dropout)."""
    key = (spec.module, spec.run.seed, str(device), str(dtype))
    if _reused is not None and key in _reused:
        module, _size, given = _reused[key]
        for warning in given:
            warnings.warn(warning.message, warning.category, stacklevel=2)
        return module
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # weights are drawn on the CPU before .to(device): seeding the CPU generator is
        # enough, and skips torch.manual_seed's per-call cost of seeding every backend
        torch.default_generator.manual_seed(spec.run.seed)
        module = placed(build_module(torch, spec.module), torch, device, dtype)
    for warning in caught:
        warnings.warn(warning.message, warning.category, stacklevel=2)
    if _reused is not None:
        size = parameter_total(module)
        while _reused and size + sum(n for _, n, _ in _reused.values()) > REUSE_MAX_PARAMETERS:
            _reused.pop(next(iter(_reused)))
        if size <= REUSE_MAX_PARAMETERS:
            _reused[key] = (module, size, tuple(caught))
    return module


def parameter_total(module: Any) -> int:
    return sum(int(p.numel()) for p in module.parameters())


def tolerance(dtype: str) -> float:
    return {"float64": 1e-12, "float32": 1e-6}.get(dtype, 1e-3)


def max_abs_diff(a: Any, b: Any) -> float:
    return float((a.double() - b.double()).abs().max().item()) if a.numel() else 0.0


def run_forward(module: Any, args: tuple[Any, ...], spec: Spec) -> Any:
    try:
        return module(*args)
    except RuntimeError as error:
        text = str(error).splitlines()[0]
        if "not implemented for" in text or "Unsupported" in text or "dtype" in text.lower():
            raise SpecError(
                f"--dtype {spec.run.dtype} cannot run nn.{spec.module.class_name} on "
                f"{spec.run.device} (torch: {text}); use float32 or float64"
            ) from None
        raise


def default_state_check(spec: Spec, output: Any, output_zeros: Any) -> VerifiedFact:
    """Fact 5: leaving out the initial state is the same as passing zeros."""
    diff = max_abs_diff(output, output_zeros)
    state = "(h0, c0)" if spec.module.has_cell else "h0"
    result = "h1" if spec.module.is_cell else "output"
    return VerifiedFact(
        "default-state-zeros",
        f"omitting {state} gives the same {result} as passing zeros",
        diff <= tolerance(spec.run.dtype),
        diff,
    )


@contextmanager
def single_thread(enabled: bool = True) -> Iterator[None]:
    """Run torch on one thread, then restore the caller's setting.

    Teaching examples are tiny: on a busy machine torch's thread pool makes them ~50x
    slower than one thread does. Large configurations keep the pool (``enabled=False``)."""
    if not enabled:
        yield
        return
    torch = import_torch()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
