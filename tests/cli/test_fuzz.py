"""Fuzz the command line as a hostile user would: whatever is typed, the answer is exit 0, 1
or 2, never a traceback, one line on stderr for exit 2, and something on stdout for 0 and 1
(unless --quiet).

The invocations are built from the CLI's own option list (click's parameters of every
command), so a new option is fuzzed the day it is added. Each one runs in a forked child of
a worker that imported torch once (``fuzz_worker.py``), with its own memory and CPU-time
limits. About 200 examples in all by default (CI on 2 cores: well under 2 minutes);
``pytest --fuzz-examples N`` runs N per test, with fresh random examples.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes.cli import app
from tests.conftest import ROOT

#: default examples per test; the total is about 200
DEFAULT_EXAMPLES = {"argv": 140, "bytes": 20, "checkpoints": 20, "specs": 20}
QUIET = {"-q", "--quiet"}
#: commands whose options describe a module: they get valid sizes half the time, so the
#: fuzz reaches past "--input-size is required"
BUILDING = {"explain", "variants", "check", "diagram", "gates", "cell", "heads", "handout"}
ZOO = ROOT / "docs" / "examples" / "zoo.pt"
SPEC_FILES = [ROOT / "tests" / "data" / "shapes.toml", ROOT / "docs" / "examples" / "shapes.toml"]
TAGGER = f"{ROOT / 'docs' / 'examples' / 'tagger.py'}"


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    is_flag: bool


@dataclass(frozen=True)
class Command:
    name: str
    arguments: tuple[str, ...]
    options: tuple[Option, ...]


def cli_commands() -> dict[str, Command]:
    """Every command with its arguments and options, read from the CLI itself."""
    group = typer.main.get_command(app)
    commands: dict[str, Command] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        arguments, options = [], []
        for param in command.params:
            if param.param_type_name == "argument":
                arguments.append(param.name)
            elif param.name != "help":
                flags = (*param.opts, *param.secondary_opts)
                options.append(Option(tuple(flags), bool(getattr(param, "is_flag", False))))
        commands[name] = Command(name, tuple(arguments), tuple(options))
    return commands


COMMANDS = cli_commands()

WORDS = [
    *("0", "1", "2", "3", "7", "-1", "10", "", " ", "_", "1.5", "0.5", "nan", "inf", "1e9"),
    *("2147483648", "9" * 50, "1" * 5000, "-" + "1" * 5000, "0x10", "3_0", "٣"),
    *("3,7,10", "7,3,10", "3,7", "7,3,4", "1,2,3,4", "(3, 7, 10)", "7,4,2", "3,,7", "3,-7"),
    *("output=3,7,4", "hn=1,3,4", "cn=_,_,4", "=", "output=", "x=1", "output=3,7,4=5"),
    *("512MiB", "2G", "1e3", "0.5", "-1MiB", "1e400"),
    *("lstm", "gru", "rnn", "GRU", "lstmcell", "grucell", "rnncell", "tanh", "relu"),
    *("auto", "cpu", "cuda", "cuda:1", "mps"),
    *("float32", "float64", "float16", "bfloat16", "int64", "int8", "uint8", "bool"),
    *("table", "json", "junit", "markdown", "html", "svg", "en", "zh", "fr"),
    *("last", "every", "both", "out.html", "out.md", "out.svg", "out.txt", "dir/", "/"),
    *("\x00", "\x1b[31m", "a\nb", "\udcff", "é", "中文", "--", "-i", "--kind"),
]
VALUES = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-3, 40).map(str),
    st.text(max_size=8),
)
SIZES = st.sampled_from(["1", "2", "3", "4", "5", "8"])
ARGUMENTS: dict[str, st.SearchStrategy[str]] = {
    "checkpoint": st.sampled_from(
        [str(ZOO), "/dev/null", "/", str(ROOT / "README.md"), "missing.pt", str(SPEC_FILES[0])]
    ),
    "target": st.sampled_from(
        [
            f"{TAGGER}:Tagger",
            f"{TAGGER}:nothing",
            "missing_module_xyz:build",
            "json:loads",
            "collections:OrderedDict",
            "no-colon",
            "",
        ]
    ),
}
OPTION_VALUES: dict[str, st.SearchStrategy[str]] = {
    "--spec": st.sampled_from([*map(str, SPEC_FILES), "/dev/null", "/", "missing.toml", "x.json"]),
    "--input-shape": st.one_of(st.sampled_from(["2,5", "2,5,8", "3,7,4", "7,3,4"]), VALUES),
    "-s": st.one_of(st.sampled_from(["2,5", "2,5,8", "3,7,4", "7,3,4"]), VALUES),
}


@st.composite
def invocations(draw: st.DrawFn) -> list[str]:
    command = COMMANDS[draw(st.sampled_from(sorted(COMMANDS)))]
    argv = [command.name]
    for argument in command.arguments:
        argv.append(draw(ARGUMENTS.get(argument, VALUES)))
    if command.name in BUILDING and draw(st.booleans()):
        argv += ["-i", draw(SIZES), "-H", draw(SIZES)]
    if command.name == "trace" and draw(st.booleans()):
        argv += ["-s", draw(st.sampled_from(["2,5", "2,5,8"]))]
    if command.options:
        for _ in range(draw(st.integers(0, 5))):
            option = draw(st.sampled_from(command.options))
            flag = draw(st.sampled_from(option.flags))
            argv.append(flag)
            if not option.is_flag:
                argv.append(draw(OPTION_VALUES.get(flag, VALUES)))
    return argv


# --- the worker ---------------------------------------------------------------------------


@dataclass
class Outcome:
    argv: list[str]
    code: int | None
    signal: object
    seconds: float
    stdout: str
    stderr: str


class Worker:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", "NO_COLOR": "1"}
        env.pop("LSTM_SHAPES_TRACEBACK", None)
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("fuzz_worker.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=directory,
        )

    def run(self, argv: list[str]) -> Outcome:
        out, err = self.directory / "stdout", self.directory / "stderr"
        assert self.process.stdin is not None and self.process.stdout is not None
        job = {"argv": argv, "out": str(out), "err": str(err)}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        return Outcome(
            argv,
            reply["code"],
            reply["signal"],
            reply["seconds"],
            out.read_bytes().decode("utf-8", "replace"),
            err.read_bytes().decode("utf-8", "replace"),
        )

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    started = Worker(tmp_path_factory.mktemp("fuzz"))
    yield started
    started.close()


def check(outcome: Outcome) -> None:
    """The contract every invocation keeps, whatever it was given."""
    where = f"lstm-shapes {outcome.argv!r}\nstdout: {outcome.stdout[-2000:]!r}\n"
    where += f"stderr: {outcome.stderr[-2000:]!r}"
    assert outcome.signal is None, (
        f"killed ({outcome.signal}) after {outcome.seconds:.1f} s: {where}"
    )
    assert outcome.code in (0, 1, 2), f"exit {outcome.code}: {where}"
    assert "Traceback" not in outcome.stderr, where
    lines = outcome.stderr.splitlines()
    if outcome.code == 2:
        assert len(lines) == 1 and lines[0].startswith("lstm-shapes: error: "), where
    else:
        assert all(line.startswith("lstm-shapes: ") for line in lines) and len(lines) <= 1, where
        if not QUIET & set(outcome.argv):
            assert outcome.stdout.strip(), f"nothing on stdout: {where}"


def examples(request: pytest.FixtureRequest, kind: str) -> settings:
    asked = request.config.getoption("--fuzz-examples")
    return settings(
        max_examples=asked or DEFAULT_EXAMPLES[kind],
        derandomize=not asked,  # CI sees the same examples every run
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def test_any_argv(worker: Worker, request: pytest.FixtureRequest) -> None:
    @examples(request, "argv")
    @given(invocations())
    def run(argv: list[str]) -> None:
        check(worker.run(argv))

    run()


def test_random_bytes_to_inspect(worker: Worker, request: pytest.FixtureRequest) -> None:
    prefixes = [b"", b"PK\x03\x04", b"\x80\x02", b"\x10\x00\x00\x00\x00\x00\x00\x00{"]

    @examples(request, "bytes")
    @given(
        st.sampled_from(prefixes),
        st.binary(max_size=2000),
        st.sampled_from([".pt", ".safetensors", ".bin", ""]),
        st.booleans(),
    )
    def run(prefix: bytes, body: bytes, suffix: str, with_run: bool) -> None:
        path = worker.directory / f"random{suffix}"
        path.write_bytes(prefix + body)
        check(worker.run(["inspect", str(path), *(["--run"] if with_run else [])]))

    run()


def mutate(data: bytes, seed: int) -> bytes:
    """Flip, cut, drop or repeat a few bytes of a real file."""
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(["flip", "cut", "drop", "repeat", "zero"])
        at = rng.randrange(len(out)) if out else 0
        if action == "flip" and out:
            out[at] ^= 1 << rng.randrange(8)
        elif action == "cut":
            del out[at:]
        elif action == "drop":
            del out[at : at + rng.randint(1, 64)]
        elif action == "repeat":
            out[at:at] = out[at : at + rng.randint(1, 64)]
        elif out:
            out[at : at + rng.randint(1, 64)] = bytes(rng.randint(1, 64))
    return bytes(out)


def test_mutated_checkpoints(worker: Worker, request: pytest.FixtureRequest) -> None:
    original = ZOO.read_bytes()

    @examples(request, "checkpoints")
    @given(st.integers(0, 2**32), st.booleans())
    def run(seed: int, with_run: bool) -> None:
        path = worker.directory / "mutated.pt"
        path.write_bytes(mutate(original, seed))
        check(worker.run(["inspect", str(path), *(["--run"] if with_run else [])]))

    run()


def _spec_texts() -> list[tuple[str, bytes]]:
    texts = [(".toml", path.read_bytes()) for path in SPEC_FILES]
    import tomllib

    data: Any = tomllib.loads(SPEC_FILES[0].read_text(encoding="utf-8"))
    texts.append((".json", json.dumps(data, indent=1).encode()))
    return texts


def test_mutated_spec_files(worker: Worker, request: pytest.FixtureRequest) -> None:
    texts = _spec_texts()
    swaps: list[Callable[[bytes], bytes]] = [
        lambda b: b,
        lambda b: b.replace(b"20", b"1" * 5000, 1),
        lambda b: b.replace(b"3", b"-3", 1),
        lambda b: b.replace(b"7", b"0", 1),
        lambda b: b.replace(b'"', b"'", 1),
        lambda b: b.replace(b"encoder", b"enc\\u0000oder", 1),
    ]

    @examples(request, "specs")
    @given(
        st.sampled_from(texts),
        st.sampled_from(swaps),
        st.integers(0, 2**32),
        st.sampled_from([[], ["-f", "junit"], ["-f", "json"], ["-q"]]),
    )
    def run(
        text: tuple[str, bytes], swap: Callable[[bytes], bytes], seed: int, extra: list[str]
    ) -> None:
        suffix, data = text
        path = worker.directory / f"mutated{suffix}"
        path.write_bytes(mutate(swap(data), seed) if seed % 3 else swap(data))
        check(worker.run(["check", "--spec", str(path), *extra]))

    run()
