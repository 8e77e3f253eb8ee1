"""Output never vanishes or turns to garbage: a terminal reporting 0 columns, a narrow
screen, an ASCII-only encoding."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable

import pytest

from tests.conftest import ROOT, Result, run_subprocess

Cli = Callable[..., Result]


def test_a_terminal_reporting_0_columns_gets_100() -> None:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "lstm_shapes", "explain", "-i", "10", "-H", "20"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower closed: all output is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    assert process.stderr is not None
    with process.stderr:
        assert process.stderr.read() == b""
    text = b"".join(chunks).decode()
    assert "nn.LSTM(input_size=10, hidden_size=20)" in text
    assert "Parameters" in text


def test_narrow_screens_get_the_variants_one_under_another(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    result = cli("variants", "-i", "10", "-H", "20")
    assert result.exit_code == 0
    assert "batch_first=True, bidirectional=False\n" in result.stdout
    assert "  output  ([3], [7], 20)  ([N], [L], D*H_out)\n" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 60


def test_narrow_screens_get_the_compact_unrolled_picture(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    result = cli("diagram", "-i", "10", "-H", "20", "-l", "2", "--bidirectional")
    assert result.exit_code == 0
    assert (
        "  output[t], t = 0 … 6\n"
        "    ↑\n"
        "  l1 ←  hn[3],cn[3] ◀─ t=0 ◀─ … ◀─ t=6 ◀─ h0[3],c0[3]\n"
        "  l1 →  h0[2],c0[2] ─▶ t=0 ─▶ … ─▶ t=6 ─▶ hn[2],cn[2]\n"
    ) in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 60


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"PYTHONIOENCODING": "ascii"}, ["explain", "-i", "3", "-H", "4"]),
        ({"PYTHONIOENCODING": "ascii"}, ["gates", "-i", "3", "-H", "4", "--lang", "zh"]),
        ({"LANG": "C", "LC_ALL": "C"}, ["check", "-i", "3", "-H", "4", "-s", "7,3,3"]),
    ],
)
def test_narrow_encodings_do_not_crash(env: dict[str, str], args: list[str]) -> None:
    result = run_subprocess(*args, env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout
