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
from lstm_shapes.errors import SpecError
from lstm_shapes.render.handout_files import HANDOUT_FORMATS, handout_format, handout_text
from lstm_shapes.render.picture_names import PICTURES
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


#: the options every teaching function of the api takes (device and dtype are fixed)
TEACHING_OPTIONS = (
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "batch_first",
    "bidirectional",
    "proj_size",
    "batch",
    "seq_len",
    "kind",
    "nonlinearity",
    "seed",
)


def _spec(options: o.Options) -> dict[str, Any]:
    """The options a teaching page can honour, validated; the others are refused."""
    same = "teaching pages run on the CPU in float32, so that every page shows the same numbers"
    options.require("device", ("auto", "cpu"), same)
    options.require("dtype", ("float32",), same)
    options.refuse(
        ("--unbatched", "--lengths"),
        f"{options.command}: the pages show one padded, batched input",
    )
    options.refuse(
        ("--dropout",), f"{options.command}: the pages run in eval mode, where dropout does nothing"
    )
    options.spec(device="cpu", dtype="float32")  # every value checked before anything runs
    values = options.spec_values()
    return {name: values[name] for name in TEACHING_OPTIONS}


def _build(kind: str, options: dict[str, Any], lang: str, **extra: Any) -> Any:
    from lstm_shapes import api

    if kind == "myths":
        return api.myths(seed=options["seed"], lang=lang)
    command = getattr(api, kind)
    return command(lang=lang, **options, **extra)


def _show(
    kind: str,
    spec: dict[str, Any],
    lang: str,
    fmt: str,
    extra_picture: str = "",
    quiet: bool = False,
    **extra: Any,
) -> None:
    with user_errors():
        built = _build(kind, spec, lang, **extra)
    if quiet and fmt in ("table", "markdown") and built.ok:
        pass  # --quiet: a page that holds prints nothing
    elif fmt == "json":
        import json

        data = built.as_dict()
        emit_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        from lstm_shapes.render.markup import page_markdown

        emit_text(page_markdown(built.page))
    elif fmt == "svg":
        from lstm_shapes.render.markup import figures_of
        from lstm_shapes.render.pictures import draw

        found = [f for f in figures_of(built.page) if f.name == extra_picture]
        if not found:  # the packed batch and the heads need the full-size module
            with user_errors():
                raise SpecError(
                    f"--picture {extra_picture} needs a full-size run, and this one is reduced "
                    f"({built.run.get('reason')}): give smaller sizes or a larger budget"
                )
        emit_text(draw(found[0]) + "\n")
    else:
        from lstm_shapes.render.teach import page_renderable

        print_renderable(page_renderable(built.page, built.verdicts))
    if not built.ok:
        raise typer.Exit(EXIT_BUG)


def _common(lang: str, output_format: str | None) -> tuple[str, str]:
    return (
        parse_choice("--lang", lang, LANGS),
        parse_choice("--format", output_format, PAGE_FORMATS),
    )


DIAGRAM_FORMATS = (*PAGE_FORMATS, "svg")


@o.bundle(formats=DIAGRAM_FORMATS)
def diagram_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    lang: Lang = "en",
    picture: Annotated[
        str,
        typer.Option(
            "--picture",
            metavar="|".join(PICTURES),
            rich_help_panel=TEACH,
            help="With --format svg: the picture to print (an SVG file on stdout).",
        ),
    ] = "unrolled",
) -> None:
    """The pictures: the data cube, the network unrolled in time, output's two halves, one
    step's gates, a packed batch and the heads, labelled with this run's names and sizes.

    The terminal shows the text pictures; --format svg prints one drawn picture.
    Example: lstm-shapes diagram -i 10 -H 20 -l 2 --batch-first --bidirectional -L 7
    """
    with user_errors():
        lang_ = parse_choice("--lang", lang, LANGS)
        fmt = parse_choice("--format", options.output_format, DIAGRAM_FORMATS)
        picture_ = parse_choice("--picture", picture, PICTURES)
        spec = _spec(options)
    _show(
        "diagram",
        spec,
        lang_,
        fmt,
        picture_,
        quiet=options.quiet,
        max_memory=max_memory,
        max_time=max_time,
    )


@o.bundle(formats=PAGE_FORMATS)
def gates_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    lang: Lang = "en",
) -> None:
    """The LSTM equations with the shape of every term, recomputed from the real weights.

    Example: lstm-shapes gates -i 10 -H 20 -l 2 --proj-size 5
    """
    with user_errors():
        lang_, fmt = _common(lang, options.output_format)
        spec = _spec(options)
    _show("gates", spec, lang_, fmt, quiet=options.quiet, max_memory=max_memory, max_time=max_time)


@o.bundle(formats=PAGE_FORMATS)
def cell_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    lang: Lang = "en",
) -> None:
    """A loop of nn.LSTMCell with the LSTM's weights, proven equal to nn.LSTM.

    Shows the loop, its shapes at t=0 and the max difference of output, hn and cn.
    Not available with --proj-size: nn.LSTMCell has no proj_size.
    Example: lstm-shapes cell -i 10 -H 20 -l 2 --bidirectional
    """
    with user_errors():
        lang_, fmt = _common(lang, options.output_format)
        spec = _spec(options)
    _show("cell", spec, lang_, fmt, quiet=options.quiet, max_memory=max_memory, max_time=max_time)


@o.bundle(formats=PAGE_FORMATS)
def heads_command(
    options: o.Options,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
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
    lang: Lang = "en",
) -> None:
    """A Linear head on the last step or on every step, run for real.

    Example: lstm-shapes heads -i 10 -H 20 --bidirectional --batch-first --head last -K 5
    """
    from lstm_shapes.report.teaching import HEADS

    with user_errors():
        lang_, fmt = _common(lang, options.output_format)
        head_ = parse_choice("--head", head, HEADS)
        k = parse_size("--out-features", out_features)
        spec = _spec(options)
    _show(
        "heads",
        spec,
        lang_,
        fmt,
        quiet=options.quiet,
        head=head_,
        out_features=k,
        max_memory=max_memory,
        max_time=max_time,
    )


@o.bundle(formats=PAGE_FORMATS, groups=("output",))
def myths_command(
    options: o.Options,
    seed: o.Seed = "0",
    lang: Lang = "en",
) -> None:
    """Claims often taught about LSTM shapes, each decided by a live torch run.

    Exit code 0 whatever the verdicts: a claim that does not hold is a finding, not a
    failure. --format json gives {"schema_version", "lang", "myths": [{"id", "claim",
    "holds", "evidence", "setup"}]}.
    """
    with user_errors():
        lang_, fmt = _common(lang, options.output_format)
        o.Options("myths", input_size="10", hidden_size="20", seed=seed).spec()
    _show("myths", {"seed": seed}, lang_, fmt, quiet=options.quiet)


@o.bundle(formats=HANDOUT_FORMATS, default_format=None)
def handout_command(
    options: o.Options,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE|-",
            rich_help_panel=TEACH,
            help="Where to write: .md (its pictures as .svg files beside it), .html "
            "(self-contained, prints on A4) or .svg; - writes to stdout.",
        ),
    ],
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    lang: Lang = "en",
) -> None:
    """A printable handout in one file: .md, .html (A4) or .svg, in English or Chinese.

    It holds the data cube, the symbols, the arguments, the shapes with the batch_first x
    bidirectional variants, the unrolled network, output's two halves, the gates (named,
    as equations), the parameters, the cell loop, the heads, worked examples (proj_size,
    unbatched, packed, the parameter count), the myths, the code to reproduce it, and
    exercises with their answers at the end. The HTML draws its pictures as SVG and has a
    time-step stepper.

    Example: lstm-shapes handout -i 10 -H 20 -l 2 --batch-first --bidirectional --out lstm.html
    """
    with user_errors():
        lang_ = parse_choice("--lang", lang, LANGS)
        fmt = handout_format(out, options.output_format)
        spec = _spec(options)
        built = _build("handout", spec, lang_, max_memory=max_memory, max_time=max_time)
        if out == "-":
            emit_text(handout_text(built.page, built.verdicts, fmt, embed=True))
        else:
            from lstm_shapes.api import write_handout

            write_handout(built, fmt, Path(out))
    if out != "-" and not options.quiet:
        emit_text(f"wrote {out}\n")
    if not built.ok:
        raise typer.Exit(EXIT_BUG)
