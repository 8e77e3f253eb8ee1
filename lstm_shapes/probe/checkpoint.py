"""``inspect``: read a checkpoint's weights (never its code) and say which recurrent modules
made them, and what shapes those modules expect.

The file is opened with ``torch.load(weights_only=True, map_location="cpu")``: a pickle
that would build arbitrary Python objects is refused by torch's restricted unpickler and
nothing in it runs. A ``.safetensors`` file (recognised by its content) is read from its JSON
header instead. The inference itself is :mod:`lstm_shapes.theory.weights` (no torch).
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_shapes.errors import InconsistencyError, SpecError
from lstm_shapes.spec.core import InputSpec, Spec, parse_size, show_value
from lstm_shapes.theory import shapes as theory
from lstm_shapes.theory.weights import InferredModule, infer_modules

SCHEMA_VERSION = 1
#: How deep to look for a state dict inside a checkpoint dict
#: (``{"state_dict": ...}``, ``{"model": {"state_dict": ...}}``, ...).
MAX_DEPTH = 6
DEFAULT_RUN_BATCH = 3
DEFAULT_RUN_SEQ_LEN = 7
ARGUMENT = "CHECKPOINT"


@dataclass(frozen=True)
class ExpectedTensor:
    """A tensor the module expects or returns: ``sizes`` holds ``"N"``/``"L"`` where the
    batch size or sequence length was not given. ``batch_first`` is ``None`` for the
    states, whose layout never depends on it."""

    name: str
    batch_first: bool | None
    dims: tuple[theory.Dim, ...]
    sizes: tuple[int | str, ...]

    @property
    def shape_text(self) -> str:
        return "(" + ", ".join(str(s) for s in self.sizes) + ")"

    @property
    def symbols(self) -> str:
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "batch_first": self.batch_first,
            "shape": list(self.sizes),
            "symbols": [d.symbol for d in self.dims],
        }


@dataclass(frozen=True)
class RunResult:
    """What ``--run`` did: the weights loaded with ``strict=True`` and one forward pass
    produced these shapes (time-major input, ``batch_first=False``)."""

    torch_version: str
    batch: int
    seq_len: int
    shapes: dict[str, tuple[int, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "torch_version": self.torch_version,
            "load_state_dict": "strict",
            "batch": self.batch,
            "seq_len": self.seq_len,
            "shapes": {name: list(shape) for name, shape in self.shapes.items()},
        }


@dataclass(frozen=True)
class ModuleReport:
    found: InferredModule
    #: where the state dict sits in the file: ``""`` top level, ``"state_dict"``, ``"model.net"``
    source: str
    tensors: list[ExpectedTensor]
    parameter_count: int
    run: RunResult | None = None

    @property
    def name(self) -> str:
        return self.found.name

    @property
    def sizes(self) -> str:
        """The bound sizes as ``name=value`` pairs: ``H_in=8 D=2 num_layers=2 H_out=16``."""
        m = self.found.module
        line = f"H_in={m.input_size} D={m.D} num_layers={m.num_layers} H_out={m.H_out}"
        return line + (f" H_cell={m.H_cell}" if m.has_cell else "")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.found.as_dict())
        data.update(
            {
                "state_dict_key": self.source,
                "constructor": self.found.module.constructor(),
                "not_in_weights": list(self.found.unknown),
                "parameter_count": self.parameter_count,
                "tensors": [t.as_dict() for t in self.tensors],
                "run": self.run.as_dict() if self.run is not None else None,
            }
        )
        return data


@dataclass(frozen=True)
class CheckpointReport:
    path: str
    tensor_count: int
    modules: list[ModuleReport]
    batch: int | None = None
    seq_len: int | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "path": self.path,
            "tensor_count": self.tensor_count,
            "batch": self.batch,
            "seq_len": self.seq_len,
            "modules": [m.as_dict() for m in self.modules],
            "notes": list(self.notes),
        }


def expected_tensors(
    found: InferredModule, batch: int | None = None, seq_len: int | None = None
) -> list[ExpectedTensor]:
    """``input`` and ``output`` under both ``batch_first`` values (the weights cannot tell
    which one the model uses), then ``h0``/``c0``/``hn``/``cn``."""
    tensors: list[ExpectedTensor] = []
    symbolic = {"N": batch is None, "L": seq_len is None}
    for batch_first in (False, True):
        spec = Spec(
            module=replace(found.module, batch_first=batch_first),
            input=InputSpec(batch=batch or 1, seq_len=seq_len or 1),
        )
        for name, shape in theory.tensor_shapes(spec).items():
            if name in ("input", "output") or not batch_first:
                sizes = tuple(d.symbol if symbolic.get(d.symbol) else d.size for d in shape.dims)
                layout = batch_first if name in ("input", "output") else None
                tensors.append(ExpectedTensor(name, layout, shape.dims, sizes))
    order = theory.tensor_names(found.module)
    return sorted(tensors, key=lambda t: (order.index(t.name), bool(t.batch_first)))


# --- reading the file -------------------------------------------------------------------

#: safetensors dtype names -> torch dtype names
#: bytes per element of each safetensors dtype
SAFETENSORS_ITEMSIZE = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
    "BOOL": 1,
}  # fmt: skip
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
    return value.load(torch) if isinstance(value, SafetensorsEntry) else value


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
        if any(size < 0 for size in shape) or (
            math.prod(shape) * SAFETENSORS_ITEMSIZE[dtype] != end - start
        ):
            raise SpecError(
                f"{ARGUMENT} {shown} is corrupt: the safetensors entry {show_value(name)} has "
                f"shape {show_value(list(shape))} of {dtype}, which does not fit its "
                f"{end - start} bytes of data"
            )
        entries[name] = SafetensorsEntry(path, dtype, shape, 8 + length + start, 8 + length + end)
    return entries


_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def _not_a_file(path: str) -> str:
    """What ``path`` is when it is not a regular file (a FIFO would block the read, a
    device never ends), else ``""``."""
    mode = os.stat(path).st_mode
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, kind in kinds:
        if test(mode):
            return kind
    return "" if stat.S_ISREG(mode) else "not a regular file"


def _check_zip(path: str, size: int) -> None:
    """A file that starts like torch.save's zip archive: refuse a damaged one, or one that
    torch did not write, before torch.load reads it."""
    shown = repr(path)
    if not zipfile.is_zipfile(path):
        raise SpecError(
            f"{ARGUMENT} {shown} is truncated or corrupt: it starts like a torch.save zip "
            f"archive but its end is missing ({size} bytes)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise SpecError(
            f"{ARGUMENT} {shown} is truncated or corrupt: it starts like a torch.save zip "
            f"archive but its directory cannot be read ({_first_line(str(error))})"
        ) from None
    if not any(name.endswith("data.pkl") for name in names):
        raise SpecError(
            f"{ARGUMENT} {shown} is a zip archive but not a PyTorch checkpoint "
            f"(no data.pkl among its {len(names)} file{'' if len(names) == 1 else 's'})"
        )


def _load(path: str) -> Any:
    """``torch.load`` with only weights allowed, every failure turned into one line."""
    from lstm_shapes.probe.runtime import import_torch

    shown = repr(path)
    if not os.path.exists(path):
        raise SpecError(f"{ARGUMENT} {shown} does not exist")
    kind = _not_a_file(path)
    if kind:
        raise SpecError(f"{ARGUMENT} {shown} is {kind}, not a checkpoint file")
    size = os.path.getsize(path)
    if size == 0:
        raise SpecError(f"{ARGUMENT} {shown} is empty (0 bytes), not a checkpoint")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        _check_zip(path, size)
    torch = import_torch()
    import argparse
    import contextlib
    import pickle

    # Training scripts often save their argparse options next to the weights (fairseq's
    # "args"); a Namespace is rebuilt by setting attributes, which runs no code of the file's.
    safe_globals = getattr(torch.serialization, "safe_globals", None)
    allowed = safe_globals([argparse.Namespace]) if safe_globals else contextlib.nullcontext()
    try:
        with allowed:
            return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as error:
        text = str(error)
        if "Unsupported operand" in text:  # not a pickle at all: text, an image, ...
            raise SpecError(
                f"{ARGUMENT} {shown} is not a PyTorch checkpoint: it is neither a torch.save "
                "zip archive nor a pickle"
            ) from None
        if "Weights only load failed" in text:
            found = _GLOBAL.search(text)
            what = f" ({found.group(1)})" if found else ""
            raise SpecError(
                f"{ARGUMENT} {shown} holds pickled Python objects{what}, not only weights "
                "(a whole model saved with torch.save(model, path) looks like this); "
                "lstm-shapes loads with weights_only=True and never runs code from a file: "
                "save the state dict alone: torch.save(model.state_dict(), path)"
            ) from None
        raise SpecError(
            f"{ARGUMENT} {shown} is not a PyTorch checkpoint (torch.load: {_first_line(text)})"
        ) from None
    except Exception as error:  # torch reports damaged files with many exception types
        # torch's first sentence says what failed; the rest is advice about saving
        detail = _first_line(str(error)).split(". ")[0] or type(error).__name__
        if magic.startswith(b"PK"):
            raise SpecError(
                f"{ARGUMENT} {shown} is truncated or corrupt (torch.load: {detail})"
            ) from None
        if magic[:1] == b"\x80":  # a pickle protocol header: the legacy torch.save format
            raise SpecError(
                f"{ARGUMENT} {shown} is truncated or corrupt: it starts like a legacy "
                f"torch.save file but cannot be read (torch.load: {type(error).__name__}"
                f"{': ' + detail if detail != type(error).__name__ else ''})"
            ) from None
        raise SpecError(
            f"{ARGUMENT} {shown} is not a PyTorch checkpoint: torch.load cannot read it"
        ) from None


def source_expr(source: str) -> str:
    """Where a state dict sits, as Python: ``"model.net"`` -> ``checkpoint['model']['net']``
    (list positions, stored as digits, are shown as numbers)."""
    parts = (f"[{p}]" if p.isdigit() else f"[{p!r}]" for p in source.split(".")) if source else ()
    return "checkpoint" + "".join(parts)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def state_dicts(obj: Any, is_tensor: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every mapping in ``obj`` (a dict, nested dicts and lists) that holds tensors under
    string keys, with where it sits (``""``, ``"state_dict"``, ``"model.net"``, ``"0"``)."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(node: Any, where: tuple[str, ...]) -> None:
        if len(where) > MAX_DEPTH:
            return
        if isinstance(node, Mapping):
            tensors = {k: v for k, v in node.items() if isinstance(k, str) and is_tensor(v)}
            if tensors:
                found.append((".".join(where), tensors))
            for key, value in node.items():
                if isinstance(value, (Mapping, list, tuple)):
                    walk(value, (*where, str(key)))
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                if isinstance(value, (Mapping, list, tuple)):
                    walk(value, (*where, str(index)))

    walk(obj, ())
    return found


def _nests_deeper(obj: Any, depth: int) -> bool:
    """Does ``obj`` hold dicts or lists more than ``depth`` levels down?"""
    stack = [(obj, 0)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, Mapping) else node
        if isinstance(node, (Mapping, list, tuple)):
            if level > depth:
                return True
            stack.extend((child, level + 1) for child in children)
    return False


def _describe(obj: Any) -> str:
    if isinstance(obj, Mapping):
        keys = ", ".join(repr(k) for k in list(obj)[:5])
        more = ", ..." if len(obj) > 5 else ""
        return f"a dict with keys {keys}{more}" if obj else "an empty dict"
    return f"a {type(obj).__name__}"


def inspect_checkpoint(
    path: str | os.PathLike[str],
    *,
    batch: object | None = None,
    seq_len: object | None = None,
    run: bool = False,
) -> CheckpointReport:
    """Find every nn.LSTM / nn.GRU / nn.RNN in a checkpoint from its weights alone.

    ``batch`` and ``seq_len`` make the expected shapes concrete (else ``N`` and ``L``);
    ``run`` loads the weights into a real module (``strict=True``) and runs a forward pass.
    Raises :class:`SpecError` for a file that cannot be read, holds no recurrent weights
    or holds inconsistent ones."""
    path_text = os.fspath(path)
    batch_ = parse_size("--batch", batch) if batch is not None else None
    seq_len_ = parse_size("--seq-len", seq_len) if seq_len is not None else None
    from lstm_shapes.probe.runtime import import_torch

    safetensors = read_safetensors(path_text)
    if safetensors is not None:
        candidates: list[tuple[str, dict[str, Any]]] = [("", dict(safetensors))]
        torch = import_torch() if run else None
    else:
        torch_obj = _load(path_text)
        torch = import_torch()
        candidates = state_dicts(torch_obj, lambda v: isinstance(v, torch.Tensor))
        if not candidates:
            where = (
                f" in its first {MAX_DEPTH} levels of nesting (lstm-shapes searches no deeper)"
                if _nests_deeper(torch_obj, MAX_DEPTH)
                else ""
            )
            raise SpecError(
                f"{ARGUMENT} {path_text!r} holds no state dict{where}: it is {_describe(torch_obj)}"
            )
    tensor_count = sum(len(tensors) for _, tensors in candidates)
    modules: list[ModuleReport] = []
    for source, tensors in candidates:
        shapes = {key: tuple(value.shape) for key, value in tensors.items()}
        try:
            found_modules = infer_modules(shapes)
        except SpecError as error:
            where = f" (in {source_expr(source)})" if source else ""
            raise SpecError(f"{ARGUMENT} {path_text!r}{where}: {error}") from None
        for found in found_modules:
            result = _run(torch, found, tensors, batch_, seq_len_) if run else None
            modules.append(
                ModuleReport(
                    found=found,
                    source=source,
                    tensors=expected_tensors(found, batch_, seq_len_),
                    parameter_count=theory.parameter_count(found.module),
                    run=result,
                )
            )
    if not modules:
        keys = [key for _, tensors in candidates for key in tensors]
        sample = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
        raise SpecError(
            f"{ARGUMENT} {path_text!r} has no recurrent weights: none of its "
            f"{tensor_count} tensors is named like <module>.weight_ih_l0 (it has {sample})"
        )
    return CheckpointReport(
        path=path_text,
        tensor_count=tensor_count,
        modules=modules,
        batch=batch_,
        seq_len=seq_len_,
        notes=_notes(modules, run=run),
    )


def _notes(modules: list[ModuleReport], *, run: bool) -> list[str]:
    notes = [
        "batch_first and dropout are not stored in the weights: input and output are shown "
        "for both batch_first values; h0/c0/hn/cn do not depend on it."
    ]
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
    if any(m.name == "module" or m.name.startswith("module.") for m in modules):
        notes.append(
            "Keys start with 'module.': the model was saved wrapped in nn.DataParallel or "
            "DistributedDataParallel; strip that prefix to load it into the bare model."
        )
    if any(m.name == "" for m in modules):
        notes.append(
            "A module named '' is a whole state dict: that of a bare recurrent module "
            "(torch.save(lstm.state_dict(), ...)).",
        )
    sources = {m.source for m in modules}
    if len(sources) > 1:
        notes.append(
            "Recurrent weights were found in more than one state dict in this file: "
            + ", ".join(source_expr(s) if s else "the top level" for s in sorted(sources))
            + "."
        )
    return notes


def _not_loadable(torch: Any, value: Any) -> str:
    """Why a tensor cannot be copied into an nn.LSTM's parameter, or ``""``."""
    if value.is_meta:
        return "it is a meta-device tensor, which has a shape but no data"
    if value.layout != torch.strided:
        return f"it is a sparse tensor ({value.layout}); nn.LSTM's parameters are dense"
    if value.is_complex():
        return f"it is complex ({value.dtype}); nn.LSTM's parameters are real"
    return ""


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
    module = build_module(torch, found.module).eval()
    state = {name: _materialize(torch, tensors[found.key(name)]) for name in found.parameter_names}
    for name, value in state.items():
        problem = _not_loadable(torch, value)
        if problem:
            raise SpecError(
                f"--run cannot load the weight {show_value(found.key(name))}: {problem}"
            )
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise InconsistencyError(
            f"the weights of {found.name!r} do not load into the inferred "
            f"{found.module.constructor()}: {_first_line(str(error))}"
        ) from None
    spec = Spec(module=found.module, input=InputSpec(batch=n, seq_len=length))
    predicted = theory.tensor_shapes(spec)
    x = torch.randn(predicted["input"].shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "projections not supported with oneDNN"
        output, state_out = module(x)
    hn, cn = state_out if found.module.has_cell else (state_out, None)
    actual = {"input": x, "output": output, "hn": hn, "cn": cn}
    shapes = {name: tuple(actual[name].shape) for name in predicted if name in actual}
    for name, shape in shapes.items():
        if shape != predicted[name].shape:
            raise InconsistencyError(
                f"{found.module.constructor()} with the weights of {found.name!r} gave "
                f"{name} {shape}, but theory predicted {predicted[name].shape}"
            )
    return RunResult(str(torch.__version__), n, length, shapes)
