"""``trace`` owns the user's exits: sys.exit, SystemExit and os._exit in a module's import,
a factory or forward are reported as the model stopping the run (exit 1, naming where)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_subprocess

MODELS = textwrap.dedent(
    """
    import os
    import sys

    from torch import nn


    class Net(nn.Module):
        def __init__(self, how=""):
            super().__init__()
            self.lstm = nn.LSTM(4, 5)
            self.how = how

        def forward(self, x):
            out, _ = self.lstm(x)
            if self.how == "sys":
                sys.exit(5)
            if self.how == "os":
                os._exit(7)
            if self.how == "raise":
                raise SystemExit("bye")
            if self.how == "itself":
                returned = [out]
                returned.append(returned)
                return returned
            if self.how == "deep":
                for _ in range(10_000):
                    out = [out]
            return out


    def sys_forward():
        return Net("sys")


    def os_forward():
        return Net("os")


    def raise_forward():
        return Net("raise")


    def itself():
        return Net("itself")


    def deep():
        return Net("deep")


    def sys_factory():
        sys.exit(3)


    def os_factory():
        os._exit(4)
    """
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    (folder / "exits.py").write_text(MODELS, encoding="utf-8")
    (folder / "import_exit.py").write_text("import sys\nsys.exit(9)\n", encoding="utf-8")
    (folder / "import_os_exit.py").write_text("import os\nos._exit(9)\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "exits.py:sys_factory",
            "building the model stopped the run: sys_factory() called sys.exit(3)",
        ),
        (
            "exits.py:os_factory",
            "building the model stopped the run: os_factory() called os._exit(4)",
        ),
        ("import_exit.py:Net", "importing {path} stopped the run: it called sys.exit(9)"),
        ("import_os_exit.py:Net", "importing {path} stopped the run: it called os._exit(9)"),
    ],
)
def test_an_exit_while_building_is_exit_1_naming_where(
    models: Path, target: str, message: str
) -> None:
    file, _, _ = target.partition(":")
    full = f"{models / file}:{target.partition(':')[2]}"
    result = run_subprocess("trace", full, "-s", "2,3,4")
    assert result.returncode == 1
    expected = message.format(path=models / file)
    assert result.stderr == f"lstm-shapes: error: TARGET {full!r}: {expected}\n"


@pytest.mark.parametrize(
    ("factory", "call"),
    [
        ("sys_forward", "sys.exit(5)"),
        ("raise_forward", "sys.exit('bye')"),
        ("os_forward", "os._exit(7)"),
    ],
)
def test_an_exit_in_forward_is_the_model_stopping_the_run(
    models: Path, factory: str, call: str
) -> None:
    result = run_subprocess("trace", f"{models / 'exits.py'}:{factory}", "-s", "2,3,4")
    assert (result.returncode, result.stderr) == (1, "")
    stopped = f"the model stopped the run: it called {call}"
    raised = "The model raised SystemExit in the model's own code, after lstm:"
    assert f"{raised}\n    {stopped}\n" in result.stdout


@pytest.mark.parametrize(
    ("factory", "shown"),
    [
        (
            "itself",
            "model output: [(2, 3, 5), [(2, 3, 5), [(2, 3, 5), [(2, 3, 5), [(2, 3, 5), "
            "[(2, 3, 5), …]]]]]]",
        ),
        ("deep", "model output: [[[[[[…]]]]]]"),
    ],
)
def test_an_output_that_contains_itself_or_nests_deep_does_not_recurse(
    models: Path, factory: str, shown: str
) -> None:
    result = run_subprocess("trace", f"{models / 'exits.py'}:{factory}", "-s", "2,3,4")
    assert (result.returncode, result.stderr) == (0, "")
    assert shown in result.stdout
