"""The pytest plugin (entry point ``pytest11``), loaded by pytest when lstm-shapes is installed.

* A failed :func:`lstm_shapes.assert_lstm_shapes` shows our diagnosis as the failure, without
  lstm-shapes' own frames in the traceback.
* Spec files (the TOML/JSON of ``lstm-shapes check --spec``) become test items, one per case,
  when their names match ``lstm_shapes_spec_files`` in the pytest configuration, e.g.
  ``lstm_shapes_spec_files = ["*.shapes.toml"]``. Nothing is collected without it, and a bare
  ``*.toml`` / ``*.json`` is refused: it would take pyproject.toml for a spec file.

Loading it imports neither torch nor the rest of lstm-shapes: a case imports them when it runs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lstm_shapes.errors import SpecError

if TYPE_CHECKING:
    from lstm_shapes.spec.specfile import Case

OPTION = "lstm_shapes_spec_files"
TOO_BROAD = {"*.toml", "*.json", "*", "**/*.toml", "**/*.json"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        OPTION,
        type="linelist",
        default=[],
        help="lstm-shapes: glob patterns of spec files to collect, one test per case "
        "(e.g. *.shapes.toml); a bare *.toml is refused",
    )


def spec_patterns(config: pytest.Config) -> list[str]:
    patterns: list[str] = [str(p) for p in config.getini(OPTION)]
    for pattern in patterns:
        if pattern.strip() in TOO_BROAD:
            raise pytest.UsageError(
                f"{OPTION} must name spec files, not every {Path(pattern).suffix or 'file'} "
                f"file (got {pattern!r}; e.g. *.shapes{Path(pattern).suffix or '.toml'})"
            )
        if not pattern.endswith((".toml", ".json")):
            raise pytest.UsageError(
                f"{OPTION} patterns must end in .toml or .json (got {pattern!r})"
            )
    return patterns


def pytest_configure(config: pytest.Config) -> None:
    spec_patterns(config)  # a bad pattern is a usage error before anything runs


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    patterns = spec_patterns(parent.config)
    if any(fnmatch.fnmatch(file_path.name, p) or file_path.match(p) for p in patterns):
        found: SpecFile = SpecFile.from_parent(parent, path=file_path)
        return found
    return None


class SpecFile(pytest.File):
    """A spec file: one test item per ``[[case]]``."""

    def collect(self) -> Iterator[SpecCase]:
        from lstm_shapes.spec.specfile import load_cases

        for case in load_cases(self.path):
            yield SpecCase.from_parent(self, name=case.name, case=case)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, SpecError):
            return f"lstm-shapes: error: {excinfo.value}"
        return super().repr_failure(excinfo)


class ShapeCheckFailed(Exception):
    """A case of a spec file did not check out; the message is the CLI's."""


class SpecCase(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from lstm_shapes.api import run_check
        from lstm_shapes.render.check import check_message

        result = run_check(self.case.spec, self.case.given, self.case.expect, name=self.name)
        if not result.passed:
            raise ShapeCheckFailed(check_message(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ShapeCheckFailed | SpecError):
            return f"{self.path.name}: case {self.name!r}\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed ``assert_lstm_shapes`` reads as our diagnosis under the test's own line."""
    report = yield
    excinfo = call.excinfo
    if (
        report.failed
        and excinfo is not None
        and type(excinfo.value).__name__ == "ShapeAssertionError"
        and type(excinfo.value).__module__ == "lstm_shapes.api"
    ):
        entry = excinfo.traceback.filter(excinfo)[-1]
        where = f"{entry.path}:{entry.lineno + 1}"
        report.longrepr = f"{where}: assert_lstm_shapes failed\n{excinfo.value}"
    return report
