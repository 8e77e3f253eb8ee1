"""``trace``: run a user's model once and record the path through it (every leaf module's
input and output shapes) and every recurrent module (nn.LSTM / GRU / RNN, the cells, and
their subclasses) with every dimension named.

Forward pre-hooks and hooks (``with_kwargs=True``, to see ``hx=`` or ``lengths=`` passed by
keyword) record shapes only; the model runs in eval mode under ``torch.no_grad()``. Packing
is seen where torch does it (``torch._VF._pack_padded_sequence``), so a model that imported
``pack_padded_sequence`` by name is seen too. An exception inside the model is reported with
the module it happened in and, for shape mistakes, the diagnosis ``check`` gives
(:func:`lstm_shapes.theory.diagnosis.diagnose_failure`). Loading the model
and its inputs runs the user's code, exactly as ``pytest`` would (:mod:`.trace_target`).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.probe.trace_target import TARGET, Call, describe, first_line
from lstm_shapes.report.trace import (
    Failure,
    PackedStages,
    PathItem,
    PathLoop,
    PathStep,
    RecurrentLayer,
    Shapes,
    ShapeSet,
    TracedTensor,
    TraceInputs,
    TraceReport,
    loops,
)
from lstm_shapes.spec.core import InputSpec, ModuleSpec, Spec
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.diagnosis import LayerContext, diagnose_failure

CELL_KINDS = {"LSTMCell": "lstmcell", "GRUCell": "grucell", "RNNCell": "rnncell"}


# --- what the hooks see -----------------------------------------------------------------


def recurrent_config(torch: Any, module: Any) -> ModuleSpec | None:
    """The constructor arguments of a live recurrent module (or a subclass), else None."""
    nn = torch.nn
    if isinstance(module, nn.RNNCellBase):
        cells = (nn.LSTMCell, nn.GRUCell, nn.RNNCell)
        base = next((c for c in type(module).__mro__ if c in cells), None)
        if base is None:  # a cell of the user's own on RNNCellBase: a plain leaf
            return None
        nonlinearity = str(getattr(module, "nonlinearity", "tanh"))
        return ModuleSpec(
            kind=CELL_KINDS[base.__name__],
            input_size=int(module.input_size),
            hidden_size=int(module.hidden_size),
            bias=bool(module.bias),
            nonlinearity=nonlinearity,
        )
    if not isinstance(module, nn.RNNBase):
        return None
    mode = str(getattr(module, "mode", "LSTM"))
    kind = {"LSTM": "lstm", "GRU": "gru"}.get(mode, "rnn")
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
        nonlinearity="relu" if mode == "RNN_RELU" else "tanh",
    )


def _shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    return tuple(int(s) for s in shape) if shape is not None else None


def _sorted_lengths(batch_sizes: list[int]) -> list[int]:
    """Each sequence's length, longest first, from ``batch_sizes``."""
    return [sum(1 for b in batch_sizes if b > j) for j in range(batch_sizes[0])]


class _Recorder:
    """Hook callbacks. ``stack`` holds every module call in progress (so an exception can be
    placed in its module); ``path`` the finished calls of leaf modules in call order;
    ``calls`` what each recurrent call received and returned."""

    def __init__(self, torch: Any, model: Any) -> None:
        self.torch = torch
        self.names: dict[int, str] = {}
        self.configs: dict[int, ModuleSpec] = {}
        for name, module in model.named_modules():
            self.names[id(module)] = name or "the model"
            config = recurrent_config(torch, module)
            if config is not None:
                self.configs[id(module)] = config
        self.counts: dict[str, int] = {}
        self.stack: list[dict[str, Any]] = []
        self.path: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.packs: list[tuple[Any, dict[str, Any]]] = []  # (batch_sizes tensor, stage)

    def _recurrent_frame(self) -> dict[str, Any] | None:
        frames = [frame for frame in self.stack if frame.get("record") is not None]
        return frames[-1] if frames else None

    def pre(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A call starts. Whether it is on the path is known when it ends: a call is a leaf
        when no hooked module ran inside it (a wrapper calling ``.forward`` directly is one);
        a recurrent module is always a leaf, and what runs inside it is not on the path."""
        key = id(module)
        name = self.names.get(key, type(module).__name__)
        outer = not any(f.get("record") is not None or not f["outer"] for f in self.stack)
        if self.stack:
            self.stack[-1]["parent"] = True
        self.counts[name] = self.counts.get(name, 0) + 1
        frame: dict[str, Any] = {
            "module": module,
            "name": name,
            "outer": outer,
            "call": self.counts[name],
            "parent": False,
        }
        if outer:
            frame["input"] = describe(self.torch, _call_value(args, kwargs))
            if key in self.configs:
                frame["record"] = self._record(module, name, args, kwargs)
        self.stack.append(frame)

    def _record(self, module: Any, name: str, args: tuple[Any, ...], kwargs: Any) -> Any:
        config = self.configs[id(module)]
        named = {k: v for k, v in kwargs.items() if k != "hx"}
        data: Any = args[0] if args else named.get("input", next(iter(named.values()), None))
        hx = args[1] if len(args) > 1 else kwargs.get("hx")
        PackedSequence = self.torch.nn.utils.rnn.PackedSequence
        packed = isinstance(data, PackedSequence)
        others = {k: v for k, v in kwargs.items() if k != "hx" and v is not data}
        record: dict[str, Any] = {
            "name": name,
            "class_name": type(module).__name__,
            "module": config,
            "input": _shape(data.data if packed else data),
            "h0": None,
            "c0": None,
            "keywords": describe(self.torch, Call((), others), dtype=True),
            "stage": self._stage(data) if packed else None,
            "finished": False,
        }
        if isinstance(hx, (tuple, list)):
            record["h0"] = _shape(hx[0]) if len(hx) > 0 else None
            record["c0"] = _shape(hx[1]) if len(hx) > 1 else None
        elif hx is not None:
            record["h0"] = _shape(hx)
        self.calls.append(record)
        return record

    def _stage(self, packed: Any) -> dict[str, Any]:
        sizes = [int(b) for b in packed.batch_sizes]
        lengths = _sorted_lengths(sizes)
        if packed.unsorted_indices is not None:
            lengths = [lengths[int(k)] for k in packed.unsorted_indices]
        stage: dict[str, Any] = {"lengths": lengths, "batch_sizes": sizes}
        for tensor, seen in self.packs:
            if tensor is packed.batch_sizes:
                stage.update(padded=seen["padded"], padded_batch_first=seen["batch_first"])
        self.packs.append((packed.batch_sizes, stage))
        return stage

    def post(self, module: Any, args: Any, kwargs: Any, result: Any) -> None:
        while self.stack:  # a module whose caller caught an exception never popped
            frame = self.stack.pop()
            if frame["module"] is module:
                break
        else:
            return
        if not on_path(frame):
            return
        output = describe(self.torch, result)
        self.path.append({**frame, "output": output, "parameters": _own_parameters(module)})
        record = frame.get("record")
        if record is not None:
            record["finished"] = True
            self._outputs(record, result)

    def _outputs(self, record: dict[str, Any], result: Any) -> None:
        PackedSequence = self.torch.nn.utils.rnn.PackedSequence
        if record["module"].is_cell:
            if isinstance(result, (tuple, list)) and len(result) == 2:
                record["h1"], record["c1"] = _shape(result[0]), _shape(result[1])
            else:
                record["h1"] = _shape(result)
            return
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return  # a subclass returning something else: nothing more to name
        output, state = result
        if isinstance(output, PackedSequence):
            if record["stage"] is not None:
                record["stage"]["packed_output"] = _shape(output.data)
            output = output.data
        record["output"] = _shape(output)
        if isinstance(state, (tuple, list)) and len(state) == 2:
            record["hn"], record["cn"] = _shape(state[0]), _shape(state[1])
        else:
            record["hn"] = _shape(state)

    def packing(self, padded: Any, batch_first: bool, batch_sizes: Any) -> None:
        """``_pack_padded_sequence`` ran: remember the padded shape for the layer that
        reads the result, or give it to the recurrent call in progress (a subclass that
        packs inside its own forward)."""
        seen = {"padded": _shape(padded), "batch_first": bool(batch_first)}
        frame = self._recurrent_frame()
        if frame is not None and frame["record"]["stage"] is None:
            sizes = [int(b) for b in batch_sizes]
            stage: dict[str, Any] = {
                "lengths": _sorted_lengths(sizes),
                "batch_sizes": sizes,
                "inside": True,
                "padded": seen["padded"],
                "padded_batch_first": seen["batch_first"],
            }
            frame["record"]["stage"] = stage
            self.packs.append((batch_sizes, stage))
            return
        self.packs.append((batch_sizes, seen))

    def unpacking(self, batch_sizes: Any, padded: Any) -> None:
        for tensor, stage in self.packs:
            if tensor is batch_sizes and "lengths" in stage and "unpacked" not in stage:
                stage["unpacked"] = _shape(padded)


def on_path(frame: dict[str, Any]) -> bool:
    """A call outside any recurrent module, that is recurrent itself or had no hooked
    module run inside it."""
    return bool(frame["outer"]) and (frame.get("record") is not None or not frame["parent"])


def _call_value(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The arguments of a call, as one value to describe: a lone tensor stays itself."""
    if not kwargs and len(args) == 1:
        return args[0]
    return Call(args, kwargs)


def _own_parameters(module: Any) -> int:
    return sum(int(p.numel()) for p in module.parameters())


@contextmanager
def _watch_packing(torch: Any, recorder: _Recorder) -> Iterator[None]:
    """Wrap torch's packing kernels for the run, wherever ``pack_padded_sequence`` was
    imported from; put them back afterwards."""
    vf = torch._VF
    names = ("_pack_padded_sequence", "_pad_packed_sequence")
    pack: Any = getattr(vf, names[0], None)
    pad: Any = getattr(vf, names[1], None)
    if pack is None or pad is None:
        yield
        return

    def pack_padded(input: Any, lengths: Any, batch_first: bool) -> Any:
        data, batch_sizes = pack(input, lengths, batch_first)
        recorder.packing(input, batch_first, batch_sizes)
        return data, batch_sizes

    def pad_packed(data: Any, batch_sizes: Any, *rest: Any) -> Any:
        padded, lengths = pad(data, batch_sizes, *rest)
        recorder.unpacking(batch_sizes, padded)
        return padded, lengths

    vf.__dict__["_pack_padded_sequence"] = pack_padded
    vf.__dict__["_pad_packed_sequence"] = pad_packed
    try:
        yield
    finally:
        for name in names:
            vf.__dict__.pop(name, None)


# --- naming what was seen ---------------------------------------------------------------


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


def _spec(record: dict[str, Any]) -> Spec | None:
    """The explain-style spec of one call of an nn.LSTM/GRU/RNN, read from its input."""
    m: ModuleSpec = record["module"]
    shape: tuple[int, ...] | None = record["input"]
    stage = record["stage"]
    if m.is_cell:
        if shape is None or len(shape) not in (1, 2):
            return None
        unbatched = len(shape) == 1
        return Spec(
            module=m, input=InputSpec(batch=1 if unbatched else shape[0], unbatched=unbatched)
        )
    if stage is not None and not stage.get("inside"):
        sizes = stage["batch_sizes"]
        return Spec(module=m, input=InputSpec(batch=sizes[0], seq_len=len(sizes)))
    if shape is None or len(shape) not in (2, 3):
        return None
    unbatched = len(shape) == 2
    if unbatched:
        batch, seq_len = 1, shape[0]
    elif m.batch_first:
        batch, seq_len = shape[0], shape[1]
    else:
        batch, seq_len = shape[1], shape[0]
    return Spec(module=m, input=InputSpec(batch=batch, seq_len=seq_len, unbatched=unbatched))


def _predicted(record: dict[str, Any]) -> dict[str, theory.TensorShape]:
    spec = _spec(record)
    if spec is None:
        return {}
    predicted = dict(theory.tensor_shapes(spec))
    if record["stage"] is not None and not record["stage"].get("inside"):
        predicted.pop("input"), predicted.pop("output")
    return predicted


def _sizes(record: dict[str, Any]) -> str:
    """The bound sizes, ``N=3 L=9 H_in=64 ...``, of a call that ran (so they hold)."""
    if not record["finished"]:
        return ""
    spec = _spec(record)
    return spec.sizes_line() if spec is not None else ""


def _layer_tensors(record: dict[str, Any]) -> dict[str, TracedTensor]:
    m: ModuleSpec = record["module"]
    predicted = _predicted(record)
    packed_here = record["stage"] is not None and not record["stage"].get("inside")
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
        if packed_here and name in ("input", "output"):
            dims: Any = _packed_dims(m, name, shape) if len(shape) == 2 else None
        else:
            dims = _named(predicted.get(name), shape)
        tensors[name] = TracedTensor(name, shape, dims, given)
    return tensors


def _cell_tensors(record: dict[str, Any]) -> dict[str, TracedTensor]:
    """A cell's ``input``, ``h0``/``c0`` (zeros when not passed) and ``h1``/``c1``."""
    m: ModuleSpec = record["module"]
    predicted = _predicted(record)
    tensors: dict[str, TracedTensor] = {}
    for name in theory.tensor_names(m):
        shape, given = record.get(name), True
        if name in ("h0", "c0") and shape is None and record["h0"] is None and name in predicted:
            shape, given = predicted[name].shape, False
        if shape is None:
            continue
        tensors[name] = TracedTensor(name, shape, _named(predicted.get(name), shape), given)
    return tensors


def _shape_set(record: dict[str, Any], calls: int) -> ShapeSet:
    cell = record["module"].is_cell
    tensors = _cell_tensors(record) if cell else _layer_tensors(record)
    stage = record["stage"]
    packed = None
    if stage is not None:
        packed = PackedStages(
            lengths=tuple(stage["lengths"]),
            batch_sizes=tuple(stage["batch_sizes"]),
            packed_input=(sum(stage["lengths"]), *(record["input"] or ())[-1:])
            if stage.get("inside")
            else tuple(record["input"] or ()),
            packed_output=stage.get("packed_output"),
            padded=stage.get("padded"),
            padded_batch_first=stage.get("padded_batch_first"),
            unpacked=stage.get("unpacked"),
            inside=bool(stage.get("inside")),
        )
    keywords, keywords_text = record["keywords"]
    return ShapeSet(
        calls, tensors, packed, keywords["kwargs"], record["finished"], keywords_text,
        sizes=_sizes(record),
    )  # fmt: skip


def _layers(recorder: _Recorder) -> list[RecurrentLayer]:
    """Every recurrent module in order of its first call; its calls grouped by shapes."""
    grouped: dict[str, dict[str, Any]] = {}
    for record in recorder.calls:
        entry = grouped.setdefault(record["name"], {"first": record, "sets": {}})
        key = repr(
            (
                [record.get(n) for n in ("input", "h0", "c0", "output", "hn", "cn", "h1", "c1")],
                record["keywords"],
                record["stage"],
                record["finished"],
            )
        )
        sets = entry["sets"]
        sets[key] = (sets[key][0], sets[key][1] + 1) if key in sets else (record, 1)
    return [
        RecurrentLayer(
            name=name,
            class_name=entry["first"]["class_name"],
            module=entry["first"]["module"],
            shape_sets=[_shape_set(record, n) for record, n in entry["sets"].values()],
        )
        for name, entry in grouped.items()
    ]


def _path(recorder: _Recorder, failing: dict[str, Any] | None) -> list[PathItem]:
    """Leaf calls in order, repeated blocks shown once as loops (each step's calls grouped
    by shapes). A failing leaf call ends the path with no output."""
    calls = list(recorder.path)
    if failing is not None and on_path(failing):
        calls.append({**failing, "output": None, "parameters": _own_parameters(failing["module"])})
    keys = [call["name"] for call in calls]
    items: list[PathItem] = []
    for start, length, count in loops(keys):
        steps = []
        for offset in range(length):
            group = [calls[start + offset + k * length] for k in range(count)]
            steps.append(_step(group))
        items.append(steps[0] if count == 1 else PathLoop(count, steps))
    return items


def _step(group: list[dict[str, Any]]) -> PathStep:
    shapes: dict[str, Shapes] = {}
    for call in group:
        (in_json, in_text), out = call["input"], call["output"]
        out_json, out_text = out if out is not None else (None, "raised")
        key = in_text + " -> " + out_text
        if key in shapes:
            before = shapes[key]
            shapes[key] = Shapes(before.input, in_text, before.output, out_text, before.calls + 1)
        else:
            shapes[key] = Shapes(in_json, in_text, out_json, out_text)
    first = group[0]
    return PathStep(
        first["name"], type(first["module"]).__name__, first["parameters"], list(shapes.values())
    )


# --- running ----------------------------------------------------------------------------


def check_call(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], label: str) -> None:
    """Compare the call with ``forward``'s signature before running: a missing or extra
    argument is bad input (SpecError naming the parameter), not the model failing."""
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return
    shown = "forward(" + ", ".join(_parameter(p) for p in signature.parameters.values()) + ")"
    try:
        bound = signature.bind_partial(*args, **kwargs)
    except TypeError as error:
        raise SpecError(
            f"{label}: the model's {shown} cannot take what was given: {first_line(error)} "
            f"(given {_given(args, kwargs)})"
        ) from None
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        and p.name not in bound.arguments
    ]
    if missing:
        names = " and ".join(repr(n) for n in missing)
        raise SpecError(
            f"{label}: the model's {shown} needs {names}, which the call does not give "
            f"(given {_given(args, kwargs)}); give one --input-shape per positional "
            "parameter, or --inputs FILE:function"
        )


def _parameter(p: inspect.Parameter) -> str:
    """A parameter as people write it, without annotations: ``x``, ``hx=None``, ``*args``."""
    if p.kind is inspect.Parameter.VAR_POSITIONAL:
        return f"*{p.name}"
    if p.kind is inspect.Parameter.VAR_KEYWORD:
        return f"**{p.name}"
    if p.default is inspect.Parameter.empty:
        return p.name
    default = repr(p.default)
    return f"{p.name}={default if len(default) <= 12 else '...'}"


def _given(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [f"{len(args)} positional argument{'s' if len(args) != 1 else ''}"]
    if kwargs:
        parts.append("keywords " + ", ".join(kwargs))
    return " and ".join(parts)


def run_trace(
    model: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    inputs: TraceInputs,
    *,
    label: str,
    seed: int | None,
    notes: list[str],
    batch: int | None = None,
) -> TraceReport:
    """Run ``model(*args, **kwargs)`` once with every module hooked; the model's own
    exception becomes the report's ``failure``."""
    from lstm_shapes.probe.runtime import import_torch

    torch = import_torch()
    check_call(model, args, kwargs, label)
    recorder = _Recorder(torch, model)
    handles = []
    for module in model.modules():
        try:
            handles.append(module.register_forward_pre_hook(recorder.pre, with_kwargs=True))
            handles.append(module.register_forward_hook(recorder.post, with_kwargs=True))
        except (RuntimeError, TypeError):  # a scripted submodule takes no Python hooks
            continue
    modes = [(module, module.training) for module in model.modules()]
    failure: Failure | None = None
    failing: dict[str, Any] | None = None
    output: Any = None
    try:
        model.eval()
        with torch.random.fork_rng(devices=[]), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if seed is not None:
                torch.manual_seed(seed)
            with _watch_packing(torch, recorder):
                try:
                    output = model(*args, **kwargs)
                except Exception as error:
                    failing = recorder.stack[-1] if recorder.stack else None
                    failure = _failure(recorder, failing, error)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:  # exactly as found, submodule by submodule
            module.training = training
    layers = _layers(recorder)
    output_json, output_text = describe(torch, output) if failure is None else (None, None)
    parameter = next(iter(model.parameters()), None)
    return TraceReport(
        model=label,
        inputs=inputs,
        torch_version=str(torch.__version__),
        device=str(parameter.device) if parameter is not None else "cpu",
        seed=seed,
        path=_path(recorder, failing),
        parameter_count=sum(int(p.numel()) for p in model.parameters()),
        layers=layers,
        output=output_json,
        output_text=output_text,
        failure=failure,
        notes=notes + _notes(recorder, layers, inputs, batch),
    )


def _context(record: dict[str, Any] | None) -> LayerContext | None:
    if record is None:
        return None
    stage = record["stage"]
    return LayerContext(
        name=record["name"],
        module=record["module"],
        input_shape=record["input"],
        h0_shape=record["h0"],
        c0_shape=record["c0"],
        output_shape=record.get("output") or record.get("h1"),
        batch_sizes=tuple(stage["batch_sizes"]) if stage and not stage.get("inside") else None,
    )


def _failure(recorder: _Recorder, failing: dict[str, Any] | None, error: Exception) -> Failure:
    finished = [r for r in recorder.calls if r["finished"]]
    record = failing.get("record") if failing is not None else None
    message = str(error).strip()
    diagnosis = diagnose_failure(
        message, _context(record), _context(finished[-1] if finished else None)
    )
    inside = failing is not None and (failing["name"] != "the model" or on_path(failing))
    where = failing if inside else None
    return Failure(
        layer=where["name"] if where is not None else None,
        class_name=type(where["module"]).__name__ if where is not None else None,
        call=where.get("call") if where is not None else None,
        after=recorder.path[-1]["name"] if recorder.path else None,
        error_type=type(error).__name__,
        message=message,
        diagnosis=diagnosis,
    )


def _notes(
    recorder: _Recorder, layers: list[RecurrentLayer], inputs: TraceInputs, batch: int | None
) -> list[str]:
    notes = []
    if not recorder.configs:
        notes.append(
            "No nn.LSTM, nn.GRU, nn.RNN or cell in this model: the path above is all there is "
            "to show."
        )
    called = {layer.name for layer in layers}
    unused = [recorder.names[k] for k in recorder.configs if recorder.names[k] not in called]
    if unused:
        notes.append(
            "Never called in this forward pass (or called as .forward(...), which skips "
            "hooks): " + ", ".join(unused) + "."
        )
    sets = [s for layer in layers for s in layer.shape_sets]
    if any(not t.given for s in sets for t in s.tensors.values()):
        notes.append(
            "States marked 'zeros by default' were not passed: torch started from zeros of "
            "the shape shown."
        )
    notes += _batch_first_notes(layers, inputs, batch)
    if any(layer.module.batch_first for layer in layers):
        notes.append(
            "batch_first=True moves N first in input and output only; h0/c0/hn/cn never move."
        )
    return notes


def stated_batch(inputs: TraceInputs, batch: int | None) -> tuple[int | None, str]:
    """The batch size N the user stated (``--batch``), else the first dimension shared by
    every input tensor when there are several (one tensor alone does not say which of its
    dimensions is N), and how it was known."""
    if batch is not None:
        return batch, "stated with --batch"
    tensors: list[dict[str, Any]] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("shape"), list):
            tensors.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect([inputs.args, inputs.kwargs])
    firsts = {t["shape"][0] if t["shape"] else None for t in tensors}
    if len(tensors) >= 2 and len(firsts) == 1 and None not in firsts:
        return firsts.pop(), "the first dimension of every input"
    return None, ""


def _batch_first_notes(
    layers: list[RecurrentLayer], inputs: TraceInputs, batch: int | None
) -> list[str]:
    """A batch_first=False layer reading (N, L, ...) data: it takes N for L."""
    n, how = stated_batch(inputs, batch)
    if n is None:
        return []
    notes = []
    for layer in layers:
        m = layer.module
        if m.is_cell or m.batch_first:
            continue
        for s in layer.shape_sets:
            shape = s.tensors["input"].shape if "input" in s.tensors else ()
            if s.packed is None and len(shape) == 3 and shape[0] == n != shape[1]:
                notes.append(
                    f"{layer.name} has batch_first=False, so it reads its input {shape} as "
                    f"(L, N, H_in) with L = {shape[0]} and N = {shape[1]}; but the batch size is "
                    f"N = {n} ({how}). Build {layer.name} with batch_first=True, or pass it "
                    "x.transpose(0, 1)."
                )
                break
    return notes


__all__ = ["TARGET", "check_call", "diagnose_failure", "recurrent_config", "run_trace"]
