"""`make bench`: run every benchmark in benchmarks/ and rewrite docs/performance.md."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale

if __name__ == "__main__":
    scale.main(sys.argv[1:])
