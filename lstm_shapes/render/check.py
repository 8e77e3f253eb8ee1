"""Results of ``check``: plain text, Markdown, JSON and JUnit XML. No rich, no torch."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from lstm_shapes.render.diagnosis import diagnosis_text
from lstm_shapes.report.check import CheckResult, results_dict
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
    failed = len(results) - passed
    where = f"{source}: " if source else ""
    cases = "case" if len(results) == 1 else "cases"
    verdict = "ok" if failed == 0 else "FAILED"
    return f"{where}{len(results)} {cases}, {passed} passed, {failed} failed: {verdict}"


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
    lines = [summary_line(results, source), ""]
    for result in results:
        mark = "✓" if result.passed else "✗"
        lines.append(f"{mark} {printable(result.name)}")
        if result.passed:
            lines += [f"    {line}" for line in passed_lines(result)]
        else:
            lines += [_indent(check_message(result)), ""]
    return "\n".join(lines) + "\n"


def single_text(result: CheckResult) -> str:
    """One case checked from the command line: what passed, or the whole diagnosis."""
    if not result.passed:
        return check_message(result)
    lines = passed_lines(result) or [f"ran {result.spec.module.constructor()}"]
    return "check passed:\n" + "".join(f"  ✓ {line}\n" for line in lines)


def check_json(results: Sequence[CheckResult]) -> str:
    data = results_dict(results)
    for case, result in zip(data["cases"], results, strict=True):
        case["failures"] = failure_messages(result)  # the texts, as the other formats show
    return json.dumps(data, indent=2) + "\n"


def check_markdown(results: Sequence[CheckResult], source: str | None = None) -> str:
    lines = [f"## lstm-shapes check: {summary_line(results, source)}", ""]
    for result in results:
        name = (
            html.escape(printable(result.name), quote=False).replace("*", "\\*").replace("_", "\\_")
        )
        lines.append(f"### {'✓' if result.passed else '✗'} {name}")
        lines.append("")
        if result.passed:
            lines += [f"- {line}" for line in passed_lines(result)]
        else:
            lines += ["```text", check_message(result).rstrip("\n"), "```"]
        lines.append("")
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: line breaks kept, other control characters escaped."""
    return "\n".join(printable(line) for line in text.split("\n"))


def junit_xml(results: Sequence[CheckResult], suite: str = "lstm-shapes") -> str:
    """JUnit XML as CI systems read it: one testcase per case, a failure element each."""
    failed = sum(1 for r in results if not r.passed)
    suite = printable(suite)
    root = ET.Element("testsuites", name="lstm-shapes", tests=str(len(results)))
    root.set("failures", str(failed))
    node = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failed),
        errors="0",
        skipped="0",
    )
    for result in results:
        case = ET.SubElement(node, "testcase", classname=suite, name=printable(result.name))
        if result.passed:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(passed_lines(result)) + "\n")
        else:
            failure = ET.SubElement(
                case, "failure", message=printable(result.headline), type="ShapeMismatch"
            )
            failure.text = _xml_text(check_message(result))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def quiet_text(results: Sequence[CheckResult], source: str | None = None) -> str:
    """``--quiet``: nothing when every case passed, else each failed case and why."""
    failed = [r for r in results if not r.passed]
    if not failed:
        return ""
    if source is None and len(results) == 1:
        return check_message(failed[0]).rstrip("\n") + "\n"
    lines = [summary_line(results, source)]
    for result in failed:
        lines += [f"✗ {printable(result.name)}", _indent(check_message(result))]
    return "\n".join(lines) + "\n"


def failed_facts_text(statements: Sequence[str]) -> str:
    """``--quiet`` for explain and variants: the verified statements that did not hold."""
    return "".join(f"check failed on this run: {statement}\n" for statement in statements)
