"""What the wheel must hold (py.typed, the catalogues, the schemas, LICENSE) and must not
(anything from tests/)."""

from __future__ import annotations

import sys
import zipfile

REQUIRED = (
    "lstm_shapes/py.typed",
    "lstm_shapes/teach/catalogue/en.py",
    "lstm_shapes/teach/catalogue/zh.py",
    "lstm_shapes/schemas/explain.schema.json",
    "lstm_shapes/schemas/trace.schema.json",
    "lstm_shapes/schemas/inspect.schema.json",
    "lstm_shapes/schemas/check.schema.json",
    "lstm_shapes/schemas/myths.schema.json",
)


def main(path: str) -> int:
    names = zipfile.ZipFile(path).namelist()
    missing = [name for name in REQUIRED if name not in names]
    stray = [name for name in names if name.startswith("tests/") or "/tests/" in name]
    licence = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    problems = [f"missing {name}" for name in missing] + [f"from tests/: {name}" for name in stray]
    if not licence:
        problems.append("no LICENSE in the .dist-info")
    for problem in problems:
        print(f"wheel {path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"wheel contents: ok ({len(names)} files)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
