"""The Python API: one function per command, the CLI's keyword names, the CLI's JSON.

``api.py``'s docstring examples run in tests/test_doctests.py.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

import lstm_shapes
from lstm_shapes import api
from lstm_shapes.cli import app, run
from tests.conftest import ROOT

#: The API's name for a command where it is not the command's own.
FUNCTION_OF = {"inspect": "inspect_checkpoint"}
#: CLI parameters the API spells differently or leaves to the caller.
NOT_KEYWORDS = {
    "output_format",  # the caller renders the report
    "spec_file",  # check --spec FILE: run_spec(*files)
    "more_spec_files",
    "target",  # trace TARGET: trace(model), a module or "module:factory"
    "checkpoint",  # inspect CHECKPOINT: inspect_checkpoint(checkpoint), positional
    "inputs",  # trace --inputs FILE:function: trace(model, input_data) takes the objects
    "init",  # trace --init key=value: the caller builds the model
    "picture",  # diagram --picture NAME picks one picture of --format svg: the caller renders
    "quiet",  # --quiet prints less: the caller renders
}
#: The teaching pages run on the CPU in float32 with one padded batch: the CLI refuses these
#: options beside them, the API does not take them.
TEACHING_FIXED = {"device", "dtype", "dropout", "lengths", "unbatched"}
#: Options a command's CLI takes only to refuse them (with exit 2 and why).
REFUSED_BY = {
    "variants": {"batch_first", "bidirectional"},  # it runs all four combinations
    **dict.fromkeys(("diagram", "gates", "cell", "heads", "handout"), TEACHING_FIXED),
}


def cli_parameters(command: str) -> set[str]:
    group = get_command(app)
    return {p.name for p in group.commands[command].params if p.name}  # type: ignore[attr-defined]


def command_names() -> list[str]:
    """The commands that return a report (``schema`` prints a file of the package)."""
    return [c for c in get_command(app).commands if c != "schema"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_a_function_with_its_keywords(command: str) -> None:
    function = getattr(lstm_shapes, FUNCTION_OF.get(command, command))
    assert function is getattr(api, function.__name__)
    keywords = set(inspect.signature(function).parameters)
    assert cli_parameters(command) - NOT_KEYWORDS - REFUSED_BY.get(command, set()) <= keywords
    assert function.__doc__ and ">>> " in function.__doc__


def test_every_function_is_exported_and_typed() -> None:
    assert set(api.__all__) == set(lstm_shapes.COMMANDS)
    for name in lstm_shapes.COMMANDS:
        signature = inspect.signature(getattr(api, name))
        assert signature.return_annotation != inspect.Signature.empty, name
        for parameter in signature.parameters.values():
            assert parameter.annotation != inspect.Parameter.empty, (name, parameter.name)


def test_importing_the_api_does_not_import_torch() -> None:
    code = "import sys, lstm_shapes, lstm_shapes.api; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "False", result.stderr


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    run([*args, "--format", "json"])
    return json.loads(capsys.readouterr().out)


SMALL = {"input_size": 4, "hidden_size": 6, "num_layers": 2, "batch": 2, "seq_len": 3}
SMALL_ARGS = ("-i", "4", "-H", "6", "-l", "2", "-N", "2", "-L", "3")


def _tagger_model() -> Any:
    return "docs/examples/tagger.py:Tagger"


CASES: list[tuple[str, Callable[[], Any], tuple[str, ...]]] = [
    (
        "explain",
        lambda: api.explain(**SMALL, bidirectional=True, device="cpu"),
        ("explain", *SMALL_ARGS, "--bidirectional", "--device", "cpu"),
    ),
    (
        "variants",
        lambda: api.variants(**SMALL, device="cpu"),
        ("variants", *SMALL_ARGS, "--device", "cpu"),
    ),
    (
        "check",
        lambda: api.check(input_size=4, hidden_size=6, input_shape=(2, 3, 5), device="cpu"),
        ("check", "-i", "4", "-H", "6", "--input-shape", "2,3,5", "--device", "cpu"),
    ),
    (
        "check --spec",
        lambda: api.run_spec("docs/examples/shapes.toml"),
        ("check", "--spec", "docs/examples/shapes.toml"),
    ),
    (
        "trace",
        lambda: api.trace(_tagger_model(), input_shape="4,5", input_dtype="int64"),
        ("trace", _tagger_model(), "-s", "4,5", "--input-dtype", "int64"),
    ),
    ("diagram", lambda: api.diagram(**SMALL), ("diagram", *SMALL_ARGS)),
    ("gates", lambda: api.gates(**SMALL), ("gates", *SMALL_ARGS)),
    ("cell", lambda: api.cell(**SMALL), ("cell", *SMALL_ARGS)),
    (
        "heads",
        lambda: api.heads(**SMALL, head="last", out_features=3),
        ("heads", *SMALL_ARGS, "--head", "last", "-K", "3"),
    ),
    ("myths", lambda: api.myths(lang="zh"), ("myths", "--lang", "zh")),
]


@pytest.mark.parametrize(("name", "call", "args"), CASES, ids=[c[0] for c in CASES])
def test_as_dict_is_the_cli_json(
    name: str,
    call: Callable[[], Any],
    args: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert call().as_dict() == cli_json(capsys, *args)


def test_inspect_as_dict_is_the_cli_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    path = tmp_path / "model.pt"
    torch.save({"rnn": torch.nn.GRU(3, 5, bidirectional=True).state_dict()}, path)
    report = api.inspect_checkpoint(path, batch=2, run=True)
    assert report.as_dict() == cli_json(capsys, "inspect", str(path), "-N", "2", "--run")


def test_handout_writes_the_file_the_command_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "cli").mkdir()
    mine, theirs = tmp_path / "api" / "handout.md", tmp_path / "cli" / "handout.md"
    api.handout(input_size=4, hidden_size=6, out=mine)
    run(["handout", "-i", "4", "-H", "6", "--out", str(theirs)])
    assert mine.read_text(encoding="utf-8") == theirs.read_text(encoding="utf-8")


def test_options_and_a_spec_together_are_refused() -> None:
    spec = lstm_shapes.make_spec(input_size=4, hidden_size=6)
    with pytest.raises(TypeError, match=r"^explain\(\) takes either a Spec or options, not both$"):
        api.explain(spec, input_size=4)


def test_trace_needs_an_input() -> None:
    with pytest.raises(
        lstm_shapes.SpecError,
        match=r"^trace\(\) needs input_data, kwargs or input_shape$",
    ):
        api.trace(_tagger_model())


def test_trace_takes_a_target_as_the_command_line_does() -> None:
    with pytest.raises(lstm_shapes.SpecError, match=r"^TARGET must be module:factory"):
        api.trace("model", input_shape=(1, 2))
