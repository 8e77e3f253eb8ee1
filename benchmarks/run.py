"""`make bench`: run every benchmark in benchmarks/ and rewrite docs/performance.md.

Each benchmark rewrites only its own section of docs/performance.md. Arguments are passed
to benchmarks/scale.py (e.g. `--rounds 11`); check_spec_1000.py and extremes.py run with
their defaults.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale  # noqa: E402

if __name__ == "__main__":
    scale.main(sys.argv[1:])
    subprocess.run([sys.executable, str(HERE / "check_spec_1000.py"), "--write"], check=True)
    subprocess.run([sys.executable, str(HERE / "extremes.py"), "--write"], check=True)
