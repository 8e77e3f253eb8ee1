"""The one module that touches torch: build the real module, run it, record what happened.

torch is imported inside functions only, so importing this module is free; nothing it
returns holds a torch object.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import ModuleSpec, Spec
from lstm_shapes.theory import shapes as theory

# Warnings torch raises that say nothing about the user's configuration.
_IRRELEVANT_WARNINGS = (
    "Failed to initialize NumPy",
    "not supported with oneDNN",
)
_DROPOUT_WARNING = "dropout option adds dropout after all but last recurrent layer"


@dataclass(frozen=True)
class Check:
    """A statement verified numerically on this run."""

    id: str
    statement: str
    holds: bool
    max_abs_diff: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "statement": self.statement, "holds": self.holds}
        if self.max_abs_diff is not None:
            data["max_abs_diff"] = self.max_abs_diff
        return data


@dataclass(frozen=True)
class Observation:
    torch_version: str
    device: str
    dtype: str
    shapes: dict[str, tuple[int, ...]]
    parameters: list[tuple[str, tuple[int, ...]]]
    checks: list[Check] = field(default_factory=list)
    torch_warnings: list[str] = field(default_factory=list)


def import_torch() -> ModuleType:
    """Import torch without letting its import-time warnings (e.g. no NumPy) leak."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch

    return torch  # type: ignore[no-any-return]


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


def _placed(module: Any, torch: Any, device: Any, dtype: Any) -> Any:
    """The module on ``device`` in ``dtype``, in eval mode (``.to`` is skipped when it would
    change nothing: it walks every parameter, a third of the cost of a tiny module)."""
    if device.type != "cpu" or dtype != torch.float32:
        module = module.to(device=device, dtype=dtype)
    return module.eval()


def _tolerance(dtype: str) -> float:
    return {"float64": 1e-12, "float32": 1e-6}.get(dtype, 1e-3)


def _max_abs_diff(a: Any, b: Any) -> float:
    return float((a.double() - b.double()).abs().max().item()) if a.numel() else 0.0


def _run_forward(module: Any, args: tuple[Any, ...], spec: Spec) -> Any:
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


def observe(spec: Spec) -> Observation:
    """Build the module, run one forward pass, and record shapes and checks."""
    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    if device.type == "mps" and spec.run.dtype == "float64":
        raise SpecError(
            "--dtype float64 cannot run on --device mps (allowed: float32, float16, bfloat16)"
        )
    dtype = getattr(torch, spec.run.dtype)
    names = theory.tensor_names(spec.module)
    input_shape = theory.tensor_shapes(spec)["input"].shape

    with warnings.catch_warnings(record=True) as caught, without_onednn(torch):
        warnings.simplefilter("always")
        # weights are drawn on the CPU before .to(device): seeding the CPU generator is
        # enough, and skips torch.manual_seed's per-call cost of seeding every backend
        torch.default_generator.manual_seed(spec.run.seed)
        module = _placed(build_module(torch, spec.module), torch, device, dtype)
        generator = torch.Generator().manual_seed(spec.run.seed)
        # Drawn on the CPU in float32, so the same seed gives the same input everywhere.
        x = torch.randn(input_shape, generator=generator).to(device=device, dtype=dtype)
        if spec.input.lengths is not None:
            from lstm_shapes.probe.packed import run_packed

            shapes, checks = run_packed(torch, spec, module, x)
        else:
            with torch.no_grad():
                output, state = _run_forward(module, (x,), spec)
                hn, cn = state if spec.module.has_cell else (state, None)
                h0 = torch.zeros_like(hn)  # on the module's device and dtype, like hn
                c0 = torch.zeros_like(cn) if cn is not None else None
                explicit = (h0, c0) if c0 is not None else h0
                output_zeros, _ = _run_forward(module, (x, explicit), spec)
            tensors = {"input": x, "h0": h0, "c0": c0, "output": output, "hn": hn, "cn": cn}
            shapes = {name: tuple(tensors[name].shape) for name in names}
            checks = _checks(spec, output, hn, output_zeros)

    parameters = [(name, tuple(p.shape)) for name, p in module.named_parameters()]
    torch_warnings = [
        str(w.message)
        for w in caught
        if not any(text in str(w.message) for text in _IRRELEVANT_WARNINGS)
    ]
    return Observation(
        torch_version=str(torch.__version__),
        device=str(device),
        dtype=spec.run.dtype,
        shapes=shapes,
        parameters=parameters,
        checks=checks,
        torch_warnings=torch_warnings,
    )


def _checks(spec: Spec, output: Any, hn: Any, output_zeros: Any) -> list[Check]:
    tol = _tolerance(spec.run.dtype)
    m = spec.module
    scope = {"output": output, "hn": hn}
    checks = []
    for check_id, hn_expr, out_expr in theory.hn_slices(spec):
        diff = _max_abs_diff(eval(hn_expr, {}, scope), eval(out_expr, {}, scope))
        what = {
            "hn-last-step": "the last layer's hidden state at the last step",
            "hn-forward-last-step": "the last layer's forward direction at the last step",
            "hn-backward-first-step": "the last layer's backward direction, which ends at t=0",
        }[check_id]
        checks.append(Check(check_id, f"{hn_expr} == {out_expr}: {what}", diff <= tol, diff))
    if m.D == 2 and spec.input.seq_len > 1:
        hn_expr, wrong = "hn[-1]", theory.step_expr(spec, -1, "backward")
        diff = _max_abs_diff(eval(hn_expr, {}, scope), eval(wrong, {}, scope))
        first = theory.step_expr(spec, 0, "backward")
        # Only a demonstration when the two steps clearly differ: nn.RNN with relu can output
        # zeros at both (seen with hidden_size=1), and in bfloat16 two steps can differ by
        # less than the tolerance; either would make a true fact look false.
        if _max_abs_diff(eval(first, {}, scope), eval(wrong, {}, scope)) > 10 * tol:
            checks.append(
                Check(
                    "hn-backward-not-last-step",
                    f"{hn_expr} != {wrong}: at the last step the backward direction has "
                    "seen one input only",
                    diff > tol,
                    diff,
                )
            )
    checks.append(default_state_check(spec, output, output_zeros))
    return checks


def default_state_check(spec: Spec, output: Any, output_zeros: Any) -> Check:
    """Fact 5: leaving out the initial state is the same as passing zeros."""
    diff = _max_abs_diff(output, output_zeros)
    state = "(h0, c0)" if spec.module.has_cell else "h0"
    return Check(
        "default-state-zeros",
        f"omitting {state} gives the same output as passing zeros",
        diff <= _tolerance(spec.run.dtype),
        diff,
    )


#: inputs above this many elements are run with fewer time steps (see _small_enough)
BIG_INPUT = 10_000_000


def _small_enough(spec: Spec, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape torch judges exactly as it judges ``shape``, cheap to allocate.

    torch's checks (and their messages) depend on the input's rank, dtype, last
    dimension and batch size, never on the number of time steps: a big input is fed with
    L=1, and an input of the wrong rank with every size 1."""
    count = 1
    for size in shape:
        count *= size
    if count <= BIG_INPUT:
        return shape
    if len(shape) not in (2, 3):
        return (1,) * len(shape)
    steps = 1 if spec.module.batch_first and len(shape) == 3 else 0
    return (*shape[:steps], 1, *shape[steps + 1 :])


def run_given(
    spec: Spec,
    input_shape: tuple[int, ...],
    input_dtype: str,
    h0: tuple[int, ...] | None,
    c0: tuple[int, ...] | None,
) -> str | None:
    """Feed tensors of exactly these shapes to the real module: ``None`` if torch takes
    them, else torch's own message, verbatim, after the exception's class name."""
    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    dtype = getattr(torch, spec.run.dtype)
    input_shape = _small_enough(spec, input_shape)
    with warnings.catch_warnings(), without_onednn(torch):
        warnings.simplefilter("ignore")
        torch.default_generator.manual_seed(spec.run.seed)
        module = _placed(build_module(torch, spec.module), torch, device, dtype)
        if input_dtype in ("int64", "int32", "int16", "int8", "uint8"):
            x = torch.randint(0, 10, input_shape, dtype=getattr(torch, input_dtype))
        else:
            x = torch.randn(input_shape).to(getattr(torch, input_dtype))
        x = x.to(device)
        state: Any = None
        if h0 is not None or c0 is not None:
            hx = torch.zeros(h0, device=device, dtype=dtype) if h0 is not None else None
            cx = torch.zeros(c0, device=device, dtype=dtype) if c0 is not None else None
            state = (hx, cx) if spec.module.has_cell else hx
        try:
            with torch.no_grad():
                module(x) if state is None else module(x, state)
        except (RuntimeError, ValueError, TypeError) as error:
            return f"{type(error).__name__}: {error}"
    return None
