"""Terminal conventions: --help without type noise, NO_COLOR / FORCE_COLOR / TERM=dumb, and
shell completion installed and answering in bash and zsh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from lstm_shapes.cli import app, run
from lstm_shapes.render.console import make_console, wants_color
from tests.conftest import ROOT

NOISE = ("<bool>", "<str>", "<int>", "<float>", "<path>", "TEXT", "BOOLEAN", "INTEGER")


@pytest.mark.parametrize("command", [None, *get_command(app).commands])  # type: ignore[attr-defined]
def test_help_shows_no_type_noise(
    command: str | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert run(["--help"] if command is None else [command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage: lstm-shapes" in text
    assert not [word for word in NOISE if word in text]


@pytest.mark.parametrize(
    ("is_tty", "env", "color"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (True, {"TERM": "dumb"}, False),
        (False, {"TERM": "dumb", "FORCE_COLOR": "1"}, True),
    ],
)
def test_colour_follows_the_conventions(is_tty: bool, env: dict[str, str], color: bool) -> None:
    assert wants_color(is_tty, env) is color


def test_make_console_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert make_console(io.StringIO()).is_terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert not make_console(io.StringIO()).is_terminal


def cli_process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lstm_shapes", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def test_force_color_colours_a_pipe_and_no_color_wins() -> None:
    base = {"NO_COLOR": "", "TERM": "xterm"}
    forced = cli_process("explain", "-i", "3", "-H", "4", env={**base, "FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    both = cli_process(
        "explain", "-i", "3", "-H", "4", env={**base, "FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert "\x1b[" not in both.stdout
    assert both.stdout.startswith("nn.LSTM(input_size=3, hidden_size=4)\n")


# Completion. The shell is named explicitly (typer's switch for tests): detection reads the
# parent process, which is pytest here.
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


@pytest.mark.parametrize(
    ("shell", "script", "rc", "rc_line"),
    [
        ("bash", ".bash_completions/lstm-shapes.sh", ".bashrc", "source '{home}/.bash_completions"),
        ("zsh", ".zfunc/_lstm-shapes", ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit"),
    ],
)
def test_install_completion_writes_the_script_and_the_rc_line(
    tmp_path: Path, shell: str, script: str, rc: str, rc_line: str
) -> None:
    done = cli_process("--install-completion", shell, env={**NAMED_SHELL, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert f"{shell} completion installed in {tmp_path / script}" in done.stdout
    assert "_LSTM_SHAPES_COMPLETE" in (tmp_path / script).read_text()
    assert rc_line.format(home=tmp_path) in (tmp_path / rc).read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_options_and_choices(tmp_path: Path) -> None:
    """The installed script, sourced in a real bash, completes an option and its values."""
    cli_process("--install-completion", "bash", env={**NAMED_SHELL, "HOME": str(tmp_path)})
    bindir = tmp_path / "bin"
    bindir.mkdir()
    launcher = bindir / "lstm-shapes"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lstm_shapes "$@"\n')
    launcher.chmod(0o755)
    script = tmp_path / ".bash_completions" / "lstm-shapes.sh"
    probe = (
        f"source '{script}'\n"
        "COMP_WORDS=(lstm-shapes explain --dtype f); COMP_CWORD=3\n"
        "_lstm_shapes_completion lstm-shapes\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)},
    )
    assert done.stdout.split() == ["float32", "float64", "float16"], done.stderr


def test_zsh_completion_protocol_answers() -> None:
    """zsh's script asks the program with _TYPER_COMPLETE_ARGS; this is its answer."""
    done = cli_process(
        env={
            "_LSTM_SHAPES_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "lstm-shapes check --format ju",
        }
    )
    assert done.returncode == 0
    assert '"junit"' in done.stdout
