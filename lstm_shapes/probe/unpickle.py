"""Reading the pickles of ``torch.save`` and ``torch.jit.save`` without importing a module or
calling a class they name.

A pickle names the classes and functions that rebuild its objects (``GLOBAL numpy dtype``,
``GLOBAL mymodel Config``); ``pickle.load`` imports and calls them, which is how a
checkpoint runs code. :class:`InertUnpickler` overrides the one place where names are
looked up (``find_class``) and never imports: every name becomes an :class:`Opaque` type of
its own, which builds inert records of the arguments and state it is given. Only torch's
tensor rebuild functions and storage types are understood, and even those are not torch's:
they make :class:`TensorRecord` entries (dtype, shape, where the bytes are) whose data is
read only when ``--run`` asks for it. Reading a file therefore needs no torch at all.

Formats: the zip archive of ``torch.save`` (``<name>/data.pkl``, storages in
``<name>/data/<key>``), the same archive written by ``torch.jit.save`` (plus ``code/``,
which is never read), and the legacy ``torch.save`` format (magic number, protocol version
and system info pickles, the data pickle, the storage keys, then each storage's bytes).
"""

from __future__ import annotations

import _compat_pickle
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

#: The first object of a legacy torch.save file.
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
#: A data.pkl larger than this is not a checkpoint's (they hold no tensor data); the bound
#: keeps the memory a damaged or hostile pickle can make the unpickler use in proportion.
MAX_PICKLE_BYTES = 64 * 2**20

#: torch's storage class names -> (dtype name, bytes per element)
STORAGE_DTYPES = {
    "DoubleStorage": ("float64", 8),
    "FloatStorage": ("float32", 4),
    "HalfStorage": ("float16", 2),
    "BFloat16Storage": ("bfloat16", 2),
    "LongStorage": ("int64", 8),
    "IntStorage": ("int32", 4),
    "ShortStorage": ("int16", 2),
    "CharStorage": ("int8", 1),
    "ByteStorage": ("uint8", 1),
    "BoolStorage": ("bool", 1),
    "ComplexDoubleStorage": ("complex128", 16),
    "ComplexFloatStorage": ("complex64", 8),
    "QInt8Storage": ("qint8", 1),
    "QUInt8Storage": ("quint8", 1),
    "QInt32Storage": ("qint32", 4),
    "UntypedStorage": ("uint8", 1),
}
#: torch's functions that rebuild a tensor, by the shape of their arguments.
TENSOR_REBUILDERS = {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_qtensor"}
PARAMETER_REBUILDERS = {"_rebuild_parameter", "_rebuild_parameter_with_state"}


class CheckpointFormatError(Exception):
    """The file is not what it starts like; the message says what is wrong, in a few words."""


class Opaque:
    """An object the file names but that was never imported or called.

    The unpickler makes one subclass per name it meets (``opaque_global`` is
    ``"module.name"``). Calling it, creating it, setting its state or its items only
    records what was given, so the checkpoint's tensors can still be found inside."""

    opaque_global: ClassVar[str] = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> Opaque:
        self = object.__new__(cls)
        object.__setattr__(self, "opaque_args", args)
        object.__setattr__(self, "opaque_state", kwargs or None)
        object.__setattr__(self, "opaque_items", {})
        object.__setattr__(self, "opaque_list", [])
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        object.__setattr__(self, "opaque_state", state)

    def __setitem__(self, key: Any, value: Any) -> None:
        if not isinstance(key, (str, int, float, bool, bytes, tuple, type(None))):
            key = id(key)  # an unhashable key, e.g. another placeholder
        self.opaque_items[key] = value

    def append(self, value: Any) -> None:
        self.opaque_list.append(value)

    def extend(self, values: Any) -> None:
        self.opaque_list.extend(values)

    def add(self, value: Any) -> None:
        self.opaque_list.append(value)

    def __repr__(self) -> str:
        return f"<{self.opaque_global}, not imported>"

    # Attributes a pickle sets go through __setstate__; nothing else may change one.
    opaque_args: tuple[Any, ...]
    opaque_state: Any
    opaque_items: dict[Any, Any]
    opaque_list: list[Any]

    def attributes(self) -> dict[str, Any]:
        """The object's attributes, as a ``__dict__`` state would hold them (a
        ``(dict, slots)`` state gives both), or an empty dict."""
        state = self.opaque_state
        if (
            isinstance(state, tuple)
            and len(state) == 2
            and all(isinstance(s, (dict, type(None))) for s in state)
        ):
            return {**(state[0] or {}), **(state[1] or {})}
        return dict(state) if isinstance(state, dict) else {}


@dataclass(frozen=True, slots=True)
class StorageType:
    """``torch.FloatStorage`` and friends, as a name: never torch's class."""

    name: str

    def __setstate__(self, state: Any) -> None:
        raise CheckpointFormatError("it changes a storage or tensor record after building it")

    @property
    def dtype(self) -> str:
        return STORAGE_DTYPES.get(self.name, (self.name, 0))[0]

    @property
    def element_size(self) -> int:
        return STORAGE_DTYPES.get(self.name, (self.name, 0))[1]


class StorageSource:
    """Where the bytes of each storage are; read only when a tensor is materialized."""

    def read(self, key: str, nbytes: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError


# Slots and frozen: a pickle's BUILD cannot change these records (it has no __dict__ to
# update, and setting an attribute raises), so their fields keep the types checked here.
@dataclass(frozen=True, slots=True)
class StorageRef:
    source: StorageSource = field(repr=False, compare=False)
    key: str
    dtype: str
    element_size: int
    numel: int
    #: elements to skip: a legacy view's offset into its root storage
    base: int = 0

    def __setstate__(self, state: Any) -> None:
        raise CheckpointFormatError("it changes a storage or tensor record after building it")


@dataclass(frozen=True, slots=True)
class TensorRecord:
    """A tensor of the file: its dtype and shape, and where its elements are. Nothing is
    read or allocated until :meth:`load`."""

    storage: StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    quantized: bool = False
    #: a meta-device tensor: a shape, no data
    meta: bool = False

    def __setstate__(self, state: Any) -> None:
        raise CheckpointFormatError("it changes a storage or tensor record after building it")

    @property
    def dtype(self) -> str:
        return self.storage.dtype

    def load(self, torch: Any) -> Any:
        """The tensor, as a fresh contiguous CPU tensor (``--run`` only)."""
        storage = self.storage
        dtype = getattr(torch, storage.dtype, None)
        if self.meta:
            raise CheckpointFormatError(
                f"a meta-device tensor of shape {self.shape} has a shape but no data"
            )
        if self.quantized or dtype is None or storage.element_size == 0:
            raise CheckpointFormatError(
                f"a {storage.dtype} tensor of shape {self.shape} cannot be loaded for --run"
            )
        nbytes = storage.numel * storage.element_size
        data = bytearray(storage.source.read(storage.key, nbytes))
        if len(data) < nbytes:
            raise CheckpointFormatError(
                f"the data of storage {storage.key!r} is cut short ({len(data)} of {nbytes} bytes)"
            )
        flat = torch.frombuffer(data, dtype=dtype) if nbytes else torch.empty(0, dtype=dtype)
        last = storage.base + self.offset
        if all(self.shape):  # an empty tensor reads nothing
            last += sum((n - 1) * s for n, s in zip(self.shape, self.stride, strict=True))
            if last >= storage.numel:
                raise CheckpointFormatError(
                    f"a tensor of shape {self.shape} reaches past the end of storage "
                    f"{storage.key!r} ({storage.numel} elements)"
                )
        return torch.as_strided(flat, self.shape, self.stride, storage.base + self.offset).clone()


def _size(value: Any) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise CheckpointFormatError(f"a tensor's size or stride is not a tuple of sizes: {value!r}")
    return tuple(value)


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> Any:
    """What ``torch._utils._rebuild_tensor_v2`` (and ``_rebuild_qtensor``) would build, as a
    record; anything else in the arguments is ignored."""
    if not isinstance(storage, StorageRef) or not isinstance(offset, int):
        raise CheckpointFormatError("a tensor is rebuilt from something that is not a storage")
    shape, strides = _size(size), _size(stride)
    if len(shape) != len(strides):
        raise CheckpointFormatError(f"a tensor has size {shape} but stride {strides}")
    quantized = storage.dtype.startswith("q")
    return TensorRecord(storage, offset, shape, strides, quantized)


class _NoData(StorageSource):
    def read(self, key: str, nbytes: int) -> bytes:
        raise CheckpointFormatError("a meta-device tensor has a shape but no data")


def _rebuild_meta(dtype: Any, size: Any, stride: Any, *rest: Any) -> Any:
    """``torch._utils._rebuild_meta_tensor_no_storage``: a shape with no data (a model
    built on the meta device). ``dtype`` is the placeholder of ``torch.float32`` etc."""
    shape, strides = _size(size), _size(stride)
    if len(shape) != len(strides):
        raise CheckpointFormatError(f"a tensor has size {shape} but stride {strides}")
    name = getattr(dtype, "opaque_global", "torch.?").removeprefix("torch.")
    return TensorRecord(StorageRef(_NoData(), "meta", name, 0, 0), 0, shape, strides, meta=True)


def _rebuild_parameter(data: Any, *rest: Any) -> Any:
    """A Parameter is its tensor."""
    return data


def _rebuild_from_type(function: Any, new_type: Any, args: Any, state: Any = None) -> Any:
    """A tensor subclass: ``function(*args)`` when the function is one of ours."""
    if function in (_rebuild_tensor, _rebuild_parameter) and isinstance(args, tuple):
        return function(*args)
    return Opaque.__new__(Opaque, function, new_type, args, state)


def _codecs_encode(text: Any, encoding: Any = "utf-8", *rest: Any) -> Any:
    """Protocol 2 writes bytes as ``_codecs.encode(text, "latin1")``; only the codecs that
    need no import are used."""
    if isinstance(text, str) and encoding in ("latin1", "latin-1", "utf-8", "ascii"):
        return text.encode(encoding)
    return Opaque.__new__(Opaque, text, encoding)


#: The names understood as themselves; every other name becomes a placeholder.
KNOWN: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("_codecs", "encode"): _codecs_encode,
    ("torch", "Size"): tuple,
    ("torch._utils", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
}
KNOWN[("torch._utils", "_rebuild_meta_tensor_no_storage")] = _rebuild_meta
KNOWN.update({("torch._utils", name): _rebuild_tensor for name in TENSOR_REBUILDERS})
KNOWN.update({("torch._utils", name): _rebuild_parameter for name in PARAMETER_REBUILDERS})


class InertUnpickler(pickle.Unpickler):
    """An unpickler that imports nothing: see the module's docstring."""

    def __init__(self, file: IO[bytes], source: StorageSource) -> None:
        super().__init__(file, encoding="utf-8")
        self.source = source
        #: every name met that became a placeholder, in first-seen order
        self.placeholders: dict[str, type[Opaque]] = {}
        #: legacy files: storage keys -> the root storage read for them
        self.storages: dict[str, StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        # Protocol 2 writes Python 2's names (__builtin__.exec); say them as Python 3 does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if (module, name) in KNOWN:
            return KNOWN[(module, name)]
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if module == "torch.storage" and name in ("UntypedStorage", "TypedStorage"):
            return StorageType(name)
        full = f"{module}.{name}"
        if full not in self.placeholders:
            self.placeholders[full] = type(
                "Opaque", (Opaque,), {"opaque_global": full, "__module__": __name__}
            )
        return self.placeholders[full]

    def persistent_load(self, pid: Any) -> Any:
        """torch.save's storages: ``('storage', type, key, location, numel)`` in a zip
        archive, plus a view ``(view_key, offset, size)`` in the legacy format."""
        if isinstance(pid, tuple) and len(pid) == 4 and pid[0] in ("module", b"module"):
            return pid[1]  # the legacy format's record of a class's source: the class
        if not isinstance(pid, tuple) or not pid or pid[0] not in ("storage", b"storage"):
            raise CheckpointFormatError(f"a persistent id is not one torch writes: {pid!r:.80}")
        if len(pid) not in (5, 6):
            raise CheckpointFormatError(f"a storage reference has {len(pid)} parts, not 5 or 6")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, StorageType) or not isinstance(numel, int) or numel < 0:
            raise CheckpointFormatError(f"a storage reference is not one torch writes: {pid!r}")
        key = key.decode("ascii") if isinstance(key, bytes) else str(key)
        if key not in self.storages:
            self.storages[key] = StorageRef(
                self.source, key, storage_type.dtype, storage_type.element_size, numel
            )
        root = self.storages[key]
        view = pid[5] if len(pid) == 6 else None
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[1], int)):
                raise CheckpointFormatError(f"a storage view is not one torch writes: {view!r}")
            return StorageRef(
                self.source, key, root.dtype, root.element_size, root.numel, base=view[1]
            )
        return root


class _Bounded(io.RawIOBase):
    """A file limited to ``limit`` bytes, so a length in a damaged pickle can never make
    the unpickler allocate more than the file holds."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self.file = file
        self.left = limit

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """At most what is left: a length read from a damaged pickle never allocates more."""
        wanted = self.left if size is None or size < 0 else min(size, self.left)
        data: bytes = self.file.read(wanted)
        self.left -= len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: max(0, self.left)]
        count = self.file.readinto(view)  # type: ignore[attr-defined]
        self.left -= count or 0
        return count or 0

    def peek(self, size: int = 0) -> bytes:
        """Lets the unpickler read ahead without consuming what follows its pickle (the
        legacy format stores several pickles back to back)."""
        data: bytes = self.file.peek(size)  # type: ignore[attr-defined]
        return data[: max(0, self.left)]


@dataclass
class Loaded:
    """What a file held: the unpickled object, its format, the names read as placeholders."""

    obj: Any
    format: str
    placeholders: list[str]


class ZipSource(StorageSource):
    def __init__(self, path: str, prefix: str) -> None:
        self.path = path
        self.prefix = prefix

    def read(self, key: str, nbytes: int) -> bytes:
        with zipfile.ZipFile(self.path) as archive:
            name = f"{self.prefix}data/{key}"
            try:
                with archive.open(name) as handle:
                    return handle.read(nbytes)
            except KeyError:
                raise CheckpointFormatError(f"the storage {name} is missing") from None


def _unpickle(file: IO[bytes], source: StorageSource, limit: int) -> tuple[Any, InertUnpickler]:
    """One pickle from ``file``, reading at most ``limit`` bytes."""
    unpickler = InertUnpickler(_Bounded(file, limit), source)  # type: ignore[arg-type]
    try:
        return unpickler.load(), unpickler
    except CheckpointFormatError:
        raise
    except RecursionError:
        raise CheckpointFormatError("its pickle is nested too deeply") from None
    except Exception as error:  # a damaged pickle fails in many ways, none of them ours
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        raise CheckpointFormatError(f"its pickle cannot be read ({text})") from None


def read_zip(path: str) -> Loaded:
    """A zip archive of torch.save or torch.jit.save: its ``data.pkl``, inertly."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if not pickles:
            raise CheckpointFormatError(
                f"no data.pkl among its {len(names)} file{'' if len(names) == 1 else 's'}"
            )
        data_pkl = min(pickles, key=len)
        prefix = data_pkl[: -len("data.pkl")]
        torchscript = any(n.startswith(f"{prefix}code/") for n in names) or (
            f"{prefix}constants.pkl" in names
        )
        info = archive.getinfo(data_pkl)
        if info.file_size > MAX_PICKLE_BYTES:
            raise CheckpointFormatError(
                f"its data.pkl is {info.file_size} bytes, more than a checkpoint's "
                f"({MAX_PICKLE_BYTES} at most)"
            )
        with archive.open(data_pkl) as handle:
            obj, unpickler = _unpickle(handle, ZipSource(path, prefix), info.file_size)
    kind = "torchscript" if torchscript else "torch.save"
    return Loaded(obj, kind, list(unpickler.placeholders))


class LegacySource(StorageSource):
    """The legacy format's storages, back to back after the pickles: each is an 8-byte
    element count, then the elements."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offsets: dict[str, int] = {}

    def read(self, key: str, nbytes: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(self.offsets[key] + 8)
            return handle.read(nbytes)


def read_pickle(path: str) -> Loaded:
    """A legacy torch.save file, or any other pickle (read as the checkpoint itself)."""
    source = LegacySource(path)
    limit = min(MAX_PICKLE_BYTES, os.path.getsize(path))
    with open(path, "rb") as handle:
        first, unpickler = _unpickle(handle, source, limit)
        if first != LEGACY_MAGIC or isinstance(first, bool):
            return Loaded(first, "pickle", list(unpickler.placeholders))
        seen: dict[str, None] = {}
        for _ in range(2):  # the protocol version and the system info
            _unpickle(handle, source, limit)
        obj, unpickler = _unpickle(handle, source, limit)
        seen.update(dict.fromkeys(unpickler.placeholders))
        keys, _ = _unpickle(handle, source, limit)
        if not isinstance(keys, list):
            raise CheckpointFormatError("its list of storage keys is missing")
        _locate_storages(handle, keys, unpickler.storages, source)
    return Loaded(obj, "torch.save-legacy", list(seen))


def _locate_storages(
    handle: IO[bytes], keys: list[Any], storages: dict[str, StorageRef], source: LegacySource
) -> None:
    offset = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    for key in (str(k) for k in keys):
        storage = storages.get(key)
        if storage is None:
            raise CheckpointFormatError(f"the storage {key!r} is listed but never used")
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            raise CheckpointFormatError(f"the data of storage {key!r} is missing")
        (numel,) = struct.unpack("<q", header)
        end = offset + 8 + numel * storage.element_size
        if numel != storage.numel or end > size:
            raise CheckpointFormatError(
                f"the data of storage {key!r} is cut short or damaged ({numel} elements "
                f"announced, {storage.numel} expected, file of {size} bytes)"
            )
        source.offsets[key] = offset
        offset = end
