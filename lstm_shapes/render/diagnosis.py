"""The one diagnosis (:mod:`lstm_shapes.theory.diagnosis`) as text: the whole message of
``check`` and ``assert_lstm_shapes``, and the sentences ``trace`` shows under a failure."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from lstm_shapes.theory.diagnosis import Diagnosis, Problem

_TUPLE = re.compile(r"\([^()]*\)")
_KEEP = "\x1f\x1e"  # ", " inside a tuple while wrapping: same width, not whitespace


def wrap(text: str, indent: str = "    ") -> list[str]:
    """Prose at 100 columns, never breaking inside a shape like ``(D*num_layers, N, H_out)``."""
    kept = _TUPLE.sub(lambda match: match.group(0).replace(", ", _KEEP), text)
    lines = textwrap.wrap(
        kept,
        width=100,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace(_KEEP, ", ") for line in lines]


def diagnosis_text(
    diagnosis: Diagnosis, torch_error: str | None, not_run: str | None = None
) -> str:
    """The message the CLI prints and ``assert_lstm_shapes`` raises: torch's verdict (or why
    torch was not asked), what the problems mean, the sizes, and the fix."""
    lines = []
    if not_run is not None:
        lines += ["lstm-shapes did not feed these shapes to torch:", *wrap(not_run)]
    elif torch_error is not None:
        lines += ["torch rejected these shapes:", *(f"    {t}" for t in torch_error.splitlines())]
    else:
        lines.append("torch accepted these shapes, but they are not what you meant:")
    lines += ["", "What it means:"]
    for problem in diagnosis.problems:
        # the explanation wraps at 100 columns; the one-line summary, torch's message and
        # the code never do
        lines.append(f"  - {problem.what}")
        lines += wrap(problem.why)
    lines += ["", "Sizes:", f"  {diagnosis.sizes_line()}"]
    fixes = [line for problem in diagnosis.problems for line in problem.fix]
    if fixes:
        lines += ["", "Fix:", *(f"  {line}" for line in fixes)]
    return "\n".join(lines) + "\n"


def problem_sentences(problems: Sequence[Problem]) -> list[str]:
    """Two notes per problem: what is wrong, then why and the fix as code (``trace`` shows
    these under the exception). A note may start with a tensor's name, in lower case."""
    sentences = []
    for problem in problems:
        why = problem.why
        if problem.fix:
            why += " Fix: " + "; ".join(line.split("  # ")[0] for line in problem.fix)
        sentences += [f"{problem.what}.", why]
    return sentences
