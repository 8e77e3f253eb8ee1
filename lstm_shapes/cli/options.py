"""The options shared by ``explain``, ``variants`` and friends, mirroring ``nn.LSTM``.

Sizes are taken as text and validated by :mod:`lstm_shapes.spec.core`, so every bad value
gets the same one-line message from the library and the CLI.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import (
    DEFAULT_BATCH,
    DEFAULT_SEQ_LEN,
    DTYPES,
    KINDS,
    NONLINEARITIES,
    Spec,
    make_spec,
)

MODULE = "Module (nn.LSTM arguments)"
INPUT = "Input"
RUN = "Run"
OUTPUT = "Output"


def _complete(choices: tuple[str, ...]) -> Any:
    def complete(incomplete: str) -> list[str]:
        return [c for c in choices if c.startswith(incomplete)]

    return complete


Kind = Annotated[
    str,
    typer.Option(
        "--kind",
        metavar="|".join(KINDS),
        rich_help_panel=MODULE,
        autocompletion=_complete(KINDS),
        help="The module: nn.LSTM, or its siblings nn.GRU / nn.RNN (no c0/cn, no proj_size), "
        "or one of their cells nn.LSTMCell / nn.GRUCell / nn.RNNCell (one time step).",
    ),
]
Nonlinearity = Annotated[
    str,
    typer.Option(
        "--nonlinearity",
        metavar="|".join(NONLINEARITIES),
        rich_help_panel=MODULE,
        autocompletion=_complete(NONLINEARITIES),
        help="Activation of nn.RNN and nn.RNNCell (--kind rnn or rnncell only).",
    ),
]
InputSize = Annotated[
    str,
    typer.Option(
        "--input-size",
        "-i",
        metavar="INT",
        rich_help_panel=MODULE,
        help="H_in: features per time step of the input (input_size).",
    ),
]
HiddenSize = Annotated[
    str,
    typer.Option(
        "--hidden-size",
        "-H",
        metavar="INT",
        rich_help_panel=MODULE,
        help="H_cell: features of the cell state, and of h unless --proj-size (hidden_size).",
    ),
]
NumLayers = Annotated[
    str,
    typer.Option(
        "--num-layers",
        "-l",
        metavar="INT",
        rich_help_panel=MODULE,
        help="Stacked layers (num_layers).",
    ),
]
Bias = Annotated[
    bool,
    typer.Option(
        "--bias/--no-bias",
        metavar="",
        rich_help_panel=MODULE,
        help="Use bias_ih and bias_hh (bias).",
    ),
]
BatchFirst = Annotated[
    bool,
    typer.Option(
        "--batch-first",
        metavar="",
        rich_help_panel=MODULE,
        help="input and output are (N, L, ...) instead of (L, N, ...); h and c never move.",
    ),
]
Dropout = Annotated[
    str,
    typer.Option(
        "--dropout",
        metavar="FLOAT",
        rich_help_panel=MODULE,
        help="Dropout between stacked layers, from 0 to 1 (dropout).",
    ),
]
Bidirectional = Annotated[
    bool,
    typer.Option(
        "--bidirectional",
        metavar="",
        rich_help_panel=MODULE,
        help="Two directions: D = 2 (bidirectional).",
    ),
]
ProjSize = Annotated[
    str,
    typer.Option(
        "--proj-size",
        metavar="INT",
        rich_help_panel=MODULE,
        help="Project h to H_out = proj_size, from 0 (off) to hidden_size - 1 (proj_size).",
    ),
]
Batch = Annotated[
    str | None,
    typer.Option(
        "--batch",
        "-N",
        metavar="INT",
        rich_help_panel=INPUT,
        show_default=False,
        help=f"N: sequences in the batch.  [default: {DEFAULT_BATCH}]",
    ),
]
SeqLen = Annotated[
    str | None,
    typer.Option(
        "--seq-len",
        "-L",
        metavar="INT",
        rich_help_panel=INPUT,
        show_default=False,
        help=f"L: time steps per sequence.  [default: {DEFAULT_SEQ_LEN}]",
    ),
]
Unbatched = Annotated[
    bool,
    typer.Option(
        "--unbatched",
        metavar="",
        rich_help_panel=INPUT,
        help="A 2-D input (L, H_in): one sequence, no N.",
    ),
]
Lengths = Annotated[
    str | None,
    typer.Option(
        "--lengths",
        metavar="INT,INT,...",
        rich_help_panel=INPUT,
        show_default=False,
        help="Packed input: the real length of each sequence, e.g. 7,4,2 (implies N = count, "
        "L = max, unless given); runs pack_padded_sequence and pad_packed_sequence.",
    ),
]
Device = Annotated[
    str,
    typer.Option(
        "--device",
        metavar="DEVICE",
        rich_help_panel=RUN,
        autocompletion=_complete(("auto", "cpu", "cuda", "mps")),
        help="auto, cpu, cuda, cuda:K or mps; auto is CUDA when available, else CPU.",
    ),
]
Dtype = Annotated[
    str,
    typer.Option(
        "--dtype",
        metavar="DTYPE",
        rich_help_panel=RUN,
        autocompletion=_complete(DTYPES),
        help="Floating-point type of the module and input: float32, float64, float16 or bfloat16.",
    ),
]
Seed = Annotated[
    str,
    typer.Option(
        "--seed",
        metavar="INT",
        rich_help_panel=RUN,
        help="Seed for the weights and the random input.",
    ),
]


Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        metavar="",
        rich_help_panel=OUTPUT,
        help="Print only what CI needs: nothing when all is well, only the failure lines when "
        "something failed (exit 1). json and junit still print in full; errors still go to "
        "stderr.",
    ),
]
InputSizeOptional = Annotated[
    str | None,
    typer.Option(
        "--input-size",
        "-i",
        metavar="INT",
        rich_help_panel=MODULE,
        show_default=False,
        help="H_in: features per time step of the input (input_size). Required without --spec.",
    ),
]
HiddenSizeOptional = Annotated[
    str | None,
    typer.Option(
        "--hidden-size",
        "-H",
        metavar="INT",
        rich_help_panel=MODULE,
        show_default=False,
        help="H_cell: features of the cell state (hidden_size). Required without --spec.",
    ),
]


def format_option(choices: tuple[str, ...], *, optional: bool = False) -> Any:
    return Annotated[
        str | None if optional else str,
        typer.Option(
            "--format",
            "-f",
            metavar="|".join(choices),
            rich_help_panel=OUTPUT,
            autocompletion=_complete(choices),
            show_default=not optional,
            help="How to print the report.",
        ),
    ]


SCALE = "Scale and cost"
MaxMemory = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        metavar="SIZE",
        rich_help_panel=SCALE,
        show_default=False,
        help="Memory a full-size run may use, e.g. 512MiB, 2GiB, 1e9; above it (or above "
        "--max-time) a reduced run checks theory, or a command that runs only at full size "
        "exits 2.  [default: 2 GiB or half the free memory, whichever is smaller]",
    ),
]
MaxTime = Annotated[
    str | None,
    typer.Option(
        "--max-time",
        metavar="SECONDS",
        rich_help_panel=SCALE,
        show_default=False,
        help="Time a full-size run may take, in seconds, e.g. 0.5 or 30; above it (or above "
        "--max-memory) a reduced run checks theory, or a command that runs only at full size "
        "exits 2.  [default: about 1 s]",
    ),
]
Full = Annotated[
    bool,
    typer.Option(
        "--full",
        rich_help_panel=SCALE,
        help="Run at full size whatever the budget (still refused if it cannot fit in free "
        "memory).",
    ),
]
Cost = Annotated[
    bool,
    typer.Option(
        "--cost",
        rich_help_panel=SCALE,
        help="Add parameters, FLOPs per layer and direction, memory; measured when full size.",
    ),
]
Time = Annotated[
    bool,
    typer.Option(
        "--time",
        rich_help_panel=SCALE,
        help="Time the forward pass (7 runs after a warm-up: median and spread) and report "
        "FLOP/s; implies --cost.",
    ),
]
Backward = Annotated[
    bool,
    typer.Option(
        "--backward",
        rich_help_panel=SCALE,
        help="Also measure forward + backward (training); implies --cost.",
    ),
]
VerifyFlops = Annotated[
    bool,
    typer.Option(
        "--verify-flops",
        rich_help_panel=SCALE,
        help="Count the FLOPs with torch's FlopCounterMode too (loads torch's compiler: "
        "seconds); implies --cost.",
    ),
]
Optimizer = Annotated[
    str,
    typer.Option(
        "--optimizer",
        metavar="sgd|adam|adamw",
        rich_help_panel=SCALE,
        help="The optimizer whose state the training-memory estimate counts (with --cost).",
    ),
]
Amp = Annotated[
    bool,
    typer.Option(
        "--amp",
        rich_help_panel=SCALE,
        help="Mixed precision in the training-memory estimate: bfloat16 autocast on the CPU "
        "(with --cost).",
    ),
]


# ---------------------------------------------------------------------------------------
# The shared bundle. Every command that builds a module takes these options, declared once
# here and added to the command's own parameters by ``@bundle``, so siblings cannot drift.
# A command that cannot honour an option refuses it (exit 2, naming it) with
# ``Options.refuse``; it never ignores one silently.

REQUIRED = inspect.Parameter.empty

#: (parameter name, annotation, default), in the order --help shows them.
MODULE_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("input_size", InputSize, REQUIRED),
    ("hidden_size", HiddenSize, REQUIRED),
    ("num_layers", NumLayers, "1"),
    ("bias", Bias, True),
    ("batch_first", BatchFirst, False),
    ("dropout", Dropout, "0.0"),
    ("bidirectional", Bidirectional, False),
    ("proj_size", ProjSize, "0"),
    ("kind", Kind, "lstm"),
    ("nonlinearity", Nonlinearity, "tanh"),
)
INPUT_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("batch", Batch, None),
    ("seq_len", SeqLen, None),
    ("unbatched", Unbatched, False),
    ("lengths", Lengths, None),
)
RUN_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("device", Device, "auto"),
    ("dtype", Dtype, "float32"),
    ("seed", Seed, "0"),
)
GROUPS = ("module", "input", "run", "output")
#: the flag a parameter is typed as, for messages
FLAGS = {
    "input_size": "--input-size",
    "hidden_size": "--hidden-size",
    "num_layers": "--num-layers",
    "bias": "--bias",
    "batch_first": "--batch-first",
    "dropout": "--dropout",
    "bidirectional": "--bidirectional",
    "proj_size": "--proj-size",
    "kind": "--kind",
    "nonlinearity": "--nonlinearity",
    "batch": "--batch",
    "seq_len": "--seq-len",
    "unbatched": "--unbatched",
    "lengths": "--lengths",
    "device": "--device",
    "dtype": "--dtype",
    "seed": "--seed",
    "output_format": "--format",
    "quiet": "--quiet",
}
SPEC_NAMES = tuple(name for name, _, _ in MODULE_OPTIONS + INPUT_OPTIONS + RUN_OPTIONS)
_TYPED = frozenset({"COMMANDLINE", "ENVIRONMENT", "PROMPT"})


@dataclass(frozen=True)
class Options:
    """The shared options of one invocation, as typed; ``spec()`` validates them."""

    command: str
    #: the flags the user typed (``--no-bias`` shows as ``--no-bias``), in --help order
    given: tuple[str, ...] = ()
    output_format: str | None = "table"
    quiet: bool = False
    input_size: str | None = None
    hidden_size: str | None = None
    num_layers: str = "1"
    bias: bool = True
    batch_first: bool = False
    dropout: str = "0.0"
    bidirectional: bool = False
    proj_size: str = "0"
    kind: str = "lstm"
    nonlinearity: str = "tanh"
    batch: str | None = None
    seq_len: str | None = None
    unbatched: bool = False
    lengths: str | None = None
    device: str = "auto"
    dtype: str = "float32"
    seed: str = "0"

    def spec_values(self) -> dict[str, Any]:
        """The module, input and run options, as make_spec takes them."""
        return {name: getattr(self, name) for name in SPEC_NAMES}

    def spec(self, **overrides: Any) -> Spec:
        """Validate the module, input and run options into a Spec (raises SpecError)."""
        values = {**self.spec_values(), **overrides}
        for name in ("input_size", "hidden_size"):
            if values[name] is None:
                raise SpecError(f"{FLAGS[name]} is required")
        return make_spec(**values)

    def typed(self, *flags: str) -> list[str]:
        """Which of ``flags`` the user typed (``--bias`` stands for --bias/--no-bias)."""
        wanted = set(flags)
        return [
            flag
            for flag in self.given
            if flag in wanted or (flag == "--no-bias" and "--bias" in wanted)
        ]

    def refuse(self, flags: Sequence[str], reason: str) -> None:
        """Exit 2 if the user typed any of ``flags``: ``--x cannot be used with ...``."""
        typed = self.typed(*flags)
        if typed:
            raise SpecError(f"{', '.join(typed)} cannot be used with {reason}")

    def require(self, name: str, allowed: tuple[str, ...], reason: str) -> None:
        """Exit 2 unless option ``name`` is one of ``allowed`` (case-insensitive)."""
        value = getattr(self, name)
        if str(value).strip().lower() not in allowed:
            raise SpecError(
                f"{FLAGS[name]} must be {' or '.join(allowed)} for {self.command}: {reason} "
                f"(got {value!r})"
            )


def _shared_parameters(
    groups: tuple[str, ...], formats: tuple[str, ...], default_format: str | None, sizes: bool
) -> list[inspect.Parameter]:
    chosen: list[tuple[str, Any, Any]] = []
    if "module" in groups:
        module = list(MODULE_OPTIONS)
        if not sizes:  # the sizes may come from elsewhere (check --spec)
            module[0] = ("input_size", InputSizeOptional, None)
            module[1] = ("hidden_size", HiddenSizeOptional, None)
        chosen += module
    if "input" in groups:
        chosen += INPUT_OPTIONS
    if "run" in groups:
        chosen += RUN_OPTIONS
    if "output" in groups:
        chosen.append(
            (
                "output_format",
                format_option(formats, optional=default_format is None),
                default_format,
            )
        )
        chosen.append(("quiet", Quiet, False))
    return [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
        )
        for name, annotation, default in chosen
    ]


def _given(ctx: typer.Context, values: dict[str, Any]) -> tuple[str, ...]:
    given = []
    for name, value in values.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source.name in _TYPED:
            given.append("--no-bias" if name == "bias" and not value else FLAGS[name])
    return tuple(given)


def bundle(
    *,
    formats: tuple[str, ...] = (),
    groups: tuple[str, ...] = GROUPS,
    default_format: str | None = "table",
    sizes_required: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared options. The command takes an :class:`Options` first,
    then its own parameters; --help shows the shared module and input options first, then
    the command's own, then run and output."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        own = list(inspect.signature(func, eval_str=True).parameters.values())[1:]
        shared = _shared_parameters(groups, formats, default_format, sizes_required)
        early = [p for p in shared if p.name not in _LATE]
        late = [p for p in shared if p.name in _LATE]
        context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        names = [p.name for p in shared]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            ctx = kwargs.pop("ctx")
            values = {name: kwargs.pop(name) for name in names}
            options = Options(command=ctx.info_name or "", given=_given(ctx, values), **values)
            return func(options, **kwargs)

        command.__signature__ = inspect.Signature([*early, *own, *late, context])  # type: ignore[attr-defined]
        command.__annotations__ = {}
        return command

    return decorate


_LATE = frozenset({"device", "dtype", "seed", "output_format", "quiet"})
