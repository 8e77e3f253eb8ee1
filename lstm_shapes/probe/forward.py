"""The one module that touches torch: build the real module, run it, record what happened.

torch is imported inside functions only, so importing this module is free; nothing it
returns holds a torch object.
"""

from __future__ import annotations

import warnings
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.probe.runtime import (
    build_module,
    default_state_check,
    import_torch,
    max_abs_diff,
    remembered,
    resolve_device,
    run_forward,
    seeded_module,
    tolerance,
    without_onednn,
)
from lstm_shapes.report.observation import Observation, VerifiedFact
from lstm_shapes.spec.core import Spec
from lstm_shapes.theory import shapes as theory

# Warnings torch raises that say nothing about the user's configuration.
_IRRELEVANT_WARNINGS = (
    "Failed to initialize NumPy",
    "not supported with oneDNN",
)
_DROPOUT_WARNING = "dropout option adds dropout after all but last recurrent layer"


def observe(spec: Spec) -> Observation:
    """Build the module, run one forward pass, and record shapes and checks."""
    return remembered(("observe", spec), lambda: _observe(spec))


def _observe(spec: Spec) -> Observation:
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
        module = seeded_module(torch, spec, device, dtype)
        generator = torch.Generator().manual_seed(spec.run.seed)
        # Drawn on the CPU in float32, so the same seed gives the same input everywhere.
        x = torch.randn(input_shape, generator=generator).to(device=device, dtype=dtype)
        if spec.module.is_cell:
            shapes, checks = _run_cell(torch, spec, module, x)
        elif spec.input.lengths is not None:
            from lstm_shapes.probe.packed import run_packed

            shapes, checks = run_packed(torch, spec, module, x)
        else:
            with torch.no_grad():
                output, state = run_forward(module, (x,), spec)
                hn, cn = state if spec.module.has_cell else (state, None)
                h0 = torch.zeros_like(hn)  # on the module's device and dtype, like hn
                c0 = torch.zeros_like(cn) if cn is not None else None
                explicit = (h0, c0) if c0 is not None else h0
                output_zeros, _ = run_forward(module, (x, explicit), spec)
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


def _run_cell(
    torch: Any, spec: Spec, module: Any, x: Any
) -> tuple[dict[str, tuple[int, ...]], list[VerifiedFact]]:
    """One step of a cell: ``h1`` (and ``c1``) from ``x``, with and without explicit zeros."""
    with torch.no_grad():
        state = run_forward(module, (x,), spec)
        h1, c1 = state if spec.module.has_cell else (state, None)
        h0 = torch.zeros_like(h1)
        c0 = torch.zeros_like(c1) if c1 is not None else None
        explicit = (h0, c0) if c0 is not None else h0
        state_zeros = run_forward(module, (x, explicit), spec)
    h1_zeros = state_zeros[0] if spec.module.has_cell else state_zeros
    tensors = {"input": x, "h0": h0, "c0": c0, "h1": h1, "c1": c1}
    shapes = {name: tuple(tensors[name].shape) for name in theory.tensor_names(spec.module)}
    return shapes, [default_state_check(spec, h1, h1_zeros)]


def _checks(spec: Spec, output: Any, hn: Any, output_zeros: Any) -> list[VerifiedFact]:
    tol = tolerance(spec.run.dtype)
    m = spec.module
    scope = {"output": output, "hn": hn}
    checks = []
    for check_id, hn_expr, out_expr in theory.hn_slices(spec):
        diff = max_abs_diff(eval(hn_expr, {}, scope), eval(out_expr, {}, scope))
        what = {
            "hn-last-step": "the last layer's hidden state at the last step",
            "hn-forward-last-step": "the last layer's forward direction at the last step",
            "hn-backward-first-step": "the last layer's backward direction, which ends at t=0",
        }[check_id]
        checks.append(VerifiedFact(check_id, f"{hn_expr} == {out_expr}: {what}", diff <= tol, diff))
    if m.D == 2 and spec.input.seq_len > 1:
        hn_expr, wrong = "hn[-1]", theory.step_expr(spec, -1, "backward")
        diff = max_abs_diff(eval(hn_expr, {}, scope), eval(wrong, {}, scope))
        first = theory.step_expr(spec, 0, "backward")
        # Only a demonstration when the two steps clearly differ: nn.RNN with relu can output
        # zeros at both (seen with hidden_size=1), and in bfloat16 two steps can differ by
        # less than the tolerance; either would make a true fact look false.
        if max_abs_diff(eval(first, {}, scope), eval(wrong, {}, scope)) > 10 * tol:
            checks.append(
                VerifiedFact(
                    "hn-backward-not-last-step",
                    f"{hn_expr} != {wrong}: at the last step the backward direction has "
                    "seen one input only",
                    diff > tol,
                    diff,
                )
            )
    checks.append(default_state_check(spec, output, output_zeros))
    return checks


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


def _cell_elements(
    spec: Spec,
    input_shape: tuple[int, ...],
    h0: tuple[int, ...] | None,
    c0: tuple[int, ...] | None,
) -> int:
    total = theory.parameter_count(spec.module)
    for shape in (input_shape, h0 or (), c0 or ()):
        count = 1
        for size in shape:
            count *= size
        total += count
    return total


def run_given(
    spec: Spec,
    input_shape: tuple[int, ...],
    input_dtype: str,
    h0: tuple[int, ...] | None,
    c0: tuple[int, ...] | None,
    *,
    max_memory: object = None,
    max_time: object = None,
) -> str | None:
    """Feed tensors of exactly these shapes to the real module: ``None`` if torch takes
    them, else torch's own message, verbatim, after the exception's class name. Over the
    budget (``max_memory``, ``max_time``) raises SpecError before allocating anything."""
    key = ("run_given", spec, input_shape, input_dtype, h0, c0, max_memory, max_time)
    return remembered(
        key, lambda: _run_given(spec, input_shape, input_dtype, h0, c0, max_memory, max_time)
    )


def _run_given(
    spec: Spec,
    input_shape: tuple[int, ...],
    input_dtype: str,
    h0: tuple[int, ...] | None,
    c0: tuple[int, ...] | None,
    max_memory: object,
    max_time: object,
) -> str | None:
    from lstm_shapes.probe.budget import budget_for
    from lstm_shapes.theory.budget import check_addressable, check_tensors

    torch = import_torch()
    device = resolve_device(torch, spec.run.device)
    dtype = getattr(torch, spec.run.dtype)
    why = "check builds the module and feeds torch tensors of exactly the given shapes"
    if spec.module.is_cell and _cell_elements(spec, input_shape, h0, c0) > BIG_INPUT:
        # a cell's checks (and messages) involve N, so N cannot shrink; on the meta device
        # torch runs the same checks without allocating anything
        device = torch.device("meta")
        states = [(shape, dtype.itemsize) for shape in (h0, c0) if shape is not None]
        check_addressable(
            [(input_shape, getattr(torch, input_dtype).itemsize), *states],
            f"{why}: give smaller ones",
        )
    else:
        input_shape = _small_enough(spec, input_shape)
        states = [(shape, dtype.itemsize) for shape in (h0, c0) if shape is not None]
        check_tensors(
            spec,
            budget_for(spec, max_memory, max_time),
            [(input_shape, getattr(torch, input_dtype).itemsize), *states],
            f"{why}: give smaller ones",
        )
    with warnings.catch_warnings(), without_onednn(torch):
        warnings.simplefilter("ignore")
        if device.type == "meta":
            torch.default_generator.manual_seed(spec.run.seed)
            with device:  # the weights too are never allocated
                module = build_module(torch, spec.module).to(dtype=dtype).eval()
            x = torch.empty(input_shape, dtype=getattr(torch, input_dtype), device=device)
        else:
            module = seeded_module(torch, spec, device, dtype)
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
