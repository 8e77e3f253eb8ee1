"""Results of ``check``: plain text, Markdown, JSON and JUnit XML. No rich, no torch."""

from __future__ import annotations

import html
import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TextIO

from lstm_shapes.render.diagnosis import diagnosis_text
from lstm_shapes.report.check import CheckResult
from lstm_shapes.report.explain import SCHEMA_VERSION
from lstm_shapes.spec.core import printable
from lstm_shapes.theory.diagnosis import shape_str


def failure_messages(result: CheckResult) -> list[str]:
    """Why the case failed, one message each: the diagnosis of the shapes first."""
    messages = list(result.failures)
    if result.rejected and result.diagnosis is not None:
        text = diagnosis_text(result.diagnosis, result.torch_error, result.not_run)
        messages.insert(0, text)
    return messages


def check_message(result: CheckResult) -> str:
    """What the CLI prints for a failed case and ``assert_lstm_shapes`` raises (empty when
    it passed)."""
    return "\n".join(failure_messages(result))


def summary_line(results: Sequence[CheckResult], source: str | None = None) -> str:
    passed = sum(1 for r in results if r.passed)
    return counts_line(passed, len(results) - passed, source)


def counts_line(passed: int, failed: int, source: str | None = None) -> str:
    """``shapes.toml: 3 cases, 1 passed, 2 failed: FAILED``"""
    where = f"{source}: " if source else ""
    total = passed + failed
    cases = "case" if total == 1 else "cases"
    verdict = "ok" if failed == 0 else "FAILED"
    return f"{where}{total} {cases}, {passed} passed, {failed} failed: {verdict}"


def progress_line(done: int, total: int, width: int = 30) -> str:
    """``[#######.......]  250/1,000 cases``: for a terminal's stderr while a spec runs."""
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} cases"


def passed_lines(result: CheckResult) -> list[str]:
    """What a passing case verified, one line each."""
    lines = []
    if result.given is not None:
        given = result.given
        parts = [f"input {shape_str(given.input)}"]
        if given.h0 is not None:
            parts.append(f"h0 {shape_str(given.h0)}")
        if given.c0 is not None:
            parts.append(f"c0 {shape_str(given.c0)}")
        lines.append(f"torch accepted {', '.join(parts)}: {result.spec.sizes_line()}")
    for expectation in result.expectations:
        lines.append(f"{expectation.name} is {shape_str(expectation.actual)} as expected")
    return lines


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.rstrip("\n").splitlines())


def check_text(results: Sequence[CheckResult], source: str | None = None) -> str:
    """The summary line first, then each case: a mark, its name, and why it failed."""
    return _rendered("table", results, source)


def _case_lines(result: CheckResult) -> list[str]:
    mark = "✓" if result.passed else "✗"
    lines = [f"{mark} {printable(result.name)}"]
    if result.passed:
        return lines + [f"    {line}" for line in passed_lines(result)]
    return [*lines, _indent(check_message(result)), ""]


def single_text(result: CheckResult) -> str:
    """One case checked from the command line: what passed, or the whole diagnosis."""
    if not result.passed:
        return check_message(result)
    lines = passed_lines(result) or [f"ran {result.spec.module.constructor()}"]
    return "check passed:\n" + "".join(f"  ✓ {line}\n" for line in lines)


def check_json(results: Sequence[CheckResult]) -> str:
    return _rendered("json", results)


def _case_json(result: CheckResult) -> str:
    """One case as an entry of ``cases``, indented as ``json.dumps(..., indent=2)`` indents
    it there (no string holds a line break: JSON escapes it)."""
    case = result.case_dict()
    case["failures"] = failure_messages(result)  # the texts, as the other formats show
    return "\n".join("    " + line for line in json.dumps(case, indent=2).split("\n"))


def check_markdown(results: Sequence[CheckResult], source: str | None = None) -> str:
    return _rendered("markdown", results, source)


def _case_markdown(result: CheckResult) -> str:
    name = html.escape(printable(result.name), quote=False).replace("*", "\\*").replace("_", "\\_")
    lines = [f"### {'✓' if result.passed else '✗'} {name}", ""]
    if result.passed:
        lines += [f"- {line}" for line in passed_lines(result)]
    else:
        lines += ["```text", check_message(result).rstrip("\n"), "```"]
    return "\n".join([*lines, ""])


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: line breaks kept, other control characters escaped."""
    return "\n".join(printable(line) for line in text.split("\n"))


def junit_xml(results: Sequence[CheckResult], suite: str = "lstm-shapes") -> str:
    """JUnit XML as CI systems read it: one testcase per case, a failure element each."""
    return _rendered("junit", results, suite)


def _junit_document(tests: int, failed: int, suite: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("testsuites", name="lstm-shapes", tests=str(tests))
    root.set("failures", str(failed))
    node = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(tests),
        failures=str(failed),
        errors="0",
        skipped="0",
    )
    return root, node


def _junit_case(result: CheckResult, suite: str) -> ET.Element:
    case = ET.Element("testcase", classname=suite, name=printable(result.name))
    if result.passed:
        out = ET.SubElement(case, "system-out")
        out.text = _xml_text("\n".join(passed_lines(result)) + "\n")
    else:
        failure = ET.SubElement(
            case, "failure", message=printable(result.headline), type="ShapeMismatch"
        )
        failure.text = _xml_text(check_message(result))
    return case


def quiet_text(results: Sequence[CheckResult], source: str | None = None) -> str:
    """``--quiet``: nothing when every case passed, else each failed case and why."""
    if source is None and len(results) == 1:
        return check_message(results[0]).rstrip("\n") + "\n" if not results[0].passed else ""
    return _rendered("quiet", results, source)


def _rendered(fmt: str, results: Iterable[CheckResult], source: str | None = None) -> str:
    stream = CheckStream(fmt, source, io.StringIO())
    for result in results:
        stream.add(result)
    out = io.StringIO()
    stream.finish(out)
    return out.getvalue()


#: JUnit's indentation of a testcase: testsuites > testsuite > testcase
_JUNIT_LEVEL = 2


class CheckStream:
    """The output of ``check --spec`` in one format (table, markdown, json, junit, or
    quiet), built as the results come: each case's text is written to ``spool`` when it
    is added, and only the counts are kept. Every format shows the counts before the
    cases, so :meth:`finish` writes the head, then the spool, then the end, to ``out``:
    the same text as rendering the whole list at once."""

    def __init__(self, fmt: str, source: str | None, spool: TextIO) -> None:
        self.fmt = fmt
        #: the files' names (JUnit: the suite's name)
        self.source = source
        self.spool = spool
        self.passed = 0
        self.failed = 0

    def add(self, result: CheckResult) -> None:
        first = self.passed + self.failed == 0
        if result.passed:
            self.passed += 1
        else:
            self.failed += 1
        if self.fmt == "table":
            self.spool.write("\n".join(_case_lines(result)) + "\n")
        elif self.fmt == "quiet" and not result.passed:
            self.spool.write(f"✗ {printable(result.name)}\n{_indent(check_message(result))}\n")
        elif self.fmt == "markdown":
            self.spool.write("\n" + _case_markdown(result))
        elif self.fmt == "json":
            self.spool.write(("\n" if first else ",\n") + _case_json(result))
        elif self.fmt == "junit":
            case = _junit_case(result, printable(self.source or "lstm-shapes"))
            ET.indent(case, level=_JUNIT_LEVEL)
            self.spool.write("    " + ET.tostring(case, "unicode") + "\n")

    def finish(self, out: TextIO) -> None:
        """Write the whole output to ``out``: head, every case, end."""
        head, end = self._frame()
        out.write(head)
        self.spool.seek(0)
        shutil.copyfileobj(self.spool, out)
        out.write(end)

    def _frame(self) -> tuple[str, str]:
        """What comes before the cases and after them."""
        summary = counts_line(self.passed, self.failed, self.source)
        if self.fmt == "table":
            return f"{summary}\n\n", ""
        if self.fmt == "quiet":
            return (f"{summary}\n", "") if self.failed else ("", "")
        if self.fmt == "markdown":
            return f"## lstm-shapes check: {summary}\n", ""
        if self.fmt == "json":
            head = {"schema_version": SCHEMA_VERSION, "passed": self.passed, "failed": self.failed}
            text = json.dumps(head, indent=2).removesuffix("\n}")
            if self.passed + self.failed == 0:
                return text + ',\n  "cases": []\n}\n', ""
            return text + ',\n  "cases": [', "\n  ]\n}\n"
        return self._junit_frame()

    def _junit_frame(self) -> tuple[str, str]:
        suite = printable(self.source or "lstm-shapes")
        root, node = _junit_document(self.passed + self.failed, self.failed, suite)
        if self.passed + self.failed == 0:
            ET.indent(root)
            return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
                root, "unicode"
            ) + "\n", ""
        ET.SubElement(node, "cases")  # where the cases go
        ET.indent(root)
        text = ET.tostring(root, "unicode")
        head, end = text.split("    <cases />\n")
        return '<?xml version="1.0" encoding="utf-8"?>\n' + head, end + "\n"


def failed_facts_text(statements: Sequence[str]) -> str:
    """``--quiet`` for explain and variants: the verified statements that did not hold."""
    return "".join(f"check failed on this run: {statement}\n" for statement in statements)
