"""Extreme sizes, every command that runs torch: each answers (reduced, exit 0) or refuses
(exit 2, one line) within seconds, without allocating what it does not have.

    .venv/bin/python benchmarks/extremes.py            # print the table
    .venv/bin/python benchmarks/extremes.py --write    # and record it in docs/performance.md

Each invocation runs in its own subprocess under a 4 GiB address-space limit and a 120 s
timeout, so a regression fails here instead of taking the machine down.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
HEADING = "## Extreme sizes (issue 10)"
LIMIT_BYTES = 4 * 1024**3
TIMEOUT = 120

#: (what, arguments); {tmp} is a scratch directory, {ckpt} a small LSTM checkpoint in it.
CASES = (
    ("deep stack", "explain -i 10 -H 20 -l 100000"),
    ("deep stack, --cost", "explain -i 10 -H 20 -l 50000 --bidirectional --cost"),
    ("too deep to estimate", "explain -i 10 -H 20 -l 2147483647"),
    ("long sequence", "explain -i 10 -H 20 -L 2147483647"),
    ("every size at the limit", "explain -i 2147483647 -H 2147483647 -N 2147483647"),
    ("diagram, deep and long", "diagram -i 10 -H 20 -l 50000 --bidirectional -L 2147483647"),
    ("gates, deep", "gates -i 10 -H 20 -l 100000"),
    ("cell, long", "cell -i 10 -H 20 -L 3000000"),
    ("heads, huge K", "heads -i 10 -H 20 -K 2147483647"),
    ("handout, huge N and L", "handout -i 10 -H 20 -N 100000 -L 100000 -o {tmp}/h.md"),
    ("variants, deep", "variants -i 10 -H 20 -l 50000"),
    (
        "check, huge h0",
        "check -i 10 -H 20 --input-shape 7,3,10 --h0-shape 2147483647,2147483647,20",
    ),
    ("check, deep", "check -i 10 -H 20 -l 100000"),
    ("inspect --run, huge N and L", "inspect {ckpt} --run -N 2147483647 -L 2147483647"),
    ("trace, huge input", "trace docs/examples/tagger.py:Tagger -s 100000,100000,100"),
)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run(args: str, tmp: str, ckpt: str) -> tuple[str, int | None, float, str]:
    argv = args.format(tmp=tmp, ckpt=ckpt).split()
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lstm_shapes", *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            preexec_fn=_limit,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return args, None, time.perf_counter() - start, f"timed out after {TIMEOUT} s"
    elapsed = time.perf_counter() - start
    first = (done.stderr.strip().splitlines() or done.stdout.splitlines() or [""])[0]
    return args, done.returncode, elapsed, first


def checkpoint(tmp: str) -> str:
    import warnings

    import torch

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    path = str(Path(tmp) / "encoder.pt")
    lstm = torch.nn.LSTM(10, 20)
    torch.save({f"enc.{k}": v for k, v in lstm.state_dict().items()}, path)
    return path


def _cell(text: str) -> str:
    shown = text if len(text) <= 110 else text[:107] + "..."
    return shown.replace("|", "\\|")


def section(rows: list[tuple[str, str, int | None, float, str]]) -> str:
    import torch

    lines = [
        f"{HEADING}\n",
        "`benchmarks/extremes.py`: the invocations issue 10 found hanging or exhausting "
        "memory, each as one subprocess (Python start-up and the torch import included) "
        f"under a {LIMIT_BYTES // 1024**3} GiB address-space limit. Goal: exit 0 or 2 "
        "within seconds, never minutes; exit 2 is one line on stderr.\n",
        "| case | command | exit | wall time | first line |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for what, args, code, seconds, first in rows:
        lines.append(
            f"| {what} | `lstm-shapes {_cell(args)}` | {code} | {seconds:.1f} s | {_cell(first)} |"
        )
    lines += [
        "",
        f"Machine: {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} when run), "
        f"Python {platform.python_version()}, torch {torch.__version__}. Wall time depends "
        "on the load; torch's import alone is 1 to 2 s of each.\n",
        "Rerun: `.venv/bin/python benchmarks/extremes.py --write`.\n",
    ]
    return "\n".join(lines)


def write(text: str) -> None:
    """Replace this benchmark's section of docs/performance.md, keeping the others."""
    old = DOC.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + text
    DOC.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record in docs/performance.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = checkpoint(tmp)
        for what, command in CASES:
            _, code, seconds, first = run(command, tmp, ckpt)
            print(f"{code}  {seconds:5.1f} s  {command}", flush=True)
            rows.append((what, command, code, seconds, first))
    text = section(rows)
    print(text)
    if args.write:
        write(text)
    if any(code not in (0, 2) for _, _, code, _, _ in rows):
        sys.exit("an invocation did not exit 0 or 2")


if __name__ == "__main__":
    main()
