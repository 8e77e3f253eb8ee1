"""The options shared by ``explain``, ``variants`` and friends, mirroring ``nn.LSTM``.

Sizes are taken as text and validated by :mod:`lstm_shapes.spec.core`, so every bad value
gets the same one-line message from the library and the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

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


def format_option(choices: tuple[str, ...]) -> Any:
    return Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="|".join(choices),
            rich_help_panel=OUTPUT,
            autocompletion=_complete(choices),
            help="How to print the report.",
        ),
    ]


def spec_from_options(**options: Any) -> Spec:
    """The options of a command, validated into a Spec (raises SpecError)."""
    return make_spec(**options)


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
