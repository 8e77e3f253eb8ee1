"""`make bench`: run every benchmark in benchmarks/ and rewrite docs/performance.md.

Each benchmark rewrites only its own section of docs/performance.md (or its results file
in benchmarks/). Arguments are passed to benchmarks/scale.py (e.g. `--rounds 11`); the
others run with their defaults:

- scale.py: the scaling of explain's probe and the cost model's early figures;
- check_spec_1000.py: `check --spec` on 1,000 cases;
- extremes.py: the extreme inputs of issue 10;
- fast_paths.py: explain --cost, myths, handout and check --spec (10,000 cases) as ratios
  to `import torch`, with a profile of explain --cost;
- time_grid.py and memory_grid.py: the time and memory models against measured runs on
  the grid in benchmarks/time-grid.json (results in benchmarks/*-results.json), summarised
  into docs/cost.md's error bands by cost_doc.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale  # noqa: E402


def bench(script: str, *args: str) -> None:
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)


if __name__ == "__main__":
    scale.main(sys.argv[1:])
    bench("check_spec_1000.py", "--write")
    bench("extremes.py", "--write")
    bench("fast_paths.py", "--write", "--profile")
    bench("time_grid.py")
    bench("memory_grid.py")
    bench("cost_doc.py")
