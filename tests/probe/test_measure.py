"""The peak memory measurement: repeatable, and equal to an independent reading.

No timed assertions: only memory, which does not depend on the machine's load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lstm_shapes.probe.measure import measure
from lstm_shapes.spec.core import make_spec

ROOT = Path(__file__).resolve().parents[2]
MiB = 2**20

#: Big enough that the peak (about 150 MiB) dwarfs pages and allocator noise.
BIG = {"input_size": 256, "hidden_size": 512, "batch": 128, "seq_len": 200}

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="the CPU peak needs Linux's clear_refs"
)


def test_identical_runs_agree_within_ten_percent() -> None:
    spec = make_spec(**BIG)
    first, second = measure(spec), measure(spec)
    assert first.peak_forward is not None and second.peak_forward is not None
    assert first.peak_forward > 16 * MiB
    assert abs(first.peak_forward - second.peak_forward) <= 0.1 * first.peak_forward
    assert len(first.peak_forward_runs) == 3


def test_the_first_call_peak_equals_ru_maxrss_in_a_fresh_process() -> None:
    """ru_maxrss (the kernel's lifetime peak, independent of our /proc reset) of a fresh
    process that runs the same forward once, against our first-call peak."""
    script = textwrap.dedent(
        f"""
        import ctypes, gc, resource, warnings
        warnings.simplefilter("ignore")
        import torch
        from lstm_shapes.probe.measure import measure
        from lstm_shapes.spec.core import make_spec

        spec = make_spec(**{BIG!r})
        ours = measure(spec, peak_runs=1).peak_forward_first
        print(ours)
        """
    )
    independent = textwrap.dedent(
        f"""
        import ctypes, gc, resource, warnings
        warnings.simplefilter("ignore")
        import torch

        config = {BIG!r}
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(config["input_size"], config["hidden_size"]).eval()
        x = torch.randn(config["seq_len"], config["batch"], config["input_size"])
        gc.collect()
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD, fixed as the measurement fixes it
        libc.malloc_trim(0)
        with open("/proc/self/status") as status:
            rss = next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with torch.no_grad():
            lstm(x)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert after > before, (before, after)
        print((after - rss) * 1024)
        """
    )

    def run(code: str) -> int:
        # Linux keeps ru_maxrss across exec, so a process started straight from this big
        # one would begin at its peak; forked from a small shell it begins at its own.
        command = f'"{sys.executable}" -c "$SCRIPT"; exit $?'
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "SCRIPT": code},
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    ours, theirs = run(script), run(independent)
    assert abs(ours - theirs) <= 0.15 * theirs + 4 * MiB, (ours / MiB, theirs / MiB)


def _fresh_process_output(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1]


def test_a_peak_does_not_depend_on_what_the_process_ran_before() -> None:
    """explain's shape check runs the model at full size before the measurement, and a
    program may have used torch before: the big blocks they free must not become heap
    chunks that the measured run's tensors are cut from (it measured up to 15% more)."""
    config = {**BIG, "batch": 64, "proj_size": 128}
    clean = _fresh_process_output(
        f"""
        from lstm_shapes.probe.measure import measure
        from lstm_shapes.spec.core import make_spec
        print(measure(make_spec(**{config!r})).peak_forward)
        """
    )
    after_other_work = _fresh_process_output(
        f"""
        from lstm_shapes.api import explain
        from lstm_shapes.probe.runtime import import_torch

        torch = import_torch()
        # a block of 16 MiB raises glibc's mmap threshold; the smaller ones then fill the heap
        for size in (16, 8, 4, 2, 1) * 8:
            blocks = [torch.ones(size * 2**18) for _ in range(4)]
        del blocks
        report = explain(**{config!r}, cost=True, full=True)
        print(report.cost.measurement.peak_forward)
        """
    )
    assert abs(int(after_other_work) - int(clean)) <= 0.05 * int(clean), (
        int(after_other_work) / MiB,
        int(clean) / MiB,
    )


def test_timed_runs_after_a_peak_reuse_the_heap_like_a_program() -> None:
    """After a measured peak, timed runs use the heap as a training loop does: a temporary
    of a few MiB comes from the heap again and is used again, instead of being a new
    mapping with a page fault per page at every step (counted, not timed: ru_minflt).
    Fixed at a small threshold, an RNN's training step took three times as long."""
    faults = _fresh_process_output(
        """
        import resource
        from lstm_shapes.probe.measure import measure, timed_runs
        from lstm_shapes.probe.runtime import import_torch
        from lstm_shapes.spec.core import make_spec

        torch = import_torch()
        measure(make_spec(input_size=4, hidden_size=8, batch=2, seq_len=3))
        counts = []

        def step():
            counts.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)
            torch.ones(2**21).sum()  # 8 MiB: the heap grows to hold it once, in the warm-up

        timed_runs(step, lambda: None, 10)
        print(counts[-1] - counts[1])
        """
    )
    assert int(faults) < 2048, faults  # one 8 MiB tensor mapped anew: 2048 pages


def test_a_peak_in_this_process_does_not_depend_on_what_it_ran_before() -> None:
    """Measured in the caller's own process (no new one), after a program's work freed
    large blocks (once lstm-shapes has fixed the threshold: a program that freed them
    before needs a fresh process, ``measure(fresh=True)``): the same peak as in a clean
    process (a dynamic threshold made it 19% higher). After timed runs a later peak in the
    same process reads higher (measured: +2% to +6% on a quiet machine, up to +11% with
    both cores busy and +17% after a second round of timed runs), so the bound there is
    20%; ``fresh=True``, the documented remedy, measures the clean peak again. The grids'
    and the CLI's peaks of 16 MiB or more are measured in a new process, before any timed
    run."""
    config = {"input_size": 256, "hidden_size": 512, "batch": 64, "seq_len": 200, "proj_size": 128}
    clean = int(
        _fresh_process_output(
            f"""
            from lstm_shapes.probe.measure import measure
            from lstm_shapes.spec.core import make_spec
            print(measure(make_spec(**{config!r})).peak_forward)
            """
        )
    )
    peaks = _fresh_process_output(
        f"""
        from lstm_shapes.probe.measure import measure
        from lstm_shapes.probe.runtime import import_torch
        from lstm_shapes.spec.core import make_spec

        torch = import_torch()  # a program that asked lstm-shapes for torch, then worked

        for size in (16, 8, 4, 2, 1) * 8:
            blocks = [torch.ones(size * 2**18) for _ in range(4)]
        del blocks
        spec = make_spec(**{config!r})
        after_work = measure(spec).peak_forward
        measure(spec, timing=True, repeats=2)
        after_timing = measure(spec).peak_forward
        print(f"{{after_work}},{{after_timing}},{{measure(spec, fresh=True).peak_forward}}")
        """
    )
    after_work, after_timing, fresh = map(int, peaks.split(","))
    assert abs(after_work - clean) <= 0.05 * clean, (after_work / MiB, clean / MiB)
    assert abs(after_timing - clean) <= 0.20 * clean, (after_timing / MiB, clean / MiB)
    assert abs(fresh - clean) <= 0.05 * clean, (fresh / MiB, clean / MiB)


def test_a_fresh_process_measures_the_same_spec() -> None:
    """The spec crosses to the new process whole (packed lengths, dtype, layers)."""
    spec = make_spec(
        input_size=4, hidden_size=8, batch=3, seq_len=5, lengths="5,3,2", num_layers=2,
        dtype="float64",
    )  # fmt: skip
    fresh = measure(spec, verify_flops=True, backward=True, peak_runs=2, fresh=True)
    here = measure(spec, verify_flops=True, backward=True, peak_runs=2)
    assert fresh.measured == here.measured == "packed forward"
    assert fresh.flop_counter_forward == here.flop_counter_forward
    assert fresh.flop_counter_training == here.flop_counter_training
    assert len(fresh.peak_forward_runs) == len(fresh.peak_training_runs) == 2


def test_packed_input_measures_the_packed_forward() -> None:
    spec = make_spec(input_size=4, hidden_size=8, batch=3, seq_len=5, lengths="5,3,2")
    measured = measure(spec, verify_flops=True)
    assert measured.measured == "packed forward"
    assert measured.flop_counter_forward == 2 * (4 + 8) * 4 * 8 * (5 + 3 + 2)
