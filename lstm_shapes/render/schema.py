"""The JSON Schemas of every ``--format json`` output, shipped in ``lstm_shapes/schemas``."""

from __future__ import annotations

from importlib import resources

from lstm_shapes.errors import SpecError

#: one schema per JSON output; ``check`` covers one case and ``check --spec`` alike
SCHEMAS = (
    "explain",
    "variants",
    "check",
    "trace",
    "inspect",
    "diagram",
    "gates",
    "cell",
    "heads",
    "myths",
)


def schema_text(name: str) -> str:
    """The schema of the JSON that ``lstm-shapes NAME --format json`` prints."""
    if name not in SCHEMAS:
        raise SpecError(f"NAME must be one of {', '.join(SCHEMAS)} (got {name!r})")
    return (resources.files("lstm_shapes") / "schemas" / f"{name}.schema.json").read_text(
        encoding="utf-8"
    )
