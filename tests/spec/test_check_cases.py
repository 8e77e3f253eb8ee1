"""``check --spec`` in bulk: each distinct configuration runs once, results stream, and
a terminal's stderr shows progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_shapes import api
from lstm_shapes.errors import SpecError
from lstm_shapes.probe import runtime
from lstm_shapes.render.check import progress_line
from lstm_shapes.spec.specfile import load_cases

CASE = """
[[case]]
name = "{name}"
lstm = {{ input_size = {h_in}, hidden_size = 6 }}
input = {{ batch = 2, seq_len = 3 }}
expect = {{ output = [3, 2, 6] }}
"""


def _spec(tmp_path: Path, sizes: list[int]) -> Path:
    path = tmp_path / "many.toml"
    path.write_text(
        "".join(CASE.format(name=f"case-{k}", h_in=h) for k, h in enumerate(sizes)),
        encoding="utf-8",
    )
    return path


def test_each_distinct_configuration_is_built_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    real = runtime.build_module

    def counting(torch: object, module: object) -> object:
        built.append(module)
        return real(torch, module)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "build_module", counting)
    cases = load_cases(_spec(tmp_path, [3, 4, 3, 4, 3, 4]))
    results = list(api.check_cases(cases, "many.toml"))
    assert [r.passed for r in results] == [True] * 6
    assert len(built) == 2


def test_results_stream_one_by_one(tmp_path: Path) -> None:
    cases = load_cases(_spec(tmp_path, [3, 4]))
    stream = api.check_cases(cases, "many.toml")
    assert next(stream).name == "case-0"
    assert next(stream).name == "case-1"


def test_a_wrong_tensor_name_is_refused_before_any_case_runs(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        CASE.format(name="good", h_in=3)
        + CASE.format(name="bad", h_in=3)
        .replace("expect = { output", "expect = { cn")
        .replace("kind", "kind")
        .replace("hidden_size = 6 }", 'hidden_size = 6, kind = "gru" }'),
        encoding="utf-8",
    )
    cases = load_cases(path)
    with pytest.raises(SpecError) as error:
        next(api.check_cases(cases, "bad.toml"))
    assert str(error.value) == (
        "bad.toml: case 2 (bad): key expect: --expect NAME must be one of input, h0, "
        "output, hn for this nn.GRU (got 'cn')"
    )


def test_progress_line() -> None:
    assert progress_line(250, 1000, width=8) == "[##......] 250/1,000 cases"
    assert progress_line(1000, 1000, width=4) == "[####] 1,000/1,000 cases"
