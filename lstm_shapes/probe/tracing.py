"""``trace``: run a user's model once and record what every nn.LSTM / nn.GRU / nn.RNN inside
it was given and returned, with every dimension named.

Forward pre-hooks and hooks (``with_kwargs=True``, to see ``hx`` passed by keyword) record
shapes only; the model runs in eval mode under ``torch.no_grad()``. An exception inside the
model is reported with the recurrent layer it happened in and, for the common shape
mistakes, the diagnosis ``check`` uses too (:mod:`lstm_shapes.theory.diagnosis`). Importing
a user's module runs their code, exactly as ``pytest`` or ``python -c "import mymodule"``
would.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import (
    TRACE_INPUT_DTYPES,
    InputSpec,
    ModuleSpec,
    Spec,
    parse_choice,
    parse_shape,
)
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.diagnosis import LayerContext, Problem, diagnose_failure

SCHEMA_VERSION = 1
INPUT_DTYPES = TRACE_INPUT_DTYPES
TARGET = "TARGET"
TARGET_HELP = "module:factory, e.g. mypackage.models:build_model or models.py:Net"


@dataclass(frozen=True)
class TracedTensor:
    """One tensor a recurrent layer was given or returned. ``dims`` names every dimension
    when the shape is what the layer's configuration predicts (``None`` otherwise, e.g. the
    wrong ``h0`` that made it fail). ``given`` is False for an ``h0``/``c0`` the caller did
    not pass (torch then uses zeros of the shape in ``dims``)."""

    name: str
    shape: tuple[int, ...]
    dims: tuple[theory.Dim, ...] | None
    given: bool = True

    @property
    def symbols(self) -> str | None:
        if self.dims is None:
            return None
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"

    def as_dict(self) -> dict[str, Any]:
        return {
            "shape": list(self.shape),
            "given": self.given,
            "dims": [d.as_dict() for d in self.dims] if self.dims is not None else None,
        }


@dataclass(frozen=True)
class LayerCall:
    """One call of one recurrent layer of the model."""

    name: str
    call: int
    module: ModuleSpec
    tensors: dict[str, TracedTensor]
    packed: bool = False
    finished: bool = True

    @property
    def label(self) -> str:
        return self.name if self.call == 1 else f"{self.name} (call {self.call})"

    def as_dict(self) -> dict[str, Any]:
        config = self.module.as_dict()
        config["kind"] = self.module.kind
        return {
            "name": self.name,
            "call": self.call,
            "kind": self.module.kind,
            "constructor": self.module.constructor(),
            "config": config,
            "packed": self.packed,
            "finished": self.finished,
            "tensors": {name: t.as_dict() for name, t in self.tensors.items()},
        }


@dataclass(frozen=True)
class Failure:
    """The exception the model raised: in which recurrent layer (``None``: outside any),
    after which one, and what it means."""

    layer: str | None
    after: str | None
    error_type: str
    message: str
    diagnosis: tuple[Problem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "after": self.after,
            "error_type": self.error_type,
            "message": self.message,
            "diagnosis": [problem.as_dict() for problem in self.diagnosis],
        }


@dataclass(frozen=True)
class TraceReport:
    model: str
    input_shape: tuple[int, ...]
    input_dtype: str
    torch_version: str
    layers: list[LayerCall]
    output: Any  # shapes in the structure of the model's return value (JSON-ready)
    output_text: str | None
    failure: Failure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "model": self.model,
            "input": {"shape": list(self.input_shape), "dtype": self.input_dtype},
            "torch_version": self.torch_version,
            "layers": [layer.as_dict() for layer in self.layers],
            "output": self.output,
            "error": self.failure.as_dict() if self.failure is not None else None,
            "notes": list(self.notes),
        }


# --- options ----------------------------------------------------------------------------


# --- loading the user's model -----------------------------------------------------------


def _import(module_name: str, target: str) -> Any:
    from lstm_shapes.probe.runtime import import_torch

    import_torch()  # first, so torch's import-time warnings (no NumPy) stay quiet
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = Path(module_name)
        if not path.is_file():
            raise SpecError(f"{TARGET} {target!r}: there is no file {module_name!r}")
        directory = str(path.resolve().parent)
        if directory not in sys.path:  # so that the file's own sibling imports work
            sys.path.insert(0, directory)
        name = path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise SpecError(f"{TARGET} {target!r}: cannot import {module_name!r} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            sys.modules.pop(name, None)
            raise SpecError(
                f"{TARGET} {target!r}: importing {module_name} raised "
                f"{type(error).__name__}: {_first_line(error)}"
            ) from None
        return module
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise SpecError(
                f"{TARGET} {target!r}: no module named {missing!r} "
                "(looked in the current directory and on sys.path)"
            ) from None
        raise SpecError(
            f"{TARGET} {target!r}: importing {module_name} raised ModuleNotFoundError: "
            f"{_first_line(error)}"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{TARGET} {target!r}: importing {module_name} raised "
            f"{type(error).__name__}: {_first_line(error)}"
        ) from None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def load_target(target: str) -> Any:
    """Import ``module:factory`` and build the model: ``factory`` may be an ``nn.Module``
    subclass, a function taking no arguments, or a model instance. The current directory
    is put first on ``sys.path``, as ``python -m pytest`` does. Runs the user's code."""
    from lstm_shapes.probe.runtime import import_torch

    module_name, sep, attribute = target.strip().partition(":")
    if not sep or not module_name or not attribute:
        raise SpecError(f"{TARGET} must be {TARGET_HELP} (got {target!r})")
    nn = import_torch().nn  # first, so that torch's import-time warnings stay quiet
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    module = _import(module_name, target)
    obj: Any = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"{TARGET} {target!r}: {module_name} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise SpecError(
            f"{TARGET} {target!r} is {_a(type(obj).__name__)}, not an nn.Module class or a "
            "function that returns a model"
        )
    try:
        model = obj()
    except TypeError as error:
        raise SpecError(
            f"{TARGET} {target!r}: calling {attribute}() failed (TypeError: "
            f"{_first_line(error)}); name a class or function that needs no arguments"
        ) from None
    except Exception as error:
        raise SpecError(
            f"{TARGET} {target!r}: building the model raised {type(error).__name__}: "
            f"{_first_line(error)}"
        ) from None
    if not isinstance(model, nn.Module):
        raise SpecError(
            f"{TARGET} {target!r}: {attribute}() returned {_a(type(model).__name__)}, "
            "not a torch.nn.Module"
        )
    return model


# --- tracing ----------------------------------------------------------------------------


def module_spec(torch: Any, module: Any) -> ModuleSpec:
    """The constructor arguments of a live nn.LSTM / nn.GRU / nn.RNN."""
    if isinstance(module, torch.nn.LSTM):
        kind = "lstm"
    elif isinstance(module, torch.nn.GRU):
        kind = "gru"
    else:
        kind = "rnn"
    nonlinearity = "relu" if getattr(module, "mode", "") == "RNN_RELU" else "tanh"
    return ModuleSpec(
        input_size=int(module.input_size),
        hidden_size=int(module.hidden_size),
        num_layers=int(module.num_layers),
        bias=bool(module.bias),
        batch_first=bool(module.batch_first),
        dropout=float(module.dropout),
        bidirectional=bool(module.bidirectional),
        proj_size=int(getattr(module, "proj_size", 0) or 0),
        kind=kind,
        nonlinearity=nonlinearity,
    )


def _recurrent(torch: Any, module: Any) -> bool:
    return isinstance(module, (torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN))


def _shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else None


class _Recorder:
    """Hook callbacks: a stack of the recurrent calls in progress (so an exception can be
    placed in its layer) and what each call received and returned."""

    def __init__(self, torch: Any, names: dict[int, str]) -> None:
        self.torch = torch
        self.names = names
        self.counts: dict[str, int] = {}
        self.stack: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    def pre(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        name = self.names[id(module)]
        self.counts[name] = self.counts.get(name, 0) + 1
        data: Any = args[0] if args else kwargs.get("input")
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        packed = isinstance(data, self.torch.nn.utils.rnn.PackedSequence)
        record: dict[str, Any] = {
            "name": name,
            "call": self.counts[name],
            "module": module_spec(self.torch, module),
            "packed": packed,
            "input": _shape(data.data if packed else data),
            "batch_sizes": [int(b) for b in data.batch_sizes] if packed else None,
            "h0": None,
            "c0": None,
            "finished": False,
        }
        if isinstance(hx, (tuple, list)):
            record["h0"] = _shape(hx[0]) if len(hx) > 0 else None
            record["c0"] = _shape(hx[1]) if len(hx) > 1 else None
        elif hx is not None:
            record["h0"] = _shape(hx)
        self.stack.append(record)
        self.calls.append(record)

    def post(self, module: Any, args: Any, kwargs: Any, result: Any) -> None:
        record = self.stack.pop()
        record["finished"] = True
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return  # a subclass returning something else: nothing more to name
        output, state = result
        if isinstance(output, self.torch.nn.utils.rnn.PackedSequence):
            output = output.data
        record["output"] = _shape(output)
        if isinstance(state, (tuple, list)) and len(state) == 2:
            record["hn"], record["cn"] = _shape(state[0]), _shape(state[1])
        else:
            record["hn"] = _shape(state)


def _named(predicted: theory.TensorShape | None, shape: tuple[int, ...] | None) -> Any:
    if predicted is not None and shape == predicted.shape:
        return predicted.dims
    return None


def _packed_dims(m: ModuleSpec, name: str, shape: tuple[int, ...]) -> tuple[theory.Dim, ...]:
    total = theory.Dim("sum(lengths)", shape[0], "time steps of all sequences, packed")
    if name == "input":
        return (total, theory.Dim("H_in", shape[1], "input features (= input_size)"))
    return (
        total,
        theory.Dim(
            "D*H_out",
            shape[1],
            "directions x hidden-state features",
            f"{m.D}*{m.H_out} = {shape[1]}",
        ),
    )


def _layer_call(record: dict[str, Any]) -> LayerCall:
    m: ModuleSpec = record["module"]
    input_shape: tuple[int, ...] | None = record["input"]
    predicted: dict[str, theory.TensorShape] = {}
    if record["packed"] and record["batch_sizes"]:
        sizes = record["batch_sizes"]
        spec = Spec(module=m, input=InputSpec(batch=sizes[0], seq_len=len(sizes)))
        predicted = dict(theory.tensor_shapes(spec))
        for name in ("input", "output"):
            predicted.pop(name)
    elif input_shape is not None and len(input_shape) in (2, 3):
        unbatched = len(input_shape) == 2
        if unbatched:
            batch, seq_len = 1, input_shape[0]
        elif m.batch_first:
            batch, seq_len = input_shape[0], input_shape[1]
        else:
            batch, seq_len = input_shape[1], input_shape[0]
        spec = Spec(module=m, input=InputSpec(batch=batch, seq_len=seq_len, unbatched=unbatched))
        predicted = dict(theory.tensor_shapes(spec))
    tensors: dict[str, TracedTensor] = {}
    for name in theory.tensor_names(m):
        shape = record.get(name)
        given = True
        if name in ("h0", "c0") and shape is None:
            # torch fills in zeros only when no state at all was passed
            if name in predicted and record["h0"] is None:
                shape, given = predicted[name].shape, False
            else:
                continue
        if shape is None:
            continue
        if record["packed"] and name in ("input", "output"):
            dims: Any = _packed_dims(m, name, shape) if len(shape) == 2 else None
        else:
            dims = _named(predicted.get(name), shape)
        tensors[name] = TracedTensor(name, shape, dims, given)
    return LayerCall(
        name=record["name"],
        call=record["call"],
        module=m,
        tensors=tensors,
        packed=record["packed"],
        finished=record["finished"],
    )


def _describe_output(torch: Any, value: Any) -> tuple[Any, str]:
    """The model's return value as (JSON-ready shapes, text): a tensor becomes its shape,
    tuples, lists and dicts keep their structure."""
    if isinstance(value, torch.nn.utils.rnn.PackedSequence):
        data = list(value.data.shape)
        return {"packed": data}, f"PackedSequence(data={tuple(data)})"
    if isinstance(value, torch.Tensor):
        return list(value.shape), str(tuple(value.shape))
    if isinstance(value, (tuple, list)):
        parts = [_describe_output(torch, v) for v in value]
        text = ", ".join(t for _, t in parts)
        if isinstance(value, tuple):
            return [j for j, _ in parts], f"({text}{',' if len(parts) == 1 else ''})"
        return [j for j, _ in parts], f"[{text}]"
    if isinstance(value, dict):
        parts_d = {str(k): _describe_output(torch, v) for k, v in value.items()}
        text = ", ".join(f"{k!r}: {t}" for k, (_, t) in parts_d.items())
        return {k: j for k, (j, _) in parts_d.items()}, "{" + text + "}"
    return type(value).__name__, type(value).__name__


def _make_input(torch: Any, model: Any, shape: tuple[int, ...], dtype: str) -> tuple[Any, str]:
    """A random input; token ids stay below the smallest embedding table in the model."""
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    generator = torch.Generator().manual_seed(0)
    if dtype.startswith("int"):
        tables = [
            int(m.num_embeddings)
            for m in model.modules()
            if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag))
        ]
        high = min(tables) if tables else 2
        x = torch.randint(0, high, shape, generator=generator, dtype=getattr(torch, dtype))
        return x.to(device), f"random token ids in [0, {high})"
    x = torch.randn(shape, generator=generator).to(device=device, dtype=getattr(torch, dtype))
    return x, "random normal values"


def trace(
    model: Any,
    input: Any,
    *,
    input_dtype: str = "float32",
    name: str | None = None,
) -> TraceReport:
    """Run ``model`` once on ``input`` and record every recurrent layer inside it.

    ``input`` is a tensor, or a shape (``(32, 50, 10)`` / ``"32,50,10"``) for a random one
    of ``input_dtype`` (``int64`` gives token ids for an embedding). The model is put in
    eval mode and run under ``torch.no_grad()``. An exception from the model does not
    propagate: the report's ``failure`` says where it happened and what it means.

    Raises :class:`SpecError` when the model has no nn.LSTM, nn.GRU or nn.RNN, or the
    options are invalid."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    label = name or type(model).__name__
    if not isinstance(model, torch.nn.Module):
        raise SpecError(f"trace() needs a torch.nn.Module (got {type(model).__name__})")
    names = {id(m): n or "the model" for n, m in model.named_modules() if _recurrent(torch, m)}
    if not names:
        kinds = sorted({type(m).__name__ for m in model.modules()})
        raise SpecError(
            f"{TARGET} {label!r} has no nn.LSTM, nn.GRU or nn.RNN inside "
            f"(it is made of {', '.join(kinds)})"
        )
    notes: list[str] = []
    if isinstance(input, torch.Tensor):
        x = input
        dtype = str(input.dtype).removeprefix("torch.")
    else:
        dtype = parse_choice("--input-dtype", input_dtype, INPUT_DTYPES)
        x, how = _make_input(torch, model, parse_shape("--input-shape", input), dtype)
        notes.append(f"The input was {how}, {dtype}.")
    recorder = _Recorder(torch, names)
    handles = []
    for module in model.modules():
        if id(module) in names:
            handles.append(module.register_forward_pre_hook(recorder.pre, with_kwargs=True))
            handles.append(module.register_forward_hook(recorder.post, with_kwargs=True))
    modes = [(module, module.training) for module in model.modules()]
    failure: Failure | None = None
    output: Any = None
    try:
        model.eval()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                output = model(x)
            except Exception as error:
                failure = _failure(recorder, error)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:  # exactly as found, submodule by submodule
            module.training = training
    layers = [_layer_call(record) for record in recorder.calls]
    output_json, output_text = (None, None)
    if failure is None:
        output_json, output_text = _describe_output(torch, output)
    notes += _notes(layers, names)
    return TraceReport(
        model=label,
        input_shape=tuple(int(s) for s in x.shape),
        input_dtype=dtype,
        torch_version=str(torch.__version__),
        layers=layers,
        output=output_json,
        output_text=output_text,
        failure=failure,
        notes=notes,
    )


def _context(record: dict[str, Any]) -> LayerContext:
    return LayerContext(
        name=record["name"],
        module=record["module"],
        input_shape=record["input"],
        h0_shape=record["h0"],
        c0_shape=record["c0"],
        output_shape=record.get("output"),
        batch_sizes=tuple(record["batch_sizes"]) if record["batch_sizes"] else None,
    )


def _failure(recorder: _Recorder, error: Exception) -> Failure:
    failing = recorder.stack[-1] if recorder.stack else None
    finished = [r for r in recorder.calls if r["finished"]]
    last = finished[-1] if finished else None
    message = str(error).strip()
    diagnosis = diagnose_failure(
        message,
        _context(failing) if failing is not None else None,
        _context(last) if last is not None else None,
    )
    label = None
    if failing is not None:
        label = failing["name"] + (f" (call {failing['call']})" if failing["call"] > 1 else "")
    return Failure(
        layer=label,
        after=last["name"] if last is not None and failing is None else None,
        error_type=type(error).__name__,
        message=message,
        diagnosis=diagnosis,
    )


def _notes(layers: Sequence[LayerCall], names: dict[int, str]) -> list[str]:
    notes = []
    called = {layer.name for layer in layers}
    unused = [n for n in names.values() if n not in called]
    if unused:
        notes.append("Never called in this forward pass: " + ", ".join(unused) + ".")
    if any(not t.given for layer in layers for t in layer.tensors.values()):
        notes.append(
            "h0/c0 marked 'zeros by default' were not passed: torch started from zeros of "
            "the shape shown."
        )
    if any(layer.packed for layer in layers):
        notes.append(
            "A PackedSequence input is shown as its data, (sum(lengths), features); hn "
            "holds each sequence's last real step."
        )
    if any(layer.module.batch_first for layer in layers):
        notes.append(
            "batch_first=True moves N first in input and output only; h0/c0/hn/cn never move."
        )
    return notes
