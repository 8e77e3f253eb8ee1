"""The names of the teaching pictures (``diagram --picture``), apart from their drawing code
(:mod:`lstm_shapes.render.pictures`), so that the CLI can list them without importing it."""

PICTURES = ("cube", "unrolled", "halves", "cell", "packed", "heads")
