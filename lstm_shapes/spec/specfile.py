"""Spec files for ``check --spec``: many cases in one TOML or JSON file. No torch.

A case (TOML shown; JSON is ``{"case": [{...}, ...]}`` with the same keys)::

    [[case]]
    name = "encoder"
    lstm = { input_size = 10, hidden_size = 20, num_layers = 2, batch_first = true }
    input = { batch = 3, seq_len = 7 }          # or shape = [3, 7, 10], h0 = [...], ...
    expect = { output = [3, 7, 20], hn = [2, 3, "_"] }

A malformed file raises :class:`SpecError` naming the file, the case and the key. This
module only reads and validates; :func:`lstm_shapes.api.check_cases` runs the cases.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import Spec, make_spec, parse_pattern, printable, show_value
from lstm_shapes.spec.given import Given, Pattern, make_given

LSTM_KEYS = (
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "batch_first",
    "dropout",
    "bidirectional",
    "proj_size",
    "kind",
    "nonlinearity",
)
INPUT_KEYS = ("batch", "seq_len", "unbatched", "lengths", "shape", "h0", "c0", "dtype")
RUN_KEYS = ("device", "dtype", "seed")
CASE_KEYS = ("name", "lstm", "input", "run", "expect")
BOOL_KEYS = ("bias", "batch_first", "bidirectional", "unbatched")

#: which key of a case an option in a SpecError message stands for
OPTION_KEYS = {
    "--input-size": "lstm.input_size",
    "--hidden-size": "lstm.hidden_size",
    "--num-layers": "lstm.num_layers",
    "--batch-first": "lstm.batch_first",
    "--bidirectional": "lstm.bidirectional",
    "--dropout": "lstm.dropout",
    "--proj-size": "lstm.proj_size",
    "--kind": "lstm.kind",
    "--nonlinearity": "lstm.nonlinearity",
    "--batch": "input.batch",
    "--seq-len": "input.seq_len",
    "--lengths": "input.lengths",
    "--input-shape": "input.shape",
    "--h0-shape": "input.h0",
    "--c0-shape": "input.c0",
    "--input-dtype": "input.dtype",
    "--device": "run.device",
    "--dtype": "run.dtype",
    "--seed": "run.seed",
    "--expect": "expect",
}


@dataclass(frozen=True)
class Case:
    """One validated case: the spec, the user's tensors if any, the expected shapes."""

    name: str
    spec: Spec
    given: Given | None = None
    expect: tuple[tuple[str, Pattern], ...] = field(default_factory=tuple)


def _table(where: str, key: str, value: object, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(
            f"{where}: key {key} must be a table of {', '.join(allowed)} (got {show_value(value)})"
        )
    for name in value:
        if name not in allowed:
            raise SpecError(f"{where}: unknown key {key}.{name} (allowed: {', '.join(allowed)})")
    return value


def key_for(message: str) -> str:
    """The key of a case that a SpecError's option stands for (``?`` if none)."""
    for option, key in sorted(OPTION_KEYS.items(), key=lambda item: -len(item[0])):
        if message.startswith(option):
            return key
    return "?"


def parse_case(raw: object, index: int, source: str) -> Case:
    """Validate one case (``index`` counts from 1, as the message shows it)."""
    where = f"{source}: case {index}"
    if not isinstance(raw, dict):
        raise SpecError(
            f"{where}: must be a table of {', '.join(CASE_KEYS)} (got {show_value(raw)})"
        )
    name = raw.get("name", f"case {index}")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: key name must be text (got {show_value(name)})")
    where = f"{source}: case {index} ({printable(name)})"
    for key in raw:
        if key not in CASE_KEYS:
            raise SpecError(f"{where}: unknown key {key} (allowed: {', '.join(CASE_KEYS)})")
    if "lstm" not in raw:
        raise SpecError(f"{where}: key lstm is missing (it needs input_size and hidden_size)")
    lstm = _table(where, "lstm", raw["lstm"], LSTM_KEYS)
    given_table = _table(where, "input", raw.get("input", {}), INPUT_KEYS)
    run = _table(where, "run", raw.get("run", {}), RUN_KEYS)
    expect = _table(where, "expect", raw.get("expect", {}), _any_names(raw.get("expect", {})))
    for table, prefix in ((lstm, "lstm"), (given_table, "input")):
        for key in BOOL_KEYS:
            if key in table and not isinstance(table[key], bool):
                raise SpecError(
                    f"{where}: key {prefix}.{key} must be true or false "
                    f"(got {show_value(table[key])})"
                )
    for key in ("input_size", "hidden_size"):
        if key not in lstm:
            raise SpecError(f"{where}: key lstm.{key} is missing")
    spec_options = {
        **lstm,
        **{
            k: v
            for k, v in given_table.items()
            if k in ("batch", "seq_len", "unbatched", "lengths")
        },
        **run,
    }
    try:
        spec = make_spec(**spec_options)
        given = make_given(
            spec,
            input_shape=given_table.get("shape"),
            h0_shape=given_table.get("h0"),
            c0_shape=given_table.get("c0"),
            input_dtype=given_table.get("dtype"),
            stated_batch="batch" in given_table,
            stated_seq_len="seq_len" in given_table,
        )
        # which names this module returns is theory's: checked before the cases run
        expectations = [(str(k), parse_pattern(f"--expect {k}", v)) for k, v in expect.items()]
    except SpecError as error:
        raise SpecError(f"{where}: key {key_for(str(error))}: {error}") from None
    return Case(name, spec, given, tuple(expectations))


def _any_names(value: object) -> tuple[str, ...]:
    """expect's keys are tensor names; which are valid depends on the module (checked later)."""
    return tuple(str(k) for k in value) if isinstance(value, dict) else ()


def load_cases(path: str | Path) -> list[Case]:
    """Read and validate every case of a ``.toml`` or ``.json`` spec file."""
    file = Path(path)
    source = file.name
    if file.suffix.lower() not in (".toml", ".json"):
        raise SpecError(f"--spec must be a .toml or .json file (got {str(path)!r})")
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"--spec {str(path)!r} cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise SpecError(
            f"{source}: not valid {file.suffix[1:].upper()}: it must be UTF-8 text "
            f"(byte {error.start} is 0x{error.object[error.start]:02x})"
        ) from None
    data = _parse(text.removeprefix("\ufeff"), file.suffix[1:].upper(), source)
    if not isinstance(data, dict) or "case" not in data:
        raise SpecError(f"{source}: no cases: write each one as a [[case]] table")
    unknown = [key for key in data if key != "case"]
    if unknown:
        raise SpecError(f"{source}: unknown top-level key {unknown[0]} (allowed: case)")
    cases = data["case"]
    if not isinstance(cases, list) or not cases:
        raise SpecError(f"{source}: key case must be a list of tables ([[case]])")
    parsed = []
    # Cases that describe the same module, input or tensors share one object: a file of
    # 100,000 cases over a few configurations then holds a few configurations.
    shared: dict[object, Any] = {}
    for index, raw in enumerate(cases, start=1):
        case = parse_case(raw, index, source)
        spec = shared.setdefault(case.spec, case.spec)
        given = shared.setdefault(case.given, case.given)
        expect = shared.setdefault(case.expect, case.expect)
        parsed.append(Case(case.name, spec, given, expect))
    del data, cases
    seen: dict[str, int] = {}
    for index, case in enumerate(parsed, start=1):
        if case.name in seen:
            raise SpecError(
                f"{source}: case {index} ({printable(case.name)}): key name repeats case "
                f"{seen[case.name]}"
            )
        seen[case.name] = index
    return parsed


class SpecCases:
    """The cases of one spec file, validated as :func:`load_cases` validates them (the same
    first error), but held one at a time: the raw cases read while validating wait as
    compressed JSON (about 24 bytes a case), and iterating parses them back one piece at a
    time.

    A TOML file is read in pieces of :data:`PIECE_CASES` cases, split at its ``[[case]]``
    headers, so memory stays flat however many cases it holds. A file that cannot be split
    safely (JSON, multi-line strings, anything but ``[[case]]`` tables) and any file with
    an error is read whole by :func:`load_cases`. ``check(index, case)`` is called on every
    case once all are read (it raises SpecError), as ``check_cases`` checks the tensor
    names before a case runs.
    """

    def __init__(
        self, path: str | os.PathLike[str], check: Callable[[int, Case], None] | None = None
    ) -> None:
        self.path = Path(path)
        self.source = self.path.name
        self._listed: list[Case] | None = None
        self._kept: _KeptCases | None = None
        try:
            self.count = self._validate(check)
        except (SpecError, _Unsplittable):
            # the file as a whole gives the first error, as it always did
            self._listed = load_cases(self.path)
            self.count = len(self._listed)
            for index, case in enumerate(self._listed, start=1):
                if check is not None:
                    check(index, case)

    def __len__(self) -> int:
        return self.count

    @property
    def streamed(self) -> bool:
        """Read in pieces (not held as a list)."""
        return self._listed is None

    def __iter__(self) -> Iterator[Case]:
        if self._listed is not None:
            yield from self._listed
            return
        raws = self._kept.cases() if self._kept is not None else _toml_cases(self.path)
        for index, raw in enumerate(raws, start=1):
            yield parse_case(raw, index, self.source)

    def _validate(self, check: Callable[[int, Case], None] | None) -> int:
        if self.path.suffix.lower() != ".toml":
            raise _Unsplittable
        names = _NameSet()
        first_error: SpecError | None = None
        count = 0
        kept: _KeptCases | None = _KeptCases()
        for count, raw in enumerate(_toml_cases(self.path), start=1):
            kept = kept.add(raw) if kept is not None else None
            case = parse_case(raw, count, self.source)
            if not names.add(case.name):
                raise _Unsplittable  # a repeated name (load_cases says which)
            if check is not None and first_error is None:
                try:
                    check(count, case)
                except SpecError as error:
                    first_error = error
        if count == 0:
            raise _Unsplittable
        if first_error is not None:
            raise first_error
        self._kept = kept.close() if kept is not None else None
        return count


class _KeptCases:
    """The raw cases read while validating, kept for the run as compressed JSON pieces
    (about 24 bytes a case), so that the file's TOML is parsed once: JSON reads back far faster.
    ``add`` gives None when a value has no JSON form (TOML dates): the run then reads the
    file again."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._open: list[object] = []

    def add(self, raw: object) -> _KeptCases | None:
        self._open.append(raw)
        if len(self._open) == PIECE_CASES:
            return self.close()
        return self

    def close(self) -> _KeptCases | None:
        if self._open:
            try:
                text = json.dumps(self._open, allow_nan=True)
            except (TypeError, ValueError):
                return None
            self._pieces.append(zlib.compress(text.encode("utf-8"), 1))
            self._open = []
        return self

    def cases(self) -> Iterator[object]:
        for piece in self._pieces:
            yield from json.loads(zlib.decompress(piece))


#: cases per piece of a TOML file that :class:`SpecCases` parses at once
PIECE_CASES = 256
_CASE_HEADER = re.compile(r"""[ \t]*\[\[[ \t]*(case|"case"|'case')[ \t]*\]\][ \t]*(#.*)?\n?""")


class _Unsplittable(Exception):
    """The file is not read in pieces: :func:`load_cases` reads it whole."""


def _toml_cases(path: Path) -> Iterator[object]:
    """The raw cases of a TOML spec file, parsed a piece of the file at a time.

    A line that is a ``[[case]]`` header starts a new element of ``case`` wherever it is,
    unless it lies inside a multi-line string (refused: any triple quote) or a multi-line
    array (then the piece before it does not parse). Each piece parses on its own to
    nothing but ``case`` tables, so the pieces give what the whole file gives."""
    source = path.name
    try:
        with path.open(encoding="utf-8-sig") as lines:
            piece: list[str] = []
            headers = 0
            for line in lines:
                if '"""' in line or "'''" in line:
                    raise _Unsplittable
                if _CASE_HEADER.fullmatch(line):
                    if headers in (0, PIECE_CASES):
                        yield from _piece_cases(piece, headers, source)
                        piece, headers = [], 0
                    headers += 1
                piece.append(line)
            yield from _piece_cases(piece, headers, source)
    except (OSError, UnicodeDecodeError):
        raise _Unsplittable from None


def _piece_cases(piece: list[str], headers: int, source: str) -> list[object]:
    """The cases of one piece: it holds ``headers`` [[case]] tables and nothing else (the
    piece before the first header nothing at all, not even ``case = []``)."""
    data = _parse("".join(piece), "TOML", source)
    if headers == 0:
        if data != {}:
            raise _Unsplittable
        return []
    cases = data.get("case") if isinstance(data, dict) else None
    if not isinstance(cases, list) or len(cases) != headers or len(data) != 1:
        raise _Unsplittable
    return cases


class _NameSet:
    """Which case names were seen, as 8-byte digests in an open-addressing table: 16 bytes
    a case. Two names with the same digest count as a repeat (load_cases then decides)."""

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * 1024))
        self._size = 0

    def add(self, name: str) -> bool:
        """Remember ``name``; False if it (or its digest) was seen before."""
        digest = blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        key = int.from_bytes(digest, "little") or 1  # 0 marks an empty slot
        if not self._insert(self._slots, key):
            return False
        self._size += 1
        if 2 * self._size > len(self._slots):
            bigger = array("Q", bytes(16 * len(self._slots)))
            for old in self._slots:
                if old:
                    self._insert(bigger, old)
            self._slots = bigger
        return True

    @staticmethod
    def _insert(slots: array[int], key: int) -> bool:
        mask = len(slots) - 1
        slot = key & mask
        while slots[slot]:
            if slots[slot] == key:
                return False
            slot = (slot + 1) & mask
        slots[slot] = key
        return True


def _parse(text: str, language: str, source: str) -> Any:
    """The file's data; malformed, too deep or holding what is not text: one line, exit 2."""
    try:
        data = tomllib.loads(text) if language == "TOML" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise SpecError(f"{source}: not valid {language}: {error}") from None
    except RecursionError:
        raise SpecError(f"{source}: not valid {language}: nested too deeply") from None
    except ValueError as error:  # int() refuses numbers over 4,300 digits
        if "digits" not in str(error):
            raise
        raise SpecError(
            f"{source}: not valid {language}: a number has more than 4,300 digits"
        ) from None
    _check_text(data, source, language)
    return data


#: deeper than any spec file needs; deeper data is refused before anything walks it
MAX_NESTING = 32


def _check_text(data: Any, source: str, language: str) -> None:
    """Refuse nesting deeper than :data:`MAX_NESTING` and strings that are not Unicode
    text (a JSON escape such as \\ud800 gives a lone surrogate, which cannot be printed;
    tomllib refuses such escapes itself, so TOML's strings are not looked at again)."""
    strings = language != "TOML"
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise SpecError(
                f"{source}: not valid {language}: nested more than {MAX_NESTING} levels deep"
            )
        if isinstance(node, dict):
            items: Any = node.values()
            if strings:
                for key in node:
                    _check_string(key, source, language)
        elif isinstance(node, list):
            items = node
        else:
            continue
        if node and depth + 1 > MAX_NESTING:
            stack.append((None, depth + 1))  # its items are one level too deep
            continue
        for item in items:
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
            elif strings and isinstance(item, str):
                _check_string(item, source, language)


def _check_string(text: str, source: str, language: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        char = text[error.start]
        raise SpecError(
            f"{source}: not valid {language}: a string holds a lone surrogate "
            f"(\\u{ord(char):04x}), which is not Unicode text"
        ) from None
