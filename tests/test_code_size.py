"""Smaller pieces: no function of the package runs over 80 lines, so each can be read whole.

A function's length is counted from its first statement after the docstring to its end: the
signature of a command with thirty options, and a documented example, are not complexity.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lstm_shapes"
LIMIT = 80

#: Functions over the limit, each with the issue that will split it (none today).
KNOWN: set[str] = set()


def long_functions(source: str, limit: int = LIMIT) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                len(body) > 1
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]  # the docstring
            length = (node.end_lineno or node.lineno) - body[0].lineno + 1
            if length > limit:
                found.append((node.name, length))
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE.parent).as_posix()}::{name}": length
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, length in long_functions(path.read_text(encoding="utf-8"))
    }
    new = {key: length for key, length in offenders.items() if key not in KNOWN}
    assert not new, f"split these (over {LIMIT} lines): {new}"
    assert not KNOWN - set(offenders), (
        f"now short enough, remove from KNOWN: {KNOWN - set(offenders)}"
    )


def test_the_limit_can_fail() -> None:
    body = "\n".join(f"    x{k} = {k}" for k in range(LIMIT + 1))
    assert long_functions(f"def long():\n{body}\n") == [("long", LIMIT + 1)]
    documented = f'def long(\n    a: int,\n):\n    """Doc.\n\n    More.\n    """\n{body}\n'
    assert long_functions(documented) == [("long", LIMIT + 1)]
    assert long_functions("def short():\n    return 1\n") == []
