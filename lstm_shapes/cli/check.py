"""``lstm-shapes check``: your own shapes through the real module, or a spec file of cases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lstm_shapes.cli import options as o
from lstm_shapes.cli.errors import EXIT_FAILED, EXIT_OK, user_errors
from lstm_shapes.cli.output import emit_text, print_renderable
from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import INPUT_DTYPES, parse_choice

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lstm_shapes.report.check import CheckResult
    from lstm_shapes.spec.specfile import SpecCases

CHECK_FORMATS = ("table", "json", "junit", "markdown")
SHAPES = "Your tensors"
CASES = "Expectations and spec files"
#: the shared options a spec file's cases give for themselves (lstm, input and run keys)
SPEC_FILE_KEYS = tuple(o.FLAGS[name] for name in o.SPEC_NAMES)

InputShape = Annotated[
    str | None,
    typer.Option(
        "--input-shape",
        "-s",
        metavar="SIZES",
        rich_help_panel=SHAPES,
        show_default=False,
        help="Feed an input of exactly this shape, e.g. 3,7,12. --batch/--seq-len then say "
        "what you meant, and are checked against how torch reads it.",
    ),
]
H0Shape = Annotated[
    str | None,
    typer.Option(
        "--h0-shape",
        metavar="SIZES",
        rich_help_panel=SHAPES,
        show_default=False,
        help="Feed h0 of exactly this shape, e.g. 4,3,20.",
    ),
]
C0Shape = Annotated[
    str | None,
    typer.Option(
        "--c0-shape",
        metavar="SIZES",
        rich_help_panel=SHAPES,
        show_default=False,
        help="Feed c0 of exactly this shape (LSTM only).",
    ),
]
InputDtype = Annotated[
    str | None,
    typer.Option(
        "--input-dtype",
        metavar="|".join(INPUT_DTYPES[:2]) + "|int64|...",
        rich_help_panel=SHAPES,
        show_default=False,
        help=f"dtype of the input you feed: {', '.join(INPUT_DTYPES)}. Defaults to --dtype.",
    ),
]
Expect = Annotated[
    list[str] | None,
    typer.Option(
        "--expect",
        "-e",
        metavar="NAME=SIZES",
        rich_help_panel=CASES,
        show_default=False,
        help="Expected shape of a tensor (input, h0, c0, output, hn, cn, packed_...), "
        "_ for any size, e.g. output=3,7,40. Repeatable.",
    ),
]
SpecFile = Annotated[
    list[str] | None,
    typer.Option(
        "--spec",
        metavar="FILE.toml|FILE.json",
        rich_help_panel=CASES,
        show_default=False,
        help="Check every case of a TOML or JSON spec file in one run (no module options "
        "then). Repeatable: --spec a.toml --spec b.toml.",
    ),
]
MoreSpecFiles = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE",
        show_default=False,
        help="More spec files after --spec, as pre-commit passes them: "
        "lstm-shapes check --spec a.toml b.toml.",
    ),
]


@o.bundle(formats=CHECK_FORMATS, sizes_required=False)
def check_command(
    options: o.Options,
    more_spec_files: MoreSpecFiles = None,
    input_shape: InputShape = None,
    h0_shape: H0Shape = None,
    c0_shape: C0Shape = None,
    input_dtype: InputDtype = None,
    expect: Expect = None,
    spec_file: SpecFile = None,
    max_memory: o.MaxMemory = None,
    max_time: o.MaxTime = None,
) -> int:
    """Feed your own shapes to the real module: torch's error, what it means, the fix.

    Exit 0 when torch accepts the shapes and every --expect holds, 1 when not, 2 for bad
    input. Examples:

      lstm-shapes check -i 10 -H 20 -l 2 --bidirectional --input-shape 7,3,10 --h0-shape 2,3,20

      lstm-shapes check --spec shapes.toml --format junit > shapes.xml
    """
    from lstm_shapes.api import check

    with user_errors():
        fmt = parse_choice("--format", options.output_format, CHECK_FORMATS)
        if more_spec_files and spec_file is None:
            raise SpecError(
                f"check takes no FILE arguments without --spec "
                f"(got {more_spec_files[0]!r}; did you mean --spec {more_spec_files[0]}?)"
            )
        if spec_file is not None:
            per_case = {
                "--input-shape": input_shape,
                "--h0-shape": h0_shape,
                "--c0-shape": c0_shape,
                "--input-dtype": input_dtype,
                "--expect": expect,
            }
            given = [
                *options.typed(*SPEC_FILE_KEYS),
                *(k for k, v in per_case.items() if v is not None),
            ]
            if given:
                raise SpecError(
                    f"--spec takes every case from the file: leave out {', '.join(given)} "
                    "(write them in the case)"
                )
            files = [Path(f) for f in (*spec_file, *(more_spec_files or []))]
            quiet = options.quiet and fmt in ("table", "markdown")
            return _run_spec_files(
                files, "quiet" if quiet else fmt, max_memory=max_memory, max_time=max_time
            )
        if options.input_size is None or options.hidden_size is None:
            missing = "--input-size" if options.input_size is None else "--hidden-size"
            raise SpecError(f"{missing} is required (or check a spec file with --spec FILE)")
        result = check(
            input_shape=input_shape,
            h0_shape=h0_shape,
            c0_shape=c0_shape,
            input_dtype=input_dtype,
            expect=expect,
            max_memory=max_memory,
            max_time=max_time,
            **options.spec_values(),
        )
    if options.quiet and fmt in ("table", "markdown"):
        from lstm_shapes.render.check import quiet_text

        emit_text(quiet_text([result]))
    else:
        _render(result, fmt)
    return EXIT_OK if result.passed else EXIT_FAILED


def _run_spec_files(
    files: list[Path], fmt: str, *, max_memory: object = None, max_time: object = None
) -> int:
    """Check every case of the files, each written out in ``fmt`` as soon as it is checked
    and its result dropped, so memory stays flat over any number of cases. Every format
    shows the counts first: the cases wait in a temporary file until the last one is done
    (then nothing reaches stdout if a file turns out to be bad half-way)."""
    import sys
    import tempfile

    from lstm_shapes.api import spec_cases
    from lstm_shapes.render.check import CheckStream

    source = ", ".join(f.name for f in files)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        stream = CheckStream(fmt, source, spool)
        for file in files:
            cases = spec_cases(file)
            for result in _run_cases(cases, file.name, max_memory=max_memory, max_time=max_time):
                stream.add(result)
        stream.finish(sys.stdout)
    sys.stdout.flush()
    return EXIT_FAILED if stream.failed else EXIT_OK


def _run_cases(
    cases: SpecCases, source: str, *, max_memory: object = None, max_time: object = None
) -> Iterator[CheckResult]:
    """Every case's result as it is checked, with a progress line on a terminal's stderr."""
    import sys
    import time

    from lstm_shapes.api import check_cases
    from lstm_shapes.render.check import progress_line

    show = sys.stderr.isatty()
    shown_at = time.monotonic()
    results = check_cases(cases, source, max_memory=max_memory, max_time=max_time)
    for done, result in enumerate(results, start=1):
        yield result
        if show and time.monotonic() - shown_at > 0.2:
            shown_at = time.monotonic()
            sys.stderr.write("\r" + progress_line(done, len(cases)))
            sys.stderr.flush()
    if show:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _render(result: CheckResult, fmt: str) -> None:
    """One case checked from the command line."""
    from lstm_shapes.render import check as render

    if fmt == "json":
        emit_text(render.check_json([result]))
    elif fmt == "junit":
        emit_text(render.junit_xml([result], suite="lstm-shapes check"))
    elif fmt == "markdown":
        if result.report is not None:
            from lstm_shapes.render.markdown import explain_markdown

            emit_text(explain_markdown(result.report) + "\n")
        emit_text(render.check_markdown([result]))
    else:
        if result.report is not None:
            from lstm_shapes.render.table import explain_renderable

            print_renderable(explain_renderable(result.report))
            emit_text("\n")
        emit_text(render.single_text(result))
