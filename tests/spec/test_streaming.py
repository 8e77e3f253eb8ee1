"""``check --spec`` streams: every format prints what it printed when the results were
collected first, and memory stays flat however many cases a file holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

DATA = Path(__file__).resolve().parents[1] / "data"
#: two files, one TOML and one JSON: passing cases, expectations that fail, shapes torch
#: rejects, shapes not fed to torch, and names that XML and Markdown escape
FILES = (str(DATA / "shapes.toml"), str(DATA / "more_shapes.json"))
FORMATS = {
    "multi_table.txt": (),
    "multi_markdown.md": ("--format", "markdown"),
    "multi_junit.xml": ("--format", "junit"),
    "multi_json.json": ("--format", "json"),
    "multi_quiet.txt": ("--quiet",),
    "multi_quiet_markdown.md": ("--quiet", "--format", "markdown"),
}


@pytest.mark.parametrize(("name", "args"), FORMATS.items(), ids=list(FORMATS))
def test_every_format_of_a_multi_file_spec(
    cli: Callable[..., Any], golden: Callable[[str, str], None], name: str, args: tuple[str, ...]
) -> None:
    result = cli("check", "--spec", *FILES, *args)
    assert result.exit_code == 1
    golden(f"check/{name}", result.stdout)


def test_json_is_the_document_the_collected_results_give(cli: Callable[..., Any]) -> None:
    """Byte for byte, floats included (the same process runs the same cases)."""
    from lstm_shapes import api
    from lstm_shapes.render.check import failure_messages
    from lstm_shapes.report.check import results_dict

    result = cli("check", "--spec", *FILES, "--format", "json")
    results = [r for f in FILES for r in api.check_cases(api.spec_cases(f), Path(f).name)]
    data = results_dict(results)
    for case, checked in zip(data["cases"], results, strict=True):
        case["failures"] = failure_messages(checked)
    assert result.stdout == json.dumps(data, indent=2) + "\n"


def test_a_bad_file_after_a_good_one_prints_nothing(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[case]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 0 }\n')
    result = cli("check", "--spec", FILES[0], str(bad), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "lstm-shapes: error: bad.toml: case 1 (a): key lstm.hidden_size: --hidden-size must be "
        "a whole number from 1 to 2147483647 (got 0)\n"
    )


CHEAP_CASE = """[[case]]
name = "case-{k}"
lstm = {{ input_size = 4, hidden_size = {h} }}
{body}
"""
#: passing, rejected by torch, a failed expectation, accepted shapes: two modules only,
#: so that each case costs well under a millisecond
CHEAP_BODIES = (
    "input = {{ batch = 2, seq_len = 3 }}\nexpect = {{ output = [3, 2, {h}] }}",
    "input = {{ shape = [3, 2, 4], h0 = [1, 3, {h}] }}",
    "input = {{ batch = 2, seq_len = 3 }}\nexpect = {{ hn = [1, 2, 99] }}",
    "input = {{ shape = [3, 2, 4], h0 = [1, 2, {h}] }}",
)


def _cheap_spec(folder: Path, cases: int) -> Path:
    path = folder / f"cheap-{cases}.toml"
    texts = (
        CHEAP_CASE.format(k=k, h=5 + k % 2, body=CHEAP_BODIES[k % 4].format(h=5 + k % 2))
        for k in range(cases)
    )
    path.write_text("\n".join(texts), encoding="utf-8")
    return path


def _peak_rss_mib(spec: Path, *args: str) -> float:
    """The peak RSS of ``check --spec`` in a fresh process (its own ru_maxrss)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "lstm_shapes", "check", "--spec", str(spec), *args]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    assert proc.returncode == 1  # some cases fail, by design
    return usage.ru_maxrss / 1024


#: 20 times the cases may raise the peak by this much (the peak of identical runs varies
#: by 2-3 MiB): collecting the results, as check did before it streamed, raised it by
#: 20-27 MiB in a table, Markdown, JUnit or --quiet, and by 430 MiB in JSON
FLAT_MIB = 8.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [(), ("--format", "json"), ("--format", "junit"), ("--format", "markdown"), ("--quiet",)],
    ids=["table", "json", "junit", "markdown", "quiet"],
)
def test_memory_stays_flat_over_many_cases(tmp_path: Path, args: tuple[str, ...]) -> None:
    few = _peak_rss_mib(_cheap_spec(tmp_path, 500), *args)
    many = _peak_rss_mib(_cheap_spec(tmp_path, 10_000), *args)
    assert many - few < FLAT_MIB, f"500 cases: {few:.1f} MiB, 10,000 cases: {many:.1f} MiB"


ONE = '[[case]]\nname = "{name}"\nlstm = {{ input_size = 3, hidden_size = {h} }}\n'
#: files read in pieces, and files read whole, must give the same cases or the same error
LAYOUTS = {
    "many pieces": "".join(ONE.format(name=f"c{k}", h=1 + k % 3) for k in range(600)),
    "comments first": "# shapes\n\n" + ONE.format(name="a", h=2),
    "quoted headers": '[["case"]]\nname = "a"\nlstm = { input_size = 1, hidden_size = 2 }\n'
    "[[ 'case' ]]  # b\nname = \"b\"\n[case.lstm]\ninput_size = 1\nhidden_size = 3\n",
    "multi-line string": ONE.format(name="a", h=2) + "[[case]]\nname = '''\n[[case]]\nb'''\n"
    "lstm = { input_size = 1, hidden_size = 2 }\n",
    "inline array": 'case = [{ name = "a", lstm = { input_size = 1, hidden_size = 2 } }]\n',
    "empty array first": "case = []\n" + ONE.format(name="a", h=2),
    "other table": ONE.format(name="a", h=2) + "[other]\nx = 1\n",
    "header in an array": ONE.format(name="a", h=2) + 'x = [\n[["case"]]\n]\n',
    "repeated name": "".join(ONE.format(name=f"c{k % 400}", h=2) for k in range(500)),
    "case error, then a syntax error": ONE.format(name="a", h=0)
    + ONE.format(name="b", h=2)
    + "[[case]\n",
    "bad tensor name, then a bad size": ONE.format(name="a", h=2)
    + "expect = { cn = [1] }\n"
    + ONE.format(name="b", h=0),
    "byte order mark": "\ufeff" + ONE.format(name="a", h=2),
}


#: layouts read whole: the pieces could not be trusted
READ_WHOLE = ("multi-line string", "inline array")


@pytest.mark.parametrize(("layout", "text"), LAYOUTS.items(), ids=list(LAYOUTS))
def test_spec_cases_read_what_load_cases_reads(tmp_path: Path, layout: str, text: str) -> None:
    from lstm_shapes import api
    from lstm_shapes.errors import SpecError
    from lstm_shapes.spec.specfile import load_cases

    path = tmp_path / "shapes.toml"
    path.write_text(text, encoding="utf-8")
    try:
        listed = load_cases(path)
        for index, case in enumerate(listed, start=1):
            api._check_names("shapes.toml", index, case)
    except SpecError as error:
        with pytest.raises(SpecError) as streamed:
            api.spec_cases(path)
        assert str(streamed.value) == str(error)
    else:
        cases = api.spec_cases(path)
        assert list(cases) == listed
        assert cases.streamed == (layout not in READ_WHOLE)


def test_a_plain_toml_file_is_streamed(tmp_path: Path) -> None:
    from lstm_shapes import api

    path = tmp_path / "shapes.toml"
    path.write_text(LAYOUTS["many pieces"], encoding="utf-8")
    cases = api.spec_cases(path)
    assert cases.streamed
    assert len(cases) == 600
    assert [case.name for case in cases][-2:] == ["c598", "c599"]
    assert not api.spec_cases(DATA / "more_shapes.json").streamed  # JSON is read whole


def test_validated_cases_wait_compressed_and_read_back_the_same(tmp_path: Path) -> None:
    """The raw cases kept while validating (compressed JSON) give what the file gives; a
    value without a JSON form (a TOML date) makes the run read the file again."""
    import datetime

    from lstm_shapes.spec import specfile

    path = tmp_path / "many.toml"
    path.write_text(
        "".join(
            f'[[case]]\nname = "c{k}"\nlstm = {{ input_size = {k % 7 + 1}, hidden_size = 3 }}\n'
            f"input = {{ batch = 2, seq_len = 3 }}\nexpect = {{ output = [3, 2, 3] }}\n\n"
            for k in range(600)
        ),
        encoding="utf-8",
    )
    kept = specfile.SpecCases(path)
    assert kept.streamed and kept._kept is not None
    assert list(kept) == specfile.load_cases(path)
    assert specfile._KeptCases().add({"when": datetime.date(2026, 1, 1)}) is not None
    assert specfile._KeptCases().add({"when": datetime.date(2026, 1, 1)}).close() is None  # type: ignore[union-attr]
