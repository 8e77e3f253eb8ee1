"""``inspect``: read a checkpoint's weights (never its code) and say which recurrent modules
made them, and what shapes those modules expect.

A torch.save or torch.jit.save file is read by :mod:`lstm_shapes.probe.unpickle`, which
never imports a module or calls a class the file names: unknown objects become inert
placeholders and only tensors are collected (as records: shapes are known without reading
any data). A ``.safetensors`` file (recognised by its content) is read from its JSON header.
The inference itself is :mod:`lstm_shapes.theory.weights` (no torch); the report's data
classes are :mod:`lstm_shapes.report.inspect`. Only ``--run`` imports torch, to load the
weights of each module found into the real module and run it.
"""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lstm_shapes.errors import InconsistencyError, SpecError
from lstm_shapes.probe import quantized
from lstm_shapes.probe.unpickle import (
    CheckpointFormatError,
    Loaded,
    Opaque,
    TensorRecord,
    read_pickle,
    read_zip,
)
from lstm_shapes.report.inspect import (
    CheckpointReport,
    ModuleReport,
    RunResult,
    expected_tensors,
    source_expr,
)
from lstm_shapes.spec.core import InputSpec, Spec, parse_size
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.weights import InferredModule, infer_modules

#: How deep to look for a state dict inside a checkpoint dict
#: (``{"state_dict": ...}``, ``{"model": {"state_dict": ...}}``, ...).
MAX_DEPTH = 6
#: How deep to follow submodules inside a pickled model or a TorchScript archive.
MAX_MODULE_DEPTH = 64
DEFAULT_RUN_BATCH = 3
DEFAULT_RUN_SEQ_LEN = 7
ARGUMENT = "CHECKPOINT"

__all__ = ["CheckpointReport", "inspect_checkpoint", "source_expr"]


# --- reading the file -------------------------------------------------------------------

#: safetensors dtype names -> torch dtype names
SAFETENSORS_DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}


@dataclass(frozen=True)
class SafetensorsEntry:
    """A tensor of a ``.safetensors`` file, known from the header; its bytes are read only
    when ``--run`` needs them."""

    path: str
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute file offsets
    end: int

    def load(self, torch: Any) -> Any:
        dtype = getattr(torch, SAFETENSORS_DTYPES[self.dtype])
        if self.end == self.start:
            return torch.empty(self.shape, dtype=dtype)
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            data = bytearray(handle.read(self.end - self.start))
        return torch.frombuffer(data, dtype=dtype).reshape(self.shape)


def _materialize(torch: Any, value: Any) -> Any:
    """A tensor of the file, read now (``--run`` only)."""
    try:
        return value.load(torch)
    except CheckpointFormatError as error:
        raise SpecError(f"{ARGUMENT}: {error}") from None


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (TensorRecord, SafetensorsEntry))


def read_safetensors(path: str) -> dict[str, SafetensorsEntry] | None:
    """The tensors of a ``.safetensors`` file from its JSON header (no torch, no code
    runs), or ``None`` when the file is not in that format. The format: 8 bytes
    little-endian header length, the JSON header, then the raw data."""
    if not os.path.isfile(path):
        return None
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        prefix = handle.read(9)
        if len(prefix) < 9 or prefix[8:9] != b"{":
            return None
        length = int.from_bytes(prefix[:8], "little")
        if length > 2**32:
            return None
        shown = repr(path)
        if 8 + length > size:
            raise SpecError(
                f"{ARGUMENT} {shown} is truncated or corrupt: its safetensors header says "
                f"{length} bytes but the file has {size} bytes"
            )
        handle.seek(8)
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SpecError(
            f"{ARGUMENT} {shown} is truncated or corrupt: its safetensors header is not JSON"
        ) from None
    if not isinstance(header, dict):
        raise SpecError(f"{ARGUMENT} {shown} is corrupt: its safetensors header is not a dict")
    data_size = size - 8 - length
    entries: dict[str, SafetensorsEntry] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = str(info["dtype"])
            shape = tuple(int(s) for s in info["shape"])
            start, end = (int(o) for o in info["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise SpecError(
                f"{ARGUMENT} {shown} is corrupt: the safetensors entry {name!r} has no valid "
                "dtype, shape and data_offsets"
            ) from None
        if dtype not in SAFETENSORS_DTYPES:
            raise SpecError(
                f"{ARGUMENT} {shown}: the safetensors entry {name!r} has dtype {dtype!r}, "
                f"which lstm-shapes does not read ({', '.join(SAFETENSORS_DTYPES)})"
            )
        if not 0 <= start <= end or end > data_size:
            raise SpecError(
                f"{ARGUMENT} {shown} is truncated or corrupt: the data of {name!r} ends at "
                f"byte {end} but the file holds {data_size} bytes of data"
            )
        entries[name] = SafetensorsEntry(path, dtype, shape, 8 + length + start, 8 + length + end)
    return entries


def _load(path: str) -> Loaded:
    """The file's contents, read without importing or running anything it names; every
    failure turned into one line."""
    shown = repr(path)
    if not os.path.exists(path):
        raise SpecError(f"{ARGUMENT} {shown} does not exist")
    if os.path.isdir(path):
        raise SpecError(f"{ARGUMENT} {shown} is a directory, not a checkpoint file")
    size = os.path.getsize(path)
    if size == 0:
        raise SpecError(f"{ARGUMENT} {shown} is empty (0 bytes), not a checkpoint")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        if not zipfile.is_zipfile(path):
            raise SpecError(
                f"{ARGUMENT} {shown} is truncated or corrupt: it starts like a torch.save zip "
                f"archive but its end is missing ({size} bytes)"
            )
        return _read(path, read_zip, "zip")
    if magic[:1] == b"\x80":  # a pickle protocol header: the legacy torch.save format
        return _read(path, read_pickle, "pickle")
    raise SpecError(
        f"{ARGUMENT} {shown} is not a PyTorch checkpoint: it is neither a torch.save zip "
        "archive nor a pickle"
    )


#: What zipfile raises on a damaged archive (a bad directory, a bad compressed stream, an
#: unknown compression method, offsets past the end).
DAMAGED_ZIP = (
    OSError,
    EOFError,
    ValueError,
    OverflowError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)


def _read(path: str, reader: Callable[[str], Loaded], container: str) -> Loaded:
    shown = repr(path)
    try:
        return reader(path)
    except CheckpointFormatError as error:
        text = str(error)
        if text.startswith("no data.pkl"):
            raise SpecError(
                f"{ARGUMENT} {shown} is a zip archive but not a PyTorch checkpoint ({text})"
            ) from None
        what = "a torch.save zip archive" if container == "zip" else "a legacy torch.save file"
        raise SpecError(
            f"{ARGUMENT} {shown} is truncated or corrupt: it starts like {what} but {text}"
        ) from None
    except DAMAGED_ZIP as error:
        detail = _first_line(str(error)) or type(error).__name__
        raise SpecError(f"{ARGUMENT} {shown} is truncated or corrupt ({detail})") from None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def module_tensors(node: Opaque) -> dict[str, Any]:
    """The tensors of a pickled ``nn.Module`` or TorchScript module and of its submodules,
    named as its ``state_dict()`` would name them (``encoder.lstm.weight_ih_l0``)."""
    found: dict[str, Any] = {}
    seen: set[int] = set()

    def walk(obj: Opaque, prefix: str, depth: int) -> None:
        if id(obj) in seen or depth > MAX_MODULE_DEPTH:
            return
        seen.add(id(obj))
        attributes = obj.attributes()
        if "_parameters" in attributes or "_modules" in attributes:  # a pickled nn.Module
            own: dict[str, Any] = {}
            for table in ("_parameters", "_buffers"):
                if isinstance(attributes.get(table), Mapping):
                    own.update(attributes[table])
            submodules = attributes.get("_modules")
            children = dict(submodules) if isinstance(submodules, Mapping) else {}
        else:  # TorchScript: parameters, buffers and submodules are plain attributes
            own = attributes
            children = {k: v for k, v in attributes.items() if isinstance(v, Opaque)}
        for name, value in own.items():
            if isinstance(name, str) and _is_tensor(value):
                found[prefix + name] = value
        for name, child in children.items():
            if isinstance(name, str) and isinstance(child, Opaque):
                walk(child, f"{prefix}{name}.", depth + 1)

    walk(node, "", 0)
    return found


def is_pickled_module(node: Any) -> bool:
    """A whole ``nn.Module`` saved with ``torch.save(model)``."""
    return isinstance(node, Opaque) and "_modules" in node.attributes()


@dataclass
class Contents:
    """Every mapping of tensors in the file, with where it sits, and what else was met."""

    state_dicts: list[tuple[str, dict[str, Any]]]
    #: whole modules pickled with torch.save(model), with where they sit: the file itself
    #: (``""``), or a place in it that held weights (``"model"``)
    pickled_modules: list[tuple[str, str]]
    #: keys of dynamic-quantized modules' packed weights that could not be read
    quantized: list[str]
    #: dynamic-quantized modules whose packed weights were read
    quantized_modules: list[str] = field(default_factory=list)


def contents(obj: Any) -> Contents:
    """Every mapping in ``obj`` (dicts, nested dicts and lists, pickled modules, objects
    read as placeholders) that holds tensors under string keys, with where it sits
    (``""``, ``"state_dict"``, ``"model.net"``, ``"0"``)."""
    found = Contents([], [], [])
    # A pickle stores an object once however often it is referenced: each object is
    # searched once, and a state dict met again is listed again (``{"model": sd, "ema": sd}``).
    # The node is kept with its entry so that its id is not reused by another object.
    seen: dict[int, tuple[Any, dict[str, Any] | None]] = {}

    def walk(node: Any, where: tuple[str, ...]) -> None:
        if len(where) > MAX_DEPTH:
            return
        if id(node) in seen:
            again = seen[id(node)][1]
            if again:
                found.state_dicts.append((".".join(where), again))
            return
        seen[id(node)] = (node, None)
        if isinstance(node, Opaque):
            if "_modules" in node.attributes() or node.opaque_global.startswith("__torch__."):
                tensors = module_tensors(node)
                if is_pickled_module(node) and (tensors or not where):
                    found.pickled_modules.append((".".join(where), node.opaque_global))
                if tensors:
                    found.state_dicts.append((".".join(where), tensors))
                    seen[id(node)] = (node, tensors)
                return
            # a dict or list subclass, or an object of a user's class: look inside
            for value in (node.opaque_items, node.attributes(), node.opaque_list):
                walk(value, where)
            return
        if isinstance(node, Mapping):
            tensors = {k: v for k, v in node.items() if isinstance(k, str) and _is_tensor(v)}
            tensors.update(_unpack_quantized(node, found))
            if tensors:
                found.state_dicts.append((".".join(where), tensors))
                seen[id(node)] = (node, tensors)
            for key, value in node.items():
                if isinstance(key, str) and quantized.is_packed(key):
                    continue
                if isinstance(value, (Mapping, list, tuple, Opaque)):
                    walk(value, (*where, str(key)))
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                if isinstance(value, (Mapping, list, tuple, Opaque)):
                    walk(value, (*where, str(index)))

    walk(obj, ())
    return found


def _unpack_quantized(node: Mapping[Any, Any], found: Contents) -> dict[str, Any]:
    """The weights inside a dynamic-quantized module's packed objects, by their plain names;
    the packed keys that cannot be read are kept for the error message."""
    packed = {k: v for k, v in node.items() if isinstance(k, str) and quantized.is_packed(k)}
    if not packed:
        return {}
    tensors = quantized.unpack(packed)
    for key in packed:
        prefix = quantized.packed_prefix(key)
        dot = f"{prefix}." if prefix else ""
        if f"{dot}weight_ih" in tensors or f"{dot}weight_ih_l0" in tensors:
            if prefix not in found.quantized_modules:
                found.quantized_modules.append(prefix)
        else:
            found.quantized.append(key)
    return tensors


def state_dicts(obj: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every mapping of tensors in ``obj``, with where it sits (see :func:`contents`)."""
    return contents(obj).state_dicts


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = ", ".join(repr(k) for k in list(obj)[:5])
        more = ", ..." if len(obj) > 5 else ""
        return f"a dict with keys {keys}{more}" if obj else "an empty dict"
    if isinstance(obj, TensorRecord):
        return "a Tensor"
    if isinstance(obj, Opaque):
        return f"an object of {obj.opaque_global} (read as a placeholder, never imported)"
    return f"a {type(obj).__name__}"


def inspect_checkpoint(
    path: str | os.PathLike[str],
    *,
    batch: object | None = None,
    seq_len: object | None = None,
    run: bool = False,
    max_memory: object = None,
    max_time: object = None,
) -> CheckpointReport:
    """Find every nn.LSTM / nn.GRU / nn.RNN and every LSTMCell / GRUCell / RNNCell in a
    checkpoint from its weights alone.

    ``batch`` and ``seq_len`` make the expected shapes concrete (else ``N`` and ``L``);
    ``run`` loads the weights into a real module (``strict=True``) and runs a forward pass,
    within the budget (``max_memory``, ``max_time``, as for :func:`lstm_shapes.explain`).
    Nothing the file names is imported or called. Raises :class:`SpecError` for a file
    that cannot be read, holds no recurrent weights or holds inconsistent ones."""
    path_text = os.fspath(path)
    batch_ = parse_size("--batch", batch) if batch is not None else None
    seq_len_ = parse_size("--seq-len", seq_len) if seq_len is not None else None
    from lstm_shapes.spec.limits import parse_max_time
    from lstm_shapes.theory.budget import parse_memory

    # validated even without --run, so a typo is never silently ignored
    limits = (
        parse_memory(max_memory) if max_memory is not None else None,
        parse_max_time(max_time) if max_time is not None else None,
    )
    safetensors = read_safetensors(path_text)
    if safetensors is not None:
        found = Contents([("", dict(safetensors))], [], [])
        loaded = Loaded(safetensors, "safetensors", [])
    else:
        loaded = _load(path_text)
        try:
            found = contents(loaded.obj)
        except SpecError as error:
            raise SpecError(f"{ARGUMENT} {path_text!r}: {error}") from None
        if not found.state_dicts:
            raise SpecError(_no_state_dict(path_text, loaded, found))
    modules = _modules(path_text, found.state_dicts, batch_, seq_len_, run, limits)
    tensor_count = sum(len(tensors) for _, tensors in found.state_dicts)
    if not modules:
        keys = [key for _, tensors in found.state_dicts for key in tensors]
        sample = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
        raise SpecError(
            f"{ARGUMENT} {path_text!r} has no recurrent weights: none of its "
            f"{tensor_count} tensors is named like <module>.weight_ih_l0 or <cell>.weight_ih "
            f"(it has {sample}){_quantized_hint(found)}"
        )
    return CheckpointReport(
        path=path_text,
        tensor_count=tensor_count,
        modules=modules,
        batch=batch_,
        seq_len=seq_len_,
        notes=checkpoint_notes(modules, run=run, loaded=loaded, found=found),
        format=loaded.format,
        placeholders=loaded.placeholders,
    )


def _modules(
    path: str,
    candidates: list[tuple[str, dict[str, Any]]],
    batch: int | None,
    seq_len: int | None,
    run: bool,
    limits: tuple[int | None, float | None] = (None, None),
) -> list[ModuleReport]:
    torch = None
    if run:
        from lstm_shapes.probe.runtime import import_torch

        torch = import_torch()
    modules: list[ModuleReport] = []
    for source, tensors in candidates:
        shapes = {key: tuple(value.shape) for key, value in tensors.items()}
        try:
            found_modules = infer_modules(shapes)
        except SpecError as error:
            where = f" (in {source_expr(source)})" if source else ""
            raise SpecError(f"{ARGUMENT} {path!r}{where}: {error}") from None
        for found in found_modules:
            packed = any(
                getattr(tensors.get(found.key(n)), "quantized", False)
                for n in found.parameter_names
            )
            result = None
            if run and not packed:
                _check_budget(found, batch, seq_len, *limits)  # max_memory, max_time
                result = _run(torch, found, tensors, batch, seq_len)
            count = theory.parameter_count(found.module)
            modules.append(
                ModuleReport(
                    found=found,
                    source=source,
                    tensors=expected_tensors(found, batch, seq_len),
                    parameter_count=count,
                    run=result,
                )
            )
    return modules


def _no_state_dict(path: str, loaded: Loaded, found: Contents) -> str:
    text = f"{ARGUMENT} {path!r} holds no state dict: it is {_describe(loaded.obj)}"
    hint = _quantized_hint(found)
    if hint:
        return text + hint
    if found.pickled_modules:
        return (
            text + f"; it is a whole model pickled with torch.save(model) "
            f"({found.pickled_modules[0][1]}) but holds no tensors"
        )
    dangerous = [name for name in loaded.placeholders if _runs_code(name)]
    if dangerous:
        return text + (
            f"; it names {', '.join(dangerous)}, which torch.load(weights_only=False) would "
            "call: lstm-shapes never did"
        )
    return text


def _quantized_hint(found: Contents) -> str:
    if not found.quantized:
        return ""
    prefixes = [quantized.packed_prefix(key) for key in found.quantized]
    names = ", ".join(repr(p) for p in dict.fromkeys(prefixes))
    return (
        f"; {names} {'is a' if len(set(prefixes)) == 1 else 'are'} dynamic-quantized "
        f"module{'' if len(set(prefixes)) == 1 else 's'} (torch.ao.quantization.quantize_dynamic), "
        "whose weights are packed objects, not tensors: inspect the float model's state "
        "dict, saved before quantizing"
    )


#: Names whose call runs code or a program: a checkpoint naming them is hostile.
RUNS_CODE = re.compile(
    r"^(builtins\.(exec|eval|compile|__import__|getattr|open)|os\..*|posix\..*|nt\..*|"
    r"subprocess\..*|importlib\..*|runpy\..*|pty\..*|shutil\..*|webbrowser\..*)$"
)


def _runs_code(name: str) -> bool:
    return RUNS_CODE.match(name) is not None


def checkpoint_notes(
    modules: list[ModuleReport], *, run: bool, loaded: Loaded, found: Contents
) -> list[str]:
    """What the weights cannot tell, and what the file turned out to be."""
    notes: list[str] = []
    if any(not m.found.is_cell for m in modules):
        notes.append(
            "batch_first and dropout are not stored in the weights: input and output are "
            "shown for both batch_first values; h0/c0/hn/cn do not depend on it."
        )
    if any(m.found.is_cell for m in modules):
        notes.append(
            "A cell takes one time step: input (N, H_in) or unbatched (H_in), h0/c0 in and "
            "h1/c1 out, all (N, H); a loop over the sequence calls it once per step."
        )
    if not run:
        notes.append(
            "Without --run these shapes are theory's prediction from the weights' shapes; "
            "--run loads the weights into the real module and checks them against torch."
        )
    if any(m.found.kind == "rnn" for m in modules):
        notes.append(
            "nn.RNN's nonlinearity (tanh or relu) is not stored in the weights either: "
            "the line above shows the default, tanh."
        )
    if any(m.found.kind == "rnncell" for m in modules):
        notes.append(
            "nn.RNNCell's nonlinearity (tanh or relu) is not stored in the weights: the "
            "constructor shown takes the default, tanh."
        )
    notes += _format_notes(loaded, found)
    notes += _prefix_notes(modules)
    for module in modules:
        for variant in module.found.variants:
            where = f"'{module.name}'" if module.name else "The top-level module"
            notes.append(f"{where}: {variant.describe()}.")
    sources = {m.source for m in modules}
    if len(sources) > 1:
        notes.append(
            "Recurrent weights were found in more than one state dict in this file: "
            + ", ".join(source_expr(s) if s else "the top level" for s in sorted(sources))
            + "."
        )
    return notes


def _check_budget(
    found: InferredModule,
    batch: int | None,
    seq_len: int | None,
    max_memory: object,
    max_time: object,
) -> None:
    """Refuse a ``--run`` over the budget before the module is built (exit 2)."""
    from lstm_shapes.probe.budget import budget_for
    from lstm_shapes.spec.core import RunSpec
    from lstm_shapes.theory.budget import plan, require_full

    # a cell runs one step, whatever --seq-len says (see _run)
    steps = 1 if found.module.is_cell else seq_len or DEFAULT_RUN_SEQ_LEN
    spec = Spec(
        module=found.module,
        input=InputSpec(batch=batch or DEFAULT_RUN_BATCH, seq_len=steps),
        run=RunSpec(device="cpu"),
    )
    budget = budget_for(spec, max_memory, max_time)
    _, decision = plan(spec, budget, passes=1)
    name = repr(found.name) if found.name else "the module"
    require_full(
        decision,
        budget,
        f"inspect --run runs {name} at full size only: give a smaller --batch or --seq-len",
    )


def _format_notes(loaded: Loaded, found: Contents) -> list[str]:
    notes: list[str] = []
    if loaded.format == "torchscript":
        notes.append(
            "This is a TorchScript archive (torch.jit.save): its parameters were read from "
            "data.pkl; its code/ was not run. Names are the scripted module's attributes."
        )
    for where, name in found.pickled_modules:
        what = "This file holds" if not where else f"{source_expr(where)} is"
        notes.append(
            f"{what} a whole model pickled with torch.save(model) ({name}): its classes were "
            "not imported and nothing in it ran; the weights were read from the pickled "
            "parameters. torch.load(weights_only=True) refuses such a file: save "
            "model.state_dict() to share it."
        )
    # torch's own names (devices, dtypes, quantization schemes) are no news
    others = [
        name
        for name in loaded.placeholders
        if not name.startswith(("__torch__.", "torch."))
        and name not in {cls for _, cls in found.pickled_modules}
        and not _runs_code(name)
    ]
    if others:
        shown = ", ".join(others[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        notes.append(
            f"Objects of {shown} were read as inert placeholders: never imported, never "
            "called; only tensors were taken from the file."
        )
    dangerous = [name for name in loaded.placeholders if _runs_code(name)]
    if dangerous:
        notes.append(
            f"Warning: the file names {', '.join(dangerous)}, which "
            "torch.load(weights_only=False) would call: do not load it with torch.load."
        )
    if found.quantized_modules:
        names = ", ".join(repr(p) for p in found.quantized_modules)
        notes.append(
            f"{names}: dynamic-quantized (torch.ao.quantization.quantize_dynamic); the qint8 "
            "weights were read from the packed parameters, and the module shown is the float "
            "one they were quantized from. --run skips it: its weights are not float."
        )
    if found.quantized:
        hint = _quantized_hint(found).removeprefix("; ")
        notes.append(f"Also: {hint}.")
    return notes


def _prefix_notes(modules: list[ModuleReport]) -> list[str]:
    notes: list[str] = []
    names = [m.name for m in modules]
    if any(n == "module" or n.startswith("module.") for n in names):
        notes.append(
            "Keys start with 'module.': the model was saved wrapped in nn.DataParallel or "
            "DistributedDataParallel; strip that prefix to load it into the bare model."
        )
    if any(n == "_orig_mod" or n.startswith("_orig_mod.") or "._orig_mod." in n for n in names):
        notes.append(
            "Keys contain '_orig_mod.': the model was saved from the wrapper that "
            "torch.compile(model) returns; strip that prefix (or save model._orig_mod's "
            "state dict) to load it into the bare model."
        )
    if any(n == "" for n in names):
        notes.append(
            "A module named '' is a whole state dict: that of a bare recurrent module "
            "(torch.save(lstm.state_dict(), ...)).",
        )
    return notes


def _not_loadable(value: Any) -> str:
    """Why a tensor of the file cannot be copied into a recurrent module's parameter, or
    ``""``."""
    if isinstance(value, TensorRecord) and value.meta:
        return "it is a meta-device tensor, which has a shape but no data"
    dtype = (
        SAFETENSORS_DTYPES.get(value.dtype, value.dtype)
        if isinstance(value, SafetensorsEntry)
        else value.dtype
    )
    if dtype.startswith("complex"):
        return f"it is complex ({dtype}); recurrent modules' parameters are real"
    return ""


def module_state(torch: Any, found: InferredModule, tensors: Mapping[str, Any]) -> dict[str, Any]:
    """The module's parameters under their own names, computed from weight norm's g and v
    where the file stores those."""
    variants = {v.key: v for v in found.variants}
    state: dict[str, Any] = {}
    for name in found.parameter_names:
        key = found.key(name)
        for stored in variants[key].stored if key in variants else (key,):
            problem = _not_loadable(tensors[stored])
            if problem:
                raise SpecError(f"--run cannot load the weight {stored!r}: {problem}")
        variant = variants.get(key)
        if variant is None:
            state[name] = _materialize(torch, tensors[key])
        elif variant.kind == "weight_norm":
            g, v = (_materialize(torch, tensors[k]).float() for k in variant.stored)
            norm = v.flatten(1).norm(dim=1).reshape(g.shape)
            state[name] = (v * (g / norm).reshape(-1, *([1] * (v.dim() - 1)))).to(v.dtype)
        else:
            state[name] = _materialize(torch, tensors[variant.stored[0]])
    return state


def _run(
    torch: Any,
    found: InferredModule,
    tensors: Mapping[str, Any],
    batch: int | None,
    seq_len: int | None,
) -> RunResult:
    """Load the weights into the inferred module (strict) and run it once."""
    from lstm_shapes.probe.runtime import build_module

    n = batch or DEFAULT_RUN_BATCH
    length = seq_len or DEFAULT_RUN_SEQ_LEN
    m = found.module
    module = build_module(torch, m).eval()
    state = module_state(torch, found, tensors)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise InconsistencyError(
            f"the weights of {found.name!r} do not load into the inferred "
            f"{m.constructor()}: {_first_line(str(error))}"
        ) from None
    generator = torch.Generator().manual_seed(0)
    if m.is_cell:
        spec = Spec(module=m, input=InputSpec(batch=n, seq_len=1))
        predicted = {
            k: v.shape for k, v in theory.tensor_shapes(spec).items() if k in ("input", "h1", "c1")
        }
        x = torch.randn(predicted["input"], generator=generator)
        with torch.no_grad():
            out = module(x)
        h1, c1 = out if m.has_cell else (out, None)
        actual = {"input": x, "h1": h1, "c1": c1}
        run_length: int | None = None
    else:
        spec = Spec(module=m, input=InputSpec(batch=n, seq_len=length))
        predicted = {k: v.shape for k, v in theory.tensor_shapes(spec).items()}
        x = torch.randn(predicted["input"], generator=generator)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "projections not supported with oneDNN"
            output, state_out = module(x)
        hn, cn = state_out if m.has_cell else (state_out, None)
        actual = {"input": x, "output": output, "hn": hn, "cn": cn}
        run_length = length
    shapes = {name: tuple(actual[name].shape) for name in predicted if actual.get(name) is not None}
    for name, shape in shapes.items():
        if shape != predicted[name]:
            raise InconsistencyError(
                f"{m.constructor()} with the weights of {found.name!r} gave "
                f"{name} {shape}, but theory predicted {predicted[name]}"
            )
    return RunResult(str(torch.__version__), n, run_length, shapes)
