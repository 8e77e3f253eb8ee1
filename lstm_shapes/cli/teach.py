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
from lstm_shapes.render.pictures import PICTURES
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


def _build(kind: str, spec: Any, lang: str, **extra: Any) -> Any:
    from lstm_shapes import api

    if kind == "myths":
        return api.myths(spec.run.seed, lang=lang)
    command = getattr(api, kind)
    return command(spec, lang=lang, **extra)


def _show(kind: str, spec: Any, lang: str, fmt: str, extra_picture: str = "", **extra: Any) -> None:
    with user_errors():
        built = _build(kind, spec, lang, **extra)
    if fmt == "json":
        import json

        from lstm_shapes.report.explain import SCHEMA_VERSION

        data = {"schema_version": SCHEMA_VERSION, "lang": lang, **built.data}
        if kind != "myths":
            data["lstm"] = spec.module.as_dict()
            data["input"] = spec.input.as_dict()
        data["run"] = built.run
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


def _common(lang: str, output_format: str) -> tuple[str, str]:
    return (
        parse_choice("--lang", lang, LANGS),
        parse_choice("--format", output_format, PAGE_FORMATS),
    )


DIAGRAM_FORMATS = (*PAGE_FORMATS, "svg")


def diagram_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    kind: o.Kind = "lstm",
    nonlinearity: o.Nonlinearity = "tanh",
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    lang: Lang = "en",
    output_format: o.format_option(DIAGRAM_FORMATS) = "table",  # type: ignore[valid-type]
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
        fmt = parse_choice("--format", output_format, DIAGRAM_FORMATS)
        picture_ = parse_choice("--picture", picture, PICTURES)
        spec = _spec(
            kind=kind,
            nonlinearity=nonlinearity,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=batch_first,
            bidirectional=bidirectional,
            proj_size=proj_size,
            batch=batch,
            seq_len=seq_len,
        )
    _show("diagram", spec, lang_, fmt, picture_, max_memory=max_memory, max_time=max_time)


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
    kind: o.Kind = "lstm",
    nonlinearity: o.Nonlinearity = "tanh",
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
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
            kind=kind,
            nonlinearity=nonlinearity,
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
    _show("gates", spec, lang_, fmt, max_memory=max_memory, max_time=max_time)


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
    kind: o.Kind = "lstm",
    nonlinearity: o.Nonlinearity = "tanh",
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
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
            kind=kind,
            nonlinearity=nonlinearity,
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
    _show("cell", spec, lang_, fmt, max_memory=max_memory, max_time=max_time)


def heads_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
    num_layers: o.NumLayers = "1",
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    kind: o.Kind = "lstm",
    nonlinearity: o.Nonlinearity = "tanh",
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
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: o.format_option(PAGE_FORMATS) = "table",  # type: ignore[valid-type]
) -> None:
    """A Linear head on the last step or on every step, run for real.

    Example: lstm-shapes heads -i 10 -H 20 --bidirectional --batch-first --head last -K 5
    """
    from lstm_shapes.report.teaching import HEADS

    with user_errors():
        lang_, fmt = _common(lang, output_format)
        head_ = parse_choice("--head", head, HEADS)
        k = parse_size("--out-features", out_features)
        spec = _spec(
            kind=kind,
            nonlinearity=nonlinearity,
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
    _show(
        "heads",
        spec,
        lang_,
        fmt,
        head=head_,
        out_features=k,
        max_memory=max_memory,
        max_time=max_time,
    )


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


HANDOUT_EXTENSIONS = (".md", ".html", ".svg")


HANDOUT_FORMATS = ("md", "html", "svg")
SUFFIX_FORMATS = {".md": "md", ".html": "html", ".htm": "html", ".svg": "svg"}


def handout_command(
    input_size: o.InputSize,
    hidden_size: o.HiddenSize,
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
    num_layers: o.NumLayers = "1",
    bias: o.Bias = True,
    batch_first: o.BatchFirst = False,
    bidirectional: o.Bidirectional = False,
    proj_size: o.ProjSize = "0",
    batch: o.Batch = None,
    seq_len: o.SeqLen = None,
    kind: o.Kind = "lstm",
    nonlinearity: o.Nonlinearity = "tanh",
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
    seed: o.Seed = "0",
    lang: Lang = "en",
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="|".join(HANDOUT_FORMATS),
            rich_help_panel=o.OUTPUT,
            help="md, html or svg; by default the --out file's extension (md for -). "
            "Markdown on stdout embeds its pictures as data: URIs.",
        ),
    ] = None,
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
        fmt = _handout_format(out, output_format)
        spec = _spec(
            kind=kind,
            nonlinearity=nonlinearity,
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
        built = _build("handout", spec, lang_, max_memory=max_memory, max_time=max_time)
        if out == "-":
            emit_text(render_handout(built, fmt, embed=True))
        else:
            _write_handout(built, fmt, Path(out))
    if out != "-":
        emit_text(f"wrote {out}\n")
    if not built.ok:
        raise typer.Exit(EXIT_BUG)


def _handout_format(out: str, given: str | None) -> str:
    if given is not None:
        return parse_choice("--format", given, HANDOUT_FORMATS)
    if out == "-":
        return "md"
    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise SpecError(
            f"--out must end in {', '.join(HANDOUT_EXTENSIONS)}, or be - for stdout (got {out!r})"
        )
    return SUFFIX_FORMATS[suffix]


def _write_handout(built: Any, fmt: str, out: Path) -> None:
    """The handout, and for Markdown its pictures as ``<stem>.<picture>.svg`` beside it."""
    files = {out: render_handout(built, fmt, stem=out.stem)}
    if fmt == "md":
        from lstm_shapes.render.markup import figures_of
        from lstm_shapes.render.pictures import draw

        for figure in figures_of(built.page):
            files[out.with_name(f"{out.stem}.{figure.name}.svg")] = draw(figure) + "\n"
    for path, text in files.items():
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise SpecError(
                f"--out cannot be written: {error.strerror} (got {str(path)!r})"
            ) from None


def render_handout(built: Any, fmt: str, stem: str = "", embed: bool = False) -> str:
    """The handout as text: ``md`` links its pictures to files named after ``stem`` (or
    embeds them with ``embed``), ``html`` inlines them, ``svg`` is the terminal page."""
    if fmt == "md":
        from lstm_shapes.render.markup import embedded, page_markdown, picture_files

        return page_markdown(built.page, embedded if embed else picture_files(stem))
    if fmt == "html":
        from lstm_shapes.render.markup import page_html

        return page_html(built.page, built.verdicts)
    from lstm_shapes.render.teach import page_svg

    return page_svg(built.page, built.verdicts)
