"""Every JSON output validates against its shipped schema (lstm_shapes/schemas).

When a JSON shape changes: update ``lstm_shapes/schemas/NAME.schema.json``; when a key is
renamed or removed, also bump ``schema_version`` in the code, in the schema's
``schema_version.const`` and in CHANGELOG.md (``test_every_schema_version_is_recorded``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_shapes import SpecError, api
from lstm_shapes.cli import run
from lstm_shapes.render.schema import SCHEMAS, schema_text
from tests.conftest import GOLDEN_DIR, ROOT
from tests.strategies import specs

jsonschema = pytest.importorskip("jsonschema")

#: which schema each golden JSON file follows
GOLDEN_SCHEMA = {"explain_": "explain", "variants_": "variants"}


def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(name))
    return data


def validate(name: str, data: object) -> None:
    jsonschema.Draft202012Validator(schema(name)).validate(data)


@pytest.mark.parametrize("name", SCHEMAS)
def test_each_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(name))
    assert schema(name)["properties"]["schema_version"]["const"] >= 1


def test_the_schemas_directory_holds_exactly_the_listed_schemas() -> None:
    files = sorted(p.name for p in (ROOT / "lstm_shapes" / "schemas").glob("*.json"))
    assert files == sorted(f"{name}.schema.json" for name in SCHEMAS)


GOLDEN_JSON = sorted(
    p for p in GOLDEN_DIR.glob("*.json") if any(p.name.startswith(k) for k in GOLDEN_SCHEMA)
)


@pytest.mark.parametrize("path", GOLDEN_JSON, ids=[p.name for p in GOLDEN_JSON])
def test_every_golden_json_is_valid(path: Path) -> None:
    name = next(v for k, v in GOLDEN_SCHEMA.items() if path.name.startswith(k))
    validate(name, json.loads(path.read_text(encoding="utf-8")))


def test_the_reduced_run_golden_is_a_valid_run() -> None:
    """tests/golden/scale/reduced-run.json is explain's ``run`` object on its own."""
    run_schema = schema("explain")["$defs"]["run"]
    data = json.loads((GOLDEN_DIR / "scale" / "reduced-run.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(run_schema).validate(data)
    assert data["mode"] == "reduced"


def test_the_spec_check_golden_is_valid() -> None:
    """tests/golden/check/multi_json.json is ``check --spec``'s document of two files."""
    data = json.loads((GOLDEN_DIR / "check" / "multi_json.json").read_text(encoding="utf-8"))
    validate("check", data)


def test_no_golden_json_goes_unchecked() -> None:
    every = {p.relative_to(GOLDEN_DIR).as_posix() for p in GOLDEN_DIR.rglob("*.json")}
    checked = {"scale/reduced-run.json", "check/multi_json.json"}
    assert every == {p.name for p in GOLDEN_JSON} | checked


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    run([*args, "--format", "json"])
    return json.loads(capsys.readouterr().out)


SMALL = ("-i", "4", "-H", "6", "-l", "2", "-N", "2", "-L", "3")
COMMANDS = [
    ("explain", ("explain", *SMALL, "--bidirectional", "--proj-size", "3", "--cost")),
    ("explain", ("explain", "-i", "4", "-H", "6", "--lengths", "3,1", "--kind", "gru")),
    ("explain", ("explain", "-i", "64", "-H", "64", "-N", "64", "-L", "64", "--max-memory", "1")),
    ("variants", ("variants", "-i", "4", "-H", "6", "-L", "3", "--unbatched")),
    ("check", ("check", "-i", "4", "-H", "6", "-s", "2,3,5", "--h0-shape", "2,2,6")),
    ("check", ("check", "-i", "4", "-H", "6", "-e", "output=3,_,6", "-e", "hn=1,3,6")),
    ("check", ("check", "--spec", "docs/examples/shapes.toml", "tests/data/shapes.toml")),
    ("trace", ("trace", "docs/examples/tagger.py:Tagger", "-s", "2,3", "--input-dtype", "int64")),
    ("trace", ("trace", "docs/examples/tagger.py:Tagger", "-s", "2,3,4")),  # the model raises
    ("inspect", ("inspect", "docs/examples/zoo.pt", "--run")),
    ("diagram", ("diagram", *SMALL, "--bidirectional")),
    ("gates", ("gates", *SMALL, "--proj-size", "2")),
    ("cell", ("cell", *SMALL, "--lang", "zh")),
    ("heads", ("heads", *SMALL, "--head", "every", "-K", "3")),
    ("myths", ("myths",)),
]


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[" ".join(a[:1]) for _, a in COMMANDS])
def test_every_command_prints_valid_json(
    name: str,
    args: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    validate(name, cli_json(capsys, *args))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_a_sample_of_explain_outputs_is_valid(spec: Any) -> None:
    validate("explain", api.explain(spec).as_dict())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=specs(),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    expect=st.sampled_from([None, {"output": (None, None, None)}, {"hn": (1, 2, 3)}]),
)
def test_a_sample_of_check_outputs_is_valid(
    spec: Any, shape: list[int], expect: dict[str, Any] | None
) -> None:
    validate("check", api.check(spec, input_shape=tuple(shape)).as_dict())
    try:
        result = api.check(spec, expect=expect)
    except SpecError:  # an expectation the module cannot have (e.g. rank)
        return
    validate("check", result.as_dict())


def test_a_wrong_output_fails_validation() -> None:
    """The schemas have teeth: a renamed key or a wrong type is caught."""
    data = api.explain(input_size=4, hidden_size=6, device="cpu").as_dict()
    data["tensors"]["hn"]["shape"] = ["1", 2, 6]
    with pytest.raises(jsonschema.ValidationError):
        validate("explain", data)
    renamed = api.explain(input_size=4, hidden_size=6, device="cpu").as_dict()
    renamed["parameter_total"] = renamed.pop("parameter_count")
    with pytest.raises(jsonschema.ValidationError, match="'parameter_count' is a required"):
        validate("explain", renamed)


def emitted_versions() -> dict[str, int]:
    """The schema_version each part of the code writes today."""
    from lstm_shapes.report import explain, inspect, trace

    shared = explain.SCHEMA_VERSION
    versions = dict.fromkeys(SCHEMAS, shared)
    versions["trace"] = trace.SCHEMA_VERSION
    versions["inspect"] = inspect.SCHEMA_VERSION
    return versions


def test_every_schema_version_is_recorded() -> None:
    """A bump changes the code, the schema file and CHANGELOG.md together."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = changelog.split("## JSON schema_version", 1)[1].split("\n## ", 1)[0]
    recorded: dict[str, int] = {}
    for name, version in re.findall(r"^- `(\w+)` schema_version (\d+)", section, re.M):
        recorded[name] = max(recorded.get(name, 0), int(version))
    for name, version in emitted_versions().items():
        assert schema(name)["properties"]["schema_version"]["const"] == version, name
        assert recorded.get(name) == version, (
            f"CHANGELOG.md records no `{name}` schema_version {version}"
        )


def test_the_schema_command_prints_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "trace"]) == 0
    shipped = (ROOT / "lstm_shapes" / "schemas" / "trace.schema.json").read_text("utf-8")
    assert capsys.readouterr().out == shipped
    assert run(["schema", "tensors"]) == 2
    assert capsys.readouterr().err == (
        "lstm-shapes: error: NAME must be one of explain, variants, check, trace, inspect, "
        "diagram, gates, cell, heads, myths (got 'tensors')\n"
    )
