"""Benchmark: the fast paths, as ratios to `import torch` measured in the same run.

    .venv/bin/python benchmarks/fast_paths.py            # print the table
    .venv/bin/python benchmarks/fast_paths.py --write    # and record it in docs/performance.md
    .venv/bin/python benchmarks/fast_paths.py --profile  # also a cProfile of explain --cost
    .venv/bin/python benchmarks/fast_paths.py --skip-timing --memory-cases 100 1000
                                                         # only the memory table, small

Every command runs as a subprocess (Python start-up included), round-robin with
`python -c "import torch"`, so a busy moment of a shared machine slows both sides of a
ratio alike; the median of the rounds is kept. Targets (issue 14): `explain --cost` on a
tiny configuration, `myths` and `handout` at most 1.2x `import torch`; `check --spec` with
10,000 cases at most 4x, with flat memory: the peak RSS of `check --spec` in every format
is measured on files of 1,000 and 100,000 cases (one run each: a peak does not need rounds).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
HEADING = "## Fast paths (issue 14)"
MEMORY_HEADING = "## check --spec memory (issue 14)"
#: every output format of check --spec
SPEC_FORMATS = {
    "table": [],
    "json": ["--format", "json"],
    "junit": ["--format", "junit"],
    "markdown": ["--format", "markdown"],
    "--quiet": ["--quiet"],
}
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from lstm_shapes.spec.specfile import PIECE_CASES  # noqa: E402

COMMANDS = {
    "explain -i 4 -H 8": ["explain", "-i", "4", "-H", "8"],
    "explain -i 4 -H 8 --cost": ["explain", "-i", "4", "-H", "8", "--cost"],
    "myths": ["myths"],
    "handout -i 10 -H 20": ["handout", "-i", "10", "-H", "20"],
}
TARGETS = {"explain -i 4 -H 8 --cost": 1.2, "myths": 1.2, "handout -i 10 -H 20": 1.2}


def timed(argv: list[str]) -> tuple[float, int, float]:
    """Wall seconds, the child's peak RSS in KiB (ru_maxrss of this one child) and its CPU
    seconds (user + system: what a busy machine disturbs least)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed with exit {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def spec_file(cases: int, folder: Path) -> Path:
    from check_spec_1000 import case_text

    path = folder / f"shapes-{cases}.toml"
    path.write_text("\n".join(case_text(k) for k in range(cases)), encoding="utf-8")
    return path


def measure(rounds: int, spec_cases: list[int]) -> dict[str, dict[str, float]]:
    python = [sys.executable]
    tool = [*python, "-m", "lstm_shapes"]
    runs: dict[str, list[tuple[float, int, float]]] = {"import torch": []}
    with tempfile.TemporaryDirectory() as tmp:
        specs = {n: spec_file(n, Path(tmp)) for n in spec_cases}
        commands = {name: [*tool, *args] for name, args in COMMANDS.items()}
        commands["handout -i 10 -H 20"] += ["--out", str(Path(tmp) / "handout.html")]
        for n, path in specs.items():
            commands[f"check --spec ({n:,} cases)"] = [*tool, "check", "--spec", str(path)]
        for _ in range(rounds):
            runs["import torch"].append(timed([*python, "-c", "import torch"]))
            for name, argv in commands.items():
                runs.setdefault(name, []).append(timed(argv))
    base = statistics.median(t for t, _, _ in runs["import torch"])
    base_cpu = statistics.median(c for _, _, c in runs["import torch"])
    return {
        name: {
            "seconds": statistics.median(t for t, _, _ in values),
            "ratio": statistics.median(t for t, _, _ in values) / base,
            "cpu_ratio": statistics.median(c for _, _, c in values) / base_cpu,
            "peak_rss_mib": max(rss for _, rss, _ in values) / 1024,
        }
        for name, values in runs.items()
    }


def spec_memory(counts: list[int]) -> dict[str, list[tuple[float, float]]]:
    """Per format, the (peak RSS in MiB, wall seconds) of check --spec on each count."""
    tool = [sys.executable, "-m", "lstm_shapes", "check", "--spec"]
    table: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        specs = [spec_file(n, Path(tmp)) for n in counts]
        for name, args in SPEC_FORMATS.items():
            for path in specs:
                seconds, rss, _ = timed([*tool, str(path), *args])
                table.setdefault(name, []).append((rss / 1024, seconds))
    return table


def memory_section(counts: list[int], table: dict[str, list[tuple[float, float]]]) -> str:
    head = " | ".join(f"{n:,} cases" for n in counts)
    rows = []
    for name, values in table.items():
        cells = " | ".join(f"{rss:.0f} MiB ({seconds:.0f} s)" for rss, seconds in values)
        growth = values[-1][0] - values[0][0]
        per_case = 1024 * 1024 * growth / max(counts[-1] - counts[0], 1)
        rows.append(f"| {name} | {cells} | {growth:+.1f} MiB ({per_case:+.0f} bytes a case) |")
    return (
        f"{MEMORY_HEADING}\n\n"
        "`benchmarks/fast_paths.py`: the peak RSS (`ru_maxrss` of the child) of "
        "`lstm-shapes check --spec FILE` in each output format, on files of the same mix of "
        "cases as above (wall time in brackets, one run each).\n\n"
        f"| format | {head} | growth |\n"
        f"| --- | {' | '.join('---:' for _ in counts)} | ---: |\n" + "\n".join(rows) + "\n\n"
        "The peak hardly grows with the number of cases: a TOML spec file is parsed in "
        f"pieces of {PIECE_CASES} cases and validated, its cases wait as compressed JSON, "
        "each case's output waits in a temporary file (every format shows the counts before "
        "the cases) and its result is dropped, and the caches of modules and runs are "
        "bounded. What still grows is about 40-60 bytes a case (4-6 MiB at 100,000 cases): "
        "the compressed cases (about 24 bytes) and the check for repeated case names "
        "(8-byte digests, 16-32 bytes). It stays below the peak the process reaches earlier, "
        "while torch loads, so `ru_maxrss` does not show it. A JSON spec file, or a TOML file "
        "with multi-line strings, is still read whole (about 2 KiB a case).\n\n"
        "Rerun: `.venv/bin/python benchmarks/fast_paths.py --skip-timing --write`.\n"
    )


def profile_explain_cost() -> str:
    """The 12 most expensive calls (cumulative) of `explain --cost` in this process."""
    code = (
        "import cProfile, pstats, io, sys\n"
        "from lstm_shapes.cli import run\n"
        "pr = cProfile.Profile(); pr.enable()\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        "run(['explain', '-i', '4', '-H', '8', '--cost'])\n"
        "sys.stdout = out; pr.disable()\n"
        "s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats('cumulative')"
        ".print_stats(r'lstm_shapes|torch/__init__|importlib', 14); print(s.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    text = "\n".join(lines[-16:]).replace(f"{ROOT}/", "")
    return text.replace(f"{Path(sys.prefix)}/lib/python3.11/site-packages/", "")


def section(results: dict[str, dict[str, float]], rounds: int, profile: str | None) -> str:
    import torch

    rows = []
    for name, r in results.items():
        target = TARGETS.get(name, 4.0 if name.startswith("check --spec (10,000") else None)
        verdict = "" if target is None else ("met" if r["ratio"] <= target else "NOT met")
        cpu_verdict = "" if target is None else ("met" if r["cpu_ratio"] <= target else "NOT met")
        shown = "" if target is None else f"≤ {target}x"
        rows.append(
            f"| `{name}` | {r['seconds']:.2f} s | {r['ratio']:.2f}x {verdict} | "
            f"{r['cpu_ratio']:.2f}x {cpu_verdict} | {shown} | {r['peak_rss_mib']:.0f} MiB |"
        )
    text = (
        f"{HEADING}\n\n"
        "`benchmarks/fast_paths.py`: each command as a subprocess, round-robin with "
        f'`python -c "import torch"`, median of {rounds} rounds; the ratio is to '
        "`import torch` in the same run.\n\n"
        "| command | wall (median) | wall ratio | CPU-time ratio | target | peak RSS |\n"
        "| --- | ---: | ---: | ---: | --- | ---: |\n" + "\n".join(rows) + "\n\n"
        f"Machine: {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} when run), "
        f"Python {platform.python_version()}, torch {torch.__version__}. The ratios are "
        "to `import torch` in the same run: wall time, and CPU time (user + system of the "
        "child), which a busy machine disturbs less. With a load average far above the "
        "CPU count, re-measure on a quiet machine.\n"
    )
    text += (
        "\nWhere the time went, and what was removed (profiles of each command with "
        "cProfile, before the changes of issue 14):\n\n"
        "- `explain --cost`: torch's `FlopCounterMode` imports `torch._dynamo` on its first "
        "use (about 1 s on a quiet machine, more under load): it now runs only with "
        "`--verify-flops`, and the test suite keeps checking the FLOP model against it. The "
        "peak meter's four `gc.collect()` calls each walked torch's tens of thousands of "
        "objects (about 0.3 s each under load): `gc.freeze()` leaves those out. What remains "
        "above plain `explain` is the calibration of the time model (30-70 ms) and the "
        "measured run itself: the first oneDNN call sets up its kernels.\n"
        "- `myths`: the myth about `torch.zeros(...)` without `device=` ran a forward pass "
        "on meta tensors, whose `addmm` decomposition imports `torch._dynamo`; the fixed "
        "call now runs on the CPU (the device check it passes is the same).\n"
        "- `handout`: the same myth; the rest is the import of torch.\n"
        "- `check --spec`: each distinct probe runs once and each module is built once "
        "(bounded caches, `probe/runtime.py`), free RAM is read at most twice a second, "
        "and each case's result is written out (to a temporary file: every format shows the "
        "counts first) and dropped as soon as it is checked, so memory stays flat (next "
        "section). A TOML file is parsed once, in pieces, and validated before its cases "
        "run; the cases wait as compressed JSON (about 24 bytes a case), which reads back "
        "far faster than TOML parses. On a second machine (another Xeon, whose Python work "
        "is slower against `import torch`) the same code measured 4.85x; the cost estimate "
        "is now cached per configuration (`lstm_shapes.theory.cost.estimate`: the memory "
        "model walks every moment of a training step, and the cases share configurations), "
        "which brought it to 3.97x there, just within the target (the figure above is "
        "from a third machine, whose L3 reads 480 MiB).\n"
    )
    if profile:
        text += (
            "\nWhere `explain --cost` spends its time (cProfile, cumulative):\n\n"
            "```text\n" + profile + "\n```\n"
        )
    return text + "\nRerun: `.venv/bin/python benchmarks/fast_paths.py --write --profile`.\n"


def write(text: str, heading: str = HEADING) -> None:
    """Replace this benchmark's section of docs/performance.md, keeping the others."""
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + text
    DOC.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--spec-cases", type=int, nargs="*", default=[10_000])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--write", action="store_true", help="record in docs/performance.md")
    parser.add_argument(
        "--memory-cases",
        type=int,
        nargs="*",
        default=[1_000, 100_000],
        help="case counts for the peak RSS of check --spec in every format (none: skip)",
    )
    parser.add_argument("--skip-timing", action="store_true", help="only the memory table")
    args = parser.parse_args(argv)
    if not args.skip_timing:
        results = measure(args.rounds, args.spec_cases)
        text = section(results, args.rounds, profile_explain_cost() if args.profile else None)
        print(text)
        if args.write:
            write(text)
    if args.memory_cases:
        counts = sorted(args.memory_cases)
        text = memory_section(counts, spec_memory(counts))
        print(text)
        if args.write:
            write(text, MEMORY_HEADING)


if __name__ == "__main__":
    main()
