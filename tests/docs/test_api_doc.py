"""``docs/api.md`` is generated from the docstrings of ``lstm_shapes/api.py``; stale means
failing (``make golden`` rewrites it). The examples in it are the doctests that
tests/test_api.py runs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

import lstm_shapes
from lstm_shapes import api

from tests.conftest import ROOT

API_DOC = ROOT / "docs" / "api.md"


def signature(function: Callable[..., Any]) -> str:
    """The signature as written in the source, one parameter a line."""
    params = []
    seen_keyword_only = False
    previous: inspect._ParameterKind | None = None
    for parameter in inspect.signature(function).parameters.values():
        kind = parameter.kind
        if previous is inspect.Parameter.POSITIONAL_ONLY and kind is not previous:
            params.append("/")
        if kind is inspect.Parameter.KEYWORD_ONLY and not seen_keyword_only:
            seen_keyword_only = True
            if previous is not inspect.Parameter.VAR_POSITIONAL:
                params.append("*")
        text = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(
            kind, ""
        ) + parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {parameter.default!r}"
        params.append(text)
        previous = kind
    if previous is inspect.Parameter.POSITIONAL_ONLY:
        params.append("/")
    returns = inspect.signature(function).return_annotation
    body = "".join(f"    {p},\n" for p in params)
    return f"def {function.__name__}(\n{body}) -> {returns}"


def markdown(docstring: str) -> str:
    """reST-ish docstring to Markdown: ``code`` to `code`, doctests fenced as pycon."""
    out: list[str] = []
    in_example = False
    for line in inspect.cleandoc(docstring).splitlines():
        if line.startswith(">>> ") and not in_example:
            out.append("```pycon")
            in_example = True
        elif in_example and not line.strip():
            out.append("```")
            in_example = False
        out.append(line if in_example else line.replace("``", "`"))
    if in_example:
        out.append("```")
    text = "\n".join(out)
    for role in (":class:", ":func:", ":attr:", ":meth:"):
        text = text.replace(role, "")
    return text


def api_reference() -> str:
    parts = [
        "# Python API",
        "",
        "<!-- Generated from the docstrings of lstm_shapes/api.py by "
        "tests/docs/test_api_doc.py; `make golden` rewrites it. -->",
        "",
        markdown(api.__doc__ or ""),
        "",
        "```python",
        "import lstm_shapes",
        "",
        "report = lstm_shapes.explain(input_size=10, hidden_size=20, batch_first=True)",
        "report.as_dict()  # == lstm-shapes explain -i 10 -H 20 --batch-first --format json",
        "```",
        "",
        "Importing `lstm_shapes` does not import torch; each function imports it when it runs.",
        "Bad input raises `lstm_shapes.SpecError` with the message the command prints.",
        "",
    ]
    for name in lstm_shapes.COMMANDS:
        function = getattr(api, name)
        parts += [
            f"## `lstm_shapes.{name}`",
            "",
            "```python",
            signature(function),
            "```",
            "",
            markdown(function.__doc__ or ""),
            "",
        ]
    return "\n".join(parts)


def test_api_reference_is_current(request: pytest.FixtureRequest) -> None:
    actual = api_reference()
    if request.config.getoption("--update-golden"):
        API_DOC.write_text(actual, encoding="utf-8")
    assert API_DOC.exists(), "docs/api.md is missing: run `make golden`"
    assert API_DOC.read_text(encoding="utf-8") == actual, (
        "docs/api.md is stale: run `make golden` and commit it"
    )


def test_the_reference_can_go_stale(tmp_path: Any) -> None:
    """The comparison has teeth: a changed docstring changes the page."""

    def example(x: int = 1) -> int:
        """Say ``x``.

        >>> example()
        1
        """
        return x

    assert markdown(example.__doc__ or "").splitlines() == [
        "Say `x`.",
        "",
        "```pycon",
        ">>> example()",
        "1",
        "```",
    ]
    assert signature(example) == "def example(\n    x: int = 1,\n) -> int"
