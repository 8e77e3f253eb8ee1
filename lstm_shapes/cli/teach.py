"""The teaching commands: ``diagram``, ``gates``, ``cell``, ``heads``, ``myths``, ``handout``.

Each one builds a page with :func:`lstm_shapes.teach.handout.build` (real runs, words from
the catalogue) and renders it; ``--lang`` picks the catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import EXIT_BUG, user_errors
from lstm_shapes.cli.output import emit_text, print_renderable
from lstm_shapes.spec.core import parse_choice, parse_size
from lstm_shapes.teach.catalogue import LANGS

PAGE_FORMATS = ("table", "markdown", "json")
TEACH = "Teaching"

Lang = Annotated[
    str,
    typer.Option(
        "--lang",
        metavar="|".join(LANGS),
        rich_help_panel=TEACH,
        help="Language of the page: en (English) or zh (简体中文).",
    ),
]


def _spec(**options: Any) -> Any:
    # Teaching pages always run on the CPU in float32, so that every page and handout
    # shows the same numbers wherever it is made.
    return o.spec_from_options(device="cpu", dtype="float32", **options)


def _show(kind: str, spec: Any, lang: str, fmt: str, **extra: Any) -> None:
    from lstm_shapes.teach.handout import build

    with user_errors():
        built = build(kind, spec, lang, **extra)
    if fmt == "json":
        import json

        from lstm_shapes.teach.page_report import PageReport

        data = PageReport(kind, lang, spec, built.page, built.data).as_dict()
        emit_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        from lstm_shapes.teach.markup import page_markdown

        emit_text(page_markdown(built.page))
    else:
        from lstm_shapes.render.teach import page_renderable

        print_renderable(page_renderable(built.page, built.verdicts))
    if not built.ok:
        raise typer.Exit(EXIT_BUG)


def _common(lang: str, output_format: str) -> tuple[str, str]:
    return (
        parse_choice("--lang", lang, LANGS),
        parse_choice("--format", output_format, PAGE_FORMATS),
    )


def diagram_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """The data cube and the network unrolled in time: where output, hn, cn come from.

    Example: lstm-shapes diagram -i 10 -H 20 -l 2 --batch-first --bidirectional -L 7
    """
    with user_errors():
        lang_, fmt = _common(lang, output_format)
        spec = _spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
        )
    _show("diagram", spec, lang_, fmt)


def gates_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    bias: o.Bias = True,
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """The LSTM equations with the shape of every term, recomputed from the real weights.

    Example: lstm-shapes gates -i 10 -H 20 -l 2 --proj-size 5
    """
    with user_errors():
        lang_, fmt = _common(lang, output_format)
        spec = _spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
            seed=seed,
        )
    _show("gates", spec, lang_, fmt)


def cell_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    bias: o.Bias = True,
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """A loop of nn.LSTMCell with the LSTM's weights, proven equal to nn.LSTM.

    Shows the loop, its shapes at t=0 and the max difference of output, hn and cn.
    Not available with --proj-size: nn.LSTMCell has no proj_size.
    Example: lstm-shapes cell -i 10 -H 20 -l 2 --bidirectional
    """
    with user_errors():
        lang_, fmt = _common(lang, output_format)
        spec = _spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
            seed=seed,
        )
    _show("cell", spec, lang_, fmt)


def heads_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    head: Annotated[
        str,
        typer.Option(
            "--head",
            metavar="last|every|both",
            rich_help_panel=TEACH,
            help="last: a classifier on the last step (N, K); every: a regression on every "
            "step (N, L, K).",
        ),
    ] = "both",
    out_features: Annotated[
        str,
        typer.Option(
            "--out-features",
            "-K",
            metavar="INT",
            rich_help_panel=TEACH,
            help="K: the head's outputs.",
        ),
    ] = "1",
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """A Linear head on the last step or on every step, run for real.

    Example: lstm-shapes heads -i 10 -H 20 --bidirectional --batch-first --head last -K 5
    """
    from lstm_shapes.teach.heads import HEADS

    with user_errors():
        lang_, fmt = _common(lang, output_format)
        head_ = parse_choice("--head", head, HEADS)
        k = parse_size("--out-features", out_features)
        spec = _spec(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
            seed=seed,
        )
    _show("heads", spec, lang_, fmt, head=head_, out_features=k)


def myths_command(
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """Claims often taught about LSTM shapes, each decided by a live torch run.

    Exit code 0 whatever the verdicts: a claim that does not hold is a finding, not a
    failure. --format json gives {"schema_version", "lang", "myths": [{"id", "claim",
    "holds", "evidence", "setup"}]}.
    """
    with user_errors():
        lang_, fmt = _common(lang, output_format)
        spec = _spec(input_size="10", hidden_size="20", seed=seed)
    _show("myths", spec, lang_, fmt)


def handout_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            rich_help_panel=TEACH,
            help="Where to write: .md, .html (self-contained, prints on A4) or .svg.",
        ),
    ],
    num_layers: o.NumLayers = "1",
    bias: o.Bias = True,
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    seed: o.Seed = "0",
    lang: Lang = "en",
) -> None:
    """A printable handout in one file: .md, .html (A4) or .svg, in English or Chinese.

    It holds the data cube, the symbols, the arguments, the shapes with the batch_first x
    bidirectional variants, the unrolled picture, the gates, the parameters, LSTMCell,
    heads, the myths and the code to reproduce it.

    Example: lstm-shapes handout -i 10 -H 20 -l 2 --batch-first --bidirectional --out lstm.html
    """
    from lstm_shapes.api import handout

    with user_errors():
        report = handout(
            input_size=input_size,
            hidden_size=hidden_size,
            out=out,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
            seed=seed,
            lang=lang,
        )
    emit_text(f"wrote {out}\n")
    if not report.ok:
        raise typer.Exit(EXIT_BUG)
