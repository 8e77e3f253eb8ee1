"""Write a fitted coefficient table (MEMORY_MODEL or TIME_MODEL) into
lstm_shapes/theory/cost.py, replacing the dict literal of that name. Used by fit_memory.py
and fit_time.py with ``--write``."""

from __future__ import annotations

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
