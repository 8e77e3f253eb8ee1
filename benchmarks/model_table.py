"""Write a fitted coefficient table (MEMORY_MODEL or TIME_MODEL) into
lstm_shapes/theory/cost.py, replacing the dict literal of that name. Used by fit_memory.py
and fit_time.py with ``--write``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

COST = Path(__file__).resolve().parent.parent / "lstm_shapes" / "theory" / "cost.py"


def literal(name: str, model: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [f"{name}: dict[str, dict[str, dict[str, float]]] = {{"]
    for path, kinds in model.items():
        lines.append(f'    "{path}": {{')
        for kind, coefficients in kinds.items():
            lines.append(f'        "{kind}": {{')
            lines += [f'            "{term}": {k},' for term, k in coefficients.items()]
            lines.append("        },")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(name: str, model: dict[str, dict[str, dict[str, float]]]) -> None:
    text = COST.read_text(encoding="utf-8")
    start = text.index(f"{name}: dict[str, dict[str, dict[str, float]]] = {{")
    end = text.index("\n}", start) + len("\n}")
    end = text.index("\n", end) + 1  # the rest of the closing line (a trailing comment)
    COST.write_text(text[:start] + literal(name, model) + text[end:], encoding="utf-8")


def finish(name: str, model: dict[str, dict[str, dict[str, float]]]) -> None:
    """The end of a fit: with ``--write`` put ``model`` into cost.py first (so that a
    reader that stops early, ``| head``, cannot lose it), then print it."""
    if "--write" in sys.argv[1:]:
        write(name, model)
        print("written into lstm_shapes/theory/cost.py")
    print(json.dumps(model, indent=4))


def write_bands(bands: dict[str, dict[str, tuple[float, float]]]) -> None:
    """Replace MEMORY_ERROR_BANDS with ``bands`` (path -> pass -> (low, high))."""
    text = COST.read_text(encoding="utf-8")
    name = "MEMORY_ERROR_BANDS: dict[str, dict[str, tuple[float, float]]] = {"
    start = text.index(name)
    end = text.index("\n}\n", start) + len("\n}\n")
    lines = [name]
    for path, kinds in bands.items():
        inner = ", ".join(f'"{kind}": ({low}, {high})' for kind, (low, high) in kinds.items())
        lines.append(f'    "{path}": {{{inner}}},')
    lines.append("}")
    COST.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")
