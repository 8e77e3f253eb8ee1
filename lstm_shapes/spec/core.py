"""The validated description of a module, its input and the run.

Every user-facing validation lives here and raises :class:`SpecError` with a one-line
message that names the option, the value and what is allowed. No torch import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_shapes.errors import SpecError

#: torch stores sizes as 64-bit integers but its kernels index with 32-bit ones.
MAX_SIZE = 2**31 - 1
#: the sequence modules, then the cells (one time step: no layers, directions or L)
KINDS = ("lstm", "gru", "rnn", "lstmcell", "grucell", "rnncell")
CELL_KINDS = ("lstmcell", "grucell", "rnncell")
NONLINEARITIES = ("tanh", "relu")
DTYPES = ("float32", "float64", "float16", "bfloat16")
DEVICE_HELP = "auto, cpu, cuda, cuda:K or mps"
DEFAULT_BATCH = 3
DEFAULT_SEQ_LEN = 7
KIND_CLASS = {
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "RNN",
    "lstmcell": "LSTMCell",
    "grucell": "GRUCell",
    "rnncell": "RNNCell",
}


#: a rejected value longer than this is cut when quoted back, so the error stays one line
SHOWN_CHARS = 40


def show_value(value: object) -> str:
    """How a rejected value is quoted back: text in quotes, numbers as they are; a long
    value is cut, with its length."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**SHOWN_CHARS:
        return f"a whole number of {len(str(abs(value)))} digits"
    text = value if isinstance(value, str) else str(value)
    if len(text) > SHOWN_CHARS:
        head = repr(text[:SHOWN_CHARS]) if isinstance(value, str) else text[:SHOWN_CHARS]
        return f"{head}... ({len(text)} characters)"
    return repr(value) if isinstance(value, str) else text


def printable(text: str) -> str:
    """``text`` with control characters and lone surrogates written as escapes (``\\n``,
    ``\\x00``, ``\\ud800``), so a name from a file can neither break a line, a table or an
    XML document nor fail to encode."""
    if text.isprintable() and text.isascii():
        return text
    out = []
    for char in text:
        if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
            out.append(char)
        else:
            out.append(repr(char)[1:-1] if char != "'" else char)
    return "".join(out)


def parse_size(option: str, value: object, minimum: int = 1) -> int:
    """A whole number in ``[minimum, MAX_SIZE]``; text such as ``"10"`` is accepted."""
    allowed = f"{option} must be a whole number from {minimum} to {MAX_SIZE}"
    number: int
    if isinstance(value, bool):
        raise SpecError(f"{allowed} (got {value})")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", text):  # int() would also take "5_0" and " 5"
            raise SpecError(f"{allowed} (got {show_value(value)})")
        digits = len(text.lstrip("+-").lstrip("0"))
        if digits > SHOWN_CHARS:  # out of range anyway, and int() refuses over 4,300 digits
            raise SpecError(f"{allowed} (got a whole number of {digits} digits)")
        number = int(text, 10)
    else:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    if not minimum <= number <= MAX_SIZE:
        raise SpecError(f"{allowed} (got {show_value(number)})")
    return number


def parse_dropout(value: object) -> float:
    allowed = "--dropout must be a number from 0 to 1"
    if isinstance(value, bool):
        raise SpecError(f"{allowed} (got {value})")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise SpecError(f"{allowed} (got {show_value(value)})") from None
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        shown = show_value(value) if len(str(value)) > SHOWN_CHARS else str(value)
        raise SpecError(f"{allowed} (got {shown})")
    return number


def parse_choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise SpecError(f"{option} must be one of {', '.join(choices)} (got {show_value(value)})")
    return value.strip().lower()


def parse_device(value: object) -> str:
    """Syntax only; whether the device exists is for the probe to say."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("auto", "cpu", "cuda", "mps"):
            return text
        prefix, _, index = text.partition(":")
        if prefix == "cuda" and index.isdigit():
            return f"cuda:{int(index)}"
    raise SpecError(f"--device must be one of {DEVICE_HELP} (got {show_value(value)})")


def parse_lengths(value: object) -> tuple[int, ...]:
    """``"7,4,2"`` or a sequence of ints: the real length of each sequence in the batch."""
    allowed = (
        f"--lengths must be whole numbers from 1 to {MAX_SIZE}, separated by commas, e.g. 7,4,2"
    )
    items: list[object]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")] if value.strip() else []
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    if not items:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    lengths = []
    for item in items:
        try:
            lengths.append(parse_size("--lengths", item))
        except SpecError:
            shown = value if isinstance(value, str) else ",".join(str(i) for i in items)
            raise SpecError(f"{allowed} (got {show_value(shown)})") from None
    return tuple(lengths)


@dataclass(frozen=True)
class ModuleSpec:
    """The constructor arguments of ``nn.LSTM`` (or ``nn.GRU`` / ``nn.RNN``, or one of the
    cells ``nn.LSTMCell`` / ``nn.GRUCell`` / ``nn.RNNCell``, which keep the defaults of
    ``num_layers``, ``batch_first``, ``dropout``, ``bidirectional`` and ``proj_size``)."""

    input_size: int
    hidden_size: int
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0
    kind: str = "lstm"
    nonlinearity: str = "tanh"

    @property
    def D(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def H_out(self) -> int:
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    @property
    def H_cell(self) -> int:
        return self.hidden_size

    @property
    def is_cell(self) -> bool:
        """One time step: ``nn.LSTMCell``, ``nn.GRUCell`` or ``nn.RNNCell``."""
        return self.kind in CELL_KINDS

    @property
    def family(self) -> str:
        """``lstm``, ``gru`` or ``rnn``: the recurrence, whether a cell or a sequence module."""
        return self.kind.removesuffix("cell")

    @property
    def gates(self) -> int:
        """Row blocks in each weight matrix: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), RNN 1."""
        return {"lstm": 4, "gru": 3, "rnn": 1}[self.family]

    @property
    def has_cell(self) -> bool:
        """Whether there is a cell state ``c`` (LSTM and LSTMCell)."""
        return self.family == "lstm"

    @property
    def class_name(self) -> str:
        return KIND_CLASS[self.kind]

    def constructor(self) -> str:
        """The ``nn.LSTM(...)`` call, naming only what differs from torch's defaults."""
        args = [f"input_size={self.input_size}", f"hidden_size={self.hidden_size}"]
        if self.num_layers != 1:
            args.append(f"num_layers={self.num_layers}")
        if self.family == "rnn" and self.nonlinearity != "tanh":
            args.append(f"nonlinearity={self.nonlinearity!r}")
        if not self.bias:
            args.append("bias=False")
        if self.batch_first:
            args.append("batch_first=True")
        if self.dropout:
            args.append(f"dropout={self.dropout}")
        if self.bidirectional:
            args.append("bidirectional=True")
        if self.proj_size:
            args.append(f"proj_size={self.proj_size}")
        return f"nn.{self.class_name}({', '.join(args)})"

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract's ``lstm`` object, plus ``kind`` (and ``nonlinearity`` for RNN).

        A cell has only ``input_size``, ``hidden_size`` and ``bias``: the keys that do not
        apply to one time step are left out, not shown with a default."""
        data: dict[str, Any] = {"input_size": self.input_size, "hidden_size": self.hidden_size}
        if not self.is_cell:
            data["num_layers"] = self.num_layers
        data["bias"] = self.bias
        if not self.is_cell:
            data.update(
                batch_first=self.batch_first,
                dropout=self.dropout,
                bidirectional=self.bidirectional,
                proj_size=self.proj_size,
            )
        data["kind"] = self.kind
        if self.family == "rnn":
            data["nonlinearity"] = self.nonlinearity
        return data


@dataclass(frozen=True)
class InputSpec:
    """The input tensor: ``(N, L, H_in)`` / ``(L, N, H_in)``, or ``(L, H_in)`` unbatched.

    ``lengths`` (packed, variable-length input) gives each sequence's real length."""

    batch: int = DEFAULT_BATCH
    seq_len: int = DEFAULT_SEQ_LEN
    unbatched: bool = False
    lengths: tuple[int, ...] | None = None

    def as_dict(self, cell: bool = False) -> dict[str, Any]:
        """``cell``: one time step, so no ``seq_len`` and no ``lengths``."""
        if cell:
            return {"batch": None if self.unbatched else self.batch, "unbatched": self.unbatched}
        return {
            "batch": None if self.unbatched else self.batch,
            "seq_len": self.seq_len,
            "unbatched": self.unbatched,
            "lengths": list(self.lengths) if self.lengths is not None else None,
        }


@dataclass(frozen=True)
class RunSpec:
    device: str = "auto"
    dtype: str = "float32"
    seed: int = 0


@dataclass(frozen=True)
class Spec:
    module: ModuleSpec
    input: InputSpec = field(default_factory=InputSpec)
    run: RunSpec = field(default_factory=RunSpec)

    def with_module(self, **changes: Any) -> Spec:
        return replace(self, module=replace(self.module, **changes))

    def sizes_line(self) -> str:
        """The bound sizes as ``name=value`` pairs, for messages."""
        m = self.module
        parts = []
        if not self.input.unbatched:
            parts.append(f"N={self.input.batch}")
        if m.is_cell:
            return " ".join([*parts, f"H_in={m.input_size}", f"H={m.hidden_size}"])
        parts += [
            f"L={self.input.seq_len}",
            f"H_in={m.input_size}",
            f"D={m.D}",
            f"num_layers={m.num_layers}",
            f"H_out={m.H_out}",
        ]
        if m.has_cell:
            parts.append(f"H_cell={m.H_cell}")
        return " ".join(parts)


def _listed(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


#: Why each option of the sequence modules does not apply to a cell.
_NOT_FOR_CELLS = {
    "--num-layers": "a cell is one layer (stack cells in your own loop)",
    "--batch-first": "a cell's input (N, H_in) has no time dimension to move",
    "--bidirectional": "a cell runs one step in one direction",
    "--proj-size": "only nn.LSTM projects h",
    "--dropout": "torch drops out between stacked layers, and a cell is one layer",
    "--seq-len": "a cell takes one time step, input (N, H_in) with no L",
    "--lengths": "a cell takes one time step, so there are no sequences to pack",
}


def _refuse_for_cell(
    kind: str,
    *,
    num_layers: int,
    batch_first: bool,
    dropout: float,
    bidirectional: bool,
    proj_size: int,
    seq_len: object | None,
    lengths: object | None,
) -> None:
    """A cell has none of the sequence module's layers, directions or time steps: an option
    about them is refused, never ignored (their defaults are what a cell is anyway)."""
    given = {
        "--num-layers": f" {num_layers}" if num_layers != 1 else None,
        "--batch-first": "" if batch_first else None,
        "--bidirectional": "" if bidirectional else None,
        "--proj-size": f" {proj_size}" if proj_size else None,
        "--dropout": f" {dropout}" if dropout else None,
        "--seq-len": f" {seq_len}" if seq_len is not None else None,
        "--lengths": None if lengths is None else f" {_listed(lengths)}",
    }
    for option, shown in given.items():
        if shown is not None:
            raise SpecError(
                f"{option} does not apply to --kind {kind}: {_NOT_FOR_CELLS[option]} "
                f"(got {option}{shown})"
            )


def make_spec(
    *,
    input_size: object,
    hidden_size: object,
    num_layers: object = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: object = 0.0,
    bidirectional: bool = False,
    proj_size: object = 0,
    kind: object = "lstm",
    nonlinearity: object = "tanh",
    batch: object | None = None,
    seq_len: object | None = None,
    unbatched: bool = False,
    lengths: object | None = None,
    device: object = "auto",
    dtype: object = "float32",
    seed: object = 0,
) -> Spec:
    """Validate raw values (from the CLI or the Python API) into a :class:`Spec`."""
    kind_ = parse_choice("--kind", kind, KINDS)
    input_size_ = parse_size("--input-size", input_size)
    hidden_size_ = parse_size("--hidden-size", hidden_size)
    num_layers_ = parse_size("--num-layers", num_layers)
    dropout_ = parse_dropout(dropout)
    proj_size_ = parse_size("--proj-size", proj_size, minimum=0) if proj_size else 0
    if kind_ in CELL_KINDS:
        _refuse_for_cell(
            kind_,
            num_layers=num_layers_,
            batch_first=batch_first,
            dropout=dropout_,
            bidirectional=bidirectional,
            proj_size=proj_size_,
            seq_len=seq_len,
            lengths=lengths,
        )
        seq_len = 1  # one time step: theory and cost count it as L = 1
    if proj_size_ and kind_ != "lstm":
        raise SpecError(
            f"--proj-size is only for --kind lstm "
            f"(got --proj-size {proj_size_} with --kind {kind_})"
        )
    if proj_size_ >= hidden_size_ and proj_size_ > 0:
        raise SpecError(
            f"--proj-size must be smaller than --hidden-size (got {proj_size_} >= {hidden_size_})"
        )
    nonlinearity_ = parse_choice("--nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity_ != "tanh" and kind_ not in ("rnn", "rnncell"):
        raise SpecError(
            f"--nonlinearity is only for --kind rnn or rnncell (got --nonlinearity "
            f"{nonlinearity_} with --kind {kind_})"
        )

    batch_, seq_len_, lengths_ = _input_sizes(kind_, batch, seq_len, unbatched, lengths)

    device_ = parse_device(device)
    dtype_ = parse_choice("--dtype", dtype, DTYPES)
    seed_ = parse_size("--seed", seed, minimum=0)
    return Spec(
        module=ModuleSpec(
            input_size=input_size_,
            hidden_size=hidden_size_,
            num_layers=num_layers_,
            bias=bool(bias),
            batch_first=bool(batch_first),
            dropout=dropout_,
            bidirectional=bool(bidirectional),
            proj_size=proj_size_,
            kind=kind_,
            nonlinearity=nonlinearity_,
        ),
        input=InputSpec(
            batch=batch_, seq_len=seq_len_, unbatched=bool(unbatched), lengths=lengths_
        ),
        run=RunSpec(device=device_, dtype=dtype_, seed=seed_),
    )


def _input_sizes(
    kind: str, batch: object, seq_len: object, unbatched: object, lengths: object
) -> tuple[int, int, tuple[int, ...] | None]:
    """N, L and the lengths of a packed batch, checked against each other."""
    lengths_ = parse_lengths(lengths) if lengths is not None else None
    if lengths_ is not None:
        if unbatched:
            raise SpecError("--lengths needs a batch: it cannot be used with --unbatched")
        batch_ = parse_size("--batch", batch) if batch is not None else len(lengths_)
        if len(lengths_) != batch_:
            raise SpecError(
                f"--lengths must give one length per sequence: --batch is {batch_} "
                f"(got {len(lengths_)} lengths: {','.join(map(str, lengths_))})"
            )
        seq_len_ = parse_size("--seq-len", seq_len) if seq_len is not None else max(lengths_)
        if max(lengths_) > seq_len_:
            raise SpecError(
                f"--lengths must be at most --seq-len {seq_len_} "
                f"(got {','.join(map(str, lengths_))})"
            )
    else:
        if unbatched and batch is not None:
            one = "step (H_in)" if kind in CELL_KINDS else "sequence (L, H_in)"
            raise SpecError(
                f"--batch cannot be used with --unbatched: an unbatched input is one "
                f"{one} with no N (got --batch {batch})"
            )
        batch_ = parse_size("--batch", batch) if batch is not None else DEFAULT_BATCH
        seq_len_ = parse_size("--seq-len", seq_len) if seq_len is not None else DEFAULT_SEQ_LEN
    return batch_, seq_len_, lengths_


#: ``--input-dtype`` choices: the float types a module can run in, and the integer types
#: people feed by mistake (token ids).
INPUT_DTYPES = (*DTYPES, "int64", "int32", "int16", "int8", "uint8")
INTEGER_DTYPES = ("int64", "int32", "int16", "int8", "uint8")
#: What `trace` can feed a model: floats, or token ids in the types nn.Embedding accepts.
TRACE_INPUT_DTYPES = (*DTYPES, "int64", "int32")


def _shape_items(option: str, value: object, example: str) -> list[object]:
    allowed = f"{option} must be sizes separated by commas, e.g. {example}"
    if isinstance(value, str):
        text = value.strip().strip("()[]").strip()
        items: list[object] = [part.strip() for part in text.split(",")] if text else []
        if items and items[-1] == "":  # "(80,)"
            items.pop()
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    if not items:
        raise SpecError(f"{allowed} (got {show_value(value)})")
    return items


def parse_shape(option: str, value: object) -> tuple[int, ...]:
    """``"3,7,12"``, ``"(3, 7, 12)"`` or a sequence of ints: a tensor shape, sizes >= 1."""
    example = "3,7,12"
    items = _shape_items(option, value, example)
    shape = []
    for item in items:
        try:
            shape.append(parse_size(option, item))
        except SpecError:
            shown = value if isinstance(value, str) else ",".join(str(i) for i in items)
            raise SpecError(
                f"{option} must be whole numbers from 1 to {MAX_SIZE}, separated by commas, "
                f"e.g. {example} (got {show_value(shown)})"
            ) from None
    return tuple(shape)


def parse_pattern(option: str, value: object) -> tuple[int | None, ...]:
    """Like :func:`parse_shape`, with ``_`` for a dimension of any size."""
    example = "3,_,40"
    items = _shape_items(option, value, example)
    pattern: list[int | None] = []
    for item in items:
        if item is None or (isinstance(item, str) and item.strip() in ("_", "*")):
            pattern.append(None)
            continue
        try:
            pattern.append(parse_size(option, item))
        except SpecError:
            shown = value if isinstance(value, str) else ",".join(str(i) for i in items)
            raise SpecError(
                f"{option} must be sizes from 1 to {MAX_SIZE} or _ (any size), separated by "
                "commas, "
                f"e.g. {example} (got {show_value(shown)})"
            ) from None
    return tuple(pattern)
