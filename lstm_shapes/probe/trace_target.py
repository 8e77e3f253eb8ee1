"""What ``trace`` runs: the user's model (``module:factory``) and its inputs (random tensors
of given shapes, or ``--inputs FILE:function``), and how values are described.

Importing a user's module runs their code, exactly as ``pytest`` or ``python -c "import
mymodule"`` would. The current directory is put first on ``sys.path``, as ``python -m
pytest`` does.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lstm_shapes.errors import ModelStopped, SpecError
from lstm_shapes.report.trace import TraceInputs
from lstm_shapes.spec.trace import RandomInput, lengths_for
from lstm_shapes.spec.trace import random_inputs as parse_random_inputs

TARGET = "TARGET"
TARGET_HELP = "module:factory, e.g. mypackage.models:build_model or models.py:Net"
INPUTS = "--inputs"
INPUTS_HELP = "FILE:function or module:function, e.g. inputs.py:batch"
#: Longest list, tuple or dict described item by item; deepest nesting described.
MAX_ITEMS = 64
MAX_DEPTH = 6


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


class _HardExit(SystemExit):
    """What ``os._exit`` raises while the user's code runs (see :func:`owned_exits`)."""


@contextmanager
def owned_exits() -> Iterator[None]:
    """While the user's code runs, ``os._exit`` raises instead of ending the process, so
    that code that stops the run is reported like code that raises (``sys.exit`` and
    ``exit()`` already raise SystemExit, which the callers catch)."""
    real_exit = os._exit

    def hard_exit(code: int) -> None:
        raise _HardExit(code)

    os._exit = hard_exit  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = real_exit


def exit_call(stop: SystemExit) -> str:
    """``sys.exit(3)`` / ``os._exit(3)``: how the user's code stopped the run."""
    if isinstance(stop, _HardExit):
        return f"os._exit({stop.code!r})"
    return f"sys.exit({stop.code!r})" if stop.code is not None else "sys.exit()"


def _import(module_name: str, what: str, target: str) -> Any:
    try:
        with owned_exits():
            return _import_module(module_name, what, target)
    except SystemExit as stop:
        sys.modules.pop(Path(module_name).stem, None)
        raise ModelStopped(
            f"{what} {target!r}: importing {module_name} stopped the run: it called "
            f"{exit_call(stop)}"
        ) from None


def _import_module(module_name: str, what: str, target: str) -> Any:
    from lstm_shapes.probe.runtime import import_torch

    import_torch()  # first, so torch's import-time warnings (no NumPy) stay quiet
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = Path(module_name)
        if not path.is_file():
            raise SpecError(f"{what} {target!r}: there is no file {module_name!r}")
        directory = str(path.resolve().parent)
        if directory not in sys.path:  # so that the file's own sibling imports work
            sys.path.insert(0, directory)
        name = path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise SpecError(f"{what} {target!r}: cannot import {module_name!r} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            sys.modules.pop(name, None)
            raise SpecError(
                f"{what} {target!r}: importing {module_name} raised "
                f"{type(error).__name__}: {first_line(error)}"
            ) from None
        return module
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise SpecError(
                f"{what} {target!r}: no module named {missing!r} "
                "(looked in the current directory and on sys.path)"
            ) from None
        raise SpecError(
            f"{what} {target!r}: importing {module_name} raised ModuleNotFoundError: "
            f"{first_line(error)}"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{what} {target!r}: importing {module_name} raised "
            f"{type(error).__name__}: {first_line(error)}"
        ) from None


def _attribute(target: str, what: str, usage: str) -> tuple[str, Any]:
    module_name, sep, attribute = target.strip().partition(":")
    if not sep or not module_name or not attribute:
        raise SpecError(f"{what} must be {usage} (got {target!r})")
    obj: Any = _import(module_name, what, target)
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"{what} {target!r}: {module_name} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    return attribute, obj


def load_target(target: str, init: dict[str, object] | None = None, seed: int | None = None) -> Any:
    """Import ``module:factory`` and build the model: ``factory`` may be an ``nn.Module``
    subclass or a function (called with ``init`` as keyword arguments), or a model
    instance. With ``seed``, the weights are drawn from it (torch's global generator is
    restored afterwards). Runs the user's code."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        return _build(target, init)


def _build(target: str, init: dict[str, object] | None) -> Any:
    from lstm_shapes.probe.runtime import import_torch

    nn = import_torch().nn
    attribute, obj = _attribute(target, TARGET, TARGET_HELP)
    if isinstance(obj, nn.Module):
        if init:
            raise SpecError(
                f"--init needs a class or a function to call, but {TARGET} {target!r} is a "
                "model instance already"
            )
        return obj
    if not callable(obj):
        raise SpecError(
            f"{TARGET} {target!r} is {_a(type(obj).__name__)}, not an nn.Module class or a "
            "function that returns a model"
        )
    init = init or {}
    try:
        with owned_exits():
            model = obj(**init)
    except SystemExit as stop:
        raise ModelStopped(
            f"{TARGET} {target!r}: building the model stopped the run: {attribute}() called "
            f"{exit_call(stop)}"
        ) from None
    except TypeError as error:
        hint = (
            "check the --init names"
            if init
            else "give its arguments with --init key=value, or name a function that builds it"
        )
        raise SpecError(
            f"{TARGET} {target!r}: calling {attribute}({_kwargs_text(init)}) failed "
            f"(TypeError: {first_line(error)}); {hint}"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{TARGET} {target!r}: building the model raised {type(error).__name__}: "
            f"{first_line(error)}"
        ) from None
    if not isinstance(model, nn.Module):
        raise SpecError(
            f"{TARGET} {target!r}: {attribute}() returned {_a(type(model).__name__)}, "
            "not a torch.nn.Module"
        )
    return model


def _kwargs_text(init: dict[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in init.items())


def load_inputs(target: str) -> tuple[Any, dict[str, Any] | None]:
    """Call ``module:function`` (no arguments) and read what it returns as the model's
    arguments: a tensor, a tuple or list of positional arguments, a dict of keyword
    arguments, or ``(args, kwargs)``. Returns ``(input_data, kwargs)`` as :func:`trace`
    takes them. Runs the user's code."""
    attribute, function = _attribute(target, INPUTS, INPUTS_HELP)
    if not callable(function):
        raise SpecError(
            f"{INPUTS} {target!r} is {_a(type(function).__name__)}, not a function that "
            "returns the model's inputs"
        )
    try:
        with owned_exits():
            value = function()
    except SystemExit as stop:
        raise ModelStopped(
            f"{INPUTS} {target!r}: {attribute}() stopped the run: it called {exit_call(stop)}"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{INPUTS} {target!r}: calling {attribute}() raised {type(error).__name__}: "
            f"{first_line(error)}"
        ) from None
    return split_inputs(value, f"{INPUTS} {target!r}: {attribute}()")


def split_inputs(value: Any, source: str) -> tuple[Any, dict[str, Any] | None]:
    """``(input_data, kwargs)`` from what an inputs function returned: ``(args, kwargs)``
    is split, anything else is input data as :func:`trace` reads it."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    if isinstance(value, torch.Tensor):
        return value, None
    if isinstance(value, dict):
        return _keywords(value, source), None
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and isinstance(value[0], (tuple, list)) and isinstance(value[1], dict):
            return tuple(value[0]), _keywords(value[1], source)
        return tuple(value), None
    raise SpecError(
        f"{source} returned {_a(type(value).__name__)}; return a tensor, a tuple of positional "
        "arguments, a dict of keyword arguments, or (args, kwargs)"
    )


def _keywords(value: dict[Any, Any], source: str) -> dict[str, Any]:
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise SpecError(
            f"{source} returned a dict with a key that is not a parameter name ({bad[0]!r}); "
            "keyword arguments need text keys"
        )
    return dict(value)


def random_inputs(
    torch: Any, model: Any, inputs: Sequence[RandomInput], seed: int
) -> tuple[tuple[Any, ...], str]:
    """Random tensors; token ids stay below the smallest embedding table in the model."""
    generator = torch.Generator().manual_seed(seed)
    tables = [
        int(m.num_embeddings)
        for m in model.modules()
        if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag))
    ]
    high = min(tables) if tables else 2
    names = _positional_names(model)
    shapes = [item.shape for item in inputs]
    tensors, kinds = [], []
    for index, item in enumerate(inputs):
        dtype = getattr(torch, item.dtype)
        name = names[index] if index < len(names) else ""
        # a `lengths` parameter needs valid lengths, not token ids, or packing fails
        lengths = lengths_for(shapes, index) if "len" in name.lower() else None
        if item.dtype.startswith("int") and lengths is not None:
            tensors.append(torch.tensor(lengths, dtype=dtype))
            shown = ", ".join(map(str, lengths))
            kinds.append(f"[{shown}], {item.dtype} (valid lengths, longest first)")
        elif item.dtype.startswith("int"):
            tensors.append(torch.randint(0, high, item.shape, generator=generator, dtype=dtype))
            kinds.append(f"random token ids in [0, {high}), {item.dtype}")
        else:
            tensors.append(torch.randn(item.shape, generator=generator).to(dtype=dtype))
            kinds.append(f"random normal values, {item.dtype}")
    if len(tensors) == 1:
        return tuple(tensors), f"The input was {kinds[0]}."
    labels = [names[k] if k < len(names) else f"input {k + 1}" for k in range(len(kinds))]
    listed = "; ".join(f"{label}: {kind}" for label, kind in zip(labels, kinds, strict=True))
    return tuple(tensors), f"The inputs were {listed}."


def _positional_names(model: Any) -> list[str]:
    try:
        parameters = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in parameters if p.kind in kinds]


def arguments(
    model: Any,
    input_data: Any,
    kwargs: dict[str, Any] | None,
    input_shape: list[object] | None,
    input_dtype: Any,
    seed: int,
) -> tuple[tuple[Any, ...], dict[str, Any], TraceInputs, list[str]]:
    """The call to make, as torchinfo's ``summary(model, input_data=...)`` reads its input:
    ``(args, kwargs, what they are, notes)``, every tensor on the model's device."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    notes: list[str] = []
    source = "given"
    if input_shape is not None:
        if input_data is not None:
            raise SpecError("trace() takes input_data or input_shape, not both")
        wanted = parse_random_inputs(input_shape, input_dtype)
        args, source = random_inputs(torch, model, wanted, seed)
        notes.append(source)
    elif isinstance(input_data, (tuple, list)):
        args = tuple(input_data)
    elif isinstance(input_data, dict):
        args, more = dict_arguments(model, input_data)
        kwargs = {**more, **(kwargs or {})}
    elif input_data is None:
        if kwargs is None:
            raise SpecError("trace() needs input_data, kwargs or input_shape")
        args = ()
    else:
        args = (input_data,)
    kwargs = dict(kwargs or {})
    parameter = next(iter(model.parameters()), None)
    if parameter is not None:
        args = to_device(torch, args, parameter.device)
        kwargs = to_device(torch, kwargs, parameter.device)
    described, text = describe(torch, Call(args, kwargs), dtype=True)
    return args, kwargs, TraceInputs(described["args"], described["kwargs"], text, source), notes


def dict_arguments(model: Any, value: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A dict given as the inputs: keyword arguments, unless its keys are not ``forward``'s
    parameters and ``forward`` takes one positional argument: then it is that argument (a
    batch dict, as pytorch-forecasting's models take)."""
    try:
        parameters = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        return (), dict(value)
    named = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if any(p.kind is p.VAR_KEYWORD for p in parameters) or set(value) <= named:
        return (), dict(value)
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if positional and len(required) <= 1:
        return (value,), {}
    return (), dict(value)


def to_device(torch: Any, value: Any, device: Any) -> Any:
    """``value`` with every tensor in it on ``device`` (structures kept)."""
    if isinstance(value, (torch.Tensor, torch.nn.utils.rnn.PackedSequence)):
        return value.to(device)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(to_device(torch, v, device) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(to_device(torch, v, device) for v in value)
    if isinstance(value, dict):
        return {k: to_device(torch, v, device) for k, v in value.items()}
    return value


class Call:
    """Positional and keyword arguments of a call, described as one value."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs


def describe(torch: Any, value: Any, dtype: bool = False, depth: int = 0) -> tuple[Any, str]:
    """A value as (JSON-ready shapes, text): a tensor becomes its shape (with ``dtype``:
    ``{"shape", "dtype"}``); tuples, lists and dicts keep their structure; numbers and text
    stay themselves; anything else is its type's name."""
    if isinstance(value, Call):
        args = [describe(torch, v, dtype, depth + 1) for v in value.args]
        kwargs = {k: describe(torch, v, dtype, depth + 1) for k, v in value.kwargs.items()}
        text = ", ".join([t for _, t in args] + [f"{k}={t}" for k, (_, t) in kwargs.items()])
        return {
            "args": [j for j, _ in args],
            "kwargs": {k: j for k, (j, _) in kwargs.items()},
        }, text
    if isinstance(value, torch.nn.utils.rnn.PackedSequence):
        data = [int(s) for s in value.data.shape]
        return {"packed": data}, f"packed {tuple(data)}"
    if isinstance(value, torch.Tensor):
        shape = [int(s) for s in value.shape]
        kind = str(value.dtype).removeprefix("torch.")
        if dtype:
            return {"shape": shape, "dtype": kind}, f"{tuple(shape)} {kind}"
        return shape, str(tuple(shape))
    if value is None or isinstance(value, (bool, int, float)):
        return value, repr(value)
    if isinstance(value, str):
        return value, repr(value[:40] + ("…" if len(value) > 40 else ""))
    if depth >= MAX_DEPTH:
        return type(value).__name__, "…"
    if isinstance(value, (tuple, list)):
        parts = [describe(torch, v, dtype, depth + 1) for v in list(value)[:MAX_ITEMS]]
        more = len(value) - len(parts)
        texts = [t for _, t in parts] + ([f"… {more} more"] if more else [])
        text = ", ".join(texts)
        if isinstance(value, list):
            return [j for j, _ in parts], f"[{text}]"
        return [j for j, _ in parts], f"({text}{',' if len(parts) == 1 else ''})"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        described = {str(k): describe(torch, v, dtype, depth + 1) for k, v in items}
        text = ", ".join(f"{k!r}: {t}" for k, (_, t) in described.items())
        return {k: j for k, (j, _) in described.items()}, "{" + text + "}"
    return type(value).__name__, type(value).__name__


def placed_model(model: Any, device: str | None) -> Any:
    """``model`` checked to be an ``nn.Module``, moved to ``device`` (``None``: left where
    its parameters are)."""
    from lstm_shapes.probe.runtime import import_torch, resolve_device

    torch = import_torch()
    if not isinstance(model, torch.nn.Module):
        raise SpecError(f"trace() needs a torch.nn.Module (got {type(model).__name__})")
    if device is not None:
        model.to(resolve_device(torch, device))
    return model


def dtype_names(input_dtype: Any) -> Any:
    """``torch.int64`` as well as ``"int64"``: torch dtypes become their names."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    given = input_dtype if isinstance(input_dtype, (list, tuple)) else [input_dtype]
    if not any(isinstance(d, torch.dtype) for d in given):
        return input_dtype
    return [str(d).removeprefix("torch.") for d in given]
